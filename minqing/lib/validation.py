"""Checks on residents' contact data, shared by forms, actions and the API."""

from __future__ import annotations

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
