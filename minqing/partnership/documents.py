"""The printable two-way service agreement (双向服务协议书) as a Word document."""

from __future__ import annotations

import io

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt

from .models import Agreement


def agreement_docx(a: Agreement) -> bytes:
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "SimSun"
    style.font.size = Pt(12)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")
    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = title.add_run("双向服务协议书")
    run.bold = True
    run.font.size = Pt(20)
    sub = doc.add_paragraph(f"（第 {a.number} 版）")
    sub.alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.add_paragraph(f"甲方（社区）：{a.community.parent.name}{a.community.name}")
    doc.add_paragraph(f"乙方（单位）：{a.unit.name}")
    doc.add_paragraph(
        "为深化“红色矩阵”共驻共建，推动社区需求与单位资源精准对接，经双方协商，签订本协议。")
    doc.add_heading("一、甲方责任", level=2)
    for line in a.community_duties.splitlines():
        if line.strip():
            doc.add_paragraph(line.strip())
    doc.add_heading("二、乙方责任", level=2)
    for line in a.unit_duties.splitlines():
        if line.strip():
            doc.add_paragraph(line.strip())
    doc.add_heading("三、协议期限", level=2)
    doc.add_paragraph(f"自 {a.starts_on:%Y年%m月%d日} 至 {a.ends_on:%Y年%m月%d日}。协议一式两份，双方各执一份，"
                      "经双方签字盖章后生效；变更时另行签订新版本。")
    doc.add_paragraph()
    table = doc.add_table(rows=3, cols=2)
    table.cell(0, 0).text = f"甲方：{a.community.name}（盖章）"
    table.cell(0, 1).text = f"乙方：{a.unit.name}（盖章）"
    table.cell(1, 0).text = f"签字：{a.community_signatory}"
    table.cell(1, 1).text = f"签字：{a.unit_signatory}"
    table.cell(2, 0).text = "日期：    年  月  日"
    table.cell(2, 1).text = "日期：    年  月  日"
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
