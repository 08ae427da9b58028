"""A meeting's sub-form refused for one wrong field comes back with everything that was typed."""

from __future__ import annotations

import datetime as dt

from django.test import Client
from django.utils import timezone

from minqing.meetings import actions


def test_a_refused_resolution_keeps_what_was_typed(cast) -> None:
    m = actions.meeting_create(actor=cast.shequ, kind="talk", topic="充电桩", place="居民说事厅", area=cast.community_a,
                               starts_at=timezone.now() - dt.timedelta(hours=1), chair="王桂芳")
    actions.meeting_record_attendance(meeting=m, actor=cast.shequ, attended=[], others=10)
    c = Client()
    c.force_login(cast.shequ)
    long_text = "物业在3号楼北侧安装12个充电桩，并在楼道张贴禁止飞线充电的告示"
    r = c.post(f"/meetings/{m.pk}/resolution/", {"resolution-text": long_text, "resolution-owner": cast.unit("东方物业").pk,
                                                  "resolution-due_date": "2001-01-01"}, follow=True)
    page = r.content.decode()
    assert long_text in page  # the text is still in the form
    assert m.resolutions.count() == 0
    again = c.get(f"/meetings/{m.pk}/").content.decode()
    assert long_text not in again  # only once: a fresh visit starts empty
