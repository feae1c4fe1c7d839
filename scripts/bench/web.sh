#!/usr/bin/env bash
# Web benchmark: a support mailbox from ../shared/bench/gen_corpus.py (BENCH_MESSAGES, default
# 100000, maildir, seed 1) is imported into SQLite and into a throwaway PostgreSQL; `casebook
# serve` answers signed in (the session checked against the database on every request, no
# response cache) while wrk on loopback asks for the queue page, the largest case's page and the
# same case as JSON. In the same run, the ceiling: the same case page saved to a file and served
# by nginx. Figures, not assertions, written to BENCH_OUT (default target/bench/web.md);
# BENCH_BACKENDS (default "sqlite postgres") picks the backends.
# Installs wrk, nginx and PostgreSQL when missing (as root). Never run by CI.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
shared=${CASEBOOK_SHARED_DIR:-$root/../shared}
messages=${BENCH_MESSAGES:-100000}
out=${BENCH_OUT:-$root/target/bench/web.md}
work=${BENCH_WORK:-$root/target/bench/work}
duration=${BENCH_DURATION:-15s}
connections=${BENCH_CONNECTIONS:-32}
mkdir -p "$work" "$(dirname "$out")"

missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v nginx >/dev/null || missing+=(nginx)
command -v curl >/dev/null || missing+=(curl)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
if [ ${#missing[@]} -gt 0 ]; then
    [ "$(id -u)" -eq 0 ] || { echo "install ${missing[*]} first" >&2; exit 1; }
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
cargo build --release --locked --bin casebook
casebook=$root/target/release/casebook

pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
pg=$(mktemp -d /tmp/casebook-bench-pg.XXXXXX)
tmp=$(mktemp -d /tmp/casebook-bench-web.XXXXXX)
as_pg=()
if [ "$(id -u)" -eq 0 ]; then chown postgres "$pg"; as_pg=(runuser -u postgres --); fi
"${as_pg[@]}" "$pgbin/initdb" -D "$pg/data" -U postgres -A trust -E UTF8 --locale=C >/dev/null
"${as_pg[@]}" "$pgbin/pg_ctl" -D "$pg/data" -l "$pg/log" -w -o "-k $pg -c listen_addresses= -c shared_buffers=256MB" start >/dev/null
server=""
nginx_pid=""
cleanup() {
    [ -n "$server" ] && kill "$server" 2>/dev/null || true
    [ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null || true
    "${as_pg[@]}" "$pgbin/pg_ctl" -D "$pg/data" -m fast stop >/dev/null 2>&1 || true
    rm -rf "$pg" "$tmp"
}
trap cleanup EXIT

corpus=$work/corpus-$messages
if [ ! -f "$corpus/expected.json" ]; then
    rm -rf "$corpus"
    python3 "$shared/bench/gen_corpus.py" --messages "$messages" --cases $((messages / 8)) --seed 1 --format maildir --out "$corpus"
fi
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# wrk's summary as "p50 ms|p99 ms|requests/s".
measure() { # URL [HEADER]
    local args=(-t2 "-c$connections" "-d$duration" --latency)
    [ -n "${2:-}" ] && args+=(-H "$2")
    wrk "${args[@]}" "$1" | awk '
        function ms(v) { if (v ~ /us$/) return v/1000; if (v ~ /ms$/) return v+0; if (v ~ /s$/) return v*1000; return v }
        $1 == "50%" { p50 = ms($2) } $1 == "99%" { p99 = ms($2) }
        $1 == "Requests/sec:" { rps = $2 }
        /Non-2xx/ { bad = $NF }
        END { printf "%.2f|%.2f|%.0f|%s", p50, p99, rps, (bad == "" ? 0 : bad) }'
}

{
    echo "# Web benchmark"
    echo
    echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, casebook $(git -C "$root" rev-parse --short HEAD), $(wrk --version 2>&1 | head -1 | awk '{print $1, $2}'), $(nginx -v 2>&1 | sed 's/.*: //')"
    echo
    echo "Corpus: gen_corpus.py --messages $messages (seed 1). wrk -t2 -c$connections -d$duration on loopback, signed in."
    echo
    echo "| backend | page | p50 ms | p99 ms | requests/s | non-2xx | vs nginx static | server peak RSS MB |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|"
} > "$out"

for backend in ${BENCH_BACKENDS:-sqlite postgres}; do
    data=$tmp/data-$backend
    unset CASEBOOK_DATABASE_URL
    if [ "$backend" = postgres ]; then
        "${as_pg[@]}" "$pgbin/createdb" -h "$pg" -U postgres "bench_web" 2>/dev/null || true
        export CASEBOOK_DATABASE_URL="postgres://postgres@localhost/bench_web?host=$pg"
    fi
    python3 -c "
import json, sys
for name, org in json.load(open(sys.argv[1] + '/expected.json'))['organizations'].items():
    print(name + '\t' + org['domain'])" "$corpus" | while IFS=$'\t' read -r name domain; do
        "$casebook" --data-dir "$data" org add "$name" --domain "$domain" >/dev/null
    done
    "$casebook" --data-dir "$data" org add CMGOS --domain cmgos.com --staff >/dev/null
    "$casebook" --data-dir "$data" import "$corpus/mail" --json >"$tmp/import-$backend.json"
    echo "bench-password-1" | "$casebook" --data-dir "$data" user add bench@cmgos.com --role engineer --org CMGOS --password-stdin >/dev/null
    token=$("$casebook" --data-dir "$data" token create bench@cmgos.com --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
    stats=$("$casebook" --data-dir "$data" stats --json)
    port=$(free_port)
    "$casebook" --data-dir "$data" serve --listen "127.0.0.1:$port" >"$tmp/serve-$backend.log" 2>&1 &
    server=$!
    for _ in $(seq 1 300); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
    base="http://127.0.0.1:$port"
    curl -s -c "$tmp/jar" -o /dev/null -d "login=bench@cmgos.com&password=bench-password-1&next=/cases" "$base/signin"
    cookie="Cookie: casebook_session=$(awk '$6 == "casebook_session" {print $7}' "$tmp/jar")"
    # The case with the most messages (as the generator numbered it): the heaviest page a reader opens.
    number=$(python3 -c '
import json, sys
cases = json.load(open(sys.argv[1] + "/expected.json"))["cases"]
print(max((c for c in cases.items() if c[1]["number_in_subjects"]), key=lambda c: c[1]["distinct"])[0])' "$corpus")
    entries=$(curl -s -H "Authorization: Bearer $token" "$base/api/v1/cases/$number" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["timeline"]))')
    curl -s -H "$cookie" "$base/cases/$number" >"$tmp/case.html"
    for page in "queue|/cases|$cookie" "case page ($entries entries)|/cases/$number|$cookie" "case JSON|/api/v1/cases/$number|Authorization: Bearer $token"; do
        IFS='|' read -r name path header <<<"$page"
        IFS='|' read -r p50 p99 rps bad <<<"$(measure "$base$path" "$header")"
        rss=$(awk '/VmHWM/ {printf "%.0f", $2/1024}' "/proc/$server/status")
        echo "$backend|$name|$p50|$p99|$rps|$bad|$path|$rss" >>"$tmp/rows"
    done
    kill "$server"; wait "$server" 2>/dev/null || true; server=""
    echo "$backend: $(echo "$stats" | python3 -c 'import json,sys; s=json.load(sys.stdin); print(s["cases"], "cases,", s["messages"], "messages")')" >>"$tmp/sizes"
done

# The ceiling: the same case page as a static file from nginx (2 workers, as many cores).
mkdir -p "$tmp/nginx/html" "$tmp/nginx/logs"
cp "$tmp/case.html" "$tmp/nginx/html/case.html"
nport=$(free_port)
cat >"$tmp/nginx/nginx.conf" <<EOF
worker_processes 2;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/logs/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    server { listen 127.0.0.1:$nport; root $tmp/nginx/html; }
}
EOF
nginx -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -g 'daemon off;' &
nginx_pid=$!
sleep 0.5
IFS='|' read -r np50 np99 nrps _ <<<"$(measure "http://127.0.0.1:$nport/case.html")"
kill "$nginx_pid"; nginx_pid=""

while IFS='|' read -r backend name p50 p99 rps bad path rss; do
    ratio=$(python3 -c "print(f'{100 * $rps / $nrps:.2f}%')")
    echo "| $backend | $name | $p50 | $p99 | $rps | $bad | $ratio | $rss |" >>"$out"
done <"$tmp/rows"
echo "| nginx (static copy of the case page) | case page | $np50 | $np99 | $nrps | 0 | 1.00x | |" >>"$out"
{
    echo
    echo "Stores: $(paste -sd ';' "$tmp/sizes")."
    echo "Request Tracker 5's ticket page (the peer the issue names) is not part of this run yet."
} >>"$out"
cat "$out"
