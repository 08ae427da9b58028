"""A request resolved by a meeting's decision completes that decision."""

from __future__ import annotations

from django.db.models.signals import post_save
from django.dispatch import receiver

from minqing.tickets.models import TicketEvent
from minqing.tickets.workflow import Status


@receiver(post_save, sender=TicketEvent)
def complete_resolutions(sender: type, instance: TicketEvent, created: bool, **kwargs: object) -> None:
    if not created or instance.to_status != Status.RESOLVED or instance.from_status == Status.RESOLVED:
        return
    from .actions import resolution_complete
    from .models import Resolution

    for r in Resolution.objects.filter(ticket_id=instance.ticket_id, done_at=None):
        resolution_complete(resolution=r, actor=None, at=instance.created_at,
                            note=f"关联事项已办结（{instance.actor_label}）：{instance.note or '见事项办理记录'}")
