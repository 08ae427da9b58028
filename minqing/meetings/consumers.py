"""A request resolved by a meeting's decision completes that decision (after the step has committed)."""

from __future__ import annotations

from minqing.tickets import consumers
from minqing.tickets.lifecycle import Status
from minqing.tickets.models import TicketEvent

from .actions import resolution_complete
from .models import Resolution


def _resolves(event: TicketEvent) -> bool:
    return event.to_status == Status.RESOLVED and event.from_status != Status.RESOLVED


@consumers.register("meetings", "议事决议落实", wants=_resolves)
def complete_resolutions(events: list[TicketEvent]) -> None:
    for event in events:
        for r in Resolution.objects.filter(ticket_id=event.ticket_id, done_at=None):
            resolution_complete(resolution=r, actor=None, at=event.created_at,
                                note=f"关联事项已办结（{event.actor_label}）：{event.note or '见事项办理记录'}")
