"""Every write of the red matrix and the two-way lists: checked, in one transaction, recorded."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone

from minqing.accounts.models import User
from minqing.accounts.queries import unit_staff
from minqing.accounts.scope import Scope, scope_for
from minqing.lib import uploads
from minqing.lib.errors import ActionError, Conflict, Forbidden
from minqing.lib.validation import clean_text, normalize_phone
from minqing.lib.xlsx import TableError, read_table
from minqing.notifications.actions import notify
from minqing.org.models import Area, AreaKind, PartyOrganisation, PartyOrgKind, Seat, Unit, UnitKind
from minqing.tickets.lifecycle import Status
from minqing.tickets.models import Brand, Category, Ticket

from . import queries
from .models import (
    WISH_STEPS,
    Agreement,
    Need,
    NeedSource,
    NeedStatus,
    PartyMember,
    Priority,
    Project,
    ProjectEvent,
    ProjectState,
    Resource,
    ResourceKind,
    Wish,
    WishState,
)


def _label(actor: User) -> str:
    return actor.full_name or actor.username


def _community(area: Area) -> Area:
    chain = area.ancestors()
    if AreaKind.COMMUNITY not in chain:
        raise ActionError("请选到社区（可继续选网格、小区）。", field="area")
    return chain[AreaKind.COMMUNITY]


def _scope(actor: User) -> Scope:
    scope = scope_for(actor)
    if not scope.is_staff:
        raise Forbidden("您的账号没有这项权限。")
    return scope


# --- needs -------------------------------------------------------------------------------------
def need_create(
    *, actor: User, area: Area, title: str, brand: str, description: str = "", households: int = 0,
    source: str = NeedSource.VISIT, priority: str = Priority.NORMAL,
) -> Need:
    community = _community(area)
    if community.pk not in queries._communities(_scope(actor)):
        raise Forbidden(f"{community.name}不在您的工作范围内：需求由本社区登记。", field="area")
    if brand not in Brand.values:
        raise ActionError("请选择服务品牌。", field="brand")
    if source not in NeedSource.values:
        raise ActionError("请选择需求来源。", field="source")
    if priority not in Priority.values:
        raise ActionError("请选择优先级。", field="priority")
    if households < 0 or households > 1_000_000:
        raise ActionError("涉及户数应在 0 到 1,000,000 之间。", field="households")
    return Need.objects.create(
        community=community, area=area, title=clean_text(title, field="title", label="需求", max_length=120),
        description=clean_text(description, field="description", label="具体情况", max_length=2000, required=False),
        brand=brand, households=households, source=source, priority=priority, created_by=actor)


def needs_from_hotspots(*, actor: User, community: Area, days: int = 90, at_least: int = 3,
                        satisfied_below: float = 0.8) -> list[Need]:
    """Frequent, low-satisfaction requests become needs: categories with `at_least` requests in the
    community in `days` days whose share of satisfied callbacks is below `satisfied_below`."""
    if community.pk not in queries._communities(_scope(actor)):
        raise Forbidden(f"{community.name}不在您的工作范围内。")
    since = timezone.now() - dt.timedelta(days=days)
    rows = (Ticket.objects.filter(community=community, created_at__gte=since).exclude(status=Status.MERGED)
            .values("category").annotate(n=Count("pk"), rated=Count("pk", filter=~Q(satisfaction="")),
                                         happy=Count("pk", filter=Q(satisfaction__in=["satisfied", "basic"])))
            .filter(n__gte=at_least))
    made = []
    categories = {c.pk: c for c in Category.objects.select_related("parent")}
    with transaction.atomic():
        for row in rows:
            share = row["happy"] / row["rated"] if row["rated"] else 0.0
            if share >= satisfied_below:
                continue
            category = categories[row["category"]]
            title = f"{category.name}（近{days}天 {row['n']} 件，满意 {share:.0%}）"
            if Need.objects.filter(community=community, source=NeedSource.HOTSPOT, title__startswith=category.name,
                                   status=NeedStatus.OPEN).exists():
                continue
            made.append(Need.objects.create(
                community=community, area=community, title=title[:120], brand=category.parent.brand or Brand.URBAN,
                description=f"由诉求统计生成：{category.parent.name} / {category.name} 近 {days} 天反映 {row['n']} 件，"
                            f"回访满意（含基本满意）占 {share:.0%}，需要引入资源系统解决。",
                households=row["n"], source=NeedSource.HOTSPOT, priority=Priority.HIGH, created_by=actor))
    return made


def need_close(*, actor: User, need: Need) -> Need:
    if not queries.may_edit_need(_scope(actor), need):
        raise Forbidden("只有需求所在社区可以关闭需求。")
    if not Need.objects.filter(pk=need.pk, status__in=[NeedStatus.OPEN, NeedStatus.MATCHED]).update(
            status=NeedStatus.CLOSED):
        raise ActionError("该需求已完成或已关闭。")
    need.status = NeedStatus.CLOSED
    return need


# --- resources -----------------------------------------------------------------------------------
def resource_create(
    *, actor: User, unit: Unit, kind: str, title: str, brand: str, capacity: int, areas: list[Area],
    available_from: dt.date, available_until: dt.date | None = None, description: str = "", unit_label: str = "次",
) -> Resource:
    if unit.pk not in _scope(actor).unit_ids:
        raise Forbidden(f"您不是{unit}的工作人员：资源由提供单位自己登记。", field="unit")
    if kind not in ResourceKind.values:
        raise ActionError("请选择资源类型。", field="kind")
    if brand not in Brand.values:
        raise ActionError("请选择服务品牌。", field="brand")
    if capacity is None or capacity < 1 or capacity > 100_000_000:
        raise ActionError("可提供数量应是正整数。", field="capacity")
    if available_until is not None and available_until < available_from:
        raise ActionError("可用结束日期不能早于开始日期。", field="available_until")
    if not areas or any(a.kind not in {AreaKind.DISTRICT, AreaKind.STREET, AreaKind.COMMUNITY} for a in areas):
        raise ActionError("请选择服务范围（全区、街道或社区）。", field="areas")
    with transaction.atomic():
        r = Resource.objects.create(
            unit=unit, kind=kind, title=clean_text(title, field="title", label="资源", max_length=120), brand=brand,
            description=clean_text(description, field="description", label="说明", max_length=2000, required=False),
            capacity=capacity, unit_label=clean_text(unit_label, field="unit_label", label="数量单位", max_length=10),
            available_from=available_from, available_until=available_until, created_by=actor)
        r.areas.set(areas)
    return r


def resource_update(*, actor: User, resource: Resource, **fields: object) -> Resource:
    """The unit edits its own offer. Capacity cannot drop below what projects already use."""
    if resource.unit_id not in _scope(actor).unit_ids:
        raise Forbidden("只有提供单位可以修改自己的资源。")
    with transaction.atomic():
        locked = Resource.objects.select_for_update().get(pk=resource.pk)
        used = locked.capacity - queries.remaining(locked)
        capacity = fields.get("capacity", locked.capacity)
        if capacity is None or capacity < max(used, 1):
            raise ActionError(f"已有项目占用 {used} {locked.unit_label}，可提供数量不能少于 {max(used, 1)}。", field="capacity")
        areas = fields.pop("areas", None)
        for name in ["kind", "title", "brand", "capacity", "unit_label", "available_from", "available_until",
                     "description", "active"]:
            if name in fields:
                setattr(locked, name, fields[name])
        if locked.kind not in ResourceKind.values or locked.brand not in Brand.values:
            raise ActionError("请选择资源类型和服务品牌。", field="kind")
        if locked.available_until is not None and locked.available_until < locked.available_from:
            raise ActionError("可用结束日期不能早于开始日期。", field="available_until")
        locked.title = clean_text(locked.title, field="title", label="资源", max_length=120)
        locked.save()
        if areas is not None:
            if not areas:
                raise ActionError("请选择服务范围（全区、街道或社区）。", field="areas")
            locked.areas.set(areas)
    return locked


def need_update(*, actor: User, need: Need, **fields: object) -> Need:
    """The community edits its own need while no project has started on it."""
    if not queries.may_edit_need(_scope(actor), need):
        raise Forbidden("只有需求所在社区可以修改需求。")
    for name in ["title", "brand", "description", "households", "source", "priority"]:
        if name in fields:
            setattr(need, name, fields[name])
    if need.brand not in Brand.values or need.source not in NeedSource.values or need.priority not in Priority.values:
        raise ActionError("请选择服务品牌、来源和优先级。", field="brand")
    need.title = clean_text(need.title, field="title", label="需求", max_length=120)
    need.description = clean_text(need.description, field="description", label="具体情况", max_length=2000, required=False)
    if "area" in fields:
        area = fields["area"]
        if _community(area).pk != need.community_id:
            raise ActionError("需求不能改到别的社区。", field="area")
        need.area = area
    need.save()
    return need


# --- projects ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Step:
    label: str
    source: str
    target: str
    by: str  # "unit": the unit taking the project on; "coordinator": the need's community, its street, the district


# THE project state machine: proposed → claimed → agreed → in_progress → done → evaluated, no skipping.
STEPS = {
    "claim": Step("揭榜承接", ProjectState.PROPOSED, ProjectState.CLAIMED, "unit"),
    "agree": Step("确认对接", ProjectState.CLAIMED, ProjectState.AGREED, "coordinator"),
    "start": Step("开始实施", ProjectState.AGREED, ProjectState.IN_PROGRESS, "unit"),
    "finish": Step("完成", ProjectState.IN_PROGRESS, ProjectState.DONE, "unit"),
    "evaluate": Step("评价", ProjectState.DONE, ProjectState.EVALUATED, "coordinator"),
}


def allowed_steps(scope: Scope, project: Project) -> list[str]:
    return [name for name, s in STEPS.items() if s.source == project.state and _may(scope, project, s.by)]


def _may(scope: Scope, project: Project, by: str) -> bool:
    if by == "unit":
        return project.unit_id in scope.unit_ids
    return queries.may_coordinate(scope, project.need)


def _event(project: Project, action: str, frm: str, to: str, actor: User, note: str = "") -> None:
    ProjectEvent.objects.create(project=project, action=action, from_state=frm, to_state=to, actor=actor,
                                actor_label=_label(actor), note=note)


def _reserve(resource: Resource | None, quantity: int) -> None:
    """Capacity check under the resource's row lock, so two projects cannot both take the last of it."""
    if resource is None:
        if quantity:
            raise ActionError("没有选择资源时，占用数量应为 0。", field="quantity")
        return
    locked = Resource.objects.select_for_update().get(pk=resource.pk)
    if not locked.active:
        raise ActionError(f"资源“{locked.title}”已下架。", field="resource")
    if quantity < 1:
        raise ActionError("请填写占用资源的数量（至少 1）。", field="quantity")
    left = queries.remaining(locked)
    if quantity > left:
        raise ActionError(f"资源“{locked.title}”只剩 {left} {locked.unit_label}，不够 {quantity} {locked.unit_label}。",
                          field="quantity")


