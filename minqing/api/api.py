"""The JSON API at /api/v1/ (django-ninja). Same scopes, same actions as the web pages."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from django.conf import settings
from django.core.paginator import Paginator
from django.db import IntegrityError, InterfaceError, OperationalError
from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import NinjaAPI, Query, Router, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.responses import Status
from ninja.security import HttpBearer, django_auth
from ninja.throttling import AnonRateThrottle, AuthRateThrottle
from pydantic import Field

from minqing.accounts.scope import Scope, scope_for
from minqing.meetings import queries as meeting_queries
from minqing.meetings.models import Kind as MeetingKind
from minqing.meetings.models import Meeting, MeetingStatus
from minqing.org.models import Area, AreaKind, Unit
from minqing.tickets import actions, deadlines, queries
from minqing.tickets.lifecycle import Status as TicketStatus
from minqing.tickets.lifecycle import may
from minqing.tickets.models import Application, Category, Part, Ticket

from .models import ApiToken, IdempotencyKey
from .schemas import (
    ActionIn,
    AreaOut,
    CategoryOut,
    CreatedOut,
    DecisionIn,
    ErrorOut,
    Id,
    MeetingDetail,
    MeetingPage,
    PartActionIn,
    RequestDetail,
    RequestIn,
    RequestPage,
    Text,
    UnitOut,
)


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> object | None:
        found = ApiToken.find(token)
        if found is None:
            return None
        now = timezone.now()
        if found.last_used_at is None or now - found.last_used_at > dt.timedelta(minutes=1):
            ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
        request.user = found.user
        request.api_permissions = set(found.permissions)  # type: ignore[attr-defined]
        return found.user


api = NinjaAPI(
    title="民情流水线 API",
    version="1.0",
    description="七里河区民情流水线的 JSON 接口。会话登录或 `Authorization: Bearer <令牌>`；错误返回 `{code, message}`。",
    urls_namespace="api",
    docs_url="/docs",
    auth=[BearerToken(), django_auth],
    throttle=[AnonRateThrottle(settings.MINQING["API_ANON_RATE"]), AuthRateThrottle(settings.MINQING["API_AUTH_RATE"])],
)
router = Router()

ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut, 429: ErrorOut}


def _error(request: HttpRequest, status: int, code: str, message: str, field: str | None = None):
    return api.create_response(request, {"code": code, "message": message, "field": field}, status=status)


@api.exception_handler(actions.ActionError)
def _action_error(request: HttpRequest, exc: actions.ActionError):
    status = {"forbidden": 403, "conflict": 409}.get(exc.code, 422)
    return _error(request, status, exc.code, exc.message, exc.field)


@api.exception_handler(OperationalError)
@api.exception_handler(InterfaceError)
def _database_down(request: HttpRequest, exc: Exception):
    from minqing.ops.middleware import unavailable

    return unavailable(request)


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError):
    first = exc.errors[0] if exc.errors else {}
    where = ".".join(str(x) for x in first.get("loc", []) if x not in ("body", "payload", "query", "path"))
    return _error(request, 422, "invalid", f"请求数据不合法：{where or '请求体'} —— {first.get('msg', '')}", where or None)


@api.exception_handler(AuthenticationError)
def _unauthorized(request: HttpRequest, exc: AuthenticationError):
    return _error(request, 401, "unauthorized", "需要登录，或在 Authorization 头里提供有效的 API 令牌。")


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404):
    return _error(request, 404, "not_found", str(exc) or "找不到，或不在您的工作范围内。")


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError):
    codes = {400: "invalid", 403: "forbidden", 404: "not_found", 405: "invalid", 429: "throttled"}
    return _error(request, exc.status_code, codes.get(exc.status_code, "invalid"), str(exc))


def _need(request: HttpRequest, permission: str) -> None:
    granted = getattr(request, "api_permissions", None)
    if granted is not None and permission not in granted and not (permission == "read" and "act" in granted):
        raise actions.Forbidden(f"该令牌没有“{permission}”权限。")


def _visible(request: HttpRequest):
    scope = scope_for(request.user)
    qs = queries.visible_tickets(scope)
    granted = getattr(request, "api_permissions", None)
    if granted is not None and not ({"read", "act"} & granted):
        qs = qs.filter(created_by=request.user)  # an intake-only system sees what it registered
    return scope, qs


def _out(t: Ticket) -> dict:
    return {
        "number": t.number, "status": t.status, "status_label": t.get_status_display(), "title": t.title,
        "category_id": t.category_id, "category": str(t.category), "channel": t.channel, "type": t.type,
        "urgency": t.urgency, "street": t.street.name, "community": t.community.name,
        "handling_unit": t.handling_unit.name, "created_at": t.created_at, "response_due_at": t.response_due_at,
        "resolve_due_at": t.resolve_due_at, "version": t.version,
    }


def _is_resident(scope: Scope) -> bool:
    """Residents (and anyone else without a staff role) read their own requests as the tracking page
    shows them; staff, and the service accounts behind API tokens, read the whole record."""
    return not (scope.is_staff or scope.admin)


def _resident_allowed(scope: Scope, t: Ticket) -> list[str]:
    """What a resident may do through the API: rate their own resolved request, as on the tracking page."""
    own = scope.user is not None and t.reporter_user_id == scope.user.pk
    return ["callback"] if own and t.status == TicketStatus.RESOLVED else []


def _resident_detail(scope: Scope, t: Ticket) -> dict:
    """The public timeline the lifecycle declares for residents (STEPS[...].public and the notes it marks
    public_detail): no staff names, no internal notes, no clocks, applications or co-handlers' tasks."""
    reporter = queries.reporter_for(scope, t)  # their own name and phone
    timeline = [{"action": s["action"], "label": s["text"], "from_status": s["from_status"], "to_status": s["to_status"],
                 "actor": "", "unit": None, "to_unit": None, "note": s["detail"], "at": s["at"]}
                for s in queries.public_steps(t)]
    return {**_out(t), "text": t.text, "address": t.address, "reporter_name": reporter.name,
            "reporter_phone": reporter.phone, "reporter_masked": reporter.masked, "result": t.result,
            "satisfaction": t.satisfaction, "clocks": [], "allowed_actions": _resident_allowed(scope, t),
            "timeline": timeline, "applications": [], "parts": []}


