#!/usr/bin/env bash
# minqing against the Django Open311 peer 6aika/issue-reporting, side by side in one run (issue 23).
#
#   bench/peer_bench.sh                      # minqing on SQLite vs the peer on SQLite, 3 rounds × 10 s
#   BEFORE=/tmp/minqing-main bench/peer_bench.sh   # also an older checkout of minqing (its own .venv link)
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/hperf_bench bench/peer_bench.sh   # minqing on PostgreSQL
#
# The peer is built OUTSIDE this repository (PEER=/work/peer by default; bench/README.md says how: its
# public snapshot, its own venv with its pinned requirements, libgdal32, a 1,000-issue seed). Every server:
# gunicorn with 2 sync workers. wrk: 2 threads, 16 connections, DURATION per round (10 s), ROUNDS rounds
# alternating server by server, so both see the same machine. About 5 × 3 × 2 × 10 s ≈ 6 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
PEER=${PEER:-/work/peer}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10s}
VAR=${MINQING_VAR_DIR:-/tmp/minqing-peer-bench}
mkdir -p "$VAR"
export MINQING_ALLOWED_HOSTS=127.0.0.1
export MINQING_API_AUTH_RATE=100000000/m   # measure the server, not the rate limit
export MINQING_API_ANON_RATE=100000000/m
PIDS=""
trap 'kill $PIDS 2>/dev/null || true' EXIT

# --- minqing: a fresh database with the demo district (3,000 requests over 80 days: the Open311 list is 1,000)
setup_minqing() {  # name dir port
  local name=$1 dir=$2 port=$3 db
  if [[ "${DATABASE_URL:-}" == postgres* ]]; then
    db="${DATABASE_URL}_$name"
    psql "${DATABASE_URL%/*}/postgres" -qc "DROP DATABASE IF EXISTS ${db##*/}" -c "CREATE DATABASE ${db##*/}"
  else
    rm -f "$VAR/$name.sqlite3"*
    db="sqlite:///$VAR/$name.sqlite3"
  fi
  (
    cd "$dir"
    export DATABASE_URL=$db MINQING_VAR_DIR=$VAR/$name
    mkdir -p "$MINQING_VAR_DIR"
    .venv/bin/python manage.py migrate -v0
    .venv/bin/python manage.py demo --requests 3000 --days 80 > /dev/null
    TOKEN=$(.venv/bin/python manage.py apikey create bench --permissions intake)
    .venv/bin/python manage.py shell -v0 -c "
import json, shapely
from minqing.org.location import geometry
from minqing.org.models import Area
from minqing.tickets.models import Category, Ticket
grid = next(a for a in Area.objects.filter(kind='grid').exclude(boundary=None).order_by('code'))
p = geometry(grid.boundary).representative_point()
compound = Area.objects.filter(kind='compound').order_by('code').first()
print(json.dumps({'token': '$TOKEN', 'number': Ticket.objects.latest('id').number, 'lat': round(p.y, 6),
                  'long': round(p.x, 6), 'compound': compound.pk, 'category': Category.objects.get(code='WY01').pk}))
" > "$VAR/$name.json"
    .venv/bin/gunicorn minqing.wsgi --bind 127.0.0.1:$port --workers 2 --log-level warning \
      > "$VAR/$name-gunicorn.log" 2>&1 &
    echo $! > "$VAR/$name.pid"
  )
  PIDS="$PIDS $(cat "$VAR/$name.pid")"
}

setup_minqing minqing "$REPO" 8091
if [[ -n "${BEFORE:-}" ]]; then setup_minqing before "$BEFORE" 8092; fi

# --- the peer: its own venv and settings (bench_settings.py, bench_urls.py, seed.py live in $PEER)
(
  cd "$PEER"
  export DATABASE_URL=sqlite:///$VAR/peer.sqlite3 SECRET_KEY=bench DJANGO_SETTINGS_MODULE=bench_settings PYTHONWARNINGS=ignore
  rm -f "$VAR"/peer.sqlite3*
  venv/bin/python manage.py migrate -v0 > /dev/null 2>&1
  venv/bin/python manage.py shell -c "exec(open('seed.py').read())" 2>/dev/null | tail -1 > "$VAR/peer.key"
  venv/bin/gunicorn cfh.wsgi --bind 127.0.0.1:8093 --workers 2 --log-level warning > "$VAR/peer-gunicorn.log" 2>&1 &
  echo $! > "$VAR/peer.pid"
)
PIDS="$PIDS $(cat "$VAR/peer.pid")"
sleep 4

