#!/usr/bin/env bash
# 12345 import speed (issue 4): a fresh SQLite database (or DATABASE_URL) with the demo organisation,
# then bench/import_bench.py --rows N (default 100000).
set -euo pipefail
cd "$(dirname "$0")/.."
export MINQING_VAR_DIR=${MINQING_VAR_DIR:-/tmp/minqing-import-bench}
mkdir -p "$MINQING_VAR_DIR"
if [ -z "${DATABASE_URL:-}" ]; then
  rm -f "$MINQING_VAR_DIR"/bench.sqlite3*
  export DATABASE_URL="sqlite:///$MINQING_VAR_DIR/bench.sqlite3"
fi
.venv/bin/python manage.py migrate -v0
.venv/bin/python manage.py demo --reset --requests 100 > /dev/null
.venv/bin/python bench/import_bench.py --rows "${1:-100000}"
