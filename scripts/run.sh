#!/usr/bin/env bash
# Set up and run Otto's on the embedded default: SQLite, in-memory layers, offline speech,
# the scripted receptionist. No keys, no servers. Serves http://localhost:8000
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh requirements/base.txt
DATA_DIR="${DATA_DIR:-var}"
mkdir -p "$DATA_DIR"
[ -s "$DATA_DIR/secret_key" ] || .venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(50))' > "$DATA_DIR/secret_key"
export SECRET_KEY="${SECRET_KEY:-$(cat "$DATA_DIR/secret_key")}"
export DEBUG="${DEBUG:-true}"
.venv/bin/python manage.py migrate --noinput
.venv/bin/python manage.py seed_demo
.venv/bin/python manage.py ensure_demo_login
echo "Otto's is running on http://localhost:${PORT:-8000}/admin/  (Ctrl-C to stop)"
exec .venv/bin/python -m ottos.serve -b "${HOST:-0.0.0.0}" -p "${PORT:-8000}" ottos.asgi:application
