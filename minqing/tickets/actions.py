"""Every write to a request goes through here.

Each action is keyword-only, takes the acting user (None for a resident without an account), runs
in one transaction, and raises ActionError with a Chinese message when a rule forbids it. A status
change is a guarded update on (id, version, status) plus an immutable TicketEvent row.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.signals import post_save
from django.utils import timezone

from minqing.accounts.models import User
from minqing.accounts.scope import Scope, scope_for
from minqing.lib.crypto import lookup_hash
from minqing.lib.validation import normalize_phone
from minqing.org.models import COORDINATING_KINDS, Area, AreaKind, Unit, UnitKind

from . import attachments, deadlines
from .announce import announce
from .models import (
    Category,
    Channel,
    Complexity,
    Disposition,
    ExtensionRequest,
    ExtensionStatus,
    Grade,
    PersonalDataView,
    RejectReason,
    Satisfaction,
    SupervisionOrder,
    Ticket,
    TicketAttachment,
    TicketCounter,
    TicketEvent,
    TicketType,
    Urgency,
    UrgencyWord,
)
from .signals import events_bulk_created
from .workflow import (
    FINAL_STATUSES,
    NOTE_EVENTS,
    OPEN_STATUSES,
    RESOLVE_CLOCK,
    TRANSITIONS,
    Actor,
    Status,
    actor_matches,
    can_add_progress,
    can_mark_exemplary,
    can_remind,
    can_request_extension,
)


class ActionError(Exception):
    """A rule refused the action. `field` names the form field to show it next to, if any."""

    code = "invalid"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class Forbidden(ActionError):
    code = "forbidden"


class Conflict(ActionError):
    """Someone else changed the request first."""

    code = "conflict"


RESIDENT_LABEL = "反映人本人"
CLOCK_COLUMNS = ["response_warn_at", "response_due_at", "resolve_warn_at", "resolve_due_at", "callback_due_at",
                 "next_check_at"]


# --- helpers ---------------------------------------------------------------------------------
def _now() -> dt.datetime:
    return timezone.now()


def _text(value: str, *, field: str, label: str, max_length: int, required: bool = True) -> str:
    value = (value or "").strip()
    if "\x00" in value:
        raise ActionError(f"{label}包含无效的空字符，请重新输入。", field=field)
    if required and not value:
        raise ActionError(f"请填写{label}。", field=field)
    if len(value) > max_length:
        raise ActionError(f"{label}不能超过 {max_length} 字（现在 {len(value)} 字）。", field=field)
    return value


def _actor_label(actor: User | None) -> str:
    if actor is None:
        return RESIDENT_LABEL
    return actor.full_name or actor.username


def _acting_unit(scope: Scope, ticket: Ticket, actor_rule: Actor) -> Unit | None:
    """The unit on whose behalf the person acts here, for the record."""
    if ticket.handling_unit_id in scope.unit_ids and actor_rule != Actor.CALLBACK:
        return ticket.handling_unit
    units = [r.unit for r in scope.roles if r.unit_id]
    for unit in units:  # community staff of the request's community
        if unit.kind == UnitKind.COMMUNITY_OFFICE and unit.area_id == ticket.community_id:
            return unit
    for unit in units:  # oversight: the street office, then the district center
        if unit.kind == UnitKind.STREET_OFFICE and unit.area_id == ticket.street_id:
            return unit
    for unit in units:
        if unit.kind == UnitKind.DISTRICT_CENTER:
            return unit
    return ticket.handling_unit if ticket.handling_unit_id in scope.unit_ids else None


@contextlib.contextmanager
def _atomic_with_files() -> Iterator[list[str]]:
    """A transaction whose stored files are removed again if it rolls back."""
    stored: list[str] = []
    try:
        with transaction.atomic():
            yield stored
    except BaseException:
        attachments.discard(stored)
        raise


def _record(
    *,
    ticket: Ticket,
    action: str,
    from_status: str,
    to_status: str,
    actor: User | None,
    actor_unit: Unit | None,
    at: dt.datetime,
    from_unit: Unit | None = None,
    to_unit: Unit | None = None,
    note: str = "",
    reason: str = "",
    data: dict[str, Any] | None = None,
    photos: list[attachments.PreparedImage] | None = None,
    stored: list[str] | None = None,
    actor_label: str | None = None,
) -> TicketEvent:
    event = TicketEvent.objects.create(
        ticket=ticket,
        action=action,
        from_status=from_status,
        to_status=to_status,
        actor=actor,
        actor_label=actor_label or _actor_label(actor),
        actor_unit=actor_unit,
        from_unit=from_unit,
        to_unit=to_unit,
        note=note,
        reason=reason,
        data=data or {},
        created_at=at,
    )
    for image in photos or []:
        name = attachments.store(image)
        if stored is not None:
            stored.append(name)
        TicketAttachment.objects.create(
            ticket=ticket,
            event=event,
            file=name,
            original_name=image.original_name,
            content_type=image.content_type,
            size=len(image.content),
            width=image.width,
            height=image.height,
            created_at=at,
        )
    return event


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def _clock_fields(kind: str, start: dt.datetime | None, minutes: float | None) -> dict[str, Any]:
    """Columns that start (or, with minutes=None, stop) the response or resolve clock."""
    if start is None or minutes is None:
        return {f"{kind}_started_at": None, f"{kind}_due_at": None, f"{kind}_warn_at": None}
    due = deadlines.due(start, minutes)
    return {
        f"{kind}_started_at": start,
        f"{kind}_due_at": due,
        f"{kind}_warn_at": deadlines.warn_at(started_at=start, due_at=due),
    }


def _clock_data(fields: dict[str, Any]) -> dict[str, Any]:
    return {k: _iso(v) for k, v in fields.items() if k.endswith("_due_at")}


def _step(
    *,
    ticket: Ticket,
    name: str,
    actor: User | None,
    expected_version: int | None,
    scope: Scope | None = None,
) -> tuple[Ticket, Unit | None]:
    """Re-read the request inside the transaction and check the transition may happen now."""
    t = TRANSITIONS[name]
    current = Ticket.objects.select_related("handling_unit", "category").get(pk=ticket.pk)
    if scope is not None and not actor_matches(t.actor, scope, current):
        raise Forbidden(f"您无权对事项 {current.number} 执行“{t.label}”。")
    if current.status not in t.sources:
        raise Conflict(f"事项 {current.number} 当前状态为“{current.get_status_display()}”，不能{t.label}。请刷新页面。")
    if expected_version is not None and current.version != expected_version:
        raise Conflict(f"事项 {current.number} 刚被他人处理过，请刷新页面查看最新状态后再操作。")
    unit = _acting_unit(scope, current, t.actor) if scope is not None else None
    return current, unit


def _apply(
    *,
    current: Ticket,
    name: str,
    actor: User | None,
    actor_unit: Unit | None,
    at: dt.datetime,
    changes: dict[str, Any],
    note: str = "",
    reason: str = "",
    data: dict[str, Any] | None = None,
    photos: list[attachments.PreparedImage] | None = None,
    stored: list[str] | None = None,
) -> Ticket:
    t = TRANSITIONS[name]
    # The callback clock runs while a request waits for its callback.
    if t.target == Status.RESOLVED:
        changes["callback_due_at"] = deadlines.due(at, deadlines.callback_minutes())
    elif current.status == Status.RESOLVED:
        changes["callback_due_at"] = None
    before = {f: getattr(current, f) for f in CLOCK_COLUMNS}
    changes["next_check_at"] = deadlines.next_check(before=before, changes=changes, status=t.target, now=at)
    # Guarded on version (other actions) and next_check_at (the sweep): exactly one writer wins.
    won = Ticket.objects.filter(
        pk=current.pk, version=current.version, status=current.status, next_check_at=current.next_check_at
    ).update(status=t.target, version=F("version") + 1, updated_at=at, **changes)
    if not won:
        raise Conflict(f"事项 {current.number} 刚被他人处理过，您的“{t.label}”未生效，请刷新页面。")
    new_unit_id = changes.get("handling_unit", current.handling_unit)
    _record(
        ticket=current,
        action=name,
        from_status=current.status,
        to_status=t.target,
        actor=actor,
        actor_unit=actor_unit,
        at=at,
        from_unit=current.handling_unit,
        to_unit=new_unit_id if new_unit_id != current.handling_unit else None,
        note=note,
        reason=reason,
        data=data,
        photos=photos,
        stored=stored,
    )
    after = Ticket.objects.select_related("handling_unit", "category", "sender_unit").get(pk=current.pk)
    announce(name=name, before=current, after=after, actor=actor)
    return after


# --- numbers and tracking codes --------------------------------------------------------------
def _next_numbers(day: dt.date, count: int = 1) -> list[str]:
    """The day's next `count` numbers. The counter row's write lock serialises concurrent intake."""
    if not TicketCounter.objects.filter(day=day).update(last=F("last") + count):
        try:
            with transaction.atomic():
                TicketCounter.objects.create(day=day, last=count)
        except IntegrityError:  # another intake created the row first
            TicketCounter.objects.filter(day=day).update(last=F("last") + count)
    last = TicketCounter.objects.get(day=day).last
    prefix = settings.MINQING["NUMBER_PREFIX"]
    return [f"{prefix}-{day:%Y%m%d}-{n:05d}" for n in range(last - count + 1, last + 1)]


def tracking_hash(number: str, code: str) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"{number}:{code}".encode(), hashlib.sha256).hexdigest()


# --- intake ----------------------------------------------------------------------------------
def urgency_hits(text: str, words: list[str] | None = None) -> list[str]:
    """The active safety words found in a text, in the order they appear."""
    if words is None:
        words = list(UrgencyWord.objects.filter(active=True).values_list("word", flat=True))
    found = [(text.find(w), w) for w in words if w and w in text]
    return [w for _, w in sorted(found)]


def _location(area: Area) -> dict[str, Area | None]:
    chain = area.ancestors()
    if AreaKind.COMMUNITY not in chain:
        raise ActionError("请把地点选到社区（可继续选网格、小区）。", field="area")
    return {
        "street": chain[AreaKind.STREET],
        "community": chain[AreaKind.COMMUNITY],
        "grid": chain.get(AreaKind.GRID),
        "compound": chain.get(AreaKind.COMPOUND),
    }


def _check_category(category: Category, street: Area) -> None:
    if category.parent_id is None:
        raise ActionError("请选择二级分类。", field="category")
    if not category.active or not category.parent.active:
        raise ActionError("该分类已停用，请另选。", field="category")
    streets = set(category.streets.values_list("pk", flat=True)) | set(
        category.parent.streets.values_list("pk", flat=True)
    )
    if streets and street.pk not in streets:
        raise ActionError(f"分类“{category}”不适用于{street.name}，请另选。", field="category")


def _may_record_in(scope: Scope, loc: dict[str, Area | None]) -> bool:
    if scope.district:
        return True
    grid = loc["grid"]
    return (
        loc["community"].pk in scope.community_ids
        or loc["street"].pk in scope.street_ids
        or (grid is not None and grid.pk in scope.grid_ids)
    )


class IntakeCache:
    """Reference data read once for a batch of intakes (an import), not once per row."""

    def __init__(self) -> None:
        self.words = list(UrgencyWord.objects.filter(active=True).values_list("word", flat=True))
        self.locations: dict[int, dict[str, Area | None]] = {}
        self.categories: dict[tuple[int, int], ActionError | None] = {}
        self.offices: dict[int, Unit | None] = {}
        self.policies: dict[tuple[int, str], deadlines.Policy] = {}

    def location(self, area: Area) -> dict[str, Area | None]:
        if area.pk not in self.locations:
            self.locations[area.pk] = _location(area)
        return self.locations[area.pk]

    def check_category(self, category: Category, street: Area) -> None:
        key = (category.pk, street.pk)
        if key not in self.categories:
            try:
                _check_category(category, street)
                self.categories[key] = None
            except ActionError as exc:
                self.categories[key] = exc
        if self.categories[key] is not None:
            raise self.categories[key]

    def office(self, community: Area) -> Unit | None:
        if community.pk not in self.offices:
            self.offices[community.pk] = Unit.objects.filter(
                kind=UnitKind.COMMUNITY_OFFICE, area=community, active=True).first()
        return self.offices[community.pk]

    def policy(self, category: Category, urgency: str) -> deadlines.Policy:
        key = (category.pk, urgency)
        if key not in self.policies:
            self.policies[key] = deadlines.policy_for(category=category, urgency=urgency)
        return self.policies[key]


def _intake(
    *, actor: User | None, cache: IntakeCache, channel: str, type: str, category: Category, title: str,  # noqa: A002
    text: str, area: Area, address: str = "", urgency: str = Urgency.NORMAL, anonymous: bool = False,
    reporter_name: str = "", reporter_phone: str = "", reporter_user: User | None = None,
    external_number: str | None = None, external_due_at: dt.datetime | None = None, now: dt.datetime,
) -> tuple[Ticket, dict[str, Any], str]:
    """Check one intake and build its unsaved request, its `create` event's fields and its tracking code."""
    if channel not in Channel.values:
        raise ActionError("请选择来源渠道。", field="channel")
    if type not in TicketType.values:
        raise ActionError("请选择诉求类型。", field="type")
    if urgency not in Urgency.values:
        raise ActionError("请选择紧急程度。", field="urgency")
    text = _text(text, field="text", label="诉求内容", max_length=settings.MINQING["TEXT_MAX_LENGTH"])
    if len(text) < 5:
        raise ActionError("诉求内容太短，请写清楚什么地方、什么问题（至少 5 个字）。", field="text")
    title = _text(title, field="title", label="标题", max_length=100, required=False) or text[:30]
    address = _text(address, field="address", label="详细地址", max_length=200, required=False)
    loc = cache.location(area)
    cache.check_category(category, loc["street"])

    if actor is not None:  # staff recording; residents come in through the public form with actor=None
        scope = scope_for(actor)
        if not scope.is_staff:
            raise Forbidden("您的账号没有登记诉求的权限，居民请通过群众端反映。")
        if not _may_record_in(scope, loc):
            raise Forbidden(f"{loc['community'].name}不在您的工作范围内。", field="area")

    code = ""
    if anonymous:
        # Really anonymous: no name, no phone, no account; the reporter follows it with a code.
        reporter_name, reporter_phone, reporter_user = "", "", None
        code = f"{secrets.randbelow(10**8):08d}"
    else:
        reporter_name = _text(reporter_name, field="reporter_name", label="反映人姓名", max_length=50)
        try:
            reporter_phone = normalize_phone(reporter_phone)
        except ValueError as exc:
            raise ActionError(str(exc), field="reporter_phone") from exc

    office = cache.office(loc["community"])
    if office is None:
        raise ActionError(f"{loc['community'].name}尚未设置社区居委会，请联系管理员。", field="area")

    # Safety words put a request at the top of the queue whatever the reporter chose.
    hits = urgency_hits(text, cache.words)
    if hits:
        urgency = Urgency.URGENT
    policy = cache.policy(category, urgency)
    clock = _clock_fields("response", now, policy.response_minutes)
    ticket = Ticket(
        channel=channel, type=type, category=category, title=title, text=text, urgency=urgency, address=address,
        anonymous=anonymous, reporter_name=reporter_name, reporter_phone=reporter_phone,
        reporter_phone_hash=lookup_hash(reporter_phone), reporter_user=reporter_user,
        urgent_words="、".join(hits)[:200], external_number=external_number or None, external_due_at=external_due_at,
        status=Status.RECEIVED, handling_unit=office, created_by=actor, created_at=now, updated_at=now,
        next_check_at=deadlines.next_check(before={}, changes=clock, status=Status.RECEIVED, now=now),
        **loc, **clock,
    )
    event = {"action": "create", "from_status": "", "to_status": Status.RECEIVED, "actor": actor,
             "actor_unit": None, "at": now, "to_unit": office, "note": "",
             "data": {"channel": channel, **_clock_data(clock), **({"urgent_words": hits} if hits else {})}}
    return ticket, event, code


