"""星级评定: a year's scheme goes draft → assessing → notice (公示) → fixed.

While assessing, formula indicators are computed from the year's metrics for each community and
assessors enter the manual ones with evidence; publishing snapshots the results for a public notice
period; after it, the results are fixed. Every step is a StarEvent (who, when, why).

Levels: a community gets the highest number of stars whose thresholds it meets — every part (星) at
least `min_part` points and the total at least `min_total` (domain default for five stars: 80 / 450).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from minqing.accounts.models import User
from minqing.accounts.scope import scope_for
from minqing.lib.errors import ActionError, Conflict, Forbidden
from minqing.lib.uploads import UploadError, prepare_document
from minqing.lib.validation import clean_text
from minqing.org.models import Area, AreaKind

from .figures import Figures, figures, period_of
from .formula import FORMULA_NAMES, FormulaError, calculate
from .models import (
    SCHEME_STEPS,
    Indicator,
    IndicatorSource,
    SchemeStatus,
    StarEvent,
    StarLevel,
    StarResult,
    StarScheme,
    StarScore,
)


def evaluate(formula: str, f: Figures) -> float:
    """The formula's result for a community's figures (formula.calculate)."""
    return calculate(formula, {name: f.metric(name) for name in FORMULA_NAMES.values()})


def _points(value: float, indicator: Indicator) -> Decimal:
    return (Decimal(str(value)) * indicator.max_score).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def communities() -> list[Area]:
    return list(Area.objects.filter(kind=AreaKind.COMMUNITY).select_related("parent").order_by("code"))


# --- results ----------------------------------------------------------------------------------------
@dataclass
class Card:
    community: Area
    parts: dict[str, Decimal]
    total: Decimal
    stars: int
    missing: int  # manual indicators not yet scored
    rank: int = 0


def part_maxima(scheme: StarScheme) -> dict[str, Decimal]:
    out: dict[str, Decimal] = defaultdict(Decimal)
    for i in scheme.indicators.all():
        out[i.part] += i.max_score * i.weight
    return dict(out)


def stars_for(parts: dict[str, Decimal], total: Decimal, levels: list[StarLevel]) -> int:
    for level in sorted(levels, key=lambda lv: -lv.stars):
        if parts and all(v >= level.min_part for v in parts.values()) and total >= level.min_total:
            return level.stars
    return 0


def cards(scheme: StarScheme) -> list[Card]:
    """Every community's scores as they stand now, ranked by total."""
    indicators = list(scheme.indicators.all())
    levels = list(scheme.levels.all())
    scores: dict[tuple[int, int], StarScore] = {(s.community_id, s.indicator_id): s for s in scheme.scores.all()}
    out = []
    for c in communities():
        parts: dict[str, Decimal] = {i.part: Decimal(0) for i in indicators}
        missing = 0
        for i in indicators:
            s = scores.get((c.pk, i.pk))
            if s is None:
                missing += i.source == IndicatorSource.MANUAL
                continue
            parts[i.part] += s.points * i.weight
        parts = {k: v.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP) for k, v in parts.items()}
        total = sum(parts.values(), Decimal(0))
        out.append(Card(c, parts, total, stars_for(parts, total, levels), missing))
    out.sort(key=lambda card: (-card.total, card.community.code))
    for n, card in enumerate(out, start=1):
        card.rank = n
    return out


# --- actions ----------------------------------------------------------------------------------------
def _assessor(actor: User) -> None:
    scope = scope_for(actor)
    if not (scope.district or scope.admin):
        raise Forbidden("只有区级评审人员可以进行星级评定。")


def _log(scheme: StarScheme, action: str, actor: User | None, note: str = "", **data: Any) -> None:
    StarEvent.objects.create(scheme=scheme, action=action, actor=actor,
                             actor_label=(actor.full_name or actor.username) if actor else "系统", note=note,
                             data=data, created_at=timezone.now())


def _move(scheme: StarScheme, step: str, **changes: Any) -> StarScheme:
    """Take a step of SCHEME_STEPS: a guarded update from its status to its target."""
    _, frm, to = SCHEME_STEPS[step]
    if not StarScheme.objects.filter(pk=scheme.pk, status=frm).update(status=to, **changes):
        current = StarScheme.objects.get(pk=scheme.pk)
        raise Conflict(f"{scheme}当前为“{current.get_status_display()}”，不能进行此操作。请刷新页面。")
    return StarScheme.objects.get(pk=scheme.pk)


