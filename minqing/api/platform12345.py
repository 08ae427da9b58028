"""The 12345 connector: work orders both ways with a city 12345 platform over HTTP.

In: `pull` reads the platform's feed (new orders, decisions on our applications, callback results, changed
deadlines) from where the last pull stopped; a platform that pushes instead POSTs the same items to
/api/12345/push (views.push12345). Every item is stored first by the platform's message id (`PlatformInbound`,
unique: a duplicate delivery is dropped), then applied through the ticket actions, each in its own
transaction. An item that refers to what is not there yet (a decision before its application, a callback
result before the resolution) waits and is tried again: callbacks arriving out of order still land.

Out: the `platform12345` consumer of the event log turns our steps into messages (签收, 阶段反馈, 退单申请,
延期申请, 办结) in the outbox (`PlatformMessage`, unique per (event, kind): a step is queued once). `send_due`
sends them, retrying with back-off, one request's messages in order; each carries its key (`xxid`), the same
on every retry, and the platform drops a repeat (the fake platform does) — so a step reaches it once even
when it answered 500, timed out, or processed it and dropped the connection.

The platform's approval or refusal decides our application through `actions.application_decide` (an approved
extension moves the platform's deadline first: ours is never later than it); its callback result is recorded
through `actions.ticket_callback` by the platform's callback account.

Field names and endpoints are a profile (PROFILES, overridable in settings.MINQING_12345). "db36" follows
DB36/T 1180-2019《12345政务服务热线系统对接技术规范》 only in shape (architecture: the city platform and the
district's system exchange work orders and their handling over HTTP interfaces): the standard's text is not
public, so its field names (pinyin initials, as such interfaces commonly use) and paths are our assumption,
to be replaced by the real ones in settings without code changes.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from minqing.accounts.models import Role, RoleAssignment, User
from minqing.lib.errors import ActionError, Conflict
from minqing.lib.masking import mask_name, mask_phone
from minqing.org.models import Unit, UnitKind
from minqing.tickets import actions, consumers
from minqing.tickets.models import (
    Application,
    ApplicationKind,
    ApplicationStatus,
    Category,
    Channel,
    Satisfaction,
    Ticket,
    TicketEvent,
    TicketType,
)

from .models import PlatformCursor, PlatformInbound, PlatformMessage

log = logging.getLogger("minqing.platform12345")
SERVICE_USER = "12345"  # registers orders and carries the platform's decisions
CALLBACK_USER = "12345-hf"  # records the platform's callback results (办理与监督相分离: a callback agent)


@dataclass(frozen=True)
class Profile:
    name: str
    # what we do → (HTTP method, path under MINQING_12345["URL"])
    endpoints: dict[str, tuple[str, str]]
    # our field → the platform's key, for orders and messages both ways
    fields: dict[str, str]
    item_kinds: dict[str, str]  # the platform's 消息类型 → ours (order, decision, evaluation, deadline)
    types: dict[str, str] = field(default_factory=dict)  # the platform's 诉求类型 → ours
    satisfaction: dict[str, str] = field(default_factory=dict)  # the platform's 满意度 → ours
    yes: tuple[str, ...] = ("1", "true", "是", "True")
    time_format: str = "%Y-%m-%d %H:%M:%S"


DB36 = Profile(
    name="db36",
    endpoints={"pull": ("GET", "/gd/pull"), "sign": ("POST", "/gd/qs"), "feedback": ("POST", "/gd/jdfk"),
               "return_apply": ("POST", "/gd/tdsq"), "extension_apply": ("POST", "/gd/yqsq"),
               "resolve": ("POST", "/gd/bj")},
    fields={
        # the feed
        "items": "items", "cursor": "cursor", "message_id": "xxid", "message_kind": "xxlx", "platform_at": "czsj",
        # an order (工单)
        "number": "gdbh", "received_at": "ldsj", "due": "blsx", "title": "bt", "text": "sqnr", "type": "sqlx",
        "category": "sqfl", "address": "fsdz", "reporter_name": "ldrxm", "reporter_phone": "lxdh",
        "latitude": "wd", "longitude": "jd", "district": "xzqh",
        # a decision (审批结果) and a callback result (回访结果)
        "application": "sqbh", "approved": "spjg", "decision_note": "spyj", "new_due": "yqsx",
        "satisfaction": "myd", "solved": "sfjj", "unit_contacted": "sflx", "callback_note": "hfnr",
        # our messages
        "unit": "czdw", "person": "czr", "content": "cznr", "reason_code": "thlx",
    },
    item_kinds={"gd": "order", "sp": "decision", "hf": "evaluation", "sx": "deadline"},
    types={"咨询": TicketType.ENQUIRY, "求助": TicketType.HELP, "投诉": TicketType.COMPLAINT,
           "举报": TicketType.REPORT, "建议": TicketType.SUGGESTION},
    satisfaction={"1": Satisfaction.SATISFIED, "2": Satisfaction.BASIC, "3": Satisfaction.DISSATISFIED,
                  "满意": Satisfaction.SATISFIED, "基本满意": Satisfaction.BASIC, "不满意": Satisfaction.DISSATISFIED},
)
PROFILES = {DB36.name: DB36}


def config() -> dict[str, Any]:
    return dict(settings.MINQING_12345)


def connected() -> bool:
    return bool(config().get("URL"))


def profile() -> Profile:
    conf = config()
    base = PROFILES.get(conf.get("PROFILE") or "db36", DB36)
    endpoints = {**base.endpoints, **{k: tuple(v) for k, v in (conf.get("ENDPOINTS") or {}).items()}}
    return Profile(name=base.name, endpoints=endpoints, fields={**base.fields, **(conf.get("FIELDS") or {})},
                   item_kinds=base.item_kinds, types=base.types, satisfaction=base.satisfaction, yes=base.yes,
                   time_format=base.time_format)


# --- HTTP --------------------------------------------------------------------------------------
class PlatformError(Exception):
    """The platform could not be reached or answered with an error: tried again later."""


class PlatformRefused(Exception):
    """The platform answered that it will not take this message (code ≠ 0): retrying cannot help."""


def _call(method: str, path: str, *, body: dict | None = None, query: dict | None = None) -> dict:
    conf = config()
    url = conf["URL"].rstrip("/") + path
    if not url.startswith(("http://", "https://")):
        raise PlatformError("MINQING_12345_URL 必须以 http:// 或 https:// 开头")
    if query:
        url += "?" + urllib.parse.urlencode(query)
    data = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
    # The platform's address comes from the deployment's settings, not from users: no address check here
    # (the fake platform runs on 127.0.0.1); no proxy from the environment either.
    request = urllib.request.Request(url, data=data, method=method, headers={  # noqa: S310 - scheme checked above
        "Content-Type": "application/json; charset=utf-8", "Authorization": f"Bearer {conf.get('KEY', '')}"})
    try:
        with _OPENER.open(request, timeout=float(conf.get("TIMEOUT", 10))) as response:
            raw = response.read(1_000_000)
    except urllib.error.HTTPError as exc:
        raise PlatformError(f"HTTP {exc.code}") from exc
    except Exception as exc:  # timeouts, refused and dropped connections
        raise PlatformError(f"{type(exc).__name__}: {exc}") from exc
    try:
        answer = json.loads(raw.decode())
    except (UnicodeDecodeError, ValueError) as exc:
        raise PlatformError(f"平台的回复不是 JSON：{raw[:100]!r}") from exc
    if not isinstance(answer, dict):
        raise PlatformError("平台的回复不是 JSON 对象")
    if str(answer.get("code", "0")) != "0":
        raise PlatformRefused(f"平台拒收（{answer.get('code')}）：{answer.get('msg', '')}")
    return answer


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


# --- accounts ----------------------------------------------------------------------------------
def platform_users() -> tuple[User, User]:
    """The platform's two service accounts, made on first use: one at the district centre (registers orders,
    carries the platform's decisions), one callback agent (records the platform's callback results)."""
    centre = Unit.objects.filter(kind=UnitKind.DISTRICT_CENTER, active=True).order_by("pk").first()
    if centre is None:
        raise ActionError("还没有区民情服务中心，不能对接12345平台。")
    out = []
    for username, full_name, role in ((SERVICE_USER, "12345平台", Role.DISTRICT_SUPERVISOR),
                                      (CALLBACK_USER, "12345平台回访", Role.CALLBACK_AGENT)):
        user = User.objects.filter(username=username).first()
        if user is None:
            try:
                with transaction.atomic():
                    user = User.objects.create_user(username=username, full_name=full_name)
                    user.set_unusable_password()
                    user.save()
                    RoleAssignment.objects.create(user=user, role=role, unit=centre)
            except IntegrityError:  # another process made it first
                user = User.objects.get(username=username)
        out.append(user)
    return out[0], out[1]


# --- out: the outbox ---------------------------------------------------------------------------
SENDS = {"accept": ("sign",), "resolve_on_spot": ("sign", "resolve"), "contact": ("feedback",),
         "progress": ("feedback",), "return_apply": ("return_apply",), "extension_request": ("extension_apply",),
         "resolve": ("resolve",), "review_pass": ("resolve",)}


def _wants(event: TicketEvent) -> bool:
    """Only steps of 12345 orders, and only with a platform connected: other requests get no pending row.
    (The writer hands its ticket to the event, so reading it here costs no query.)"""
    return event.action in SENDS and connected() and bool(event.ticket.external_number)


def _forwarded(event: TicketEvent) -> bool:
    """An application goes to the platform when the platform is the one to decide it
    (actions.forwarded_to_platform: extensions, and returns the district centre would decide)."""
    pk = (event.data or {}).get("application")
    app = Application.objects.filter(pk=int(pk)).select_related("ticket", "approver_unit").first() if pk else None
    return app is not None and actions.forwarded_to_platform(app)


@consumers.register("platform12345", "12345平台", wants=_wants)
def queue_messages(events: list[TicketEvent]) -> None:
    """Turn steps of 12345 orders into outbox rows. Handling the same event again queues nothing more."""
    if not connected():
        return
    rows = []
    for event in events:
        ticket = event.ticket
        if event.action not in SENDS or not ticket.external_number or ticket.channel != Channel.HOTLINE_12345:
            continue
        if event.action in ("return_apply", "extension_request") and not _forwarded(event):
            continue
        for kind in SENDS[event.action]:
            if kind == "sign" and event.action == "resolve_on_spot" and event.from_status != "received":
                continue  # accepted before: its 签收 went then
            rows.append(PlatformMessage(key=f"{event.pk}:{kind}", ticket=ticket, event=event, kind=kind,
                                        payload=_payload(kind, event, ticket), next_try_at=event.created_at))
    PlatformMessage.objects.bulk_create(rows, ignore_conflicts=True)


def _when(value: dt.datetime | None) -> str:
    return timezone.localtime(value).strftime(profile().time_format) if value else ""


def _payload(kind: str, event: TicketEvent, ticket: Ticket) -> dict[str, Any]:
    """What we tell the platform, in our words; `send` maps it to the profile's field names."""
    data = event.data or {}
    unit = event.actor_unit or event.from_unit or ticket.handling_unit
    out: dict[str, Any] = {"number": ticket.external_number, "platform_at": _when(event.created_at),
                           "unit": unit.name if unit else "", "person": event.actor_label,
                           "content": event.note}
    if kind == "resolve":  # the unit's reply is the 办结's note; a review's pass carries the reviewer's words
        out["content"] = (ticket.result if event.action == "review_pass" else event.note) or ticket.result
    if kind in ("return_apply", "extension_apply"):
        out["application"] = str(data.get("application", ""))
    if kind == "return_apply":
        out["reason_code"] = data.get("reason_label", event.reason)
    if kind == "extension_apply":
        due = data.get("new_due_at")
        out["new_due"] = _when(dt.datetime.fromisoformat(due)) if due else ""
    return out


