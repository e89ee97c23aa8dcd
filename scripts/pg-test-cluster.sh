#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests: a temp folder, a loopback port, a socket in the folder.
#   eval "$(scripts/pg-test-cluster.sh start)"   # prints export DATABASE_URL=… PG_TEST_DIR=…
#   scripts/pg-test-cluster.sh stop "$PG_TEST_DIR"
#   scripts/pg-test-cluster.sh pause|resume "$PG_TEST_DIR"   # stop / start the server, keeping its data
# Runs the server as an unprivileged user when started as root (PostgreSQL refuses root).
set -euo pipefail

find_bin() {
  if command -v pg_ctl >/dev/null 2>&1; then dirname "$(command -v pg_ctl)"; return; fi
  local d
  for d in /usr/lib/postgresql/*/bin; do [ -x "$d/pg_ctl" ] && { echo "$d"; return; }; done
  return 1
}

as_owner() {
  # $1 = folder owner; the rest is the command
  local owner=$1; shift
  if [ "$(id -u)" = 0 ]; then
    if command -v runuser >/dev/null 2>&1; then runuser -u "$owner" -- "$@"; else su -s /bin/sh "$owner" -c "$(printf '%q ' "$@")"; fi
  else
    "$@"
  fi
}

cmd=${1:-}
case "$cmd" in
  start)
    bin=$(find_bin) || { echo "pg-test-cluster: no PostgreSQL binaries (apt-get install -y postgresql)" >&2; exit 1; }
    port=${PG_TEST_PORT:-$(( 20000 + RANDOM % 20000 ))}
    dir=$(mktemp -d /tmp/archivist-pg.XXXXXX)
    owner=$(id -un)
    if [ "$(id -u)" = 0 ]; then owner=nobody; chown "$owner" "$dir"; fi
    chmod 700 "$dir"
    as_owner "$owner" "$bin/initdb" -D "$dir/data" -U archivist --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    echo "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60" >"$dir/options"
    as_owner "$owner" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 -o "$(cat "$dir/options")" start >/dev/null \
      || { cat "$dir/server.log" >&2; exit 1; }
    echo "export PG_TEST_DIR=$dir"
    echo "export DATABASE_URL=postgres://archivist@127.0.0.1:$port/postgres"
    ;;
  stop)
    dir=${2:-${PG_TEST_DIR:-}}
    [ -n "$dir" ] && [ -d "$dir/data" ] || { echo "pg-test-cluster: usage: stop DIR" >&2; exit 1; }
    bin=$(find_bin)
    owner=$(stat -c %U "$dir")
    as_owner "$owner" "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
  pause|resume)
    dir=${2:-${PG_TEST_DIR:-}}
    [ -n "$dir" ] && [ -d "$dir/data" ] || { echo "pg-test-cluster: usage: $cmd DIR" >&2; exit 1; }
    bin=$(find_bin)
    owner=$(stat -c %U "$dir")
    if [ "$cmd" = pause ]; then
      as_owner "$owner" "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    else
      as_owner "$owner" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 -o "$(cat "$dir/options")" start >/dev/null
    fi
    ;;
  *)
    echo "usage: $0 start | stop DIR | pause DIR | resume DIR" >&2
    exit 2
    ;;
esac