def scheme_start(*, scheme: StarScheme, actor: User) -> StarScheme:
    _assessor(actor)
    if not scheme.indicators.exists() or not scheme.levels.exists():
        raise ActionError("方案还没有评定指标或星级门槛，请先在系统管理中补全。")
    with transaction.atomic():
        scheme = _move(scheme, "start")
        _log(scheme, "start", actor, "开始评定")
        compute(scheme=scheme, actor=actor)
    return scheme


def compute(*, scheme: StarScheme, actor: User) -> int:
    """Score every formula indicator of every community from the scheme year's metrics."""
    _assessor(actor)
    period = period_of("year", dt.date(scheme.year, 1, 1))
    formulas = list(scheme.indicators.filter(source=IndicatorSource.FORMULA))
    now = timezone.now()
    n = 0
    with transaction.atomic():
        if StarScheme.objects.select_for_update().get(pk=scheme.pk).status != SchemeStatus.ASSESSING:
            raise Conflict("只有评定中的方案可以重新计算。")
        for c in communities():
            f = figures({"community": c.pk}, period, median=False)
            for i in formulas:
                try:
                    value = evaluate(i.formula, f)
                except FormulaError as exc:
                    raise ActionError(f"{c.name}的“{i}”无法计算：{exc}请修改公式。") from exc
                StarScore.objects.update_or_create(
                    community=c, indicator=i,
                    defaults={"scheme": scheme, "points": _points(value, i), "value": value, "entered_by": actor,
                              "entered_at": now, "note": f"按{scheme.year}年考核指标计算"})
                n += 1
        _log(scheme, "compute", actor, f"按考核指标计算 {n} 项得分")
    return n


def score_enter(*, scheme: StarScheme, community: Area, indicator: Indicator, points: Any, note: str,
                evidence: Any, actor: User) -> StarScore:
    """An assessor's score on a manual indicator, with the reason and (new or kept) evidence."""
    _assessor(actor)
    if indicator.scheme_id != scheme.pk or indicator.source != IndicatorSource.MANUAL:
        raise ActionError("该指标不是本方案的评审录入指标。", field="points")
    try:
        value = Decimal(str(points).strip())
    except ArithmeticError as exc:
        raise ActionError("得分必须是数字。", field="points") from exc
    if not value.is_finite() or value < 0 or value > indicator.max_score:
        raise ActionError(f"得分必须在 0 到 {indicator.max_score} 之间。", field="points")
    note = (note or "").strip()
    if not note:
        raise ActionError("请写明评分理由。", field="note")
    if len(note) > 500:
        raise ActionError("评分理由最多 500 字。", field="note")
    upload = None
    if evidence:
        try:
            name, content, _ = prepare_document(evidence)
        except UploadError as exc:
            raise ActionError(str(exc), field="evidence") from exc
        upload = (name, content)
    with transaction.atomic():
        if StarScheme.objects.select_for_update().get(pk=scheme.pk).status != SchemeStatus.ASSESSING:
            raise Conflict("方案不在评定中，不能录入得分。")
        current = StarScore.objects.select_for_update().filter(community=community, indicator=indicator).first()
        if upload is None and (current is None or not current.evidence):
            raise ActionError("请上传佐证材料（照片或 PDF）。", field="evidence")
        score = current or StarScore(scheme=scheme, community=community, indicator=indicator)
        score.points, score.note, score.entered_by, score.entered_at = value.quantize(Decimal("0.1")), note, actor, timezone.now()
        if upload is not None:
            score.evidence_name = upload[0][:200]
            score.evidence.save(upload[1].name, upload[1], save=False)
        score.value = None
        score.save()
        _log(scheme, "score", actor, note, community=community.name, indicator=str(indicator), points=str(score.points))
    return score


