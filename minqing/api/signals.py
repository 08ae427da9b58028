"""Webhooks: every status change of a request goes to the subscribed systems through the outbox."""

from __future__ import annotations

import json

from django.db.models.signals import post_save
from django.dispatch import receiver

from minqing.notifications.actions import message_queue
from minqing.notifications.models import Channel
from minqing.tickets.models import TicketEvent


@receiver(post_save, sender=TicketEvent)
def tell_subscribers(sender: type, instance: TicketEvent, created: bool, **kwargs: object) -> None:
    if not created or instance.from_status == instance.to_status:
        return
    from .models import Webhook

    hooks = list(Webhook.objects.filter(active=True))
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
