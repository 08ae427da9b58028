"""`manage.py loop`: the background loop beside the web server and the task worker.

Every second it runs the event consumers (notices, evaluation facts, webhooks, meeting resolutions,
triage: consumers.py) over what the log gained; every --interval seconds (MINQING_SWEEP_INTERVAL, 30)
the deadline sweep too. Several copies may run at once (SKIP LOCKED on PostgreSQL); killed mid-batch,
the batch is done again by the next pass, once. It prints each consumer's lag when it has work.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from minqing.lib.stopping import on_signal
from minqing.tickets.consumers import consume_all, lag
from minqing.tickets.sweep import sweep_once


class Command(BaseCommand):
    help = "后台循环：每秒处理新的办理记录（通知、考核事实、Webhook、议事决议、分类建议），每 --interval 秒巡检时限。"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--interval", type=float, default=settings.MINQING["SWEEP_INTERVAL"],
                            help="巡检间隔（秒，默认 MINQING_SWEEP_INTERVAL）")
        parser.add_argument("--consume-interval", type=float, default=1.0, help="处理新记录的间隔（秒，默认 1）")
        parser.add_argument("--once", action="store_true", help="只运行一轮（处理完积压的记录并巡检一次）后退出")

    def handle(self, *args: Any, **opts: Any) -> None:
        stopping = on_signal()
        next_sweep = 0.0
        while not stopping():
            done = consume_all()
            if any(done.values()) or opts["once"]:
                behind = "，".join(f"{x.label} 待处理 {x.pending}（最早 {x.oldest_seconds:.0f} 秒前）" for x in lag()
                                  if x.pending) or "无积压"
                self.stdout.write(f"处理记录：{'，'.join(f'{k} {v}' for k, v in done.items() if v) or '0'}；{behind}")
            if time.monotonic() >= next_sweep:
                started = time.monotonic()
                r = sweep_once()
                next_sweep = started + float(opts["interval"])
                if r.checked or r.orders_overdue or r.requeued or opts["once"] or int(opts["verbosity"]) > 1:
                    self.stdout.write(
                        f"巡检：检查 {r.checked} 件，预警 {r.warnings}，超期上报 {r.escalations}，回访提醒 {r.callbacks}，"
                        f"督办单超期 {r.orders_overdue}，跳过 {r.skipped}，消息重新排队 {r.requeued}，"
                        f"考核事实汇总 {r.folded}（{time.monotonic() - started:.2f} 秒）")
            if opts["once"]:
                return
            close_old_connections()
            deadline = time.monotonic() + float(opts["consume_interval"])
            while time.monotonic() < deadline and not stopping():
                time.sleep(0.1)
