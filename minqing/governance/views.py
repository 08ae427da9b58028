"""主动治理 in the pages: projects (staff), the public 每月一题 list, and the knowledge base with its HTMX
suggestions at intake and on the reply forms."""

from __future__ import annotations

import datetime as dt
import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from minqing.accounts.scope import Scope, scope_for
from minqing.lib.errors import ActionError
from minqing.lib.validation import parse_id
from minqing.lib.xlsx import Sheet, number, percent, workbook_bytes, xlsx_response
from minqing.meetings.models import Resolution
from minqing.org.models import Area, AreaKind
from minqing.tickets import queries as ticket_queries
from minqing.tickets.models import Category, Ticket, TicketType
from minqing.triage.problems import PROBLEMS

from . import actions, forms, queries
from .models import KnowledgeEntry, Milestone, Project, ProjectStatus, ProjectTicket, Source

NUMBER = re.compile(r"[A-Za-z]{2}-\d{8}-\d{4,6}")


def _staff(request: HttpRequest) -> Scope:
    scope = scope_for(request.user)
    if not (scope.is_staff or scope.admin):
        raise Http404
    return scope


# --- projects ------------------------------------------------------------------------------------
@login_required
def project_list(request: HttpRequest) -> HttpResponse:
    scope = _staff(request)
    status = request.GET.get("status", "")
    qs = Project.objects.select_related("lead_unit", "area", "category")
    if status in ProjectStatus.values:
        qs = qs.filter(status=status)
    page = Paginator(qs, 20).get_page(request.GET.get("page"))
    today = timezone.localdate()
    rows = [(p, queries.report(p, today=today)) for p in page]
    may_create = actions.may_create(scope)
    problems = (ticket_queries.visible_tickets(scope).exclude(problem_at=None).select_related("community", "category")
                .order_by("-problem_at")[:30]) if may_create else []
    return render(request, "governance/list.html", {
        "rows": rows, "page": page, "status": status, "statuses": ProjectStatus.choices,
        "may_create": may_create, "problems": problems})


def _from_hotspot(params) -> dict:
    place = (params.get("place") or "").strip()[:60]
    problem = (params.get("problem") or "").strip()[:60]
    shown = [w for w in queries.words(params.get("words") or "")][:6]
    concepts = [p for p in problem.split("、") if p in PROBLEMS]
    keywords = [w for p in concepts for w in PROBLEMS[p] if len(w) >= 2] or shown
    place_word = place.split(" ")[0]
    initial = {"title": f"{place_word}{problem or '、'.join(shown[:2])}专项治理"[:100], "place": place_word,
               "keywords": " ".join(dict.fromkeys(keywords)), "source": Source.HOTSPOT,
               "source_note": f"高频事项：{place or '（未写明地点）'} · {problem or '、'.join(shown)}"
                              f"（最近 {parse_id(params.get('days')) or 90} 天 {parse_id(params.get('count')) or 0} 次）"}
    names = [c for c in (params.get("communities") or "").split("、") if c]
    if len(names) == 1:
        area = Area.objects.filter(kind=AreaKind.COMMUNITY, name=names[0]).first()
        if area is not None:
            initial["area"] = area.pk
    return initial


def _from_resolution(scope: Scope, pk: int | None) -> tuple[dict, Resolution | None]:
    r = Resolution.objects.select_related("ticket", "owner", "meeting").filter(pk=pk or 0).first()
    if r is None:
        return {}, None
    initial = {"title": r.text[:100], "lead_unit": r.owner_id, "deadline": r.due_date, "source": Source.RESOLUTION,
               "source_note": f"议事决议：{r.meeting.topic}"[:300], "resolution": r.pk,
               "description": r.text}
    if r.ticket is not None:
        initial.update({"category": r.ticket.category_id, "area": r.ticket.community_id})
    return initial, r


def _problem_tickets(scope: Scope, text: str) -> tuple[list[Ticket], list[str]]:
    numbers = list(dict.fromkeys(n.upper() for n in NUMBER.findall(text or "")))
    found = {t.number: t for t in ticket_queries.visible_tickets(scope).filter(number__in=numbers)}
    return [found[n] for n in numbers if n in found], [n for n in numbers if n not in found]


