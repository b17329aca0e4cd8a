#!/usr/bin/env bash
# CUPS for the printing tests (and for a kiosk box without systemd): cupsd plus a cups-pdf queue.
# Sourced by scripts/services.sh (and usable by hand, as root):
#   source scripts/cups.sh; start_cups; ...; stop_cups
#
# start_cups (idempotent, safe to run again):
#   1. writes /etc/cups/cups-pdf-onevisit.conf, the configuration cups-pdf reads for the device URI
#      cups-pdf:/onevisit (so the system-wide /etc/cups/cups-pdf.conf is left alone): every PDF goes
#      to $ONEVISIT_CUPS_PDF_DIR as job_<N>-<job name>*.pdf (a reprint never overwrites), mode 0600;
#   2. starts cupsd in the foreground (-f), detached with setsid, when the scheduler is not running
#      (there is no systemd in the container), and waits for `lpstat -r` to say it is running;
#   3. creates the queue $ONEVISIT_CUPS_QUEUE on the Debian cups-pdf driver if it is missing, and
#      (every time) makes it enabled and accepting with the settings the kiosk needs: the poppler
#      pdftops renderer (keeps the receipt's text extractable) and error policy abort-job (a failed
#      receipt is reported at once instead of being retried half a minute later).
# stop_cups stops cupsd only if start_cups started it; the queue stays configured.
#
# Environment:
#   ONEVISIT_CUPS_QUEUE    queue name (default: OneVisitReceipts)
#   ONEVISIT_CUPS_PDF_DIR  where cups-pdf writes the PDFs (default: /var/spool/cups-pdf/onevisit);
#                          exported when this file is sourced
#   CUPS_LOG               log file (default: /tmp/onevisit-cups.log; cupsd's own error log stays
#                          /var/log/cups/error_log)
#   CUPS_TIMEOUT           seconds to wait for the scheduler (default: 15)

export ONEVISIT_CUPS_QUEUE=${ONEVISIT_CUPS_QUEUE:-OneVisitReceipts}
export ONEVISIT_CUPS_PDF_DIR=${ONEVISIT_CUPS_PDF_DIR:-/var/spool/cups-pdf/onevisit}

_CUPS_PIDFILE=/tmp/onevisit-cupsd.pid
_CUPS_PDF_INSTANCE=onevisit                       # device URI cups-pdf:/onevisit
_CUPS_PDF_CONF=/etc/cups/cups-pdf-$_CUPS_PDF_INSTANCE.conf
_CUPS_PDF_PPD=/usr/share/ppd/cups-pdf/CUPS-PDF_noopt.ppd

_cups_log() { echo "$(date '+%F %T') cups: $*" >>"${CUPS_LOG:-/tmp/onevisit-cups.log}"; }
_cups_say() { echo "cups: $*"; _cups_log "$*"; }
_cups_err() { echo "cups: $*" >&2; _cups_log "ERROR: $*"; }

# (No pipe into `grep -q`: under pipefail its early exit can make a running scheduler look stopped.)
cups_running() { [ "$(LC_ALL=C lpstat -r 2>/dev/null)" = "scheduler is running" ]; }

_cups_pdf_conf() {
  local want
  want="Out $ONEVISIT_CUPS_PDF_DIR
AnonDirName $ONEVISIT_CUPS_PDF_DIR
Grp lpadmin
UserUMask 0077
AnonUMask 0077
Label 2
DecodeHexStrings 1"
  if [ ! -f "$_CUPS_PDF_CONF" ] || [ "$(cat "$_CUPS_PDF_CONF")" != "$want" ]; then
    printf '%s\n' "$want" >"$_CUPS_PDF_CONF" || return 1
    _cups_log "wrote $_CUPS_PDF_CONF (Out $ONEVISIT_CUPS_PDF_DIR)"
  fi
  # Sticky and world-writable like Debian's /var/spool/cups-pdf/ANONYMOUS: cups-pdf writes as the
  # job's owner, and each file is 0600 (UserUMask), so owners cannot read each other's receipts.
  mkdir -p "$ONEVISIT_CUPS_PDF_DIR" && chmod 1777 "$ONEVISIT_CUPS_PDF_DIR"
}

