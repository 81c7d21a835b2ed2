#!/usr/bin/env bash
# Runs every benchmark in full on a release build and writes bench/results.json and BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"
(cd ui && npm run --silent build)
cargo build --release --locked -p vigil-desktop -p vigil-cli -p vigil-e2e --bins
# The web process's extension (a shared object beside vigil-desktop, which loads it).
cargo build --release --locked -p vigil-web-extension
cargo build --release --locked -p vigil-desktop --example empty_window
target/release/vigil-intake-bench --vigil target/release/vigil --out bench
target/release/vigil-patrol-bench --vigil target/release/vigil --out bench
target/release/vigil-sync-bench --vigil target/release/vigil --out bench
VIGIL_SCREEN=1600x1000x24 scripts/headless.sh target/release/vigil-map-bench --vigil target/release/vigil --desktop target/release/vigil-desktop --out bench
VIGIL_SCREEN=1600x1000x24 scripts/headless.sh target/release/vigil-alarm-bench --vigil target/release/vigil --desktop target/release/vigil-desktop --out bench
# The window's own cost: each state for 60 s, the intake storm with alarms flashing, then a
# 30-minute soak of a busy shift (VIGIL_SOAK_MINUTES to change it).
VIGIL_SCREEN=1600x1000x24 scripts/headless.sh target/release/vigil-console-bench --vigil target/release/vigil --desktop target/release/vigil-desktop \
  --empty-window target/release/examples/empty_window --out bench --soak-minutes "${VIGIL_SOAK_MINUTES:-30}"
