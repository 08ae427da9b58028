from __future__ import annotations

from django.apps import AppConfig


class TriageConfig(AppConfig):
    name = "minqing.triage"
    label = "triage"
    verbose_name = "智能分拨"

    def ready(self) -> None:
        from . import consumers  # noqa: F401 - registers the consumer
