"""Every write of the grid work: the registry import, patrols, visits (民情日志) and turning a visit into a
request. Keyword-only, typed, one transaction each, a Chinese ActionError when a rule forbids it.

Patrols and visits come from phones that may have been offline for hours and retry whenever a response was
lost: each carries the UUID its client generated, and the same UUID sent again returns the record already
saved (`created` False) instead of a second one. Two copies arriving at the same moment meet at the unique
index; the loser reads the winner's row.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import uuid
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone
from PIL import Image

from minqing.accounts.models import User
from minqing.accounts.scope import scope_for
from minqing.lib import uploads
from minqing.lib.crypto import lookup_hash
from minqing.lib.errors import ActionError, Conflict, Forbidden
from minqing.lib.validation import clean_text, normalize_phone
from minqing.lib.xlsx import TableError, read_table
from minqing.org.models import Area, AreaKind
from minqing.tickets import actions as tickets
from minqing.tickets.actions.core import atomic_with_files
from minqing.tickets.models import Category, Channel, Ticket, TicketType

from .models import Building, Finding, Household, HouseholdKind, Patrol, Visit
from .queries import grids_for, works_grid

# A phone's clock may be a little ahead; a visit recorded later than this after "now" is refused.
CLOCK_SKEW = dt.timedelta(minutes=10)
OLDEST_VISIT = dt.timedelta(days=60)


def _worker_of(actor: User, grid: Area) -> None:
    if grid.pk not in scope_for(actor).grid_ids:
        raise Forbidden(f"您不是{grid.name}的网格员。", field="grid")


def _when(value: dt.datetime | None, *, now: dt.datetime, label: str) -> dt.datetime:
    if value is None:
        return now
    if timezone.is_naive(value):
        raise ActionError(f"{label}缺少时区。", field="visited_at")
    if value > now + CLOCK_SKEW:
        raise ActionError(f"{label}晚于现在，请检查手机时间。", field="visited_at")
    if value < now - OLDEST_VISIT:
        raise ActionError(f"{label}早于 {OLDEST_VISIT.days} 天前，不能补录。", field="visited_at")
    return value


# --- patrols ---------------------------------------------------------------------------------------------------
def patrol_start(*, actor: User, client_id: uuid.UUID, grid: Area, started_at: dt.datetime | None = None
                 ) -> tuple[Patrol, bool]:
    """Start a patrol of `grid`. The same client_id again returns the patrol already started."""
    existing = Patrol.objects.filter(uuid=client_id).first()
    if existing is not None:
        return _same_worker(existing, actor), False
    _worker_of(actor, grid)
    at = _when(started_at, now=timezone.now(), label="开始时间")
    try:
        with transaction.atomic():
            return Patrol.objects.create(uuid=client_id, worker=actor, grid=grid, started_at=at), True
    except IntegrityError:
        return _same_worker(Patrol.objects.get(uuid=client_id), actor), False


def patrol_end(*, actor: User, client_id: uuid.UUID, ended_at: dt.datetime | None = None, note: str = "") -> Patrol:
    """End a patrol; ending it again changes nothing (the first end counts)."""
    note = clean_text(note, field="note", label="巡查小结", max_length=500, required=False)
    with transaction.atomic():
        patrol = Patrol.objects.select_for_update().filter(uuid=client_id).first()
        if patrol is None:
            raise ActionError("找不到这次巡查，请先开始巡查。", field="patrol")
        _same_worker(patrol, actor)
        if patrol.ended_at is None:
            at = _when(ended_at, now=timezone.now(), label="结束时间")
            patrol.ended_at = max(at, patrol.started_at)
            patrol.note = note
            patrol.save(update_fields=["ended_at", "note"])
    return patrol


def _same_worker(record: Patrol | Visit, actor: User) -> Any:
    if record.worker_id != actor.pk:
        raise Conflict("这个记录编号已被别人使用，请刷新后重新记录。")
    return record


# --- visits ----------------------------------------------------------------------------------------------------
def visit_record(*, actor: User, client_id: uuid.UUID, grid: Area | None = None, patrol_id: uuid.UUID | None = None,
                 household: Household | None = None, place: str = "", finding: str = Finding.NORMAL, note: str = "",
                 photo: uploads.PreparedImage | None = None, latitude: Decimal | None = None,
                 longitude: Decimal | None = None, visited_at: dt.datetime | None = None) -> tuple[Visit, bool]:
    """Record one visit (a line of the 民情日志). The same client_id again returns the visit already saved,
    its photo not stored a second time."""
    existing = Visit.objects.filter(uuid=client_id).first()
    if existing is not None:
        return _same_worker(existing, actor), False
    patrol = None
    if patrol_id is not None:
        patrol = Patrol.objects.filter(uuid=patrol_id).first()
        if patrol is None:
            raise ActionError("这次走访所属的巡查还没有上传，请稍后再同步。", field="patrol")
        _same_worker(patrol, actor)
    grid = household.grid if household is not None else (patrol.grid if patrol is not None else grid)
    if grid is None:
        raise ActionError("请选择网格。", field="grid")
    if patrol is not None and patrol.grid_id != grid.pk:
        raise ActionError("该住户不在这次巡查的网格内。", field="household")
    _worker_of(actor, grid)
    if finding not in Finding.values:
        raise ActionError("请选择走访情况。", field="finding")
    place = clean_text(place, field="place", label="地点", max_length=200, required=False)
    if household is None and not place:
        raise ActionError("请选择住户/单位，或填写地点。", field="place")
    note = clean_text(note, field="note", label="民情日志", max_length=2000, required=False)
    if finding in {Finding.PROBLEM, Finding.NEED} and len(note) < 5:
        raise ActionError("发现问题或需求时，请写清楚情况（至少 5 个字）。", field="note")
    for value, low, high, label in ((latitude, -90, 90, "纬度"), (longitude, -180, 180, "经度")):
        if value is not None and not low <= value <= high:
            raise ActionError(f"{label}超出范围。", field="location")
    at = _when(visited_at, now=timezone.now(), label="走访时间")
    if photo is not None:
        try:
            photo = uploads.reencode(photo)  # drops EXIF (GPS included); phone photos are small after the client's resize
        except uploads.UploadError as exc:
            raise ActionError(str(exc), field="photo") from exc
    try:
        with atomic_with_files() as stored:
            name = ""
            if photo is not None:
                name = default_storage.save(f"grid/{timezone.localtime():%Y/%m}/{uuid.uuid4().hex}.{photo.extension}",
                                            ContentFile(photo.content))
                stored.append(name)
            visit = Visit.objects.create(uuid=client_id, patrol=patrol, worker=actor, grid=grid, household=household,
                                         place=place, finding=finding, note=note, photo=name,
                                         latitude=latitude, longitude=longitude, visited_at=at)
        return visit, True
    except IntegrityError:
        return _same_worker(Visit.objects.get(uuid=client_id), actor), False


REPORTERS = {"worker": "网格员本人", "household": "户主", "anonymous": "匿名"}


def visit_to_ticket(*, actor: User, visit: Visit, category: Category, type: str = TicketType.HELP,  # noqa: A002
                    text: str = "", reporter: str = "worker") -> Ticket:
    """Turn a visit into a request (channel 网格员入户), its place filled in from the visit: the household's
    compound (or the grid), its standard address, the visit's coordinates and photo."""
    scope = scope_for(actor)
    if not works_grid(scope, visit.grid) and not grids_for(scope).filter(pk=visit.grid_id).exists():
        raise Forbidden("这条走访记录不在您的工作范围内。")
    if reporter not in REPORTERS:
        raise ActionError("请选择反映人。", field="reporter")
    household = visit.household
    name, phone = "", ""
    if reporter == "worker":
        name, phone = actor.full_name or actor.username, actor.phone
        if not phone:
            raise ActionError("您的账号没有登记手机号，请选择匿名或户主作为反映人。", field="reporter")
    elif reporter == "household":
        if household is None or not household.head_name or not household.head_phone:
            raise ActionError("该住户没有登记户主姓名和电话，请选择其他反映人。", field="reporter")
        name, phone = household.head_name, household.head_phone
    area = (household.building.compound or household.building.grid) if household is not None else visit.grid
    address = household.label if household is not None else visit.place
    photos = [_stored_image(visit.photo)] if visit.photo else []
    with transaction.atomic():
        locked = Visit.objects.select_for_update().get(pk=visit.pk)
        if locked.ticket_id is not None:
            number = Ticket.objects.filter(pk=locked.ticket_id).values_list("number", flat=True).first()
            raise Conflict(f"这条民情日志已经转为诉求 {number}。")
        ticket, _ = tickets.ticket_create(actor=actor, intake=tickets.Intake(
            channel=Channel.VISIT, type=type, category=category, text=text or visit.note, area=area,
            address=address[:200], latitude=visit.latitude, longitude=visit.longitude,
            anonymous=reporter == "anonymous", reporter_name=name, reporter_phone=phone,
            photos=[p for p in photos if p is not None]))
        updated = Visit.objects.filter(pk=visit.pk, ticket__isnull=True).update(ticket=ticket, ticket_by=actor)
        if not updated:
            raise Conflict("这条民情日志刚被别人转为诉求。")
    visit.ticket, visit.ticket_by = ticket, actor
    return ticket


