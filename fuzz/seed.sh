#!/usr/bin/env bash
# Fills fuzz/corpus/<target>/ with seed inputs drawn from ../shared (not committed: the corpora
# stay where they are), then the regressions. Run before `cargo fuzz run TARGET`.
set -euo pipefail
cd "$(dirname "$0")"
shared=${CASEBOOK_SHARED_DIR:-../../shared}
mkdir -p corpus/message corpus/thread_export corpus/subject corpus/address
# Named by content, as libFuzzer names its own finds: many corpora use the same file names.
find "$shared/corpora" -type f \( -name '*.eml' -o -name '*.msg' -o -name '*.raw' -o -name 'msg_*.txt' \) -size -64k -print0 |
    while IFS= read -r -d '' file; do cp "$file" "corpus/message/$(sha1sum < "$file" | cut -c1-16)"; done
cp "$shared/seed/"*.txt corpus/thread_export/
grep -rah -m1 '^Subject:' "$shared/corpora" --include='*.eml' | head -2000 | split -l 1 - corpus/subject/s-
head -1 "$shared/seed/"*.txt > corpus/subject/seed
grep -rahi -m3 -E '^(from|to|cc):' "$shared/corpora" --include='*.eml' | head -2000 | sed -E 's/^[^:]*: ?//' | split -l 1 - corpus/address/a-
for target in message thread_export subject address; do
    cp regressions/$target/* corpus/$target/ 2>/dev/null || true
done
echo "seeded: $(ls corpus/message | wc -l) messages, $(ls corpus/thread_export | wc -l) exports, $(ls corpus/subject | wc -l) subjects, $(ls corpus/address | wc -l) addresses"
