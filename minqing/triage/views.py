"""Triage in the pages: suggestions while typing (HTMX), duplicates, hotspots, accuracy for admins."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_POST

from minqing.accounts.scope import scope_for
from minqing.lib.validation import parse_id
from minqing.org.models import Area
from minqing.tickets import queries
from minqing.tickets.actions import urgency_hits
from minqing.tickets.forms import TicketForm
from minqing.tickets.lifecycle import may

from . import actions
from .models import Suggestion


def _staff(request: HttpRequest):
    scope = scope_for(request.user)
    if not (scope.is_staff or scope.admin):
        raise Http404
    return scope


@login_required
@require_POST
def suggest(request: HttpRequest) -> HttpResponse:
    """While a request is typed: category proposals, urgency words, probable duplicates."""
    scope = _staff(request)
    text = (request.POST.get("text") or "")[:5000]
    proposals = actions.suggest(text)
    record = actions.suggestion_record(text, proposals)
    fill = None
    if proposals and not parse_id(request.POST.get("category")) and \
            proposals[0].confidence >= settings.MINQING["SUGGEST_FILL_CONFIDENCE"]:
        form = TicketForm(initial={"category": proposals[0].category.pk})
        fill = form["category"]
    area = Area.objects.filter(pk=parse_id(request.POST.get("community")) or 0).first()
    duplicates = actions.duplicates_for(
        text=text, street_id=area.parent_id if area else None, community_id=area.pk if area else None,
        compound_id=parse_id(request.POST.get("compound")),
    ) if len(text.strip()) >= 8 else []
    visible = set(queries.visible_tickets(scope).filter(pk__in=[d.ticket.pk for d in duplicates])
                  .values_list("pk", flat=True))
    duplicates = [d for d in duplicates if d.ticket.pk in visible]  # never requests outside the viewer's scope
    return render(request, "triage/_suggest.html", {
        "proposals": proposals, "fill": fill, "record": record, "urgent": urgency_hits(text),
        "safety_hours": settings.MINQING["SAFETY_HOURS"],
        "duplicates": duplicates,
    })


@login_required
def duplicates(request: HttpRequest, number: str) -> HttpResponse:
    """Probable duplicates of one request, shown on its page, with one-click merge where allowed."""
    scope = _staff(request)
    ticket = queries.visible_tickets(scope).filter(number=number).first()
    if ticket is None:
        raise Http404
    found = actions.duplicates_for(text=ticket.text, street_id=ticket.street_id, community_id=ticket.community_id,
                                   compound_id=ticket.compound_id, exclude=ticket.pk)
    visible = set(queries.visible_tickets(scope).filter(pk__in=[d.ticket.pk for d in found])
                  .values_list("pk", flat=True))
    can_merge = may(scope, ticket, "merge")
    return render(request, "triage/_duplicates.html", {
        "ticket": ticket, "found": [d for d in found if d.ticket.pk in visible], "can_merge": can_merge,
    })


HOTSPOT_LIMIT = 5000


@login_required
def hotspots(request: HttpRequest) -> HttpResponse:
    """Recurring matters in the viewer's scope: one place, one problem, three or more requests in the
    period (not counting rejected requests, nor duplicates already merged into another)."""
    scope = _staff(request)
    days = parse_id(request.GET.get("days")) or 90
    days = max(7, min(days, 365))
    since = timezone.now() - dt.timedelta(days=days)
    period = queries.visible_tickets(scope).filter(created_at__gte=since).exclude(status__in=["rejected", "merged"])
    tickets = list(period.select_related("community", "compound").order_by("-created_at")[:HOTSPOT_LIMIT])
    return render(request, "triage/hotspots.html", {
        "spots": actions.hotspots(tickets, days=days), "days": days, "total": len(tickets),
        "capped": len(tickets) == HOTSPOT_LIMIT, "limit": HOTSPOT_LIMIT,
    })


@staff_member_required
def accuracy(request: HttpRequest) -> HttpResponse:
    rows = (Suggestion.objects.exclude(accepted=None).values("suggested__parent__name", "suggested__name")
            .annotate(total=Count("id"), taken=Count("id", filter=Q(accepted=True))).order_by("-total"))
    model, _ = actions.active_model()
    return render(request, "triage/accuracy.html", {"rows": rows, "model": model})
