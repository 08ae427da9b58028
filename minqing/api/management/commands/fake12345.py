"""`manage.py fake12345`: run the fake 12345 platform (api/fake12345.py) on a port, for a demo of the connector."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from django.core.management.base import BaseCommand

from minqing.api.fake12345 import FMT, TZ, FakePlatform
from minqing.lib.stopping import on_signal
from minqing.tickets.models import Category


def demo_orders(fake: FakePlatform, count: int) -> list[dict]:
    """Orders for the demo district, alternately a department's matter (by the 派单目录) and a community's."""
    categories = list(Category.objects.filter(parent__isnull=False, active=True).select_related(
        "default_unit", "parent").order_by("parent__sort", "sort"))
    department = [c for c in categories if c.default_unit and c.default_unit.kind == "department"]
    local = [c for c in categories if c.default_unit is None]
    now = dt.datetime.now(TZ)
    stamp = now.strftime("%Y%m%d%H%M%S")
    out = []
    for i in range(count):
        pick = (department if i % 2 == 0 else local) or categories
        name = pick[i // 2 % len(pick)].name if pick else ""
        out.append(fake.add_order(
            number=f"12345-{stamp}-{i + 1:03d}", category=name, text=f"（演示）{name or '问题'}：瓜州路社区3号楼附近，请尽快处理。",
            address="西湖街道瓜州路社区", received_at=(now - dt.timedelta(hours=2 + i)).strftime(FMT),
            due=(now + dt.timedelta(days=5)).strftime(FMT)))
    return out


class Command(BaseCommand):
    help = "运行一个假的12345平台（演示用）：推送演示工单，按设定审批退单/延期申请，办结后给出回访结果。"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--port", type=int, default=8345)
        parser.add_argument("--orders", type=int, default=2, help="启动时放入的演示工单数（默认 2）")
        parser.add_argument("--return", dest="return_policy", choices=["approve", "refuse"], default="refuse",
                            help="退单申请：同意或不同意（默认不同意）")
        parser.add_argument("--extension", choices=["approve", "refuse"], default="approve",
                            help="延期申请：同意或不同意（默认同意）")
        parser.add_argument("--satisfaction", choices=["1", "2", "3"], default="1", help="回访满意度：1 满意，2 基本满意，3 不满意")
        parser.add_argument("--fail", action="append", default=[], metavar="PATH:MODE[:TIMES]",
                            help="注入故障，例如 /gd/qs:500 或 /gd/bj:drop:2（模式：500、500_after、drop、timeout）")

    def handle(self, *args: Any, **opts: Any) -> None:
        fake = FakePlatform(policy={"return_apply": opts["return_policy"], "extension_apply": opts["extension"]},
                            satisfaction=opts["satisfaction"])
        for spec in opts["fail"]:
            path, mode, *times = spec.split(":")
            fake.fail(path, mode, int(times[0]) if times else 1)
        demo_orders(fake, opts["orders"])
        url = fake.start(port=opts["port"])
        self.stdout.write(f"假12345平台已启动：{url}（{opts['orders']} 件演示工单）。另开终端运行：\n"
                          f"  MINQING_12345_URL={url} .venv/bin/python manage.py pull12345 --loop --interval 5\n"
                          "Ctrl-C 停止；停止时打印平台收到的消息。")
        stopping = on_signal()
        seen = 0
        while not stopping():
            time.sleep(0.5)
            taken = list(fake.taken.values())
            for m in taken[seen:]:
                self.stdout.write(f"平台收到：{m['kind']} {m.get('gdbh')} {m.get('cznr', '')[:40]}")
            seen = len(taken)
        fake.stop()
        self.stdout.write(f"共收到请求 {len(fake.requests)} 次，接收消息 {len(fake.taken)} 条（重复的已忽略）。")
