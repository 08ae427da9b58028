"""议事协商 pages: the meeting list and figures, planning, the meeting page with everything done at and
after the table, the panel on a request's page, and the public notice (公示) per community."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.views.decorators.http import require_GET, require_POST

from minqing.accounts.scope import Scope, scope_for
from minqing.lib.db import reporting
from minqing.lib.errors import ActionError
from minqing.lib.validation import parse_id, parse_period
from minqing.org.models import Area, AreaKind
from minqing.tickets import queries as ticket_queries

from . import actions, queries
from . import forms as f
from .models import Kind, Meeting, MeetingStatus, MinutesAttachment, ParticipantKind, Resolution, rules


def _staff(request: HttpRequest) -> Scope:
    scope = scope_for(request.user)
    if not scope.is_staff:
        raise Http404
    return scope


def _visible(scope: Scope, pk: int) -> Meeting:
    meeting = queries.visible_meetings(scope).filter(pk=pk).first()
    if meeting is None:
        raise Http404("找不到该会议，或它不在您的工作范围内。")
    return meeting


@login_required
def meeting_list(request: HttpRequest) -> HttpResponse:
    scope = _staff(request)
    qs = queries.visible_meetings(scope)
    kind, status = request.GET.get("kind", ""), request.GET.get("status", "")
    if kind in Kind.values:
        qs = qs.filter(kind=kind)
    if status in MeetingStatus.values:
        qs = qs.filter(status=status)
    page = Paginator(qs.order_by("-starts_at"), 30).get_page(request.GET.get("page"))
    return render(request, "meetings/list.html", {
        "page": page, "kinds": Kind.choices, "statuses": MeetingStatus.choices, "kind": kind, "status": status,
        "may_create": bool(scope.community_ids or scope.street_ids), "now": timezone.now(),
    })


@login_required
def meeting_new(request: HttpRequest) -> HttpResponse:
    scope = _staff(request)
    form = f.MeetingForm(request.POST or None, scope=scope, initial={"kind": request.GET.get("kind", ""),
                                                                       "topic": request.GET.get("topic", "")[:120]})
    if request.method == "POST" and form.is_valid():
        cd = form.cleaned_data
        try:
            meeting = actions.meeting_create(
                actor=request.user, kind=cd["kind"], topic=cd["topic"], starts_at=cd["starts_at"],
                place=cd["place"], area=cd["area"], chair=cd["chair"], entitled=cd["entitled"] or 0)
        except ActionError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, "会议已登记。下一步：安排议程、添加参会人、发出通知。")
            return redirect("meeting_detail", pk=meeting.pk)
    return render(request, "meetings/new.html", {"form": form,
                                                 "rules": rules()})


@login_required
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    scope = _staff(request)
    meeting = _visible(scope, pk)
    manage = queries.can_manage(scope, meeting)
    rule = actions.rule_for(meeting.kind)
    resolutions = list(meeting.resolutions.select_related("owner", "ticket", "motion", "done_by"))
    minutes = list(meeting.minutes.prefetch_related("attachments").select_related("written_by", "published_by"))
    draft = next((m for m in minutes if m.published_at is None), None)
    ctx: dict[str, Any] = {
        "meeting": meeting, "rule": rule, "manage": manage, "quorum_text": actions.quorum_text(meeting),
        "agenda": meeting.agenda.select_related("ticket"), "participants": meeting.participants.select_related("unit"),
        "motions": meeting.motions.select_related("agenda_item"),
        "resolutions": [(r, queries.can_complete(scope, r)) for r in resolutions],
        "minutes": minutes, "draft": draft, "events": meeting.events.order_by("-created_at", "-id"),
        "now": timezone.now(),
    }
    if manage:
        # A sub-form refused a moment ago comes back with what was typed (and its errors), not empty.
        kept = request.session.pop(f"meeting-form-{meeting.pk}", None) or {}
        data = {name: MultiValueDict(kept["data"]) if kept.get("action") == name else None for name in KEPT_FORMS}
        ctx.update({
            "agenda_form": f.AgendaForm(data["agenda"]), "participant_form": f.ParticipantForm(data["participant"], prefix="p"),
            "attendance_form": f.AttendanceForm(data["attendance"], meeting=meeting),
            "motion_form": f.MotionForm(data["motion"], meeting=meeting, prefix="motion"),
            "resolution_form": f.ResolutionForm(data["resolution"], meeting=meeting, prefix="resolution"),
            "minutes_form": f.MinutesForm(data["minutes"], prefix="minutes",
                                          initial={"text": draft.text if draft else (minutes[-1].text if minutes else "")}),
        })
    return render(request, "meetings/detail.html", ctx)


KEPT_FORMS = ("agenda", "participant", "attendance", "motion", "resolution", "minutes")


def _agenda(request: HttpRequest, m: Meeting) -> str:
    form = _valid(f.AgendaForm(request.POST))
    actions.agenda_add(meeting=m, actor=request.user, title=form["title"])
    return "议题已列入议程。"


def _participant(request: HttpRequest, m: Meeting) -> str:
    cd = _valid(f.ParticipantForm(request.POST, prefix="p"))
    p = actions.participant_add(meeting=m, actor=request.user, kind=cd["kind"], name=cd["name"], phone=cd["phone"],
                                unit=cd["unit"])
    return f"已添加参会人：{p.name}。"


def _invite_units(request: HttpRequest, m: Meeting) -> str:
    n = actions.invite_units(meeting=m, actor=request.user)
    return f"已添加 {n} 个成员单位。" if n else "没有可添加的成员单位（都已在名单中）。"


def _invite(request: HttpRequest, m: Meeting) -> str:
    n = actions.meeting_invite(meeting=m, actor=request.user)
    return f"会议通知已发给 {n} 位参会人（单位）。"


def _attendance(request: HttpRequest, m: Meeting) -> str:
    cd = _valid(f.AttendanceForm(request.POST, meeting=m))
    m = actions.meeting_record_attendance(meeting=m, actor=request.user, attended=cd["attended"], others=cd["others"] or 0)
    return f"已登记到会 {m.present} 人，{'达到' if m.quorum_met else '未达到'}法定人数。"


def _discussion(request: HttpRequest, m: Meeting) -> str:
    item = get_object_or_404(m.agenda, pk=parse_id(request.POST.get("item")) or 0)
    actions.agenda_discuss(item=item, actor=request.user, discussion=request.POST.get("discussion", ""))
    return "讨论情况已记录。"


def _motion(request: HttpRequest, m: Meeting) -> str:
    cd = _valid(f.MotionForm(request.POST, meeting=m, prefix="motion"))
    motion = actions.motion_record(meeting=m, actor=request.user, text=cd["text"], votes_for=cd["votes_for"],
                                   votes_against=cd["votes_against"], votes_abstain=cd["votes_abstain"],
                                   agenda_item=cd["agenda_item"])
    return f"表决结果：{'通过' if motion.passed else '未通过'}（赞成 {motion.votes_for}，反对 {motion.votes_against}，弃权 {motion.votes_abstain}）。"


def _resolution(request: HttpRequest, m: Meeting) -> str:
    cd = _valid(f.ResolutionForm(request.POST, meeting=m, prefix="resolution"))
    r = actions.resolution_add(meeting=m, actor=request.user, text=cd["text"], owner=cd["owner"], due_date=cd["due_date"],
                               motion=cd["motion"], agenda_item=cd["agenda_item"],
                               new_request_category=cd["new_request_category"])
    return f"决议已交办{r.owner}，{r.due_date:%Y-%m-%d} 前完成。" + (f"关联事项 {r.ticket.number}。" if r.ticket else "")


def _minutes(request: HttpRequest, m: Meeting) -> str:
    cd = _valid(f.MinutesForm(request.POST, prefix="minutes"))
    saved = actions.minutes_save(meeting=m, actor=request.user, text=cd["text"], correction_note=cd["correction_note"],
                                 files=request.FILES.getlist("files"))
    return f"纪要第 {saved.number} 版已保存（草稿，发布后不可修改）。"


def _publish_minutes(request: HttpRequest, m: Meeting) -> str:
    minutes = get_object_or_404(m.minutes, pk=parse_id(request.POST.get("minutes")) or 0)
    actions.minutes_publish(minutes=minutes, actor=request.user)
    return f"纪要第 {minutes.number} 版已发布归档。"


def _notice(request: HttpRequest, m: Meeting) -> str:
    days = parse_id(request.POST.get("days")) if request.POST.get("days") else None
    m = actions.meeting_publish_notice(meeting=m, actor=request.user, days=days)
    return f"已在社区公示栏公示至 {timezone.localtime(m.notice_until):%Y-%m-%d %H:%M}。"


def _cancel(request: HttpRequest, m: Meeting) -> str:
    actions.meeting_cancel(meeting=m, actor=request.user, reason=request.POST.get("reason", ""))
    return "会议已取消。"


def _exemplary(request: HttpRequest, m: Meeting) -> str:
    m = actions.meeting_mark_exemplary(meeting=m, actor=request.user, exemplary=request.POST.get("value") == "1")
    return "已评为优秀案例，将收入年度案例汇编。" if m.exemplary else "已取消优秀案例。"


MEETING_ACTIONS: dict[str, Callable[[HttpRequest, Meeting], str]] = {
    "agenda": _agenda, "participant": _participant, "invite_units": _invite_units, "invite": _invite,
    "attendance": _attendance, "discussion": _discussion, "motion": _motion, "resolution": _resolution,
    "minutes": _minutes, "publish_minutes": _publish_minutes, "notice": _notice, "cancel": _cancel,
    "exemplary": _exemplary,
}


def _valid(form: forms.Form) -> dict:
    if not form.is_valid():
        first = next(iter(form.errors.items()))
        label = form.fields[first[0]].label if first[0] in form.fields else ""
        raise ActionError(f"{label}：{first[1][0]}" if label else first[1][0])
    return form.cleaned_data


@require_POST
@login_required
def meeting_do(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    scope = _staff(request)
    meeting = _visible(scope, pk)
    run = MEETING_ACTIONS.get(action)
    if run is None:
        raise Http404
    try:
        messages.success(request, run(request, meeting))
    except ActionError as exc:
        messages.error(request, exc.message)
        if action in KEPT_FORMS:
            request.session[f"meeting-form-{meeting.pk}"] = {
                "action": action, "data": {k: v for k, v in request.POST.lists() if k != "csrfmiddlewaretoken"}}
    return redirect("meeting_detail", pk=meeting.pk)


@require_POST
@login_required
def resolution_done(request: HttpRequest, pk: int) -> HttpResponse:
    scope = _staff(request)
    resolution = get_object_or_404(Resolution.objects.select_related("meeting"), pk=pk)
    _visible(scope, resolution.meeting_id)
    try:
        r = actions.resolution_complete(resolution=resolution, actor=request.user, note=request.POST.get("note", ""))
        messages.success(request, f"决议已完成（{r.state}）。")
    except ActionError as exc:
        messages.error(request, exc.message)
    return redirect("meeting_detail", pk=resolution.meeting_id)


@login_required
def minutes_file(request: HttpRequest, pk: int) -> HttpResponse:
    scope = _staff(request)
    attachment = get_object_or_404(MinutesAttachment.objects.select_related("minutes"), pk=pk)
    _visible(scope, attachment.minutes.meeting_id)
    response = FileResponse(attachment.file.open("rb"), content_type=attachment.content_type,
                            as_attachment=attachment.content_type == "application/pdf", filename=attachment.name)
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- a request's page ----------------------------------------------------------------------------
@login_required
def ticket_panel(request: HttpRequest, number: str) -> HttpResponse:
    """The 议事 panel on a request's page: meetings it was on, resolutions, and 提交议事."""
    scope = _staff(request)
    ticket = ticket_queries.visible_tickets(scope).filter(number=number).first()
    if ticket is None:
        raise Http404
    if request.method == "POST":
        meeting = queries.upcoming_for_agenda(scope, community_id=ticket.community_id, street_id=ticket.street_id
                                              ).filter(pk=parse_id(request.POST.get("meeting")) or 0).first()
        try:
            if meeting is None:
                raise ActionError("请选择一个筹备中的会议。")
            actions.agenda_add(meeting=meeting, actor=request.user, ticket=ticket)
            messages.success(request, f"已提交议事：列入“{meeting.topic}”议程。")
        except ActionError as exc:
            messages.error(request, exc.message)
        return redirect("ticket_detail", number=ticket.number)
    items = ticket.agenda_items.select_related("meeting")
    return render(request, "meetings/_ticket_panel.html", {
        "ticket": ticket, "items": items, "resolutions": ticket.resolutions.select_related("meeting", "owner"),
        "upcoming": queries.upcoming_for_agenda(scope, community_id=ticket.community_id, street_id=ticket.street_id)
        .exclude(agenda__ticket=ticket) if ticket.is_open else [],
    })


