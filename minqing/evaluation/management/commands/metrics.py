"""`manage.py metrics --verify` recomputes every figure from the event log and reports differences;
`--rebuild` throws the facts and rollups away and computes them again; `--fold` sums new facts into
the rollups now (every sweep pass does it)."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from minqing.evaluation import facts


class Command(BaseCommand):
    help = "考核评价数据：--verify 从办理记录重新计算并报告差异；--rebuild 重新生成。"

    def add_arguments(self, parser) -> None:
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument("--verify", action="store_true", help="重新计算并与已存的汇总比较，有差异时以非零状态退出")
        group.add_argument("--rebuild", action="store_true", help="删除考核事实和月度汇总，从办理记录重新生成")
        group.add_argument("--fold", action="store_true", help="把尚未汇总的考核事实计入月度汇总（巡检每次都会做）")

    def handle(self, *args, **opts) -> None:
        started = time.monotonic()
        if opts["fold"]:
            self.stdout.write(f"已汇总 {facts.fold()} 条考核事实（用时 {time.monotonic() - started:.1f} 秒）。")
            return
        if opts["rebuild"]:
            n, rows = facts.rebuild()
            self.stdout.write(self.style.SUCCESS(
                f"已重新生成：{n} 条考核事实，{rows} 行月度汇总，用时 {time.monotonic() - started:.1f} 秒。"))
            return
        problems = facts.verify()
        for p in problems[:50]:
            self.stdout.write(p)
        if problems:
            raise CommandError(f"发现 {len(problems)} 处差异（运行 manage.py metrics --rebuild 可按办理记录重新生成）。")
        self.stdout.write(self.style.SUCCESS(f"考核数据与办理记录一致（用时 {time.monotonic() - started:.1f} 秒）。"))
