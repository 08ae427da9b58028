from __future__ import annotations

from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class AccountsConfig(AppConfig):
    default = True  # this module also holds the admin's config, below
    name = "minqing.accounts"
    label = "accounts"
    verbose_name = "用户与角色"

    def ready(self) -> None:
        name_libraries_in_chinese()


class AdminSiteConfig(admin_apps.AdminConfig):
    """django.contrib.admin with its site behind the second factor (admin_site.Site)."""

    default = False
    default_site = "minqing.accounts.admin_site.Site"


# The libraries' sections of the admin, in Chinese (they ship no Simplified Chinese translation).
LIBRARY_NAMES = {
    "axes": ("登录保护", {"AccessAttempt": "登录失败记录（删除即解锁）", "AccessLog": "登录日志", "AccessFailureLog": "登录失败日志"}),
    "otp_totp": ("二次验证", {"TOTPDevice": "手机验证器"}),
    "django_tasks_database": ("后台任务", {"DBTaskResult": "后台任务记录"}),
}


def name_libraries_in_chinese() -> None:
    from django.apps import apps

    installed = {c.label for c in apps.get_app_configs()}
    for label, (app_name, models) in LIBRARY_NAMES.items():
        if label not in installed:
            continue
        config = apps.get_app_config(label)
        config.verbose_name = app_name
        for model_name, name in models.items():
            meta = config.get_model(model_name)._meta
            meta.verbose_name = meta.verbose_name_plural = name
