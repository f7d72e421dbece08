#!/usr/bin/env bash
# The phone-call benchmark (benchmarks/voice_calls.py) against a throwaway PostgreSQL and Redis.
#   scripts/bench_voice.sh [--calls 1,10,50] [--min-turns 20]
set -euo pipefail
cd "$(dirname "$0")/.."
exec scripts/with_services.sh .venv/bin/python benchmarks/voice_calls.py "$@"
