#!/usr/bin/env bash
# Sets everything up, runs the checks (import contracts, ruff, mypy) and the whole test suite:
# the one command CI runs (.ci/run).
#   scripts/test.sh [extra pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# shellcheck disable=SC1091
source scripts/services.sh
start_services
trap stop_services EXIT
export QT_QPA_PLATFORM=offscreen
echo "== architecture contracts (import-linter)"
.venv/bin/lint-imports
echo "== lint (ruff)"
.venv/bin/ruff check .
echo "== types (mypy)"
.venv/bin/mypy
echo "== tests"
.venv/bin/python -m pytest -p no:cacheprovider -q -rs "$@"
