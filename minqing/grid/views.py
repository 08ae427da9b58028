"""Screens of the grid work, and the JSON endpoint the offline patrol page syncs to."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.views.decorators.http import require_POST

from minqing.accounts.scope import Scope, scope_for
from minqing.lib import uploads
from minqing.lib.errors import ActionError, Conflict, Forbidden
from minqing.lib.validation import parse_id
from minqing.lib.xlsx import table_xlsx
from minqing.tickets.models import Category, TicketType
from minqing.tickets.views import page_of

from . import actions, queries
from .models import Building, Finding, Household, Visit


def _scope(request: HttpRequest) -> Scope:
    scope = scope_for(request.user)
    if not queries.sees_grid_work(scope):
        raise Http404
    return scope


def _period(request: HttpRequest) -> tuple[dt.date, dt.date]:
    today = timezone.localdate()
    start = parse_date(request.GET.get("start") or "") or queries.month_start(today)
    end = parse_date(request.GET.get("end") or "") or today
    if end < start:
        start, end = end, start
    return start, end


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """网格走访: the figures of each grid in the viewer's scope, the latest visits and the open patrol."""
    scope = _scope(request)
    start, end = _period(request)
    rows = queries.figures(queries.grids_for(scope).order_by("code")[:200], start=start, end=end)
    return render(request, "grid/home.html", {
        "rows": rows, "total": queries.total(rows) if len(rows) > 1 else None, "start": start, "end": end,
        "visits": queries.visits_for(scope)[:15], "patrolling": bool(scope.grid_ids),
        "open_patrol": queries.open_patrol(worker_id=request.user.pk) if scope.grid_ids else None,
    })


@login_required
def patrol(request: HttpRequest) -> HttpResponse:
    """The patrol page of the installable app: it works offline (static/grid/sw.js keeps it) and queues what
    is recorded in the phone's IndexedDB until it can be sent (static/grid/patrol.js)."""
    scope = scope_for(request.user)
    if not scope.grid_ids:
        raise Http404
    grids = list(queries.grids_for(scope).filter(pk__in=scope.grid_ids).order_by("code"))
    households = Household.objects.filter(grid__in=grids).select_related("building").order_by(
        "building__address", "building__name", "unit_no", "room")
    data = {
        "grids": [{"id": g.pk, "name": g.name} for g in grids],
        # Addresses only: the page is kept on the phone, so no names or phone numbers go into it.
        "households": [{"id": h.pk, "grid": h.grid_id, "building": str(h.building), "label": h.label,
                        "kind": h.kind} for h in households],
        "findings": [{"value": v, "label": str(label)} for v, label in Finding.choices],
        "worker": request.user.pk,
    }
    response = render(request, "grid/patrol.html", {"data": data})
    response["Cache-Control"] = "no-cache"  # the service worker keeps its own copy for offline use
    return response


def service_worker(request: HttpRequest) -> HttpResponse:
    """static/grid/sw.js, served under /grid/ so that it may control the patrol page (a worker's scope is
    its own folder unless the server says otherwise)."""
    path = finders.find("grid/sw.js")
    if not path:
        raise Http404
    with open(path, encoding="utf-8") as fh:
        response = HttpResponse(fh.read(), content_type="application/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = "/grid/"
    return response


# --- sync ------------------------------------------------------------------------------------------------------
def _error(exc: ActionError) -> JsonResponse:
    status = 403 if isinstance(exc, Forbidden) else 409 if isinstance(exc, Conflict) else 422
    return JsonResponse({"ok": False, "code": exc.code, "message": exc.message, "field": exc.field}, status=status)


def _uuid(value: Any, label: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError) as exc:
        raise ActionError(f"{label}不是有效的编号。", field="id") from exc


def _time(value: Any) -> dt.datetime | None:
    if value in (None, ""):
        return None
    try:
        parsed = parse_datetime(value) if isinstance(value, str) else None
    except ValueError:  # well formed but no such day or hour
        parsed = None
    if parsed is None:
        raise ActionError("时间格式不对。", field="visited_at")
    return parsed


def _decimal(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value)).quantize(Decimal("0.000001"))
    except (InvalidOperation, ValueError) as exc:
        raise ActionError("坐标不是数字。", field="location") from exc


