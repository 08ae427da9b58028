"""Writes of the notification system: in-app notices, SMS and e-mail through the outbox."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from minqing.accounts.models import User

from .backends import DeliveryError, post_signed, sms_backend
from .models import Channel, DeliveryAttempt, MessageStatus, Notification, OutboundMessage, Preference

MAX_ATTEMPTS = 5


def notify(*, recipients: Iterable[User], kind: str, title: str, body: str = "", url: str = "") -> int:
    """An in-app notice for each person and, by their preference, an SMS or e-mail. Returns the count."""
    people = {u.pk: u for u in recipients if u is not None and u.is_active}
    if not people:
        return 0
    Notification.objects.bulk_create(
        [Notification(recipient_id=pk, kind=kind, title=title[:200], body=body, url=url) for pk in people]
    )
    for pref in Preference.objects.filter(Q(sms=True) | Q(email=True), user_id__in=people):
        user = people[pref.user_id]
        text = f"{title}。{body}".strip("。") if body else title
        if pref.sms and user.phone:
            message_queue(channel=Channel.SMS, to=user.phone, template="staff_notice", params={"title": title},
                          body=f"【民情流水线】{text}")
        if pref.email and user.email:
            message_queue(channel=Channel.EMAIL, to=user.email, template="staff_notice", params={"title": title},
                          body=text)
    return len(people)


def message_queue(*, channel: str, to: str, template: str, params: dict, body: str) -> OutboundMessage:
    """Store the message and its delivery task; the worker sends it once this transaction commits.

    The task queue lives in this same database (django-tasks-db), so the task row is written inside
    the caller's transaction: message, task and the change that caused them commit or vanish
    together. Enqueueing on commit instead could lose the task if the process died in between.
    """
    from .tasks import deliver

    message = OutboundMessage.objects.create(channel=channel, to=to, template=template, params=params, body=body,
                                             next_try_at=timezone.now())
    deliver.enqueue(message.pk)
    return message


# A worker holds a message it is sending for LEASE; if it dies meanwhile, the message is due again, and a
# queued message whose attempt is that much overdue lost its task (a worker killed at the wrong moment).
LEASE = STALE = dt.timedelta(seconds=settings.MINQING["OUTBOX_LEASE_SECONDS"])


def _backoff(attempt: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(3600, 30 * 2 ** (attempt - 1)))


def message_deliver(*, message_id: int) -> str:
    """Try to send once. Failure is recorded and retried later; it never touches the caller's data."""
    from .tasks import deliver

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


def messages_requeue_stale(*, now: dt.datetime) -> int:
    """Queue again the messages whose attempt is long overdue: their task was lost with a worker killed
    between taking the task and finishing it. Run by the sweep; safe with several sweeps (SKIP LOCKED)."""
    from .tasks import deliver

    with transaction.atomic():
        stale = OutboundMessage.objects.filter(status=MessageStatus.QUEUED, next_try_at__lte=now - STALE)
        if connection.features.has_select_for_update_skip_locked:
            stale = stale.select_for_update(skip_locked=True)
        ids = list(stale.values_list("pk", flat=True)[:500])
        OutboundMessage.objects.filter(pk__in=ids).update(next_try_at=now)
        for pk in ids:
            deliver.enqueue(pk)
    return len(ids)


def notification_read(*, user: User, notification_id: int | None = None) -> int:
    """Mark one (or, without an id, all) of the user's notices read."""
    qs = Notification.objects.filter(recipient=user, read_at=None)
    if notification_id is not None:
        qs = qs.filter(pk=notification_id)
    return qs.update(read_at=timezone.now())


def messages_erase(*, before: dt.datetime) -> int:
    """Past the retention period, sent or failed messages keep only a masked address and no text."""
    from minqing.lib.masking import mask_phone

    erased = 0
    with transaction.atomic():
        for m in OutboundMessage.objects.filter(created_at__lt=before).exclude(status=MessageStatus.QUEUED).exclude(
                body="").only("pk", "to", "channel"):
            to = mask_phone(m.to) if m.channel == Channel.SMS else m.to.split("@")[-1]
            OutboundMessage.objects.filter(pk=m.pk).update(to=to, body="", params={})
            erased += 1
    return erased