def _number(ticket: Ticket, number: str, code: str) -> None:
    ticket.number = number
    ticket.tracking_code_hash = tracking_hash(number, code) if code else ""


def ticket_create(
    *,
    actor: User | None,
    photos: list[attachments.PreparedImage] | None = None,
    **fields: Any,
) -> tuple[Ticket, str]:
    """Register a new request (待受理). Returns it and, for anonymous reporters, a tracking code.

    Fields: channel, type, category, title, text, area, and optionally address, urgency, anonymous,
    reporter_name, reporter_phone, reporter_user, external_number, external_due_at."""
    now = _now()
    ticket, event, code = _intake(actor=actor, cache=IntakeCache(), now=now, **fields)
    with _atomic_with_files() as stored:
        _number(ticket, _next_numbers(timezone.localdate(now))[0], code)
        ticket.save(force_insert=True)
        _record(ticket=ticket, photos=photos, stored=stored, **event)
        announce(name="create", before=None, after=ticket, actor=actor)
    return ticket, code


def ticket_create_many(*, actor: User, rows: list[dict[str, Any]], cache: IntakeCache) -> list[Ticket | ActionError]:
    """Register many requests at once (a 12345 import): each row checked as ticket_create checks it, the
    good ones written together with bulk inserts, and each office told once with the count rather than
    once per request. Returns, per row, the request or the reason it was refused."""
    now = _now()
    results: list[Ticket | ActionError] = []
    good: list[tuple[Ticket, dict[str, Any], str]] = []
    for row in rows:
        try:
            built = _intake(actor=actor, cache=cache, now=now, **row)
        except ActionError as exc:
            results.append(exc)
            continue
        good.append(built)
        results.append(built[0])
    if not good:
        return results
    with transaction.atomic():
        for (ticket, _, code), number in zip(good, _next_numbers(timezone.localdate(now), len(good)), strict=True):
            _number(ticket, number, code)
        tickets = Ticket.objects.bulk_create([t for t, _, _ in good])
        events = TicketEvent.objects.bulk_create([
            TicketEvent(ticket=t, created_at=e["at"], actor_label=_actor_label(actor),
                        **{k: v for k, v in e.items() if k != "at"}) for t, e, _ in good])
        # bulk_create sends no post_save; send it for the events so that whoever follows status changes
        # (webhooks, meetings) sees these requests as it sees one registered at a time. (The request's own
        # post_save only records whether a suggestion shown in the form was taken; imports show none.)
        # Listeners that can take the whole batch at once (the evaluation's facts) skip these and take
        # events_bulk_created instead.
        for event in events:
            event.in_bulk = True
            post_save.send(sender=TicketEvent, instance=event, created=True, update_fields=None, raw=False,
                           using=event._state.db)
        events_bulk_created.send(sender=TicketEvent, events=events)
        from .announce import tell_count

        by_office: dict[int, list[Ticket]] = {}
        for t in tickets:
            by_office.setdefault(t.handling_unit_id, []).append(t)
        for group in by_office.values():
            tell_count(group, actor=actor)
    return results


