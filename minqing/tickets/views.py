"""Staff pages: workbench, queues, search, intake, a request's page and its actions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseForbidden, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from minqing.accounts.scope import Scope, scope_for
from minqing.lib.validation import parse_id
from minqing.org import location
from minqing.org.models import Area, AreaKind, Unit, UnitKind

from . import actions, deadlines, queries
from . import forms as f
from .forms import DecideForm, ReplyForm
from .lifecycle import STEPS, Actor, Step, may
from .models import Application, Part, SupervisionOrder, Ticket, TicketAttachment

PAGE_SIZE = 30


def _staff_scope(request: HttpRequest) -> Scope:
    scope = scope_for(request.user)
    if not (scope.is_staff or scope.admin):
        raise Http404
    return scope


@dataclass
class Row:
    ticket: Ticket
    clocks: list[deadlines.Countdown]


def rows(tickets: Any, now: Any) -> list[Row]:
    return [Row(t, deadlines.shown(t, now)) for t in tickets]


def page_of(request: HttpRequest, qs: Any) -> Any:
    """One page, with the page numbers to show around it (1 2 … 7 8 [9] 10 11 … 40 41)."""
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    page.numbers = list(page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=2))
    return page


@login_required
def queue_view(request: HttpRequest, name: str) -> HttpResponse:
    scope = _staff_scope(request)
    if name not in queries.QUEUES:
        raise Http404
    now = timezone.now()
    qs, narrowed = queries.queue(scope, name, now=now), ""
    # A figure elsewhere (考核评价's 当前超期 for a picked street, say) links here narrowed to its part of the scope.
    for key, column in NARROW.items():
        value = parse_id(request.GET.get(key))
        if value is not None:
            qs, narrowed = qs.filter(**{column: value}), narrowed or _narrow_name(key, value)
    find = request.GET.get("q", "").strip()[:50]
    if find:
        qs = qs.filter(queries.text_rule(find))
    page = page_of(request, qs)
    bulk, counts = BULK.get(name), queries.queue_counts(scope, now=now)
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "tickets/list.html",
        {"title": queries.QUEUES[name] + (f"（{narrowed}）" if narrowed else ""), "queue": name, "page": page,
         "rows": rows(page, now), "find": find, "query": params.urlencode(),
         "tabs": [(n, queries.QUEUES[n], count) for n, count in counts.items()],
         "bulk": bulk,
         "bulk_units": bulk_units(scope) if bulk == "dispatch" else None},
    )


NARROW = {"street": "street_id", "community": "community_id", "grid": "grid_id", "unit": "handling_unit_id"}


def _narrow_name(key: str, pk: int) -> str:
    found = Unit.objects.filter(pk=pk).first() if key == "unit" else Area.objects.filter(pk=pk).first()
    return found.name if found else ""


# Where staff really do many at once: accept the morning's intake, dispatch a batch to one unit.
BULK = {"received": "accept", "registered": "dispatch"}
def bulk_units(scope: Scope) -> Any:
    """The units the viewer may send requests to in bulk: departments and partner units, and street offices
    only of the viewer's own streets (the district: all of them)."""
    units = Unit.objects.filter(active=True, kind__in=BULK_UNIT_KINDS)
    if not scope.district:
        streets = set(scope.street_ids) | set(Area.objects.filter(pk__in=scope.community_ids).values_list("parent_id", flat=True))
        units = units.exclude(Q(kind=UnitKind.STREET_OFFICE) & ~Q(area_id__in=streets))
    return units.order_by("kind", "name")


BULK_UNIT_KINDS = [UnitKind.STREET_OFFICE, UnitKind.DEPARTMENT, UnitKind.PARTNER, UnitKind.SOCIAL_ORG,
                   UnitKind.PROPERTY, UnitKind.OWNERS_COMMITTEE]


