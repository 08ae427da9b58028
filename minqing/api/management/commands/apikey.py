from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from minqing.accounts.models import Role, RoleAssignment, User
from minqing.api.models import PERMISSIONS, ApiToken
from minqing.org.models import Unit, UnitKind


class Command(BaseCommand):
    help = "管理 API 令牌：create NAME 新建一个登记权限的令牌并打印出来（只显示这一次）；revoke NAME 吊销。"

    def add_arguments(self, parser) -> None:
        parser.add_argument("verb", choices=["create", "revoke"])
        parser.add_argument("name")
        parser.add_argument("--permissions", default="intake", help="逗号分隔：intake,read,act（默认 intake）")

    def handle(self, *args: Any, **opts: Any) -> None:
        name = str(opts["name"]).strip()
        if opts["verb"] == "revoke":
            from django.utils import timezone

            if not ApiToken.objects.filter(name=name, revoked_at=None).update(revoked_at=timezone.now()):
                raise CommandError(f"没有名为 {name} 的有效令牌。")
            self.stdout.write(f"已吊销 {name}。")
            return
        permissions = [p for p in str(opts["permissions"]).split(",") if p]
        unknown = set(permissions) - set(PERMISSIONS)
        if unknown or not permissions:
            raise CommandError(f"未知权限：{', '.join(sorted(unknown)) or '（空）'}；可用：{', '.join(PERMISSIONS)}")
        if ApiToken.objects.filter(name=name).exists():
            raise CommandError(f"已有名为 {name} 的令牌。")
        center = Unit.objects.filter(kind=UnitKind.DISTRICT_CENTER, active=True).first()
        if center is None:
            raise CommandError("还没有区民情服务中心（先载入演示区或在系统管理里建立）。")
        with transaction.atomic():
            # The token's service account works for the district center: it may register anywhere.
            user = User.objects.create_user(username=f"api-{name}"[:150], full_name=f"接口：{name}")
            user.set_unusable_password()
            user.save()
            RoleAssignment.objects.create(user=user, role=Role.DISTRICT_SUPERVISOR, unit=center)
            _, plain = ApiToken.issue(name=name, user=user, permissions=permissions)
        self.stdout.write(plain)
