"""Who hears about what: the notices consumer sends what lifecycle.STEPS declares for each event, after
the step has committed (a slow SMS gateway or a missing office never holds up or undoes a step).

Staff get an in-app notice (and SMS/e-mail by their preference) when their queue gains a request;
reporters get an SMS at the steps that declare one (accepted, resolved), and when their callback is due.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.urls import reverse

from minqing.accounts.models import Role, User
from minqing.accounts.queries import callback_team, unit_staff
from minqing.notifications.actions import message_queue, notify
from minqing.notifications.models import Channel
from minqing.org.models import Unit

from . import consumers
from .lifecycle import CLOCK_LABELS, STEPS, Notice, Sms, To
from .models import Ticket, TicketEvent


def staff_link(ticket: Ticket) -> str:
    return reverse("ticket_detail", args=[ticket.number])


def public_link(ticket: Ticket) -> str:
    return f"{settings.PUBLIC_BASE_URL.rstrip('/')}{reverse('resident_track')}?n={ticket.number}"


def tell(units: Iterable[Unit | int | None], ticket: Ticket, title: str, *, kind: str, body: str = "",
         actor: User | None = None, extra: Iterable[User | None] = ()) -> int:
    people = [u for u in [*unit_staff(units), *extra] if u is not None and (actor is None or u.pk != actor.pk)]
    return notify(recipients=people, kind=kind, title=f"{title}：{ticket.number}", body=body or ticket.title,
                  url=staff_link(ticket))


def sms_reporters(ticket: Ticket, sms: Sms, fields: dict[str, Any] | None = None) -> int:
    """SMS the reporter and the reporters of duplicates merged into this request. `fields` fill the text's
    other names ({note}, {new_due}, {until})."""
    sent = 0
    for t in [ticket, *Ticket.objects.filter(merged_into=ticket)]:
        if t.anonymous or not t.reporter_phone:
            continue
        body = sms.text.format_map(defaultdict(str, {**(fields or {}), "number": t.number, "link": public_link(t)}))
        message_queue(channel=Channel.SMS, to=t.reporter_phone, template=sms.template, params={"number": t.number},
                      body=f"【七里河区民情】{body}")
        sent += 1
    return sent


def recipients(to: To, event: TicketEvent, ticket: Ticket) -> tuple[list[Unit | int | None], list[User | None]]:
    """The units (and people) a notice goes to, read off the event."""
    data = event.data or {}
    if to == To.HOLDER:
        return [event.to_unit_id or event.from_unit_id or ticket.handling_unit_id], []
    if to == To.CALLBACK:
        return [], list[User | None](callback_team(ticket.street_id))
    if to == To.SUPERVISOR:
        return [data.get("supervisor_id")], []
    if to == To.PARTS:
        return [p.get("unit_id") for p in data.get("parts", [])], []
    if to == To.REVIEWER:
        if ticket.review == "onsite":
            return [], list(User.objects.filter(is_active=True, roles__role=Role.GRID_WORKER,
                                                roles__area=ticket.grid).distinct())
        return [ticket.reviewer_unit_id], []
    people = User.objects.filter(pk__in=[data.get(k) for k in ("notify_user_id", "issuer_id") if data.get(k)])
    if to == To.NAMED:
        return [data.get("notify_unit_id")], [u for u in people if u.pk == data.get("notify_user_id")]
    return [data.get("issuer_unit_id")], [u for u in people if u.pk == data.get("issuer_id")]  # To.ISSUER


def _title(notice: Notice, data: dict[str, Any]) -> str:
    clocks = "、".join(CLOCK_LABELS[c] for c in data.get("clocks", []) if c in CLOCK_LABELS)
    return notice.title.format_map(defaultdict(str, {**data, "clocks": clocks}))


def announce(event: TicketEvent) -> int:
    step = STEPS.get(event.action)
    if step is None:
        return 0
    ticket = event.ticket
    sent = 0
    for notice in step.notices:
        for to in notice.to:
            units, people = recipients(to, event, ticket)
            sent += tell(units, ticket, _title(notice, event.data or {}), kind=notice.kind or event.action,
                         body=event.note, actor=event.actor, extra=people)
    if step.sms is not None:
        sent += sms_reporters(ticket, step.sms, {**(event.data or {}), "note": event.note[:60]})
    return sent


def tell_count(events: list[TicketEvent]) -> int:
    """One notice for many new requests at the same unit (a 12345 import batch), not one per request."""
    notice = STEPS["create"].notices[0]
    if len(events) == 1:
        return announce(events[0])
    tickets = [e.ticket for e in events]
    people = [u for u in unit_staff([tickets[0].handling_unit_id]) if u.pk != events[0].actor_id]
    more = "等" if len(tickets) > 5 else ""
    return notify(recipients=people, kind="create", title=f"{notice.title} {len(tickets)} 件（批量导入）",
                  body="、".join(t.number for t in tickets[:5]) + more, url=reverse("queue", args=["received"]))


@consumers.register("notices", "通知与短信", wants=consumers.step_has("notices", "sms"))
def _notices(events: list[TicketEvent]) -> None:
    batches: dict[tuple[str, int], list[TicketEvent]] = defaultdict(list)
    for event in events:
        batch = (event.data or {}).get("batch")
        if event.action == "create" and batch:
            batches[(batch, event.ticket.handling_unit_id)].append(event)
        else:
            announce(event)
    for group in batches.values():
        tell_count(group)
