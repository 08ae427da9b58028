from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def may_open_projects(user: object) -> bool:
    """Whether the user may set up a 治理专项 (district and street officers): links to it only for them."""
    from minqing.accounts.scope import scope_for
    from minqing.governance.actions import may_create

    return may_create(scope_for(user))  # type: ignore[arg-type]


@register.filter
def rate(value: float | None) -> str:
    """A rate (0–1) as a percentage; no data as a dash (not as 0 %)."""
    return "—" if value is None else f"{value * 100:.1f}%"


@register.filter
def change(value: float | None) -> str:
    """A relative change (−0.3) as “下降 30.0%” / “上升 …”."""
    if value is None:
        return "—"
    return f"{'下降' if value < 0 else '上升' if value > 0 else '持平'} {abs(value) * 100:.1f}%"


@register.filter
def points(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{'+' if value >= 0 else '−'}{abs(value):.1f} 个百分点"


@register.filter
def one(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


@register.filter
def share(value: float | None) -> int:
    """Progress (0–1) as a whole percentage for a bar's width."""
    return 0 if value is None else round(value * 100)
