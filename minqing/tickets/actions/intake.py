"""Intake: the one way a request enters the pipeline, whatever the channel (the staff form, the
resident page, the JSON API, Open311, the 12345 import, a meeting's resolution).

Each channel builds an `Intake` and calls `ticket_create` (one request) or `ticket_create_many`
(an import batch). The checks run before the write transaction opens, so the write lock is held only
for the inserts.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import timezone

from minqing.accounts.models import User
from minqing.accounts.scope import scope_for
from minqing.lib import memo, uploads
from minqing.lib.bulk import insert_many, new
from minqing.lib.crypto import lookup_hash, tracking_hash
from minqing.lib.errors import ActionError, Forbidden
from minqing.lib.validation import clean_text, normalize_phone
from minqing.org import location
from minqing.org.models import Area, AreaKind, Unit, UnitKind

from .. import consumers, deadlines
from ..lifecycle import STEPS, Status
from ..models import (
    Category,
    Channel,
    DeadlinePolicy,
    Ticket,
    TicketCounter,
    TicketEvent,
    TicketType,
    Urgency,
    UrgencyWord,
)
from .core import actor_label, atomic_with_files
from .photos import photos_attach


@dataclass(frozen=True, kw_only=True)
class Intake:
    """One request as a channel hands it in. Text fields are checked by `ticket_create`, not here."""

    channel: str
    type: str = TicketType.HELP
    category: Category
    text: str
    # What the channel knows of the place: a picked area, a point, an address. `org.location.locate` turns it
    # into the community and grid; nothing found → 位置待核实 (the district centre sets the place).
    area: Area | None = None
    title: str = ""
    address: str = ""
    urgency: str = Urgency.NORMAL
    anonymous: bool = False
    reporter_name: str = ""
    reporter_phone: str = ""
    reporter_user: User | None = None
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    external_number: str | None = None
    external_due_at: dt.datetime | None = None
    # When the resident called (12345 来电时间): the request's own time, from which its clocks run. None: now.
    received_at: dt.datetime | None = None
    photos: list[uploads.PreparedImage] = field(default_factory=list)


def urgency_hits(text: str, words: list[str] | None = None) -> list[str]:
    """The active safety words found in a text, in the order they appear."""
    if words is None:
        words = list(UrgencyWord.objects.filter(active=True).values_list("word", flat=True))
    found = [(text.find(w), w) for w in words if w and w in text]
    return [w for _, w in sorted(found)]


def _location(area: Area) -> dict[str, Area | None]:
    if area.kind == AreaKind.DISTRICT:  # 位置待核实: filed under the district until staff set the place
        return {"street": area, "community": area, "grid": None, "compound": None}
    chain = area.ancestors()
    if AreaKind.COMMUNITY not in chain:
        raise ActionError("请把地点选到社区（可继续选网格、小区）。", field="area")
    return {
        "street": chain[AreaKind.STREET],
        "community": chain[AreaKind.COMMUNITY],
        "grid": chain.get(AreaKind.GRID),
        "compound": chain.get(AreaKind.COMPOUND),
    }


def _check_category(category: Category, street: Area, offered: dict[int, set[int]] | None = None) -> None:
    """`offered`: the streets each category is limited to (none: everywhere), when the caller has read them."""
    if category.parent is None:
        raise ActionError("请选择二级分类。", field="category")
    if not category.active or not category.parent.active:
        raise ActionError("该分类已停用，请另选。", field="category")
    if offered is None:
        streets = set(category.streets.values_list("pk", flat=True)) | set(
            category.parent.streets.values_list("pk", flat=True))
    else:
        streets = offered.get(category.pk, set()) | offered.get(category.parent.pk, set())
    if streets and street.pk not in streets:
        raise ActionError(f"分类“{category}”不适用于{street.name}，请另选。", field="category")


def _may_record_in(actor: User, loc: dict[str, Area | None]) -> None:
    scope = scope_for(actor)
    if not scope.is_staff:
        raise Forbidden("您的账号没有登记诉求的权限，居民请通过群众端反映。")
    if scope.district:
        return
    community, street, grid = loc["community"], loc["street"], loc["grid"]
    assert community is not None and street is not None
    if not (community.pk in scope.community_ids or street.pk in scope.street_ids
            or (grid is not None and grid.pk in scope.grid_ids)):
        raise Forbidden(f"{community.name}不在您的工作范围内。", field="area")


class IntakeCache:
    """Reference data read once, not once per intake: for a batch (an import), or shared by the process's
    single intakes for a minute (`shared()`, lib/memo.py; forgotten at once when a row it holds is saved
    here). The area tree is read whole, parents attached, so a place's street and community cost no query."""

    def __init__(self) -> None:
        self.words = list(UrgencyWord.objects.filter(active=True).values_list("word", flat=True))
        self.locations: dict[int, dict[str, Area | None]] = {}
        self.categories: dict[tuple[int, int], ActionError | None] = {}
        self.offices: dict[int, Unit | None] = {}
        self.policies: dict[tuple[int, str, str, bool], deadlines.Policy] = {}
        self.centres: dict[int, Unit | None] = {}
        self.catalogue: dict[int, Unit | None] = {}
        self._areas: dict[int, Area] | None = None
        self._catalogue: dict[int, Category] | None = None
        self._offered: dict[int, set[int]] | None = None
        self._clocks: dict[tuple, tuple[dict, dt.datetime | None, dict]] = {}

    @classmethod
    def shared(cls) -> IntakeCache:
        return memo.memo("intake", cls)

    def area(self, pk: int | None) -> Area | None:
        """The area with this id, its parents loaded (boundaries left out: intake does not need them)."""
        deferred = ["boundary", *("__".join(["parent"] * n + ["boundary"]) for n in range(1, 5))]
        tree = Area.objects.select_related("parent__parent__parent__parent").defer(*deferred)
        if self._areas is None:
            self._areas = {a.pk: a for a in tree}
        if pk is None:
            return None
        if pk not in self._areas:  # added since (by another process): read it, do not refuse it for a minute
            found = tree.filter(pk=pk).first()
            if found is None:
                return None
            self._areas[pk] = found
        return self._areas[pk]

    def category(self, pk: int | None = None, *, code: str | None = None) -> Category | None:
        """A category by id or code, its parent loaded."""
        if self._catalogue is None:
            self._catalogue = {c.pk: c for c in Category.objects.select_related("parent")}
        found = (next((c for c in self._catalogue.values() if c.code == code), None) if code is not None
                 else self._catalogue.get(pk) if pk is not None else None)
        if found is None and (code is not None or pk is not None):  # added since, by another process
            lookup: dict[str, object] = {"code": code} if code is not None else {"pk": pk}
            found = Category.objects.select_related("parent").filter(**lookup).first()
            if found is not None:
                self._catalogue[found.pk] = found
        return found

    def location(self, area: Area) -> dict[str, Area | None]:
        if area.pk not in self.locations:
            self.locations[area.pk] = _location(self.area(area.pk) or area)
        return self.locations[area.pk]

    def check_category(self, category: Category, street: Area) -> None:
        key = (category.pk, street.pk)
        if key not in self.categories:
            if self._offered is None:
                self._offered = {}
                for category_id, area_id in Category.streets.through.objects.values_list("category_id", "area_id"):
                    self._offered.setdefault(category_id, set()).add(area_id)
            try:
                _check_category(self.category(category.pk) or category, street, self._offered)
                self.categories[key] = None
            except ActionError as exc:
                self.categories[key] = exc
        error = self.categories[key]
        if error is not None:
            raise error

    def office(self, community: Area) -> Unit | None:
        if community.pk not in self.offices:
            kind = UnitKind.DISTRICT_CENTER if community.kind == AreaKind.DISTRICT else UnitKind.COMMUNITY_OFFICE
            self.offices[community.pk] = Unit.objects.filter(kind=kind, area=community, active=True).first()
        return self.offices[community.pk]

    def centre(self, street: Area) -> Unit | None:
        """The district centre over a street (the 12345 orders' dispatch desk)."""
        if street.pk not in self.centres:
            self.centres[street.pk] = (Unit.objects.filter(kind=UnitKind.DISTRICT_CENTER, area_id=street.parent_id,
                                                           active=True).first() if street.parent_id else None)
        return self.centres[street.pk]

    def catalogue_unit(self, category: Category) -> Unit | None:
        """The 派单目录's unit for a category: its own default unit, else its first level's."""
        if category.pk not in self.catalogue:
            unit = category.default_unit or (category.parent.default_unit if category.parent else None)
            self.catalogue[category.pk] = unit if unit is not None and unit.active else None
        return self.catalogue[category.pk]

    def policy(self, category: Category, urgency: str, type: str, safety: bool) -> deadlines.Policy:  # noqa: A002
        key = (category.pk, urgency, type, safety)
        if key not in self.policies:
            self.policies[key] = deadlines.policy_for(category=category, urgency=urgency, type=type, safety=safety)
        return self.policies[key]


    def clocks(self, step: Any, policy: deadlines.Policy, now: dt.datetime) -> tuple[dict, dt.datetime | None, dict]:
        """The new request's clock columns, next check and their record: the same for every row of a batch
        registered at one instant under one policy, so an import works them out once per policy."""
        key = (step.name, policy, now)
        found = self._clocks.get(key)
        if found is None:
            if len(self._clocks) > 4096:
                self._clocks.clear()
            clocks = deadlines.step_columns(step, now=now, minutes=deadlines.limits(step, policy=policy),
                                            natural=policy.natural)
            found = (clocks, deadlines.next_check(before={}, changes=clocks, status=Status.RECEIVED, now=now),
                     deadlines.due_data(clocks))
            self._clocks[key] = found
        return found[0], found[1], found[2]


