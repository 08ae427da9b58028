from __future__ import annotations

import signal
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from minqing.tickets.sweep import sweep_once


class Command(BaseCommand):
    help = "巡检时限：预警、超期自动上报督办、督办单超期、回访提醒。--loop 持续运行。"

    def add_arguments(self, parser) -> None:  # noqa: ANN001
        parser.add_argument("--loop", action="store_true", help="持续运行，每隔 --interval 秒巡检一次")
        parser.add_argument("--interval", type=float, default=settings.MINQING["SWEEP_INTERVAL"])
        parser.add_argument("--batch", type=int, default=200, help="每个事务处理的事项数（默认 200）")

    def handle(self, *args: object, **opts: object) -> None:
        stopping = False

        def stop(signum: int, frame: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        while True:
            started = time.monotonic()
            result = sweep_once(batch=int(opts["batch"]))
            if result.checked or result.orders_overdue or result.requeued or opts["verbosity"] > 1 or not opts["loop"]:
                self.stdout.write(
                    f"巡检：检查 {result.checked} 件，预警 {result.warnings}，超期上报 {result.escalations}，"
                    f"回访提醒 {result.callbacks}，督办单超期 {result.orders_overdue}，"
                    f"跳过 {result.skipped}，消息重新排队 {result.requeued}（{time.monotonic() - started:.2f} 秒）"
                )
            if not opts["loop"] or stopping:
                return
            close_old_connections()
            deadline = time.monotonic() + float(opts["interval"])
            while time.monotonic() < deadline and not stopping:
                time.sleep(0.2)
            if stopping:
                return
