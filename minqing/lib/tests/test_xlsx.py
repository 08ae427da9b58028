"""Spreadsheets in and out (lib/xlsx.py): what Excel makes of the files the app writes, read back with
openpyxl; and files built to exhaust the importer, refused with a reason before they can."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from openpyxl import Workbook, load_workbook

from minqing.lib.xlsx import Limits, Sheet, TableError, number, percent, read_table, workbook_bytes

NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
LIMITS = Limits(total_bytes=10_000_000, member_bytes=5_000_000, rows=100, columns=10, cell_chars=500)


def excel(*parts: int) -> dt.datetime:
    """A time as a spreadsheet holds it: local, without a zone."""
    return dt.datetime(*parts)  # noqa: DTZ001


def read_back(content: bytes):
    return load_workbook(io.BytesIO(content)).worksheets[0]


def test_text_that_looks_like_a_formula_stays_text() -> None:
    attacks = ["=HYPERLINK(\"http://evil.example\",\"点我\")", "+1+1", "-2+3", "@SUM(A1:A9)", "\t=1+1", "\r=1+1",
               "=cmd|' /C calc'!A0", "#N/A"]
    content = workbook_bytes([Sheet("回复", ["办理结果"], [[a] for a in attacks])])
    sheet = read_back(content)
    cells = [sheet.cell(row=i + 2, column=1) for i in range(len(attacks))]
    assert [c.value for c in cells] == attacks  # the text itself is unchanged
    assert all(c.data_type == "s" for c in cells)  # strings, never formulas (type "f") or error codes
    assert all(c.quotePrefix for c in cells[:7])  # marked as typed-as-text, as Excel marks '=...
    xml = zipfile.ZipFile(io.BytesIO(content)).read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in xml and b"<f " not in xml


def test_numbers_percentages_and_dates_keep_their_types() -> None:
    shanghai = ZoneInfo("Asia/Shanghai")
    when = dt.datetime(2026, 12, 1, 1, 30, tzinfo=dt.UTC)  # 09:30 in Shanghai
    content = workbook_bytes([Sheet("数", ["件数", "变化", "满意率", "时长", "日期", "时间", "金额"], [
        [8, -3, percent(0.953), number(12.34, 1), dt.date(2026, 12, 1), when, Decimal("2.50")],
        ["—", "-3", None, None, None, when.astimezone(shanghai).replace(tzinfo=None), 0]])])
    sheet = read_back(content)
    row = [c for c in sheet[2]]
    assert [c.value for c in row[:4]] == [8, -3, pytest.approx(0.953), pytest.approx(12.34)]
    assert row[1].data_type == "n"  # a negative number is a number
    assert row[2].number_format == "0.0%" and row[3].number_format == "0.0"
    assert row[4].value == excel(2026, 12, 1) and row[4].number_format == "yyyy-mm-dd"
    assert row[5].value == excel(2026, 12, 1, 9, 30)  # local time: Excel has no time zones
    assert row[5].number_format == "yyyy-mm-dd hh:mm" and row[6].value == 2.5
    assert sheet.cell(3, 2).value == "-3" and sheet.cell(3, 2).data_type == "s"  # text stays text
    assert sheet.cell(3, 6).value == excel(2026, 12, 1, 9, 30)


def test_columns_fit_their_content_and_the_header_stays_in_view() -> None:
    long_name = "兰州市七里河区西湖街道瓜州路社区居民委员会"  # 21 Chinese characters: 42 wide
    content = workbook_bytes([Sheet("单位", ["编号", "单位名称"], [["MQ1", long_name], ["MQ2", "物业"]]),
                              Sheet("报告", ["指标", "本期"], [["收到诉求", 8]], above=["某社区民情工作月报", "统计周期"])])
    book = load_workbook(io.BytesIO(content))
    units, report = book["单位"], book["报告"]
    assert units.freeze_panes == "A2" and report.freeze_panes == "A4"
    assert units.column_dimensions["B"].width == 44  # Chinese characters count two, plus a margin
    assert units.column_dimensions["A"].width == 8  # never narrower than this
    assert units["A1"].font.b and report["A1"].value == "某社区民情工作月报" and report["A3"].font.b


def test_control_characters_and_lone_surrogates_do_not_break_the_file() -> None:
    content = workbook_bytes([Sheet("x", ["内容"], [["楼道\x0b灯坏了\x00"], ["坏\ud800字"], ["长" * 40_000]])])
    sheet = read_back(content)
    assert sheet["A2"].value == "楼道灯坏了" and sheet["A3"].value == "坏\ufffd字" and len(sheet["A4"].value) == 32_767


# --- reading -----------------------------------------------------------------------------------------------
def xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def with_part(name: str, data: bytes, base: bytes | None = None) -> bytes:
    """A real workbook with one part replaced, as a crafted file would be."""
    src = zipfile.ZipFile(io.BytesIO(base or xlsx([["工单编号", "诉求内容"], ["GD-1", "路灯坏了"]])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            z.writestr(info.filename, data if info.filename == name else src.read(info.filename))
    return out.getvalue()


def sheet_xml(body: str, head: str = "") -> bytes:
    return f"<worksheet {NS}>{head}<sheetData>{body}</sheetData></worksheet>".encode()


def test_a_table_reads_with_its_types_and_true_line_numbers() -> None:
    content = xlsx([["工单编号", "来电时间", "电话"], [], ["GD-1", excel(2026, 11, 30, 9, 0), 13912345678],
                    ["GD-2", "2026-12-01", None]])
    table = read_table(content, limits=LIMITS)
    assert table.header == ["工单编号", "来电时间", "电话"]
    assert table.rows == [(3, ["GD-1", excel(2026, 11, 30, 9, 0), 13912345678]), (4, ["GD-2", "2026-12-01"])]
    csv = read_table("工单编号,诉求内容\nGD-1,\"路灯,坏了\"\n".encode(), csv_ok=True, name="a.csv", limits=LIMITS)
    assert csv.header == ["工单编号", "诉求内容"] and csv.rows == [(2, ["GD-1", "路灯,坏了"])]


def test_one_row_of_millions_of_empty_cells_is_refused_at_once() -> None:
    # 24 KB on disk, 20 MB inside: openpyxl alone took 37 s and 1.5 GB over this one.
    bomb = with_part("xl/worksheets/sheet1.xml", sheet_xml('<row r="1">' + "<c/>" * 5_000_000 + "</row>"))
    assert len(bomb) < 100_000
    with pytest.raises(TableError, match="第 1 行的单元格过多"):
        read_table(bomb)


def test_a_declared_size_of_a_million_rows_is_not_filled_in() -> None:
    padded = with_part("xl/worksheets/sheet1.xml", sheet_xml(
        '<row r="1"><c r="A1" t="inlineStr"><is><t>工单编号</t></is></c></row>'
        '<row r="2"><c r="A2" t="inlineStr"><is><t>GD-1</t></is></c></row>', head='<dimension ref="A1:XFD1048576"/>'))
    assert read_table(padded, limits=LIMITS).rows == [(2, ["GD-1"])]
    far = with_part("xl/worksheets/sheet1.xml", sheet_xml(
        '<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row><row r="2000000"><c r="A2000000"><v>1</v></c></row>'))
    with pytest.raises(TableError, match="行数上限"):
        read_table(far, limits=LIMITS)


@pytest.mark.parametrize(("content", "reason"), [
    (xlsx([["编号"], *[[f"GD-{i}"] for i in range(101)]]), "表格超过 100 行"),
    (xlsx([["编号", *[""] * 9, "第11列"]]), "第 1 行超过 10 列"),
    (xlsx([["编号"], ["长" * 501]]), "第 2 行第 1 列超过 500 个字符"),
    (with_part("xl/worksheets/sheet1.xml", b" " * 5_000_001), "每个部分上限 4.8 MB"),
    (b"PK\x05\x06" + b"\0" * 18, "不是有效的 .xlsx"),
    (b"not a workbook", "不是有效的 .xlsx"),
    (with_part("xl/styles.xml", f"<styleSheet {NS}><cellXfs>{'<xf/>' * 70_000}</cellXfs></styleSheet>".encode()),
     "单元格格式过多"),
    (with_part("xl/worksheets/sheet1.xml", sheet_xml("<row>" + "<x>" * 40 + "</x>" * 40 + "</row>")), "层次过深"),
])
def test_files_over_a_limit_are_refused_with_the_reason(content: bytes, reason: str) -> None:
    with pytest.raises(TableError, match=reason):
        read_table(content, limits=LIMITS)


def test_the_sum_of_the_parts_is_capped_too() -> None:
    content = with_part("xl/worksheets/sheet1.xml", sheet_xml("") + b" " * 3_000_000,
                        base=with_part("docProps/app.xml", b" " * 3_000_000))
    with pytest.raises(TableError, match="解压后过大（5.7 MB，上限 4.8 MB）"):
        read_table(content, limits=Limits(**{**LIMITS.__dict__, "total_bytes": 5_000_000}))


def test_csv_over_a_limit_is_refused_with_the_reason() -> None:
    over_128k = "工单编号,诉求内容\nGD-1," + "长" * 140_000 + "\n"
    with pytest.raises(TableError, match="第 2 行有单元格超过 32,767 个字符"):  # csv's own limit is 128 KB
        read_table(over_128k.encode(), csv_ok=True, name="a.csv")
    with pytest.raises(TableError, match="第 2 行过长"):
        read_table(("编号\n" + "," * 6_000_000).encode(), csv_ok=True, name="a.csv", limits=LIMITS)
    with pytest.raises(TableError, match="UTF-8"):
        read_table("编号\n".encode("gbk"), csv_ok=True, name="a.csv", limits=LIMITS)
