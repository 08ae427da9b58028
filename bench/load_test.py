"""Load test (issue 9): intake, queue pages and state changes together at a fixed rate against a running
server, then a count of what reached the database.

    bench/load_test.sh [seconds] [requests-per-second]     # gunicorn (2 workers) + PostgreSQL, see there

Each second, RATE operations start on time (a fixed arrival rate, not "as fast as it goes"), mixed:
  40 % POST /api/v1/requests      (intake, with a unique Idempotency-Key; half of them sent twice)
  30 % GET  /tickets/queue/received/   (a community worker's queue page, signed in)
  20 % POST /api/v1/requests/{n}/actions/accept   (a request registered earlier in the run)
  10 % GET  /api/v1/requests?status=received
Afterwards every intake that got a 201/200 must exist exactly once with exactly one `create` event,
every accept that got a 200 exactly one `accept` event, and nothing else may have been created.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minqing.settings")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--base", default="http://127.0.0.1:8078")
    p.add_argument("--token", required=True)
    p.add_argument("--seconds", type=int, default=600)
    p.add_argument("--rate", type=float, default=20.0)
    p.add_argument("--category", type=int, required=True)
    p.add_argument("--area", type=int, required=True)
    p.add_argument("--steps", default="", help="comma-separated rates: run --seconds at each, report p95 per step, "
                   "stop after the first step whose p95 exceeds 1 s (the knee)")
    args = p.parse_args()

    auth = {"Authorization": f"Bearer {args.token}"}
    staff = requests.Session()
    page = staff.get(f"{args.base}/login/").text
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    staff.post(f"{args.base}/login/", data={"username": "shequ", "password": "Minqing@2026",
                                            "csrfmiddlewaretoken": csrf}, headers={"Referer": f"{args.base}/login/"})
    assert "sessionid" in staff.cookies, "could not sign in as shequ"
    board = requests.Session()  # the district supervisor reading the evaluation dashboard
    page = board.get(f"{args.base}/login/").text
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    board.post(f"{args.base}/login/", data={"username": "duban", "password": "Minqing@2026",
                                            "csrfmiddlewaretoken": csrf}, headers={"Referer": f"{args.base}/login/"})
    assert "sessionid" in board.cookies, "could not sign in as duban"

    lock = threading.Lock()
    latencies: dict[str, list[float]] = defaultdict(list)
    outcomes: Counter = Counter()
    created: dict[str, str] = {}  # idempotency key → request number
    accepted: set[str] = set()
    registered: list[str] = []

    def record(kind: str, started: float, ok: bool) -> None:
        with lock:
            latencies[kind].append(time.perf_counter() - started)
            outcomes[(kind, ok)] += 1

    def intake() -> None:
        key = uuid.uuid4().hex
        body = {"category_id": args.category, "area_id": args.area, "anonymous": True,
                "text": f"3号楼前面的路灯坏了快一个月了（压测 {key[:8]}）"}
        for attempt in range(2 if random.random() < 0.5 else 1):  # half are retried: must not duplicate
            t0 = time.perf_counter()
            r = requests.post(f"{args.base}/api/v1/requests", json=body, headers={**auth, "Idempotency-Key": key},
                              timeout=30)
            ok = r.status_code in (200, 201)
            record("intake" if attempt == 0 else "intake-retry", t0, ok)
            if ok:
                number = r.json()["request"]["number"]
                with lock:
                    if key in created:
                        if created[key] != number:
                            outcomes[("duplicate", False)] += 1
                    else:
                        registered.append(number)
                    created[key] = number

    def queue_page() -> None:
        t0 = time.perf_counter()
        r = staff.get(f"{args.base}/tickets/queue/received/", timeout=30)
        record("queue page", t0, r.status_code == 200)

    def accept() -> None:
        with lock:
            number = registered.pop(random.randrange(len(registered))) if registered else None
        if number is None:
            return
        t0 = time.perf_counter()
        r = requests.post(f"{args.base}/api/v1/requests/{number}/actions/accept", json={}, headers=auth, timeout=30)
        ok = r.status_code == 200
        record("accept", t0, ok)
        if ok:
            with lock:
                accepted.add(number)

    def listing() -> None:
        t0 = time.perf_counter()
        r = requests.get(f"{args.base}/api/v1/requests", params={"status": "received"}, headers=auth, timeout=30)
        record("list", t0, r.status_code == 200)

    def dashboard() -> None:
        t0 = time.perf_counter()
        r = board.get(f"{args.base}/evaluation/", timeout=30)
        record("dashboard", t0, r.status_code == 200)

    mix = [intake] * 4 + [queue_page] * 3 + [accept] * 2 + [listing]
    if args.steps:  # the mixed load of issue 23: residents, staff queues, dashboards
        mix = [intake] * 7 + [queue_page] * 5 + [accept] * 3 + [dashboard] * 3 + [listing] * 2
    steps = [float(x) for x in args.steps.split(",")] if args.steps else [args.rate]
    if args.steps:  # start from a steady state: the demo's backlog handled by the worker loop, caches warm
        import django

        django.setup()
        from minqing.tickets.consumers import lag

        waited = time.time()
        while any(x.pending for x in lag()) and time.time() - waited < 600:
            time.sleep(3)
        print(f"backlog handled after {time.time() - waited:.0f} s; warming up", flush=True)
        for _ in range(3):
            for op in (intake, queue_page, accept, dashboard, listing):
                op()
        with lock:
            latencies.clear()
    knee = None
    started = time.perf_counter()
    for rate in steps:
        with lock:
            mark = {k: len(v) for k, v in latencies.items()}
        step_start = time.perf_counter()
        interval = 1.0 / rate
        with ThreadPoolExecutor(max_workers=64) as pool:
            n = 0
            while (now := time.perf_counter() - step_start) < args.seconds:
                due = n * interval
                if due > now:
                    time.sleep(due - now)
                pool.submit(random.choice(mix))
                n += 1
        step_wall = time.perf_counter() - step_start
        if args.steps:
            with lock:
                step = sorted(x for k, v in latencies.items() for x in v[mark.get(k, 0):])
                per = {k: sorted(v[mark.get(k, 0):]) for k, v in latencies.items()}
            p95 = step[int(len(step) * 0.95)] if step else 0.0
            parts = "  ".join(f"{k} {v[int(len(v) * 0.95)] * 1000:.0f}" for k, v in sorted(per.items()) if v)
            print(f"step {rate:g} ops/s: {len(step)} done in {step_wall:.0f} s = {len(step) / step_wall:.1f}/s, "
                  f"p95 {p95 * 1000:.0f} ms  (p95 ms: {parts})", flush=True)
            if p95 > 1.0:
                knee = rate
                break
    wall = time.perf_counter() - started
    if args.steps:
        print(f"knee: {'p95 > 1 s at ' + format(knee, 'g') + ' ops/s' if knee else 'not reached up to ' + format(steps[-1], 'g') + ' ops/s'}")

    import django

    django.setup()
    from django.db.models import Count

    from minqing.tickets.models import Ticket, TicketEvent

    numbers = list(created.values())
    in_db = Ticket.objects.filter(number__in=numbers)
    missing = len(set(numbers)) - in_db.count()
    dup_text = (Ticket.objects.filter(text__contains="压测").values("text").order_by().annotate(n=Count("pk"))
                .filter(n__gt=1).count())
    creates = TicketEvent.objects.filter(ticket__number__in=numbers, action="create").count()
    accepts = TicketEvent.objects.filter(ticket__number__in=accepted, action="accept").count()
    total_load = Ticket.objects.filter(text__contains="压测").count()

    from minqing.tickets.consumers import lag

    waited = time.time()  # the worker loop runs the consumers (notices, facts, webhooks, triage) after commit
    while any(x.pending for x in lag()) and time.time() - waited < 300:
        time.sleep(2)
    left = {x.consumer: x.pending for x in lag() if x.pending}
    print("consumers:", f"every event handled ({time.time() - waited:.0f} s after the load stopped)" if not left
          else f"still pending after 300 s: {left}")

    ops = sum(outcomes.values())
    errors = sum(v for (k, ok), v in outcomes.items() if not ok)
    print(f"ran {wall:.0f} s at {args.rate:g} ops/s target: {ops} operations, {ops / wall:.1f}/s, {errors} errors")
    for kind, values in sorted(latencies.items()):
        values.sort()
        p50 = statistics.median(values) * 1000
        p95 = values[min(len(values) - 1, int(len(values) * 0.95))] * 1000
        p99 = values[min(len(values) - 1, int(len(values) * 0.99))] * 1000
        bad = outcomes[(kind, False)]
        print(f"  {kind:<13} {len(values):>6}  p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  p99 {p99:7.1f} ms  errors {bad}")
    print(f"check: {len(created)} intakes answered, {total_load} load requests in the database, missing {missing}, "
          f"duplicated {dup_text + outcomes[('duplicate', False)]}; create events {creates} (want {len(created)}); "
          f"accepts answered {len(accepted)}, accept events {accepts}")
    clean = (errors == 0 and missing == 0 and dup_text == 0 and total_load == len(created) and creates == len(created)
             and accepts == len(accepted) and not left)
    print("RESULT:", "OK — nothing lost, nothing duplicated" if clean else "PROBLEMS — see above")
    sys.exit(0 if clean else 1)


if __name__ == "__main__":
    main()