def _stored_image(name: str) -> uploads.PreparedImage | None:
    try:
        with default_storage.open(name) as fh:
            content = fh.read()
        with Image.open(io.BytesIO(content)) as img:
            width, height, fmt = img.width, img.height, (img.format or "JPEG")
    except OSError:
        return None  # the photo is gone; the request is made without it
    ext = "png" if fmt == "PNG" else "jpg"
    return uploads.PreparedImage("走访照片." + ext, content, uploads.ALLOWED_FORMATS.get(fmt, "image/jpeg"), ext,
                                 width, height)


# --- the registry (一标三实) -------------------------------------------------------------------------------------
REGISTRY_COLUMNS = ["网格", "小区", "标准地址", "楼栋", "单元", "门牌", "类别", "单位名称", "户主/联系人", "联系电话",
                    "身份证号", "人数"]
REQUIRED_COLUMNS = ["网格", "标准地址", "楼栋"]
KINDS = {"住户": HouseholdKind.HOUSEHOLD, "单位": HouseholdKind.UNIT, "": HouseholdKind.HOUSEHOLD}
_ID_NUMBER = re.compile(r"[0-9]{17}[0-9Xx]")


@dataclass
class ImportReport:
    buildings: int = 0
    households: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # 301 typed in Excel is a number
    return "" if value is None else str(value).strip()


