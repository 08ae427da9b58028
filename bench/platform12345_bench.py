"""12345 connector speed: N orders pulled from the fake platform and registered, then N 签收 sent back.

    bench/platform12345_bench.sh [N]   # fresh SQLite database with the demo organisation; N = 300
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minqing.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402

from minqing.accounts.models import User  # noqa: E402
from minqing.api import platform12345  # noqa: E402
from minqing.api.fake12345 import FakePlatform  # noqa: E402
from minqing.tickets import actions, consumers  # noqa: E402
from minqing.tickets.models import Ticket  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=300)
    n = parser.parse_args().orders
    fake = FakePlatform()
    settings.MINQING_12345 = {**settings.MINQING_12345, "URL": fake.start()}
    for i in range(n):
        fake.add_order(number=f"B-{i:06d}", text="瓜州路社区3号楼路灯坏了快一个月了。", category="路灯损坏",
                       address="瓜州路社区")
    started = time.perf_counter()
    result = platform12345.sync_once(pull_pages=n // 100 + 1)
    pulled = time.perf_counter() - started
    print(f"拉取并登记 {result.pulled} 件（{result.applied}）：{pulled:.2f} 秒，每秒 {n / pulled:.0f} 件")
    shequ = User.objects.get(username="shequ")
    for ticket in Ticket.objects.filter(external_number__startswith="B-"):
        actions.ticket_accept(ticket=ticket, actor=shequ)
    while consumers.consume("platform12345"):
        pass
    started = time.perf_counter()
    sent = platform12345.sync_once().sent
    took = time.perf_counter() - started
    print(f"发送签收 {sent}：{took:.2f} 秒，每秒 {n / took:.0f} 条；平台收到 {len(fake.taken)} 条")
    fake.stop()


if __name__ == "__main__":
    main()
