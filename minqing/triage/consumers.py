"""When a request is registered, record whether the category suggested for its text was taken."""

from __future__ import annotations

from minqing.tickets import consumers
from minqing.tickets.models import TicketEvent

from .actions import suggestion_link


@consumers.register("triage", "分类建议采纳", wants=lambda e: e.action == "create")
def link_suggestions(events: list[TicketEvent]) -> None:
    for event in events:
        suggestion_link(event.ticket)