def _backoff(attempt: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(3600, 15 * 2 ** min(attempt - 1, 10)))


def message_send(*, message: PlatformMessage, now: dt.datetime | None = None) -> str:
    """Try one message once: sent, retry (later, with back-off), failed (refused, or out of attempts), or
    waiting (an earlier message of the same request is not through yet: the platform gets them in order)."""
    now = now or timezone.now()
    earlier = PlatformMessage.objects.filter(ticket_id=message.ticket_id, status="queued", pk__lt=message.pk)
    if earlier.exists():
        return "waiting"
    # Claim the attempt: another sender holding the same row finds the count moved on and leaves it.
    if not PlatformMessage.objects.filter(pk=message.pk, status="queued", attempts=message.attempts).update(
            attempts=F("attempts") + 1, next_try_at=now + _backoff(message.attempts + 1)):
        return "skipped"
    attempt = message.attempts + 1
    prof = profile()
    body = {prof.fields.get(k, k): v for k, v in message.payload.items()}
    body[prof.fields["message_id"]] = message.key
    method, path = prof.endpoints[message.kind]
    try:
        answer = _call(method, path, body=body)
    except PlatformRefused as exc:
        PlatformMessage.objects.filter(pk=message.pk).update(status="failed", last_error=str(exc), next_try_at=None)
        log.warning("12345 message %s refused: %s", message.key, exc)
        return "failed"
    except PlatformError as exc:
        if attempt >= int(config().get("MAX_ATTEMPTS", 20)):
            PlatformMessage.objects.filter(pk=message.pk).update(status="failed", last_error=str(exc), next_try_at=None)
            return "failed"
        PlatformMessage.objects.filter(pk=message.pk).update(last_error=str(exc))
        return "retry"
    PlatformMessage.objects.filter(pk=message.pk).update(status="sent", sent_at=now, next_try_at=None, last_error="",
                                                         reply=json.dumps(answer, ensure_ascii=False)[:2000])
    return "sent"


