"""双向清单 pages: needs, resources, projects, the red matrix, agreements, micro-wishes, party members,
unit import and the figures; the public wish wall."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from minqing.accounts import throttle
from minqing.accounts.scope import Scope, scope_for
from minqing.lib.errors import ActionError
from minqing.lib.masking import mask_name
from minqing.lib.net import client_ip
from minqing.lib.validation import parse_id, parse_period, parse_quarter
from minqing.lib.xlsx import number, table_xlsx
from minqing.meetings import actions as meeting_actions
from minqing.meetings.models import AgendaSource, Meeting, MeetingStatus
from minqing.org.models import COORDINATING_KINDS, Area, AreaKind, Seat, Unit

from . import actions, documents, queries
from . import forms as f
from .models import Agreement, NeedStatus, PartyMember, Project, ProjectState, Resource, Wish, WishState


def _staff(request: HttpRequest) -> Scope:
    scope = scope_for(request.user)
    if not scope.is_staff:
        raise Http404
    return scope


def _my_areas(scope: Scope) -> QuerySet[Area]:
    c = queries._communities(scope)
    return Area.objects.filter(Q(pk__in=c) | Q(parent__in=c) | Q(parent__parent__in=c)).order_by("code")


def _my_communities(scope: Scope) -> QuerySet[Area]:
    if scope.district:
        return Area.objects.filter(kind=AreaKind.COMMUNITY).order_by("code")
    return Area.objects.filter(pk__in=queries._communities(scope)).order_by("code")


def _err(form: object, exc: ActionError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


def _posted(request: HttpRequest, form: object, run: Callable[[dict], object]) -> object | None:
    """When the form was posted and is valid, run the action with its data and return the result; a
    refusal goes next to its field (the form keeps what was typed) and the result is None."""
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        return run(form.cleaned_data)
    except ActionError as exc:
        _err(form, exc)
        return None


def _page(request: HttpRequest, qs: QuerySet) -> object:
    return Paginator(qs, 30).get_page(request.GET.get("page"))


# --- needs -----------------------------------------------------------------------------------------
@login_required
def need_list(request: HttpRequest) -> HttpResponse:
    scope = _staff(request)
    qs = queries.needs_for(scope)
    status = request.GET.get("status", "")
    if status in NeedStatus.values:
        qs = qs.filter(status=status)
    return render(request, "partnership/needs.html", {
        "page": _page(request, qs.annotate(n_projects=Count("projects")).order_by("-created_at", "-pk")), "status": status,
        "statuses": NeedStatus.choices, "may_create": bool(queries._communities(scope)),
        "communities": _my_communities(scope) if queries._communities(scope) else [],
    })


@login_required
def need_new(request: HttpRequest) -> HttpResponse:
    scope = _staff(request)
    form = f.NeedForm(request.POST or None, areas=_my_areas(scope))
    if need := _posted(request, form, lambda cd: actions.need_create(actor=request.user, **cd)):
        messages.success(request, "需求已登记，系统已推荐可对接的资源。")
        return redirect("need_detail", pk=need.pk)
    return render(request, "partnership/form.html", {"form": form, "title": "登记需求", "back": "need_list"})


@require_POST
@login_required
def needs_from_hotspots(request: HttpRequest) -> HttpResponse:
    scope = _staff(request)
    community = _my_communities(scope).filter(pk=parse_id(request.POST.get("community")) or 0).first()
    if community is None:
        raise Http404
    try:
        made = actions.needs_from_hotspots(actor=request.user, community=community)
        messages.success(request, f"根据近 90 天高频、低满意的诉求生成了 {len(made)} 条需求。" if made
                         else "没有需要生成的需求（没有高频且满意率低于 80% 的诉求分类，或已生成过）。")
    except ActionError as exc:
        messages.error(request, exc.message)
    return redirect("need_list")


@login_required
def need_detail(request: HttpRequest, pk: int) -> HttpResponse:
    scope = _staff(request)
    need = get_object_or_404(queries.needs_for(scope), pk=pk)
    coordinate = queries.may_coordinate(scope, need)
    my_units = Unit.objects.filter(pk__in=scope.unit_ids, active=True).exclude(kind__in=COORDINATING_KINDS)
    open_need = need.status in {NeedStatus.OPEN, NeedStatus.MATCHED}
    meetings = (Meeting.objects.filter(status=MeetingStatus.PLANNED, convener_id__in=scope.unit_ids)
                .filter(Q(community=need.community) | Q(community=None, street=need.community.parent_id))
                if open_need else [])
    return render(request, "partnership/need.html", {
        "need": need, "coordinate": coordinate and open_need, "edit": queries.may_edit_need(scope, need),
        "proposals": queries.proposals(need) if coordinate and open_need else [],
        "projects": need.projects.select_related("unit", "resource"),
        "volunteer_units": my_units if open_need else [],
        "my_resources": Resource.objects.filter(unit__in=my_units, active=True),
        "meetings": meetings,
    })


@require_POST
@login_required
def need_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    scope = _staff(request)
    need = get_object_or_404(queries.needs_for(scope), pk=pk)
    post = request.POST
    try:
        quantity = int(post.get("quantity") or 0)
    except ValueError:
        quantity = -1
    try:
        if quantity < 0:
            raise ActionError("数量请填非负整数。")
        if action == "propose":
            resource = get_object_or_404(Resource, pk=parse_id(post.get("resource")) or 0)
            p = actions.project_propose(actor=request.user, need=need, resource=resource, quantity=quantity,
                                        note=post.get("note", ""))
            messages.success(request, f"已向{p.unit}发起对接，等待其揭榜承接。")
            return redirect("project_detail", pk=p.pk)
        if action == "volunteer":
            unit = get_object_or_404(Unit, pk=parse_id(post.get("unit")) or 0)
            resource = Resource.objects.filter(pk=parse_id(post.get("resource")) or 0).first()
            p = actions.project_volunteer(actor=request.user, need=need, unit=unit, resource=resource,
                                          quantity=quantity if resource else 0, note=post.get("note", ""))
            messages.success(request, "揭榜成功，等待社区确认对接。")
            return redirect("project_detail", pk=p.pk)
        if action == "agenda":
            meeting = get_object_or_404(Meeting, pk=parse_id(post.get("meeting")) or 0)
            meeting_actions.agenda_add(meeting=meeting, actor=request.user, title=f"需求：{need.title}"[:120],
                                       source=AgendaSource.NEED)
            messages.success(request, f"已列入“{meeting.topic}”议程。")
        elif action == "close":
            actions.need_close(actor=request.user, need=need)
            messages.success(request, "需求已关闭。")
        else:
            raise Http404
    except ActionError as exc:
        messages.error(request, exc.message)
    return redirect("need_detail", pk=need.pk)


# --- resources -------------------------------------------------------------------------------------
@login_required
def resource_list(request: HttpRequest) -> HttpResponse:
    scope = _staff(request)
    qs = queries.resources_for(scope).prefetch_related("areas")
    rows = [(r, queries.remaining(r), r.unit_id in scope.unit_ids) for r in _page(request, qs.order_by("-created_at"))]
    return render(request, "partnership/resources.html", {"rows": rows, "may_create": bool(scope.unit_ids)})


@login_required
def resource_new(request: HttpRequest) -> HttpResponse:
    scope = _staff(request)
    units = Unit.objects.filter(pk__in=scope.unit_ids, active=True)
    form = f.ResourceForm(request.POST or None, units=units,
                          initial={"available_from": timezone.localdate(), "unit": units.first()})
    def create(cd: dict) -> Resource:
        data = {k: v for k, v in cd.items() if k != "active"}
        return actions.resource_create(actor=request.user, **{**data, "areas": list(data["areas"])})

    if _posted(request, form, create):
        messages.success(request, "资源已登记，社区和街道对接需求时会看到它。")
        return redirect("resource_list")
    return render(request, "partnership/form.html", {"form": form, "title": "登记资源", "back": "resource_list"})


@login_required
def resource_edit(request: HttpRequest, pk: int) -> HttpResponse:
    scope = _staff(request)
    r = get_object_or_404(Resource.objects.filter(unit_id__in=scope.unit_ids), pk=pk)
    units = Unit.objects.filter(pk=r.unit_id)
    initial = {"unit": r.unit, "kind": r.kind, "title": r.title, "brand": r.brand, "capacity": r.capacity,
               "unit_label": r.unit_label, "available_from": r.available_from, "available_until": r.available_until,
               "areas": list(r.areas.all()), "description": r.description, "active": r.active}
    form = f.ResourceForm(request.POST or None, units=units, initial=initial)
    def update(cd: dict) -> Resource:
        data = {k: v for k, v in cd.items() if k != "unit"}
        return actions.resource_update(actor=request.user, resource=r, **{**data, "areas": list(data["areas"])})

    if _posted(request, form, update):
        messages.success(request, "资源已更新。")
        return redirect("resource_list")
    return render(request, "partnership/form.html", {"form": form, "title": f"修改资源：{r.title}", "back": "resource_list"})


@login_required
def need_edit(request: HttpRequest, pk: int) -> HttpResponse:
    scope = _staff(request)
    n = get_object_or_404(queries.needs_for(scope), pk=pk)
    if not queries.may_edit_need(scope, n):
        raise Http404("只有需求所在社区可以修改需求。")
    initial = {"area": n.area, "title": n.title, "brand": n.brand, "description": n.description,
               "households": n.households, "source": n.source, "priority": n.priority}
    form = f.NeedForm(request.POST or None, areas=_my_areas(scope), initial=initial)
    if _posted(request, form, lambda cd: actions.need_update(actor=request.user, need=n, **cd)):
        messages.success(request, "需求已更新。")
        return redirect("need_detail", pk=n.pk)
    return render(request, "partnership/form.html", {"form": form, "title": f"修改需求：{n.title}", "back": "need_list"})


# --- projects --------------------------------------------------------------------------------------
@login_required
def project_list(request: HttpRequest) -> HttpResponse:
    scope = _staff(request)
    qs = queries.projects_for(scope)
    state = request.GET.get("state", "")
    if state in ProjectState.values:
        qs = qs.filter(state=state)
    return render(request, "partnership/projects.html", {"page": _page(request, qs), "state": state,
                                                         "states": ProjectState.choices})


@login_required
def project_detail(request: HttpRequest, pk: int) -> HttpResponse:
    scope = _staff(request)
    project = get_object_or_404(queries.projects_for(scope), pk=pk)
    steps = [(name, actions.STEPS[name].label) for name in actions.allowed_steps(scope, project)]
    return render(request, "partnership/project.html", {
        "project": project, "steps": steps, "events": project.events.order_by("-created_at", "-id")})


@require_POST
@login_required
def project_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    scope = _staff(request)
    project = get_object_or_404(queries.projects_for(scope), pk=pk)
    try:
        hours = Decimal(request.POST["hours"]) if request.POST.get("hours") else None
        rating = int(request.POST["rating"]) if request.POST.get("rating") else None
    except (InvalidOperation, ValueError):
        messages.error(request, "服务时长或评分格式不对。")
        return redirect("project_detail", pk=pk)
    try:
        p = actions.project_step(actor=request.user, project=project, action=action, note=request.POST.get("note", ""),
                                 hours=hours, rating=rating, expected_version=parse_id(request.POST.get("version")))
        messages.success(request, f"项目状态：{p.get_state_display()}。")
    except ActionError as exc:
        messages.error(request, exc.message)
    return redirect("project_detail", pk=pk)


# --- the red matrix --------------------------------------------------------------------------------
@login_required
def matrix(request: HttpRequest) -> HttpResponse:
    """Units × the street's committee and its communities: seats, agreements, projects at a glance."""
    scope = _staff(request)
    streets = Area.objects.filter(kind=AreaKind.STREET).order_by("code")
    mine = list(streets.filter(pk__in=scope.street_ids)) or list(
        streets.filter(pk__in=Area.objects.filter(pk__in=queries._communities(scope)).values("parent_id")))
    street = streets.filter(pk=parse_id(request.GET.get("street")) or 0).first() or (mine[0] if mine else streets.first())
    communities = list(Area.objects.filter(parent=street, kind=AreaKind.COMMUNITY).order_by("code"))
    columns = [street, *communities]
    ids = [c.pk for c in columns]
    seats = Seat.objects.filter(committee_id__in=ids).select_related("unit", "committee")
    agreements = Agreement.objects.filter(community_id__in=ids).exclude(signed_at=None).values("unit_id", "community_id")
    projects = Project.objects.filter(need__community_id__in=ids).values("unit_id", "need__community_id")
    unit_ids = ({s.unit_id for s in seats} | {a["unit_id"] for a in agreements} | {p["unit_id"] for p in projects}
                | set(Unit.objects.filter(area_id__in=ids).exclude(kind__in=["community_office", "street_office"])
                      .values_list("pk", flat=True)))
    units = Unit.objects.filter(pk__in=unit_ids).select_related("party").order_by("kind", "name")
    cells: dict[tuple[int, int], dict] = {}
    for s in seats:
        cells.setdefault((s.unit_id, s.committee_id), {"seats": [], "agreements": 0, "projects": 0})["seats"].append(s)
    for a in agreements:
        cells.setdefault((a["unit_id"], a["community_id"]), {"seats": [], "agreements": 0, "projects": 0})["agreements"] += 1
    for p in projects:
        cells.setdefault((p["unit_id"], p["need__community_id"]), {"seats": [], "agreements": 0, "projects": 0})["projects"] += 1
    rows = [(u, [cells.get((u.pk, c.pk)) for c in columns]) for u in units]
    committees = Area.objects.filter(Q(pk=street.pk) | Q(parent=street, kind=AreaKind.COMMUNITY))
    may_seat = scope.district or street.pk in scope.street_ids or bool(queries._communities(scope) & set(ids))
    form = f.SeatForm(committees=committees) if may_seat else None
    return render(request, "partnership/matrix.html", {"street": street, "streets": streets, "columns": columns,
                                                       "rows": rows, "form": form, "seat_count": seats.count()})


