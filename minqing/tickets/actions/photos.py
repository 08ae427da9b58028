"""Photos on a request's events: stored with the step that brings them, re-encoded once the step is valid.

A small photo is re-encoded at once, in the step's transaction (a few milliseconds). A larger one is
stored as uploaded in the quarantine, which nothing serves, and the attachment is 处理中; the worker
re-encodes it (`photos_process`, run by the task `process_photos` below) and only then is it shown. The task
row is written in the step's transaction (the queue is this database), so photo and task commit
together; a worker killed mid-way leaves the photo 处理中 with an old `queued_at`, and the sweep queues
it again (`photos_requeue_stale`), three times at most.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django_tasks import task

from minqing.lib import uploads
from minqing.lib.errors import ActionError

from ..models import Ticket, TicketAttachment, TicketEvent

log = logging.getLogger(__name__)
STALE = dt.timedelta(minutes=10)  # a photo still 处理中 this long after it was queued lost its task
MAX_ATTEMPTS = 3


def photos_attach(*, ticket: Ticket, event: TicketEvent, photos: list[uploads.PreparedImage], at: dt.datetime,
                  stored: list[str] | None) -> list[TicketAttachment]:
    """In the step's transaction: store the event's photos (their names go to `stored`, removed again if
    the step rolls back) and queue the large ones for the worker."""
    inline = settings.MINQING["ATTACHMENT_INLINE_PIXELS"]
    made, later = [], []
    for image in photos:
        if image.raw and image.pixels <= inline:
            try:
                image = uploads.reencode(image)
            except uploads.UploadError as exc:
                raise ActionError(str(exc), field="photos") from exc
        name = uploads.store(image)
        if stored is not None:
            stored.append(name)
        attachment = TicketAttachment.objects.create(
            ticket=ticket, event=event, file=name, original_name=image.original_name, content_type=image.content_type,
            size=len(image.content), width=image.width, height=image.height, created_at=at,
            state=TicketAttachment.PROCESSING if image.raw else TicketAttachment.READY,
            queued_at=at if image.raw else None)
        made.append(attachment)
        if image.raw:
            later.append(attachment.pk)
    if later:
        process_photos.enqueue(later)
    return made


def photos_process(*, ids: list[int]) -> dict[str, int]:
    """The worker's part: re-encode each photo still 处理中, replace the upload by the result, mark it
    可查看 (or 无法处理 when it cannot be read). A photo another worker took meanwhile is left to it."""
    counts = {"ready": 0, "failed": 0, "skipped": 0}
    for pk in ids:
        counts[_process_one(pk)] += 1
    return counts


def _process_one(pk: int) -> str:
    attachment = TicketAttachment.objects.filter(pk=pk, state=TicketAttachment.PROCESSING).first()
    if attachment is None or not TicketAttachment.objects.filter(
            pk=pk, state=TicketAttachment.PROCESSING, attempts=attachment.attempts).update(
            attempts=F("attempts") + 1, queued_at=timezone.now()):
        return "skipped"
    upload = attachment.file.name
    try:
        with attachment.file.open("rb") as handle:
            raw = handle.read()
        image = uploads.reencode(uploads.PreparedImage(
            attachment.original_name, raw, attachment.content_type, "", attachment.width, attachment.height, raw=True))
    except (uploads.UploadError, OSError) as exc:
        log.warning("photo %s cannot be re-encoded: %s", pk, exc)
        TicketAttachment.objects.filter(pk=pk, state=TicketAttachment.PROCESSING).update(
            state=TicketAttachment.FAILED, queued_at=None)
        uploads.discard([upload])
        return "failed"
    name = uploads.store(image)
    with transaction.atomic():
        changed = TicketAttachment.objects.filter(pk=pk, state=TicketAttachment.PROCESSING, file=upload).update(
            state=TicketAttachment.READY, file=name, content_type=image.content_type, size=len(image.content),
            width=image.width, height=image.height, queued_at=None)
    uploads.discard([upload] if changed else [name])
    return "ready" if changed else "skipped"


def photos_requeue_stale(*, now: dt.datetime) -> int:
    """Queue again the photos whose task was lost with a killed worker; after MAX_ATTEMPTS tries a photo is
    无法处理 (it may be what kills the worker). Run by the sweep; safe with several sweeps (SKIP LOCKED)."""
    with transaction.atomic():
        stale = TicketAttachment.objects.filter(state=TicketAttachment.PROCESSING, queued_at__lte=now - STALE)
        if connection.features.has_select_for_update_skip_locked:
            stale = stale.select_for_update(skip_locked=True)
        rows = list(stale.values_list("pk", "attempts")[:200])
        given_up = [pk for pk, attempts in rows if attempts >= MAX_ATTEMPTS]
        again = [pk for pk, attempts in rows if attempts < MAX_ATTEMPTS]
        TicketAttachment.objects.filter(pk__in=given_up).update(state=TicketAttachment.FAILED, queued_at=None)
        TicketAttachment.objects.filter(pk__in=again).update(queued_at=now)
        if again:
            process_photos.enqueue(again)
    return len(rows)


@task()
def process_photos(attachment_ids: list[int]) -> str:
    """The worker's job (`manage.py db_worker`): re-encode the large photos queued by photos_attach."""
    return str(photos_process(ids=attachment_ids))