def _detail(request: HttpRequest, t: Ticket, fresh: list | None = None) -> dict:
    """`fresh`: the events of a request just registered here (it has no applications or parts yet), so the
    answer to an intake reads nothing back."""
    scope = scope_for(request.user)
    if _is_resident(scope):
        return _resident_detail(scope, t)
    # The answer to an intake echoes the name and phone the caller sent in this very request: nothing to record.
    reporter = (queries.reporter_for(scope, t) if fresh is not None
                else actions.reporter_shown(scope=scope, ticket=t, via="接口"))
    now = timezone.now()
    clocks = [{"label": c.label, "due_at": c.due_at, "remaining_minutes": round(c.remaining_minutes, 1),
               "state": c.state} for c in deadlines.shown(t, now)]
    timeline = [
        {"action": e.action, "label": e.label, "from_status": e.from_status, "to_status": e.to_status,
         "actor": e.actor_label, "unit": e.actor_unit.name if e.actor_unit else None,
         "to_unit": e.to_unit.name if e.to_unit else None, "note": e.note, "at": e.created_at}
        for e in (fresh if fresh is not None else t.events.select_related("actor_unit", "to_unit").order_by("created_at", "id"))
    ]
    return {
        **_out(t), "text": t.text, "address": t.address, "reporter_name": reporter.name,
        "reporter_phone": reporter.phone, "reporter_masked": reporter.masked, "result": t.result,
        "satisfaction": t.satisfaction, "clocks": clocks,
        "allowed_actions": [name for name in ACTIONS if may(scope, t, ACTION_STEPS.get(name, name))],
        "timeline": timeline,
        "applications": [{"id": a.pk, "kind": a.kind, "status": a.status, "unit": a.unit.name,
                          "approver_unit": a.approver_unit.name, "reason_code": a.reason_code, "reason": a.reason,
                          "requested_at": a.requested_at, "new_due_at": a.new_due_at, "until": a.until,
                          "decision_note": a.decision_note, "may_decide": a.status == "pending" and actions.may_decide(scope, a)}
                         for a in ([] if fresh is not None else t.applications.select_related("unit", "approver_unit"))],
        "parts": [{"id": p.pk, "unit": p.unit.name, "role": p.role, "task": p.task, "sign_due_at": p.sign_due_at,
                   "signed_at": p.signed_at, "contact_due_at": p.contact_due_at, "contacted_at": p.contacted_at,
                   "done_due_at": p.done_due_at, "done_at": p.done_at, "reply": p.reply, "rating": p.rating,
                   "allowed": actions.part_allowed(scope, p)}
                  for p in ([] if fresh is not None else t.parts.select_related("unit").order_by("id"))],
    }


