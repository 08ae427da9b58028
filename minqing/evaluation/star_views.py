"""星级评定 pages (schemes and their history, a year's board, a community's card, the public notice),
评优 (nominations, decisions, the public list of winners) and the yearly case book."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from minqing.accounts.scope import Scope, scope_for
from minqing.lib.errors import ActionError
from minqing.lib.validation import parse_id
from minqing.lib.xlsx import table_xlsx
from minqing.org.models import Area, AreaKind

from . import awards, stars
from .models import IndicatorSource, Nomination, SchemeStatus, StarResult, StarScheme, StarScore


def _viewer(request: HttpRequest) -> Scope:
    scope = scope_for(request.user)
    if not (scope.district or scope.admin or scope.street_ids or scope.community_ids):
        raise Http404
    return scope


def _sees(scope: Scope, community: Area) -> bool:
    return (scope.district or scope.admin or community.parent_id in scope.street_ids
            or community.pk in scope.community_ids)


def _assessor(scope: Scope) -> bool:
    return scope.district or scope.admin


@login_required
@require_GET
def star_index(request: HttpRequest) -> HttpResponse:
    scope = _viewer(request)
    years, rows = stars.history()
    return render(request, "evaluation/stars.html", {
        "schemes": StarScheme.objects.all(), "years": years,
        "rows": [(c, cells) for c, cells in rows if _sees(scope, c)], "assessor": _assessor(scope),
    })


@login_required
@require_GET
def star_board(request: HttpRequest, year: int) -> HttpResponse:
    scope = _viewer(request)
    scheme = get_object_or_404(StarScheme, year=year)
    parts = stars.part_maxima(scheme)
    if scheme.status in {SchemeStatus.NOTICE, SchemeStatus.FIXED}:
        rows = [(r.community, [r.parts.get(p, "0") for p in parts], r.total, r.stars, r.rank, 0)
                for r in StarResult.objects.filter(scheme=scheme).select_related("community", "community__parent")]
    else:
        rows = [(c.community, list(c.parts.values()), c.total, c.stars, c.rank, c.missing) for c in stars.cards(scheme)]
    rows = [r for r in rows if _sees(scope, r[0])]
    if request.GET.get("format") == "xlsx":
        return table_xlsx(f"{scheme}.xlsx", "星级评定", ["名次", "街道", "社区", *parts, "总分", "星级"],
                          [[rank, c.parent.name, c.name, *[float(v) for v in values], float(total), stars_]
                           for c, values, total, stars_, rank, _ in rows])
    return render(request, "evaluation/star_board.html", {
        "scheme": scheme, "parts": parts, "rows": rows,
        # The record names communities, indicators and assessors' notes: for the assessors only.
        "assessor": _assessor(scope), "levels": scheme.levels.all(),
        "events": scheme.events.order_by("-created_at")[:30] if _assessor(scope) else [],
        "missing": sum(r[5] for r in rows),
    })


@login_required
def star_card(request: HttpRequest, year: int, community: int) -> HttpResponse:
    scope = _viewer(request)
    scheme = get_object_or_404(StarScheme, year=year)
    area = get_object_or_404(Area, pk=community, kind=AreaKind.COMMUNITY)
    if not _sees(scope, area):
        raise Http404
    errors: dict[int, str] = {}
    if request.method == "POST":
        if not _assessor(scope):
            raise Http404
        indicator = scheme.indicators.filter(pk=parse_id(request.POST.get("indicator")) or 0).first()
        if indicator is None:
            raise Http404
        try:
            stars.score_enter(scheme=scheme, community=area, indicator=indicator, points=request.POST.get("points", ""),
                              note=request.POST.get("note", ""), evidence=request.FILES.get("evidence"),
                              actor=request.user)
        except ActionError as exc:
            errors[indicator.pk] = exc.message
            if scheme.status != SchemeStatus.ASSESSING:  # no form to show it next to
                messages.error(request, exc.message)
        else:
            messages.success(request, f"已保存“{indicator}”的得分。")
            return redirect("star_card", year=year, community=community)
    scores = {s.indicator_id: s for s in StarScore.objects.filter(scheme=scheme, community=area)}
    card = next(c for c in stars.cards(scheme) if c.community.pk == area.pk)
    items = [(i, scores.get(i.pk), errors.get(i.pk)) for i in scheme.indicators.all()]
    return render(request, "evaluation/star_card.html", {
        "scheme": scheme, "community": area, "items": items, "card": card, "parts": stars.part_maxima(scheme),
        "can_edit": _assessor(scope) and scheme.status == SchemeStatus.ASSESSING, "posted": request.POST,
        "manual": IndicatorSource.MANUAL,
    }, status=400 if errors else 200)


@login_required
@require_GET
def star_evidence(request: HttpRequest, pk: int) -> FileResponse:
    scope = _viewer(request)
    score = get_object_or_404(StarScore.objects.select_related("community"), pk=pk)
    if not score.evidence or not _sees(scope, score.community):
        raise Http404
    return FileResponse(score.evidence.open("rb"), as_attachment=True, filename=score.evidence_name or "佐证材料")


ACTIONS = {"start": stars.scheme_start, "compute": stars.compute, "publish": stars.publish, "fix": stars.fix}


@login_required
@require_POST
def star_do(request: HttpRequest, year: int, action: str) -> HttpResponse:
    scope = _viewer(request)
    if not _assessor(scope):
        raise Http404
    scheme = get_object_or_404(StarScheme, year=year)
    try:
        if action == "reopen":
            stars.reopen(scheme=scheme, actor=request.user, reason=request.POST.get("reason", ""))
        elif action in ACTIONS:
            ACTIONS[action](scheme=scheme, actor=request.user)
        else:
            raise Http404
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, {"start": "已开始评定，并按考核指标计算了得分。", "compute": "已按最新考核指标重新计算。",
                                   "publish": "结果已发布公示。", "fix": "结果已生效。",
                                   "reopen": "已撤回公示，回到评定中。"}[action])
    return redirect("star_board", year=year)


@require_GET
def star_notice(request: HttpRequest, year: int) -> HttpResponse:
    """公示: the published results, readable without login, with no personal data."""
    scheme = get_object_or_404(StarScheme, year=year, status__in=[SchemeStatus.NOTICE, SchemeStatus.FIXED])
    parts = stars.part_maxima(scheme)
    results = StarResult.objects.filter(scheme=scheme).select_related("community", "community__parent")
    return render(request, "evaluation/star_notice.html", {
        "scheme": scheme, "parts": parts, "rows": [(r, [r.parts.get(p, "0") for p in parts]) for r in results],
        "levels": scheme.levels.all(),
    })


# --- 评优 and the case book -----------------------------------------------------------------------
def _year(request: HttpRequest) -> int:
    from django.utils import timezone

    value = parse_id(request.GET.get("year"))
    this = timezone.localdate().year
    if request.GET.get("year") and (value is None or not 2000 <= value <= this + 1):
        messages.error(request, "年度不对，已显示今年。")
        return this
    return value or this


@login_required
def award_list(request: HttpRequest) -> HttpResponse:
    """This year's nominations by award, the form to nominate, and the decisions."""
    scope = _viewer(request)
    year = _year(request)
    errors: dict[str, str] = {}
    if request.method == "POST":
        community = Area.objects.filter(pk=parse_id(request.POST.get("community")), kind=AreaKind.COMMUNITY).first()
        try:
            if community is None:
                raise ActionError("请选择社区。", field="community")
            awards.nominate(actor=request.user, year=parse_id(request.POST.get("year")) or year,
                            kind=request.POST.get("kind", ""), community=community,
                            nominee=request.POST.get("nominee", ""), reason=request.POST.get("reason", ""))
        except ActionError as exc:
            errors[exc.field or "kind"] = exc.message
        else:
            messages.success(request, "已推荐，等待区级评审。")
            return redirect(f"{request.path}?year={year}")
    visible = Nomination.objects.filter(year=year).select_related("community", "community__parent", "nominated_by",
                                                                  "decided_by")
    visible = [n for n in visible if _sees(scope, n.community)]
    communities = [c for c in stars.communities() if awards.may_nominate(scope, c)]
    if request.GET.get("format") == "xlsx":
        return table_xlsx(f"{year}年评优.xlsx", "评优", ["奖项", "街道", "社区", "被推荐人或项目", "主要事迹", "结果", "颁奖词/评审意见"],
                          [[n.get_kind_display(), n.community.parent.name, n.community.name, n.nominee, n.reason,
                            n.get_status_display(), n.citation] for n in visible])
    return render(request, "evaluation/awards.html", {
        "year": year, "groups": awards.grouped(visible), "kinds": awards.kinds(), "communities": communities,
        "errors": errors, "posted": request.POST, "judge": _assessor(scope),
    }, status=400 if errors else 200)


