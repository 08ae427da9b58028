"""Meetings through the API: the same scope as the pages, the agenda, votes and resolutions."""

from __future__ import annotations

import datetime as dt

from django.test import Client
from django.utils import timezone

from minqing.meetings import actions


def test_meetings_are_listed_and_shown_within_scope(cast, capsys) -> None:
    t = cast.new_ticket()
    m = actions.meeting_create(actor=cast.shequ, kind="talk", topic="流浪猫狗怎么办", place="居民说事厅",
                               starts_at=timezone.now() - dt.timedelta(hours=2), area=cast.community_a, chair="王桂芳")
    actions.agenda_add(meeting=m, actor=cast.shequ, ticket=t)
    actions.meeting_record_attendance(meeting=m, actor=cast.shequ, attended=[], others=18)
    motion = actions.motion_record(meeting=m, actor=cast.shequ, text="联系救助站集中收容", votes_for=15,
                                   votes_against=2, votes_abstain=1)
    actions.resolution_add(meeting=m, actor=cast.shequ, text="联系救助站集中收容", owner=cast.unit("东方物业"),
                           due_date=timezone.localdate() + dt.timedelta(days=7), motion=motion)
    c = Client()
    c.force_login(cast.jiedao)
    page = c.get("/api/v1/meetings?kind=talk").json()
    assert page["count"] == 1 and page["results"][0]["topic"] == "流浪猫狗怎么办"
    detail = c.get(f"/api/v1/meetings/{m.pk}").json()
    assert detail["agenda"][0]["request"] == t.number and detail["present"] == 18
    assert detail["motions"][0]["passed"] is True and detail["resolutions"][0]["state"] == "落实中"
    bad = c.get("/api/v1/meetings?kind=party")
    assert bad.status_code == 422 and "会议类型" in bad.json()["message"]
    c.force_login(cast.shequ_b)
    assert c.get("/api/v1/meetings").json()["count"] == 0
    assert c.get(f"/api/v1/meetings/{m.pk}").status_code == 404
    assert Client().get("/api/v1/meetings").status_code == 401
