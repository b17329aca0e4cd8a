#!/usr/bin/env bash
# Sets up everything OneVisit Kiosk needs on a Debian machine, idempotently:
#   1. Debian packages (PC/SC stack with the vpcd virtual reader, CUPS with the PDF printer,
#      Xvfb, poppler-utils, a CJK font, PostgreSQL, headless Chromium with its driver) when running
#      as root and something is missing;
#   2. a virtual environment in .venv with the pinned Python dependencies and the project itself.
# Usage: scripts/setup.sh            (idempotent; safe to run again)
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  pcscd vsmartcard-vpcd libpcsclite-dev swig     # real PC/SC stack + the virtual reader for tests
  cups printer-driver-cups-pdf                   # real print spooler with a PDF printer
  xvfb poppler-utils                             # virtual display, pdftotext/pdftoppm (pdftoppm also rasters receipts for ESC/POS printers)
  fonts-wqy-microhei                             # CJK glyphs for the UI and embedded in receipts
  postgresql                                     # the back office's production database, for its tests
  chromium chromium-driver                       # the officials' pages tested in a real, headless browser
  libegl1 libgl1 libxkbcommon0 libfontconfig1 libdbus-1-3 libxkbcommon-x11-0 libxcb-cursor0   # Qt, offscreen and xcb
  libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 libxcb-shape0 libxcb-randr0 libxcb-xinerama0 libxcb-xkb1
  espeak-ng alsa-utils                           # the voice: offline Mandarin/English speech, played with aplay
  libpinyin15 libpinyin-data                     # Pinyin input candidates (ctypes, kiosk/devices/input_engines/)
  libzinnia0 tegaki-zinnia-simplified-chinese    # handwriting recognition and its simplified-Chinese model
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "setup: installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: missing Debian packages (run as root or install them): ${missing[*]}" >&2
  fi
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.requirements.sha256
want=$(cat requirements.txt requirements-dev.txt pyproject.toml | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -r requirements-dev.txt
  # face_recognition pins dlib, which would compile for a long time; dlib-bin provides it.
  .venv/bin/python -m pip install -q --no-deps face-recognition==1.3.0
  .venv/bin/python -m pip install -q --no-deps -e .
  echo "$want" > "$stamp"
fi
# The vendor-SDK reader and WLT decoder test doubles (C, loaded by the tests with ctypes).
testkit/termb_double/build.sh >/dev/null
echo "setup: ready (.venv, .build/termb_double)"