def project_propose(*, actor: User, need: Need, resource: Resource, quantity: int, title: str = "",
                    note: str = "") -> Project:
    """The community, the street or a joint meeting turns a match into a project (拟对接)."""
    if not queries.may_coordinate(_scope(actor), need):
        raise Forbidden("只有需求所在社区、街道或区里可以发起对接。")
    return _new_project(actor=actor, need=need, resource=resource, unit=resource.unit, quantity=quantity,
                        title=title, note=note, claim=False)


def project_volunteer(*, actor: User, need: Need, unit: Unit, resource: Resource | None = None, quantity: int = 0,
                      note: str = "") -> Project:
    """A unit volunteers for a listed need (揭榜): the project starts proposed and is claimed at once."""
    scope = _scope(actor)
    if unit.pk not in scope.unit_ids:
        raise Forbidden(f"您不是{unit}的工作人员。", field="unit")
    if unit.is_coordinating:
        raise ActionError("揭榜由驻区单位、社会组织、物业等承接单位进行；社区和街道请用“发起对接”。", field="unit")
    if not queries.needs_for(scope).filter(pk=need.pk).exists():
        raise Forbidden("该需求不在您能看到的范围内。")
    if resource is not None and resource.unit_id != unit.pk:
        raise ActionError("只能用本单位的资源揭榜。", field="resource")
    return _new_project(actor=actor, need=need, resource=resource, unit=unit, quantity=quantity, title="",
                        note=note, claim=True)