def message_resend(*, ids: list[int]) -> int:
    """Queue failed messages again (an administrator fixed what the platform refused): same keys, so the
    platform still takes each once."""
    return PlatformMessage.objects.filter(pk__in=ids, status="failed").update(
        status="queued", attempts=0, next_try_at=timezone.now(), last_error="")


def send_due(*, now: dt.datetime | None = None, limit: int = 200) -> dict[str, int]:
    """Send the outbox rows that are due, oldest first; returns how many ended each way."""
    now = now or timezone.now()
    out: dict[str, int] = {}
    due = list(PlatformMessage.objects.filter(status="queued", next_try_at__lte=now).order_by("pk")[:limit])
    for message in due:
        result = message_send(message=message, now=now)
        out[result] = out.get(result, 0) + 1
    return out


# --- in: the feed ------------------------------------------------------------------------------
def _platform_time(text: object) -> dt.datetime | None:
    value = str(text or "").strip()
    if not value:
        return None
    for fmt in (profile().time_format, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(value, fmt).replace(tzinfo=timezone.get_current_timezone())
        except ValueError:
            continue
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError as exc:
        raise ActionError(f"平台时间“{value}”不是日期时间") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.get_current_timezone())


def inbound_store(*, items: list[dict]) -> int:
    """Keep each item of the feed (or a push) once, by its message id; returns how many were new."""
    prof = profile()
    f = prof.fields
    new = 0
    for item in items:
        if not isinstance(item, dict):
            continue
        kind = prof.item_kinds.get(str(item.get(f["message_kind"], "")), "unknown")
        number = str(item.get(f["number"], "") or "")[:50]
        key = str(item.get(f["message_id"], "") or "") or f"{kind}:{number}"
        try:
            at = _platform_time(item.get(f["platform_at"]))
        except ActionError:
            at = None
        try:
            with transaction.atomic():
                PlatformInbound.objects.create(key=key[:100], kind=kind, number=number, payload=item, platform_at=at,
                                               next_try_at=timezone.now())
            new += 1
        except IntegrityError:  # delivered before: the platform sends at least once
            continue
    return new