# What the shared cache holds changes only through the admin (saves and deletes): forget it then.
_forget_intake = memo.forgetter("intake")
for _model in (Area, Category, Category.streets.through, Unit, UrgencyWord, DeadlinePolicy):
    post_save.connect(_forget_intake, sender=_model, weak=False, dispatch_uid=f"memo-intake-{_model.__name__}-saved")
    post_delete.connect(_forget_intake, sender=_model, weak=False, dispatch_uid=f"memo-intake-{_model.__name__}-deleted")
m2m_changed.connect(_forget_intake, sender=Category.streets.through, weak=False, dispatch_uid="memo-intake-streets")


CHANNELS, TYPES, URGENCIES = frozenset(Channel.values), frozenset(TicketType.values), frozenset(Urgency.values)


def _build(*, actor: User | None, intake: Intake, cache: IntakeCache, now: dt.datetime) -> tuple[Ticket, TicketEvent, str]:
    """Check one intake and build its unsaved request, its unsaved `create` event and its tracking code."""
    if intake.channel not in CHANNELS:
        raise ActionError("请选择来源渠道。", field="channel")
    if intake.type not in TYPES:
        raise ActionError("请选择诉求类型。", field="type")
    if intake.urgency not in URGENCIES:
        raise ActionError("请选择紧急程度。", field="urgency")
    received = intake.received_at
    if received is not None and received > now:
        raise ActionError(f"来电时间“{timezone.localtime(received):%Y-%m-%d %H:%M}”晚于现在，请核对。", field="received_at")
    at = received or now  # the request's time: its clocks run from the call, not from when it reached us
    text = clean_text(intake.text, field="text", label="诉求内容", max_length=settings.MINQING["TEXT_MAX_LENGTH"])
    if len(text) < 5:
        raise ActionError("诉求内容太短，请写清楚什么地方、什么问题（至少 5 个字）。", field="text")
    title = clean_text(intake.title, field="title", label="标题", max_length=100, required=False) or text[:30]
    address = clean_text(intake.address, field="address", label="详细地址", max_length=200, required=False)
    place = location.locate(area=intake.area, latitude=intake.latitude, longitude=intake.longitude, address=address)
    loc = cache.location(place.area)
    street, community = loc["street"], loc["community"]
    assert street is not None and community is not None
    if not place.pending:  # a request whose place is not known yet goes to the district centre, from anyone
        cache.check_category(intake.category, street)
        if actor is not None:  # staff recording; residents come in through the public form with actor=None
            _may_record_in(actor, loc)

    code, name, phone, user = "", "", "", intake.reporter_user
    if intake.anonymous:
        # Really anonymous: no name, no phone, no account; the reporter follows it with a code.
        user = None
        code = f"{secrets.randbelow(10**8):08d}"
    else:
        name = clean_text(intake.reporter_name, field="reporter_name", label="反映人姓名", max_length=50)
        try:
            phone = normalize_phone(intake.reporter_phone)
        except ValueError as exc:
            raise ActionError(str(exc), field="reporter_phone") from exc

    office = cache.office(community)
    if office is None:
        raise ActionError(f"{community.name}尚未设置{'区民情服务中心' if place.pending else '社区居委会'}，请联系管理员。",
                          field="area")
    # A 12345 order for a department (the 派单目录 names one for its category) waits at the district centre's desk
    # to be dispatched there, never pushed down to the community (domain.md §10); community matters stay local.
    routed = None
    if intake.channel == Channel.HOTLINE_12345 and not place.pending:
        unit = cache.catalogue_unit(intake.category)
        if unit is not None and unit.kind == UnitKind.DEPARTMENT:
            centre = cache.centre(street)
            if centre is not None:
                office, routed = centre, unit

    # Safety words put a request at the top of the queue whatever the reporter chose.
    hits = urgency_hits(text, cache.words)
    urgency = Urgency.URGENT if hits else intake.urgency
    step = STEPS["create"]
    # An urgent safety matter runs on natural time (a gas leak on Friday evening is not due on Monday).
    policy = cache.policy(intake.category, urgency, intake.type, bool(hits))
    clocks, next_check, due = cache.clocks(step, policy, at)
    ticket = new(
        Ticket, channel=intake.channel, type=intake.type, category=intake.category, title=title, text=text, urgency=urgency,
        address=address, latitude=place.latitude, longitude=place.longitude, location_pending=place.pending,
        anonymous=intake.anonymous,
        reporter_name=name, reporter_phone=phone, reporter_phone_hash=lookup_hash(phone), reporter_user=user,
        urgent_words="、".join(hits)[:200], natural_time=policy.natural, external_number=intake.external_number or None,
        external_due_at=intake.external_due_at, status=Status.RECEIVED, handling_unit=office, created_by=actor,
        created_at=at, updated_at=now,
        next_check_at=next_check, **loc, **clocks,
    )
    data: dict[str, Any] = {"channel": intake.channel, **due}
    if hits:
        data["urgent_words"] = hits
    if place.how or place.pending:
        data["location"] = {"how": place.how, "pending": place.pending, "note": place.note}
    if received is not None:
        data["received_at"], data["registered_at"] = received.isoformat(), now.isoformat()
    if routed is not None:
        data["catalogue_unit"], data["catalogue_unit_id"] = routed.name, routed.pk
    event = new(TicketEvent, ticket=ticket, action="create", from_status="", to_status=Status.RECEIVED, actor=actor,
                        actor_label=actor_label(actor), to_unit=office, data=data, created_at=at)
    return ticket, event, code


