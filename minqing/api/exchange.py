"""12345 work-order exchange: import an Excel/CSV export, export the replies in the same shape."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from itertools import islice

from django.db import transaction
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from minqing.lib.db import reporting
from minqing.org.models import Area, AreaKind
from minqing.tickets import actions
from minqing.tickets.lifecycle import PUBLIC_STATUS
from minqing.tickets.models import Category, Channel, Ticket, TicketType

from .models import ImportJob

REQUIRED = ["external_number", "text", "area"]
TYPES = {label: value for value, label in TicketType.choices}
BATCH = 500


class BadFile(ValueError):
    pass


def read_rows(name: str, content: bytes) -> tuple[list[str], Iterator[list[str]], int]:
    """Header, rows and row count of an .xlsx or .csv file."""
    if name.lower().endswith(".csv"):
        text = content.decode("utf-8-sig", errors="strict")
        rows = list(csv.reader(io.StringIO(text)))
        if not rows:
            raise BadFile("文件是空的。")
        return [h.strip() for h in rows[0]], iter(rows[1:]), len(rows) - 1
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:
        raise BadFile("无法读取文件：只支持 .xlsx 和 UTF-8 编码的 .csv。") from exc
    sheet = book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = next(rows, None)
    if header is None:
        raise BadFile("文件是空的。")
    return [str(h or "").strip() for h in header], ([("" if v is None else v) for v in r] for r in rows), max(
        0, (sheet.max_row or 1) - 1)


def _places() -> list[Area]:
    """Areas a 所属区域 text may name, most precise first (compound, grid, community)."""
    rank = {AreaKind.COMPOUND: 0, AreaKind.GRID: 1, AreaKind.COMMUNITY: 2}
    areas = Area.objects.filter(kind__in=rank).exclude(name="").order_by("-code")
    return sorted(areas, key=lambda a: rank[a.kind])


def _area(text: str, places: list[Area]) -> Area | None:
    text = str(text or "")
    return next((area for area in places if area.name in text), None)


def _when(value: object) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return timezone.make_aware(value) if timezone.is_naive(value) else value
    text = str(value or "").strip()
    if not text:
        return None
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M", "%Y-%m-%d", "%Y/%m/%d"):
        try:
            return dt.datetime.strptime(text, fmt).replace(tzinfo=timezone.get_current_timezone())
        except ValueError:
            continue
    raise ValueError(f"办理时限“{text}”不是日期，请写成 2026-12-31 18:00")


def import_job(job: ImportJob) -> ImportJob:
    """Run one upload. A file that cannot be read or lacks a required column imports nothing."""
    job.status, job.started_at = "running", timezone.now()
    job.save(update_fields=["status", "started_at"])
    columns = job.mapping.columns
    try:
        with job.file.open("rb") as handle:
            header, rows, total = read_rows(job.file.name, handle.read())
        missing = [columns.get(f, f) for f in REQUIRED if columns.get(f, f) not in header]
        if missing:
            raise BadFile(f"缺少必需的列：{'、'.join(missing)}（表头是：{'、'.join(header)}）")
    except (BadFile, UnicodeDecodeError) as exc:
        job.status, job.error, job.finished_at = "failed", str(exc), timezone.now()
        job.save(update_fields=["status", "error", "finished_at"])
        return job
    position = {field: header.index(col) for field, col in columns.items() if col in header}
    job.total = total
    report = []
    categories = {c.name: c for c in Category.objects.filter(parent__isnull=False, active=True).select_related("parent")}
    places = _places()
    cache = actions.IntakeCache()
    seen: dict[str, int] = {}  # work-order number → line, within this file
    lines = ((line, row) for line, row in enumerate(rows, start=2) if any(str(v).strip() for v in row))
    while chunk := list(islice(lines, BATCH)):
        outcomes: dict[int, dict] = {}
        creates: list[tuple[int, actions.Intake]] = []
        with transaction.atomic():  # a batch commits together
            numbers = [_cell(row, position, "external_number") for _, row in chunk]
            existing = {t.external_number: t for t in Ticket.objects.filter(external_number__in=[n for n in numbers if n])}
            for (line, row), number in zip(chunk, numbers, strict=True):
                outcome, create = _plan(job, line, row, number, position, categories, places, existing, seen)
                if create is None:
                    outcomes[line] = outcome
                else:
                    creates.append((line, create))
            made = actions.ticket_create_many(actor=job.created_by, intakes=[c for _, c in creates], cache=cache,
                                              batch=f"import-{job.pk}")
            for (line, _), result in zip(creates, made, strict=True):
                outcomes[line] = ({"result": "rejected", "reason": result.message}
                                  if isinstance(result, actions.ActionError)
                                  else {"result": "created", "reason": f"已登记为 {result.number}"})
            for (line, _), number in zip(chunk, numbers, strict=True):
                outcome = outcomes[line]
                report.append({"line": line, "number": number, **outcome})
                setattr(job, outcome["result"], getattr(job, outcome["result"]) + 1)
                job.done += 1
            job.save(update_fields=["done", "created", "updated", "rejected", "total"])
    job.report, job.status, job.finished_at = report, "done", timezone.now()
    job.total = max(job.total, job.done)
    job.save()
    return job


def _cell(row: list, position: dict, field: str) -> str:
    i = position.get(field)
    return "" if i is None or i >= len(row) else str(row[i]).strip()


def _plan(job: ImportJob, line: int, row: list, number: str, position: dict, categories: dict,
          places: list[Area], existing: dict[str, Ticket], seen: dict[str, int]) -> tuple[dict, actions.Intake | None]:
    """What one row means: an outcome already decided (updated or rejected), or the fields of a new request."""
    if not number:
        return {"result": "rejected", "reason": "缺少工单编号"}, None
    if number in seen:
        return {"result": "rejected", "reason": f"与第 {seen[number]} 行的工单编号重复"}, None
    seen[number] = line
    try:
        due = _when(row[position["due"]] if "due" in position and position["due"] < len(row) else "")
        found = existing.get(number)
        if found is not None:
            if due and due != found.external_due_at:
                actions.ticket_set_external_due(ticket=found, due=due)
                return {"result": "updated", "reason": f"已存在（{found.number}），更新了办理时限"}, None
            return {"result": "updated", "reason": f"已存在（{found.number}），没有变化"}, None
    except (actions.ActionError, ValueError) as exc:
        return {"result": "rejected", "reason": getattr(exc, "message", str(exc))}, None
    area = _area(_cell(row, position, "area"), places)
    if area is None:
        return {"result": "rejected", "reason": f"所属区域“{_cell(row, position, 'area')}”找不到对应的社区或小区"}, None
    phone = _cell(row, position, "reporter_phone")
    return {}, actions.Intake(
        channel=Channel.HOTLINE_12345, type=TYPES.get(_cell(row, position, "type"), TicketType.HELP),
        category=categories.get(_cell(row, position, "category")) or job.default_category,
        text=_cell(row, position, "text"), area=area, anonymous=not phone,
        reporter_name=_cell(row, position, "reporter_name") or "12345来电人", reporter_phone=phone,
        external_number=number, external_due_at=due,
    )


def export_replies(start: dt.datetime, end: dt.datetime) -> bytes:
    """Replies to upload back to the platform: one row per imported work order changed in the window."""
    book = Workbook()
    sheet = book.active
    sheet.title = "办理回复"
    sheet.append(["工单编号", "本系统编号", "办结状态", "办理结果", "回复时间", "办理单位"])
    rows = (Ticket.objects.using(reporting()).exclude(external_number=None).filter(updated_at__gte=start, updated_at__lt=end)
            .select_related("handling_unit").order_by("updated_at"))
    for t in rows:
        replied = t.resolved_at or t.closed_at
        sheet.append([t.external_number, t.number, PUBLIC_STATUS[t.status], t.result,
                      timezone.localtime(replied).strftime("%Y-%m-%d %H:%M") if replied else "", t.handling_unit.name])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
