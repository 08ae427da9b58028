"""Time one full sweep pass with OPEN overdue requests among however many the database holds.

Run after loading the demo district at some size (see bench/README.md). The script leaves exactly
OPEN requests open (the ones with the lowest ids among those open: a deterministic choice), each
with a resolution deadline that has passed, and every other request closed, so the pass does the
same work whatever the history. It then times `sweep_once()` — the loop body of `manage.py sweep`.

    .venv/bin/python bench/sweep_bench.py [--open 10000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minqing.settings")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402
from minqing.tickets.workflow import OPEN_STATUSES, Status  # noqa: E402

from minqing.tickets.models import Ticket, TicketEvent  # noqa: E402
from minqing.tickets.sweep import sweep_once  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--open", type=int, default=10_000)
    args = parser.parse_args()
    now = timezone.now()
    past = now - dt.timedelta(days=3)
    total = Ticket.objects.count()
    events = TicketEvent.objects.count()
    keep = list(Ticket.objects.order_by("id").values_list("id", flat=True)[: args.open])
    # Everything else is history: closed, nothing for the sweep to look at.
    Ticket.objects.exclude(id__in=keep).filter(status__in=OPEN_STATUSES).update(
        status=Status.CLOSED, next_check_at=None)
    Ticket.objects.exclude(id__in=keep).exclude(next_check_at=None).update(next_check_at=None)
    Ticket.objects.filter(id__in=keep).update(
        status=Status.IN_PROGRESS, resolve_started_at=past - dt.timedelta(days=7),
        resolve_warn_at=past - dt.timedelta(days=1), resolve_due_at=past, response_due_at=None,
        response_warn_at=None, next_check_at=past, supervised_by=None,
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as c:
            c.execute("VACUUM ANALYZE tickets_ticket")
    else:
        with connection.cursor() as c:
            c.execute("ANALYZE")
    started = time.perf_counter()
    result = sweep_once(now=now)
    elapsed = time.perf_counter() - started
    print(f"database={connection.vendor} requests={total:,} events={events:,} open={len(keep):,} "
          f"escalated={result.escalations:,} pass={elapsed:.2f}s ({elapsed / max(1, result.checked) * 1000:.2f} ms/request)")


if __name__ == "__main__":
    main()