# --- triage ----------------------------------------------------------------------------------
def ticket_accept(*, ticket: Ticket, actor: User, note: str = "", expected_version: int | None = None) -> Ticket:
    note = _text(note, field="note", label="说明", max_length=500, required=False)
    with transaction.atomic():
        current, unit = _step(ticket=ticket, name="accept", actor=actor, expected_version=expected_version, scope=scope_for(actor))
        now = _now()
        return _apply(
            current=current, name="accept", actor=actor, actor_unit=unit, at=now,
            changes=_clock_fields("response", None, None), note=note,
        )


def ticket_reject(
    *, ticket: Ticket, actor: User, reason: str, note: str, expected_version: int | None = None
) -> Ticket:
    if reason not in RejectReason.values:
        raise ActionError("请选择不予受理的原因。", field="reason")
    note = _text(note, field="note", label="向群众的解释", max_length=500)
    with transaction.atomic():
        current, unit = _step(ticket=ticket, name="reject", actor=actor, expected_version=expected_version, scope=scope_for(actor))
        now = _now()
        changes = {**_clock_fields("response", None, None), "closed_at": now, "result": note}
        if reason == RejectReason.OUTSIDE_REMIT:
            changes["disposition"] = Disposition.ADVISORY
        return _apply(
            current=current, name="reject", actor=actor, actor_unit=unit, at=now, changes=changes,
            note=note, reason=reason,
        )


