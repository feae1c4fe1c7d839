#!/usr/bin/env bash
# SLA benchmark: the clocks of BENCH_SLA_CASES open cases (default 1000000) read from the store
# and evaluated, on SQLite and on a throwaway PostgreSQL (BENCH_BACKENDS, default
# "sqlite postgres"), under the example policy (docs/sla-policy.example.toml: business hours on
# the mainland calendar, five rules).
#
# Per backend and size (BENCH_SLA_CASES and 1000, the small store the sweep is compared with),
# each phase a process of its own so that its peak memory is its own:
#   load      bulk-loads the open cases, sets the policy and folds every case's clocks once;
#   deadlines reads where every open case's clocks stand from the deadlines the sweep keeps (exact
#             until each case's next check; what the queue's filters and the dashboard read);
#   evaluate  evaluates every open case's clocks from its saved state, a page of 10,000 at a time;
#   sweep     changes BENCH_SLA_DUE cases (default 1000; a note each) and times the sweep that
#             folds them again: with 1000 due among a million it should cost what it costs among
#             a thousand.
# Goals on a 2-core machine: evaluate under 2 s and 500 MB for a million cases. Figures, not
# assertions, go to BENCH_OUT (default target/bench/sla.md). Never run by CI.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
big=${BENCH_SLA_CASES:-1000000}
due=${BENCH_SLA_DUE:-1000}
out=${BENCH_OUT:-$root/target/bench/sla.md}
mkdir -p "$(dirname "$out")"
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || {
    [ "$(id -u)" -eq 0 ] || { echo "install postgresql first" >&2; exit 1; }
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
}
cargo build --release --locked --bin xtask
xtask=$root/target/release/xtask

pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
pg=$(mktemp -d /tmp/casebook-bench-pg.XXXXXX)
tmp=$(mktemp -d /tmp/casebook-bench-sla.XXXXXX)
as_pg=()
if [ "$(id -u)" -eq 0 ]; then chown postgres "$pg"; as_pg=(runuser -u postgres --); fi
"${as_pg[@]}" "$pgbin/initdb" -D "$pg/data" -U postgres -A trust -E UTF8 --locale=C >/dev/null
"${as_pg[@]}" "$pgbin/pg_ctl" -D "$pg/data" -l "$pg/log" -w -o "-k $pg -c listen_addresses= -c shared_buffers=256MB" start >/dev/null
cleanup() {
    "${as_pg[@]}" "$pgbin/pg_ctl" -D "$pg/data" -m fast stop >/dev/null 2>&1 || true
    rm -rf "$pg" "$tmp"
}
trap cleanup EXIT

results=$tmp/results.jsonl
: >"$results"
for backend in ${BENCH_BACKENDS:-sqlite postgres}; do
    for size in "$big" 1000; do
        dir=$tmp/$backend-$size
        url=()
        if [ "$backend" = postgres ]; then
            "${as_pg[@]}" "$pgbin/createdb" -h "$pg" -U postgres "sla_$size"
            url=(--database-url "postgres://postgres@localhost/sla_$size?host=$pg")
        fi
        echo "== $backend, $size open cases" >&2
        for phase in load deadlines evaluate sweep; do
            "$xtask" bench-sla --phase "$phase" --data-dir "$dir" "${url[@]}" --cases "$size" --due "$due" | tee -a "$results" >&2
            if [ "$phase" = load ] && [ "$backend" = postgres ]; then
                "${as_pg[@]}" "$pgbin/psql" -h "$pg" -U postgres -q -c "VACUUM ANALYZE" "sla_$size"
            fi
        done
        rm -rf "$dir"
    done
done

python3 - "$results" "$out" <<'PY'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
lines = ["# SLA benchmark", "",
         "Goals: evaluating 1,000,000 open cases under 2 s and 500 MB; a sweep of 1,000 due cases among",
         "1,000,000 costing about what it costs among 1,000.", "",
         "| backend | open cases | phase | cases | ms | peak RSS MiB | detail |",
         "|---|---:|---|---:|---:|---:|---|"]
for r in rows:
    lines.append(f"| {r['backend']} | {r['open_cases']:,} | {r['phase']} | {r['cases']:,} | {r['elapsed_ms']:,} | {r['peak_rss_mib']} | {json.dumps(r['detail'])} |")
open(sys.argv[2], "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
echo "figures written to $out" >&2
