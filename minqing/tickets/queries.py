"""Reads that several places share, always scoped by the viewer."""

from __future__ import annotations

import contextlib
import datetime as dt
import hmac
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from minqing.accounts.scope import Scope
from minqing.lib.crypto import lookup_hash, tracking_hash
from minqing.lib.masking import mask_name, mask_phone
from minqing.lib.validation import normalize_phone

from .lifecycle import CLOCK_RUNS, OPEN_STATUSES, STEPS, Clock, Status
from .models import Part, Ticket, TicketEvent


def _base() -> QuerySet[Ticket]:
    return Ticket.objects.select_related("category", "category__parent", "handling_unit", "street", "community")


def visible_tickets(scope: Scope) -> QuerySet[Ticket]:
    """Requests the viewer may see: their areas, their units' requests (past ones too), those their units
    follow up as a meeting's resolution, their own."""
    qs = _base()
    if scope.user is None:
        return qs.none()
    if scope.district or scope.admin:
        return qs
    rule = Q(created_by=scope.user) | Q(reporter_user=scope.user)
    if scope.community_ids:
        rule |= Q(community_id__in=scope.community_ids)
    if scope.street_ids:
        rule |= Q(street_id__in=scope.street_ids)
    if scope.grid_ids:
        rule |= Q(grid_id__in=scope.grid_ids)
    if scope.callback_district:
        return qs
    if scope.callback_street_ids:
        rule |= Q(street_id__in=scope.callback_street_ids)
    if scope.unit_ids:
        handled = TicketEvent.objects.filter(ticket=OuterRef("pk"), to_unit_id__in=scope.unit_ids)
        part = Part.objects.filter(ticket=OuterRef("pk"), unit_id__in=scope.unit_ids)  # 协办, 吹哨报到
        rule |= Q(handling_unit_id__in=scope.unit_ids) | Q(Exists(handled)) | Q(Exists(part))
        # a unit responsible for a meeting's resolution sees the request it follows up (masked: handles() is False)
        rule |= Q(pk__in=Ticket.objects.filter(resolutions__owner_id__in=scope.unit_ids).values("pk"))
    return qs.filter(rule)


def handles(scope: Scope, ticket: Ticket) -> bool:
    """Whether the viewer works on this request now and so may see the reporter's name and phone: the holding
    unit, the community, who registered it, the reporter, a co-handler or summoned department whose part is
    still open (报到 means 联系群众). (The callback team sees it on the callback form: reporter_for(calls=True).)"""
    if (ticket.handling_unit_id in scope.unit_ids or ticket.community_id in scope.community_ids
            or (scope.user is not None and scope.user.pk in (ticket.created_by_id, ticket.reporter_user_id))):
        return True
    return bool(scope.unit_ids) and Part.objects.filter(ticket=ticket, unit_id__in=scope.unit_ids, done_at=None,
                                                        ended_at=None).exists()


@dataclass(frozen=True)
class Reporter:
    name: str
    phone: str
    masked: bool


def reporter_for(scope: Scope, ticket: Ticket, *, calls: bool = False) -> Reporter:
    """The reporter as this viewer may see them (pages that show it record it: actions.reporter_shown).
    `calls`: the viewer is about to call the reporter back (the callback form of someone allowed to)."""
    if ticket.anonymous:
        return Reporter(name="匿名", phone="", masked=False)
    if calls or handles(scope, ticket):
        return Reporter(name=ticket.reporter_name, phone=ticket.reporter_phone, masked=False)
    return Reporter(name=mask_name(ticket.reporter_name), phone=mask_phone(ticket.reporter_phone), masked=True)


# --- queues ----------------------------------------------------------------------------------
QUEUES = {
    "received": "待受理",
    "registered": "待派单",
    "assigned": "待签收",
    "in_progress": "办理中",
    "suspended": "缓办",
    "due_soon": "即将超期",
    "overdue": "已超期",
    "callback": "待回访",
    "recheck": "待复核",
    "parts": "协办与报到",
    "supervised": "超期督办",
}


def _triage_rule(scope: Scope) -> Q:
    """Requests the viewer triages and calls back: their community, street, or all for the district."""
    if scope.district:
        return Q()
    rule = Q(pk__in=[])
    if scope.community_ids:
        rule |= Q(community_id__in=scope.community_ids)
    if scope.street_ids:
        rule |= Q(street_id__in=scope.street_ids)
    return rule


def _callback_rule(scope: Scope) -> Q:
    """Requests the viewer calls back: the callback team's streets (or all), and oversight's."""
    if scope.district or scope.callback_district:
        return Q()
    return Q(street_id__in=scope.street_ids | scope.callback_street_ids)


def _mine(scope: Scope) -> Q:
    return Q(handling_unit_id__in=scope.unit_ids)