def _get(request: HttpRequest, number: str) -> Ticket:
    if "\x00" in number:
        raise Http404("找不到该事项。")
    _, qs = _visible(request)
    ticket = qs.filter(number=number.upper()).first()
    if ticket is None:
        raise Http404("找不到该事项，或它不在您的工作范围内。")
    return ticket


class ListFilters(Schema):
    status: Text | None = None
    community_id: Id | None = None
    street_id: Id | None = None
    category_id: Id | None = None
    q: Text | None = None
    overdue: bool = False
    page: Id = 1
    page_size: Annotated[int, Field(ge=1, le=200)] = 50


@router.get("/requests", response={200: RequestPage, **ERRORS}, summary="事项列表（按范围、可筛选、分页）")
def list_requests(request: HttpRequest, filters: Query[ListFilters]) -> dict:
    _, qs = _visible(request)
    if filters.status:
        if filters.status not in TicketStatus.values:
            raise actions.ActionError(f"未知的状态“{filters.status}”。", field="status")
        qs = qs.filter(status=filters.status)
    for column in ("community_id", "street_id", "category_id"):
        if getattr(filters, column) is not None:
            qs = qs.filter(**{column: getattr(filters, column)})
    if filters.q:
        qs = qs.filter(text__icontains=filters.q)
    if filters.overdue:
        qs = qs.filter(queries.overdue_rule(timezone.now()))
    size = max(1, min(filters.page_size, 200))
    page = Paginator(qs.order_by("-created_at", "-id"), size).get_page(max(1, filters.page))
    return {"count": page.paginator.count, "page": page.number, "page_size": size, "items": [_out(t) for t in page]}


@router.get("/requests/{number}", response={200: RequestDetail, **ERRORS}, summary="事项详情与办理记录")
def get_request(request: HttpRequest, number: str) -> dict:
    return _detail(request, _get(request, number))


@router.post("/requests", response={201: CreatedOut, 200: CreatedOut, **ERRORS}, summary="登记诉求（支持 Idempotency-Key）")
def create_request(request: HttpRequest, payload: RequestIn) -> Status:
    _need(request, "intake")
    key = (request.headers.get("Idempotency-Key") or "")[:100]
    if key:
        earlier = IdempotencyKey.objects.filter(user=request.user, key=key).select_related("ticket").first()
        if earlier is not None:
            return Status(200, {"request": _detail(request, earlier.ticket), "tracking_code": ""})
    reference = actions.IntakeCache.shared()  # the catalogue and area tree, read once a minute, not per request
    category = reference.category(payload.category_id)
    if category is None:
        raise actions.ActionError("分类不存在。", field="category_id")
    area = reference.area(payload.area_id)
    if area is None:
        raise actions.ActionError("地点不存在。", field="area_id")
    created: list = []

    def remember(ticket: Ticket, event: object) -> None:  # inside ticket_create's transaction
        created.append(event)
        if key:
            IdempotencyKey.objects.create(user=request.user, key=key, ticket=ticket)

    try:
        ticket, code = actions.ticket_create(actor=request.user, also=remember, intake=actions.Intake(
            channel=payload.channel, type=payload.type, category=category, title=payload.title,
            text=payload.text, area=area, address=payload.address, urgency=payload.urgency,
            anonymous=payload.anonymous, reporter_name=payload.reporter_name,
            reporter_phone=payload.reporter_phone,
        ))
    except IntegrityError:  # the same key raced in twice: answer with the winner
        earlier = IdempotencyKey.objects.get(user=request.user, key=key)
        return Status(200, {"request": _detail(request, earlier.ticket), "tracking_code": ""})
    return Status(201, {"request": _detail(request, ticket, fresh=created), "tracking_code": code})


