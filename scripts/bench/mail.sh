#!/usr/bin/env bash
# Mail benchmark: BENCH_MAIL_MESSAGES (default 10000) messages of the generated support mailbox
# (../shared/bench/gen_corpus.py) delivered to `casebook serve --lmtp` on loopback with 1 and
# with 8 connections at once (one LMTP transaction per message, as a mail server delivers),
# into a fresh SQLite store each time: accepted messages per second and the time to accept. A
# message is accepted only once it is stored durably and placed on its case, so "all on their
# cases" is the end of the run. The ceiling in the same run: Dovecot's own LMTP delivery of the
# same messages into a Maildir with fsync (mail_fsync = always).
# Then as many replies are queued and sent to Postfix's smtp-sink, beside smtp-source's own rate
# into the same sink (8 sessions, messages of the replies' size).
# Goals on a 2-core machine: LMTP at least Dovecot's rate (ratio >= 1.0) and >= 2000 msg/s with 8
# connections; outbound at least 80% of smtp-source's rate. Figures go to BENCH_OUT (default
# target/bench/mail.md). Never run by CI.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
n=${BENCH_MAIL_MESSAGES:-10000}
out=${BENCH_OUT:-$root/target/bench/mail.md}
mkdir -p "$(dirname "$out")"
for tool in /usr/sbin/dovecot smtp-sink smtp-source; do
    command -v "$tool" >/dev/null || { echo "install dovecot-imapd dovecot-lmtpd postfix first" >&2; exit 1; }
done
cargo build --release --locked --bin casebook --bin xtask
casebook=$root/target/release/casebook
xtask=$root/target/release/xtask
tmp=$(mktemp -d /tmp/casebook-bench-mail.XXXXXX)
chmod 755 "$tmp"
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 200); do (echo >/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.05; done; echo "nothing on port $1" >&2; exit 1; }
peak_mib() { awk '/VmHWM/ {printf "%.0f", $2/1024}' "/proc/$1/status"; }
field() { python3 -c "import json,sys; print(round(json.load(open(sys.argv[1]))[sys.argv[2]], 1))" "$1" "$2"; }

python3 ../shared/bench/gen_corpus.py --messages "$n" --cases $((n / 8)) --out "$tmp/corpus" --format eml --seed 7 >/dev/null
corpus=$tmp/corpus/mail
export CASEBOOK_INTAKE_ADDRESSES=support@cmgos.com CASEBOOK_SENDER_AUTH=off CASEBOOK_LANG=en
unset CASEBOOK_DATABASE_URL

start_casebook() { # data dir, lmtp port, extra env…
    local data=$1 lmtp=$2 web
    shift 2
    web=$(port)
    env "$@" "$casebook" --data-dir "$data" serve --listen "127.0.0.1:$web" --lmtp "127.0.0.1:$lmtp" >"$data.log" 2>&1 &
    pids+=($!)
    server=$!
    wait_port "$lmtp"
}

for c in 1 8; do
    data=$tmp/data-$c
    "$casebook" --data-dir "$data" org add CMGOS --domain cmgos.com --staff --json >/dev/null
    lmtp=$(port)
    start_casebook "$data" "$lmtp"
    "$xtask" bench-mail lmtp --port "$lmtp" --dir "$corpus" --connections "$c" >"$tmp/casebook-$c.json"
    echo "$(peak_mib "$server")" >"$tmp/casebook-$c.rss"
    kill "$server"; wait "$server" 2>/dev/null || true
    "$casebook" --data-dir "$data" stats --json >"$tmp/stats-$c.json"
done

