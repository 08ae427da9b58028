from __future__ import annotations

from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "minqing.tickets"
    label = "tickets"
    verbose_name = "民情事项"

    def ready(self) -> None:
        from . import announce, deadlines  # noqa: F401 - the notices consumer; the calendar's cache reset