def _new_project(*, actor: User, need: Need, resource: Resource | None, unit: Unit, quantity: int, title: str,
                 note: str, claim: bool) -> Project:
    title = clean_text(title, field="title", label="项目名称", max_length=120, required=False) or need.title
    note = clean_text(note, field="note", label="说明", max_length=1000, required=False)
    with transaction.atomic():
        current = Need.objects.select_for_update().get(pk=need.pk)
        if current.status in {NeedStatus.DONE, NeedStatus.CLOSED}:
            raise ActionError(f"需求“{current.title}”已{current.get_status_display()}。")
        _reserve(resource, quantity)
        now = timezone.now()
        project = Project.objects.create(need=current, resource=resource, unit=unit, title=title, quantity=quantity,
                                         state=ProjectState.PROPOSED, created_at=now, updated_at=now)
        _event(project, "propose" if not claim else "volunteer", "", ProjectState.PROPOSED, actor, note)
        if claim:
            Project.objects.filter(pk=project.pk).update(state=ProjectState.CLAIMED, version=1)
            _event(project, "claim", ProjectState.PROPOSED, ProjectState.CLAIMED, actor, "揭榜")
            project.state, project.version = ProjectState.CLAIMED, 1
        Need.objects.filter(pk=current.pk, status=NeedStatus.OPEN).update(status=NeedStatus.MATCHED)
        people = unit_staff([unit]) if not claim else unit_staff(
            [u for u in Unit.objects.filter(kind=UnitKind.COMMUNITY_OFFICE, area=current.community)])
        notify(recipients=[p for p in people if p.pk != actor.pk], kind="project",
               title=f"{'新的对接项目' if not claim else '单位揭榜'}：{title}", body=current.title, url=f"/lists/projects/{project.pk}/")
    return project