@login_required
@require_POST
def bulk_act(request: HttpRequest, name: str) -> HttpResponse:
    """Apply one action to the ticked requests; each succeeds or fails on its own."""
    scope = _staff_scope(request)
    action = BULK.get(name)
    if action is None:
        raise Http404
    numbers = request.POST.getlist("numbers")[:200]
    if not numbers:
        messages.error(request, "请先勾选要处理的事项。")
        return redirect("queue", name=name)
    unit = None
    if action == "dispatch":
        unit = bulk_units(scope).filter(pk=parse_id(request.POST.get("unit")) or 0).first()
        if unit is None:
            messages.error(request, "请选择承办单位。")
            return redirect("queue", name=name)
    done, failed = [], []
    for ticket in queries.visible_tickets(scope).filter(number__in=numbers):
        try:
            if action == "accept":
                actions.ticket_accept(ticket=ticket, actor=request.user, note="批量受理")
            else:
                actions.ticket_dispatch(ticket=ticket, actor=request.user, unit=unit, note="批量派单")
        except actions.ActionError as exc:
            failed.append(f"{ticket.number}：{exc.message}")
        else:
            done.append(ticket.number)
    missing = set(numbers) - set(done) - {f.split("：")[0] for f in failed}
    failed += [f"{n}：找不到该事项，或它不在您的工作范围内。" for n in sorted(missing)]
    label = "受理" if action == "accept" else f"派给{unit}"
    if done:
        messages.success(request, f"已{label} {len(done)} 件。")
    if failed:
        messages.error(request, f"{len(failed)} 件未成功——" + "；".join(failed[:10]))
    return redirect("queue", name=name)


@login_required
def ticket_list(request: HttpRequest) -> HttpResponse:
    scope = _staff_scope(request)
    now = timezone.now()
    form = f.SearchForm(request.GET or None, areas=queries.areas_for(scope))
    filters = form.cleaned_data if form.is_valid() else {}
    page = page_of(request, queries.search(scope, filters, now=now))
    params = request.GET.copy()
    params.pop("page", None)
    sort_params = params.copy()
    sort_params.pop("sort", None)
    return render(
        request,
        "tickets/list.html",
        {"title": "事项查询", "form": form, "page": page, "rows": rows(page, now), "query": params.urlencode(),
         "sort_query": sort_params.urlencode(), "sort": filters.get("sort") or "-created"},
    )


@login_required
def ticket_new(request: HttpRequest) -> HttpResponse:
    scope = _staff_scope(request)
    communities = queries.communities_for(scope)
    if request.method == "POST":
        form = f.TicketForm(request.POST, request.FILES, communities=communities)
        if form.is_valid():
            cd = form.cleaned_data
            try:
                ticket, code = actions.ticket_create(actor=request.user, intake=actions.Intake(
                    channel=cd["channel"], type=cd["type"], category=cd["category"], title=cd["title"],
                    text=cd["text"], area=cd["area"], address=cd["address"], urgency=cd["urgency"],
                    anonymous=cd["anonymous"], reporter_name=cd["reporter_name"],
                    reporter_phone=cd["reporter_phone"], photos=cd["photos"],
                    latitude=cd["latitude"], longitude=cd["longitude"],
                ))
            except actions.ActionError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                extra = f"匿名查询码：{code}（请告知反映人，凭编号和查询码查询进度）" if code else ""
                messages.success(request, f"已登记，事项编号 {ticket.number}。{extra}")
                return redirect("ticket_detail", number=ticket.number)
    else:
        initial = {}
        if scope.grid_ids:
            grid = Area.objects.filter(pk__in=scope.grid_ids).first()
            initial = {"community": grid.parent_id, "grid": grid.pk} if grid else {}
        elif communities.count() == 1:
            initial = {"community": communities.first().pk}
        form = f.TicketForm(initial=initial, communities=communities)
    return render(request, "tickets/new.html", {"form": form})


