"""星级评定 pages: schemes and their history, a year's board, a community's card, the public notice."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from minqing.accounts.scope import Scope, scope_for
from minqing.org.models import Area, AreaKind
from minqing.tickets.actions import ActionError

from . import stars
from .models import IndicatorSource, SchemeStatus, StarResult, StarScheme, StarScore


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
    return render(request, "evaluation/star_board.html", {
        "scheme": scheme, "parts": parts, "rows": [r for r in rows if _sees(scope, r[0])],
        "assessor": _assessor(scope), "levels": scheme.levels.all(), "events": scheme.events.order_by("-created_at")[:30],
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
        indicator = scheme.indicators.filter(pk=request.POST.get("indicator") or 0).first()
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