ACTIONS = {
    "accept": lambda t, u, a: actions.ticket_accept(ticket=t, actor=u, note=a.note, expected_version=a.expected_version),
    "reject": lambda t, u, a: actions.ticket_reject(ticket=t, actor=u, reason=a.reason, note=a.note,
                                                   expected_version=a.expected_version),
    "merge": lambda t, u, a: actions.ticket_merge(ticket=t, actor=u, into_number=a.into_number, note=a.note,
                                                 expected_version=a.expected_version),
    "resolve_on_spot": lambda t, u, a: actions.ticket_resolve_on_spot(ticket=t, actor=u, result=a.result,
                                                                     expected_version=a.expected_version),
    "dispatch": lambda t, u, a: actions.ticket_dispatch(ticket=t, actor=u, unit=_unit(a), complexity=a.complexity,
                                                       note=a.note, expected_version=a.expected_version,
                                                       assists=_assists(a)),
    "redispatch": lambda t, u, a: actions.ticket_redispatch(ticket=t, actor=u, unit=_unit(a), complexity=a.complexity,
                                                           note=a.note, expected_version=a.expected_version,
                                                           assists=_assists(a)),
    "sign": lambda t, u, a: actions.ticket_sign(ticket=t, actor=u, note=a.note, expected_version=a.expected_version),
    "return_apply": lambda t, u, a: actions.return_apply(ticket=t, actor=u, reason_code=a.reason, reason=a.note),
    "escalate": lambda t, u, a: actions.ticket_escalate(ticket=t, actor=u, note=a.note,
                                                       expected_version=a.expected_version),
    "suspend_apply": lambda t, u, a: actions.suspend_apply(ticket=t, actor=u, until=a.until, reason=a.note),
    "extension_request": lambda t, u, a: actions.extension_request(ticket=t, actor=u, new_due=a.new_due, reason=a.note),
    "resume": lambda t, u, a: actions.ticket_resume(ticket=t, actor=u, note=a.note, expected_version=a.expected_version),
    "contact": lambda t, u, a: actions.ticket_contact(ticket=t, actor=u, note=a.note),
    "summon": lambda t, u, a: actions.ticket_summon(ticket=t, actor=u, units=_units(a.units), task=a.task),
    "resolve": lambda t, u, a: actions.ticket_resolve(ticket=t, actor=u, result=a.result, override=a.override,
                                                     expected_version=a.expected_version),
    "review": lambda t, u, a: actions.ticket_review(ticket=t, actor=u, passed=_given(a.passed, "passed", "审核是否通过"),
                                                   note=a.note, expected_version=a.expected_version),
    "callback": lambda t, u, a: actions.ticket_callback(ticket=t, actor=u, contacted=a.contacted, solved=a.solved,
                                                       satisfaction=a.satisfaction, unit_contacted=a.unit_contacted,
                                                       note=a.note, expected_version=a.expected_version),
    "evaluate": lambda t, u, a: actions.ticket_evaluate(ticket=t, actor=u, solved=a.solved, satisfaction=a.satisfaction,
                                                       unit_contacted=a.unit_contacted, note=a.note),
    "correct": lambda t, u, a: actions.ticket_correct(ticket=t, actor=u, category=_category(a.category_id) if a.category_id else t.category,
                                                     type=a.type or t.type, urgency=a.urgency or t.urgency, note=a.note,
                                                     expected_version=a.expected_version),
    "recheck": lambda t, u, a: actions.ticket_recheck(ticket=t, actor=u, solved=a.solved, satisfaction=a.satisfaction,
                                                     unit_contacted=a.unit_contacted, note=a.note),
}


# The API's action name → the lifecycle step behind it (for allowed_actions).
ACTION_STEPS = {"callback": "close", "review": "review_pass"}