@require_POST
def sync(request: HttpRequest) -> JsonResponse:
    """One record from the patrol page's queue: a multipart POST with `record` (JSON) and an optional `photo`.

        {"type": "patrol_start", "id": uuid, "grid": 12, "at": iso}
        {"type": "visit", "id": uuid, "patrol": uuid|null, "grid": 12, "household": 34|null, "place": "",
         "finding": "problem", "note": "…", "lat": 36.05, "lng": 103.8, "at": iso}
        {"type": "patrol_end", "id": uuid, "note": "…", "at": iso}

    Answers 200 with "created": true the first time, false for the same id again (the client drops it from its
    queue either way); 401 when signed out (the client keeps it and asks to sign in); 403/409/422 with a message."""
    if not request.user.is_authenticated:
        return JsonResponse({"ok": False, "code": "login", "message": "登录已过期，请重新登录后同步。"}, status=401)
    if not scope_for(request.user).grid_ids:
        return JsonResponse({"ok": False, "code": "forbidden", "message": "只有网格员可以上传走访记录。"}, status=403)
    try:
        record = json.loads(request.POST.get("record") or "")
        if not isinstance(record, dict):
            raise ValueError
    except ValueError:
        return JsonResponse({"ok": False, "code": "invalid", "message": "记录格式不对。"}, status=400)
    try:
        kind, client_id = record.get("type"), _uuid(record.get("id"), "记录")
        user = request.user
        if kind == "patrol_start":
            grid = queries.grids_for(scope_for(user)).filter(pk=parse_id(record.get("grid"))).first()
            if grid is None:
                raise ActionError("请选择网格。", field="grid")
            _, created = actions.patrol_start(actor=user, client_id=client_id, grid=grid, started_at=_time(record.get("at")))
        elif kind == "patrol_end":
            actions.patrol_end(actor=user, client_id=client_id, ended_at=_time(record.get("at")),
                               note=str(record.get("note") or ""))
            created = False
        elif kind == "visit":
            household = None
            if record.get("household") not in (None, ""):
                household = queries.households_for(scope_for(user)).filter(pk=parse_id(record["household"])).first()
                if household is None:
                    raise ActionError("找不到该住户/单位。", field="household")
            grid = queries.grids_for(scope_for(user)).filter(pk=parse_id(record.get("grid"))).first()
            photo = None
            if request.FILES.get("photo"):
                try:
                    photo = uploads.prepare_images([request.FILES["photo"]])[0]
                except uploads.UploadError as exc:
                    raise ActionError(str(exc), field="photo") from exc
            patrol_id = _uuid(record["patrol"], "巡查") if record.get("patrol") else None
            _, created = actions.visit_record(
                actor=user, client_id=client_id, grid=grid, patrol_id=patrol_id, household=household,
                place=str(record.get("place") or ""), finding=str(record.get("finding") or Finding.NORMAL),
                note=str(record.get("note") or ""), photo=photo, latitude=_decimal(record.get("lat")),
                longitude=_decimal(record.get("lng")), visited_at=_time(record.get("at")))
        else:
            raise ActionError("未知的记录类型。", field="type")
    except ActionError as exc:
        return _error(exc)
    return JsonResponse({"ok": True, "id": str(client_id), "created": created})