def registry_import(*, actor: User, content: bytes) -> ImportReport:
    """Buildings and households (住户/单位) from an .xlsx with REGISTRY_COLUMNS. Every row is checked first; if
    any is bad, the report lists each bad row (第 N 行) and nothing is imported."""
    scope = scope_for(actor)
    try:
        table = read_table(content)
    except TableError as exc:
        raise ActionError(str(exc), field="file") from exc
    missing = [c for c in REQUIRED_COLUMNS if c not in table.header]
    if missing:
        raise ActionError(f"缺少必需的列：{'、'.join(missing)}（模板的表头是：{'、'.join(REGISTRY_COLUMNS)}）", field="file")
    pos = {c: table.header.index(c) for c in REGISTRY_COLUMNS if c in table.header}
    grids = {g.name: g for g in grids_for(scope)}
    compounds: dict[tuple[int | None, str], Area] = {
        (a.parent_id, a.name): a for a in Area.objects.filter(kind=AreaKind.COMPOUND, parent__in=list(grids.values()))}
    buildings = {(b.grid_id, b.address, b.name): b for b in Building.objects.filter(grid__in=list(grids.values()))}
    existing = set(Household.objects.filter(building__in=list(buildings.values())).values_list(
        "building__grid_id", "building__address", "building__name", "unit_no", "room", "name"))
    seen: dict[tuple, int] = {}
    planned: list[tuple[tuple[int, str, str], Area | None, Household]] = []
    report = ImportReport()
    for line, row in table.rows:
        def cell(col: str, row: list = row) -> str:
            i = pos.get(col)
            return "" if i is None or i >= len(row) else _text(row[i])

        problems: list[str] = []
        grid = grids.get(cell("网格"))
        if grid is None:
            problems.append(f"网格“{cell('网格')}”找不到或不在您的工作范围内（填网格全称）")
        compound = None
        if cell("小区") and grid is not None:
            compound = compounds.get((grid.pk, cell("小区")))
            if compound is None:
                problems.append(f"小区“{cell('小区')}”不在{grid.name}内")
        address, building_name = cell("标准地址"), cell("楼栋")
        if not address:
            problems.append("缺少标准地址")
        if not building_name:
            problems.append("缺少楼栋")
        if len(address) > 200 or len(building_name) > 50:
            problems.append("标准地址最多 200 字、楼栋最多 50 字")
        kind = KINDS.get(cell("类别"))
        if kind is None:
            problems.append(f"类别“{cell('类别')}”不对，应为：住户、单位")
        unit_name = cell("单位名称")
        if kind == HouseholdKind.UNIT and not unit_name:
            problems.append("类别为单位时须填写单位名称")
        if kind == HouseholdKind.HOUSEHOLD and unit_name:
            problems.append("住户不填单位名称（实有单位请把类别填为“单位”）")
        unit_no, room = cell("单元")[:20], cell("门牌")[:20]
        if kind == HouseholdKind.HOUSEHOLD and not room:
            problems.append("住户须填写门牌（室号）")
        head = cell("户主/联系人")
        if len(head) > 50:
            problems.append("户主/联系人超过 50 字")
        phone = cell("联系电话")
        if phone:
            try:
                phone = normalize_phone(phone)
            except ValueError as exc:
                problems.append(str(exc))
        id_number = cell("身份证号").upper()
        if id_number and not _ID_NUMBER.fullmatch(id_number):
            problems.append("身份证号应为 18 位（最后一位可以是 X）")
        try:
            people = int(Decimal(cell("人数") or "0"))
            if people < 0 or people > 99:
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            problems.append(f"人数“{cell('人数')}”不是 0–99 的整数")
            people = 0
        if grid is not None and not problems:
            key = (grid.pk, address, building_name, unit_no, room, unit_name[:120])
            if key in existing:
                problems.append("这一户已经登记过")
            elif key in seen:
                problems.append(f"与第 {seen[key]} 行重复")
            seen.setdefault(key, line)
        if problems:
            report.errors.append((line, "；".join(problems)))
            continue
        assert grid is not None and kind is not None
        planned.append(((grid.pk, address, building_name), compound, Household(
            grid=grid, kind=kind, unit_no=unit_no, room=room, name=unit_name[:120], head_name=head,
            head_phone=phone, head_phone_hash=lookup_hash(phone), id_number=id_number, people=people,
            created_by=actor)))
    if report.errors:
        return report
    if not planned:
        raise ActionError("表格里没有数据行。", field="file")
    with transaction.atomic():
        for where, compound, household in planned:
            building = buildings.get(where)
            if building is None:
                building = buildings[where] = Building.objects.create(grid_id=where[0], address=where[1], name=where[2],
                                                                      compound=compound, created_by=actor)
                report.buildings += 1
            household.building = building
            household.save()
            report.households += 1
    return report
