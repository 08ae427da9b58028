"""Tables as Excel downloads: every table in the app can be taken away as a spreadsheet."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from urllib.parse import quote

from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.styles import Font

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_response(content: bytes, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return response


def sheet_bytes(sheets: Iterable[tuple[str, Sequence[str], Iterable[Sequence[object]]]]) -> bytes:
    """A workbook of (title, header, rows) sheets, headers in bold, columns wide enough for Chinese."""
    book = Workbook()
    book.remove(book.active)
    for title, header, rows in sheets:
        sheet = book.create_sheet(title[:31])
        sheet.append(list(header))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append(list(row))
        for i, h in enumerate(header, start=1):
            sheet.column_dimensions[sheet.cell(1, i).column_letter].width = max(10, 2 * len(str(h)) + 2)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def table_xlsx(name: str, title: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> HttpResponse:
    return xlsx_response(sheet_bytes([(title, header, rows)]), name)
