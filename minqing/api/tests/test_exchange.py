"""12345 work orders: import with a row-by-row report, dedupe by external number, export replies."""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import Workbook, load_workbook

from minqing.api.exchange import import_job
from minqing.api.models import ImportJob, ImportMapping
from minqing.tickets import actions
from minqing.tickets.models import Ticket

HEADER = ["工单编号", "来电时间", "来电人", "联系电话", "诉求内容", "诉求类型", "所属区域", "办理时限", "诉求分类"]


def xlsx(rows: list[list[object]], header: list[str] = HEADER) -> SimpleUploadedFile:
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return SimpleUploadedFile("orders.xlsx", out.getvalue())


def standard() -> int:
    return ImportMapping.objects.get(name="12345 标准格式").pk


def upload(c: Client, cast, file: SimpleUploadedFile) -> ImportJob:
    c.get("/exchange/")  # creates the standard mapping
    r = c.post("/exchange/", {"file": file, "mapping": standard(), "default_category": cast.category().pk})
    assert r.status_code == 302, r.content.decode()[:500]
    job = ImportJob.objects.latest("id")
    return import_job(job)  # what the worker's task runs


def test_import_reports_each_row_and_dedupes_by_work_order_number(cast) -> None:
    c = Client()
    c.force_login(cast.duban)
    rows = [
        ["GD-001", "2026-11-30 09:00", "王大爷", "13912345678", "瓜州路社区门口路灯不亮了", "投诉", "瓜州路社区",
         "2026-12-05 18:00", "路灯损坏"],
        ["GD-002", "2026-11-30 09:10", "李阿姨", "12", "楼道堆满杂物", "求助", "瓜州路社区", "", ""],
        ["GD-003", "2026-11-30 09:20", "赵先生", "13900001111", "下水道堵了", "求助", "火星社区", "", ""],
        ["", "", "", "", "", "", "", "", ""],
    ]
    job = upload(c, cast, xlsx(rows))
    assert (job.status, job.created, job.updated, job.rejected) == ("done", 1, 0, 2)
    reasons = {r["number"]: r for r in job.report}
    assert "手机号" in reasons["GD-002"]["reason"] and "火星社区" in reasons["GD-003"]["reason"]
    t = Ticket.objects.get(external_number="GD-001")
    assert t.channel == "12345" and t.type == "complaint" and t.category == cast.category("WY01")
    assert t.external_due_at is not None
    again = upload(c, cast, xlsx([["GD-001", "", "王大爷", "13912345678", "路灯不亮", "投诉", "瓜州路社区",
                                   "2026-12-08 18:00", ""]]))
    assert (again.created, again.updated) == (0, 1) and Ticket.objects.filter(external_number="GD-001").count() == 1
    assert t.events.filter(action="external_due").exists()
    page = c.get(f"/exchange/jobs/{job.pk}/").content.decode()
    assert "新增 1" in page and "GD-002" in page


def test_a_bad_file_imports_nothing(cast) -> None:
    c = Client()
    c.force_login(cast.duban)
    job = upload(c, cast, xlsx([["GD-9", "瓜州路社区路灯坏了"]], header=["编号", "内容"]))
    assert job.status == "failed" and "缺少必需的列" in job.error and Ticket.objects.count() == 0
    c.get("/exchange/")
    r = c.post("/exchange/", {"file": SimpleUploadedFile("x.pdf", b"%PDF"), "mapping": standard(),
                              "default_category": cast.category().pk})
    assert "只支持 .xlsx 和 .csv" in r.content.decode()
    broken = upload(c, cast, SimpleUploadedFile("orders.xlsx", b"not a workbook"))
    assert broken.status == "failed" and "无法读取文件" in broken.error


def test_export_replies_round_trip(cast) -> None:
    c = Client()
    c.force_login(cast.duban)
    upload(c, cast, xlsx([["GD-100", "", "王大爷", "13912345678", "瓜州路社区门口路灯不亮了", "投诉", "瓜州路社区",
                           "", ""]]))
    t = Ticket.objects.get(external_number="GD-100")
    t = actions.ticket_accept(ticket=t, actor=cast.shequ)
    actions.ticket_resolve_on_spot(ticket=t, actor=cast.shequ, result="已更换灯泡")
    r = c.get("/exchange/replies.xlsx?days=7")
    sheet = load_workbook(io.BytesIO(r.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("工单编号", "本系统编号", "办结状态", "办理结果")
    assert rows[1][0] == "GD-100" and rows[1][3] == "已更换灯泡" and rows[1][2] == "已办结，等待回访"


def test_only_the_district_center_uses_the_exchange(cast) -> None:
    c = Client()
    c.force_login(cast.shequ)
    assert c.get("/exchange/").status_code == 404
    assert c.get("/exchange/replies.xlsx").status_code == 404
