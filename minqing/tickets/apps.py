from __future__ import annotations

from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "minqing.tickets"
    label = "tickets"
    verbose_name = "民情事项"
