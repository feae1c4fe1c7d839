#!/usr/bin/env bash
# Web benchmark at a helpdesk's size: BENCH_CASES cases (default 100000) with BENCH_ENTRIES
# timeline entries in all (default 1000000), on SQLite and on a throwaway PostgreSQL
# (BENCH_BACKENDS, default "sqlite postgres").
#
# Each store first imports a support mailbox from ../shared/bench/gen_corpus.py (BENCH_MESSAGES,
# default 100000, maildir, seed 1): real mail, threaded by the ingest path; the measured case page is
# its largest case. `cargo xtask bench-load` then adds synthetic history (notes, status changes,
# assignments, field changes, in Chinese and English) up to the case and entry counts, in batched
# transactions. `casebook serve` answers signed in (the session checked against the database on
# every request, no response cache) while wrk on loopback asks for the queue page, the largest
# case's page and the same case as JSON.
#
# In the same run, the ceiling and the peer: the same case page saved to a file and served by nginx,
# and Request Tracker 5 (Debian's request-tracker5 on SQLite, served by rt-server on loopback) holding
# the seed thread (../shared/seed/CAS-03865-H7P3F1.txt) as one ticket, its display page asked for
# signed in. BENCH_RT=0 leaves RT out.
#
# Figures, not assertions, written to BENCH_OUT (default target/bench/web.md), with the goals:
# the case page at least 1/3 of nginx's static copy and 50x RT's ticket page, the server under
# 300 MB, the case page's p99 under 20 ms at 2000 requests/s or more.
# Installs wrk, nginx, PostgreSQL and RT when missing (as root). Never run by CI.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
shared=${CASEBOOK_SHARED_DIR:-$root/../shared}
messages=${BENCH_MESSAGES:-100000}
cases=${BENCH_CASES:-100000}
entries=${BENCH_ENTRIES:-1000000}
out=${BENCH_OUT:-$root/target/bench/web.md}
work=${BENCH_WORK:-$root/target/bench/work}
duration=${BENCH_DURATION:-15s}
connections=${BENCH_CONNECTIONS:-32}
with_rt=${BENCH_RT:-1}
seed_thread=$shared/seed/CAS-03865-H7P3F1.txt
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
rt_server=/usr/share/request-tracker5/libexec/rt-server
rt_setup=/usr/sbin/rt-setup-database-5
rt_problem=""
if [ "$with_rt" = 1 ] && { [ ! -x "$rt_server" ] || [ ! -x "$rt_setup" ]; }; then
    if [ "$(id -u)" -ne 0 ]; then
        rt_problem="request-tracker5, rt5-db-sqlite and rt5-standalone are not installed, and installing them needs root"
    else
        # The package is told to set up no database of its own: the benchmark makes a throwaway one.
        echo "request-tracker5 request-tracker5/dbconfig-install boolean false" | debconf-set-selections
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq request-tracker5 rt5-db-sqlite rt5-standalone \
            >"$work/rt-install.log" 2>&1 ||
            rt_problem="apt-get install request-tracker5 rt5-db-sqlite rt5-standalone failed: $(tail -1 "$work/rt-install.log")"
    fi
fi
[ "$with_rt" = 1 ] || rt_problem="left out (BENCH_RT=0)"
cargo build --release --locked --bin casebook --bin xtask
casebook=$root/target/release/casebook
xtask=$root/target/release/xtask

pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
pg=$(mktemp -d /tmp/casebook-bench-pg.XXXXXX)
tmp=$(mktemp -d /tmp/casebook-bench-web.XXXXXX)
as_pg=()
if [ "$(id -u)" -eq 0 ]; then chown postgres "$pg"; as_pg=(runuser -u postgres --); fi
"${as_pg[@]}" "$pgbin/initdb" -D "$pg/data" -U postgres -A trust -E UTF8 --locale=C >/dev/null
"${as_pg[@]}" "$pgbin/pg_ctl" -D "$pg/data" -l "$pg/log" -w -o "-k $pg -c listen_addresses= -c shared_buffers=256MB" start >/dev/null
server=""
nginx_pid=""
rt_pid=""
cleanup() {
    [ -n "$server" ] && kill "$server" 2>/dev/null || true
    [ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null || true
    # rt-server runs in its own process group: its workers end with it.
    [ -n "$rt_pid" ] && kill -- "-$rt_pid" 2>/dev/null || true
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
field() { python3 -c 'import functools,json,sys; print(functools.reduce(lambda v, k: v[k], sys.argv[2:], json.load(open(sys.argv[1]))))' "$@"; }
now() { date +%s.%N; }
seconds() { python3 -c "print(f'{$2 - $1:.1f}')"; }

# wrk's summary as "p50 ms|p99 ms|requests/s|non-2xx responses and socket errors". The timeout is
# long enough that a slow page is measured, not dropped.
measure() { # URL [HEADER]
    local args=(-t2 "-c$connections" "-d$duration" --timeout 10s --latency)
    [ -n "${2:-}" ] && args+=(-H "$2")
    wrk "${args[@]}" "$1" | awk '
        function ms(v) { if (v ~ /us$/) return v/1000; if (v ~ /ms$/) return v+0; if (v ~ /s$/) return v*1000; return v }
        $1 == "50%" { p50 = ms($2) } $1 == "99%" { p99 = ms($2) }
        $1 == "Requests/sec:" { rps = $2 }
        /Non-2xx/ { bad += $NF }
        /Socket errors/ { gsub(",", ""); bad += $4 + $6 + $8 + $10 }
        END { printf "%.2f|%.2f|%.0f|%d", p50, p99, rps, bad }'
}
# Fails (saying why) unless the page answers 200 and holds the text.
check_page() { # URL HEADER TEXT WHAT
    local status args=(-s -o "$tmp/check.html" -w '%{http_code}')
    [ -n "$2" ] && args+=(-H "$2")
    status=$(curl "${args[@]}" "$1")
    if [ "$status" != 200 ] || ! grep -qF -- "$3" "$tmp/check.html"; then
        echo "$4 at $1 answered $status without '$3'" >&2
        return 1
    fi
}
percent() { python3 -c "print(f'{100 * $1 / $2:.3g}%')"; }
peak_rss_mb() { awk '/VmHWM/ {printf "%.0f", $2/1024}' "/proc/$1/status"; }

for backend in ${BENCH_BACKENDS:-sqlite postgres}; do
    data=$tmp/data-$backend
    unset CASEBOOK_DATABASE_URL
    if [ "$backend" = postgres ]; then
        "${as_pg[@]}" "$pgbin/createdb" -h "$pg" -U postgres "bench_web" 2>/dev/null || true
        export CASEBOOK_DATABASE_URL="postgres://postgres@localhost/bench_web?host=$pg"
    fi
    started=$(now)
    python3 -c "
import json, sys
for name, org in json.load(open(sys.argv[1] + '/expected.json'))['organizations'].items():
    print(name + '\t' + org['domain'])" "$corpus" | while IFS=$'\t' read -r name domain; do
        "$casebook" --data-dir "$data" org add "$name" --domain "$domain" >/dev/null
    done
    "$casebook" --data-dir "$data" org add CMGOS --domain cmgos.com --staff >/dev/null
    "$casebook" --data-dir "$data" import "$corpus/mail" --json >"$tmp/import-$backend.json"
    imported=$(now)
    "$xtask" bench-load --data-dir "$data" --cases "$cases" --entries "$entries" --json >"$tmp/load-$backend.json"
    loaded=$(now)
    if [ "$backend" = postgres ]; then
        # What autovacuum does a minute after a load of this size, done now so it does not run during the measurement.
        "${as_pg[@]}" "$pgbin/psql" -h "$pg" -U postgres -q -c "VACUUM ANALYZE" bench_web
    fi
    echo "bench-password-1" | "$casebook" --data-dir "$data" user add bench@cmgos.com --role engineer --org CMGOS --password-stdin >/dev/null
    token=$("$casebook" --data-dir "$data" token create bench@cmgos.com --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
    "$casebook" --data-dir "$data" stats --json >"$tmp/stats-$backend.json"
    stored_cases=$(field "$tmp/stats-$backend.json" cases)
    stored_entries=$(field "$tmp/load-$backend.json" after timeline_entries)
    if [ "$stored_cases" != "$cases" ] || [ "$stored_entries" != "$entries" ]; then
        echo "$backend: the store holds $stored_cases cases and $stored_entries timeline entries, not $cases and $entries" >&2
        exit 1
    fi
    python3 - "$backend" "$messages" "$tmp/import-$backend.json" "$tmp/load-$backend.json" "$tmp/stats-$backend.json" \
        "$(seconds "$started" "$imported")" "$(seconds "$imported" "$loaded")" "$(seconds "$started" "$loaded")" >>"$tmp/loads" <<'PY'
import json, sys
backend, messages, imported, loaded, stats, import_s, load_s, total_s = sys.argv[1:]
imported, loaded, stats = (json.load(open(path)) for path in (imported, loaded, stats))
print(f"- {backend}: {stats['cases']:,} cases, {loaded['after']['timeline_entries']:,} timeline entries, "
      f"{stats['messages']:,} messages. Import of {int(messages):,} messages ({imported['new_cases']:,} cases): {import_s} s; "
      f"bulk load of {loaded['added_cases']:,} cases and {loaded['added_entries']:,} entries: {load_s} s; "
      f"{total_s} s in all, organizations included.")
PY

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
    case_entries=$(curl -s -H "Authorization: Bearer $token" "$base/api/v1/cases/$number" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["timeline"]))')
    check_page "$base/cases" "$cookie" "CAS-" "the queue page" || exit 1
    check_page "$base/cases/$number" "$cookie" "$number" "the case page" || exit 1
    cp "$tmp/check.html" "$tmp/case.html"
    for page in "queue|/cases|$cookie" "case page ($case_entries entries)|/cases/$number|$cookie" "case JSON|/api/v1/cases/$number|Authorization: Bearer $token"; do
        IFS='|' read -r name path header <<<"$page"
        IFS='|' read -r p50 p99 rps bad <<<"$(measure "$base$path" "$header")"
        echo "$backend|$name|$p50|$p99|$rps|$bad|$(peak_rss_mb "$server")" >>"$tmp/rows"
    done
    kill "$server"; wait "$server" 2>/dev/null || true; server=""
done

# The ceiling: the same case page as a static file from nginx (2 workers, as many cores). Its
# workers may run as another user (www-data when started by root): the page is readable to all.
mkdir -p "$tmp/nginx/html" "$tmp/nginx/logs"
cp "$tmp/case.html" "$tmp/nginx/html/case.html"
chmod a+x "$tmp" "$tmp/nginx"
chmod a+rx "$tmp/nginx/html"
chmod a+r "$tmp/nginx/html/case.html"
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
check_page "http://127.0.0.1:$nport/case.html" "" "$number" "nginx's copy of the case page" || exit 1
IFS='|' read -r np50 np99 nrps nbad <<<"$(measure "http://127.0.0.1:$nport/case.html")"
kill "$nginx_pid"; nginx_pid=""

# The peer: RT on SQLite with its own site configuration (the system's RT_SiteConfig.d is not read),
# the seed thread as one ticket (the first mail creates it, each later one is correspondence through
# RT's REST 1.0 interface), the history shown on the display page itself rather than fetched after it.
rt_ticket=""
if [ -z "$rt_problem" ]; then
    rt=$tmp/rt
    mkdir -p "$rt/site.d"
    rport=$(free_port)
    cat >"$rt/RT_SiteConfig.pm" <<EOF
Set(\$DatabaseType, 'SQLite');
Set(\$DatabaseName, '$rt/rtdb');
Set(\$rtname, 'rt.example');
Set(\$Organization, 'rt.example');
Set(\$WebDomain, '127.0.0.1');
Set(\$WebPort, $rport);
Set(\$WebPath, '');
Set(\$WebBaseURL, 'http://127.0.0.1:$rport');
Set(\$CorrespondAddress, 'support@cmgos.com');
Set(\$CommentAddress, 'support-comment@cmgos.com');
Set(\$MailCommand, 'mbox');
Set(\$ShowHistory, 'always');
Set(\$Timezone, 'Asia/Shanghai');
Set(\$LogToSTDERR, 'warning');
Set(\$LogToSyslog, undef);
Set(\$LogToFile, undef);
1;
EOF
    export RT_SITE_CONFIG=$rt/RT_SiteConfig.pm RT_SITE_CONFIG_DIR=$rt/site.d
    rt_version=$(dpkg-query -W -f='${Version}' request-tracker5 2>/dev/null | sed 's/+.*//')
    if ! "$rt_setup" --action init --skip-create >"$rt/setup.log" 2>&1; then
        rt_problem="rt-setup-database-5 --action init failed: $(tail -1 "$rt/setup.log")"
    else
        setsid "$rt_server" --host 127.0.0.1 --port "$rport" >"$rt/server.log" 2>&1 &
        rt_pid=$!
        for _ in $(seq 1 600); do curl -fs -o /dev/null "http://127.0.0.1:$rport/NoAuth/Login.html" && break; sleep 0.1; done
        cat >"$rt/ticket.py" <<'PY'
import re, sys, urllib.parse, urllib.request

base, seed = sys.argv[1], sys.argv[2]
text = open(seed, encoding="utf-8-sig").read()
subject = re.search(r"^邮件主题[：:](.*)$", text, re.M).group(1).strip()
messages = []
for part in re.split(r"^====第\d+封邮件====\s*$", text, flags=re.M)[1:]:
    sender = re.search(r"^发件人[：:](.*)$", part, re.M).group(1).strip()
    sent = re.search(r"^发送时间[：:](.*)$", part, re.M).group(1).strip()
    body = part.split("邮件内容:", 1)[-1].strip()
    messages.append(f"From: {sender}\nSent: {sent}\n\n{body}")

def field(name, value):
    lines = value.splitlines() or [""]
    return f"{name}: {lines[0]}\n" + "".join(f" {line}\n" for line in lines[1:])

def post(path, content):
    data = urllib.parse.urlencode({"user": "root", "pass": "password", "content": content}).encode()
    reply = urllib.request.urlopen(base + path, data).read().decode()
    if " 200 Ok" not in reply.splitlines()[0]:
        sys.exit(f"RT refused {path}: {reply.strip()}")
    return reply

reply = post("/REST/1.0/ticket/new", "id: ticket/new\nQueue: General\n" + field("Subject", subject) + field("Text", messages[0]))
ticket = re.search(r"# Ticket (\d+) created", reply).group(1)
for message in messages[1:]:
    post(f"/REST/1.0/ticket/{ticket}/comment", f"id: {ticket}\nAction: correspond\n" + field("Text", message))
# A line of the last mail, to find on the page: the history is there.
probe = max((line.strip() for line in messages[-1].splitlines() if not set("&<>\"'") & set(line)), key=len)[:20]
print(ticket, len(messages), probe)
PY
        if ! read -r rt_ticket rt_messages rt_probe < <(python3 "$rt/ticket.py" "http://127.0.0.1:$rport" "$seed_thread" 2>"$rt/ticket.log"); then
            rt_problem="the seed thread could not be made a ticket: $(tail -1 "$rt/ticket.log")"
        fi
    fi
    unset RT_SITE_CONFIG RT_SITE_CONFIG_DIR
fi
if [ -z "$rt_problem" ]; then
    rbase="http://127.0.0.1:$rport"
    curl -s -c "$rt/jar" -o /dev/null -d "user=root&pass=password" "$rbase/NoAuth/Login.html"
    rt_cookie="Cookie: $(awk '$6 ~ /^RT_SID_/ {print $6 "=" $7}' "$rt/jar")"
    if check_page "$rbase/Ticket/Display.html?id=$rt_ticket" "$rt_cookie" "$rt_probe" "RT's ticket page"; then
        IFS='|' read -r rp50 rp99 rrps rbad <<<"$(measure "$rbase/Ticket/Display.html?id=$rt_ticket" "$rt_cookie")"
        # rt-server preforks workers: the largest process's peak, and how many there are.
        rt_procs=$(pgrep -g "$rt_pid" || true)
        rt_rss=$(for p in $rt_procs; do peak_rss_mb "$p" 2>/dev/null || true; echo; done | sort -n | tail -1)
        rt_count=$(echo "$rt_procs" | wc -w)
    else
        rt_problem="its ticket page, signed in as root, did not show the seed thread (answered $(head -c 200 "$tmp/check.html" | tr '\n' ' '))"
    fi
    kill -- "-$rt_pid" 2>/dev/null || true; rt_pid=""
fi

{
    echo "# Web benchmark"
    echo
    echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, casebook $(git -C "$root" rev-parse --short HEAD), $(wrk --version 2>&1 | head -1 | awk '{print $1, $2}'), $(nginx -v 2>&1 | sed 's/.*: //')${rt_version:+, Request Tracker $rt_version}"
    echo
    echo "Stores: $cases cases with $entries timeline entries: gen_corpus.py --messages $messages (seed 1) imported, then synthetic history from \`cargo xtask bench-load\`."
    echo "wrk -t2 -c$connections -d$duration --timeout 10s on loopback, signed in."
    echo
    echo "| server | page | p50 ms | p99 ms | requests/s | non-2xx or errors | vs nginx static | server peak RSS MB |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|"
    while IFS='|' read -r backend name p50 p99 rps bad rss; do
        echo "| casebook ($backend) | $name | $p50 | $p99 | $rps | $bad | $(percent "$rps" "$nrps") | $rss |"
    done <"$tmp/rows"
    echo "| nginx (static copy of the case page) | case page | $np50 | $np99 | $nrps | $nbad | 100% | |"
    if [ -z "$rt_problem" ]; then
        echo "| Request Tracker $rt_version (SQLite, rt-server) | ticket page ($rt_messages messages) | $rp50 | $rp99 | $rrps | $rbad | $(percent "$rrps" "$nrps") | $rt_rss ($rt_count processes, largest) |"
    fi
    echo
    echo "Loads:"
    cat "$tmp/loads"
    echo
    echo "Goals (case page):"
    python3 - "$tmp/rows" "$nrps" "${rrps:-}" <<'PY'
import sys
rows, nginx, rt = sys.argv[1], float(sys.argv[2]), sys.argv[3]
def verdict(ok):
    return "met" if ok else "NOT met"
backends = {}
for line in open(rows):
    backend, name, p50, p99, rps, bad, rss = line.rstrip("\n").split("|")
    entry = backends.setdefault(backend, {"rss": 0})
    entry["rss"] = max(entry["rss"], int(rss))
    if name.startswith("case page"):
        entry.update(p99=float(p99), rps=float(rps))
for backend, b in backends.items():
    parts = [f"{100 * b['rps'] / nginx:.3g}% of nginx's static copy (goal at least 1/3: {verdict(b['rps'] * 3 >= nginx)})"]
    if rt:
        parts.append(f"{b['rps'] / float(rt):,.0f}x RT's ticket page (goal at least 50x: {verdict(b['rps'] >= 50 * float(rt))})")
    else:
        parts.append("RT's ticket page not measured (see below)")
    parts.append(f"server peak RSS {b['rss']} MB (goal under 300 MB: {verdict(b['rss'] < 300)})")
    parts.append(f"p99 {b['p99']:.2f} ms at {b['rps']:,.0f} requests/s (goal under 20 ms at 2,000 requests/s or more: "
                 f"{verdict(b['p99'] < 20 and b['rps'] >= 2000)})")
    print(f"- {backend}: " + "; ".join(parts) + ".")
PY
    echo
    if [ -z "$rt_problem" ]; then
        echo "RT's ticket holds the seed thread ($rt_messages messages, history shown on the page); Casebook's case page is the corpus's largest case ($case_entries entries), so RT's page is the lighter one."
    else
        echo "Request Tracker 5 was not measured: $rt_problem."
    fi
} >"$out"
cat "$out"