@require_GET
def area_options(request: HttpRequest) -> HttpResponse:
    """<option>s of the grids of a community, or the compounds of a grid or of a whole community (HTMX, also
    public)."""
    kind = request.GET.get("kind")
    community_id, grid_id = parse_id(request.GET.get("community")), parse_id(request.GET.get("grid"))
    if kind == AreaKind.GRID and community_id is not None:
        areas = Area.objects.filter(kind=kind, parent_id=community_id).order_by("code")
    elif kind == AreaKind.COMPOUND and (grid_id or community_id):
        areas = f.compounds_under(grid_id=grid_id or 0, community_id=community_id or 0)
    else:
        areas = Area.objects.none()
    return render(request, "tickets/_area_options.html", {"areas": areas, "kind": kind, "with_grid": not grid_id})


@require_GET
def area_shapes(request: HttpRequest) -> JsonResponse:
    """The grids' boundaries (a community's own where it has no grids) as GeoJSON, for the map picker and a
    request's small map; ?grid=ID gives one grid. Public, like the selects listing the same areas."""
    areas = Area.objects.filter(kind__in=[AreaKind.COMMUNITY, AreaKind.GRID], boundary__isnull=False)
    grid_id = parse_id(request.GET.get("grid"))
    if grid_id is not None:
        areas = areas.filter(pk=grid_id)
    else:
        areas = areas.exclude(kind=AreaKind.COMMUNITY, children__kind=AreaKind.GRID)
    features = [{"type": "Feature", "properties": {"name": a.name, "id": a.pk}, "geometry": a.boundary}
                for a in areas.distinct().order_by("code")]
    response = JsonResponse({"type": "FeatureCollection", "features": features})
    response["Cache-Control"] = "max-age=300"
    return response


@require_GET
def area_at(request: HttpRequest) -> JsonResponse:
    """Which community and grid a point on the map lies in (the same lookup intake does), for the form's selects."""
    try:
        chain = location.place_at(latitude=request.GET.get("lat"), longitude=request.GET.get("lon"))
    except actions.ActionError as exc:
        return JsonResponse({"ok": False, "message": exc.message}, status=400)
    community, grid = chain.get(AreaKind.COMMUNITY), chain.get(AreaKind.GRID)
    if community is None:
        return JsonResponse({"ok": False, "message": "所点位置不在本区任何社区内，请重新点选或直接选择社区。"})
    label = " · ".join(a.name for a in (chain.get(AreaKind.STREET), community, grid) if a is not None)
    return JsonResponse({"ok": True, "community": community.pk, "grid": grid.pk if grid else None, "label": label})


def _visible_or_404(scope: Scope, number: str) -> Ticket:
    ticket = queries.visible_tickets(scope).filter(number=number).select_related(
        "grid", "compound", "sender_unit", "merged_into", "created_by"
    ).first()
    if ticket is None:
        raise Http404("找不到该事项，或它不在您的工作范围内。")
    return ticket


# The request page's buttons, one per `button` of lifecycle.STEPS (close and rework share "回访").
BUTTONS: dict[str, Step] = {}
for _step in STEPS.values():
    if _step.button:
        BUTTONS.setdefault(_step.button, _step)


def _buttons(scope: Scope, ticket: Ticket) -> list[dict]:
    buttons = []
    for name, step in BUTTONS.items():
        if not may(scope, ticket, step.name):
            continue
        label = step.button_label or step.label
        if name == "exemplary" and ticket.exemplary:
            label = "典型案例（修改）"
        elif name == "exemplary":
            label = "列为典型案例"
        buttons.append({"action": name, "label": label, "style": step.style})
    return buttons


