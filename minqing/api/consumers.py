"""Webhooks: every status change of a request goes to the subscribed systems through the outbox."""

from __future__ import annotations

import json
from typing import Any

from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from minqing.notifications.actions import message_queue
from minqing.notifications.models import Channel
from minqing.tickets import consumers
from minqing.tickets.models import TicketEvent

from .models import Webhook

HOOKS_KEY = "minqing:webhooks"


def _active_hooks() -> list[Webhook]:
    """The active webhooks, cached for 10 s: every status change asks, and they rarely change. A change
    made in this process clears the cache at once; other processes see it within 10 s."""
    return cache.get_or_set(HOOKS_KEY, lambda: list(Webhook.objects.filter(active=True)), 10)


@receiver([post_save, post_delete], sender=Webhook)
def forget_hooks(**kwargs: Any) -> None:
    cache.delete(HOOKS_KEY)


@consumers.register("webhooks", "Webhook 推送", wants=consumers.status_changed)
def tell_subscribers(events: list[TicketEvent]) -> None:
    hooks = _active_hooks()
    for event in events if hooks else []:
        ticket = event.ticket
        payload = json.dumps({
            "event": "request.status_changed", "event_id": event.pk, "request": ticket.number,
            "action": event.action, "from": event.from_status or None, "to": event.to_status,
            "at": event.created_at.isoformat(),
            "handling_unit": (event.to_unit or event.from_unit or ticket.handling_unit).name,
        }, ensure_ascii=False)
        for hook in hooks:
            message_queue(channel=Channel.WEBHOOK, to=hook.url, template="status_changed",
                          params={"secret": hook.secret, "webhook": hook.pk}, body=payload)
