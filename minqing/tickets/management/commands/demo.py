from __future__ import annotations

import time
from importlib import import_module
from typing import Any

from django.apps import apps
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from minqing.org.models import Area
from minqing.tickets import demo, demo_data


class Command(BaseCommand):
    help = "载入演示区（七里河区）：组织架构、分类目录、演示账号和 N 条民情事项。相同种子生成相同数据。"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--requests", type=int, default=400, help="生成的事项数（默认 400）")
        parser.add_argument("--seed", type=int, default=7, help="随机种子（默认 7）")
        parser.add_argument("--days", type=int, default=150, help="事项分布在最近多少天（默认 150）")
        parser.add_argument("--if-empty", action="store_true", help="数据库已有数据时什么也不做")
        parser.add_argument("--reset", action="store_true", help="先清空数据库（慎用）")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["requests"] < 0:
            raise CommandError("--requests 不能为负数。")
        if Area.objects.exists():
            if opts["if_empty"]:
                self.stdout.write("数据库已有数据，跳过演示数据。")
                self._print_accounts()
                return
            if not opts["reset"]:
                raise CommandError("数据库已有数据。要重新生成请加 --reset（会清空所有数据）。")
            call_command("flush", interactive=False, verbosity=0)
        started = time.monotonic()
        with transaction.atomic():
            demo.build_org()
            demo.build_catalogue()
            demo.build_rules()
            demo.build_accounts()
        now = timezone.now()

        def progress(n: int) -> None:
            if n % 50_000 == 0 or n == opts["requests"]:
                self.stdout.write(f"  已生成 {n} 条事项（{time.monotonic() - started:.0f} 秒）")

        made = demo.generate_tickets(count=opts["requests"], seed=opts["seed"], now=now, days=opts["days"],
                                     progress=progress)
        with transaction.atomic():
            pending = demo.build_applications()
        self.stdout.write(f"  待审批的申请（退单、缓办、延期）：{pending} 件")
        # Apps built on the requests (meetings, …) add their own demo data: each may offer demo.build(now=, seed=).
        for config in apps.get_app_configs():
            if config.name.startswith("minqing.") and config.name != "minqing.tickets":
                try:
                    module = import_module(f"{config.name}.demo")
                except ModuleNotFoundError as exc:
                    if exc.name != f"{config.name}.demo":
                        raise
                    continue
                with transaction.atomic():
                    n = module.build(now=now, seed=opts["seed"])
                self.stdout.write(f"  {config.verbose_name}：{n} 条演示记录")
        self.stdout.write(self.style.SUCCESS(f"演示区已载入：{made} 条事项，用时 {time.monotonic() - started:.1f} 秒。"))
        self._print_accounts()

    def _print_accounts(self) -> None:
        self.stdout.write(f"\n演示账号（密码均为 {demo_data.DEMO_PASSWORD}）：")
        for username, full_name, role, where in demo_data.ACCOUNTS:
            from minqing.accounts.models import Role

            self.stdout.write(f"  {username:<10} {full_name:<6} {Role(role).label:<8} {where or ''}")
