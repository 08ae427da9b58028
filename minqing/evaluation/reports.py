"""Monthly and yearly reports for a scope: the same figures as the pages, as Excel (with native
charts) and as PDF (reportlab, with its built-in Chinese CID font, so no font file is needed)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from openpyxl.chart import BarChart, LineChart, Reference
from reportlab.graphics.charts.barcharts import HorizontalBarChart
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from minqing.lib.xlsx import Sheet, number, workbook_bytes

from .figures import Figures, Period, figures, totals, trend
from .metrics import METRICS, cell, fmt

FONT = "STSong-Light"
RED = colors.HexColor("#C8161D")


@dataclass
class Report:
    title: str
    scope_name: str
    period: Period
    previous: Period
    metrics: list[Any]  # metrics.Metric
    now: Figures
    before: Figures
    sub_label: str
    subs: list[tuple[str, Figures]]
    categories: list[tuple[str, int]]
    trend: list[tuple[str, int, int]]  # label, received, resolved

    def rows(self) -> list[list[str]]:
            return [[m.label, fmt(m, self.now.metric(m.name)), fmt(m, self.before.metric(m.name))] for m in self.metrics]


def build(*, filters: dict[str, Any], period: Period, scope_name: str, sub: str, sub_label: str,
          names: dict[str, dict[Any, str]]) -> Report:
    previous = period.previous()
    subs = totals(filters, period, by=sub)
    cats = sorted(totals(filters, period, by="category").items(), key=lambda kv: -kv[1].received)[:10]
    kind = {"month": "月报", "year": "年报"}.get(period.kind, "报告")
    return Report(
        title=f"{scope_name}民情工作{kind}", scope_name=scope_name, period=period, previous=previous, metrics=METRICS,
        now=figures(filters, period), before=figures(filters, previous), sub_label=sub_label,
        subs=sorted(((names[sub].get(k, "—"), f) for k, f in subs.items() if k is not None),
                    key=lambda r: -(r[1].composite or 0)),
        categories=[(names["category"].get(k, "—"), int(f.received)) for k, f in cats],
        trend=[(label, int(f.received), int(f.resolved)) for label, f in trend(filters, period)],
    )


def xlsx(report: Report) -> bytes:
    """The report as a workbook (figures as numbers and percentages, with Excel's own charts)."""

    def scores_chart(sheet: Any, header: int, last: int) -> None:
        chart = BarChart()
        chart.type = "bar"
        chart.title = f"{report.sub_label}综合得分"
        chart.add_data(Reference(sheet, min_col=2, min_row=header, max_row=last), titles_from_data=True)
        chart.set_categories(Reference(sheet, min_col=1, min_row=header + 1, max_row=last))
        chart.height, chart.width = 10, 18
        sheet.add_chart(chart, "D2")

    def trend_chart(sheet: Any, header: int, last: int) -> None:
        line = LineChart()
        line.title = "诉求量走势"
        line.add_data(Reference(sheet, min_col=2, max_col=3, min_row=header, max_row=last), titles_from_data=True)
        line.set_categories(Reference(sheet, min_col=1, min_row=header + 1, max_row=last))
        line.height, line.width = 10, 20
        sheet.add_chart(line, "E2")

    metrics = report.metrics
    return workbook_bytes([
        Sheet("概要", ["指标", "本期", "上期"],
              [[m.label, cell(m, report.now.metric(m.name)), cell(m, report.before.metric(m.name))] for m in metrics],
              above=[report.title, f"统计周期：{report.period.label}（{report.period.start} 至 {report.period.end}）；"
                                   f"对比：{report.previous.label}", ""]),
        Sheet(f"按{report.sub_label}", [report.sub_label, *[m.label for m in metrics]],
              [[name, *[cell(m, f.metric(m.name)) for m in metrics]] for name, f in report.subs]),
        Sheet("综合得分图", [report.sub_label, "综合得分"], [[name, number(f.composite, 2)] for name, f in report.subs],
              charts=scores_chart if report.subs else None),
        Sheet("走势", ["时间", "收到", "办结"], report.trend, charts=trend_chart if report.trend else None),
        Sheet("高频分类", ["事项分类", "诉求件数"], report.categories),
    ])


def _font() -> None:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def _table(data: list[list[str]], widths: list[float]) -> Table:
    table = Table(data, colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), FONT, 9),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#F5F5F5")),
        ("GRID", (0, 0), (-1, -1), 0.3, colors.HexColor("#D9D9D9")),
        ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
    ]))
    return table