@login_required
def project_new(request: HttpRequest) -> HttpResponse:
    scope = _staff(request)
    if not actions.may_create(scope):
        raise Http404("只有区、街道干部可以设立治理专项。")
    today = timezone.localdate()
    initial: dict = {"start_date": today, "deadline": today + dt.timedelta(days=90), "target_value": 30,
                     "baseline_months": 3, "public": True, "source": Source.MANUAL}
    resolution = None
    if request.GET.get("from") == "hotspot":
        initial.update(_from_hotspot(request.GET))
    elif request.GET.get("from") == "resolution":
        extra, resolution = _from_resolution(scope, parse_id(request.GET.get("resolution")))
        initial.update(extra)
    elif request.GET.get("from") == "problems":
        chosen, _ = _problem_tickets(scope, " ".join(request.GET.getlist("numbers")))
        initial.update({"source": Source.PROBLEMS, "numbers": "\n".join(t.number for t in chosen),
                        "source_note": f"问题工单 {len(chosen)} 件"})
        # What the chosen requests share becomes the definition: their category, their community.
        if chosen and len({t.category_id for t in chosen}) == 1:
            initial["category"] = chosen[0].category_id
        if chosen and len({t.community_id for t in chosen}) == 1:
            initial["area"] = chosen[0].community_id
    form = forms.ProjectForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        cd = form.cleaned_data
        source = cd["source"] if cd["source"] in Source.values else Source.MANUAL
        tickets, missing = _problem_tickets(scope, cd["numbers"])
        if cd["resolution"]:
            resolution = Resolution.objects.filter(pk=cd["resolution"]).first()
        if missing:
            form.add_error("numbers", f"找不到这些事项，或不在您的范围内：{'、'.join(missing)}")
        elif source == Source.PROBLEMS and not tickets:
            form.add_error("numbers", "从问题工单立项时，请填写至少一个事项编号。")
        else:
            try:
                project = actions.project_create(
                    actor=request.user, title=cd["title"], description=cd["description"], category=cd["category"],
                    area=cd["area"], place=cd["place"], keywords=cd["keywords"], lead_unit=cd["lead_unit"],
                    co_units=cd["co_units"], target_kind=cd["target_kind"], target_value=cd["target_value"],
                    start_date=cd["start_date"], deadline=cd["deadline"], baseline_months=cd["baseline_months"],
                    source=source, source_note=cd["source_note"] or "", resolution=resolution, tickets=tickets,
                    public=cd["public"])
            except ActionError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, f"治理专项已设立，关联事项 {project.links.count()} 件；新的相符事项会自动关联。")
                return redirect("gov_project_detail", pk=project.pk)
    return render(request, "governance/new.html", {"form": form, "resolution": resolution})


@login_required
def project_detail(request: HttpRequest, pk: int) -> HttpResponse:
    scope = _staff(request)
    project = get_object_or_404(Project.objects.select_related("lead_unit", "area", "category", "created_by",
                                                               "resolution"), pk=pk)
    rep = queries.report(project)
    if request.GET.get("format") == "xlsx":
        return _report_xlsx(project, rep)
    ids = ProjectTicket.objects.filter(project=project).values("ticket_id")
    visible = ticket_queries.visible_tickets(scope).filter(pk__in=ids).select_related("community", "category")
    recent = Paginator(visible.order_by("-created_at"), 20).get_page(request.GET.get("page"))
    may_update = actions.may_update(scope, project)
    return render(request, "governance/detail.html", {
        "p": project, "rep": rep, "chart": queries.chart(rep), "tickets": recent,
        "hidden": rep.linked - visible.count(), "milestones": project.milestones.select_related("done_by"),
        "log": project.log.select_related("actor")[:50], "may_update": may_update,
        "milestone_form": forms.MilestoneForm(), "close_form": forms.CloseForm(),
        "co_units": project.co_units.all()})


def _report_xlsx(project: Project, rep: queries.Report) -> HttpResponse:
    """The project page's numbers (its chart's and tables') as a workbook."""
    before, after = rep.before, rep.after
    summary = [("治理前", before.period.label if before.period else "—", before.days, before.volume,
                number(before.per_month), int(before.figures.callbacks), percent(before.satisfaction)),
               ("治理后", after.period.label if after.period else "—", after.days, after.volume,
                number(after.per_month), int(after.figures.callbacks), percent(after.satisfaction))]
    sheets = [
        Sheet("对比", ["", "时段", "天数", "诉求量", "月均诉求量（每 30 天）", "有效回访", "满意率"], summary,
              above=[project.title, f"牵头单位 {project.lead_unit} · 目标 {project.target_label}"]),
        Sheet("按月", ["月份", "治理前诉求", "治理后诉求", "有效回访", "满意率"],
              [(label, int(b.received), int(a.received), int(w.callbacks), percent(w.satisfaction_rate))
               for label, b, a, w in rep.months]),
        Sheet("按社区", ["社区", "治理前诉求", "治理后诉求", "治理前满意率", "治理后满意率"],
              [(r.area, int(r.before.received), int(r.after.received), percent(r.before.satisfaction_rate),
                percent(r.after.satisfaction_rate)) for r in rep.areas]),
    ]
    return xlsx_response(workbook_bytes(sheets), f"治理专项-{project.title}.xlsx")