def _bump(day: dt.date, count: int) -> int | None:
    """Add `count` to the day's counter and return its new value in one statement (UPDATE … RETURNING, on
    PostgreSQL and SQLite ≥ 3.35); None when the day has no row yet."""
    if not connection.features.can_return_columns_from_insert:  # an old SQLite: update, then read
        if not TicketCounter.objects.filter(day=day).update(last=F("last") + count):
            return None
        return TicketCounter.objects.get(day=day).last
    table, last, day_col = (connection.ops.quote_name(n) for n in (TicketCounter._meta.db_table, "last", "day"))
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {last} = {last} + %s WHERE {day_col} = %s RETURNING {last}",  # noqa: S608
                       [count, connection.ops.adapt_datefield_value(day)])
        row = cursor.fetchone()
    return row[0] if row else None


def _numbers(day: dt.date, count: int = 1) -> list[str]:
    """The day's next `count` numbers. The counter row's write lock serialises concurrent intake."""
    last = _bump(day, count)
    if last is None:
        try:
            with transaction.atomic():
                TicketCounter.objects.create(day=day, last=count)
            last = count
        except IntegrityError:  # another intake created the row first
            last = _bump(day, count)
            assert last is not None
    prefix = settings.MINQING["NUMBER_PREFIX"]
    return [f"{prefix}-{day:%Y%m%d}-{n:05d}" for n in range(last - count + 1, last + 1)]


