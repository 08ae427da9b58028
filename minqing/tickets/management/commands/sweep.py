from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from minqing.tickets.sweep import sweep_once


class Command(BaseCommand):
    help = "巡检时限一次：预警、超期自动上报督办、督办单超期、回访提醒（持续运行用 manage.py loop）。"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--batch", type=int, default=200, help="每个事务处理的事项数（默认 200）")

    def handle(self, *args: Any, **opts: Any) -> None:
        r = sweep_once(batch=int(opts["batch"]))
        self.stdout.write(
            f"巡检：检查 {r.checked} 件，预警 {r.warnings}，超期上报 {r.escalations}，回访提醒 {r.callbacks}，"
            f"督办单超期 {r.orders_overdue}，跳过 {r.skipped}，消息重新排队 {r.requeued}")