@login_required
@require_POST
def project_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    _staff(request)
    project = get_object_or_404(Project, pk=pk)
    try:
        if action == "milestone":
            step = forms.MilestoneForm(request.POST)
            if not step.is_valid():
                raise ActionError(str(next(iter(step.errors.values()))[0]))
            actions.milestone_add(project=project, actor=request.user, title=step.cleaned_data["title"],
                                  due_date=step.cleaned_data["due_date"])
            messages.success(request, "节点已添加。")
        elif action == "done":
            m = get_object_or_404(Milestone, pk=parse_id(request.POST.get("milestone")) or 0, project=project)
            actions.milestone_done(milestone=m, actor=request.user, note=request.POST.get("note", "")[:300])
            messages.success(request, f"节点“{m.title}”已完成。")
        elif action == "close":
            end = forms.CloseForm(request.POST)
            if not end.is_valid():
                raise ActionError(str(next(iter(end.errors.values()))[0]))
            actions.project_close(project=project, actor=request.user, status=end.cleaned_data["status"],
                                  result=end.cleaned_data["result"], version=parse_id(request.POST.get("version")))
            messages.success(request, "专项已结束。")
        else:
            raise Http404
    except ActionError as exc:
        messages.error(request, exc.message)
    return redirect("gov_project_detail", pk=project.pk)


@require_GET
def monthly(request: HttpRequest) -> HttpResponse:
    """每月一题 on the notice board: the public projects, their target and progress; no personal data."""
    today = timezone.localdate()
    projects = Project.objects.filter(public=True).exclude(status=ProjectStatus.CANCELLED).select_related(
        "lead_unit", "area").prefetch_related("milestones")[:36]
    rows = []
    for p in projects:
        ms = list(p.milestones.all())
        rows.append((p, queries.report(p, today=today), sum(1 for m in ms if m.done_at), len(ms)))
    return render(request, "governance/monthly.html", {"rows": rows})


# --- knowledge base ------------------------------------------------------------------------------
@login_required
def kb_list(request: HttpRequest) -> HttpResponse:
    _staff(request)
    q = (request.GET.get("q") or "").strip()[:50]
    qs = KnowledgeEntry.objects.select_related("category", "category__parent")
    if q:
        qs = qs.filter(Q(question__icontains=q) | Q(answer__icontains=q) | Q(keywords__icontains=q))
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    return render(request, "governance/kb_list.html", {"page": page, "q": q})


@login_required
def kb_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    _staff(request)
    entry = get_object_or_404(KnowledgeEntry, pk=pk) if pk else None
    form = forms.EntryForm(request.POST or None, instance=entry)
    if request.method == "POST" and form.is_valid():
        cd = form.cleaned_data
        try:
            saved = actions.knowledge_save(actor=request.user, entry=entry, question=cd["question"],
                                           answer=cd["answer"], citation=cd["citation"], keywords=cd["keywords"],
                                           category=cd["category"], active=cd["active"])
        except ActionError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, f"已保存：{saved.question}")
            return redirect("kb_list")
    return render(request, "governance/kb_edit.html", {"form": form, "entry": entry})


@login_required
def kb_suggest(request: HttpRequest) -> HttpResponse:
    """HTMX: entries that fit the request being typed (登记诉求, type 咨询) or the one being answered."""
    scope = _staff(request)
    data = request.POST if request.method == "POST" else request.GET
    ticket: Ticket | None = None
    category: Category | None
    number = (data.get("ticket") or "")[:32]
    if number:
        ticket = ticket_queries.visible_tickets(scope).filter(number=number).select_related("category").first()
        if ticket is None:
            raise Http404
        text, category, kind = f"{ticket.title} {ticket.text}", ticket.category, ticket.type
    else:
        text = (data.get("text") or "")[:2000]
        category = Category.objects.filter(pk=parse_id(data.get("category")) or 0).first()
        kind = data.get("type") or ""
    if kind != TicketType.ENQUIRY or len(text.strip()) < 4:
        return HttpResponse("")
    return render(request, "governance/_kb_suggest.html", {
        "hits": queries.suggest_entries(text=text, category=category), "ticket": ticket})


@login_required
@require_POST
def kb_use(request: HttpRequest, pk: int) -> HttpResponse:
    """Count a use; on a reply form, put the answer into the result field (HTMX out-of-band swap)."""
    scope = _staff(request)
    entry = get_object_or_404(KnowledgeEntry, pk=pk)
    ticket = None
    number = (request.POST.get("ticket") or "")[:32]
    if number:
        ticket = ticket_queries.visible_tickets(scope).filter(number=number).first()
        if ticket is None:
            raise Http404
    try:
        entry = actions.knowledge_use(entry=entry, actor=request.user, ticket=ticket,
                                      where="reply" if ticket is not None else "intake")
    except ActionError as exc:
        return HttpResponse(f'<span class="error">{exc.message}</span>')
    field = request.POST.get("field", "result")
    return render(request, "governance/_kb_used.html", {
        "entry": entry, "ticket": ticket, "field": field if re.fullmatch(r"[a-z_]{1,30}", field) else "result"})
