from __future__ import annotations

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "minqing.accounts"
    label = "accounts"
    verbose_name = "用户与角色"