def _number(ticket: Ticket, number: str, code: str) -> None:
    ticket.number = number
    ticket.tracking_code_hash = tracking_hash(number, code) if code else ""


def ticket_create(*, actor: User | None, intake: Intake,
                  also: Callable[[Ticket, TicketEvent], object] | None = None) -> tuple[Ticket, str]:
    """Register a new request (待受理). Returns it and, for anonymous reporters, a tracking code.

    actor=None is a resident on the public page (recorded as 反映人本人). Every check and read happens
    before the transaction opens (on SQLite it takes the write lock at BEGIN): inside are only the
    counter, the inserts, and `also(ticket, event)`, the caller's own write that must stand or fall with
    the request (the API's Idempotency-Key row)."""
    now = timezone.now()
    ticket, event, code = _build(actor=actor, intake=intake, cache=IntakeCache.shared(), now=now)
    with atomic_with_files() as stored:
        _number(ticket, _numbers(timezone.localdate(now))[0], code)
        insert_many([ticket])
        event.ticket = ticket
        insert_many([event])
        if intake.photos:
            photos_attach(ticket=ticket, event=event, photos=intake.photos, at=now, stored=stored)
        consumers.enqueue([event])
        if also is not None:
            also(ticket, event)
    return ticket, code


def ticket_create_many(*, actor: User, intakes: list[Intake], cache: IntakeCache,
                       batch: str = "") -> list[Ticket | ActionError]:
    """Register many requests at once (a 12345 import): each checked as ticket_create checks it, the good
    ones written together with bulk inserts. Returns, per intake, the request or the reason it was refused.
    Their `create` events carry `batch`, so the notices consumer tells each office once with the count."""
    now = timezone.now()
    results: list[Ticket | ActionError] = []
    good: list[tuple[Ticket, TicketEvent, str]] = []
    for intake in intakes:
        try:
            built = _build(actor=actor, intake=intake, cache=cache, now=now)
        except ActionError as exc:
            results.append(exc)
            continue
        good.append(built)
        results.append(built[0])
    if not good:
        return results
    with transaction.atomic():
        for (ticket, _, code), number in zip(good, _numbers(timezone.localdate(now), len(good)), strict=True):
            _number(ticket, number, code)
        insert_many([t for t, _, _ in good])
        for ticket, event, _ in good:
            event.ticket = ticket
            if batch:
                event.data["batch"] = batch
        events = [e for _, e, _ in good]
        insert_many(events)
        consumers.enqueue(events)
    return results