@require_POST
@login_required
def seat_new(request: HttpRequest) -> HttpResponse:
    _staff(request)
    form = f.SeatForm(request.POST, committees=Area.objects.filter(kind__in=[AreaKind.STREET, AreaKind.COMMUNITY]))
    street = ""
    if form.is_valid():
        committee = form.cleaned_data["committee"]
        street = committee.pk if committee.kind == AreaKind.STREET else committee.parent_id
        try:
            s = actions.seat_create(actor=request.user, **form.cleaned_data)
            messages.success(request, f"{s.unit}已在{s.committee_label}（{s.term}）登记席位。")
        except ActionError as exc:
            messages.error(request, exc.message)
    else:
        messages.error(request, "；".join(e for errs in form.errors.values() for e in errs))
    return redirect(f"/lists/matrix/?street={street}")


@login_required
def unit_import(request: HttpRequest) -> HttpResponse:
    scope = _staff(request)
    if not (scope.district or scope.street_ids or scope.community_ids):
        raise Http404
    form = f.UnitImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        try:
            report = actions.units_import(actor=request.user, content=form.cleaned_data["file"].read())
        except ActionError as exc:
            form.add_error("file", exc.message)
        else:
            if report.ok:
                messages.success(request, f"已导入 {report.created} 个单位。")
    return render(request, "partnership/unit_import.html", {"form": form, "report": report,
                                                            "columns": actions.UNIT_COLUMNS})


