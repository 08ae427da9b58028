"""The workbench (工作台), every staff member's home page: their queues (tickets) and this month's
figures for their scope (evaluation). It composes two apps, so it lives in the project package, above both."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from minqing.accounts.scope import Scope, scope_for
from minqing.evaluation.figures import figures, period_of
from minqing.evaluation.metrics import METRIC, fmt
from minqing.evaluation.views import allowed_for
from minqing.grid.queries import workbench_panel
from minqing.tickets import queries
from minqing.tickets.lifecycle import OPEN_STATUSES
from minqing.tickets.views import rows


@login_required
def workbench(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request.user)
    if scope.resident and not scope.is_staff:
        return redirect("resident_mine")
    if not (scope.is_staff or scope.admin):
        return render(request, "tickets/no_role.html")
    now = timezone.now()
    counts = queries.queue_counts(scope, now=now)
    return render(
        request,
        "tickets/workbench.html",
        {
            "queues": [(name, queries.QUEUES[name], n) for name, n in counts.items()],
            # only for those whose work has deadlines (a callback agent's queue has none of its own)
            "due_soon": rows(queries.queue(scope, "due_soon", now=now)[:8], now) if "due_soon" in counts else None,
            "overdue": rows(queries.queue(scope, "overdue", now=now)[:8], now) if "overdue" in counts else None,
            "open_count": queries.visible_tickets(scope).filter(status__in=OPEN_STATUSES).count(),
            "figures": month_figures(scope),
            "grid_panel": workbench_panel(scope),  # 网格走访 (minqing/grid)
        },
    )


def month_figures(scope: Scope) -> list[tuple[str, str, str]]:
    """This month's figures for the viewer's scope: the same ones, computed the same way, as 考核评价."""
    month = period_of("month", timezone.localdate())
    f = figures(allowed_for(scope).base, month, median=False)
    params = f"period=month&date={month.start:%Y-%m-%d}"
    out = []
    for name, label in [("received", "本月收到"), ("response_rate", "本月响应率"), ("ontime_rate", "本月按期办结率"),
                        ("satisfaction_rate", "本月满意率")]:
        metric = METRIC[name]
        out.append((label, fmt(metric, f.metric(name)), f"{reverse('evaluation_requests')}?{params}&fact={metric.fact}"))
    return out
