"""Every write of 主动治理: projects, their links to requests, milestones, and the knowledge base. Each runs in
one transaction, checks who may do it and leaves a ProjectLog row (who, when, what)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from minqing.accounts.models import User
from minqing.accounts.scope import Scope, scope_for
from minqing.lib.errors import ActionError, Conflict, Forbidden
from minqing.meetings.models import Resolution
from minqing.org.models import Area, AreaKind, Unit
from minqing.tickets.models import Category, Ticket

from . import queries
from .models import (
    KnowledgeEntry,
    KnowledgeUse,
    LinkHow,
    Milestone,
    Project,
    ProjectLog,
    ProjectStatus,
    ProjectTicket,
    Source,
    TargetKind,
)

# A request registered less than this long ago may still sit in an uncommitted transaction with a lower id
# than one already seen; the sweep keeps looking at requests this young, so none is passed over.
SETTLE = dt.timedelta(minutes=10)


def _street_of(area: Area | None) -> int | None:
    while area is not None and area.kind not in (AreaKind.STREET, AreaKind.DISTRICT):
        area = area.parent
    return area.pk if area is not None and area.kind == AreaKind.STREET else None


def may_create(scope: Scope) -> bool:
    """District and street officers open projects (a street's only within the street)."""
    return bool(scope.admin or scope.district or scope.street_ids)


def may_update(scope: Scope, project: Project) -> bool:
    """The lead unit keeps the milestones; the district, and whoever opened the project, too."""
    return bool(scope.admin or scope.district or project.lead_unit_id in scope.unit_ids
                or (scope.user is not None and project.created_by_id == scope.user.pk))


def _log(project: Project, actor: User | None, action: str, note: str = "") -> None:
    ProjectLog.objects.create(project=project, actor=actor, action=action, note=note[:300])


def project_create(*, actor: User, title: str, lead_unit: Unit | None, start_date: dt.date | None,
                   deadline: dt.date | None, description: str = "", category: Category | None = None,
                   area: Area | None = None, place: str = "", keywords: str = "", co_units: Iterable[Unit] = (),
                   target_kind: str = TargetKind.VOLUME, target_value: int = 30, baseline_months: int = 3,
                   source: str = Source.MANUAL, source_note: str = "", resolution: Resolution | None = None,
                   tickets: Iterable[Ticket] = (), public: bool = True,
                   milestones: Iterable[tuple[str, dt.date]] = ()) -> Project:
    """Open a 治理专项 and link the requests its definition matches (and the ones it was opened from)."""
    scope = scope_for(actor)
    if not may_create(scope):
        raise Forbidden("只有区、街道干部可以设立治理专项。")
    title = (title or "").strip()
    if not title:
        raise ActionError("请填写专项名称。", field="title")
    if lead_unit is None:
        raise ActionError("请选择牵头单位。", field="lead_unit")
    if start_date is None:
        raise ActionError("请填写启动日期。", field="start_date")
    if deadline is None:
        raise ActionError("请填写完成期限。", field="deadline")
    if deadline <= start_date:
        raise ActionError("完成期限应晚于启动日期。", field="deadline")
    if not (category or place.strip() or queries.words(keywords)):
        raise ActionError("请至少设定事项分类、地点或关键词中的一项，否则全区所有诉求都会算进来。", field="keywords")
    if target_kind not in TargetKind.values:
        raise ActionError("目标只能是诉求量下降或满意率提升。", field="target_kind")
    if not 1 <= int(target_value) <= 100:
        raise ActionError("目标值应在 1 到 100 之间。", field="target_value")
    if not 1 <= int(baseline_months) <= 12:
        raise ActionError("对比基期应在 1 到 12 个月之间。", field="baseline_months")
    if not (scope.admin or scope.district) and _street_of(area) not in scope.street_ids:
        if area is None:
            raise ActionError("街道干部设立专项时，请选择本街道或其下的区域。", field="area")
        raise Forbidden("街道干部只能为本街道范围内的区域设立专项：请选择本街道或其下的社区、网格。")
    co = [u for u in co_units if u.pk != lead_unit.pk]
    with transaction.atomic():
        now = timezone.now()
        project = Project.objects.create(
            title=title[:100], description=description.strip(), category=category, area=area, place=place.strip()[:60],
            keywords=" ".join(queries.words(keywords))[:300], lead_unit=lead_unit, target_kind=target_kind,
            target_value=int(target_value), start_date=start_date, deadline=deadline,
            baseline_months=int(baseline_months), source=source, source_note=source_note[:300],
            resolution=resolution, public=public, created_by=actor, created_at=now, updated_at=now)
        project.co_units.set(co)
        for name, due in milestones:
            if name.strip():
                Milestone.objects.create(project=project, title=name.strip()[:100], due_date=due)
        chosen = [t.pk for t in tickets]
        ProjectTicket.objects.bulk_create([ProjectTicket(project=project, ticket_id=pk, how=LinkHow.SOURCE, linked_at=now)
                                           for pk in chosen], ignore_conflicts=True)
        n = project_link_new(project=project, now=now)
        _log(project, actor, "create", f"立项（{Source(source).label}），关联事项 {n + len(chosen)} 件")
    return project


def project_link_new(*, project: Project, now: dt.datetime | None = None) -> int:
    """Link the matching requests the project has not looked at yet. Returns how many links were added.

    Looks again at everything after `linked_through` (the last id older than SETTLE), so a request whose
    transaction committed late is still found; a link already there is left alone."""
    now = now or timezone.now()
    with transaction.atomic():
        current = Project.objects.select_for_update().get(pk=project.pk)
        if current.status != ProjectStatus.RUNNING:
            return 0
        candidates = queries.matching(current).filter(pk__gt=current.linked_through)
        ids = list(candidates.values_list("pk", flat=True))
        before = ProjectTicket.objects.filter(project=current).count()
        ProjectTicket.objects.bulk_create([ProjectTicket(project=current, ticket_id=pk, linked_at=now) for pk in ids],
                                          ignore_conflicts=True)
        added = ProjectTicket.objects.filter(project=current).count() - before
        # The newest request old enough to have committed, found backwards through the created_at index.
        settled = Ticket.objects.filter(created_at__lt=now - SETTLE).order_by("-created_at").values_list(
            "pk", flat=True).first() or 0
        if settled > current.linked_through:
            Project.objects.filter(pk=current.pk).update(linked_through=settled)
        return added


def _locked(project: Project, scope: Scope, version: int | None = None) -> Project:
    current = Project.objects.select_for_update().get(pk=project.pk)
    if not may_update(scope, current):
        raise Forbidden("只有牵头单位、立项人或区督办可以更新该专项。")
    if version is not None and version != current.version:
        raise Conflict("该专项刚被其他人更新过，请刷新后再试。")
    return current


def milestone_add(*, project: Project, actor: User, title: str, due_date: dt.date | None) -> Milestone:
    title = (title or "").strip()
    if not title:
        raise ActionError("请填写节点内容。", field="title")
    if due_date is None:
        raise ActionError("请填写计划完成日期。", field="due_date")
    with transaction.atomic():
        current = _locked(project, scope_for(actor))
        if current.status != ProjectStatus.RUNNING:
            raise ActionError("专项已结束，不能再添加节点。")
        m = Milestone.objects.create(project=current, title=title[:100], due_date=due_date)
        Project.objects.filter(pk=current.pk).update(updated_at=timezone.now(), version=F("version") + 1)
        _log(current, actor, "milestone_add", f"新增节点：{m.title}（{due_date:%Y-%m-%d}）")
    return m


def milestone_done(*, milestone: Milestone, actor: User, note: str = "") -> Milestone:
    with transaction.atomic():
        current = _locked(milestone.project, scope_for(actor))
        if not Milestone.objects.filter(pk=milestone.pk, project=current, done_at=None).update(
                done_at=timezone.now(), done_note=(note or "").strip()[:300], done_by=actor):
            raise Conflict("该节点已经标记为完成。")
        Project.objects.filter(pk=current.pk).update(updated_at=timezone.now(), version=F("version") + 1)
        _log(current, actor, "milestone_done", f"节点完成：{milestone.title}。{note.strip()}")
    return Milestone.objects.get(pk=milestone.pk)


def project_close(*, project: Project, actor: User, status: str, result: str, version: int | None = None) -> Project:
    """End a project: 已完成 with what it achieved, or 已撤销 with why."""
    if status not in (ProjectStatus.DONE, ProjectStatus.CANCELLED):
        raise ActionError("只能标记为已完成或已撤销。")
    result = (result or "").strip()
    if not result:
        raise ActionError("请写明成效或撤销原因。", field="result")
    with transaction.atomic():
        current = _locked(project, scope_for(actor), version)
        if not Project.objects.filter(pk=current.pk, status=ProjectStatus.RUNNING).update(
                status=status, result=result, updated_at=timezone.now(), version=F("version") + 1):
            raise Conflict("该专项已经结束。")
        _log(current, actor, status, result)
    return Project.objects.get(pk=project.pk)


# --- knowledge base ------------------------------------------------------------------------------
def knowledge_save(*, actor: User, question: str, answer: str, citation: str = "", keywords: str = "",
                   category: Category | None = None, active: bool = True,
                   entry: KnowledgeEntry | None = None) -> KnowledgeEntry:
    """Add an entry, or change one (who and when kept on the entry)."""
    scope = scope_for(actor)
    if not (scope.is_staff or scope.admin):
        raise Forbidden("只有工作人员可以维护知识库。")
    question, answer = (question or "").strip(), (answer or "").strip()
    if not question:
        raise ActionError("请填写常见问题。", field="question")
    if not answer:
        raise ActionError("请填写答复口径。", field="answer")
    now = timezone.now()
    values = {"question": question[:200], "answer": answer, "citation": (citation or "").strip()[:300],
              "keywords": " ".join(queries.words(keywords))[:200], "category": category, "active": active,
              "updated_by": actor, "updated_at": now}
    with transaction.atomic():
        if entry is None:
            return KnowledgeEntry.objects.create(created_by=actor, created_at=now, **values)
        KnowledgeEntry.objects.filter(pk=entry.pk).update(**values)
        return KnowledgeEntry.objects.get(pk=entry.pk)


def knowledge_use(*, entry: KnowledgeEntry, actor: User, where: str, ticket: Ticket | None = None) -> KnowledgeEntry:
    """Count one use of an answer: read to a caller at intake, or taken as a reply's text."""
    if where not in ("intake", "reply"):
        raise ActionError("用途不对。")
    if not entry.active:
        raise ActionError("该条目已停用。")
    with transaction.atomic():
        KnowledgeUse.objects.create(entry=entry, user=actor, ticket=ticket, where=where)
        KnowledgeEntry.objects.filter(pk=entry.pk).update(uses=F("uses") + 1)
    return KnowledgeEntry.objects.get(pk=entry.pk)
