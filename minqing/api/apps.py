from __future__ import annotations

from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "minqing.api"
    label = "api"
    verbose_name = "接口"

    def ready(self) -> None:
        from . import consumers, platform12345  # noqa: F401 - register the consumers
