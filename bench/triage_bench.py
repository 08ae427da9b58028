"""Triage speed (issue 8): suggestion for one message, duplicate search against 100,000 open
requests, retraining on 100,000 requests. Uses the public 问政 messages as text when present
(../shared/data/wenzheng, read at run time, never copied), else the demo's own texts.

    .venv/bin/python bench/triage_bench.py [--n 100000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minqing.settings")

import django

django.setup()

from minqing.triage.csvio import read_rows  # noqa: E402
from minqing.triage.engine import FULL_LIMIT, TextClassifier  # noqa: E402
from minqing.triage.index import Entry, SimilarityIndex  # noqa: E402

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "wenzheng"


def corpus() -> list:
    return read_rows(DATA / "messages.csv", labelled=True) + read_rows(DATA / "messages_segmented.csv", labelled=True)


def median_ms(fn, items) -> float:
    times = []
    for item in items:
        t0 = time.perf_counter()
        fn(item)
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100_000)
    args = parser.parse_args()
    if not DATA.exists():
        sys.exit(f"public data not found at {DATA}: see ../shared/data/README.md")
    rows = corpus()
    texts, labels = [r.text.replace(" ", "") for r in rows], [r.label for r in rows]
    rng = random.Random(0)
    # Scale to n requests by repeating the public texts with small variations (a number, a building).
    big = [f"{texts[i % len(texts)]} {rng.randint(1, 40)}号楼" for i in range(args.n)]
    big_labels = [labels[i % len(labels)] for i in range(args.n)]
    probes = [texts[rng.randrange(len(texts))] for _ in range(300)]

    # The full model (four views, ridge): the public training data as given, then the largest
    # history it is used for (FULL_LIMIT requests).
    t0 = time.perf_counter()
    full = TextClassifier().fit([r.text for r in rows], labels, [r.segmented for r in rows])
    full_train = time.perf_counter() - t0
    full_suggest = median_ms(lambda text: full.rank(text), probes)
    t0 = time.perf_counter()
    TextClassifier().fit(big[:FULL_LIMIT], big_labels[:FULL_LIMIT])
    limit_train = time.perf_counter() - t0
    print(f"full model: public data ({len(rows):,} messages) retrain={full_train:.1f}s suggest_median={full_suggest:.2f}ms; "
          f"{FULL_LIMIT:,} requests retrain={limit_train:.1f}s", flush=True)

    t0 = time.perf_counter()
    model = TextClassifier().fit(big, big_labels)
    train = time.perf_counter() - t0
    suggest = median_ms(lambda text: model.rank(text), probes)

    now = dt.datetime.now(dt.UTC)
    entries = [Entry(i, text, 1 + i % 9, 1 + i % 18, 1 + i % 400, now) for i, text in enumerate(big)]
    t0 = time.perf_counter()
    index = SimilarityIndex(entries)
    build = time.perf_counter() - t0
    t0 = time.perf_counter()
    SimilarityIndex(entries, previous=index)  # a rebuild: places, problems and vectors already there
    rebuild = time.perf_counter() - t0
    search = median_ms(lambda text: index.search(text, street_id=1, community_id=1, compound_id=1), probes)
    search_any = median_ms(lambda text: index.search(text), probes)
    print(f"requests={args.n:,} retrain={train:.1f}s suggest_median={suggest:.2f}ms index_build={build:.1f}s "
          f"index_rebuild={rebuild:.1f}s duplicates_median={search:.2f}ms (same street) / {search_any:.2f}ms "
          f"(whole district)")


if __name__ == "__main__":
    main()
