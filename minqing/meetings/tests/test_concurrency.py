"""Two staff recording the same meeting at once, over two real PostgreSQL connections: the meeting row
is locked (select_for_update), so the second sees what the first did and is refused."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from minqing.conftest import POSTGRES_ONLY, build_cast
from minqing.meetings import actions
from minqing.meetings.models import Meeting, MeetingEvent
from minqing.tickets.tests.test_concurrency import race

pytestmark = POSTGRES_ONLY


def test_attendance_recorded_twice_at_once_counts_once() -> None:
    cast = build_cast()
    m = actions.meeting_create(actor=cast.shequ, kind="talk", topic="流浪猫狗", place="居民说事厅",
                               starts_at=timezone.now() - dt.timedelta(hours=1), area=cast.community_a, chair="王桂芳")
    results = race(
        lambda: actions.meeting_record_attendance(meeting=m, actor=cast.shequ, attended=[], others=20),
        lambda: actions.meeting_record_attendance(meeting=m, actor=cast.shuji, attended=[], others=35),
        after_read=False,
    )
    wins = [r for r in results if isinstance(r, Meeting)]
    losses = [r for r in results if isinstance(r, actions.ActionError)]
    assert len(wins) == 1 and len(losses) == 1, results
    assert "已经召开" in losses[0].message
    assert MeetingEvent.objects.filter(meeting=m, action="attendance").count() == 1
    assert Meeting.objects.get(pk=m.pk).present == wins[0].present


def test_a_resolution_completed_twice_at_once_is_recorded_once() -> None:
    cast = build_cast()
    m = actions.meeting_create(actor=cast.shequ, kind="talk", topic="路灯", place="居民说事厅",
                               starts_at=timezone.now() - dt.timedelta(hours=1), area=cast.community_a, chair="王桂芳")
    actions.meeting_record_attendance(meeting=m, actor=cast.shequ, attended=[], others=20)
    r = actions.resolution_add(meeting=m, actor=cast.shequ, text="物业换路灯", owner=cast.unit("东方物业"),
                               due_date=timezone.localdate() + dt.timedelta(days=5))
    results = race(
        lambda: actions.resolution_complete(resolution=r, actor=cast.wuye, note="换好了"),
        lambda: actions.resolution_complete(resolution=r, actor=cast.shequ, note="已验收"),
        after_read=False,
    )
    assert sum(isinstance(x, actions.ActionError) for x in results) == 1, results
    assert MeetingEvent.objects.filter(meeting=m, action="resolution_done").count() == 1
