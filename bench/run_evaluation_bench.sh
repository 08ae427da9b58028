#!/usr/bin/env bash
# Issue 5's benchmark: the year overview and the community ranking with 10,000 and with 1,000,000
# requests, on SQLite and on PostgreSQL. 10,000 requests are ~5 months of a district like Qilihe
# (the demo's default 150 days); the million is spread over 40 years (DAYS=14600), so the year shown
# holds ~25,000 of them. Databases are kept under /tmp/minqing-eval-* and reused when present
# (GENERATE=1 forces new ones). About 45 minutes the first time.
#   bench/run_evaluation_bench.sh            # both databases
#   DATABASES=sqlite bench/run_evaluation_bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PG=postgres://postgres@127.0.0.1:5432
for db in ${DATABASES:-sqlite postgres}; do
  for case in "10000 150" "1000000 14600"; do
    set -- $case
    n=$1 days=$2
    dir=/tmp/minqing-eval-$db-$n
    if [ "$db" = sqlite ]; then url="sqlite:///$dir/bench.sqlite3"; else url="$PG/minqing_eval_$n"; fi
    if [ "${GENERATE:-0}" = 1 ] || [ ! -f "$dir/generated" ]; then
      mkdir -p "$dir"
      if [ "$db" = sqlite ]; then unset DATABASE_URL; else export DATABASE_URL="$url"; fi
      MINQING_VAR_DIR="$dir" DAYS=$days bench/demo_scale.sh "$n"
      touch "$dir/generated"
    fi
    MINQING_VAR_DIR="$dir" DATABASE_URL="$url" .venv/bin/python manage.py migrate -v0
    MINQING_VAR_DIR="$dir" DATABASE_URL="$url" .venv/bin/python manage.py metrics --fold
    # Planner statistics, as autovacuum (PostgreSQL) or a maintenance job (SQLite) keeps them on a live system.
    MINQING_VAR_DIR="$dir" DATABASE_URL="$url" .venv/bin/python manage.py shell -v0 -c \
      "from django.db import connection; connection.cursor().execute('ANALYZE')"
    MINQING_VAR_DIR="$dir" DATABASE_URL="$url" .venv/bin/python bench/evaluation_bench.py
  done
done