def project_step(*, actor: User, project: Project, action: str, note: str = "", hours: Decimal | None = None,
                 rating: int | None = None, expected_version: int | None = None) -> Project:
    step = STEPS.get(action)
    if step is None:
        raise ActionError("没有这个操作。")
    note = clean_text(note, field="note", label="说明", max_length=2000, required=action == "evaluate")
    with transaction.atomic():
        current = Project.objects.select_related("need", "need__community").get(pk=project.pk)
        if current.state != step.source:
            raise ActionError(f"项目现在是“{current.get_state_display()}”，不能“{step.label}”（项目须依次经过"
                              f"拟对接→已揭榜→已商定→实施中→已完成→已评价）。")
        if not _may(_scope(actor), current, step.by):
            raise Forbidden(f"“{step.label}”由{'承接单位' if step.by == 'unit' else '需求所在社区或街道'}操作。")
        version = current.version if expected_version is None else expected_version
        changes: dict = {"state": step.target, "version": current.version + 1, "updated_at": timezone.now()}
        if action == "finish":
            if hours is None or hours < 0 or hours > 100_000:
                raise ActionError("请填写服务时长（小时）。", field="hours")
            changes["hours"] = hours
        if action == "evaluate":
            if rating not in {1, 2, 3, 4, 5}:
                raise ActionError("请给出 1 到 5 分的评价。", field="rating")
            changes.update(rating=rating, evaluation=note)
        if not Project.objects.filter(pk=current.pk, state=step.source, version=version).update(**changes):
            raise Conflict("这个项目刚被他人处理过，请刷新后再看。")
        _event(current, action, step.source, step.target, actor, note)
        if action == "finish" and not current.need.projects.exclude(pk=current.pk).exclude(
                state__in=[ProjectState.DONE, ProjectState.EVALUATED]).exists():
            Need.objects.filter(pk=current.need_id, status=NeedStatus.MATCHED).update(status=NeedStatus.DONE)
    return Project.objects.select_related("need", "need__community", "unit", "resource").get(pk=current.pk)


# --- the red matrix --------------------------------------------------------------------------------
def _may_register(scope: Scope, area: Area) -> bool:
    """Units and seats are registered by the district, the street for its street, a community for itself."""
    if scope.district or scope.admin:
        return True
    chain = area.ancestors()
    street = chain.get(AreaKind.STREET)
    community = chain.get(AreaKind.COMMUNITY)
    return (street is not None and street.pk in scope.street_ids) or (
        community is not None and community.pk in scope.community_ids)


