"""Who hears about what. Runs inside the action's transaction: the notices commit with the change.

Staff get an in-app notice (and SMS/e-mail by their preference) when their queue gains a request;
reporters get an SMS when their request is accepted and resolved, and when its callback is due.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.conf import settings
from django.urls import reverse

from minqing.accounts.models import User
from minqing.notifications.actions import message_queue, notify
from minqing.notifications.models import Channel
from minqing.org.models import Unit, UnitKind

from .models import Ticket


def unit_staff(units: Iterable[Unit | None]) -> list[User]:
    ids = [u.pk for u in units if u is not None]
    if not ids:
        return []
    return list(User.objects.filter(is_active=True, roles__unit_id__in=ids).exclude(
        roles__role="grid_worker").distinct())


def community_office(ticket: Ticket) -> Unit | None:
    return Unit.objects.filter(kind=UnitKind.COMMUNITY_OFFICE, area_id=ticket.community_id, active=True).first()


def staff_link(ticket: Ticket) -> str:
    return reverse("ticket_detail", args=[ticket.number])


def public_link(ticket: Ticket) -> str:
    return f"{settings.PUBLIC_BASE_URL.rstrip('/')}{reverse('resident_track')}?n={ticket.number}"


def tell(units: Iterable[Unit | None], ticket: Ticket, title: str, *, kind: str, body: str = "",
         actor: User | None = None, extra: Iterable[User] = ()) -> int:
    people = [u for u in [*unit_staff(units), *extra] if actor is None or u.pk != actor.pk]
    return notify(recipients=people, kind=kind, title=f"{title}：{ticket.number}",
                  body=body or ticket.title, url=staff_link(ticket))


def sms_reporters(ticket: Ticket, template: str, text: str) -> int:
    """SMS the reporter and the reporters of duplicates merged into this request."""
    sent = 0
    for t in [ticket, *Ticket.objects.filter(merged_into=ticket)]:
        if t.anonymous or not t.reporter_phone:
            continue
        body = text.format(number=t.number, link=public_link(t))
        message_queue(channel=Channel.SMS, to=t.reporter_phone, template=template, params={"number": t.number},
                      body=f"【七里河区民情】{body}")
        sent += 1
    return sent


# transition → (units whose queue gains it, notice title)
STAFF_NOTICES: dict[str, tuple[Callable[[Ticket], list[Unit | None]], str]] = {
    "create": (lambda t: [t.handling_unit], "新的待受理事项"),
    "dispatch": (lambda t: [t.handling_unit], "新的待签收事项"),
    "redispatch": (lambda t: [t.handling_unit], "新的待签收事项（转派）"),
    "escalate": (lambda t: [t.handling_unit], "下级上报（吹哨）事项待签收"),
    "return": (lambda t: [t.handling_unit], "事项被退回，请重新派单"),
    "resolve": (lambda t: [community_office(t)], "事项已办结，请回访"),
    "rework": (lambda t: [t.handling_unit], "回访不满意，请返工"),
}

REPORTER_SMS = {
    "accept": ("accepted", "您反映的问题已受理，编号{number}。查询进度：{link}"),
    "resolve": ("resolved", "您反映的问题（{number}）已办结，欢迎评价：{link}"),
    "resolve_on_spot": ("resolved", "您反映的问题（{number}）已办结，欢迎评价：{link}"),
}


def announce(*, name: str, before: Ticket | None, after: Ticket, actor: User | None) -> None:
    if name in STAFF_NOTICES:
        units, title = STAFF_NOTICES[name]
        tell(units(after), after, title, kind=name, actor=actor)
    if name in REPORTER_SMS:
        template, text = REPORTER_SMS[name]
        sms_reporters(after, template, text)


def tell_count(tickets: list[Ticket], *, actor: User | None) -> int:
    """One notice for many new requests at the same unit (an import), not one per request."""
    if len(tickets) == 1:
        return tell([tickets[0].handling_unit], tickets[0], STAFF_NOTICES["create"][1], kind="create", actor=actor)
    people = [u for u in unit_staff([tickets[0].handling_unit]) if actor is None or u.pk != actor.pk]
    more = "等" if len(tickets) > 5 else ""
    return notify(recipients=people, kind="create", title=f"{STAFF_NOTICES['create'][1]} {len(tickets)} 件（批量导入）",
                  body="、".join(t.number for t in tickets[:5]) + more, url=reverse("queue", args=["received"]))