def pull(*, limit: int = 100) -> int:
    """One page of the platform's feed from the stored cursor; returns the number of new items."""
    prof = profile()
    state, _ = PlatformCursor.objects.get_or_create(name=prof.name)
    method, path = prof.endpoints["pull"]
    try:
        answer = _call(method, path, query={prof.fields["cursor"]: state.cursor, "limit": limit})
    except (PlatformError, PlatformRefused) as exc:
        PlatformCursor.objects.filter(pk=state.pk).update(last_error=str(exc)[:1000])
        raise
    data = answer.get("data") or {}
    items = data.get(prof.fields["items"]) or []
    with transaction.atomic():  # the items and the cursor past them commit together
        new = inbound_store(items=items)
        PlatformCursor.objects.filter(pk=state.pk).update(cursor=str(data.get(prof.fields["cursor"], state.cursor)),
                                                          pulled_at=timezone.now(), last_error="")
    return new


class Wait(Exception):
    """The item refers to something not here yet; it is tried again later."""


def process_due(*, now: dt.datetime | None = None, limit: int = 200) -> dict[str, int]:
    """Apply the stored items that are due, in the platform's order; each in its own transaction."""
    now = now or timezone.now()
    out: dict[str, int] = {}
    qs = PlatformInbound.objects.filter(status="waiting").filter(Q(next_try_at=None) | Q(next_try_at__lte=now))
    # New orders first: what arrived before its order (a decision, a deadline) can then land in the same pass.
    for rows in (qs.filter(kind="order"), qs.exclude(kind="order")):
        for row in list(rows.order_by("platform_at", "pk")[:limit]):
            result = inbound_apply(row=row, now=now)
            out[result] = out.get(result, 0) + 1
    return out


