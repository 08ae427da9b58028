"""Checks on residents' contact data, shared by forms, actions and the API."""

from __future__ import annotations

import datetime as dt
import re

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
