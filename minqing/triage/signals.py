from __future__ import annotations

from django.db.models.signals import post_save
from django.dispatch import receiver

from minqing.tickets.models import Ticket


@receiver(post_save, sender=Ticket)
def record_suggestion_outcome(sender: type, instance: Ticket, created: bool, **kwargs: object) -> None:
    if created:
        from .actions import suggestion_link

        suggestion_link(instance)
