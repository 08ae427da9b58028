from __future__ import annotations

from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class AccountsConfig(AppConfig):
    default = True  # this module also holds the admin's config, below
    name = "minqing.accounts"
    label = "accounts"
    verbose_name = "用户与角色"


class AdminSiteConfig(admin_apps.AdminConfig):
    """django.contrib.admin with its site behind the second factor (admin_site.Site)."""

    default = False
    default_site = "minqing.accounts.admin_site.Site"
