"""`manage.py pull12345`: the 12345 connector's loop (platform12345.sync_once every --interval seconds)."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections

from minqing.api import platform12345
from minqing.lib.stopping import on_signal


class Command(BaseCommand):
    help = "与12345平台同步：发送待发的签收、阶段反馈、退单/延期申请、办结，拉取新工单、审批结果和回访结果并处理。"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--loop", action="store_true", help="一直运行，每 --interval 秒同步一次")
        parser.add_argument("--interval", type=float, default=settings.MINQING_12345["PULL_INTERVAL"],
                            help="同步间隔（秒，默认 MINQING_12345_PULL_INTERVAL）")

    def handle(self, *args: Any, **opts: Any) -> None:
        if not platform12345.connected():
            raise CommandError("没有设置 MINQING_12345_URL（12345平台的接口地址），不能同步。")
        stopping = on_signal()
        while not stopping():
            r = platform12345.sync_once()
            sent = "，".join(f"{k} {v}" for k, v in r.sent.items()) or "0"
            applied = "，".join(f"{k} {v}" for k, v in r.applied.items()) or "0"
            self.stdout.write(f"12345同步：新来件 {r.pulled}，处理 {applied}，发送 {sent}"
                              + (f"；拉取失败：{r.error}" if r.error else ""))
            if not opts["loop"]:
                return
            close_old_connections()
            deadline = time.monotonic() + float(opts["interval"])
            while time.monotonic() < deadline and not stopping():
                time.sleep(0.2)