def ticket_merge(
    *, ticket: Ticket, actor: User, into_number: str, note: str = "", expected_version: int | None = None
) -> Ticket:
    note = _text(note, field="note", label="说明", max_length=500, required=False)
    scope = scope_for(actor)
    with transaction.atomic():
        current, unit = _step(ticket=ticket, name="merge", actor=actor, expected_version=expected_version, scope=scope)
        target = Ticket.objects.filter(number=(into_number or "").strip().upper()).first()
        for _ in range(20):  # follow earlier merges to the request actually handled
            if target is None or not target.merged_into_id:
                break
            target = target.merged_into
        if target is not None:
            # Lock both rows in id order: two merges into each other cannot both pass the checks below.
            list(Ticket.objects.select_for_update().filter(pk__in=[current.pk, target.pk]).order_by("pk"))
            target.refresh_from_db()
        if target is None:
            raise ActionError("找不到要合并到的事项编号。", field="into_number")
        if target.pk == current.pk:
            raise ActionError("不能把事项合并到它自己。", field="into_number")
        from .queries import visible_tickets

        if not visible_tickets(scope).filter(pk=target.pk).exists():
            raise Forbidden("要合并到的事项不在您的工作范围内。", field="into_number")
        if target.status in {Status.CLOSED, Status.REJECTED, Status.MERGED}:
            raise ActionError(f"事项 {target.number} 已{target.get_status_display()}，不能再合并进去。", field="into_number")
        now = _now()
        merged = _apply(
            current=current, name="merge", actor=actor, actor_unit=unit, at=now,
            changes={**_clock_fields("response", None, None), "merged_into": target, "closed_at": now},
            note=note, data={"into": target.number},
        )
        _record(
            ticket=target, action="merged_in", from_status=target.status, to_status=target.status,
            actor=actor, actor_unit=unit, at=now, note=note, data={"duplicate": current.number},
        )
        return merged


def ticket_resolve_on_spot(
    *, ticket: Ticket, actor: User, result: str, photos: list | None = None, expected_version: int | None = None
) -> Ticket:
    result = _text(result, field="result", label="办理结果", max_length=2000)
    with _atomic_with_files() as stored:
        current, unit = _step(
            ticket=ticket, name="resolve_on_spot", actor=actor, expected_version=expected_version, scope=scope_for(actor)
        )
        now = _now()
        changes = {
            **_clock_fields("response", None, None),
            **_clock_fields("resolve", None, None),
            "disposition": Disposition.ON_SPOT,
            "result": result,
            "resolved_at": now,
        }
        return _apply(
            current=current, name="resolve_on_spot", actor=actor, actor_unit=unit, at=now, changes=changes,
            note=result, photos=photos, stored=stored,
        )


def dispatch_targets(ticket: Ticket) -> list[Unit]:
    """Units a request may be sent to: its own community, its street, district and partner units."""
    units = Unit.objects.filter(active=True).exclude(kind=UnitKind.DISTRICT_CENTER).select_related("area")
    return [
        u
        for u in units
        if not (u.kind == UnitKind.COMMUNITY_OFFICE and u.area_id != ticket.community_id)
        and not (u.kind == UnitKind.STREET_OFFICE and u.area_id != ticket.street_id)
    ]


def _send(
    *, name: str, ticket: Ticket, actor: User, unit: Unit, complexity: str, note: str, expected_version: int | None
) -> Ticket:
    if complexity not in Complexity.values:
        raise ActionError("请选择复杂程度。", field="complexity")
    note = _text(note, field="note", label="派单意见", max_length=500, required=False)
    with transaction.atomic():
        current, acting = _step(ticket=ticket, name=name, actor=actor, expected_version=expected_version, scope=scope_for(actor))
        if unit.pk not in {u.pk for u in dispatch_targets(current)}:
            raise ActionError(f"不能派给“{unit.name}”。", field="unit")
        if name == "redispatch" and unit.pk == current.handling_unit_id:
            raise ActionError("转派单位不能是本单位。", field="unit")
        now = _now()
        policy = deadlines.policy_for(category=current.category, urgency=current.urgency)
        clocks = {
            **_clock_fields("response", now, policy.response_minutes),
            **_clock_fields("resolve", now, policy.resolve_for(complexity)),
        }
        changes = {
            **clocks,
            "handling_unit": unit,
            "sender_unit": current.handling_unit,
            "complexity": complexity,
            "disposition": current.disposition or Disposition.PROMISED,
        }
        return _apply(
            current=current, name=name, actor=actor, actor_unit=acting, at=now, changes=changes, note=note,
            data={"complexity": complexity, **_clock_data(clocks)},
        )


