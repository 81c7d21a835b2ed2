#!/usr/bin/env bash
# Runs a command the way the tests and benchmarks drive the real window: on a virtual X display of
# its own (Xvfb, VIGIL_SCREEN or 1440x900x24) inside a private D-Bus session that starts no
# services (headless-bus.conf), with GTK's accessibility bridge off.
#   scripts/headless.sh target/debug/vigil-map-bench --quick --out target/bench-smoke
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export NO_AT_BRIDGE=1 GTK_A11Y=none
exec xvfb-run -a -s "-screen 0 ${VIGIL_SCREEN:-1440x900x24}" \
  dbus-run-session --config-file="$here/headless-bus.conf" -- "$@"
