"""12345 work-order exchange: import an Excel/CSV export, export the replies in the same shape."""

from __future__ import annotations

import datetime as dt
import logging
from itertools import islice

from django.db import transaction
from django.utils import timezone

from minqing.lib.db import reporting
from minqing.lib.errors import Conflict
from minqing.lib.xlsx import Sheet, TableError, read_table, workbook_bytes
from minqing.org import location
from minqing.org.models import Area
from minqing.tickets import actions
from minqing.tickets.lifecycle import PUBLIC_STATUS
from minqing.tickets.models import Category, Channel, Ticket, TicketType

from .models import ImportJob

REQUIRED = ["external_number", "text", "area"]
TYPES = {label: value for value, label in TicketType.choices}
BATCH = 500
log = logging.getLogger(__name__)


def _area(text: str, places: dict[str, Area]) -> Area:
    """The area a 所属区域 text names (org.location: gazetteer, then area names); the district itself
    (位置待核实, sent to the district centre) when none. A file names the same few places over and over:
    each text is resolved once per import (`places`)."""
    found = places.get(text)
    if found is None:
        found = places[text] = location.locate(address=text).area
    return found


def _when(value: object, label: str = "办理时限") -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return timezone.make_aware(value) if timezone.is_naive(value) else value
    text = str(value or "").strip()
    if not text:
        return None
    if len(text) in (10, 16, 19) and text[4:5] == "-":  # 2026-12-31[ 18:00[:00]]: the C parser, no format scan
        try:
            when = dt.datetime.fromisoformat(text)
            return when.replace(tzinfo=timezone.get_default_timezone()) if when.tzinfo is None else when
        except ValueError:
            pass
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M", "%Y-%m-%d", "%Y/%m/%d"):
        try:
            return dt.datetime.strptime(text, fmt).replace(tzinfo=timezone.get_current_timezone())
        except ValueError:
            continue
    raise ValueError(f"{label}“{text}”不是日期，请写成 2026-12-31 18:00")


def import_job(job: ImportJob) -> ImportJob:
    """Run one upload; it always ends 已完成 or 失败 with the reason. A file that cannot be read, is over a
    limit (settings.MINQING["IMPORT_*"]) or lacks a required column imports nothing: the whole table is read
    and checked before the first batch is written."""
    started = timezone.now()
    if not ImportJob.objects.filter(pk=job.pk, status="queued").update(status="running", started_at=started):
        job.refresh_from_db()
        return job  # someone else runs it, or it was already run
    job.status, job.started_at = "running", started
    try:
        _run(job)
    except TableError as exc:
        _fail(job, str(exc))
    except Exception as exc:
        log.exception("import job %s failed", job.pk)
        _fail(job, f"导入时出错（{type(exc).__name__}），已导入的行已保存。可以点“重试”：已导入的工单按编号去重，不会重复登记。")
    return job


def _fail(job: ImportJob, reason: str) -> None:
    """Mark the job failed in a transaction of its own: its counts and report stay those of the batches
    already committed (none, when the file itself was refused)."""
    with transaction.atomic():
        ImportJob.objects.filter(pk=job.pk).update(status="failed", error=reason, report=job.report,
                                                   finished_at=timezone.now())
    job.refresh_from_db()


def _run(job: ImportJob) -> None:
    columns = job.mapping.columns
    with job.file.open("rb") as handle:
        table = read_table(handle.read(), csv_ok=True, name=job.file.name)
    header = table.header
    missing = [columns.get(f, f) for f in REQUIRED if columns.get(f, f) not in header]
    if missing:
        raise TableError(f"缺少必需的列：{'、'.join(missing)}（表头是：{'、'.join(header)}）")
    position = {field: header.index(col) for field, col in columns.items() if col in header}
    job.total = len(table.rows)
    job.save(update_fields=["total"])
    report = job.report = []
    categories = {c.name: c for c in Category.objects.filter(parent__isnull=False, active=True).select_related("parent")}
    places: dict[str, Area] = {}
    cache = actions.IntakeCache()
    seen: dict[str, int] = {}  # work-order number → line, within this file
    lines = iter(table.rows)
    while chunk := list(islice(lines, BATCH)):
        outcomes: dict[int, dict] = {}
        creates: list[tuple[int, actions.Intake]] = []
        batch: list[dict] = []
        with transaction.atomic():  # a batch commits together, with the job's counts
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
            counts = {"created": 0, "updated": 0, "rejected": 0}
            for (line, _), number in zip(chunk, numbers, strict=True):
                outcome = outcomes[line]
                batch.append({"line": line, "number": number, **outcome})
                counts[outcome["result"]] += 1
            ImportJob.objects.filter(pk=job.pk).update(done=job.done + len(chunk), **{
                k: getattr(job, k) + v for k, v in counts.items()})
        report.extend(batch)  # only once the batch is in: a failed batch leaves no trace in the counts
        job.done += len(chunk)
        for k, v in counts.items():
            setattr(job, k, getattr(job, k) + v)
    job.status, job.finished_at = "done", timezone.now()
    job.save(update_fields=["report", "status", "finished_at"])


def job_retry(*, job: ImportJob) -> ImportJob:
    """Put a failed import back in the queue, from the start. Rows imported before it failed are found by
    their work-order numbers and reported as 已存在, so nothing is registered twice. The caller queues the
    task in the same transaction (views.job_retry), so the reset and its task commit together."""
    if not ImportJob.objects.filter(pk=job.pk, status="failed").update(
            status="queued", error="", total=0, done=0, created=0, updated=0, rejected=0, report=[],
            started_at=None, finished_at=None):
        raise Conflict("这次导入不是“失败”状态，不能重试。请刷新页面。")
    job.refresh_from_db()
    return job


def _cell(row: list, position: dict, field: str) -> str:
    i = position.get(field)
    return "" if i is None or i >= len(row) else str(row[i]).strip()


def _plan(job: ImportJob, line: int, row: list, number: str, position: dict, categories: dict,
          places: dict[str, Area], existing: dict[str, Ticket], seen: dict[str, int]) -> tuple[dict, actions.Intake | None]:
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
    phone = _cell(row, position, "reporter_phone")
    try:  # 来电时间 is the request's time: its clocks run from the call, not from this upload
        received = _when(_cell(row, position, "received_at"), "来电时间")
    except ValueError as exc:
        return {"result": "rejected", "reason": str(exc)}, None
    return {}, actions.Intake(
        channel=Channel.HOTLINE_12345, type=TYPES.get(_cell(row, position, "type"), TicketType.HELP),
        category=categories.get(_cell(row, position, "category")) or job.default_category,
        text=_cell(row, position, "text"), area=area, anonymous=not phone,
        reporter_name=_cell(row, position, "reporter_name") or "12345来电人", reporter_phone=phone,
        external_number=number, external_due_at=due, received_at=received,
    )


def export_replies(start: dt.datetime, end: dt.datetime) -> bytes:
    """Replies to upload back to the platform: one row per imported work order changed in the window."""
    rows = (Ticket.objects.using(reporting()).exclude(external_number=None).filter(updated_at__gte=start, updated_at__lt=end)
            .select_related("handling_unit").order_by("updated_at"))
    return workbook_bytes([Sheet("办理回复", ["工单编号", "本系统编号", "办结状态", "办理结果", "回复时间", "办理单位"], (
        [t.external_number, t.number, PUBLIC_STATUS[t.status], t.result, t.resolved_at or t.closed_at,
         t.handling_unit.name] for t in rows.iterator(chunk_size=2000)))])
