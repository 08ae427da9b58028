from __future__ import annotations

from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "minqing.governance"
    label = "governance"
    verbose_name = "主动治理"

    def ready(self) -> None:
        from . import sweep  # noqa: F401 - links new requests to the projects at the end of every sweep pass