def _bars(labels: list[str], values: list[float], title: str, width: float, colour: Any = RED) -> Drawing:
    height = 30 + 14 * max(len(labels), 1)
    drawing = Drawing(width, height + 20)
    chart = HorizontalBarChart()
    chart.x, chart.y, chart.width, chart.height = 110, 10, width - 130, height - 10
    chart.data = [values or [0]]
    chart.categoryAxis.categoryNames = labels or ["—"]
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = 8
    chart.categoryAxis.reverseDirection = 1
    chart.valueAxis.valueMin = 0
    chart.valueAxis.labels.fontSize = 7
    chart.bars[0].fillColor = colour
    drawing.add(chart)
    drawing.add(String(0, height + 6, title, fontName=FONT, fontSize=10))
    return drawing


def _line(report: Report, width: float) -> Drawing:
    drawing = Drawing(width, 180)
    chart = HorizontalLineChart()
    chart.x, chart.y, chart.width, chart.height = 40, 30, width - 60, 120
    chart.data = [[r[1] for r in report.trend] or [0], [r[2] for r in report.trend] or [0]]
    step = max(1, len(report.trend) // 12)
    chart.categoryAxis.categoryNames = [r[0] if i % step == 0 else "" for i, r in enumerate(report.trend)] or ["—"]
    chart.categoryAxis.labels.fontSize = 7
    chart.valueAxis.valueMin = 0
    chart.valueAxis.labels.fontSize = 7
    chart.lines[0].strokeColor = colors.HexColor("#2F6FDE")
    chart.lines[1].strokeColor = colors.HexColor("#2E9D5B")
    drawing.add(chart)
    drawing.add(String(0, 165, "诉求量走势（蓝：收到；绿：办结）", fontName=FONT, fontSize=10))
    return drawing


def pdf(report: Report) -> bytes:
    _font()
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=16 * mm,
                            bottomMargin=16 * mm, title=report.title, author="民情流水线")
    width = A4[0] - 36 * mm
    h1 = ParagraphStyle("h1", fontName=FONT, fontSize=16, leading=22, spaceAfter=4)
    h2 = ParagraphStyle("h2", fontName=FONT, fontSize=12, leading=18, spaceBefore=10, spaceAfter=4)
    body = ParagraphStyle("body", fontName=FONT, fontSize=9, leading=14, textColor=colors.HexColor("#555555"))
    story: list[Any] = [
        Paragraph(report.title, h1),
        Paragraph(f"统计周期：{report.period.label}（{report.period.start} 至 {report.period.end}），"
                  f"对比{report.previous.label}。数据来自办理记录，生成于 {timezone.localdate():%Y-%m-%d}。", body),
        Paragraph("一、主要指标", h2),
        _table([["指标", "本期", "上期"], *report.rows()], [width * 0.5, width * 0.25, width * 0.25]),
        KeepTogether([Paragraph("二、诉求量走势", h2), _line(report, width)]),
        KeepTogether([Paragraph(f"三、按{report.sub_label}", h2),
                      _bars([n for n, _ in report.subs], [round(f.composite or 0, 2) for _, f in report.subs],
                            f"{report.sub_label}综合得分", width)]),
        Spacer(1, 6),
    ]
    short = ["received", "response_rate", "ontime_rate", "solve_rate", "satisfaction_rate", "composite"]
    metrics = [m for m in report.metrics if m.name in short]
    story.append(_table([[report.sub_label, *[m.label for m in metrics]],
                         *[[n, *[fmt(m, f.metric(m.name)) for m in metrics]] for n, f in report.subs]],
                        [width * 0.22] + [width * 0.13] * len(metrics)))
    story.append(KeepTogether([Paragraph("四、高频事项分类（前十）", h2),
                               _bars([n for n, _ in report.categories], [v for _, v in report.categories], "诉求件数",
                                     width, colors.HexColor("#2F6FDE"))]))
    doc.build(story)
    return out.getvalue()
