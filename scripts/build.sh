#!/usr/bin/env bash
# Builds the web UI and every Rust target once, in the debug profile that the tests and the demo share.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
(cd ui && npm run --silent build)
cargo build --workspace --all-targets --locked
