"""Time the district overview for one year and the community ranking, whatever the database holds.

Run after loading the demo district at some size (bench/run_evaluation_bench.sh does it all). Both
pages are fetched through Django's test client as the district supervisor (duban), so the time is
the whole page: scope, figures, template. One warm-up, then the median of --runs.

    .venv/bin/python bench/evaluation_bench.py [--runs 15] [--year 2026]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minqing.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from minqing.accounts.models import User  # noqa: E402
from minqing.evaluation.models import Fact, Rollup  # noqa: E402
from minqing.tickets.models import Ticket  # noqa: E402


def timed(client: Client, url: str, runs: int) -> float:
    assert client.get(url).status_code == 200, url
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - start)
        assert response.status_code == 200
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--year", type=int, default=timezone.localdate().year)
    args = parser.parse_args()
    settings.ALLOWED_HOSTS = ["testserver"]
    client = Client()
    client.force_login(User.objects.get(username="duban"))
    year = f"period=year&date={args.year}-01-01"
    in_year = Ticket.objects.filter(created_at__year=args.year).count()
    overview = timed(client, f"/evaluation/?{year}", args.runs)
    ranking = timed(client, f"/evaluation/rankings/?{year}&level=community&metric=composite", args.runs)
    print(f"database={settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]} requests={Ticket.objects.count():,} "
          f"in_{args.year}={in_year:,} facts={Fact.objects.count():,} rollup_rows={Rollup.objects.count():,} "
          f"overview_median={overview:.1f}ms ranking_median={ranking:.1f}ms")


if __name__ == "__main__":
    main()
