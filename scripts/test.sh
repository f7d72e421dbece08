#!/usr/bin/env bash
# Run the whole test suite on real PostgreSQL 15 and Redis, started here and stopped after.
# Extra arguments go to pytest (e.g. scripts/test.sh -k booking -x).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh requirements/dev.txt

apt_install() {
    if [ "$(id -u)" = 0 ]; then
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@") >/dev/null
    else
        sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
    fi
}
command -v redis-server >/dev/null || { echo "Installing redis-server"; apt_install redis-server; }
command -v chromium >/dev/null || { echo "Installing chromium (browser tests)"; apt_install chromium chromium-driver; }
command -v espeak-ng >/dev/null || { echo "Installing espeak-ng (offline TTS fallback)"; apt_install espeak-ng; }

pgbin=$(ls -d /usr/lib/postgresql/15/bin 2>/dev/null || dirname "$(command -v initdb)")
free_port() { .venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
work=$(mktemp -d /tmp/ottos-test.XXXXXX)
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
as_pg_user "$pgbin/pg_ctl" -D "$work/pg" -l "$work/pg.log" -w -o \
    "-p $pg_port -k $work -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
    start >/dev/null
redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no \
    --daemonize yes --pidfile "$work/redis.pid" --logfile "$work/redis.log"

export DATABASE_URL="postgres://ottos@127.0.0.1:$pg_port/ottos"
export REDIS_URL="redis://127.0.0.1:$redis_port/0"
export DATA_DIR="$work/data"
"$pgbin/createdb" -h 127.0.0.1 -p "$pg_port" -U ottos ottos
echo "PostgreSQL on :$pg_port, Redis on :$redis_port"
set +e
.venv/bin/python -m pytest "$@"
status=$?
set -e
exit $status