@login_required
def ticket_detail(request: HttpRequest, number: str) -> HttpResponse:
    scope = _staff_scope(request)
    ticket = _visible_or_404(scope, number)
    now = timezone.now()
    events = list(
        ticket.events.select_related("actor_unit", "to_unit", "from_unit").prefetch_related("attachments")
        .order_by("-created_at", "-id")
    )
    return render(
        request,
        "tickets/detail.html",
        {
            "ticket": ticket,
            "reporter": actions.reporter_shown(scope=scope, ticket=ticket, via="事项页面"),
            "data_views": ticket.data_views.select_related("viewer")[:20] if scope.district else None,
            "clocks": deadlines.shown(ticket, now),
            "buttons": _buttons(scope, ticket),
            "events": events,
            "duplicates": ticket.duplicates.all(),
            "orders": [(o, ReplyForm() if o.unit_id in scope.unit_ids and not o.replied_at else None)
                       for o in ticket.orders.select_related("unit", "issued_by", "replied_by")],
            "applications": [(x, x.status == "pending" and actions.may_decide(scope, x))
                             for x in ticket.applications.select_related("unit", "approver_unit", "requested_by",
                                                                         "decided_by")],
            "units": Unit.objects.filter(active=True).order_by("kind", "name"),
            "parts": [(p, actions.part_allowed(scope, p)) for p in ticket.parts.select_related("unit", "assigned_by")],
        },
    )


# --- actions ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class ActionView:
    form: Callable[..., forms.Form]
    run: Callable[[Ticket, Any, dict, int | None], Any]
    done: str
    help: str = ""


def _dispatch_form(ticket: Ticket, *args: Any, **kwargs: Any) -> forms.Form:
    units = actions.dispatch_targets(ticket)
    default = ticket.category.default_unit
    form = f.DispatchForm(*args, units=units, **kwargs)
    if not form.is_bound:
        office = next((u for u in units if u.kind == "community_office" and u.area_id == ticket.community_id), None)
        form.initial["unit"] = (default or office).pk if (default or office) else None
    return form


def _exemplary_form(ticket: Ticket, *args: Any, **kwargs: Any) -> forms.Form:
    kwargs.pop("initial", None)
    last = ticket.events.filter(action="exemplary").order_by("-created_at", "-id").values_list("note", flat=True).first()
    return f.ExemplaryForm(*args, initial={"summary": last or ""}, **kwargs)


