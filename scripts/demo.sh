#!/usr/bin/env bash
# Builds casebook and serves it on its embedded defaults (SQLite in ./casebook-data) with demo data:
# the model case from ../shared/seed when it is there, forty more cases, and one login per role.
set -euo pipefail
cd "$(dirname "$0")/.."
seed="${CASEBOOK_SHARED_DIR:-../shared}/seed/CAS-03865-H7P3F1.txt"
cargo build --release --locked --bin casebook
exec ./target/release/casebook serve --demo --seed "$seed" "$@"