def ticket_dispatch(
    *, ticket: Ticket, actor: User, unit: Unit, complexity: str = Complexity.NORMAL, note: str = "",
    expected_version: int | None = None,
) -> Ticket:
    return _send(name="dispatch", ticket=ticket, actor=actor, unit=unit, complexity=complexity, note=note,
                 expected_version=expected_version)


def ticket_redispatch(
    *, ticket: Ticket, actor: User, unit: Unit, complexity: str = Complexity.NORMAL, note: str = "",
    expected_version: int | None = None,
) -> Ticket:
    return _send(name="redispatch", ticket=ticket, actor=actor, unit=unit, complexity=complexity, note=note,
                 expected_version=expected_version)


# --- the handling unit -----------------------------------------------------------------------
def ticket_sign(*, ticket: Ticket, actor: User, note: str = "", expected_version: int | None = None) -> Ticket:
    note = _text(note, field="note", label="说明", max_length=500, required=False)
    with transaction.atomic():
        current, unit = _step(ticket=ticket, name="sign", actor=actor, expected_version=expected_version, scope=scope_for(actor))
        return _apply(
            current=current, name="sign", actor=actor, actor_unit=unit, at=_now(),
            changes=_clock_fields("response", None, None), note=note,
        )


def ticket_return(*, ticket: Ticket, actor: User, note: str, expected_version: int | None = None) -> Ticket:
    note = _text(note, field="note", label="退回理由", max_length=500)
    with transaction.atomic():
        current, unit = _step(ticket=ticket, name="return", actor=actor, expected_version=expected_version, scope=scope_for(actor))
        back_to = current.sender_unit
        if back_to is None or back_to.kind not in COORDINATING_KINDS:
            back_to = Unit.objects.filter(kind=UnitKind.COMMUNITY_OFFICE, area=current.community_id,
                                          active=True).first()
        if back_to is None:
            raise ActionError("该社区尚未设置社区居委会，无法退回，请联系管理员。")
        now = _now()
        changes = {
            **_clock_fields("response", None, None),
            **_clock_fields("resolve", None, None),
            "handling_unit": back_to,
            "sender_unit": None,
        }
        return _apply(current=current, name="return", actor=actor, actor_unit=unit, at=now, changes=changes, note=note)


def ticket_add_progress(
    *, ticket: Ticket, actor: User, note: str, photos: list | None = None
) -> TicketEvent:
    note = _text(note, field="note", label="进展说明", max_length=2000)
    with _atomic_with_files() as stored:
        current = Ticket.objects.select_related("handling_unit").get(pk=ticket.pk)
        scope = scope_for(actor)
        if not can_add_progress(scope, current):
            raise Forbidden(f"只有当前办理单位可以为事项 {current.number} 填写办理进展。")
        return _record(
            ticket=current, action="progress", from_status=current.status, to_status=current.status,
            actor=actor, actor_unit=current.handling_unit, at=_now(), note=note, photos=photos, stored=stored,
        )


def ticket_note(*, ticket: Ticket, actor: User, action: str, note: str, data: dict | None = None,
                actor_unit: Unit | None = None) -> TicketEvent:
    """A note in a request's timeline from elsewhere in the system (议事: put on an agenda, a resolution).
    The caller has checked that the person may see the request."""
    if action not in NOTE_EVENTS or action == "create":
        raise ValueError(action)
    with transaction.atomic():
        current = Ticket.objects.get(pk=ticket.pk)
        return _record(ticket=current, action=action, from_status=current.status, to_status=current.status,
                       actor=actor, actor_unit=actor_unit, at=_now(), note=note, data=data)


def ticket_mark_exemplary(*, ticket: Ticket, actor: User, summary: str, exemplary: bool = True) -> Ticket:
    """Put a closed request in the year's case book (案例汇编) with a summary written for publication, or
    take it out. The summary, not the resident's own words, is what the case book prints."""
    summary = _text(summary, field="summary", label="案例简介", max_length=2000, required=exemplary)
    if exemplary and len(summary) < 20:
        raise ActionError("案例简介至少 20 个字：写清问题、怎么解决、效果如何（不要写群众姓名、电话）。", field="summary")
    scope = scope_for(actor)
    with transaction.atomic():
        current = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if not can_mark_exemplary(scope, current):
            raise Forbidden("只有区级或所在街道可以把已结案的事项列为典型案例。")
        Ticket.objects.filter(pk=current.pk).update(exemplary=exemplary)
        _record(ticket=current, action="exemplary", from_status=current.status, to_status=current.status, actor=actor,
                actor_unit=None, at=_now(), note=summary if exemplary else (summary or "取消典型案例"),
                data={"exemplary": exemplary})
        current.exemplary = exemplary
        return current


def ticket_escalate(*, ticket: Ticket, actor: User, note: str, expected_version: int | None = None) -> Ticket:
    note = _text(note, field="note", label="上报理由", max_length=1000)
    with transaction.atomic():
        current, unit = _step(ticket=ticket, name="escalate", actor=actor, expected_version=expected_version, scope=scope_for(actor))
        above = current.handling_unit.level_above(street=current.street)
        if above is None:
            raise ActionError(f"“{current.handling_unit.name}”已是最高一级，无法再上报。")
        now = _now()
        policy = deadlines.policy_for(category=current.category, urgency=current.urgency)
        clocks = {
            **_clock_fields("response", now, policy.response_minutes),
            **_clock_fields("resolve", now, policy.escalated_resolve_minutes),
        }
        changes = {**clocks, "handling_unit": above, "sender_unit": current.handling_unit,
                   "disposition": Disposition.ESCALATED}
        return _apply(current=current, name="escalate", actor=actor, actor_unit=unit, at=now, changes=changes,
                      note=note, data=_clock_data(clocks))