# --- the diary -------------------------------------------------------------------------------------------------
@login_required
def visit_list(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    visits = queries.visits_for(scope)
    grid_id = parse_id(request.GET.get("grid"))
    if grid_id:
        visits = visits.filter(grid_id=grid_id)
    finding = request.GET.get("finding") or ""
    if finding in Finding.values:
        visits = visits.filter(finding=finding)
    return render(request, "grid/visits.html", {
        "page": page_of(request, visits), "grids": queries.grids_for(scope).order_by("code"), "grid_id": grid_id,
        "finding": finding, "findings": Finding.choices})


class TicketForm(forms.Form):
    category = forms.ModelChoiceField(label="分类", queryset=Category.objects.none(), empty_label="请选择")
    type = forms.ChoiceField(label="诉求类型", choices=TicketType.choices, initial=TicketType.HELP)
    text = forms.CharField(label="诉求内容", widget=forms.Textarea(attrs={"rows": 4}))
    reporter = forms.ChoiceField(label="反映人", choices=list(actions.REPORTERS.items()), initial="worker",
                                 widget=forms.RadioSelect)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.filter(
            parent__isnull=False, active=True, parent__active=True).select_related("parent").order_by("parent__sort", "sort")
        self.fields["category"].label_from_instance = lambda c: f"{c.parent.name} · {c.name}"


def _visit(request: HttpRequest, key: str) -> tuple[Scope, Visit]:
    scope = _scope(request)
    try:
        client_id = uuid.UUID(key)
    except ValueError as exc:
        raise Http404 from exc
    return scope, get_object_or_404(queries.visits_for(scope), uuid=client_id)


@login_required
def visit_detail(request: HttpRequest, key: str) -> HttpResponse:
    """One diary entry; its 转为诉求 form makes a request (网格员入户) with the place filled in."""
    scope, visit = _visit(request, key)
    form = None
    if visit.ticket_id is None and queries.works_grid(scope, visit.grid):
        form = TicketForm(request.POST or None, initial={"text": visit.note})
        if request.method == "POST" and form.is_valid():
            try:
                ticket = actions.visit_to_ticket(actor=request.user, visit=visit, **form.cleaned_data)
            except ActionError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, f"已转为诉求 {ticket.number}。")
                return redirect("ticket_detail", ticket.number)
    person = queries.person_shown(scope=scope, household=visit.household) if visit.household else None
    return render(request, "grid/visit.html", {"visit": visit, "form": form, "person": person})


@login_required
def visit_photo(request: HttpRequest, key: str) -> HttpResponse:
    _, visit = _visit(request, key)
    if not visit.photo:
        raise Http404
    try:
        handle = default_storage.open(visit.photo, "rb")
    except OSError as exc:
        raise Http404 from exc
    response = FileResponse(handle, content_type="image/png" if visit.photo.endswith(".png") else "image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    return response


# --- the registry ----------------------------------------------------------------------------------------------
@login_required
def registry(request: HttpRequest) -> HttpResponse:
    """基础信息 (一标三实): the buildings and households of a grid; names and phones masked unless the viewer
    works the grid."""
    scope = _scope(request)
    grids = queries.grids_for(scope).order_by("code")
    grid = grids.filter(pk=parse_id(request.GET.get("grid"))).first() if request.GET.get("grid") else None
    grid = grid or grids.filter(pk__in=Building.objects.values("grid_id")).first() or grids.first()
    households = []
    if grid is not None:
        for h in queries.households_for(scope).filter(grid=grid):
            households.append((h, queries.person_shown(scope=scope, household=h)))
    return render(request, "grid/registry.html", {
        "grids": grids, "grid": grid, "households": households,
        "may_import": bool(scope.grid_ids or scope.community_ids or scope.street_ids or scope.district or scope.admin)})


@login_required
def household_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A household: who (masked as the viewer may see it), its visits and the requests made from them."""
    scope = _scope(request)
    household = get_object_or_404(queries.households_for(scope), pk=pk)
    visits = list(household.visits.select_related("worker", "ticket").order_by("-visited_at"))
    return render(request, "grid/household.html", {
        "household": household, "person": queries.person_shown(scope=scope, household=household), "visits": visits,
        "tickets": queries.household_tickets(scope=scope, household=household, visits=visits)})


class ImportForm(forms.Form):
    file = forms.FileField(label="Excel 文件（.xlsx）")


@login_required
def registry_import(request: HttpRequest) -> HttpResponse:
    _scope(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        try:
            report = actions.registry_import(actor=request.user, content=form.cleaned_data["file"].read())
        except ActionError as exc:
            form.add_error("file", exc.message)
        else:
            if report.ok:
                messages.success(request, f"已导入 {report.households} 户（新建楼栋 {report.buildings} 栋）。")
                return redirect("grid_registry")
    return render(request, "grid/import.html", {"form": form, "report": report, "columns": actions.REGISTRY_COLUMNS})


@login_required
def registry_template(request: HttpRequest) -> HttpResponse:
    _scope(request)
    return table_xlsx("基础信息导入模板.xlsx", "住户", actions.REGISTRY_COLUMNS, [
        ["瓜州路社区第一网格", "", "瓜州路 88 号", "1号楼", "1", "101", "住户", "", "张秀兰", "13800000000", "", 3],
        ["瓜州路社区第一网格", "", "瓜州路 88 号", "1号楼", "", "底商 2", "单位", "便民超市", "李老板", "0931-2600000", "", 0],
    ])