_cups_start_scheduler() {
  local log=${CUPS_LOG:-/tmp/onevisit-cups.log} timeout=${CUPS_TIMEOUT:-15}
  if cups_running; then
    _cups_log "scheduler already running"
    return 0
  fi
  if pgrep -x cupsd >/dev/null; then
    _cups_log "a cupsd is running but not answering yet; waiting for it"
  else
    mkdir -p /run/cups
    setsid cupsd -f >>"$log" 2>&1 </dev/null &
    echo $! >"$_CUPS_PIDFILE"
    _cups_log "started cupsd -f (pid $!)"
  fi
  local waited=0
  until cups_running; do
    if [ "$waited" -ge $((timeout * 5)) ]; then
      _cups_err "the scheduler did not come up within ${timeout}s; see $log and /var/log/cups/error_log"
      return 1
    fi
    sleep 0.2
    waited=$((waited + 1))
  done
}

_cups_queue() {
  local queue=$ONEVISIT_CUPS_QUEUE uri="cups-pdf:/$_CUPS_PDF_INSTANCE" log=${CUPS_LOG:-/tmp/onevisit-cups.log}
  local current models model
  current=$(LC_ALL=C lpstat -v "$queue" 2>/dev/null | sed -n "s/^device for $queue: //p") || true
  if [ -n "$current" ] && [ "$current" != "$uri" ]; then
    # Someone pointed this queue at a real printer: never reconfigure what we did not create.
    _cups_err "queue $queue already exists and prints to $current, not $uri; left as it is" \
      "(set ONEVISIT_CUPS_QUEUE to another name for the PDF test queue)"
    return 1
  fi
  if [ -z "$current" ]; then
    models=$(lpinfo -m 2>>"$log") || true
    model=$(awk '$1 ~ /CUPS-PDF_noopt\.ppd$/ && !found { print $1; found = 1 }' <<<"$models")
    local driver=()
    if [ -n "$model" ]; then
      driver=(-m "$model")
    elif [ -f "$_CUPS_PDF_PPD" ]; then
      driver=(-P "$_CUPS_PDF_PPD")
    else
      _cups_err "no cups-pdf driver found (apt-get install printer-driver-cups-pdf)"
      return 1
    fi
    # lpadmin warns that PPD drivers are deprecated: true, and harmless on CUPS 2.4.
    if ! lpadmin -p "$queue" -E -v "$uri" "${driver[@]}" -D "OneVisit receipts (cups-pdf)" >>"$log" 2>&1; then
      _cups_err "lpadmin could not create the queue $queue; see $log"
      return 1
    fi
    _cups_log "created queue $queue -> $uri (${driver[*]})"
  fi
  lpadmin -p "$queue" -o pdftops-renderer-default=pdftops -o printer-error-policy=abort-job \
    -o printer-is-shared=false >>"$log" 2>&1 &&
    cupsenable "$queue" >>"$log" 2>&1 && cupsaccept "$queue" >>"$log" 2>&1
}

start_cups() {
  local log=${CUPS_LOG:-/tmp/onevisit-cups.log}
  local tool
  for tool in cupsd lpadmin lpstat lpinfo lp cupsenable cupsaccept; do
    if ! command -v "$tool" >/dev/null; then
      _cups_err "$tool is missing (apt-get install cups printer-driver-cups-pdf)"
      return 1
    fi
  done
  if [ ! -x /usr/lib/cups/backend/cups-pdf ]; then
    _cups_err "the cups-pdf backend is missing (apt-get install printer-driver-cups-pdf)"
    return 1
  fi
  _cups_pdf_conf || { _cups_err "cannot write $_CUPS_PDF_CONF or $ONEVISIT_CUPS_PDF_DIR (run as root)"; return 1; }
  _cups_start_scheduler || return 1
  _cups_queue || { _cups_err "could not set up the queue $ONEVISIT_CUPS_QUEUE; see $log"; return 1; }
  _cups_say "ready: queue $ONEVISIT_CUPS_QUEUE -> $ONEVISIT_CUPS_PDF_DIR (log: $log)"
}

stop_cups() {
  [ -f "$_CUPS_PIDFILE" ] || return 0
  local pid
  pid=$(cat "$_CUPS_PIDFILE")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 25); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    _cups_log "stopped cupsd (pid $pid)"
  fi
  rm -f "$_CUPS_PIDFILE"
}
