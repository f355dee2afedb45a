#!/usr/bin/env bash
# A throwaway PostgreSQL for the tests: `start` creates a cluster in a
# temporary folder (owned by a non-root user: PostgreSQL refuses to run as
# root; the Debian package's `postgres` user when we are root), listening
# on 127.0.0.1 at a free port, and prints its admin URL; `stop` stops it
# and removes the folder. fsync is off: nothing here must survive a crash
# of the machine.
set -euo pipefail
cd "$(dirname "$0")/.."
state=target/test-postgres
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$bin" ] || { echo "PostgreSQL is not installed (scripts/setup.sh installs it)" >&2; exit 1; }

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-}" in
  start)
    "$0" stop >/dev/null 2>&1 || true
    mkdir -p target
    dir=$(mktemp -d /tmp/optline-pg.XXXXXX)
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    port=""
    for p in $(seq 55500 55700); do
      if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then port=$p; break; fi
    done
    [ -n "$port" ] || { echo "no free port for PostgreSQL" >&2; exit 1; }
    as_owner "$bin/initdb" -D "$dir/data" -A trust -U optline -E UTF8 --no-sync >/dev/null
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -o \
      "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c max_connections=400" \
      start >/dev/null
    mkdir -p "$state"
    echo "$dir" >"$state/dir"
    echo "postgres://optline@127.0.0.1:$port/postgres" >"$state/url"
    cat "$state/url"
    ;;
  stop)
    [ -f "$state/dir" ] || exit 0
    dir=$(cat "$state/dir")
    as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$dir" "$state"
    ;;
  *)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
