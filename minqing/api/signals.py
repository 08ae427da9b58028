"""Webhooks: every status change of a request goes to the subscribed systems through the outbox."""

from __future__ import annotations

import json

from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from minqing.notifications.actions import message_queue
from minqing.notifications.models import Channel
from minqing.tickets.models import TicketEvent

HOOKS_KEY = "minqing:webhooks"


def _active_hooks() -> list:
    """The active webhooks, cached for 10 s: every status change asks, and they rarely change. A change
    made in this process clears the cache at once; other processes see it within 10 s."""
    from .models import Webhook

    return cache.get_or_set(HOOKS_KEY, lambda: list(Webhook.objects.filter(active=True)), 10)


@receiver([post_save, post_delete], sender="api.Webhook")
def forget_hooks(**kwargs: object) -> None:
    cache.delete(HOOKS_KEY)


@receiver(post_save, sender=TicketEvent)
def tell_subscribers(sender: type, instance: TicketEvent, created: bool, **kwargs: object) -> None:
    if not created or instance.from_status == instance.to_status:
        return
    hooks = _active_hooks()
    if not hooks:
        return
    ticket = instance.ticket
    payload = json.dumps({
        "event": "request.status_changed", "event_id": instance.pk, "request": ticket.number,
        "action": instance.action, "from": instance.from_status or None, "to": instance.to_status,
        "at": instance.created_at.isoformat(), "handling_unit": ticket.handling_unit.name,
    }, ensure_ascii=False)
    for hook in hooks:
        message_queue(channel=Channel.WEBHOOK, to=hook.url, template="status_changed",
                      params={"secret": hook.secret, "webhook": hook.pk}, body=payload)
