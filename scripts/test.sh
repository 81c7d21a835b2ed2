#!/usr/bin/env bash
# Sets up what is missing, builds once, and runs every test: Rust unit and integration tests, the
# front end's Vitest suite, the end-to-end tests on the real window under Xvfb, and a short
# benchmark smoke run (the full benchmarks are scripts/bench.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
current_stage=""
stage() { current_stage="$*"; printf '\n\033[1;34m== %s (%ss)\033[0m\n' "$*" "$(( $(date +%s) - started ))"; }
# CI shows only the end of what a run printed, so a failure's last words say where it stopped, and
# nextest repeats a failing test's output after its summary.
export NEXTEST_FAILURE_OUTPUT=immediate-final
cleanups=()
finish() {
  local status=$?
  for c in "${cleanups[@]}"; do eval "$c"; done
  if [ "$status" -ne 0 ]; then
    printf '\n\033[1;31m== FAILED in stage "%s" after %ss (exit %s)\033[0m\n' \
      "$current_stage" "$(( $(date +%s) - started ))" "$status" >&2
  fi
}
trap finish EXIT

stage "setup"
scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"

# One PostgreSQL server for the whole run, of the tests' own (tests/postgres): each test makes a
# database of its own in it. Stopped however the run ends.
stage "PostgreSQL for the server's tests"
pg_dir=$(mktemp -d)
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$pg_bin/initdb" ] || { echo "PostgreSQL's server binaries are missing (scripts/setup.sh installs them)" >&2; exit 1; }
pg_as=()
if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$pg_dir"; pg_as=(runuser -u postgres --); fi
pg_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"${pg_as[@]}" "$pg_bin/initdb" -D "$pg_dir/data" -U postgres --auth=trust --encoding=UTF8 --locale=C --no-sync >/dev/null
"${pg_as[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/postgres.log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $pg_port -k $pg_dir -c max_connections=300" start >/dev/null
cleanups+=('"${pg_as[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1; rm -rf "$pg_dir"')
export VIGIL_TEST_POSTGRES="postgres://postgres@127.0.0.1:$pg_port/postgres"
echo "PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$pg_port"

stage "formatting"
cargo fmt --all -- --check || { echo "run 'cargo fmt --all'" >&2; exit 1; }

stage "build (debug, once)"
scripts/build.sh

stage "clippy (warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

stage "Rust tests"
cargo nextest run --workspace --no-fail-fast -E 'not package(vigil-e2e)'
cargo test --quiet --doc -p vigil-dc09

stage "front-end tests (Vitest)"
(cd ui && npx --no-install vitest run)

stage "end-to-end: the real window (Xvfb, tauri-driver, WebKitWebDriver), DC-09 peers, kill -9"
scripts/headless.sh cargo nextest run --workspace --no-fail-fast -E 'package(vigil-e2e)' --test-threads 1

stage "fuzzing the DC-09 codec (bounded)"
# cargo fuzz needs sanitizer flags of a nightly compiler; only the stable toolchain is installed,
# and RUSTC_BOOTSTRAP lets it accept them for this build alone. A fuzzer that does not build, does
# not run, or finds a crash fails the stage.
corpus=$(mktemp -d)
fuzz_log=$(mktemp)
if ! (cd crates/vigil-dc09/fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run decode "$corpus" corpus/decode -- \
  -max_total_time="${VIGIL_FUZZ_SECONDS:-60}" -print_final_stats=1) >"$fuzz_log" 2>&1; then
  tail -n 60 "$fuzz_log" >&2
  echo "the fuzzer failed to build, failed to run or found a crash (crates/vigil-dc09/fuzz/artifacts/decode)" >&2
  exit 1
fi
grep -E "^(Done|stat::number_of_executed_units)" "$fuzz_log"
grep -q "^Done [0-9]* runs" "$fuzz_log" || { tail -n 30 "$fuzz_log" >&2; echo "the fuzzer did not report its runs" >&2; exit 1; }
test -z "$(ls crates/vigil-dc09/fuzz/artifacts/decode 2>/dev/null)" || { echo "the fuzzer found a crash: crates/vigil-dc09/fuzz/artifacts/decode" >&2; exit 1; }
rm -rf "$corpus" "$fuzz_log"

stage "benchmark smoke runs (bounded)"
scripts/headless.sh target/debug/vigil-map-bench --quick --out target/bench-smoke
scripts/headless.sh target/debug/vigil-alarm-bench --quick --out target/bench-smoke
scripts/headless.sh target/debug/vigil-console-bench --quick --out target/bench-smoke --soak-minutes 1.5
target/debug/vigil-intake-bench --quick --out target/bench-smoke
target/debug/vigil-patrol-bench --quick --out target/bench-smoke
target/debug/vigil-sync-bench --quick --out target/bench-smoke

stage "done"