@login_required
@require_POST
def award_decide(request: HttpRequest, pk: int) -> HttpResponse:
    scope = _viewer(request)
    if not _assessor(scope):
        raise Http404
    nomination = get_object_or_404(Nomination, pk=pk)
    try:
        awards.decide(actor=request.user, nomination=nomination, won=request.POST.get("won") == "1",
                      citation=request.POST.get("citation", ""))
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "评审结果已记录。")
    return redirect(f"{reverse('award_list')}?year={nomination.year}")


@require_GET
def award_winners(request: HttpRequest, year: int) -> HttpResponse:
    """获奖名单 with citations, public."""
    return render(request, "evaluation/award_winners.html", {"year": year, "groups": awards.grouped(awards.winners(year))})


@login_required
@require_GET
def case_list(request: HttpRequest) -> HttpResponse:
    scope = _viewer(request)
    year = _year(request)
    tickets, meetings = awards.cases(scope, year)
    if request.GET.get("format") == "docx":
        from urllib.parse import quote

        name = "七里河区" if scope.district or scope.admin else "、".join(scope.unit_names) or "本辖区"
        response = HttpResponse(awards.case_book(scope, year, name),
                                content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document")
        response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(f'{year}年典型案例汇编.docx')}"
        return response
    return render(request, "evaluation/cases.html", {"year": year, "tickets": tickets, "meetings": meetings})
