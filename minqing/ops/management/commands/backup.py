from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from minqing.ops.backup import BackupError, backup


class Command(BaseCommand):
    help = "备份数据库和上传的文件到一个 .tar.gz（SQLite 在线备份，PostgreSQL 用 pg_dump）"

    def add_arguments(self, parser) -> None:
        parser.add_argument("target", nargs="?", help="备份文件路径（默认 var/backups/minqing-时间.tar.gz）")

    def handle(self, *args: Any, **opts: Any) -> None:
        from django.conf import settings

        target = Path(opts["target"] or settings.VAR_DIR / "backups" / f"minqing-{timezone.localtime():%Y%m%d-%H%M%S}.tar.gz")
        try:
            manifest = backup(target)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"已备份到 {target}（{sum(manifest['rows'].values())} 行，"
                                             f"{target.stat().st_size / 1e6:.1f} MB）"))
