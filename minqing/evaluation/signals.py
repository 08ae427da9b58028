"""Every new event adds its facts and updates the monthly rollups, in the event's own transaction; a
batch of new requests (a 12345 import) is done in one go."""

from __future__ import annotations

from django.db.models.signals import post_save
from django.dispatch import receiver

from minqing.tickets.models import TicketEvent
from minqing.tickets.signals import events_bulk_created


@receiver(post_save, sender=TicketEvent)
def add_facts(sender: type, instance: TicketEvent, created: bool, raw: bool = False, **kwargs: object) -> None:
    if created and not raw and not getattr(instance, "in_bulk", False):
        from .facts import record_event

        record_event(instance)


@receiver(events_bulk_created, sender=TicketEvent)
def add_facts_in_bulk(sender: type, events: list[TicketEvent], **kwargs: object) -> None:
    from .facts import record_events

    record_events(events)
