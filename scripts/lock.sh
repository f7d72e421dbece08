#!/usr/bin/env bash
# Compile the human-edited requirements/*.in into the locks that every install uses (make run,
# make test, CI): every package of the tree pinned, with the sha256 of its files, resolved for
# Linux x86_64 CPython 3.12 (the project's machines). A lock keeps its versions unless told:
#   scripts/lock.sh                              after editing a .in file (adds, removes, raises a floor)
#   scripts/lock.sh --upgrade-package django     move one package (and what it needs) to its newest release
#   scripts/lock.sh --upgrade                    move everything
# Then run scripts/test.sh and commit the .in and .txt files together.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x "${UV:-.venv/bin/uv}" ] || scripts/bootstrap.sh requirements/dev.txt
uv="${UV:-.venv/bin/uv}"
compile() {
    "$uv" pip compile --quiet --generate-hashes --python-version 3.12 --python-platform x86_64-manylinux_2_28 \
        --no-python-downloads --annotation-style line \
        --custom-compile-command scripts/lock.sh "$@"
}
compile requirements/base.in -o requirements/base.txt "$@"
compile requirements/dev.in -o requirements/dev.txt "$@"
# The offline speech stack: exactly the packages listed, no dependency resolution (see the file).
compile requirements/offline.in -o requirements/offline.txt --no-deps "$@"