def ticket_suspend(
    *, ticket: Ticket, actor: User, note: str, until: dt.date, expected_version: int | None = None
) -> Ticket:
    note = _text(note, field="note", label="缓办理由", max_length=1000)
    if until is None or until <= timezone.localdate():
        raise ActionError("计划办理日期必须晚于今天。", field="until")
    if until > timezone.localdate() + dt.timedelta(days=3 * 366):
        raise ActionError("计划办理日期不能超过三年。", field="until")
    with transaction.atomic():
        current, unit = _step(ticket=ticket, name="suspend", actor=actor, expected_version=expected_version, scope=scope_for(actor))
        now = _now()
        remaining = deadlines.calendar().between(now, current.resolve_due_at) if current.resolve_due_at else None
        changes = {**_clock_fields("resolve", None, None), "suspended_until": until}
        return _apply(current=current, name="suspend", actor=actor, actor_unit=unit, at=now, changes=changes,
                      note=note, data={"until": until.isoformat(), "remaining_minutes": remaining})


def ticket_resume(*, ticket: Ticket, actor: User, note: str = "", expected_version: int | None = None) -> Ticket:
    note = _text(note, field="note", label="说明", max_length=500, required=False)
    with transaction.atomic():
        current, unit = _step(ticket=ticket, name="resume", actor=actor, expected_version=expected_version, scope=scope_for(actor))
        now = _now()
        suspended = current.events.filter(action="suspend").order_by("-created_at", "-id").first()
        remaining = suspended.data.get("remaining_minutes") if suspended else None
        if remaining is None:
            policy = deadlines.policy_for(category=current.category, urgency=current.urgency)
            remaining = policy.resolve_for(current.complexity)
        # The clock resumes with the working time that was left when it stopped (none, if overdue).
        clocks = _clock_fields("resolve", now, max(float(remaining), 1.0))
        changes = {**clocks, "suspended_until": None}
        return _apply(current=current, name="resume", actor=actor, actor_unit=unit, at=now, changes=changes,
                      note=note, data=_clock_data(clocks))


def ticket_resolve(
    *, ticket: Ticket, actor: User, result: str, photos: list | None = None, expected_version: int | None = None
) -> Ticket:
    result = _text(result, field="result", label="办理结果", max_length=2000)
    with _atomic_with_files() as stored:
        current, unit = _step(ticket=ticket, name="resolve", actor=actor, expected_version=expected_version, scope=scope_for(actor))
        now = _now()
        changes = {**_clock_fields("resolve", None, None), "result": result, "resolved_at": now}
        return _apply(current=current, name="resolve", actor=actor, actor_unit=unit, at=now, changes=changes,
                      note=result, photos=photos, stored=stored)


# --- callback --------------------------------------------------------------------------------
def ticket_callback(
    *,
    ticket: Ticket,
    actor: User | None,
    contacted: bool,
    solved: bool | None = None,
    satisfaction: str = "",
    note: str = "",
    expected_version: int | None = None,
) -> Ticket:
    """Record a callback (回访). Dissatisfied → rework by the same unit; otherwise closed.

    actor=None is the reporter rating their own request on the tracking page.
    """
    note = _text(note, field="note", label="回访记录", max_length=1000, required=False)
    if not contacted:
        if actor is None:
            raise ActionError("请选择满意度。", field="satisfaction")
        with transaction.atomic():
            current, unit = _step(ticket=ticket, name="close", actor=actor, expected_version=None, scope=scope_for(actor))
            return _record(
                ticket=current, action="callback_attempt", from_status=current.status, to_status=current.status,
                actor=actor, actor_unit=unit, at=_now(), note=note or "电话未接通", data={"contacted": False},
            ).ticket
    if satisfaction not in Satisfaction.values:
        raise ActionError("请选择满意度。", field="satisfaction")
    if solved is None:
        raise ActionError("请选择问题是否已解决。", field="solved")
    name = "rework" if satisfaction == Satisfaction.DISSATISFIED else "close"
    if name == "rework" and not note and actor is None:
        note = "群众评价不满意"
    if name == "rework" and not note:
        raise ActionError("不满意时请记录群众不满意的原因，以便返工。", field="note")
    with transaction.atomic():
        scope = scope_for(actor) if actor is not None else None
        current, unit = _step(ticket=ticket, name=name, actor=actor, expected_version=expected_version, scope=scope)
        now = _now()
        data = {"contacted": True, "solved": solved, "satisfaction": satisfaction,
                "by": "reporter" if actor is None else "staff"}
        if name == "close":
            changes: dict[str, Any] = {"satisfaction": satisfaction, "closed_at": now}
        else:
            policy = deadlines.policy_for(category=current.category, urgency=current.urgency)
            clocks = _clock_fields("resolve", now, policy.resolve_for(current.complexity))
            changes = {**clocks, "satisfaction": satisfaction, "rework_count": F("rework_count") + 1,
                       "resolved_at": None}
            data.update(_clock_data(clocks))
        return _apply(current=current, name=name, actor=actor, actor_unit=unit, at=now, changes=changes,
                      note=note, data=data)


# --- supervision, reminders, extensions (限时办结、跟踪督办) -----------------------------------
def supervision_issue(
    *, ticket: Ticket, actor: User, unit: Unit, text: str, grade: str = Grade.NORMAL,
    reply_due_at: dt.datetime | None = None,
) -> SupervisionOrder:
    """A district supervisor's 督办单: a demand the named unit must answer by a deadline."""
    from .announce import tell

    scope = scope_for(actor)
    if not scope.district:
        raise Forbidden("只有区督办可以下发督办单。")  # the status is checked below, on a fresh read
    if grade not in Grade.values:
        raise ActionError("请选择督办等级。", field="grade")
    text = _text(text, field="text", label="督办要求", max_length=2000)
    if not unit.active:
        raise ActionError(f"“{unit.name}”已停用。", field="unit")
    now = _now()
    if reply_due_at is None:
        reply_due_at = deadlines.due(now, settings.MINQING["ORDER_REPLY_DAYS"][grade] * deadlines.calendar().day_minutes)
    elif reply_due_at <= now:
        raise ActionError("回复时限必须晚于现在。", field="reply_due")
    with transaction.atomic():
        current = Ticket.objects.select_related("handling_unit").get(pk=ticket.pk)
        if current.status in FINAL_STATUSES:
            raise ActionError(f"事项 {current.number} 已{current.get_status_display()}，不能再督办。")
        acting = _acting_unit(scope, current, Actor.CALLBACK)
        order = SupervisionOrder.objects.create(
            ticket=current, grade=grade, text=text, unit=unit, reply_due_at=reply_due_at, issued_by=actor,
            issued_unit=acting, issued_at=now,
        )
        _record(ticket=current, action="supervise", from_status=current.status, to_status=current.status,
                actor=actor, actor_unit=acting, at=now, note=text,
                data={"order": order.pk, "grade": grade, "unit": unit.name, "reply_due_at": _iso(reply_due_at)})
        tell([unit], current, f"收到{order.get_grade_display()}，请按时回复", kind="supervise", body=text, actor=actor)
        return order


