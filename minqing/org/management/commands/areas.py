from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from minqing.lib.xlsx import TableError
from minqing.org.boundaries import BoundaryError, addresses_import, boundaries_export, boundaries_import
from minqing.org.models import AreaKind


class Command(BaseCommand):
    help = "区域边界与门牌地址库：import 导入 GeoJSON 边界，export 导出，addresses 导入门牌地址表（.xlsx/.csv）"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="从 GeoJSON（或由 shapefile 转成的 GeoJSON）导入边界；全部通过检查才写入")
        imp.add_argument("file", help="GeoJSON 文件；要素属性写 code（区域编码）或 name（名称）")
        imp.add_argument("--create", action="store_true", help="编码不存在时新建区域（属性须有 name、kind、parent）")
        imp.add_argument("--dry-run", action="store_true", help="只检查，不写入")
        exp = sub.add_parser("export", help="把已有边界导出为 GeoJSON（import 可读回）")
        exp.add_argument("--kind", action="append", choices=[k.value for k in AreaKind], help="只导出该层级，可重复")
        exp.add_argument("-o", "--output", help="输出文件；缺省写到标准输出")
        addr = sub.add_parser("addresses", help="导入门牌地址库：道路、起始门牌号、终止门牌号、单双号、区域编码、说明")
        addr.add_argument("file", help=".xlsx 或 UTF-8 .csv")
        addr.add_argument("--replace", action="store_true", help="文件中出现的道路先删去原有门牌段")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["action"] == "export":
            text = json.dumps(boundaries_export(kinds=opts["kind"]), ensure_ascii=False)
            if opts["output"]:
                Path(opts["output"]).write_text(text, encoding="utf-8")
            else:
                sys.stdout.write(text + "\n")
            return
        path = Path(opts["file"])
        if not path.is_file():
            raise CommandError(f"找不到文件：{path}")
        try:
            if opts["action"] == "addresses":
                n = addresses_import(content=path.read_bytes(), name=path.name, replace=opts["replace"])
                self.stdout.write(self.style.SUCCESS(f"已导入 {n} 条门牌地址。"))
                return
            result = boundaries_import(data=path.read_bytes(), create=opts["create"], dry_run=opts["dry_run"])
        except (BoundaryError, TableError) as exc:
            raise CommandError(str(exc)) from exc
        for warning in result.warnings:
            self.stdout.write(self.style.WARNING(f"注意：{warning}"))
        verb = "检查通过（未写入）：将" if opts["dry_run"] else "已"
        self.stdout.write(self.style.SUCCESS(f"{verb}更新 {result.updated} 个、新建 {result.created} 个区域的边界。"))
