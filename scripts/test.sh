#!/usr/bin/env bash
# Sets up what is missing, builds once, and runs every test: Rust unit and integration tests, the
# front end's Vitest suite, the end-to-end tests on the real window under Xvfb, and a short
# benchmark smoke run (the full benchmarks are scripts/bench.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
stage() { printf '\n\033[1;34m== %s (%ss)\033[0m\n' "$*" "$(( $(date +%s) - started ))"; }

stage "setup"
scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"

stage "formatting"
cargo fmt --all -- --check || { echo "run 'cargo fmt --all'" >&2; exit 1; }

stage "build (debug, once)"
scripts/build.sh

stage "Rust tests"
cargo nextest run --workspace --no-fail-fast -E 'not package(vigil-e2e)'
cargo test --quiet --doc -p vigil-dc09

stage "front-end tests (Vitest)"
(cd ui && npx --no-install vitest run)

stage "end-to-end: the real window (Xvfb, tauri-driver, WebKitWebDriver), DC-09 peers, kill -9"
xvfb-run -a -s "-screen 0 1440x900x24" dbus-run-session -- \
  cargo nextest run --workspace --no-fail-fast -E 'package(vigil-e2e)' --test-threads 1

stage "benchmark smoke run (bounded)"
xvfb-run -a -s "-screen 0 1440x900x24" dbus-run-session -- \
  target/debug/vigil-map-bench --quick --out target/bench-smoke

stage "done"