ACTION_VIEWS: dict[str, ActionView] = {
    "accept": ActionView(lambda t, *a, **k: f.NoteForm(*a, **k),
                         lambda t, u, cd, v: actions.ticket_accept(ticket=t, actor=u, note=cd["note"], expected_version=v),
                         "已受理。"),
    "reject": ActionView(lambda t, *a, **k: f.RejectForm(*a, **k),
                         lambda t, u, cd, v: actions.ticket_reject(ticket=t, actor=u, reason=cd["reason"], note=cd["note"], expected_version=v),
                         "已不予受理，并记录了向群众的解释。"),
    "merge": ActionView(lambda t, *a, **k: f.MergeForm(*a, **k),
                        lambda t, u, cd, v: actions.ticket_merge(ticket=t, actor=u, into_number=cd["into_number"], note=cd["note"], expected_version=v),
                        "已合并。反映人可凭原编号查询被合并事项的进度。"),
    "resolve_on_spot": ActionView(lambda t, *a, **k: f.ResultForm(*a, **k),
                                  lambda t, u, cd, v: actions.ticket_resolve_on_spot(ticket=t, actor=u, result=cd["result"], photos=cd["photos"], expected_version=v),
                                  "已即办办结，等待回访。", "当场解决的事项（即办件）直接办结，之后仍需回访。"),
    "dispatch": ActionView(_dispatch_form,
                           lambda t, u, cd, v: actions.ticket_dispatch(
                               ticket=t, actor=u, unit=cd["unit"], complexity=cd["complexity"], note=cd["note"],
                               expected_version=v, assists=[actions.Assist(unit=a, task=k) for a, k in cd["assists"]]),
                           "已派单。", "办结时限按分类的时限规则计算（工作日，已扣除法定节假日）。需要几个单位共同办理时，"
                           "指定一个主办单位，其余为协办单位（各有任务和答复时限，主办单位在协办单位答复后办结）。"),
    "redispatch": ActionView(_dispatch_form,
                             lambda t, u, cd, v: actions.ticket_redispatch(
                                 ticket=t, actor=u, unit=cd["unit"], complexity=cd["complexity"], note=cd["note"],
                                 expected_version=v, assists=[actions.Assist(unit=a, task=k) for a, k in cd["assists"]]),
                             "已转派。"),
    "summon": ActionView(lambda t, *a, **k: f.SummonForm(*a, **k),
                         lambda t, u, cd, v: actions.ticket_summon(ticket=t, actor=u, units=list(cd["units"]),
                                                                   task=cd["task"]),
                         "已吹哨，被召集的部门会收到通知。",
                         "街道主办、召集部门报到：各部门应在 1 小时内签收、24 小时内联系群众、3 个工作日内到场，"
                         "超时的计入部门考核并报区民情服务中心；到场后由街道评价报到情况。"),
    "sign": ActionView(lambda t, *a, **k: f.NoteForm(*a, **k),
                       lambda t, u, cd, v: actions.ticket_sign(ticket=t, actor=u, note=cd["note"], expected_version=v),
                       "已签收，请及时联系群众并办理。"),
    "return_apply": ActionView(lambda t, *a, **k: f.ReturnForm(*a, **k),
                               lambda t, u, cd, v: actions.return_apply(ticket=t, actor=u, reason_code=cd["reason_code"],
                                                                        reason=cd["reason"]),
                               "退单申请已提交，等待上级审核；审核前仍由本单位办理，时限照常计算。",
                               "退单由上级（社区事项由街道，部门事项由区民情服务中心）审核：同意后改派，不同意则继续办理、时限不变。"
                               "每件事项最多申请退单的次数有限。"),
    "correct": ActionView(lambda t, *a, **k: f.CorrectForm(t, *a, **k),
                          lambda t, u, cd, v: actions.ticket_correct(ticket=t, actor=u, category=cd["category"], type=cd["type"],
                                                                     urgency=cd["urgency"], note=cd["note"], expected_version=v),
                          "已更正；正在计时的时限已按新的分类重算。",
                          "改错的分类、诉求类型或紧急程度。原来和更正后的值都记入办理记录；正在计时的受理/签收和办结时限"
                          "从原来的开始时间起按新的时限重算，已经超时的仍计超时。"),
    "relocate": ActionView(lambda t, *a, **k: f.RelocateForm(t, *a, **k),
                           lambda t, u, cd, v: actions.ticket_relocate(
                               ticket=t, actor=u, area=cd["area"], latitude=cd.get("latitude"),
                               longitude=cd.get("longitude"), note=cd["note"], expected_version=v),
                           "地点已更正并记入办理记录。", "位置待核实的事项：核实后选出所在社区（或网格、小区），"
                           "等待受理的事项随即交给该社区受理。原地点和新地点都记入办理记录。"),
    "escalate": ActionView(lambda t, *a, **k: f.ReasonForm(*a, **k),
                           lambda t, u, cd, v: actions.ticket_escalate(ticket=t, actor=u, note=cd["note"], expected_version=v),
                           "已上报上一级（吹哨）。", "本级解决不了的事项上报上一级：社区 → 街道 → 区。"),
    "suspend_apply": ActionView(lambda t, *a, **k: f.SuspendForm(*a, **k),
                                lambda t, u, cd, v: actions.suspend_apply(ticket=t, actor=u, until=cd["until"],
                                                                          reason=cd["reason"]),
                                "缓办申请已提交，等待上级审批；审批同意前时限照常计算。",
                                "缓办经上级同意后才暂停计时（不计入按期办结统计）；到计划日期系统自动恢复办理。"),
    "resume": ActionView(lambda t, *a, **k: f.NoteForm(*a, **k),
                         lambda t, u, cd, v: actions.ticket_resume(ticket=t, actor=u, note=cd["note"], expected_version=v),
                         "已恢复办理。"),
    "resolve": ActionView(lambda t, *a, **k: f.ResolveForm(*a, **k),
                          lambda t, u, cd, v: actions.ticket_resolve(ticket=t, actor=u, result=cd["result"],
                                                                     photos=cd["photos"], expected_version=v,
                                                                     override=cd["override"]),
                          "办理结果已提交：需要审核的等待审核，其余等待回访。",
                          "按分类和层级的办结审核规则，部分事项办结后先由交办单位审核或网格员现场核查，再回访。"),
    "review": ActionView(lambda t, *a, **k: f.ReviewForm(*a, **k),
                         lambda t, u, cd, v: actions.ticket_review(ticket=t, actor=u, passed=cd["passed"], note=cd["note"],
                                                                   photos=cd["photos"], expected_version=v),
                         "审核结果已记录。", "通过：按办理单位答复的时间判断是否按期，转入回访；不通过：退回继续办理，时限照常计算。"),
    "callback": ActionView(lambda t, *a, **k: f.CallbackForm(*a, **k),
                           lambda t, u, cd, v: actions.ticket_callback(
                               ticket=t, actor=u, contacted=cd["contacted"], solved=cd.get("solved"),
                               satisfaction=cd.get("satisfaction", ""), unit_contacted=cd.get("unit_contacted"),
                               note=cd["note"], expected_version=v),
                           "回访已记录。", "回访由回访员（或街道、区）进行，办理过该事项的单位不能回访。"
                           "未联系上记一次尝试：在不同时间尝试满规定次数仍未联系上，作无效回访。"),
    "evaluate": ActionView(lambda t, *a, **k: f.CallbackForm(*a, **k),
                           lambda t, u, cd, v: actions.ticket_evaluate(
                               ticket=t, actor=u, solved=cd.get("solved"), satisfaction=cd.get("satisfaction", ""),
                               unit_contacted=cd.get("unit_contacted"), note=cd["note"]),
                           "到期评价已记录，计入办理单位的考核。",
                           "办结时限已过仍未办结：现在就回访群众，“未解决”计入当前办理单位的解决率、满意率（每件只评一次）。"),
    "recheck": ActionView(lambda t, *a, **k: f.CallbackForm(*a, **k),
                          lambda t, u, cd, v: actions.ticket_recheck(
                              ticket=t, actor=u, solved=cd.get("solved"), satisfaction=cd.get("satisfaction", ""),
                              unit_contacted=cd.get("unit_contacted"), note=cd["note"]),
                          "复核已记录。", "按比例抽取的回访复核：与原回访结果不一致时会在事项上标出。"),
    "contact": ActionView(lambda t, *a, **k: f.ContactForm(*a, **k),
                          lambda t, u, cd, v: actions.ticket_contact(ticket=t, actor=u, note=cd["note"]),
                          "先行联系已记录，群众会收到短信。",
                          "签收后应在规定时间内（默认 24 小时）先联系反映人，了解情况、约定办理；联系情况计入考核。"),
    "progress": ActionView(lambda t, *a, **k: f.ProgressForm(*a, **k),
                           lambda t, u, cd, v: actions.ticket_add_progress(ticket=t, actor=u, note=cd["note"], photos=cd["photos"]),
                           "进展已记录。"),
    "extend": ActionView(lambda t, *a, **k: f.ExtensionForm(*a, **k),
                         lambda t, u, cd, v: actions.extension_request(ticket=t, actor=u, new_due=cd["new_due"], reason=cd["reason"]),
                         "延期申请已提交，等待上级审批；审批同意前原时限不变。",
                         "只有上级同意后办结时限才会改变，原时限保留在记录中用于考核。"),
    "remind": ActionView(lambda t, *a, **k: f.RemindForm(*a, **k),
                         lambda t, u, cd, v: actions.ticket_remind(ticket=t, actor=u, note=cd["note"]),
                         "已催办。"),
    "supervise": ActionView(lambda t, *a, **k: f.SuperviseForm(*a, ticket=t, **k),
                            lambda t, u, cd, v: actions.supervision_issue(
                                ticket=t, actor=u, unit=cd["unit"], text=cd["text"], grade=cd["grade"],
                                reply_due_at=deadlines.calendar().end_of_workday(
                                    dt.datetime.combine(cd["reply_due"], dt.time(9), deadlines.calendar().tz))
                                if cd.get("reply_due") else None),
                            "督办单已下发。"),
    "exemplary": ActionView(_exemplary_form,
                            lambda t, u, cd, v: actions.ticket_mark_exemplary(
                                ticket=t, actor=u, summary=cd["summary"], exemplary=not cd["remove"]),
                            "典型案例已更新，将收入年度案例汇编。",
                            "案例简介会印入年度案例汇编：写清问题、办理过程和效果，不要写群众姓名、电话、门牌号。"),
}


