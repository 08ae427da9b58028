"""Every new event adds its facts in its own transaction (a 12345 import batch in one go); every sweep
pass folds new facts into the monthly rollups."""

from __future__ import annotations

from django.db.models.signals import post_save
from django.dispatch import receiver

from minqing.tickets.models import TicketEvent
from minqing.tickets.signals import events_bulk_created, sweep_done


@receiver(post_save, sender=TicketEvent)
def add_facts(sender: type, instance: TicketEvent, created: bool, raw: bool = False, **kwargs: object) -> None:
    if created and not raw and not getattr(instance, "in_bulk", False):
        from .facts import record_event

        record_event(instance)


@receiver(events_bulk_created, sender=TicketEvent)
def add_facts_in_bulk(sender: type, events: list[TicketEvent], **kwargs: object) -> None:
    from .facts import record_events

    record_events(events)


@receiver(sweep_done)
def fold_facts(sender: type, now: object, **kwargs: object) -> int:
    from .facts import fold

    return fold()
