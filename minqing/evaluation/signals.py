"""Every new event adds its facts and updates the monthly rollups, in the event's own transaction."""

from __future__ import annotations

from django.db.models.signals import post_save
from django.dispatch import receiver

from minqing.tickets.models import TicketEvent


@receiver(post_save, sender=TicketEvent)
def add_facts(sender: type, instance: TicketEvent, created: bool, raw: bool = False, **kwargs: object) -> None:
    if created and not raw:
        from .facts import record_event

        record_event(instance)