@login_required
def ticket_act(request: HttpRequest, number: str, action: str) -> HttpResponse:
    scope = _staff_scope(request)
    ticket = _visible_or_404(scope, number)
    spec = ACTION_VIEWS.get(action)
    if spec is None:
        raise Http404
    label = BUTTONS[action].button_label or BUTTONS[action].label
    calls = BUTTONS[action].actor == Actor.CALLBACK
    allowed = {b["action"] for b in _buttons(scope, ticket)}
    if action not in allowed:
        messages.error(request, f"事项 {ticket.number} 当前为“{ticket.get_status_display()}”，您不能执行“{label}”。")
        return redirect("ticket_detail", number=ticket.number)
    if request.method == "POST":
        form = spec.form(ticket, request.POST, request.FILES)
        version = request.POST.get("version")
        if form.is_valid():
            try:
                spec.run(ticket, request.user, form.cleaned_data, parse_id(version))
            except actions.Conflict as exc:
                messages.error(request, exc.message)
                return redirect("ticket_detail", number=ticket.number)
            except actions.ActionError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, f"{ticket.number}：{spec.done}")
                return redirect("ticket_detail", number=ticket.number)
    else:
        form = spec.form(ticket, initial={"into_number": request.GET.get("into", "")[:32]} if action == "merge" else None)
    return render(
        request,
        "tickets/act.html",
        {"ticket": ticket, "form": form, "label": label, "action": action, "help": spec.help,
         # The callback team calls the reporter: the callback forms (回访, 到期评价, 复核) show the number.
         "reporter": actions.reporter_shown(scope=scope, ticket=ticket, via="回访页面" if calls else "办理页面",
                                            calls=calls)},
    )