def seat_create(*, actor: User, unit: Unit, committee: Area, term: str, member: str = "", duties: str = "") -> Seat:
    if committee.kind not in {AreaKind.STREET, AreaKind.COMMUNITY}:
        raise ActionError("席位只能设在街道大工委或社区大党委。", field="committee")
    if not _may_register(scope_for(actor), committee):
        raise Forbidden(f"{committee.name}不在您的工作范围内。", field="committee")
    term = clean_text(term, field="term", label="届次", max_length=20)
    try:
        with transaction.atomic():
            return Seat.objects.create(unit=unit, committee=committee, term=term,
                                       member=clean_text(member, field="member", label="兼职委员", max_length=50, required=False),
                                       duties=clean_text(duties, field="duties", label="责任清单", max_length=4000, required=False))
    except IntegrityError as exc:
        label = "大工委" if committee.kind == AreaKind.STREET else "大党委"
        raise ActionError(f"{unit}在{committee.name}{label}{term}届已有席位，同一届不能重复。", field="unit") from exc


UNIT_KINDS = {label: value for value, label in UnitKind.choices}
PARTY_KINDS = {label: value for value, label in PartyOrgKind.choices}
BRANDS = {label: value for value, label in Brand.choices}
UNIT_COLUMNS = ["单位名称", "类型", "所在区域", "联系人", "联系电话", "地址", "服务品牌", "党组织类型", "党组织书记", "党员人数"]


@dataclass
class ImportReport:
    created: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def units_import(*, actor: User, content: bytes) -> ImportReport:
    """Units from an .xlsx with the columns in UNIT_COLUMNS. Every row is checked first; if any row is bad,
    the report lists each bad row and nothing at all is imported."""
    scope = scope_for(actor)
    report = ImportReport()
    try:
        table = read_table(content)  # size, rows, columns and cell length capped (settings.MINQING["IMPORT_*"])
    except TableError as exc:
        raise ActionError(str(exc), field="file") from exc
    header = table.header
    missing = [c for c in UNIT_COLUMNS[:3] if c not in header]
    if missing:
        raise ActionError(f"缺少必需的列：{'、'.join(missing)}（模板的表头是：{'、'.join(UNIT_COLUMNS)}）", field="file")
    pos = {c: header.index(c) for c in UNIT_COLUMNS if c in header}
    areas = {a.name: a for a in Area.objects.exclude(kind__in=[AreaKind.GRID, AreaKind.COMPOUND])}
    existing = set(Unit.objects.values_list("name", flat=True))
    planned: list[tuple[Unit, PartyOrganisation | None]] = []
    names: dict[str, int] = {}
    for line, row in table.rows:
        def cell(col: str, row: list = row) -> str:
            i = pos.get(col)
            return "" if i is None or i >= len(row) or row[i] is None else str(row[i]).strip()

        problems = []
        name = cell("单位名称")
        if not name:
            problems.append("缺少单位名称")
        elif len(name) > 120:
            problems.append("单位名称超过 120 字")
        elif name in existing:
            problems.append(f"“{name}”已经登记过")
        elif name in names:
            problems.append(f"与第 {names[name]} 行重名")
        names.setdefault(name, line)
        kind = UNIT_KINDS.get(cell("类型"))
        if kind is None:
            problems.append(f"类型“{cell('类型')}”不对，应为：{'、'.join(UNIT_KINDS)}")
        area = areas.get(cell("所在区域"))
        if area is None:
            problems.append(f"所在区域“{cell('所在区域')}”找不到（填街道或社区的全称）")
        elif not _may_register(scope, area):
            problems.append(f"{area.name}不在您的工作范围内")
        phone = cell("联系电话")
        if phone:
            try:
                phone = normalize_phone(phone)
            except ValueError as exc:
                problems.append(str(exc))
        brands = [b.strip() for b in cell("服务品牌").replace("，", ",").replace("、", ",").split(",") if b.strip()]
        bad_brands = [b for b in brands if b not in BRANDS]
        if bad_brands:
            problems.append(f"服务品牌“{'、'.join(bad_brands)}”不对，应为：{'、'.join(BRANDS)}")
        party_kind = PARTY_KINDS.get(cell("党组织类型")) if cell("党组织类型") else None
        if cell("党组织类型") and party_kind is None:
            problems.append(f"党组织类型“{cell('党组织类型')}”不对，应为：{'、'.join(PARTY_KINDS)}")
        try:
            members = int(Decimal(cell("党员人数") or "0"))
            if members < 0:
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            problems.append(f"党员人数“{cell('党员人数')}”不是整数")
            members = 0
        if problems:
            report.errors.append((line, "；".join(problems)))
            continue
        unit = Unit(name=name, kind=kind, area=area, contact_name=cell("联系人")[:50], contact_phone=phone,
                    address=cell("地址")[:200], brands=",".join(BRANDS[b] for b in brands))
        party = PartyOrganisation(kind=party_kind, secretary=cell("党组织书记")[:50], members=members) if party_kind else None
        planned.append((unit, party))
    if report.errors:
        return report
    if not planned:
        raise ActionError("表格里没有数据行。", field="file")
    with transaction.atomic():
        for unit, party in planned:
            unit.save()
            if party is not None:
                party.unit = unit
                party.save()
    report.created = len(planned)
    return report