def responsible(scope: Scope) -> Q:
    """Requests the viewer answers for: held by their units, or in their streets, communities or grids (all of
    them for the district and admins). The same scope as the viewer's own 考核评价 view (evaluation.allowed_for)."""
    if scope.district or scope.admin:
        return Q()
    rule = _mine(scope)
    for column, ids in (("community_id", scope.community_ids), ("street_id", scope.street_ids),
                        ("grid_id", scope.grid_ids)):
        if ids:
            rule |= Q(**{f"{column}__in": ids})
    return rule


def overdue_rule(now: dt.datetime) -> Q:
    """THE definition of overdue: a response, dispatch or resolve clock running in its status, past its due
    time (a request left undispatched past MINQING_DISPATCH_HOURS is overdue too, as the sweep marks it)."""
    rule = Q(pk__in=[])
    for clock in DEADLINE_CLOCKS:
        rule |= Q(status__in=CLOCK_RUNS[clock], **{f"{clock}_due_at__lte": now})
    return rule


DEADLINE_CLOCKS = (Clock.RESPONSE, Clock.DISPATCH, Clock.RESOLVE)


def due_soon_rule(now: dt.datetime) -> Q:
    rule = Q(pk__in=[])
    for clock in DEADLINE_CLOCKS:
        rule |= Q(status__in=CLOCK_RUNS[clock], **{f"{clock}_warn_at__lte": now, f"{clock}_due_at__gt": now})
    return rule


def queue(scope: Scope, name: str, *, now: dt.datetime | None = None) -> QuerySet[Ticket]:
    now = now or timezone.now()
    qs = visible_tickets(scope)
    if name in {"received", "registered"}:
        # The holding office's queue; oversight sees its area's backlog too.
        return qs.filter(Q(status=name) & (_mine(scope) | _triage_rule(scope))).order_by("-urgency", "created_at")
    if name in {"assigned", "in_progress", "suspended"}:
        return qs.filter(status=name).filter(_mine(scope)).order_by("-urgency", "resolve_due_at", "created_at")
    if name == "due_soon":
        return qs.filter(due_soon_rule(now)).filter(responsible(scope)).order_by("-urgency", "resolve_due_at")
    if name == "overdue":
        return qs.filter(overdue_rule(now)).filter(responsible(scope)).order_by("-urgency", "resolve_due_at")
    if name == "callback":  # resolved, or past the deadline unresolved (到期评价), for the callback team and oversight
        return qs.filter(Q(status=Status.RESOLVED) | Q(evaluation_due_at__isnull=False)).filter(
            _callback_rule(scope)).order_by("resolved_at", "evaluation_due_at")
    if name == "parts":  # the viewer's units' open parts: co-handling (协办) and summons (吹哨报到)
        mine = Part.objects.filter(ticket=OuterRef("pk"), unit_id__in=scope.unit_ids, done_at=None, ended_at=None)
        return qs.filter(Exists(mine)).order_by("-urgency", "created_at")
    if name == "recheck":
        return qs.filter(recheck_due_at__isnull=False).filter(_callback_rule(scope)).order_by("recheck_due_at")
    if name == "supervised":
        # Overdue requests the sweep escalated to the viewer's unit, still open.
        return qs.filter(supervised_by_id__in=scope.unit_ids, status__in=OPEN_STATUSES).order_by("resolve_due_at")
    raise KeyError(name)


def queue_applies(scope: Scope, name: str) -> bool:
    """Whether the queue can ever hold a request for the viewer: the rule `queue` filters by is not empty.
    The menu, the workbench and the queue tabs show only these (a callback agent has no 待签收)."""
    holds = bool(scope.unit_ids)
    if name in {"received", "registered"}:
        return holds or bool(scope.community_ids or scope.street_ids or scope.district)
    if name in {"assigned", "in_progress", "suspended", "parts", "supervised"}:
        return holds
    if name in {"due_soon", "overdue"}:
        return holds or bool(scope.district or scope.admin or scope.community_ids or scope.street_ids or scope.grid_ids)
    if name in {"callback", "recheck"}:
        return bool(scope.district or scope.callback_district or scope.street_ids or scope.callback_street_ids)
    raise KeyError(name)


def queues_for(scope: Scope) -> list[str]:
    return [name for name in QUEUES if queue_applies(scope, name)]


def queue_counts(scope: Scope, *, now: dt.datetime | None = None) -> dict[str, int]:
    """The viewer's queues and how many requests each holds (the queues that apply to them only)."""
    now = now or timezone.now()
    return {name: queue(scope, name, now=now).count() for name in queues_for(scope)}


# --- search ----------------------------------------------------------------------------------
SORTS = {
    "created": "created_at",
    "-created": "-created_at",
    "due": "resolve_due_at",
    "-due": "-resolve_due_at",
    "number": "number",
    "-number": "-number",
    "status": "status",
    "-status": "-status",
}


