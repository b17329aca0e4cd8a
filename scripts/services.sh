#!/usr/bin/env bash
# Starts and stops the system services the tests use. Sourced by scripts/test.sh.
#   pcscd with the vsmartcard vpcd virtual reader: the real PC/SC stack for the card tests;
#   cupsd with a cups-pdf queue: the real print spooler for the printing tests;
#   PostgreSQL in a throw-away cluster: the back office's database for the sync tests
#   (exports ONEVISIT_TEST_PG_URL).
_services_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck disable=SC1091
source "$_services_dir/pcsc.sh"
# shellcheck disable=SC1091
source "$_services_dir/cups.sh"
# shellcheck disable=SC1091
source "$_services_dir/postgres.sh"

start_services() { start_pcsc && start_cups && start_postgres; }
stop_services() { stop_pcsc || true; stop_cups || true; stop_postgres || true; }
