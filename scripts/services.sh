#!/usr/bin/env bash
# Starts and stops the system services the tests use. Sourced by scripts/test.sh.
# Later issues add pcscd+vpcd (card reader) and cupsd (printer) here.
start_services() { :; }
stop_services() { :; }