REPO_VENV=$REPO/.venv/bin/python
"$REPO_VENV" - "$VAR" "${BEFORE:+before}" > "$VAR/plan.json" <<'PY'
import json, sys, urllib.parse
var, extra = sys.argv[1], sys.argv[2:]
TEXT = "3号楼前面的路灯坏了快一个月了，晚上黑乎乎的，老人出门不方便。"
plan = {}
for name, port in [("minqing", 8091), *([("before", 8092)] if extra and extra[0] else [])]:
    d = json.load(open(f"{var}/{name}.json"))
    base = f"http://127.0.0.1:{port}"
    form = urllib.parse.urlencode({"api_key": d["token"], "service_code": "WY01", "lat": d["lat"], "long": d["long"],
                                   "address_string": "建西东路1号", "description": TEXT, "first_name": "大妈",
                                   "last_name": "张", "phone": "13812345678"})
    body = json.dumps({"category_id": d["category"], "area_id": d["compound"], "address": "3号楼前",
                       "text": TEXT, "reporter_name": "张大妈", "reporter_phone": "13812345678"}, ensure_ascii=False)
    plan[name] = {
        "trivial view /healthz": {"url": f"{base}/healthz"},
        "Open311 list (1,000 records)": {"url": f"{base}/open311/v2/requests.json"},
        "Open311 request by id": {"url": f"{base}/open311/v2/requests/{d['number']}.json"},
        "Open311 POST (point + text)": {"url": f"{base}/open311/v2/requests.json", "post": form},
        "POST /api/v1/requests": {"url": f"{base}/api/v1/requests", "post": body, "type": "application/json",
                                  "headers": {"Authorization": f"Bearer {d['token']}"}},
    }
key = open(f"{var}/peer.key").read().split()[0]
base = "http://127.0.0.1:8093"
form = urllib.parse.urlencode({"api_key": key, "service_code": "WY01", "lat": 36.06, "long": 103.80,
                               "address_string": "建西东路1号", "description": TEXT, "first_name": "大妈",
                               "last_name": "张", "phone": "13812345678"})
post = {"url": f"{base}/api/georeport/v2/requests.json", "post": form}
plan["peer"] = {
    "trivial view /healthz": {"url": f"{base}/healthz"},
    "Open311 list (1,000 records)": {"url": f"{base}/api/georeport/v2/requests.json?page_size=1000"},
    "Open311 request by id": {"url": f"{base}/api/georeport/v2/requests/bench-00500.json"},
    "Open311 POST (point + text)": post,
    "POST /api/v1/requests": post,  # the peer has no other intake: its Open311 POST again
}
json.dump(plan, sys.stdout, ensure_ascii=False)
PY
for s in 8091 8093 ${BEFORE:+8092}; do  # each answers, and the lists are the size compared
  curl -sf "http://127.0.0.1:$s/healthz" > /dev/null || { echo "server on $s not up"; exit 1; }
done
echo "records in the lists: minqing $(curl -s http://127.0.0.1:8091/open311/v2/requests.json | "$REPO_VENV" -c 'import json,sys; print(len(json.load(sys.stdin)))')," \
     "peer $(curl -s 'http://127.0.0.1:8093/api/georeport/v2/requests.json?page_size=1000' | "$REPO_VENV" -c 'import json,sys; print(len(json.load(sys.stdin)))')"
echo "minqing on ${DATABASE_URL:-SQLite}; peer on SQLite; $ROUNDS rounds of $DURATION; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
"$REPO_VENV" bench/peer_bench.py --plan "$VAR/plan.json" --rounds "$ROUNDS" --duration "$DURATION"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
