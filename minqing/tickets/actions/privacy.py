"""Personal data: what a viewer is shown of the reporter (and the record of who saw a full number), and
erasing it when the retention period is over."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from minqing.accounts.scope import Scope

from .. import consumers
from ..lifecycle import FINAL_STATUSES
from ..models import PersonalDataView, Ticket, TicketEvent
from ..queries import Reporter, reporter_for


def tickets_erase_personal_data(*, before: dt.datetime, batch: int = 1000) -> int:
    """Erase reporters' personal data (name, phone, account link, address detail, coordinates, tracking
    code) from finished requests last changed before `before`; categories, places, dates, ratings and
    the event log stay, so every figure is unchanged. Each request gets an `erase` event. Returns the count."""
    done = 0
    while True:
        with transaction.atomic():
            ids = list(Ticket.objects.filter(status__in=FINAL_STATUSES, updated_at__lt=before,
                                             personal_data_erased_at=None).values_list("pk", "status")[:batch])
            if not ids:
                return done
            now = timezone.now()
            Ticket.objects.filter(pk__in=[pk for pk, _ in ids], personal_data_erased_at=None).update(
                reporter_name="", reporter_phone="", reporter_phone_hash="", reporter_user=None, address="",
                latitude=None, longitude=None, tracking_code_hash="", personal_data_erased_at=now)
            events = TicketEvent.objects.bulk_create([
                TicketEvent(ticket_id=pk, action="erase", from_status=status, to_status=status, actor=None,
                            actor_label="系统", note=f"结案超过保存期限，反映人个人信息已删除（{before:%Y-%m-%d} 前）",
                            created_at=now) for pk, status in ids])
            consumers.enqueue(events)
            done += len(ids)


def reporter_shown(*, scope: Scope, ticket: Ticket, via: str, calls: bool = False) -> Reporter:
    """The reporter as shown to this viewer; a full phone number shown is recorded (who, when, where),
    so that supervisors can see who looked at whose number."""
    reporter = reporter_for(scope, ticket, calls=calls)
    if not reporter.masked and reporter.phone and scope.user is not None:
        PersonalDataView.objects.create(ticket=ticket, viewer=scope.user, via=via)
    return reporter
