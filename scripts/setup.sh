#!/usr/bin/env bash
# Installs what Vigil needs on a fresh Debian 12 / Ubuntu 22.04+ machine, skipping what is there:
# system packages (WebKitGTK, Xvfb, WebKitWebDriver, D-Bus, fonts, PostgreSQL for the server's
# tests), Rust, tauri-driver, npm packages.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\033[1;34m[setup]\033[0m %s\n' "$*"; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

PACKAGES=(
  build-essential pkg-config curl file ca-certificates
  libwebkit2gtk-4.1-dev libssl-dev libasound2-dev
  xvfb webkit2gtk-driver dbus dbus-x11 x11-utils imagemagick
  fonts-wqy-microhei sqlite3 python3 python3-venv faketime poppler-utils postgresql
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing system packages: ${missing[*]}"
  # The tests start PostgreSQL clusters of their own; installing the package must not create and
  # start the system's "main" cluster as a service. A drop-in, read by the package's own
  # createcluster.conf, says so without touching a file the package owns.
  if [[ " ${missing[*]} " == *" postgresql "* ]]; then
    as_root mkdir -p /etc/postgresql-common/createcluster.d
    echo "create_main_cluster = false" | as_root tee /etc/postgresql-common/createcluster.d/vigil-tests.conf >/dev/null
  fi
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null 2>&1 && [ -x "$HOME/.cargo/bin/cargo" ]; then
  export PATH="$HOME/.cargo/bin:$PATH"
fi
if ! command -v cargo >/dev/null 2>&1; then
  log "installing Rust (rustup, stable)"
  curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal
  export PATH="$HOME/.cargo/bin:$PATH"
fi

if ! command -v node >/dev/null 2>&1 || [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
  log "Node.js 20 or newer is needed for the web UI (found: $(node --version 2>/dev/null || echo none))"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null || true
  if [ "$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)" -lt 20 ]; then
    echo "setup: install Node.js 20+ (e.g. from your distribution's backports) and run this again" >&2
    exit 1
  fi
fi

if [ ! -x "$HOME/.cargo/bin/tauri-driver" ] && ! command -v tauri-driver >/dev/null 2>&1; then
  log "installing tauri-driver"
  cargo install tauri-driver --locked --version '^2' --quiet
fi

if ! cargo fuzz --version >/dev/null 2>&1; then
  log "installing cargo-fuzz"
  cargo install cargo-fuzz --locked --quiet
fi

if [ ! -d ui/node_modules ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
  log "installing npm packages"
  # `npm ci` is stricter, but refuses a lock file without other platforms' optional packages, which
  # registry mirrors that carry only this platform's produce; `npm install` keeps to the lock file.
  (cd ui && npm install --no-audit --no-fund --loglevel=error)
fi
# Independent DC-09 implementations the interop tests talk to (PyPI, pinned, in a venv of ours).
if ! .venv/bin/python -c "import siadc09, my_dc09_spt, pysiaalarm" >/dev/null 2>&1; then
  log "installing the DC-09 peers for the interop tests into .venv"
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check siadc09==1.0.1 my-dc09-spt==0.2.2 pysiaalarm==3.2.2
fi

log "ready"
