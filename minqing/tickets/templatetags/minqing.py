from __future__ import annotations

from django import template
from django.utils.html import format_html

from minqing.tickets.lifecycle import Status

register = template.Library()

STATUS_CLASS = {
    Status.RECEIVED: "st-new",
    Status.REGISTERED: "st-new",
    Status.ASSIGNED: "st-progress",
    Status.IN_PROGRESS: "st-progress",
    Status.SUSPENDED: "st-muted",
    Status.RESOLVED: "st-done",
    Status.CLOSED: "st-done",
    Status.REJECTED: "st-muted",
    Status.MERGED: "st-muted",
}


@register.simple_tag
def status_badge(ticket: object) -> str:
    status = ticket.status  # type: ignore[attr-defined]
    return format_html(
        '<span class="badge {}">{}</span>', STATUS_CLASS.get(status, ""), Status(status).label
    )


@register.simple_tag
def clock_badge(clock: object) -> str:
    from django.utils import timezone

    due = f"{timezone.localtime(clock.due_at):%Y-%m-%d %H:%M}"  # type: ignore[attr-defined]
    return format_html(
        '<span class="clock clock-{}" title="{}截止 {}">{}·{}</span>',
        clock.state, clock.label, due, clock.label, clock.text,  # type: ignore[attr-defined]
    )


@register.inclusion_tag("_field.html")
def field(bound_field: object) -> dict:
    return {"f": bound_field}


@register.filter
def iso_local(value: str | None) -> str:
    """An ISO timestamp from an event's data, shown in local time."""
    import datetime as dt

    from django.utils import timezone

    if not value:
        return ""
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return value
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M}"


@register.filter
def masked_phone(value: str | None) -> str:
    from minqing.lib.masking import mask_phone

    return mask_phone(value) if value else ""


@register.filter
def masked_name(value: str | None) -> str:
    from minqing.lib.masking import mask_name

    return mask_name(value) if value else ""


@register.filter
def public_text(value: str | None, names: object = ()) -> str:
    """Free text for the public to read: phones, ID numbers and names masked; `names` (a name or a list)
    are known to belong to residents and masked wherever they occur."""
    from minqing.lib.masking import mask_public_text

    known = [names] if isinstance(names, str) else list(names) if isinstance(names, (list, tuple, set)) else []
    return mask_public_text(value or "", names=known)


@register.filter
def public_text_about(value: str | None, subject: str | None) -> str:
    """Free text about someone named on purpose (an award's nominee): their name stays, others are masked."""
    from minqing.lib.masking import mask_public_text

    return mask_public_text(value or "", keep=[subject] if subject else [])
