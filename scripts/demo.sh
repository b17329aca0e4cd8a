#!/usr/bin/env bash
# Sets up (idempotently) and starts the kiosk in demo mode: simulated card reader, camera and
# printer, local SQLite, and a local back office on 127.0.0.1 in the same process
# (--with-backoffice) that the kiosk syncs to. Extra arguments go to main.py, e.g. --autopilot --offscreen.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ] && [[ " $* " != *" --offscreen "* ]]; then
  echo "demo: no display found; starting a virtual one (Xvfb). Use --offscreen --autopilot for a headless run."
  exec xvfb-run -a -s "-screen 0 1280x900x24" .venv/bin/python main.py --simulate --with-backoffice "$@"
fi
exec .venv/bin/python main.py --simulate --with-backoffice "$@"
