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
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || { echo "Installing nginx (the load balancer)"; apt_install nginx-light; }

# Lint and format (ruff.toml; `.venv/bin/ruff check --fix . && .venv/bin/ruff format .` mends most),
# then the walls between the rooms (.importlinter): either fails the run before any test.
.venv/bin/ruff check --quiet .
.venv/bin/ruff format --check --quiet .
.venv/bin/lint-imports --no-cache

# Durability is not under test: skip fsync; the live-server tests open many connections.
export PG_OPTIONS="-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
exec scripts/with_services.sh .venv/bin/python -m pytest "$@"
