"""12345 import speed (issue 4): N work orders in one .xlsx, imported the way the worker imports them,
against the floor — the time openpyxl alone takes to read the same file in read-only mode.

    bench/import_bench.sh [N]        # fresh SQLite database with the demo organisation; N = 100000
"""

from __future__ import annotations

import argparse
import io
import multiprocessing
import os
import random
import resource
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minqing.settings")

import django

django.setup()

from django.core.files.base import ContentFile  # noqa: E402
from django.db import connections  # noqa: E402
from openpyxl import Workbook, load_workbook  # noqa: E402

from minqing.accounts.models import User  # noqa: E402
from minqing.api.exchange import import_job  # noqa: E402
from minqing.api.models import DEFAULT_COLUMNS, ImportJob, ImportMapping  # noqa: E402
from minqing.org.models import Area, AreaKind  # noqa: E402
from minqing.tickets.models import Category, Ticket  # noqa: E402

TEXTS = ["楼道灯坏了一个多月没人修", "小区门口垃圾堆放好几天没清运", "楼上漏水把我家天花板泡坏了",
         "广场舞音乐太吵影响休息", "电动车在楼道里充电很危险", "下水道堵了污水漫到路上"]


def make_file(n: int) -> bytes:
    rng = random.Random(7)
    places = list(Area.objects.filter(kind__in=[AreaKind.COMMUNITY, AreaKind.COMPOUND]).values_list("name", flat=True))
    cats = list(Category.objects.filter(parent__isnull=False, active=True).values_list("name", flat=True))
    book = Workbook(write_only=True)
    sheet = book.create_sheet("工单")
    sheet.append(list(DEFAULT_COLUMNS.values()))
    for i in range(n):
        place = rng.choice(places)
        sheet.append([f"BJ{i:08d}", f"2026-11-{1 + i % 28:02d} 09:{i % 60:02d}", "张先生", f"139{i:08d}",
                      f"{place}{rng.choice(TEXTS)}，请尽快处理（{i}）", rng.choice(["投诉", "求助", "建议"]), place,
                      "2026-12-20 18:00", rng.choice(cats)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    t0 = time.perf_counter()
    # The file is written by a child process, so the peak RSS printed at the end is the floor's and the import's.
    path = Path(os.environ["MINQING_VAR_DIR"]) / f"import-bench-{args.rows}.xlsx"  # set by import_bench.sh
    connections.close_all()
    child = multiprocessing.get_context("fork").Process(target=lambda: path.write_bytes(make_file(args.rows)))
    child.start()
    child.join()
    assert child.exitcode == 0, "writing the file failed"
    content = path.read_bytes()
    print(f"file: {args.rows:,} rows, {len(content) / 1e6:.1f} MB, written in {time.perf_counter() - t0:.1f} s")

    t0 = time.perf_counter()
    book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    count = sum(1 for _ in book.worksheets[0].iter_rows(values_only=True))
    floor = time.perf_counter() - t0
    print(f"floor (openpyxl read-only, {count - 1:,} rows): {floor:.1f} s")

    mapping, _ = ImportMapping.objects.get_or_create(name="12345 标准格式", defaults={"columns": DEFAULT_COLUMNS})
    job = ImportJob.objects.create(mapping=mapping, default_category=Category.objects.filter(parent__isnull=False).first(),
                                   created_by=User.objects.get(username="duban"))
    job.file.save("bench.xlsx", ContentFile(content))
    before = Ticket.objects.count()
    t0 = time.perf_counter()
    stop = threading.Event()

    def progress() -> None:  # what the job page shows while it runs: the committed batches' count
        while not stop.wait(5):
            done, total = ImportJob.objects.filter(pk=job.pk).values_list("done", "total").get()
            print(f"  progress: {done:,} / {total:,} rows ({done / max(total, 1):.0%}) after "
                  f"{time.perf_counter() - t0:.0f} s, peak RSS {peak_mb():.0f} MB", flush=True)
        connections.close_all()

    watcher = threading.Thread(target=progress, daemon=True)
    watcher.start()
    job = import_job(job)
    took = time.perf_counter() - t0
    stop.set()
    watcher.join()
    print(f"import: status={job.status} created={job.created:,} updated={job.updated:,} rejected={job.rejected:,} "
          f"in {took:.1f} s = {job.done / took:,.0f} rows/s; {took / floor:.1f}x the floor")
    print(f"peak RSS of the import process (the floor's read and the import; the file was written by a child): "
          f"{peak_mb():.0f} MB")
    assert Ticket.objects.count() - before == job.created, "every created row is one request"


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


if __name__ == "__main__":
    main()
