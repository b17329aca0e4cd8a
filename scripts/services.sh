#!/usr/bin/env bash
# Starts and stops the system services the tests use. Sourced by scripts/test.sh.
#   pcscd with the vsmartcard vpcd virtual reader: the real PC/SC stack for the card tests.
_services_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck disable=SC1091
source "$_services_dir/pcsc.sh"

start_services() { start_pcsc; }
stop_services() { stop_pcsc || true; }
