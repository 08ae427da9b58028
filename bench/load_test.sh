#!/usr/bin/env bash
# Load test (issue 9): gunicorn with 2 sync workers + PostgreSQL (a fresh database minqing_load), the
# demo district with 2,000 requests, then bench/load_test.py for SECONDS (default 600) at RATE
# operations per second (default 20). The task worker and the sweep run beside it, as in production.
# The knee (issue 23): STEPS=10,20,30,40 WORKERS=$(nproc) bench/load_test.sh 60 — SECONDS at each rate of
# the mixed load (residents posting, staff queues, accepts, the evaluation dashboard, API lists) until p95 > 1 s.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_TO_RUN=${1:-600}
RATE=${2:-20}
PORT=${PORT:-8078}
export MINQING_VAR_DIR=${MINQING_VAR_DIR:-/tmp/minqing-load}
export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/minqing_load}
export MINQING_ALLOWED_HOSTS=127.0.0.1
export MINQING_API_AUTH_RATE=100000000/m
mkdir -p "$MINQING_VAR_DIR"
psql "${DATABASE_URL%/*}/postgres" -qc "DROP DATABASE IF EXISTS ${DATABASE_URL##*/}" -c "CREATE DATABASE ${DATABASE_URL##*/}"
.venv/bin/python manage.py migrate -v0
.venv/bin/python manage.py demo --requests 2000 > /dev/null
# Planner statistics, as a live database has them (autovacuum would take a while after a bulk load): without
# them the evaluation dashboard's cohort counts took 1.8 s instead of 0.16 s.
psql "$DATABASE_URL" -qc "ANALYZE"
TOKEN=$(.venv/bin/python manage.py apikey create load --permissions intake,read,act)
CATEGORY=$(.venv/bin/python manage.py shell -v0 -c "from minqing.tickets.models import Category; print(Category.objects.get(code='WY01').pk)")
AREA=$(.venv/bin/python manage.py shell -v0 -c "from minqing.org.models import Area; print(Area.objects.get(name='瓜州路社区').pk)")
.venv/bin/gunicorn minqing.wsgi --bind 127.0.0.1:$PORT --workers "${WORKERS:-2}" --log-level warning &
PIDS=$!
.venv/bin/python manage.py db_worker --no-reload --interval 2 > "$MINQING_VAR_DIR/worker.log" 2>&1 &
PIDS="$PIDS $!"
.venv/bin/python manage.py loop > "$MINQING_VAR_DIR/sweep.log" 2>&1 &
PIDS="$PIDS $!"
trap 'kill $PIDS 2>/dev/null' EXIT
sleep 4
.venv/bin/python bench/load_test.py --base "http://127.0.0.1:$PORT" --token "$TOKEN" --seconds "$SECONDS_TO_RUN" \
  --rate "$RATE" --category "$CATEGORY" --area "$AREA" ${STEPS:+--steps "$STEPS"}
