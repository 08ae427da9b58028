from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from minqing.ops.backup import BackupError, restore, row_counts


class Command(BaseCommand):
    help = "从 manage.py backup 的备份恢复数据库和上传的文件（会覆盖现有数据）"

    def add_arguments(self, parser) -> None:
        parser.add_argument("source", help="备份文件（.tar.gz）")
        parser.add_argument("--yes", action="store_true", help="确认覆盖现有数据")

    def handle(self, *args: Any, **opts: Any) -> None:
        source = Path(opts["source"])
        if not source.exists():
            raise CommandError(f"找不到备份文件：{source}")
        if not opts["yes"]:
            raise CommandError("恢复会覆盖现有数据库和上传的文件。确认请加 --yes。")
        try:
            manifest = restore(source)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        now = row_counts()
        differ = {k: (v, now.get(k)) for k, v in manifest["rows"].items() if now.get(k) != v}
        if differ:
            raise CommandError(f"恢复后行数与备份不一致：{differ}")
        self.stdout.write(self.style.SUCCESS(f"已从 {source} 恢复（备份时间 {manifest['created_at']}，"
                                             f"{sum(now.values())} 行，逐表核对一致）"))