# --- agreements ------------------------------------------------------------------------------------
def agreement_draft(
    *, actor: User, community: Area, unit: Unit, community_duties: str, unit_duties: str, starts_on: dt.date,
    ends_on: dt.date, community_signatory: str, unit_signatory: str,
) -> Agreement:
    """A new draft, or a new version of a signed agreement. An unsigned draft is edited in place."""
    if community.kind != AreaKind.COMMUNITY:
        raise ActionError("请选择社区。", field="community")
    if community.pk not in queries._communities(_scope(actor)) and not scope_for(actor).district:
        raise Forbidden(f"{community.name}不在您的工作范围内：协议由社区起草。", field="community")
    if ends_on <= starts_on:
        raise ActionError("截止日期应晚于起始日期。", field="ends_on")
    fields = {
        "community_duties": clean_text(community_duties, field="community_duties", label="社区责任", max_length=4000),
        "unit_duties": clean_text(unit_duties, field="unit_duties", label="单位责任", max_length=4000),
        "community_signatory": clean_text(community_signatory, field="community_signatory", label="社区签字人", max_length=50),
        "unit_signatory": clean_text(unit_signatory, field="unit_signatory", label="单位签字人", max_length=50),
        "starts_on": starts_on, "ends_on": ends_on,
    }
    with transaction.atomic():
        draft = Agreement.objects.select_for_update().filter(community=community, unit=unit, signed_at=None).first()
        if draft is not None:
            Agreement.objects.filter(pk=draft.pk, signed_at=None).update(**fields)
            return Agreement.objects.get(pk=draft.pk)
        last = Agreement.objects.filter(community=community, unit=unit).order_by("-number").first()
        return Agreement.objects.create(community=community, unit=unit, number=(last.number + 1) if last else 1,
                                        created_by=actor, **fields)


def agreement_sign(*, actor: User, agreement: Agreement, scan: object) -> Agreement:
    """Store the signed and stamped scan. From then on the agreement never changes."""
    if agreement.community_id not in queries._communities(_scope(actor)) and not scope_for(actor).district:
        raise Forbidden("只有协议所在社区可以登记签订。")
    if scan is None:
        raise ActionError("请上传签字盖章后的扫描件（PDF 或照片）。", field="scan")
    name = getattr(scan, "name", "").lower()
    if not name.endswith((".pdf", ".jpg", ".jpeg", ".png")):
        raise ActionError("扫描件只支持 PDF、JPG、PNG。", field="scan")
    try:
        _, content, _ = uploads.prepare_document(scan)  # photos re-encoded without EXIF; PDFs checked
    except uploads.UploadError as exc:
        raise ActionError(f"{exc}（扫描件只支持 PDF、JPG、PNG）", field="scan") from exc
    with transaction.atomic():
        current = Agreement.objects.select_for_update().get(pk=agreement.pk)
        if current.signed_at is not None:
            raise ActionError("协议已签订，不能修改；如需变更，请起草新版本。")
        extension = content.name[content.name.rfind("."):]
        current.scan.save(f"agreement-{current.pk}-v{current.number}{extension}", content, save=False)
        Agreement.objects.filter(pk=current.pk, signed_at=None).update(scan=current.scan.name, signed_at=timezone.now())
    return Agreement.objects.get(pk=current.pk)


# --- party members and micro-wishes ------------------------------------------------------------------
def member_register(*, actor: User, community: Area, name: str, phone: str, employer: Unit | None = None) -> PartyMember:
    if community.pk not in queries._communities(_scope(actor)):
        raise Forbidden(f"{community.name}不在您的工作范围内。", field="community")
    try:
        phone = normalize_phone(phone)
    except ValueError as exc:
        raise ActionError(str(exc), field="phone") from exc
    try:
        with transaction.atomic():
            return PartyMember.objects.create(community=community, phone=phone, employer=employer,
                                              name=clean_text(name, field="name", label="姓名", max_length=50))
    except IntegrityError as exc:
        raise ActionError("这位党员已经在本社区报到过。", field="phone") from exc