@login_required
def unit_template(request: HttpRequest) -> HttpResponse:
    _staff(request)
    return table_xlsx("单位导入模板.xlsx", "单位", actions.UNIT_COLUMNS, [[
        "兰州银行西湖支行", "驻区单位", "瓜州路社区", "王经理", "0931-8888888", "西湖街 1 号", "就业创业、扶危解困", "党支部",
        "李明", 23]])


# --- agreements ------------------------------------------------------------------------------------
@login_required
def agreement_list(request: HttpRequest) -> HttpResponse:
    scope = _staff(request)
    communities = _my_communities(scope)
    form = f.AgreementForm(request.POST or None, communities=communities, initial={
        "starts_on": timezone.localdate(), "ends_on": timezone.localdate().replace(year=timezone.localdate().year + 1)})
    if a := _posted(request, form, lambda cd: actions.agreement_draft(actor=request.user, **cd)):
        messages.success(request, f"协议第 {a.number} 版草稿已保存，可下载打印、签字盖章后上传扫描件。")
        return redirect("agreement_detail", pk=a.pk)
    return render(request, "partnership/agreements.html", {
        "page": _page(request, queries.agreements_for(scope)), "form": form if communities.exists() else None})


@login_required
def agreement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    scope = _staff(request)
    a = get_object_or_404(queries.agreements_for(scope), pk=pk)
    if request.method == "POST":
        try:
            actions.agreement_sign(actor=request.user, agreement=a, scan=request.FILES.get("scan"))
            messages.success(request, "已登记签订，协议从此不能修改。")
        except ActionError as exc:
            messages.error(request, exc.message)
        return redirect("agreement_detail", pk=pk)
    versions = Agreement.objects.filter(community=a.community, unit=a.unit).order_by("-number")
    return render(request, "partnership/agreement.html", {
        "a": a, "versions": versions, "may_sign": a.signed_at is None and (
            a.community_id in queries._communities(scope) or scope.district)})