def supervision_reply(*, order: SupervisionOrder, actor: User, text: str) -> SupervisionOrder:
    from .announce import tell

    text = _text(text, field="text", label="回复内容", max_length=2000)
    scope = scope_for(actor)
    if order.unit_id not in scope.unit_ids:
        raise Forbidden(f"只有{order.unit.name}可以回复该督办单。")
    with transaction.atomic():
        now = _now()
        if not SupervisionOrder.objects.filter(pk=order.pk, replied_at=None).update(
            reply=text, replied_by=actor, replied_at=now
        ):
            raise Conflict("该督办单已经回复过了。")
        order.refresh_from_db()
        ticket = order.ticket
        _record(ticket=ticket, action="supervision_reply", from_status=ticket.status, to_status=ticket.status,
                actor=actor, actor_unit=order.unit, at=now, note=text, data={"order": order.pk})
        tell([order.issued_unit], ticket, "督办单已回复", kind="supervision_reply", body=text, actor=actor,
             extra=[order.issued_by])
        return order


def ticket_remind(*, ticket: Ticket, actor: User, note: str = "") -> TicketEvent:
    """催办: nudge the handling unit of an open request."""
    from .announce import tell

    note = _text(note, field="note", label="催办说明", max_length=500, required=False) or "请抓紧办理。"
    scope = scope_for(actor)
    with transaction.atomic():
        current = Ticket.objects.select_related("handling_unit").get(pk=ticket.pk)
        if current.status not in OPEN_STATUSES:
            raise ActionError(f"事项 {current.number} 已{current.get_status_display()}，不需要催办。")
        if not can_remind(scope, current):
            raise Forbidden("只有上级或本社区可以催办，办理单位不能催办自己。")
        acting = _acting_unit(scope, current, Actor.CALLBACK)
        event = _record(ticket=current, action="remind", from_status=current.status, to_status=current.status,
                        actor=actor, actor_unit=acting, at=_now(), note=note)
        tell([current.handling_unit], current, "催办", kind="remind", body=note, actor=actor)
        return event


def extension_request(*, ticket: Ticket, actor: User, new_due: dt.date, reason: str) -> ExtensionRequest:
    """延期申请 by the handling unit, to be decided by the level above."""
    from .announce import tell

    reason = _text(reason, field="reason", label="延期理由", max_length=1000)
    scope = scope_for(actor)
    with transaction.atomic():
        current = Ticket.objects.select_related("handling_unit", "street").get(pk=ticket.pk)
        if current.handling_unit_id not in scope.unit_ids:
            raise Forbidden("只有当前办理单位可以申请延期。")
        if not can_request_extension(scope, current):
            if current.resolve_due_at is not None and current.resolve_due_at <= timezone.now():
                raise ActionError(f"事项 {current.number} 已超过办结时限，不能再申请延期，请尽快办结。")
            raise ActionError(f"事项 {current.number} 当前没有在计时的办结时限，不能申请延期。")
        if new_due is None:
            raise ActionError("请填写申请延至的日期。", field="new_due")
        cal = deadlines.calendar()
        noon = dt.datetime.combine(new_due, dt.time(9, 0), cal.tz)
        new_due_at = cal.end_of_workday(noon)
        if new_due_at <= current.resolve_due_at:
            raise ActionError(
                f"申请延至的日期必须晚于现在的办结时限（{timezone.localtime(current.resolve_due_at):%Y-%m-%d %H:%M}）。",
                field="new_due",
            )
        if new_due > timezone.localdate() + dt.timedelta(days=366):
            raise ActionError("延期不能超过一年，长期事项请申请缓办。", field="new_due")
        approver = current.handling_unit.level_above(street=current.street) or current.handling_unit
        if ExtensionRequest.objects.filter(ticket=current, status=ExtensionStatus.PENDING).exists():
            raise ActionError("该事项已有一份待审批的延期申请。")
        now = _now()
        try:
            with transaction.atomic():
                req = ExtensionRequest.objects.create(
                    ticket=current, unit=current.handling_unit, approver_unit=approver, requested_by=actor,
                    requested_at=now, reason=reason, original_due_at=current.resolve_due_at, new_due_at=new_due_at,
                )
        except IntegrityError as exc:
            raise ActionError("该事项已有一份待审批的延期申请。") from exc
        _record(ticket=current, action="extension_request", from_status=current.status, to_status=current.status,
                actor=actor, actor_unit=current.handling_unit, at=now, note=reason,
                data={"extension": req.pk, "original_due_at": _iso(req.original_due_at),
                      "new_due_at": _iso(new_due_at)})
        tell([approver], current, "延期申请待审批", kind="extension_request", body=reason, actor=actor)
        return req


