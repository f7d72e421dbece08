#!/usr/bin/env bash
# Run one command against a throwaway PostgreSQL 15 and Redis, started here and stopped after.
# DATABASE_URL, REDIS_URL and DATA_DIR are exported for it. Example:
#   scripts/with_services.sh .venv/bin/python benchmarks/foundation.py
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || { echo "usage: $0 command [args...]" >&2; exit 2; }
scripts/bootstrap.sh requirements/dev.txt
command -v redis-server >/dev/null || { echo "redis-server is needed (scripts/test.sh installs it)" >&2; exit 1; }

pgbin=$(ls -d /usr/lib/postgresql/15/bin 2>/dev/null || dirname "$(command -v initdb)")
free_port() { .venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
work=$(mktemp -d /tmp/ottos-services.XXXXXX)
pg_port=$(free_port); redis_port=$(free_port)

as_pg_user() {
    # initdb refuses to run as root; use the postgres account when we are root.
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
[ "$(id -u)" = 0 ] && chown postgres "$work"

cleanup() {
    as_pg_user "$pgbin/pg_ctl" -D "$work/pg" -m immediate stop >/dev/null 2>&1 || true
    [ -f "$work/redis.pid" ] && kill "$(cat "$work/redis.pid")" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

as_pg_user "$pgbin/initdb" -D "$work/pg" -U ottos -A trust --no-sync >/dev/null
# PG_OPTIONS adds server settings: the test run turns fsync off and allows more connections;
# a benchmark keeps the defaults, to see PostgreSQL as it runs for real.
as_pg_user "$pgbin/pg_ctl" -D "$work/pg" -l "$work/pg.log" -w -o \
    "-p $pg_port -k $work -c listen_addresses=127.0.0.1 -c max_connections=100 ${PG_OPTIONS:-}" start >/dev/null
redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no \
    --daemonize yes --pidfile "$work/redis.pid" --logfile "$work/redis.log"

export DATABASE_URL="postgres://ottos@127.0.0.1:$pg_port/ottos"
export REDIS_URL="redis://127.0.0.1:$redis_port/0"
export DATA_DIR="$work/data"
"$pgbin/createdb" -h 127.0.0.1 -p "$pg_port" -U ottos ottos
echo "PostgreSQL on :$pg_port, Redis on :$redis_port" >&2
set +e
"$@"
status=$?
set -e
exit $status
