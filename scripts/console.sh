#!/usr/bin/env bash
# Sets up this machine, builds Vigil and opens the console on the demo hospital.
#   scripts/console.sh [DATA_DIR]     (default: ~/.local/share/vigil-demo)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
export PATH="$HOME/.cargo/bin:$PATH"
DATA_DIR="${1:-${VIGIL_DATA_DIR:-$HOME/.local/share/vigil-demo}}"
export VIGIL_DATA_DIR="$DATA_DIR" VIGIL_DEMO=1
echo "Vigil: data in $DATA_DIR; demo accounts demo-operator / demo-supervisor / demo-admin, PIN 2468"
if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  echo "No display found: running under Xvfb (screen :99); take a screenshot with 'DISPLAY=:99 import -window root shot.png'"
  exec xvfb-run -n 99 -s "-screen 0 1440x900x24" dbus-run-session -- target/debug/vigil-desktop
fi
exec target/debug/vigil-desktop
