from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from minqing.lib.crypto import lookup_hash, rotate
from minqing.tickets.models import Ticket


class Command(BaseCommand):
    help = "用 MINQING_FIELD_KEYS 的第一个密钥重新加密反映人电话（轮换密钥后运行）；--rehash 同时按 MINQING_LOOKUP_KEY 重算检索摘要"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--rehash", action="store_true", help="检索密钥也换了：重算每个号码的检索摘要")

    def handle(self, *args: Any, **opts: Any) -> None:
        from django.db import connection

        done = 0
        with connection.cursor() as cursor:  # the stored tokens themselves, not the decrypted values
            cursor.execute("SELECT id, reporter_phone FROM tickets_ticket WHERE reporter_phone <> ''")
            rows = cursor.fetchall()
        for start in range(0, len(rows), 2000):
            with transaction.atomic():
                for pk, token in rows[start:start + 2000]:
                    fresh = rotate(token)
                    changes = {}
                    if opts["rehash"]:
                        changes["reporter_phone_hash"] = lookup_hash(Ticket.objects.get(pk=pk).reporter_phone)
                    with connection.cursor() as cursor:
                        cursor.execute("UPDATE tickets_ticket SET reporter_phone = %s WHERE id = %s", [fresh, pk])
                    if changes:
                        Ticket.objects.filter(pk=pk).update(**changes)
                    done += 1
        self.stdout.write(self.style.SUCCESS(f"已用最新密钥重新加密 {done} 个号码{'，并重算检索摘要' if opts['rehash'] else ''}。"))