def extension_decide(*, request: ExtensionRequest, actor: User, approve: bool, note: str = "") -> ExtensionRequest:
    """The level above approves or refuses; only an approval moves the deadline."""
    from .announce import tell

    note = _text(note, field="note", label="审批意见", max_length=500, required=not approve)
    scope = scope_for(actor)
    if request.approver_unit_id not in scope.unit_ids and not scope.district:
        raise Forbidden(f"只有{request.approver_unit.name}可以审批该延期申请。")
    with transaction.atomic():
        now = _now()
        status = ExtensionStatus.APPROVED if approve else ExtensionStatus.REFUSED
        if not ExtensionRequest.objects.filter(pk=request.pk, status=ExtensionStatus.PENDING).update(
            status=status, decided_by=actor, decided_at=now, decision_note=note
        ):
            raise Conflict("该延期申请已经审批过了。")
        request.refresh_from_db()
        current = Ticket.objects.select_related("handling_unit").get(pk=request.ticket_id)
        if approve:
            changes: dict[str, Any] = {
                "resolve_due_at": request.new_due_at,
                "resolve_warn_at": deadlines.warn_at(started_at=current.resolve_started_at or request.requested_at,
                                                     due_at=request.new_due_at),
            }
            before = {f: getattr(current, f) for f in CLOCK_COLUMNS}
            changes["next_check_at"] = deadlines.next_check(before=before, changes=changes, status=current.status,
                                                            now=now)
            # The clock must still be the one the unit asked to extend, and not mid-sweep.
            if not Ticket.objects.filter(pk=current.pk, resolve_due_at=request.original_due_at,
                                         status__in=RESOLVE_CLOCK, next_check_at=current.next_check_at,
                                         version=current.version).update(**changes):
                raise Conflict("事项的办结时限已经变化（已办结、改派或正在巡检），请刷新后重新审批。")
        action = "extension_approve" if approve else "extension_refuse"
        _record(ticket=current, action=action, from_status=current.status, to_status=current.status,
                actor=actor, actor_unit=request.approver_unit, at=now, note=note,
                data={"extension": request.pk, "original_due_at": _iso(request.original_due_at),
                      "new_due_at": _iso(request.new_due_at) if approve else None})
        tell([request.unit], current, "延期申请已同意" if approve else "延期申请未同意", kind=action,
             body=note, actor=actor, extra=[request.requested_by])
        return request


# --- what the deadline sweep does (sweep.py finds the due rows; these write) --------------------
SYSTEM = "系统巡检"


def ticket_mark_overdue(*, ticket: Ticket, clocks: list[str], at: dt.datetime) -> Unit | None:
    """A clock ran out: record it once and, by the escalation rules, send it up for supervision.

    The caller has claimed the request (moved its next_check_at) in this transaction. Returns the
    supervising unit, or None when the category only warns.
    """
    from .announce import tell

    unit = ticket.handling_unit
    labels = "、".join("响应" if c == "response" else "办结" for c in clocks)
    goes_up = deadlines.escalates(category=ticket.category, unit=unit)
    supervisor = (unit.level_above(street=ticket.street) or unit) if goes_up else None
    due = {c: getattr(ticket, f"{c}_due_at").isoformat() for c in clocks}
    if supervisor is not None:
        Ticket.objects.filter(pk=ticket.pk).update(supervised_by=supervisor)
        note = f"{labels}时限已过，{unit.name}尚未完成，已自动上报{supervisor.name}督办。"
    else:
        note = f"{labels}时限已过，{unit.name}尚未完成（该分类超期只预警，不上报）。"
    _record(ticket=ticket, action="overdue", from_status=ticket.status, to_status=ticket.status, actor=None,
            actor_unit=None, at=at, note=note, actor_label=SYSTEM,
            data={"clocks": clocks, "due": due, "supervisor": supervisor.name if supervisor else None, "by": SYSTEM})
    tell([unit], ticket, f"已超期（{labels}）", kind="overdue", body=note)
    if supervisor is not None and supervisor != unit:
        tell([supervisor], ticket, f"下级超期事项待督办（{labels}）", kind="overdue_supervise", body=note)
    return supervisor


def supervision_mark_overdue(*, order: SupervisionOrder, at: dt.datetime) -> bool:
    """An order's reply time passed unanswered. False if someone replied or marked it first."""
    from .announce import tell

    if not SupervisionOrder.objects.filter(pk=order.pk, replied_at=None, overdue_at=None).update(overdue_at=at):
        return False
    note = f"{order.unit.name}未在时限内回复{order.get_grade_display()}。"
    ticket = order.ticket
    _record(ticket=ticket, action="supervision_overdue", from_status=ticket.status, to_status=ticket.status,
            actor=None, actor_unit=None, at=at, note=note, actor_label=SYSTEM, data={"order": order.pk, "by": SYSTEM})
    tell([order.unit], ticket, "督办单已超期，请立即回复", kind="order_overdue", body=note)
    tell([order.issued_unit], ticket, "督办单超期未回复", kind="order_overdue", body=note, extra=[order.issued_by])
    return True


def ticket_set_external_due(*, ticket: Ticket, due: dt.datetime) -> TicketEvent:
    """The 12345 platform moved its own deadline for a work order; recorded, our clocks unchanged."""
    with transaction.atomic():
        current = Ticket.objects.get(pk=ticket.pk)
        old = current.external_due_at
        Ticket.objects.filter(pk=current.pk).update(external_due_at=due)
        return _record(ticket=current, action="external_due", from_status=current.status, to_status=current.status,
                       actor=None, actor_unit=None, at=_now(), actor_label="12345平台",
                       note="12345平台调整了办理时限", data={"from": _iso(old), "to": _iso(due)})


# --- retention -------------------------------------------------------------------------------
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
            now = _now()
            Ticket.objects.filter(pk__in=[pk for pk, _ in ids], personal_data_erased_at=None).update(
                reporter_name="", reporter_phone="", reporter_phone_hash="", reporter_user=None, address="", latitude=None, longitude=None,
                tracking_code_hash="", personal_data_erased_at=now)
            TicketEvent.objects.bulk_create([
                TicketEvent(ticket_id=pk, action="erase", from_status=status, to_status=status, actor=None,
                            actor_label="系统", note=f"结案超过保存期限，反映人个人信息已删除（{before:%Y-%m-%d} 前）",
                            created_at=now) for pk, status in ids])
            done += len(ids)


# --- personal data ---------------------------------------------------------------------------
def reporter_shown(*, scope: Scope, ticket: Ticket, via: str):  # noqa: ANN201 - queries.Reporter
    """The reporter as shown to this viewer; a full phone number shown is recorded (who, when, where),
    so that supervisors can see who looked at whose number."""
    from .queries import reporter_for

    reporter = reporter_for(scope, ticket)
    if not reporter.masked and reporter.phone and scope.user is not None:
        PersonalDataView.objects.create(ticket=ticket, viewer=scope.user, via=via)
    return reporter