def _may_see_attachment(request: HttpRequest, attachment: TicketAttachment) -> bool:
    scope = scope_for(request.user)
    if scope.is_staff and queries.visible_tickets(scope).filter(pk=attachment.ticket_id).exists():
        return True
    # Residents see only the result photos of the request they follow (the original, if merged).
    if attachment.event.action not in queries.PUBLIC_PHOTO_EVENTS:
        return False
    followed = Ticket.objects.filter(pk__in=request.session.get("followed_tickets", []))
    if scope.user is not None:
        followed = followed | Ticket.objects.filter(reporter_user=scope.user)
    return attachment.ticket_id in {queries.followed(t).pk for t in followed}


PHOTO_PENDING = ('<svg xmlns="http://www.w3.org/2000/svg" width="160" height="120" viewBox="0 0 160 120">'
                 '<rect width="160" height="120" fill="#f5f5f5"/><text x="80" y="66" font-size="16" fill="#888" '
                 'text-anchor="middle">{}</text></svg>')


def attachment(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(TicketAttachment.objects.select_related("event"), pk=pk)
    if not _may_see_attachment(request, item):
        return HttpResponseForbidden("无权查看该附件。")
    if item.state != TicketAttachment.READY:  # the upload itself waits in the quarantine, never sent out
        label = "照片处理中…" if item.state == TicketAttachment.PROCESSING else "照片无法处理"
        response = HttpResponse(PHOTO_PENDING.format(label), content_type="image/svg+xml; charset=utf-8")
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "no-store"
        return response
    try:
        handle = item.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404("附件文件已不存在。") from exc
    response = FileResponse(handle, content_type=item.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response


@login_required
@require_POST
def part_act(request: HttpRequest, pk: int, what: str) -> HttpResponse:
    """A co-handler's or a summoned department's step on its part (sign, contact, reply), or the street's rating."""
    scope = _staff_scope(request)
    part = get_object_or_404(Part.objects.select_related("ticket", "unit"), pk=pk)
    ticket = _visible_or_404(scope, part.ticket.number)
    if what not in {"sign", "contact", "reply", "rate"}:
        raise Http404
    form = f.RateForm(request.POST) if what == "rate" else f.PartForm(request.POST)
    if not form.is_valid():
        messages.error(request, "；".join(e for errors in form.errors.values() for e in errors))
        return redirect(f"{reverse('ticket_detail', args=[ticket.number])}#parts")
    try:
        if what == "rate":
            actions.part_rate(part=part, actor=request.user, rating=form.cleaned_data["rating"],
                              note=form.cleaned_data["note"])
        else:
            actions.part_step(part=part, actor=request.user, what=what, note=form.cleaned_data["note"])
    except actions.ActionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "已记录。")
    return redirect(f"{reverse('ticket_detail', args=[ticket.number])}#parts")


@login_required
@require_POST
def order_reply(request: HttpRequest, pk: int) -> HttpResponse:
    scope = _staff_scope(request)
    order = get_object_or_404(SupervisionOrder.objects.select_related("ticket", "unit"), pk=pk)
    ticket = _visible_or_404(scope, order.ticket.number)
    form = ReplyForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请填写回复内容。")
    else:
        try:
            actions.supervision_reply(order=order, actor=request.user, text=form.cleaned_data["text"])
        except actions.ActionError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "督办单已回复。")
    return redirect("ticket_detail", number=ticket.number)