def text_rule(text: str) -> Q:
    """What a worker types to find a request: part of its number, the reporter's full name (exactly: names are
    not browsed by fragments), or a phone number (exactly, through its keyed hash)."""
    text = text.strip()
    rule = Q(number__icontains=text) | Q(reporter_name=text)
    with contextlib.suppress(ValueError):
        rule |= Q(reporter_phone_hash=lookup_hash(normalize_phone(text)))
    return rule


def search(scope: Scope, filters: dict, *, now: dt.datetime | None = None) -> QuerySet[Ticket]:
    """Filters come cleaned from SearchForm: model instances, strings, dates, booleans."""
    now = now or timezone.now()
    qs = visible_tickets(scope)
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    area = filters.get("area")
    if area is not None:
        column = {"street": "street", "community": "community", "grid": "grid", "compound": "compound"}.get(area.kind)
        if column:
            qs = qs.filter(**{column: area})
    category = filters.get("category")
    if category is not None:
        qs = qs.filter(Q(category=category) | Q(category__parent=category))
    for field in ("channel", "type", "urgency"):
        if filters.get(field):
            qs = qs.filter(**{field: filters[field]})
    if filters.get("unit") is not None:
        qs = qs.filter(handling_unit=filters["unit"])
    tz = timezone.get_current_timezone()
    if filters.get("date_from"):
        qs = qs.filter(created_at__gte=dt.datetime.combine(filters["date_from"], dt.time.min, tz))
    if filters.get("date_to") and filters["date_to"] < dt.date.max:
        qs = qs.filter(created_at__lt=dt.datetime.combine(filters["date_to"] + dt.timedelta(days=1), dt.time.min, tz))
    if filters.get("overdue"):
        qs = qs.filter(overdue_rule(now))
    if filters.get("open_only"):
        qs = qs.filter(status__in=OPEN_STATUSES)
    text = (filters.get("q") or "").strip()
    if text:
        qs = qs.filter(text_rule(text) | Q(title__icontains=text) | Q(text__icontains=text) | Q(address__icontains=text))
    return qs.order_by(SORTS.get(filters.get("sort") or "", "-created_at"), "-id")


# --- residents -------------------------------------------------------------------------------
def public_lookup(number: str, secret: str) -> Ticket | None:
    """A request found by its number plus the reporter's phone (or an anonymous reporter's code).

    A merged duplicate leads to the original, so its reporter follows the request actually handled.
    """
    number = (number or "").strip().upper()
    secret = (secret or "").strip().replace(" ", "")
    if not number or not secret:
        return None
    ticket = Ticket.objects.filter(number=number).first()
    if ticket is None:
        return None
    if ticket.anonymous:
        expected, given = ticket.tracking_code_hash, tracking_hash(number, secret)
    else:
        expected, given = ticket.reporter_phone, secret
    ok = bool(expected) and hmac.compare_digest(expected.encode(), given.encode())
    if not ok:
        return None
    return ticket


def followed(ticket: Ticket) -> Ticket:
    """The request a merged duplicate leads to (the one actually handled)."""
    for _ in range(20):
        if ticket.merged_into is None:
            break
        ticket = ticket.merged_into
    return ticket


PUBLIC_PHOTO_EVENTS = {name for name, step in STEPS.items() if step.public_detail}


def public_steps(ticket: Ticket) -> list[dict]:
    """The steps a resident may read: no staff names, no internal notes."""
    steps = []
    for e in ticket.events.select_related("to_unit").order_by("created_at", "id"):
        step = STEPS.get(e.action)
        if step is None or not step.public:
            continue
        text = step.public.format_map(defaultdict(str, {**(e.data or {}), "unit": e.to_unit.name if e.to_unit else "上级"}))
        detail = e.note if step.public_detail else ""
        steps.append({"at": e.created_at, "text": text, "detail": detail, "action": e.action,
                      "from_status": e.from_status, "to_status": e.to_status})
    return steps


def communities_for(scope: Scope) -> QuerySet:
    """Communities the viewer may record requests in (all of them for residents and the district)."""
    from minqing.org.models import Area, AreaKind

    qs = Area.objects.filter(kind=AreaKind.COMMUNITY).select_related("parent").order_by("parent__code", "code")
    if scope.user is None or scope.district or scope.admin or not scope.is_staff:
        return qs
    grid_communities = Area.objects.filter(pk__in=scope.grid_ids).values("parent_id")
    return qs.filter(
        Q(pk__in=scope.community_ids) | Q(parent_id__in=scope.street_ids) | Q(pk__in=grid_communities)
    )


def areas_for(scope: Scope) -> QuerySet:
    """Streets and communities to filter by in search."""
    from minqing.org.models import Area, AreaKind

    qs = Area.objects.filter(kind__in=[AreaKind.STREET, AreaKind.COMMUNITY]).order_by("code")
    if scope.district or scope.admin:
        return qs
    return qs.filter(
        Q(pk__in=scope.street_ids) | Q(parent_id__in=scope.street_ids) | Q(pk__in=scope.community_ids)
    )
