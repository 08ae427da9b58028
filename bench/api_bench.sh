#!/usr/bin/env bash
# API throughput (issue 4): gunicorn with 2 sync workers on SQLite, wrk with 16 connections for 15 s
# on the same machine, against a trivial view (the framework's ceiling), the Open311 list of 1,000
# records, one request by id, and POST /api/v1/requests. Prints requests/s, p50 and the ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
export MINQING_VAR_DIR=${MINQING_VAR_DIR:-/tmp/minqing-api-bench}
export DATABASE_URL="sqlite:///$MINQING_VAR_DIR/api.sqlite3"
export MINQING_ALLOWED_HOSTS=127.0.0.1
export MINQING_API_AUTH_RATE=100000000/m   # measure the server, not the rate limit
PORT=${PORT:-8077}
DURATION=${DURATION:-15s}
mkdir -p "$MINQING_VAR_DIR"; rm -f "$MINQING_VAR_DIR"/api.sqlite3*
.venv/bin/python manage.py migrate -v0
.venv/bin/python manage.py demo --requests 3000 --days 80 > /dev/null
TOKEN=$(.venv/bin/python manage.py apikey create bench --permissions intake)
NUMBER=$(.venv/bin/python manage.py shell -v0 -c "from minqing.tickets.models import Ticket; print(Ticket.objects.latest('id').number)")
COMPOUND=$(.venv/bin/python manage.py shell -v0 -c "from minqing.org.models import Area; print(Area.objects.filter(kind='compound').first().pk)")
CATEGORY=$(.venv/bin/python manage.py shell -v0 -c "from minqing.tickets.models import Category; print(Category.objects.get(code='WY01').pk)")
.venv/bin/gunicorn minqing.wsgi --bind 127.0.0.1:$PORT --workers 2 --log-level warning &
GUNICORN=$!
trap 'kill $GUNICORN' EXIT
sleep 3
COUNT=$(curl -s "http://127.0.0.1:$PORT/open311/v2/requests.json" | python3 -c "import json,sys; print(len(json.load(sys.stdin)))")
cat > "$MINQING_VAR_DIR/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $TOKEN"
wrk.body = '{"category_id": $CATEGORY, "area_id": $COMPOUND, "text": "3号楼前面的路灯坏了快一个月了", "anonymous": true}'
LUA
run() {  # name url [script]
  local out
  out=$(wrk -t2 -c16 -d"$DURATION" --latency ${3:+-s "$3"} "$2")
  printf '%-28s %8s req/s   p50 %s\n' "$1" "$(echo "$out" | awk '/Requests\/sec/ {print $2}')" \
    "$(echo "$out" | awk '$1 == "50%" {print $2}')"
}
echo "Open311 list returns $COUNT records"
run "trivial view /healthz" "http://127.0.0.1:$PORT/healthz"
run "GET open311 requests.json" "http://127.0.0.1:$PORT/open311/v2/requests.json"
run "GET open311 request by id" "http://127.0.0.1:$PORT/open311/v2/requests/$NUMBER.json"
run "POST /api/v1/requests" "http://127.0.0.1:$PORT/api/v1/requests" "$MINQING_VAR_DIR/post.lua"
