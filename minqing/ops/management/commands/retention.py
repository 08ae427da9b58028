from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from minqing.meetings.actions import participants_erase
from minqing.notifications.actions import messages_erase
from minqing.partnership.actions import wishes_erase
from minqing.tickets.actions import tickets_erase_personal_data


class Command(BaseCommand):
    help = "删除超过保存期限的个人信息（反映人姓名、电话、地址；短信正文；参会居民和心愿居民的电话），统计数字不变"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--days", type=int, default=None,
                            help="结案后保存多少天（默认 MINQING_RETENTION_DAYS，未设置为 730）")

    def handle(self, *args: Any, **opts: Any) -> None:
        days = opts["days"] if opts["days"] is not None else settings.MINQING["RETENTION_DAYS"]
        if days < 30:
            raise CommandError("保存期限不能少于 30 天。")
        before = timezone.now() - dt.timedelta(days=days)
        counts = {
            "事项": tickets_erase_personal_data(before=before),
            "短信/邮件": messages_erase(before=before),
            "参会人": participants_erase(before=before),
            "微心愿": wishes_erase(before=before),
        }
        summary = "，".join(f"{k} {v}" for k, v in counts.items())
        self.stdout.write(self.style.SUCCESS(f"已删除 {timezone.localtime(before):%Y-%m-%d} 前的个人信息：{summary}"))
