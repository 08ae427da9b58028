"""Who sees which meeting, and who may run it."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from minqing.accounts.scope import Scope
from minqing.org.models import Area

from .models import Meeting, MeetingStatus, Resolution


def _grid_communities(scope: Scope) -> set[int]:
    if not scope.grid_ids:
        return set()
    return set(Area.objects.filter(pk__in=scope.grid_ids).values_list("parent_id", flat=True))


def visible_meetings(scope: Scope) -> QuerySet[Meeting]:
    """The district sees all; a street its streets'; a community (and its grid workers) its own;
    a unit the meetings it was invited to, convenes or owes a resolution to. Residents and
    outsiders see only what is on public notice (public pages)."""
    qs = Meeting.objects.select_related("community", "street", "convener", "area")
    if scope.district:
        return qs
    if not scope.is_staff:
        return qs.none()
    communities = scope.community_ids | _grid_communities(scope)
    rule = (Q(street_id__in=scope.street_ids) | Q(community_id__in=communities) | Q(convener_id__in=scope.unit_ids)
            | Q(participants__unit_id__in=scope.unit_ids) | Q(resolutions__owner_id__in=scope.unit_ids))
    ids = Meeting.objects.filter(rule).values("pk")
    return qs.filter(pk__in=ids)


def can_manage(scope: Scope, meeting: Meeting) -> bool:
    """The convening office runs the meeting: agenda, invitations, attendance, votes, minutes."""
    return meeting.convener_id in scope.unit_ids


def can_complete(scope: Scope, resolution: Resolution) -> bool:
    return resolution.done_at is None and (resolution.owner_id in scope.unit_ids
                                           or resolution.meeting.convener_id in scope.unit_ids)


def upcoming_for_agenda(scope: Scope, *, community_id: int, street_id: int) -> QuerySet[Meeting]:
    """Meetings a request of this community may be put on: planned, run by an office the person works for."""
    return (Meeting.objects.filter(status=MeetingStatus.PLANNED, convener_id__in=scope.unit_ids)
            .filter(Q(community_id=community_id) | Q(community=None, street_id=street_id))
            .order_by("starts_at"))


def on_notice(community: Area, *, now: dt.datetime | None = None) -> QuerySet[Meeting]:
    now = now or timezone.now()
    return (Meeting.objects.filter(community=community, notice_from__lte=now, notice_until__gt=now)
            .exclude(status=MeetingStatus.CANCELLED).order_by("-held_at"))


def figures(meetings: QuerySet[Meeting], *, today: dt.date | None = None) -> dict:
    """What the district reports each year: meetings by kind, matters discussed, matters solved at the
    table, and on-time completion of resolutions (done by their deadline ÷ done or already due)."""
    today = today or timezone.localdate()
    held = meetings.filter(status__in=[MeetingStatus.HELD, MeetingStatus.ARCHIVED])
    by_kind = dict(held.values_list("kind").annotate(n=Count("pk")).values_list("kind", "n"))
    resolutions = Resolution.objects.using(meetings.db).filter(meeting__in=held)
    done = resolutions.exclude(done_at=None)
    on_time = sum(1 for r in done.only("done_at", "due_date") if r.on_time)
    due = done.count() + resolutions.filter(done_at=None, due_date__lt=today).count()
    return {
        "meetings": sum(by_kind.values()),
        "by_kind": by_kind,
        "matters": held.aggregate(n=Count("agenda"))["n"],
        "requests_discussed": held.filter(agenda__ticket__isnull=False).values("agenda__ticket").distinct().count(),
        "resolutions": resolutions.count(),
        "solved": done.count(),
        "on_time": on_time,
        "due": due,
        "on_time_rate": round(100 * on_time / due, 1) if due else None,
    }
