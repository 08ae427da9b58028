#!/usr/bin/env bash
# The sweep benchmark of bench/README.md: 1,000,000 requests with 10,000 open vs 10,000 all open,
# on SQLite and (when reachable) PostgreSQL. Prints one line per run and the ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
export MINQING_VAR_DIR=${MINQING_VAR_DIR:-/tmp/minqing-bench}
BIG=${BIG:-1000000}
SMALL=${SMALL:-10000}
run() {  # $1 = database url or "" for SQLite, $2 = requests
  if [ -n "$1" ]; then export DATABASE_URL=$1; else unset DATABASE_URL; fi
  bench/demo_scale.sh "$2" > /dev/null
  [ -n "$1" ] || export DATABASE_URL="sqlite:///$MINQING_VAR_DIR/bench.sqlite3"
  .venv/bin/python bench/sweep_bench.py --open "$SMALL" | tee -a "$MINQING_VAR_DIR/sweep-results.txt"
}
mkdir -p "$MINQING_VAR_DIR"; : > "$MINQING_VAR_DIR/sweep-results.txt"
[ -n "${SKIP_SQLITE_BIG:-}" ] || run "" "$BIG"
run "" "$SMALL"
if pg_isready -q -h 127.0.0.1 -p 5432; then
  run "postgres://postgres@127.0.0.1:5432/minqing_bench" "$BIG"
  run "postgres://postgres@127.0.0.1:5432/minqing_bench" "$SMALL"
fi
python3 - "$MINQING_VAR_DIR/sweep-results.txt" <<'PY'
import re, sys
rows = [dict(re.findall(r"(\w+)=([^\s]+)", line)) for line in open(sys.argv[1])]
by_db = {}
for r in rows:
    by_db.setdefault(r["database"], []).append(float(r["pass"].rstrip("s")))
for db, passes in by_db.items():
    if len(passes) == 2:
        print(f"{db}: ratio big/small = {passes[0] / passes[1]:.2f}")
PY
