"""Spreadsheets in and out: every workbook the app writes goes through `workbook_bytes`, every table it
reads through `read_table`.

Writing. Numbers stay numbers (a negative number is a number, not text); `percent()` and `number()` give a
value its number format; dates and times become real Excel dates in local time (Asia/Shanghai: Excel has
no time zones); each column is as wide as its widest cell (a Chinese character counts two); the header is
bold and frozen. Text is never a formula: text is always a string cell (openpyxl would make "=..." a formula
and "#N/A" an error), and one that starts with = + - @, a tab or a carriage return is also marked "typed as
text" (quotePrefix, what Excel records when someone types '=...), so Excel evaluates it neither on opening
nor when the cell is edited. The text itself is left as it was (OWASP's other choice, a leading apostrophe,
would change the data the 12345 platform gets back).

Reading. A .xlsx is a zip: its members' declared sizes are checked before any is opened (zipfile never
inflates a member past its declared size, so the declaration is a real bound); then each part is streamed
with rows, columns, cell length and everything else a part may repeat bounded while reading. The limits
are settings.MINQING["IMPORT_*"]; a file over one fails with the reason in Chinese (TableError), and the
callers read the whole table before they write anything.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import posixpath
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import quote
from xml.etree.ElementTree import ParseError

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import MAC_EPOCH, WINDOWS_EPOCH
from openpyxl.worksheet._reader import WorkSheetParser
from openpyxl.xml.constants import SHARED_STRINGS as SHARED_STRINGS_TYPE
from openpyxl.xml.constants import XLSM as XLSM_TYPE
from openpyxl.xml.constants import XLSX as XLSX_TYPE
from openpyxl.xml.constants import XLTM as XLTM_TYPE
from openpyxl.xml.constants import XLTX as XLTX_TYPE
from openpyxl.xml.functions import iterparse

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXCEL_CELL_CHARS = 32_767
EXCEL_ROWS = 1_048_576
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
PERCENT_FORMAT = "0.0%"
_SURROGATES = re.compile("[\ud800-\udfff]")
_BAD_TITLE = re.compile(r"[\[\]:*?/\\]")  # characters Excel refuses in a sheet's name


# --- writing -----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Number:
    """A number shown with an Excel number format (the value stays a number)."""

    value: float | int | Decimal
    format: str


def percent(value: float | Decimal | None) -> Number | None:
    """A share (0.953) as a percentage cell (95.3%)."""
    return None if value is None else Number(value, PERCENT_FORMAT)


def number(value: float | Decimal | None, places: int = 1) -> Number | None:
    """A number shown with so many decimal places (the cell keeps the exact value)."""
    return None if value is None else Number(value, "0" if places <= 0 else "0." + "0" * places)


@dataclass
class Sheet:
    """One worksheet: a header and rows, optionally lines above the header (a report's title, the first
    one large) and a function drawing charts once the rows are in (sheet, header row, last row)."""

    title: str
    header: Sequence[str]
    rows: Iterable[Sequence[object]]
    above: Sequence[str] = ()
    charts: Callable[[Any, int, int], None] | None = None


# East Asian wide and fullwidth characters (what unicodedata.east_asian_width calls W and F), by block.
_WIDE = re.compile("[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf"
                   "\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6\U00020000-\U0003fffd]")


def text_width(text: str) -> int:
    """How many Latin characters wide the text is in Excel: Chinese (wide) characters count two."""
    return max((len(line) + len(_WIDE.findall(line)) for line in text.split("\n")), default=0)


def _clean(text: str) -> str:
    text = ILLEGAL_CHARACTERS_RE.sub("", text)
    if _SURROGATES.search(text):
        text = _SURROGATES.sub("\ufffd", text)
    return text[:EXCEL_CELL_CHARS]


TEXT, QUOTED = "text", "quoted"  # a text cell; one marked typed-as-text (it starts like a formula)


def _convert(value: object) -> tuple[object, str | None, int]:
    """The value as the cell will hold it, its format (a number format, TEXT or QUOTED) and its width."""
    fmt = None
    if isinstance(value, Number):
        fmt = value.format
        value = value.value
    if isinstance(value, float | Decimal) and not math.isfinite(value):
        value = None
    if value is None:
        return None, None, 0
    if isinstance(value, bool | int | float | Decimal):
        if fmt is None:
            return value, None, len(str(value))
        return value, fmt, 7 if fmt == PERCENT_FORMAT else len(f"{float(value):.{fmt.count('0') - 1}f}")
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.replace(tzinfo=None), DATETIME_FORMAT, len(DATETIME_FORMAT)
    if isinstance(value, dt.date):
        return value, DATE_FORMAT, len(DATE_FORMAT)
    text = _clean(str(value))
    return text, QUOTED if text.startswith(FORMULA_START) else TEXT, text_width(text)


def _cell(sheet: Any, value: object, fmt: str | None) -> Any:
    cell = WriteOnlyCell(sheet, value)
    if fmt in {TEXT, QUOTED}:
        cell.data_type = "s"  # never a formula, never an error code such as #N/A
        if fmt == QUOTED:
            cell.quotePrefix = True
    elif fmt is not None:
        cell.number_format = fmt
    return cell


def _write(book: Workbook, spec: Sheet) -> None:
    sheet = book.create_sheet(_BAD_TITLE.sub("", spec.title)[:31] or "Sheet")
    widths: dict[int, int] = {}
    header = [_convert(title) for title in spec.header]
    for col, (_, _, width) in enumerate(header, start=1):
        widths[col] = width
    # Widths come from every row and a write-only sheet needs them before its first row: the rows are
    # kept as plain values until then (a tenth of the memory of openpyxl's cells).
    rows = []
    for values in spec.rows:
        converted = [_convert(v) for v in values]
        for col, (_, _, width) in enumerate(converted, start=1):
            widths[col] = max(widths.get(col, 0), width)
        rows.append([(v, f) for v, f, _ in converted])
    for col, width in widths.items():
        sheet.column_dimensions[get_column_letter(col)].width = min(max(width + 2, 8), 60)
    header_row = len(spec.above) + 1
    sheet.freeze_panes = f"A{header_row + 1}"
    if spec.charts is not None:
        spec.charts(sheet, header_row, header_row + len(rows))
    for i, line in enumerate(spec.above):
        value, fmt, _ = _convert(line)
        cell = _cell(sheet, value, fmt)
        cell.font = Font(bold=True, size=14) if i == 0 else Font()
        sheet.append([cell])
    bold = Font(bold=True)
    cells = []
    for value, fmt, _ in header:
        cell = _cell(sheet, value, fmt)
        cell.font = bold
        cells.append(cell)
    sheet.append(cells)
    for row in rows:  # plain values where openpyxl's own typing is right already (much faster than cells)
        sheet.append([v if f is None or (f == TEXT and v not in ERROR_CODES) else _cell(sheet, v, f) for v, f in row])


def workbook_bytes(sheets: Iterable[Sheet | tuple[str, Sequence[str], Iterable[Sequence[object]]]]) -> bytes:
    """A workbook of sheets (a Sheet, or a (title, header, rows) tuple)."""
    book = Workbook(write_only=True)
    for spec in sheets:
        _write(book, spec if isinstance(spec, Sheet) else Sheet(*spec))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def xlsx_response(content: bytes, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return response


def table_xlsx(name: str, title: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> HttpResponse:
    return xlsx_response(workbook_bytes([Sheet(title, header, rows)]), name)


# --- reading -----------------------------------------------------------------------------------------------
# openpyxl cannot be given a hostile file: a 24 KB .xlsx holding one row of five million empty cells took it
# 37 s and 1.5 GB, and it builds whole trees of the workbook, its relations and its styles (1 MB of empty
# styles: 7.6 s). So every part is streamed here, each element dropped as soon as it has been read, with a
# bound on everything a part may repeat; openpyxl only turns one cell's XML into its value.
class TableError(ValueError):
    """A file that cannot be taken as a table; the message says why, in Chinese."""


@dataclass
class Table:
    header: list[str]
    rows: list[tuple[int, list[Any]]]  # (line in the file, values) of the non-blank rows below the header


@dataclass(frozen=True)
class Limits:
    total_bytes: int  # the file, and the sum of its zip members' uncompressed sizes
    member_bytes: int  # one zip member, uncompressed
    rows: int
    columns: int
    cell_chars: int

    @classmethod
    def from_settings(cls) -> Limits:
        s = settings.MINQING
        return cls(total_bytes=s["IMPORT_MAX_BYTES"], member_bytes=s["IMPORT_MAX_MEMBER_BYTES"],
                   rows=s["IMPORT_MAX_ROWS"], columns=s["IMPORT_MAX_COLUMNS"], cell_chars=s["IMPORT_MAX_CELL_CHARS"])


EXCEL_COLUMNS = 16_384
EXCEL_STYLES = 65_536  # Excel keeps at most 64,000 cell formats
MAX_DEPTH = 32  # elements inside elements; a worksheet needs about six
MAX_CELL_PARTS = 1_000  # elements inside one cell or shared string (rich-text runs)
MAX_DIRECTORY_BYTES = 1024 * 1024  # the zip's list of members (about 10,000 of them)
BROKEN = "无法读取文件：不是有效的 .xlsx 表格（只支持 .xlsx，不支持 .xls）。"
WORKBOOK_TYPES = {XLSX_TYPE, XLSM_TYPE, XLTX_TYPE, XLTM_TYPE}
R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def _mb(n: int) -> str:
    if n < 1024 * 1024:
        return f"{max(1, round(n / 1024))} KB"
    return f"{n / 1024 / 1024:.1f}".removesuffix(".0") + " MB"


def read_table(content: bytes, *, csv_ok: bool = False, name: str = "", limits: Limits | None = None) -> Table:
    """The first sheet of an .xlsx (or, with csv_ok and a name ending .csv, a UTF-8 .csv) as a header and
    its non-blank rows, every limit checked before and while reading; raises TableError."""
    limits = limits or Limits.from_settings()
    if len(content) > limits.total_bytes:
        raise TableError(f"文件超过 {_mb(limits.total_bytes)}，请分成几个文件导入。")
    if csv_ok and name.lower().endswith(".csv"):
        return _collect(_csv_rows(content, limits), limits)
    return _collect(_xlsx_rows(content, limits), limits)


def _collect(rows: Iterator[tuple[int, list[Any]]], limits: Limits) -> Table:
    header: list[str] | None = None
    data: list[tuple[int, list[Any]]] = []
    for line, values in rows:
        for col, v in enumerate(values, start=1):
            if isinstance(v, str) and len(v) > limits.cell_chars:
                raise TableError(f"第 {line} 行第 {col} 列超过 {limits.cell_chars:,} 个字符，无法导入。")
        while values and (values[-1] is None or values[-1] == ""):
            values.pop()
        if len(values) > limits.columns:
            raise TableError(f"第 {line} 行超过 {limits.columns} 列，无法导入（表格最多 {limits.columns} 列）。")
        if header is None:
            if values:
                header = ["" if v is None else str(v).strip() for v in values]
            continue
        if not any(v is not None and str(v).strip() for v in values):
            continue
        if len(data) >= limits.rows:
            raise TableError(f"表格超过 {limits.rows:,} 行，请分成几个文件导入。")
        data.append((line, ["" if v is None else v for v in values]))
    if header is None:
        raise TableError("文件是空的。")
    return Table(header, data)


def _csv_rows(content: bytes, limits: Limits) -> Iterator[tuple[int, list[Any]]]:
    try:
        text = content.decode("utf-8-sig", errors="strict")
    except UnicodeDecodeError as exc:
        raise TableError("无法读取文件：CSV 文件须为 UTF-8 编码（在 Excel 里另存为“CSV UTF-8”）。") from exc
    # A line longer than this has more columns or a longer cell than allowed; refusing it before the csv
    # module splits it keeps a line of a million commas from becoming a list of a million cells.
    longest = limits.columns * (limits.cell_chars + 3)

    def lines() -> Iterator[str]:
        for number, line in enumerate(io.StringIO(text, newline=""), start=1):
            if len(line) > longest:
                raise TableError(f"第 {number} 行过长（超过 {limits.columns} 列或单元格超过 {limits.cell_chars:,} 个字符），"
                                 "无法导入。")
            yield line

    reader = csv.reader(lines())
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:  # over csv's own field limit (128 KB), a stray quote, a NUL
            if "field larger than field limit" in str(exc):
                raise TableError(f"第 {reader.line_num} 行有单元格超过 {limits.cell_chars:,} 个字符，无法导入。") from exc
            raise TableError(f"无法读取 CSV 文件：第 {reader.line_num} 行格式不对（{exc}）。") from exc
        yield reader.line_num, list(values)


def _check_zip(content: bytes, limits: Limits) -> zipfile.ZipFile:
    """The zip, once its directory and every member's declared size are within the limits. zipfile never
    inflates a member past its declared size (it stops there and reports a bad CRC), so they are real bounds."""
    tail = content[-(22 + 65_535):]
    end = tail.rfind(b"PK\x05\x06")
    if end < 0:
        raise TableError(BROKEN)
    directory = int.from_bytes(tail[end + 12:end + 16], "little")
    if directory > MAX_DIRECTORY_BYTES or (end >= 20 and tail[end - 20:end - 16] == b"PK\x06\x07"):
        raise TableError("无法读取文件：压缩包里的文件过多。")
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        raise TableError(BROKEN) from exc
    total = 0
    for m in archive.infolist():
        if m.compress_type not in {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED}:
            raise TableError("无法读取文件：表格用了不支持的压缩方式，请用 Excel 或 WPS 另存为 .xlsx 后再导入。")
        if m.file_size > limits.member_bytes:
            raise TableError(f"表格解压后过大（其中 {m.filename[:60]} 有 {_mb(m.file_size)}，每个部分上限 "
                             f"{_mb(limits.member_bytes)}），请分成几个文件导入。")
        total += m.file_size
    if total > limits.total_bytes:
        raise TableError(f"表格解压后过大（{_mb(total)}，上限 {_mb(limits.total_bytes)}），请分成几个文件导入。")
    return archive


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _stream(archive: zipfile.ZipFile, path: str, keep: str) -> Iterator[tuple[str, Any]]:
    """("start", element) and ("end", element) of one part. Elements named `keep` come whole, at their end,
    and nothing inside them is reported; every element is removed from its parent once it has ended."""
    stack: list[Any] = []
    kept_at = parts = 0
    try:
        with archive.open(path) as source:
            for event, elem in iterparse(source, events=("start", "end")):
                if event == "start":
                    stack.append(elem)
                    if len(stack) > MAX_DEPTH:
                        raise TableError("无法读取文件：表格结构异常（层次过深）。")
                    if kept_at:
                        parts += 1
                        if parts > MAX_CELL_PARTS:
                            raise TableError("无法读取文件：一个单元格里的格式片段过多。")
                    elif _local(elem.tag) == keep:
                        kept_at, parts = len(stack), 0
                    else:
                        yield "start", elem
                    continue
                depth = len(stack)
                stack.pop()
                if kept_at and depth > kept_at:
                    continue  # part of the element being kept: read with it
                kept_at = 0
                yield "end", elem
                if stack:
                    stack[-1].remove(elem)
    except KeyError as exc:
        raise TableError(BROKEN) from exc
    except (zipfile.BadZipFile, ParseError, EOFError, OSError, ValueError) as exc:
        if isinstance(exc, TableError):
            raise
        raise TableError("无法读取文件：表格内容已损坏。") from exc


def _attributes(archive: zipfile.ZipFile, path: str, tag: str) -> Iterator[dict[str, str]]:
    for event, elem in _stream(archive, path, keep=tag):
        if event == "end" and _local(elem.tag) == tag:
            yield dict(elem.attrib)


def _target(base: str, target: str) -> str:
    if target.startswith("/"):
        return target[1:]
    return posixpath.normpath(posixpath.join(posixpath.dirname(base), target))


def _first_sheet(archive: zipfile.ZipFile) -> tuple[str, str | None, bool]:
    """The first worksheet's part, the shared strings' part, and whether dates count from 1904."""
    names = set(archive.namelist())
    workbook, strings = "xl/workbook.xml", None
    for a in _attributes(archive, "[Content_Types].xml", "Override"):
        if a.get("ContentType") in WORKBOOK_TYPES:
            workbook = a.get("PartName", "").lstrip("/")
        elif a.get("ContentType") == SHARED_STRINGS_TYPE:
            strings = a.get("PartName", "").lstrip("/")
    targets = {}
    rels = posixpath.join(posixpath.dirname(workbook), "_rels", posixpath.basename(workbook) + ".rels")
    for a in _attributes(archive, rels, "Relationship"):
        if a.get("TargetMode") != "External":
            targets[a.get("Id")] = (_target(workbook, a.get("Target", "")), a.get("Type", ""))
    sheet, mac = None, False
    for event, elem in _stream(archive, workbook, keep="sheet"):
        tag = _local(elem.tag)
        if event == "end" and tag == "workbookPr":
            mac = elem.get("date1904") in {"1", "true"}
        elif event == "end" and tag == "sheet" and sheet is None:
            path, kind = targets.get(elem.get(R_ID), ("", ""))
            if path in names and kind.endswith("/worksheet"):
                sheet = path
    if sheet is None:
        raise TableError("无法读取文件：表格里没有工作表。")
    return sheet, (strings if strings in names else None), mac


def _date_styles(archive: zipfile.ZipFile) -> tuple[set[int], set[int]]:
    """Which cell styles show dates, and which of those durations (so their numbers are read as dates)."""
    if "xl/styles.xml" not in archive.namelist():
        return set(), set()
    custom: dict[int, str] = {}
    dates: set[int] = set()
    durations: set[int] = set()
    in_cell_xfs, count = False, 0
    for event, elem in _stream(archive, "xl/styles.xml", keep="xf"):
        tag = _local(elem.tag)
        if tag == "cellXfs":
            in_cell_xfs = event == "start"
        elif event == "end" and tag == "numFmt" and (elem.get("numFmtId") or "").isdigit():
            custom[int(elem.get("numFmtId"))] = elem.get("formatCode", "")
        elif event == "end" and tag == "xf" and in_cell_xfs:
            ident = elem.get("numFmtId") or "0"
            code = custom.get(int(ident)) if ident.isdigit() else None
            code = code if code is not None else BUILTIN_FORMATS.get(int(ident) if ident.isdigit() else 0, "")
            if is_date_format(code):
                dates.add(count)
                if is_timedelta_format(code):
                    durations.add(count)
            count += 1
            if count > EXCEL_STYLES:
                raise TableError("无法读取文件：表格里的单元格格式过多。")
    return dates, durations


def _string_text(si: Any) -> str:
    """A shared string's text: its own, or its rich-text runs' (the phonetic guide left out), as openpyxl reads it."""
    parts = []
    for child in si:
        tag = _local(child.tag)
        if tag == "t":
            parts.append(child.text or "")
        elif tag == "r":
            parts.extend(t.text or "" for t in child if _local(t.tag) == "t")
    return "".join(parts).replace("x005F_", "")


def _shared_strings(archive: zipfile.ZipFile, path: str | None, limits: Limits) -> list[str]:
    strings: list[str] = []
    if path is None:
        return strings
    most = limits.rows * limits.columns
    for event, elem in _stream(archive, path, keep="si"):
        if event == "end" and _local(elem.tag) == "si":
            text = _string_text(elem)
            if len(text) > limits.cell_chars:
                raise TableError(f"表格里有单元格超过 {limits.cell_chars:,} 个字符，无法导入。")
            strings.append(text)
            if len(strings) > most:
                raise TableError("表格里的文字过多，请分成几个文件导入。")
    return strings


def _xlsx_rows(content: bytes, limits: Limits) -> Iterator[tuple[int, list[Any]]]:
    archive = _check_zip(content, limits)
    sheet, strings_path, mac = _first_sheet(archive)
    dates, durations = _date_styles(archive)
    cells = WorkSheetParser(None, _shared_strings(archive, strings_path, limits), data_only=True,
                            epoch=MAC_EPOCH if mac else WINDOWS_EPOCH, date_formats=dates,
                            timedelta_formats=durations)
    rows = seen = total = 0
    line, width = 0, 0
    values: dict[int, Any] | None = None
    most = limits.rows * limits.columns
    for event, elem in _stream(archive, sheet, keep="c"):
        tag = _local(elem.tag)
        if tag == "row":
            if event == "start":
                rows += 1
                r = elem.get("r") or ""
                line = int(r) if r.isdigit() else line + 1
                if line > EXCEL_ROWS or rows > EXCEL_ROWS:
                    raise TableError(f"表格超过 Excel 的行数上限（{EXCEL_ROWS:,} 行），无法读取。")
                cells.row_counter, cells.col_counter, width, seen, values = line, 0, 0, 0, {}
            elif values is not None:
                yield line, [values.get(col) for col in range(1, width + 1)]
                values = None
        elif tag == "c" and values is not None:
            seen += 1
            total += 1
            if seen > EXCEL_COLUMNS or total > most:
                raise TableError(f"第 {line} 行的单元格过多，无法导入。")
            try:
                cell = cells.parse_cell(elem)
            except (ValueError, IndexError, TypeError, OverflowError) as exc:
                raise TableError(f"无法读取文件：第 {line} 行的单元格已损坏。") from exc
            value = cell["value"]
            if value is None or value == "":
                continue
            if cell["column"] > limits.columns:
                raise TableError(f"第 {line} 行超过 {limits.columns} 列，无法导入（表格最多 {limits.columns} 列）。")
            if isinstance(value, str) and len(value) > limits.cell_chars:
                raise TableError(f"第 {line} 行第 {cell['column']} 列超过 {limits.cell_chars:,} 个字符，无法导入。")
            values[cell["column"]] = value
            width = max(width, cell["column"])
