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


def parse_period(start: str | None, end: str | None, *, today: dt.date) -> tuple[dt.date, dt.date, str]:
    """A statistics period from untrusted input: this year so far by default. Returns start, end and a
    Chinese message when the input was not a date (then the default period is used)."""
    try:
        return (dt.date.fromisoformat(start or f"{today.year}-01-01"), dt.date.fromisoformat(end or today.isoformat()),
                "")
    except ValueError:
        return dt.date(today.year, 1, 1), today, "日期格式不对，例如 2026-01-01。"


def clean_text(value: str | None, *, field: str, label: str, max_length: int, required: bool = True) -> str:
    """Stripped text, or ActionError naming the field: empty when required, a NUL byte, or too long
    (refused with the limit stated, never cut short)."""
    value = (value or "").strip()
    if "\x00" in value:
        raise ActionError(f"{label}包含无效的空字符，请重新输入。", field=field)
    if required and not value:
        raise ActionError(f"请填写{label}。", field=field)
    if len(value) > max_length:
        raise ActionError(f"{label}不能超过 {max_length} 字（现在 {len(value)} 字）。", field=field)
    return value