def publish(*, scheme: StarScheme, actor: User) -> StarScheme:
    """Compute the formulas once more, snapshot the results and put them on public notice."""
    _assessor(actor)
    compute(scheme=scheme, actor=actor)
    with transaction.atomic():
        results = cards(StarScheme.objects.get(pk=scheme.pk))
        missing = sum(c.missing for c in results)
        if missing:
            raise ActionError(f"还有 {missing} 项评审录入指标没有打分，不能发布公示。")
        now = timezone.now()
        scheme = _move(scheme, "publish", notice_from=now,
                       notice_until=now + dt.timedelta(days=scheme.notice_days))
        StarResult.objects.filter(scheme=scheme).delete()
        StarResult.objects.bulk_create([
            StarResult(scheme=scheme, community=c.community, parts={k: str(v) for k, v in c.parts.items()},
                       total=c.total, stars=c.stars, rank=c.rank) for c in results])
        _log(scheme, "publish", actor, f"发布公示，至 {timezone.localtime(scheme.notice_until):%Y-%m-%d %H:%M}",
             results={c.community.name: c.stars for c in results})
    return scheme


def reopen(*, scheme: StarScheme, actor: User, reason: str) -> StarScheme:
    """An objection during the notice period upheld: back to assessing, with the reason on record."""
    _assessor(actor)
    reason = clean_text(reason, field="reason", label="撤回公示、重新评定的理由", max_length=1000)
    with transaction.atomic():
        scheme = _move(scheme, "reopen", notice_from=None, notice_until=None)
        StarResult.objects.filter(scheme=scheme).delete()
        _log(scheme, "reopen", actor, reason)
    return scheme


def fix(*, scheme: StarScheme, actor: User) -> StarScheme:
    """After the notice period the published results take effect and can no longer change."""
    _assessor(actor)
    if scheme.notice_until and timezone.now() < scheme.notice_until:
        raise ActionError(f"公示期到 {timezone.localtime(scheme.notice_until):%Y-%m-%d %H:%M} 才结束，结束后才能确认生效。")
    with transaction.atomic():
        scheme = _move(scheme, "fix", fixed_at=timezone.now())
        _log(scheme, "fix", actor, "公示期满，结果生效")
    return scheme


def history() -> tuple[list[int], list[tuple[Area, list[tuple[int | None, int | None]]]]]:
    """Stars per community per fixed year, each with the change from the fixed year before."""
    fixed = list(StarScheme.objects.filter(status=SchemeStatus.FIXED).order_by("year"))
    results = {(r.scheme_id, r.community_id): r.stars for r in StarResult.objects.filter(scheme__in=fixed)}
    rows = []
    for c in communities():
        cells, before = [], None
        for s in fixed:
            stars = results.get((s.pk, c.pk))
            cells.append((stars, None if stars is None or before is None else stars - before))
            before = stars if stars is not None else before
        rows.append((c, cells))
    return [s.year for s in fixed], rows


# --- a starting scheme --------------------------------------------------------------------------------
DEFAULT_PARTS = [
    ("服务群众星", [("诉求响应", "formula", 30, "响应率", ""), ("按期办结", "formula", 30, "按期办结率", ""),
                   ("群众满意", "formula", 40, "满意率", "")]),
    ("党建引领星", [("党组织建设", "manual", 50, "", "组织健全、活动经常，查阅会议记录与台账"),
                   ("双报到服务", "manual", 50, "", "在职党员报到、认领微心愿的情况")]),
    ("民主自治星", [("议事协商", "manual", 60, "", "居民说事、协商议事的开展与决议落实"),
                   ("居务公开", "manual", 40, "", "公开栏、公示按时更新")]),
    ("平安建设星", [("矛盾化解", "manual", 50, "", "矛盾纠纷排查调处台账"),
                   ("问题解决", "formula", 50, "解决率", "")]),
    ("文明和谐星", [("志愿服务", "manual", 50, "", "志愿服务队伍与活动记录"),
                   ("文明创建", "manual", 50, "", "文明楼院、好人好事评选")]),
]
DEFAULT_LEVELS = [(5, 80, 450), (4, 75, 400), (3, 70, 350), (2, 60, 300), (1, 50, 250)]


def default_scheme(year: int) -> StarScheme:
    """Five stars of 100 points each, as domain.md §8 describes; admins adjust it before starting."""
    scheme = StarScheme.objects.create(year=year, name="社区星级评定")
    sort = 0
    for part, items in DEFAULT_PARTS:
        for name, source, max_score, formula, guidance in items:
            Indicator.objects.create(scheme=scheme, part=part, name=name, max_score=max_score, source=source,
                                     formula=formula, guidance=guidance, sort=sort)
            sort += 1
    for stars_, min_part, min_total in DEFAULT_LEVELS:
        StarLevel.objects.create(scheme=scheme, stars=stars_, min_part=min_part, min_total=min_total)
    return scheme
