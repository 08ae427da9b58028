"""Work the background worker (`manage.py db_worker`) does: deliver one outbound message."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.mail import send_mail
from django.db.models import F
from django.utils import timezone
from django_tasks import task

from .backends import DeliveryError, post_signed, sms_backend
from .models import Channel, DeliveryAttempt, MessageStatus, OutboundMessage

MAX_ATTEMPTS = 5
# A worker holds a message it is sending for LEASE; if it dies meanwhile, the message is due again.
LEASE = dt.timedelta(seconds=settings.MINQING["OUTBOX_LEASE_SECONDS"])


@task()
def deliver(message_id: int) -> str:
    return message_deliver(message_id=message_id)


def _backoff(attempt: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(3600, 30 * 2 ** (attempt - 1)))


def message_deliver(*, message_id: int) -> str:
    """Try to send once. Failure is recorded and retried later; it never touches the caller's data."""
    message = OutboundMessage.objects.filter(pk=message_id).first()
    if message is None or message.status != MessageStatus.QUEUED:
        return "skipped"
    # Claim this attempt: a second worker holding the same task finds attempts moved on and stops.
    if not OutboundMessage.objects.filter(pk=message.pk, status=MessageStatus.QUEUED, attempts=message.attempts).update(
            attempts=F("attempts") + 1, next_try_at=timezone.now() + LEASE):
        return "skipped"
    attempt = message.attempts + 1
    try:
        if message.channel == Channel.SMS:
            backend = sms_backend()
            name = type(backend).__name__
            detail = backend.send(to=message.to, template=message.template, params=message.params, body=message.body,
                                  reference=str(message.pk))
        elif message.channel == Channel.WEBHOOK:
            name = "webhook"
            detail = post_signed(url=message.to, body=message.body, secret=message.params.get("secret", ""))
        else:
            name = settings.EMAIL_BACKEND
            send_mail("民情流水线通知", message.body, None, [message.to])
            detail = "sent"
    except (DeliveryError, OSError, ValueError) as exc:
        DeliveryAttempt.objects.create(message=message, ok=False, backend=locals().get("name", "?"), detail=str(exc))
        if attempt >= MAX_ATTEMPTS:
            OutboundMessage.objects.filter(pk=message.pk).update(status=MessageStatus.FAILED, last_error=str(exc),
                                                                 next_try_at=None)
            return "failed"
        later = timezone.now() + _backoff(attempt)
        OutboundMessage.objects.filter(pk=message.pk).update(last_error=str(exc), next_try_at=later)
        deliver.using(run_after=later).enqueue(message.pk)
        return "retry"
    DeliveryAttempt.objects.create(message=message, ok=True, backend=name, detail=str(detail)[:500])
    OutboundMessage.objects.filter(pk=message.pk).update(status=MessageStatus.SENT, sent_at=timezone.now(),
                                                         last_error="", next_try_at=None)
    return "sent"
