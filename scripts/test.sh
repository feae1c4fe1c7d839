#!/usr/bin/env bash
# Runs every test: unit, property, integration (SQLite and a throwaway PostgreSQL cluster),
# the CLI end to end, and the corpora smoke test. Installs what the tests need when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v cargo >/dev/null || { echo "cargo is missing: install the Rust toolchain (rustup) first" >&2; exit 1; }
command -v cc >/dev/null || missing+=(build-essential)
command -v python3 >/dev/null || missing+=(python3)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
# The browser tests: Debian's Chromium and its driver, and a font with Chinese glyphs for screenshots.
command -v chromium >/dev/null || missing+=(chromium)
command -v chromedriver >/dev/null || missing+=(chromium-driver)
command -v npm >/dev/null || missing+=(npm)
fc-list 2>/dev/null | grep -qi "wenquanyi\|noto sans cjk" || missing+=(fonts-wqy-microhei)
# The mail tests: Dovecot as IMAP server and delivery agent, Postfix's smtp-sink capturing what
# Casebook sends, and Postfix itself for the relay test.
[ -x /usr/sbin/dovecot ] || missing+=(dovecot-imapd)
[ -x /usr/lib/dovecot/lmtp ] || missing+=(dovecot-lmtpd)
command -v smtp-sink >/dev/null || [ -x /usr/sbin/smtp-sink ] || missing+=(postfix)
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "the tests need: ${missing[*]}; install them (sudo apt-get install -y ${missing[*]}) and run again" >&2
        exit 1
    fi
    echo "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # Postfix asks how to configure itself: not at all (the tests write their own configuration).
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [ ! -d "${CASEBOOK_SHARED_DIR:-../shared}" ]; then
    echo "the shared test data is missing at ${CASEBOOK_SHARED_DIR:-../shared}; set CASEBOOK_SHARED_DIR" >&2
    exit 1
fi

# axe-core for the accessibility checks, from the npm registry at the version the lock file names.
if [ ! -f crates/web/tests/browser/js/node_modules/axe-core/axe.min.js ]; then
    (cd crates/web/tests/browser/js && npm ci --no-audit --no-fund --loglevel=error)
fi

# A run from scratch gains nothing from incremental state, which would double the build on disk.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked
# The OpenAPI document against the running server (the binary the tests just built).
./scripts/schemathesis.sh