def wish_publish(*, actor: User, area: Area, resident_name: str, text: str, resident_phone: str = "") -> Wish:
    community = _community(area)
    if community.pk not in queries._communities(_scope(actor)):
        raise Forbidden(f"{community.name}不在您的工作范围内。", field="area")
    if resident_phone:
        try:
            resident_phone = normalize_phone(resident_phone)
        except ValueError as exc:
            raise ActionError(str(exc), field="resident_phone") from exc
    return Wish.objects.create(
        community=community, resident_phone=resident_phone, created_by=actor,
        resident_name=clean_text(resident_name, field="resident_name", label="居民姓名", max_length=50),
        text=clean_text(text, field="text", label="心愿", max_length=200))


def _wish_move(wish: Wish, step: str, **changes: object) -> Wish:
    """Take a step of WISH_STEPS: a guarded update from its state to its target."""
    _, frm, to, _ = WISH_STEPS[step]
    if wish.state != frm:
        raise ActionError(f"心愿现在是“{wish.get_state_display()}”，不能{WISH_STEPS[step][0]}。")
    if not Wish.objects.filter(pk=wish.pk, state=frm, version=wish.version).update(
            version=wish.version + 1, state=to, **changes):
        current = Wish.objects.get(pk=wish.pk)
        raise Conflict(f"这个心愿现在是“{current.get_state_display()}”，刚被他人处理过。")
    return Wish.objects.get(pk=wish.pk)


# One member holds at most this many claimed, not yet fulfilled wishes (one person cannot empty the wall).
WISH_OPEN_CLAIMS = int(os.environ.get("MINQING_WISH_OPEN_CLAIMS", "3"))


def wish_claim(*, wish: Wish, phone: str) -> Wish:
    """A registered party member claims a published wish with the phone number they registered with."""
    try:
        phone = normalize_phone(phone)
    except ValueError as exc:
        raise ActionError(str(exc), field="phone") from exc
    member = PartyMember.objects.filter(phone=phone, community=wish.community).first()
    if member is None:
        raise ActionError(f"这个手机号没有在{wish.community.name}报到，请先到社区报到（双报到）。", field="phone")
    if wish.state != WishState.PUBLISHED:
        raise ActionError("这个心愿已被认领。")
    open_claims = Wish.objects.filter(member=member, state=WishState.CLAIMED).count()
    if open_claims >= WISH_OPEN_CLAIMS:
        raise ActionError(f"您已认领 {open_claims} 个心愿还没有实现，请先帮居民实现它们，再认领新的。", field="phone")
    return _wish_move(wish, "claim", member=member, claimed_at=timezone.now())


def wish_fulfil(*, actor: User, wish: Wish, hours: Decimal) -> Wish:
    if wish.community_id not in queries._communities(_scope(actor)):
        raise Forbidden("只有心愿所在社区可以登记。")
    if wish.state != WishState.CLAIMED:
        raise ActionError(f"心愿现在是“{wish.get_state_display()}”，认领后才能登记实现。")
    if hours is None or hours <= 0 or hours > 1000:
        raise ActionError("请填写服务时长（小时）。", field="hours")
    return _wish_move(wish, "fulfil", hours=hours, fulfilled_at=timezone.now())


def wish_confirm(*, actor: User, wish: Wish) -> Wish:
    """The resident confirms (the community records it after asking them)."""
    if wish.community_id not in queries._communities(_scope(actor)):
        raise Forbidden("只有心愿所在社区可以登记。")
    if wish.state != WishState.FULFILLED:
        raise ActionError(f"心愿现在是“{wish.get_state_display()}”，实现后才能由居民确认。")
    return _wish_move(wish, "confirm", confirmed_at=timezone.now())


def wishes_erase(*, before: dt.datetime) -> int:
    """Past the retention period, confirmed wishes keep a masked resident name and no phone."""
    from minqing.lib.masking import mask_name

    erased = 0
    with transaction.atomic():
        for w in Wish.objects.filter(state=WishState.CONFIRMED, confirmed_at__lt=before).exclude(
                resident_phone="", resident_name__contains="*"):
            Wish.objects.filter(pk=w.pk).update(resident_name=mask_name(w.resident_name), resident_phone="")
            erased += 1
    return erased