def inbound_apply(*, row: PlatformInbound, now: dt.datetime | None = None) -> str:
    now = now or timezone.now()
    try:
        with transaction.atomic():
            locked = PlatformInbound.objects.filter(pk=row.pk, status="waiting")
            if connection.features.has_select_for_update:
                locked = locked.select_for_update()
            if not locked.exists():
                return "skipped"
            result, ticket = HANDLERS.get(row.kind, _unknown)(row)
            PlatformInbound.objects.filter(pk=row.pk).update(status="done", result=result[:1000], ticket=ticket,
                                                             done_at=now, attempts=F("attempts") + 1,
                                                             payload=_scrubbed(row.payload))
            return "done"
    except (Wait, Conflict) as exc:  # not here yet, or someone changed the request meanwhile: try again later
        attempts = row.attempts + 1
        PlatformInbound.objects.filter(pk=row.pk).update(attempts=attempts, result=str(exc)[:1000],
                                                         next_try_at=now + _backoff(attempts))
        return "waiting"
    except ActionError as exc:
        PlatformInbound.objects.filter(pk=row.pk).update(status="rejected", result=exc.message[:1000], done_at=now,
                                                         attempts=F("attempts") + 1, payload=_scrubbed(row.payload))
        return "rejected"
    except Exception as exc:  # a fault of ours: kept with its error and tried again, the loop goes on
        log.exception("12345 inbound %s failed", row.key)
        attempts = row.attempts + 1
        PlatformInbound.objects.filter(pk=row.pk).update(attempts=attempts, result=f"{type(exc).__name__}: {exc}"[:1000],
                                                         next_try_at=now + _backoff(attempts))
        return "error"


def _scrubbed(payload: dict) -> dict:
    """The stored copy of an item once applied: the reporter's name and phone masked (the request keeps them,
    encrypted, and erases them after the retention period; this row need not keep them at all)."""
    f = profile().fields
    out = dict(payload)
    for key, mask in ((f["reporter_phone"], mask_phone), (f["reporter_name"], mask_name)):
        if out.get(key):
            out[key] = mask(str(out[key]))
    return out