# --- figures -------------------------------------------------------------------------------------
@login_required
def meeting_stats(request: HttpRequest) -> HttpResponse:
    scope = _staff(request)
    today = timezone.localdate()
    start, end, problem = parse_period(request.GET.get("start"), request.GET.get("end"), today=today)
    if problem:
        messages.error(request, problem)
    qs = queries.visible_meetings(scope).using(reporting()).filter(starts_at__date__gte=start, starts_at__date__lte=end)
    rows = []
    for area in Area.objects.filter(kind__in=[AreaKind.STREET, AreaKind.COMMUNITY]).order_by("code"):
        sub = qs.filter(**({"street": area} if area.kind == AreaKind.STREET else {"community": area}))
        if sub.exists():
            rows.append((area, queries.figures(sub, today=today)))
    return render(request, "meetings/stats.html", {
        "total": queries.figures(qs, today=today), "rows": rows, "start": start, "end": end, "kinds": Kind.choices,
    })


# --- public notice -------------------------------------------------------------------------------
@require_GET
def notice_index(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    ids = Meeting.objects.filter(notice_from__lte=now, notice_until__gt=now).exclude(
        status=MeetingStatus.CANCELLED).values("community_id")
    communities = Area.objects.filter(pk__in=ids).select_related("parent").order_by("code")
    return render(request, "meetings/notice_index.html", {"communities": communities})


@require_GET
def notice_board(request: HttpRequest, code: str) -> HttpResponse:
    community = get_object_or_404(Area, code=code, kind=AreaKind.COMMUNITY)
    meetings = list(queries.on_notice(community).prefetch_related(
        "agenda__ticket__category", "agenda__ticket__compound", "agenda__ticket__community", "motions",
        "resolutions__owner", "resolutions__ticket", "participants"))
    # Names the board's text may carry: residents who attended, reporters of the requests discussed. The
    # template masks them, and any phone, ID number or name it finds (lib.masking.mask_public_text).
    names = {p.name for m in meetings for p in m.participants.all() if p.kind == ParticipantKind.RESIDENT}
    names |= {t.reporter_name for m in meetings for t in [*(i.ticket for i in m.agenda.all()),
                                                           *(r.ticket for r in m.resolutions.all())] if t is not None}
    return render(request, "meetings/notice.html", {"community": community, "meetings": meetings,
                                                    "names": sorted(n for n in names if n)})
