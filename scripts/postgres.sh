#!/usr/bin/env bash
# PostgreSQL for the back office tests, without systemd: a throw-away cluster in a temp folder,
# listening on 127.0.0.1 only, on a free port, trust authentication (loopback, test data only).
# Sourced by scripts/services.sh (and usable by hand):
#   source scripts/postgres.sh; start_postgres; ...; stop_postgres
#
# start_postgres (idempotent in one shell):
#   1. finds the newest /usr/lib/postgresql/<version>/bin (installs the Debian `postgresql`
#      package when it is missing and we are root);
#   2. initdb into $ONEVISIT_PG_DIR (default: a new /tmp/onevisit-pg.XXXXXX) as the `postgres`
#      user when running as root (PostgreSQL refuses to run as root), else as the current user;
#   3. pg_ctl start with listen_addresses=127.0.0.1, a free port, the socket in the cluster folder;
#   4. creates the database onevisit_test and exports
#      ONEVISIT_TEST_PG_URL=postgresql://postgres@127.0.0.1:<port>/onevisit_test
#      (the tests create and drop one database per test next to it).
# stop_postgres stops the cluster that start_postgres started and deletes its folder.
#
# Environment: ONEVISIT_PG_DIR (cluster folder), ONEVISIT_PG_PORT (default: a free port),
# PG_LOG (default /tmp/onevisit-postgres.log), PG_TIMEOUT (seconds to wait, default 30).

_pg_log() { echo "$(date '+%F %T') postgres: $*" >>"${PG_LOG:-/tmp/onevisit-postgres.log}"; }
_pg_say() { echo "postgres: $*"; _pg_log "$*"; }
_pg_err() { echo "postgres: $*" >&2; _pg_log "ERROR: $*"; }

_pg_bindir() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$d" ] && [ -x "$d/initdb" ] && echo "$d"
}

_pg_as() {   # run a command as the cluster owner
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

_pg_free_port() {
  python3 - <<'EOF'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
EOF
}

start_postgres() {
  local bindir port dir timeout=${PG_TIMEOUT:-30}
  if [ -n "${_ONEVISIT_PG_STARTED:-}" ] && [ -n "${ONEVISIT_TEST_PG_URL:-}" ] &&
    _pg_as "$(_pg_bindir)/pg_ctl" -D "$_ONEVISIT_PG_STARTED" status >/dev/null 2>&1; then
    _pg_say "already running: $ONEVISIT_TEST_PG_URL"
    return 0
  fi
  bindir=$(_pg_bindir)
  if [ -z "$bindir" ]; then
    if [ "$(id -u)" -eq 0 ]; then
      _pg_say "installing the Debian postgresql package"
      DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null ||
        { _pg_err "apt-get install postgresql failed"; return 1; }
      bindir=$(_pg_bindir)
    fi
    [ -n "$bindir" ] || { _pg_err "PostgreSQL server binaries not found (apt-get install postgresql)"; return 1; }
  fi
  if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
    useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres || { _pg_err "cannot create the postgres user"; return 1; }
  fi
  dir=${ONEVISIT_PG_DIR:-$(mktemp -d /tmp/onevisit-pg.XXXXXX)}
  mkdir -p "$dir"
  chmod 700 "$dir"
  [ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
  if [ ! -f "$dir/PG_VERSION" ]; then
    if ! _pg_as "$bindir/initdb" -D "$dir" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 \
      >>"${PG_LOG:-/tmp/onevisit-postgres.log}" 2>&1; then
      _pg_err "initdb failed; see ${PG_LOG:-/tmp/onevisit-postgres.log}"
      return 1
    fi
  fi
  port=${ONEVISIT_PG_PORT:-$(_pg_free_port)}
  if ! _pg_as "$bindir/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t "$timeout" \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=200" start \
    >>"${PG_LOG:-/tmp/onevisit-postgres.log}" 2>&1; then
    _pg_err "the server did not start; see $dir/server.log"
    tail -n 20 "$dir/server.log" >&2 2>/dev/null || true
    return 1
  fi
  if ! "$bindir/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -qAt \
    -c "SELECT 1 FROM pg_database WHERE datname = 'onevisit_test'" | grep -q 1; then
    "$bindir/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -q -c "CREATE DATABASE onevisit_test" \
      >>"${PG_LOG:-/tmp/onevisit-postgres.log}" 2>&1 || { _pg_err "cannot create the database"; return 1; }
  fi
  export _ONEVISIT_PG_STARTED=$dir
  export ONEVISIT_TEST_PG_URL="postgresql://postgres@127.0.0.1:$port/onevisit_test"
  _pg_say "ready: $ONEVISIT_TEST_PG_URL (cluster $dir)"
}

stop_postgres() {
  local dir=${_ONEVISIT_PG_STARTED:-} bindir
  [ -n "$dir" ] || return 0
  bindir=$(_pg_bindir)
  if [ -n "$bindir" ] && [ -f "$dir/postmaster.pid" ]; then
    _pg_as "$bindir/pg_ctl" -D "$dir" -m fast -w -t 20 stop >>"${PG_LOG:-/tmp/onevisit-postgres.log}" 2>&1 || true
  fi
  case "$dir" in
    /tmp/onevisit-pg.*) rm -rf "$dir" ;;
  esac
  _pg_log "stopped and removed $dir"
  unset _ONEVISIT_PG_STARTED ONEVISIT_TEST_PG_URL
}
