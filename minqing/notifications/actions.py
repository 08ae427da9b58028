"""Writes of the notification system: in-app notices, SMS and e-mail through the outbox."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from minqing.accounts.models import User

from .models import Channel, MessageStatus, Notification, OutboundMessage, Preference
from .tasks import LEASE, deliver


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
    message = OutboundMessage.objects.create(channel=channel, to=to, template=template, params=params, body=body,
                                             next_try_at=timezone.now())
    deliver.enqueue(message.pk)
    return message


# A queued message whose attempt is this much overdue lost its task (a worker killed at the wrong moment).
STALE = LEASE


def messages_requeue_stale(*, now: dt.datetime) -> int:
    """Queue again the messages whose attempt is long overdue: their task was lost with a worker killed
    between taking the task and finishing it. Run by the sweep; safe with several sweeps (SKIP LOCKED)."""
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
