"""Checks on untrusted input shared by forms, actions and the API: text, phone numbers, ids, periods."""

from __future__ import annotations

import datetime as dt
import re

from .errors import ActionError

MOBILE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")


def normalize_phone(raw: str) -> str:
    """Return a mainland mobile or landline number without spaces, or raise ValueError."""
    phone = re.sub(r"[\s()（）]", "", raw or "")
    if phone.startswith("+86"):
        phone = phone[3:]
    if MOBILE.match(phone) or LANDLINE.match(phone):
        return phone
    raise ValueError("请填写正确的手机号（11位）或座机号（区号-号码）。")


def parse_id(value: object) -> int | None:
    """A positive database id from untrusted input, or None ("²".isdigit() is true; int("²") fails)."""
    text = str(value if value is not None else "")
    return int(text) if re.fullmatch(r"[0-9]{1,18}", text) else None


# Dates people may ask about. Outside these, turning a date into a moment in Beijing time and back can run
# off the ends of Python's calendar (0001-01-01 00:00 in Beijing is still year 0 in UTC): refuse them.
EARLIEST = dt.date(2000, 1, 1)
LATEST = dt.date(2100, 12, 31)
OUT_OF_RANGE = f"日期超出范围（{EARLIEST.year} 年至 {LATEST.year} 年）。"


def in_range(day: dt.date) -> bool:
    return EARLIEST <= (day.date() if isinstance(day, dt.datetime) else day) <= LATEST


def date_in_range(value: dt.date) -> None:
    """A form field's validator: the same range, as the field's error (a date or a date and time)."""
    from django.core.exceptions import ValidationError

    if value is not None and not in_range(value):
        raise ValidationError(OUT_OF_RANGE, code="out_of_range")


def parse_quarter(text: str | None) -> tuple[dt.date, dt.date] | None:
    """A quarter such as 2026Q4: its first day and the first day after it, or None if it is not one."""
    match = re.fullmatch(r"([0-9]{4})Q([1-4])", (text or "").strip().upper())
    if match is None:
        return None
    year, q = int(match[1]), int(match[2])
    if not EARLIEST.year <= year <= LATEST.year:  # 0000Q1 is not even a date
        return None
    return dt.date(year, 3 * q - 2, 1), dt.date(year + (q == 4), (3 * q) % 12 + 1, 1)


def parse_period(start: str | None, end: str | None, *, today: dt.date) -> tuple[dt.date, dt.date, str]:
    """A statistics period from untrusted input: this year so far by default. Returns start, end and a
    Chinese message when the input was not a date or out of range (then the default period is used)."""
    try:
        first, last = dt.date.fromisoformat(start or f"{today.year}-01-01"), dt.date.fromisoformat(end or today.isoformat())
    except ValueError:
        return dt.date(today.year, 1, 1), today, "日期格式不对，例如 2026-01-01。"
    if not (in_range(first) and in_range(last)):
        return dt.date(today.year, 1, 1), today, OUT_OF_RANGE
    return first, last, ""


_SURROGATE = re.compile("[\ud800-\udfff]")


def unstorable(value: str) -> str:
    """What in this text no database can store, in words, or "": a NUL (PostgreSQL refuses it) or a lone
    surrogate (JSON may carry "\\ud800"; no encoding can write it)."""
    if "\x00" in value:
        return "空字符（NUL）"
    if _SURROGATE.search(value):
        return "不成对的代理字符（U+D800–U+DFFF）"
    return ""


def clean_text(value: str | None, *, field: str, label: str, max_length: int, required: bool = True) -> str:
    """Stripped text, or ActionError naming the field: empty when required, a NUL byte, or too long
    (refused with the limit stated, never cut short)."""
    value = (value or "").strip()
    if bad := unstorable(value):
        raise ActionError(f"{label}包含无效的{bad}，请重新输入。", field=field)
    if required and not value:
        raise ActionError(f"请填写{label}。", field=field)
    if len(value) > max_length:
        raise ActionError(f"{label}不能超过 {max_length} 字（现在 {len(value)} 字）。", field=field)
    return value