def _get(row: PlatformInbound, name: str) -> str:
    value = row.payload.get(profile().fields.get(name, name), "")
    return "" if value is None else str(value).strip()


def _ticket(row: PlatformInbound) -> Ticket:
    ticket = Ticket.objects.filter(external_number=row.number).first() if row.number else None
    if ticket is None:
        raise Wait(f"工单 {row.number} 还没有收到，稍后再试")
    return ticket


def _category(text: str) -> Category:
    qs = Category.objects.filter(parent__isnull=False, active=True).select_related("parent", "default_unit",
                                                                                 "parent__default_unit")
    found = qs.filter(code=text).first() or qs.filter(name=text).first() if text else None
    if found is None and config().get("DEFAULT_CATEGORY"):
        found = qs.filter(code=config()["DEFAULT_CATEGORY"]).first()
    if found is None:
        raise ActionError(f"诉求分类“{text}”在本系统找不到对应的分类（可设置 MINQING_12345_DEFAULT_CATEGORY）")
    return found


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text) if text else None
    except InvalidOperation:
        return None


def _order(row: PlatformInbound) -> tuple[str, Ticket | None]:
    """A new work order: registered once by its number (a repeat only updates the platform's deadline)."""
    district = config().get("DISTRICT")
    if district and _get(row, "district") and _get(row, "district") != district:
        raise ActionError(f"工单行政区划 {_get(row, 'district')} 不是本区（{district}）")
    due = _platform_time(_get(row, "due"))
    found = Ticket.objects.filter(external_number=row.number).first()
    if found is not None:
        if due and due != found.external_due_at:
            actions.ticket_set_external_due(ticket=found, due=due)
            return f"已存在（{found.number}），更新了办理时限", found
        return f"已存在（{found.number}），没有变化", found
    if not row.number:
        raise ActionError("缺少工单编号")
    user, _ = platform_users()
    phone = _get(row, "reporter_phone")
    ticket, _ = actions.ticket_create(actor=user, intake=actions.Intake(
        channel=Channel.HOTLINE_12345, type=profile().types.get(_get(row, "type"), TicketType.HELP),
        category=_category(_get(row, "category")), title=_get(row, "title"), text=_get(row, "text"),
        address=_get(row, "address"), latitude=_decimal(_get(row, "latitude")),
        longitude=_decimal(_get(row, "longitude")), anonymous=not phone,
        reporter_name=_get(row, "reporter_name") or "12345来电人", reporter_phone=phone, external_number=row.number,
        external_due_at=due, received_at=_platform_time(_get(row, "received_at"))))
    return f"已登记为 {ticket.number}", ticket


def _decision(row: PlatformInbound) -> tuple[str, Ticket | None]:
    """The platform's approval or refusal of our 退单/延期 application, decided through the usual action."""
    ticket = _ticket(row)
    ref = _get(row, "application")
    app = Application.objects.filter(pk=int(ref), ticket=ticket).select_related(
        "approver_unit", "unit").first() if ref.isdigit() else None
    if app is None:
        raise Wait(f"申请 {_get(row, 'application')} 还没有找到，稍后再试")
    if app.status != ApplicationStatus.PENDING:
        return f"申请已{app.get_status_display()}，不再处理", ticket
    approve = _get(row, "approved") in profile().yes
    label = app.get_kind_display()
    note = _get(row, "decision_note") or f"12345平台{'同意' if approve else '不同意'}{label}"
    user, _ = platform_users()
    if app.kind == ApplicationKind.EXTENSION and approve:
        # The platform's own deadline moves first: ours may then move up to it, never past it.
        new_due = _platform_time(_get(row, "new_due")) or app.new_due_at
        if new_due is not None and new_due != ticket.external_due_at:
            actions.ticket_set_external_due(ticket=ticket, due=new_due, actor=user)
    actions.application_decide(application=app, actor=user, approve=approve, note=note, by_platform=True)
    return f"{'同意' if approve else '不同意'}{label}", ticket


