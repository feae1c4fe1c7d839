#!/usr/bin/env bash
# Ingest benchmark against notmuch. For each size (BENCH_SIZES, default "10000 100000"):
# generate a support mailbox with ../shared/bench/gen_corpus.py (maildir, seed 1), import it
# into a fresh data directory on SQLite and on a throwaway PostgreSQL, run `notmuch new` on the
# same maildir, and write one table to BENCH_OUT (default target/bench/ingest.md).
# Figures, not assertions. Installs notmuch, GNU time and PostgreSQL when missing (as root).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
shared=${CASEBOOK_SHARED_DIR:-$root/../shared}
sizes=${BENCH_SIZES:-10000 100000}
out=${BENCH_OUT:-$root/target/bench/ingest.md}
work=${BENCH_WORK:-$root/target/bench/work}
mkdir -p "$work" "$(dirname "$out")"

missing=()
command -v notmuch >/dev/null || missing+=(notmuch)
[ -x /usr/bin/time ] || missing+=(time)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
if [ ${#missing[@]} -gt 0 ]; then
    [ "$(id -u)" -eq 0 ] || { echo "install ${missing[*]} first" >&2; exit 1; }
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
cargo build --release --locked --bin casebook
casebook=$root/target/release/casebook

# A throwaway PostgreSQL on a Unix socket, as an unprivileged user when run as root.
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
pg=$(mktemp -d /tmp/casebook-bench-pg.XXXXXX)
as_pg=()
if [ "$(id -u)" -eq 0 ]; then chown postgres "$pg"; as_pg=(runuser -u postgres --); fi
"${as_pg[@]}" "$pgbin/initdb" -D "$pg/data" -U postgres -A trust -E UTF8 --locale=C >/dev/null
"${as_pg[@]}" "$pgbin/pg_ctl" -D "$pg/data" -l "$pg/log" -w -o "-k $pg -c listen_addresses= -c shared_buffers=256MB" start >/dev/null
trap '"${as_pg[@]}" "$pgbin/pg_ctl" -D "$pg/data" -m fast stop >/dev/null 2>&1 || true; rm -rf "$pg"' EXIT

register() { # DATA_DIR CORPUS: the corpus's organizations, and the vendor as staff
    python3 -c "
import json, sys
for name, org in json.load(open(sys.argv[1] + '/expected.json'))['organizations'].items():
    print(name + '\t' + org['domain'])" "$2" | while IFS=$'\t' read -r name domain; do
        "$casebook" --data-dir "$1" org add "$name" --domain "$domain" >/dev/null
    done
    "$casebook" --data-dir "$1" org add CMGOS --domain cmgos.com --staff >/dev/null
}
field() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$1" "$2"; }
rss_mb() { awk '/Maximum resident/ {printf "%.0f", $6/1024}' "$1"; }
wall_s() { awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$1"; }

{
    echo "# Ingest benchmark"
    echo
    echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, casebook $(git -C "$root" rev-parse --short HEAD), notmuch $(notmuch --version | awk '{print $2}')"
    echo
    echo "| corpus | system | messages/s | vs notmuch (same run) | vs notmuch (PEERS.md) | wall s | peak RSS MB | store MB | first 10% msg/s | last 10% msg/s | last/first | threading |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
} > "$out"

for n in $sizes; do
    corpus=$work/corpus-$n
    if [ ! -f "$corpus/expected.json" ]; then
        rm -rf "$corpus"
        python3 "$shared/bench/gen_corpus.py" --messages "$n" --cases $((n / 8)) --seed 1 --format maildir --out "$corpus" >/dev/null
    fi
    sync

    # notmuch on the same maildir.
    nm=$work/notmuch-$n; rm -rf "$nm"; mkdir -p "$nm/db"
    printf '[database]\npath=%s\nmail_root=%s\n[new]\ntags=unread;inbox;\n[maildir]\nsynchronize_flags=true\n' "$nm/db" "$corpus/mail" > "$nm/config"
    /usr/bin/time -v notmuch --config="$nm/config" new >/dev/null 2>"$nm/time"
    nm_wall=$(wall_s "$nm/time"); nm_rate=$(python3 -c "print(round($n / $nm_wall))")
    nm_store=$(du -sm "$nm/db" | cut -f1)

    for backend in sqlite postgres; do
        data=$work/data-$backend-$n; rm -rf "$data"
        unset CASEBOOK_DATABASE_URL
        if [ "$backend" = postgres ]; then
            db=bench_$n
            "${as_pg[@]}" "$pgbin/dropdb" -h "$pg" -U postgres --if-exists "$db"
            "${as_pg[@]}" "$pgbin/createdb" -h "$pg" -U postgres "$db"
            export CASEBOOK_DATABASE_URL="postgres://postgres@localhost/$db?host=$pg"
        fi
        register "$data" "$corpus"
        CASEBOOK_INTAKE_ADDRESSES=support@cmgos.com /usr/bin/time -v "$casebook" --data-dir "$data" import "$corpus/mail" --json \
            > "$data.summary.json" 2> "$data.time"
        "$casebook" --data-dir "$data" dev placements > "$data.placements.json"
        score=$(python3 "$root/scripts/bench/score.py" "$corpus" "$data.placements.json")
        wall=$(python3 -c "print($(field "$data.summary.json" elapsed_ms) / 1000)")
        rate=$(python3 -c "print(round($n / $wall))")
        store=$(du -sm "$data" | cut -f1)
        if [ "$backend" = postgres ]; then
            db_mb=$("${as_pg[@]}" psql -h "$pg" -U postgres -Atc "select pg_database_size('$db') / 1048576" postgres)
            store=$((store + db_mb))
        fi
        first=$(field "$data.summary.json" first_tenth_per_second); last=$(field "$data.summary.json" last_tenth_per_second)
        python3 - "$n" "$backend" "$rate" "$nm_rate" "$wall" "$(rss_mb "$data.time")" "$store" "$first" "$last" "$score" >> "$out" <<'PY'
import json, sys
n, backend, rate, nm, wall, rss, store, first, last, score = sys.argv[1:]
s = json.loads(score)
# notmuch's figures in ../shared/bench/PEERS.md, measured on this machine kind: the goal is stated against them.
peers = {10000: 364, 100000: 255}.get(int(n))
print(f"| {int(n):,} | casebook ({backend}) | {int(rate):,} | {int(rate) / int(nm):.1f}x | "
      f"{f'{int(rate) / peers:.1f}x' if peers else ''} | {float(wall):.1f} | {rss} | {store} | "
      f"{float(first):,.0f} | {float(last):,.0f} | {float(last) / float(first):.2f} | {s['on_right_case']:,}/{s['case_messages']:,} ({s['accuracy']:.2%}) |")
PY
    done
    python3 -c "
import sys
n, r, wall, rss, store = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
peers = {10000: 364, 100000: 255}.get(n)
print(f'| {n:,} | notmuch new | {r:,} | 1.0x | {f\"{r / peers:.1f}x\" if peers else \"\"} | {wall} | {rss} | {store} | | | | |')" \
        "$n" "$nm_rate" "$nm_wall" "$(rss_mb "$nm/time")" "$nm_store" >> "$out"
done
cat "$out"