# Dovecot, unprivileged, delivering into a Maildir with fsync.
dv=$tmp/dovecot
mkdir -p "$dv"/{run,state,mail,home}
user=$(id -un); group=$(id -gn); uid=$(id -u); gid=$(id -g)
if [ "$uid" -eq 0 ]; then user=nobody; group=nogroup; uid=65534; gid=65534; fi
dport=$(port); iport=$(port)
cat >"$dv/dovecot.conf" <<CONF
base_dir = $dv/run
state_dir = $dv/state
log_path = $dv/dovecot.log
protocols = lmtp imap
listen = 127.0.0.1
ssl = no
mail_location = maildir:$dv/mail/%u
mail_fsync = always
default_internal_user = $user
default_internal_group = $group
default_login_user = $user
passdb {
  driver = static
  args = nopassword=y
}
userdb {
  driver = static
  args = uid=$uid gid=$gid home=$dv/home/%u
}
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = $iport
  }
  inet_listener imaps {
    port = 0
  }
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = $dport
  }
  unix_listener lmtp {
    mode = 0600
  }
}
service anvil {
  chroot =
}
protocol lmtp {
  postmaster_address = postmaster@test.example
}
CONF
as_user=()
if [ "$(id -u)" -eq 0 ]; then chown -R nobody:nogroup "$dv"; as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups); fi
"${as_user[@]}" /usr/sbin/dovecot -F -c "$dv/dovecot.conf" &
pids+=($!)
wait_port "$dport"
for c in 1 8; do
    "$xtask" bench-mail lmtp --port "$dport" --dir "$corpus" --connections "$c" --rcpt "support$c" >"$tmp/dovecot-$c.json"
done

# Outbound: replies queued on the 8-connection store, then sent to smtp-sink.
data=$tmp/data-8
"$xtask" bench-mail queue --data-dir "$data" --count "$n" >"$tmp/queued.json"
sink=$(port)
sink_user=()
if [ "$(id -u)" -eq 0 ]; then sink_user=(-u nobody); fi
smtp-sink "${sink_user[@]}" "127.0.0.1:$sink" 256 &
pids+=($!)
wait_port "$sink"
lmtp=$(port)
start_casebook "$data" "$lmtp" CASEBOOK_SMTP_URL="smtp://127.0.0.1:$sink"
total=$("$casebook" --data-dir "$data" outbox list --limit 1000000 --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["messages"]))')
"$xtask" bench-mail wait-sent --data-dir "$data" --count "$total" >"$tmp/sent.json"
echo "$(peak_mib "$server")" >"$tmp/sent.rss"
size=1600 # bytes, about a rendered reply
start=$(date +%s.%N)
smtp-source -s 8 -m "$total" -l "$size" -f bench@cmgos.com -t partner@acer.com "127.0.0.1:$sink"
source_s=$(python3 -c "import time; print(time.time() - $start)")

c1=$(field "$tmp/casebook-1.json" per_second); c8=$(field "$tmp/casebook-8.json" per_second)
d1=$(field "$tmp/dovecot-1.json" per_second); d8=$(field "$tmp/dovecot-8.json" per_second)
sent=$(field "$tmp/sent.json" per_second)
source_rate=$(python3 -c "print(round($total / $source_s, 1))")
ratio() { python3 -c "print(round($1 / $2, 2))"; }
{
    echo "# Mail benchmark ($(date -u +%Y-%m-%d), $n messages, $(nproc) cores)"
    echo
    echo "| delivery | connections | Casebook msg/s | p50 ms | p99 ms | server peak MiB | Dovecot msg/s (fsync) | ratio |"
    echo "|---|---|---|---|---|---|---|---|"
    for c in 1 8; do
        r=$(field "$tmp/casebook-$c.json" per_second); d=$(field "$tmp/dovecot-$c.json" per_second)
        echo "| LMTP | $c | $r | $(field "$tmp/casebook-$c.json" p50_ms) | $(field "$tmp/casebook-$c.json" p99_ms) | $(cat "$tmp/casebook-$c.rss") | $d | $(ratio "$r" "$d") |"
    done
    echo
    echo "All on their cases at the end of each run (stats, 8 connections): $(python3 -c "import json; s=json.load(open('$tmp/stats-8.json')); print(f\"received {s['received']}, messages {s['messages']}, quarantined {s['quarantined']}, duplicates {s['duplicates']}\")")."
    echo
    echo "| outbound | messages | Casebook msg/s | server peak MiB | smtp-source msg/s | ratio |"
    echo "|---|---|---|---|---|---|"
    echo "| SMTP to smtp-sink | $total | $sent | $(cat "$tmp/sent.rss") | $source_rate | $(ratio "$sent" "$source_rate") |"
} >"$out"
cat "$out"