def _category(pk: int | None) -> Category:
    category = Category.objects.filter(pk=pk or 0, parent__isnull=False, active=True).first()
    if category is None:
        raise actions.ActionError("请指定有效的二级分类 category_id。", field="category_id")
    return category


def _given(value: bool | None, field: str, label: str) -> bool:
    if value is None:
        raise actions.ActionError(f"请填写{label}（{field}）。", field=field)
    return value


def _units(ids: list[int]) -> list[Unit]:
    units = {u.pk: u for u in Unit.objects.filter(pk__in=ids, active=True)}
    missing = [str(i) for i in ids if i not in units]
    if missing:
        raise actions.ActionError(f"找不到这些单位：{'、'.join(missing)}。", field="units")
    return [units[i] for i in ids]


def _assists(a: ActionIn) -> list[actions.Assist]:
    units = _units([x.unit_id for x in a.assists])
    return [actions.Assist(unit=unit, task=x.task, due=x.due) for unit, x in zip(units, a.assists, strict=True)]


def _unit(a: ActionIn | DecisionIn) -> Unit:
    unit = Unit.objects.filter(pk=a.unit_id or 0, active=True).first()
    if unit is None:
        raise actions.ActionError("请指定有效的承办单位 unit_id。", field="unit_id")
    return unit


@router.post("/requests/{number}/actions/{action}", response={200: RequestDetail, **ERRORS},
             summary="办理动作：accept、reject、merge、resolve_on_spot、dispatch、redispatch、sign、contact、return_apply、"
                     "escalate、summon、suspend_apply、extension_request、resume、resolve、review、callback、evaluate、recheck、correct")
def act(request: HttpRequest, number: str, action: str, payload: ActionIn) -> dict:
    _need(request, "act")
    if action not in ACTIONS:
        raise Http404(f"没有“{action}”这个动作。可用：{'、'.join(ACTIONS)}。")
    ticket = _get(request, number)
    scope = scope_for(request.user)
    if not _is_resident(scope):
        ACTIONS[action](ticket, request.user, payload)
    elif action in _resident_allowed(scope, ticket):  # rated by the reporter, as on the tracking page
        actions.ticket_callback(ticket=ticket, actor=None, contacted=True, solved=payload.solved,
                                satisfaction=payload.satisfaction, note=payload.note,
                                expected_version=payload.expected_version)
    else:
        raise actions.Forbidden("居民只能在本人反映的事项办结后评价（callback）。")
    ticket.refresh_from_db()
    return _detail(request, ticket)


@router.post("/applications/{application_id}/decide", response={200: RequestDetail, **ERRORS},
             summary="审批退单、延期、缓办申请（上一级或区督办）")
def decide(request: HttpRequest, application_id: Id, payload: DecisionIn) -> dict:
    _need(request, "act")
    scope, qs = _visible(request)
    if _is_resident(scope):
        raise actions.Forbidden("居民不能审批退单、延期、缓办申请。")
    app = Application.objects.filter(pk=application_id, ticket__in=qs).select_related("ticket").first()
    if app is None:
        raise Http404("找不到该申请，或它不在您的工作范围内。")
    unit = _unit(payload) if payload.unit_id else None
    actions.application_decide(application=app, actor=request.user, approve=payload.approve, note=payload.note,
                               unit=unit)
    return _detail(request, Ticket.objects.get(pk=app.ticket_id))


@router.post("/parts/{part_id}/actions/{what}", response={200: RequestDetail, **ERRORS},
             summary="协办、吹哨报到：sign 签收、contact 联系群众、reply 答复/到场报到（该单位）；rate 评价报到（召集的街道）")
def part_action(request: HttpRequest, part_id: Id, what: str, payload: PartActionIn) -> dict:
    _need(request, "act")
    if what not in {"sign", "contact", "reply", "rate"}:
        raise Http404(f"没有“{what}”这个动作。可用：sign、contact、reply、rate。")
    scope, qs = _visible(request)
    if _is_resident(scope):
        raise actions.Forbidden("居民不能办理协办或报到任务。")
    part = Part.objects.filter(pk=part_id, ticket__in=qs).select_related("ticket").first()
    if part is None:
        raise Http404("找不到该协办或报到任务，或它不在您的工作范围内。")
    if what == "rate":
        actions.part_rate(part=part, actor=request.user, rating=payload.rating or 0, note=payload.note)
    else:
        actions.part_step(part=part, actor=request.user, what=what, note=payload.note)
    return _detail(request, Ticket.objects.get(pk=part.ticket_id))


