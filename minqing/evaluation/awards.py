"""评优 (党建载体创新奖、示范社区、优秀社区书记) and the yearly case book (案例汇编).

Street officers and district staff nominate communities of their scope; district staff decide, with a
citation for the winners. The case book is a .docx made from the requests and meetings marked as
exemplary in the year — from the summaries written for publication, never the residents' own words,
names or phone numbers.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from docx import Document
from docx.shared import Pt

from minqing.accounts.models import User
from minqing.accounts.scope import Scope, scope_for
from minqing.lib.errors import ActionError, Conflict, Forbidden
from minqing.meetings.models import Meeting
from minqing.org.models import Area, AreaKind
from minqing.tickets.lifecycle import Status, event_label
from minqing.tickets.models import Ticket

from .models import AwardKind, Nomination, NominationStatus


def _text(value: str, label: str, field: str, *, least: int, most: int) -> str:
    value = (value or "").strip()
    if len(value) < least:
        raise ActionError(f"请填写{label}（至少 {least} 个字）。", field=field)
    if len(value) > most:
        raise ActionError(f"{label}最多 {most} 字。", field=field)
    return value


def may_nominate(scope: Scope, community: Area) -> bool:
    return scope.district or scope.admin or community.parent_id in scope.street_ids


def nominate(*, actor: User, year: int, kind: str, community: Area, nominee: str, reason: str) -> Nomination:
    scope = scope_for(actor)
    if kind not in AwardKind.values:
        raise ActionError("请选择奖项。", field="kind")
    if community.kind != AreaKind.COMMUNITY:
        raise ActionError("请选择社区。", field="community")
    if not may_nominate(scope, community):
        raise Forbidden(f"{community.name}不在您的推荐范围内。", field="community")
    this_year = timezone.localdate().year
    if not this_year - 1 <= year <= this_year + 1:
        raise ActionError(f"只能推荐 {this_year - 1}～{this_year + 1} 年度的奖项。", field="year")
    nominee = (nominee or "").strip()
    if kind in {AwardKind.SECRETARY, AwardKind.INNOVATION} and not nominee:
        raise ActionError("优秀社区书记请填写姓名，党建载体创新奖请填写项目名称。", field="nominee")
    if len(nominee) > 60:
        raise ActionError("被推荐人或项目最多 60 字。", field="nominee")
    reason = _text(reason, "主要事迹", "reason", least=20, most=3000)
    try:
        with transaction.atomic():
            return Nomination.objects.create(year=year, kind=kind, community=community, nominee=nominee, reason=reason,
                                             nominated_by=actor, nominated_at=timezone.now())
    except IntegrityError as exc:
        raise ActionError("该社区已经推荐过这个奖项了。", field="nominee") from exc


def decide(*, actor: User, nomination: Nomination, won: bool, citation: str) -> Nomination:
    scope = scope_for(actor)
    if not (scope.district or scope.admin):
        raise Forbidden("只有区级评审可以评定获奖。")
    citation = _text(citation, "颁奖词" if won else "评审意见", "citation", least=10 if won else 2, most=2000)
    status = NominationStatus.WON if won else NominationStatus.NOT_WON
    if not Nomination.objects.filter(pk=nomination.pk, status=NominationStatus.NOMINATED).update(
            status=status, citation=citation, decided_by=actor, decided_at=timezone.now()):
        raise Conflict("该推荐已经评审过了。")
    return Nomination.objects.get(pk=nomination.pk)


# --- the case book --------------------------------------------------------------------------------
def _area_q(scope: Scope, prefix: str = "") -> Q:
    if scope.district or scope.admin:
        return Q()
    q = Q(**{f"{prefix}street_id__in": scope.street_ids}) | Q(**{f"{prefix}community_id__in": scope.community_ids})
    return q


def cases(scope: Scope, year: int) -> tuple[list[Ticket], list[Meeting]]:
    """The year's exemplary requests (closed that year) and meetings (held that year) in the viewer's scope."""
    tickets = list(Ticket.objects.filter(_area_q(scope), exemplary=True, status=Status.CLOSED, closed_at__year=year)
                   .select_related("category", "community", "street").order_by("closed_at"))
    meetings = list(Meeting.objects.filter(_area_q(scope), exemplary=True, starts_at__year=year)
                    .select_related("community", "street", "convener").order_by("starts_at"))
    return tickets, meetings


def _summary(ticket: Ticket) -> str:
    return ticket.events.filter(action="exemplary").order_by("-created_at", "-id").values_list("note", flat=True).first() or ""


def _day(value: dt.datetime | None) -> str:
    return f"{timezone.localtime(value):%Y年%-m月%-d日}" if value else ""


def case_book(scope: Scope, year: int, title_scope: str) -> bytes:
    """案例汇编 as a Word document: a foreword with the counts, then one section per case."""
    tickets, meetings = cases(scope, year)
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "SimSun"
    style.font.size = Pt(11)
    style.element.rPr.rFonts.set("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia", "宋体")
    doc.add_heading(f"{title_scope}{year}年民情工作典型案例汇编", level=0)
    doc.add_paragraph(f"本汇编收录{year}年办结的典型民情事项 {len(tickets)} 件、议事协商典型案例 {len(meetings)} 件，"
                      f"由民情流水线根据办理记录生成（{timezone.localdate():%Y-%m-%d}）。案例中不含群众个人信息。")
    n = 0
    if tickets:
        doc.add_heading("一、民情事项办理案例", level=1)
    for t in tickets:
        n += 1
        # Titles are often the resident's own words: the heading is the place and the kind of matter.
        doc.add_heading(f"案例{n}：{t.community.name}{t.category.name}", level=2)
        doc.add_paragraph(f"{t.street.name}{t.community.name} · {t.category} · 登记于{_day(t.created_at)}，"
                          f"结案于{_day(t.closed_at)}")
        doc.add_paragraph(_summary(t))
        steps = t.events.filter(action__in=["create", "accept", "dispatch", "redispatch", "escalate", "sign",
                                            "resolve", "resolve_on_spot", "agenda", "meeting_resolution", "close"]
                                ).select_related("actor_unit", "to_unit").order_by("created_at", "id")
        doc.add_paragraph("办理过程：", style=None).runs[0].bold = True
        for e in steps:
            unit = e.to_unit or e.actor_unit
            doc.add_paragraph(f"{_day(e.created_at)} {event_label(e.action)}{f'（{unit.name}）' if unit else ''}",
                              style="List Bullet")
        doc.add_paragraph(f"办理结果：{t.result}")
        doc.add_paragraph(f"群众评价：{t.get_satisfaction_display() or '—'}"
                          + (f"（经 {t.rework_count} 次返工）" if t.rework_count else ""))
    if meetings:
        doc.add_heading(f"{'二' if tickets else '一'}、议事协商案例", level=1)
    for m in meetings:
        n += 1
        doc.add_heading(f"案例{n}：{m.topic}", level=2)
        where = f"{m.street.name}{m.community.name if m.community else ''}"
        doc.add_paragraph(f"{where} · {m.get_kind_display()} · {_day(m.starts_at)} · 召集：{m.convener.name}"
                          f" · 到会 {m.present} 人")
        for item in m.agenda.all():
            doc.add_paragraph(f"议题：{item.title}" + (f"。讨论：{item.discussion}" if item.discussion else ""),
                              style="List Bullet")
        for motion in m.motions.all():
            doc.add_paragraph(f"表决：{motion.text}（赞成 {motion.votes_for}、反对 {motion.votes_against}、"
                              f"弃权 {motion.votes_abstain}，{'通过' if motion.passed else '未通过'}）", style="List Bullet")
        for r in m.resolutions.select_related("owner"):
            done = f"已于{_day(r.done_at)}完成：{r.done_note}" if r.done_at else f"限 {r.due_date:%Y-%m-%d} 前完成"
            doc.add_paragraph(f"决议：{r.text}（责任单位：{r.owner.name}；{done}）", style="List Bullet")
    if not n:
        doc.add_paragraph("本年度尚未评出典型案例。")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def winners(year: int) -> list[Nomination]:
    return list(Nomination.objects.filter(year=year, status=NominationStatus.WON).select_related(
        "community", "community__parent").order_by("kind", "community__code"))


def kinds() -> list[tuple[str, str]]:
    return list(AwardKind.choices)


def grouped(qs: Any) -> list[tuple[str, list[Nomination]]]:
    by: dict[str, list[Nomination]] = {k: [] for k in AwardKind.values}
    for n in qs:
        by[n.kind].append(n)
    return [(AwardKind(k).label, v) for k, v in by.items()]