@login_required
def agreement_docx(request: HttpRequest, pk: int) -> HttpResponse:
    scope = _staff(request)
    a = get_object_or_404(queries.agreements_for(scope), pk=pk)
    name = f"双向服务协议书-{a.community.name}-{a.unit.name}-第{a.number}版.docx"
    response = HttpResponse(documents.agreement_docx(a),
                            content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return response


@login_required
def agreement_scan(request: HttpRequest, pk: int) -> HttpResponse:
    scope = _staff(request)
    a = get_object_or_404(queries.agreements_for(scope).exclude(scan=""), pk=pk)
    pdf = a.scan.name.lower().endswith(".pdf")
    response = FileResponse(a.scan.open("rb"), as_attachment=pdf,
                            content_type="application/pdf" if pdf else ("image/png" if a.scan.name.endswith(".png") else "image/jpeg"))
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- micro-wishes and party members -------------------------------------------------------------------
@login_required
def wish_list(request: HttpRequest) -> HttpResponse:
    scope = _staff(request)
    areas = _my_areas(scope)
    form = f.WishForm(request.POST or None, areas=areas)
    if _posted(request, form, lambda cd: actions.wish_publish(actor=request.user, **cd)):
        messages.success(request, "心愿已发布到社区心愿墙。")
        return redirect("wish_list")
    return render(request, "partnership/wishes.html", {
        "page": _page(request, queries.wishes_for(scope)), "form": form if areas.exists() else None,
        "mine": set(queries._communities(scope))})


@require_POST
@login_required
def wish_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    scope = _staff(request)
    wish = get_object_or_404(queries.wishes_for(scope), pk=pk)
    try:
        if action == "fulfil":
            try:
                hours = Decimal(request.POST.get("hours") or "0")
            except InvalidOperation:
                hours = Decimal(-1)
            actions.wish_fulfil(actor=request.user, wish=wish, hours=hours)
            messages.success(request, "已登记心愿实现。")
        elif action == "confirm":
            actions.wish_confirm(actor=request.user, wish=wish)
            messages.success(request, "居民已确认。")
        else:
            raise Http404
    except ActionError as exc:
        messages.error(request, exc.message)
    return redirect("wish_list")


@login_required
def member_list(request: HttpRequest) -> HttpResponse:
    scope = _staff(request)
    communities = _my_communities(scope)
    form = f.MemberForm(request.POST or None, communities=communities)
    if _posted(request, form, lambda cd: actions.member_register(actor=request.user, **cd)):
        messages.success(request, "党员已报到。")
        return redirect("member_list")
    members = PartyMember.objects.filter(community__in=communities).select_related("employer", "community").annotate(
        fulfilled=Count("wishes", filter=Q(wishes__state__in=[WishState.FULFILLED, WishState.CONFIRMED]))
    ).order_by("community__code", "name")
    today = timezone.localdate()
    return render(request, "partnership/members.html", {
        "page": _page(request, members), "form": form if communities.exists() else None,
        "quarter": f"{today.year}Q{(today.month - 1) // 3 + 1}"})


@login_required
def member_export(request: HttpRequest) -> HttpResponse:
    """Each member's service record for a quarter, for their employer (双报到 reports)."""
    scope = _staff(request)
    quarter = request.GET.get("quarter", "").strip().upper()
    period = parse_quarter(quarter)
    if period is None:
        messages.error(request, "季度格式不对：写成 2026Q4 这样，年份在 2000 年至 2100 年之间。")
        page = member_list(request)  # the list again, with the message, and a status that says why
        page.status_code = 400
        return page
    start, end = period
    wishes = (Wish.objects.filter(member__community__in=_my_communities(scope), fulfilled_at__date__gte=start,
                                  fulfilled_at__date__lt=end).select_related("member", "member__employer", "community")
              .order_by("member__name", "fulfilled_at"))
    return table_xlsx(f"双报到党员服务记录-{quarter}.xlsx", f"{quarter} 服务记录",
                      ["党员", "所在单位", "报到社区", "心愿", "实现时间", "服务时长（小时）", "居民确认"],
                      ([w.member.name, w.member.employer.name if w.member.employer else "", w.community.name, w.text,
                        timezone.localtime(w.fulfilled_at).date(), number(w.hours), "是" if w.state == WishState.CONFIRMED else "否"]
                       for w in wishes))


# --- figures -------------------------------------------------------------------------------------------
@login_required
def stats(request: HttpRequest) -> HttpResponse:
    scope = _staff(request)
    today = timezone.localdate()
    start, end, problem = parse_period(request.GET.get("start"), request.GET.get("end"), today=today)
    if problem:
        messages.error(request, problem)
    if scope.district:
        streets = Area.objects.filter(kind=AreaKind.STREET).order_by("code")
    else:
        mine = queries._communities(scope)
        streets = Area.objects.filter(Q(pk__in=scope.street_ids) | Q(children__in=mine)).distinct().order_by("code")
    rows = []
    for street in streets:
        communities = list(street.children.filter(kind=AreaKind.COMMUNITY).order_by("code"))
        if not scope.district and street.pk not in scope.street_ids:
            communities = [c for c in communities if c.pk in queries._communities(scope)]
        rows.append((street, queries.figures(areas=[c.pk for c in communities], start=start, end=end), True))
        for c in communities:
            rows.append((c, queries.figures(areas=[c.pk], start=start, end=end), False))
    total = queries.figures(areas=None, start=start, end=end) if scope.district else None
    return render(request, "partnership/stats.html", {"rows": rows, "total": total, "start": start, "end": end,
                                                      "states": ProjectState.choices})


# --- public wish wall ------------------------------------------------------------------------------
WISH_CLAIM_FAILURES = 5  # per address in 15 minutes
def wish_wall(request: HttpRequest, code: str) -> HttpResponse:
    community = get_object_or_404(Area, code=code, kind=AreaKind.COMMUNITY)
    if request.method == "POST":
        wish = get_object_or_404(Wish, pk=parse_id(request.POST.get("wish")) or 0, community=community)
        # numbers tried in vain are counted per address, so the wall cannot be used to find out who the members are
        key = f"wish-claim-fail:ip:{client_ip(request)}"
        if throttle.exceeded(key, limit=WISH_CLAIM_FAILURES, window=15 * 60):
            messages.error(request, "认领失败次数过多，请 15 分钟后再试，或直接联系社区。")
            return redirect("wish_wall", code=code)
        try:
            actions.wish_claim(wish=wish, phone=request.POST.get("phone", ""))
            messages.success(request, "认领成功！请尽快联系社区，帮居民实现这个心愿。")
        except ActionError as exc:
            throttle.hit(key, limit=WISH_CLAIM_FAILURES, window=15 * 60)
            messages.error(request, exc.message)
        return redirect("wish_wall", code=code)
    wishes = [(w, mask_name(w.resident_name)) for w in
              Wish.objects.filter(community=community).exclude(state=WishState.CONFIRMED).order_by("state", "-created_at")[:50]]
    return render(request, "partnership/wish_wall.html", {"community": community, "wishes": wishes})