@router.get("/categories", response=list[CategoryOut], summary="分类目录（二级）")
def categories(request: HttpRequest) -> list[dict]:
    return [{"id": c.pk, "code": c.code, "name": c.name, "parent": c.parent.name, "brand": c.get_brand_display(),
             "default_unit": c.default_unit.name if c.default_unit else None}
            for c in Category.objects.filter(parent__isnull=False, active=True).select_related("parent", "default_unit")]


@router.get("/areas", response={200: list[AreaOut], **ERRORS}, summary="区域（区、街道、社区、网格、小区）")
def areas(request: HttpRequest, kind: str | None = None) -> list[Area]:
    qs = Area.objects.order_by("code")
    if kind and kind not in AreaKind.values:
        raise actions.ActionError(f"区域层级只能是：{'、'.join(AreaKind.values)}", field="kind")
    return list(qs.filter(kind=kind) if kind else qs)


@router.get("/units", response=list[UnitOut], summary="单位")
def units(request: HttpRequest) -> list[Unit]:
    return list(Unit.objects.filter(active=True).order_by("kind", "name"))


def _meeting(m: Meeting) -> dict:
    return {
        "id": m.pk, "kind": m.kind, "kind_label": m.get_kind_display(), "topic": m.topic, "starts_at": m.starts_at,
        "place": m.place, "area": m.area.name, "community": m.community.name if m.community_id else None,
        "street": m.street.name, "convener": m.convener.name, "status": m.status, "status_label": m.get_status_display(),
        "entitled": m.entitled, "present": m.present, "quorum_met": m.quorum_met,
    }


@router.get("/meetings", response={200: MeetingPage, **ERRORS}, summary="议事会议列表（按范围）")
def list_meetings(request: HttpRequest, kind: str | None = None, status: str | None = None,
                  page: Annotated[int, Field(ge=1, le=100_000)] = 1) -> dict:
    _need(request, "read")
    qs = meeting_queries.visible_meetings(scope_for(request.user)).order_by("-starts_at", "-id")
    if kind is not None:
        if kind not in MeetingKind.values:
            raise actions.ActionError(f"会议类型只能是：{'、'.join(MeetingKind.values)}", field="kind")
        qs = qs.filter(kind=kind)
    if status is not None:
        if status not in MeetingStatus.values:
            raise actions.ActionError(f"会议状态只能是：{'、'.join(MeetingStatus.values)}", field="status")
        qs = qs.filter(status=status)
    pages = Paginator(qs, 50)
    current = pages.get_page(page)
    return {"count": pages.count, "page": current.number, "pages": pages.num_pages,
            "results": [_meeting(m) for m in current]}


@router.get("/meetings/{meeting_id}", response={200: MeetingDetail, **ERRORS}, summary="议事会议详情：议程、表决、决议")
def get_meeting(request: HttpRequest, meeting_id: Id) -> dict:
    _need(request, "read")
    m = meeting_queries.visible_meetings(scope_for(request.user)).filter(pk=meeting_id).first()
    if m is None:
        raise Http404("找不到该会议，或它不在您的工作范围内。")
    return {
        **_meeting(m),
        "agenda": [{"position": i.position, "source": i.source, "title": i.title, "discussion": i.discussion,
                    "request": i.ticket.number if i.ticket_id else None} for i in m.agenda.select_related("ticket")],
        "motions": [{"text": x.text, "votes_for": x.votes_for, "votes_against": x.votes_against,
                     "votes_abstain": x.votes_abstain, "passed": x.passed} for x in m.motions.all()],
        "resolutions": [{"text": r.text, "owner": r.owner.name, "due_date": r.due_date, "done_at": r.done_at,
                         "state": r.state, "request": r.ticket.number if r.ticket_id else None}
                        for r in m.resolutions.select_related("owner", "ticket")],
    }


api.add_router("/v1", router)
