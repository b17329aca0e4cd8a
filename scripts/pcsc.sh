#!/usr/bin/env bash
# PC/SC for the card tests: pcscd with the vsmartcard vpcd virtual reader.
# Sourced by scripts/services.sh (and usable by hand):
#   source scripts/pcsc.sh; start_pcsc; ...; stop_pcsc
#
# Debian's vsmartcard-vpcd installs /etc/reader.conf.d/vpcd (DEVICENAME /dev/null:0x8C7B, i.e. the
# reader listens on 127.0.0.1:35963 for a virtual card); pcscd loads it at start, so its readers
# ("Virtual PCD 00 00", "Virtual PCD 00 01") appear as soon as pcscd is up. There is no systemd in
# the container, so pcscd runs in the foreground (-f), detached with setsid, logging to a file.
#
# Environment:
#   PCSC_LOG      log file (default: /tmp/onevisit-pcscd.log)
#   PCSC_TIMEOUT  seconds to wait for the vpcd reader (default: 15)
#   PCSC_PYTHON   a Python with pyscard (default: .venv/bin/python of this checkout)

_pcsc_root() { cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd; }

# True once pyscard lists a vpcd reader.
pcsc_ready() {
  local py=${PCSC_PYTHON:-"$(_pcsc_root)/.venv/bin/python"}
  "$py" - <<'EOF' 2>/dev/null
import sys
from smartcard.System import readers
sys.exit(0 if any("Virtual PCD" in str(r) for r in readers()) else 1)
EOF
}

start_pcsc() {
  local log=${PCSC_LOG:-/tmp/onevisit-pcscd.log} timeout=${PCSC_TIMEOUT:-15}
  if pcsc_ready; then
    echo "pcsc: pcscd already running with the vpcd reader"
    return 0
  fi
  if ! command -v pcscd >/dev/null; then
    echo "pcsc: pcscd is not installed (apt-get install pcscd vsmartcard-vpcd)" >&2
    return 1
  fi
  if [ ! -f /etc/reader.conf.d/vpcd ]; then
    echo "pcsc: /etc/reader.conf.d/vpcd missing (apt-get install vsmartcard-vpcd)" >&2
    return 1
  fi
  if pgrep -x pcscd >/dev/null; then
    # A pcscd without the vpcd reader (started before vsmartcard-vpcd was installed): ask it to
    # rescan; if that does not help, the caller must restart it (we never kill what we did not start).
    pcscd --hotplug >/dev/null 2>&1 || true
  else
    mkdir -p /run/pcscd
    setsid pcscd --foreground --info >>"$log" 2>&1 < /dev/null &
    echo $! > /tmp/onevisit-pcscd.pid
  fi
  local waited=0
  while ! pcsc_ready; do
    if [ "$waited" -ge $((timeout * 5)) ]; then
      echo "pcsc: the vpcd reader did not appear within ${timeout}s; see $log" >&2
      return 1
    fi
    sleep 0.2
    waited=$((waited + 1))
  done
  echo "pcsc: pcscd ready with the vpcd reader (log: $log)"
}

stop_pcsc() {
  local pidfile=/tmp/onevisit-pcscd.pid
  [ -f "$pidfile" ] || return 0
  local pid
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 25); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  fi
  rm -f "$pidfile"
}