@login_required
@require_POST
def application_decide(request: HttpRequest, pk: int) -> HttpResponse:
    scope = _staff_scope(request)
    app = get_object_or_404(Application.objects.select_related("ticket", "approver_unit", "unit"), pk=pk)
    ticket = _visible_or_404(scope, app.ticket.number)
    form = DecideForm(request.POST)
    if not form.is_valid():
        messages.error(request, "；".join(e for errors in form.errors.values() for e in errors))
    else:
        try:
            actions.application_decide(application=app, actor=request.user, approve=form.cleaned_data["approve"],
                                       note=form.cleaned_data["note"], unit=form.cleaned_data.get("unit"))
        except actions.ActionError as exc:
            messages.error(request, exc.message)
        else:
            done = "已同意" if form.cleaned_data["approve"] else "已不同意"
            messages.success(request, f"{done}{app.get_kind_display()}。")
    return redirect("ticket_detail", number=ticket.number)


@login_required
def supervision(request: HttpRequest) -> HttpResponse:
    """督办：orders to reply to, orders issued, extensions to decide, overdue requests escalated here."""
    scope = _staff_scope(request)
    now = timezone.now()
    to_reply = SupervisionOrder.objects.filter(unit_id__in=scope.unit_ids, replied_at=None)
    issued = SupervisionOrder.objects.filter(Q(issued_by=request.user) | Q(issued_unit_id__in=scope.unit_ids))
    if scope.district:
        issued = SupervisionOrder.objects.all()
    pending = Application.objects.filter(status="pending")
    if not scope.district:
        pending = pending.filter(approver_unit_id__in=scope.unit_ids)
    supervised = queries.queue(scope, "supervised", now=now)
    related = ("ticket", "unit", "issued_by")
    return render(request, "tickets/supervision.html", {
        "to_reply": to_reply.select_related(*related).order_by("reply_due_at")[:100],
        "issued": issued.select_related(*related).order_by("-issued_at")[:100],
        "pending": pending.select_related("ticket", "unit", "requested_by").order_by("requested_at")[:100],
        "supervised": rows(supervised[:100], now),
        "overdue_count": queries.queue(scope, "overdue", now=now).count(),
        "now": now,
    })