def _evaluation(row: PlatformInbound) -> tuple[str, Ticket | None]:
    """The platform's callback result (回访结果) for a resolved order: closed, or back for rework."""
    ticket = _ticket(row)
    if ticket.status in ("closed", "rejected", "merged"):
        return f"事项已{ticket.get_status_display()}，不再处理", ticket
    if ticket.status != "resolved":
        raise Wait(f"事项 {ticket.number} 还未办结（{ticket.get_status_display()}），回访结果稍后再处理")
    satisfaction = profile().satisfaction.get(_get(row, "satisfaction"), "")
    if not satisfaction:
        raise ActionError(f"满意度“{_get(row, 'satisfaction')}”无法识别")
    solved = _get(row, "solved") in profile().yes if _get(row, "solved") else satisfaction != Satisfaction.DISSATISFIED
    contacted = _get(row, "unit_contacted")
    note = _get(row, "callback_note") or ("" if solved and satisfaction != Satisfaction.DISSATISFIED
                                          else "12345平台回访：群众不满意或未解决")
    _, agent = platform_users()
    actions.ticket_callback(ticket=ticket, actor=agent, contacted=True, solved=solved, satisfaction=satisfaction,
                            unit_contacted=(contacted in profile().yes) if contacted else None, note=note)
    return f"12345回访：{Satisfaction(satisfaction).label}", ticket


def _deadline(row: PlatformInbound) -> tuple[str, Ticket | None]:
    """The platform moved its deadline. An older change arriving after a newer one is ignored."""
    ticket = _ticket(row)
    due = _platform_time(_get(row, "due"))
    if due is None:
        raise ActionError("时限变更缺少办理时限")
    newer = PlatformInbound.objects.filter(kind="deadline", number=row.number, status="done",
                                           platform_at__gt=row.platform_at) if row.platform_at else None
    if newer is not None and newer.exists():
        return "平台已有更新的时限变更，这条较早的不再处理", ticket
    if due == ticket.external_due_at:
        return "办理时限没有变化", ticket
    actions.ticket_set_external_due(ticket=ticket, due=due)
    return f"办理时限改为 {timezone.localtime(due):%Y-%m-%d %H:%M}", ticket


def _unknown(row: PlatformInbound) -> tuple[str, Ticket | None]:
    raise ActionError("无法识别的消息类型")


HANDLERS = {"order": _order, "decision": _decision, "evaluation": _evaluation, "deadline": _deadline}


@dataclass
class SyncResult:
    pulled: int = 0
    applied: dict[str, int] = field(default_factory=dict)
    sent: dict[str, int] = field(default_factory=dict)
    error: str = ""


def sync_once(*, now: dt.datetime | None = None, pull_pages: int = 10) -> SyncResult:
    """One pass: the outbox out, the feed in, the stored items applied, then whatever that queued out again
    (the consumers run in between, as `manage.py loop` does)."""
    result = SyncResult()
    _add(result.sent, _drain(send_due, now))
    try:
        for _ in range(pull_pages):
            n = pull()
            result.pulled += n
            if n == 0:
                break
    except (PlatformError, PlatformRefused) as exc:
        result.error = str(exc)
    result.applied = _drain(process_due, now)
    while consumers.consume("platform12345", now=now):
        pass
    _add(result.sent, _drain(send_due, now))
    return result


def _add(into: dict[str, int], more: dict[str, int]) -> None:
    for k, v in more.items():
        into[k] = into.get(k, 0) + v


def _drain(step: Any, now: dt.datetime | None, limit: int = 200, rounds: int = 50) -> dict[str, int]:
    """Run a batch step until a batch is not full (what is left waits for its back-off, or the next pass)."""
    out: dict[str, int] = {}
    for _ in range(rounds):
        batch = step(now=now, limit=limit)
        _add(out, batch)
        if sum(batch.values()) < limit or set(batch) <= {"waiting", "skipped"}:
            break
    return out
