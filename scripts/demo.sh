#!/usr/bin/env bash
# Builds casebook, imports the model case into ./casebook-data (SQLite, the embedded default) and shows it.
set -euo pipefail
cd "$(dirname "$0")/.."
seed="${CASEBOOK_SHARED_DIR:-../shared}/seed/CAS-03865-H7P3F1.txt"
data="${CASEBOOK_DATA_DIR:-./casebook-data}"
cargo build --release --locked --bin casebook
# The customer and the vendor's own organization, so the timeline knows who may read what.
./target/release/casebook --data-dir "$data" org add Acer --domain acer.com >/dev/null
./target/release/casebook --data-dir "$data" org add CMGOS --domain cmgos.com --staff >/dev/null
./target/release/casebook --data-dir "$data" import "$seed"
./target/release/casebook --data-dir "$data" case show CAS-03865-H7P3F1
