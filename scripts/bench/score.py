#!/usr/bin/env python3
"""Scores threading: casebook's placements against a generated corpus's expected.json.

Usage: score.py CORPUS_DIR PLACEMENTS_JSON
A case message (not a duplicate delivery) is on the right case when every message of its
expected case sits on one Casebook case that holds no other expected case's messages.
Prints one JSON object.
"""
import hashlib
import json
import os
import sys


def main():
    corpus, placements_path = sys.argv[1], sys.argv[2]
    expected = json.load(open(os.path.join(corpus, "expected.json"), encoding="utf-8"))
    placements = json.load(open(placements_path, encoding="utf-8"))["placements"]
    case_of_raw = {p["raw_sha256"]: p["case"] for p in placements}
    groups = {}
    unrelated_on_cases = 0
    for name, case in expected["messages"].items():
        if expected["details"][name].get("duplicate_of"):
            continue
        with open(os.path.join(corpus, name), "rb") as handle:
            actual = case_of_raw.get(hashlib.sha256(handle.read()).hexdigest())
        if case is None:
            unrelated_on_cases += actual is not None
            continue
        groups.setdefault(case, []).append(actual)
    owners = {}
    for case, actual in groups.items():
        for found in actual:
            if found:
                owners.setdefault(found, set()).add(case)
    right = total = 0
    for case, actual in groups.items():
        total += len(actual)
        found = set(actual)
        if len(found) == 1 and None not in found and owners[next(iter(found))] == {case}:
            right += len(actual)
    print(json.dumps({"case_messages": total, "on_right_case": right,
                      "accuracy": round(right / total, 4) if total else 0.0,
                      "unrelated_on_own_cases": unrelated_on_cases}))


if __name__ == "__main__":
    main()
