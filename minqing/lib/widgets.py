"""Form widgets the whole site shares."""

from __future__ import annotations

from django import forms


def date_input(**attrs: str) -> forms.DateInput:
    """`<input type=date>` wants an ISO value (2026-12-02); the Chinese locale would write 2026/12/02, which
    the browser shows as empty and a re-saved form then wipes."""
    return forms.DateInput(format="%Y-%m-%d", attrs={"type": "date", **attrs})


def phone_input() -> forms.TextInput:
    """A phone number: the phone keypad on mobiles, the browser may fill it in."""
    return forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "tel"})
