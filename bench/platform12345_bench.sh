#!/usr/bin/env bash
# 12345 connector speed: a fresh SQLite database (or DATABASE_URL) with the demo organisation, then
# bench/platform12345_bench.py --orders N (default 300) against the fake platform in the same process.
set -euo pipefail
cd "$(dirname "$0")/.."
export MINQING_VAR_DIR=${MINQING_VAR_DIR:-/tmp/minqing-12345-bench}
mkdir -p "$MINQING_VAR_DIR"
if [ -z "${DATABASE_URL:-}" ]; then
  rm -f "$MINQING_VAR_DIR"/bench.sqlite3*
  export DATABASE_URL="sqlite:///$MINQING_VAR_DIR/bench.sqlite3"
fi
.venv/bin/python manage.py migrate -v0
.venv/bin/python manage.py demo --reset --requests 5 > /dev/null
.venv/bin/python bench/platform12345_bench.py --orders "${1:-300}"
