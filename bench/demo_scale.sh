#!/usr/bin/env bash
# Time `manage.py demo --requests N` into a fresh database. Usage:
#   bench/demo_scale.sh 1000000                      # SQLite file under /tmp
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/minqing_bench bench/demo_scale.sh 1000000
#   DAYS=14600 bench/demo_scale.sh 1000000           # spread over 40 years instead of 150 days
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
export MINQING_VAR_DIR=${MINQING_VAR_DIR:-/tmp/minqing-bench}
mkdir -p "$MINQING_VAR_DIR"
if [ -z "${DATABASE_URL:-}" ]; then
  export DATABASE_URL="sqlite:///$MINQING_VAR_DIR/bench.sqlite3"
  rm -f "$MINQING_VAR_DIR"/bench.sqlite3*
else
  db=${DATABASE_URL##*/}
  psql "${DATABASE_URL%/*}/postgres" -qc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
fi
.venv/bin/python manage.py migrate -v0
start=$(date +%s.%N)
.venv/bin/python manage.py demo --requests "$N" --seed 7 --days "${DAYS:-150}" | grep -E "已生成|演示区已载入"
end=$(date +%s.%N)
.venv/bin/python manage.py shell -v0 -c "
from minqing.tickets.models import Ticket, TicketEvent
print(f'requests: {Ticket.objects.count():,}  events: {TicketEvent.objects.count():,}')"
printf 'database: %s  wall time: %.0f s\n' "${DATABASE_URL%%:*}" "$(echo "$end - $start" | bc)"
