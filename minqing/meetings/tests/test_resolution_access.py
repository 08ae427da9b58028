"""A unit responsible for a meeting's resolution sees the request it follows up, with personal data masked."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from minqing.conftest import build_cast, login
from minqing.meetings import actions


def _resolution_on_a_request(cast):
    ticket = cast.new_ticket(text="小区里电动车都推到楼道里充电，太危险了，能不能装几个充电桩",
                             reporter_phone="13912345678")
    m = actions.meeting_create(actor=cast.shequ, kind="talk", topic="充电桩", place="居民说事厅", area=cast.community_a,
                               starts_at=timezone.now() - dt.timedelta(hours=1), chair="王桂芳")
    actions.agenda_add(meeting=m, actor=cast.shequ, ticket=ticket)
    actions.meeting_record_attendance(meeting=m, actor=cast.shequ, attended=[], others=10)
    actions.resolution_add(meeting=m, actor=cast.shequ, text="物业在3号楼北侧安装充电桩", owner=cast.unit("东方物业"),
                           due_date=timezone.localdate() + dt.timedelta(days=10),
                           agenda_item=m.agenda.get())
    return m, ticket


def test_the_responsible_unit_opens_the_linked_request_masked(cast) -> None:
    m, ticket = _resolution_on_a_request(cast)
    c = Client()
    c.force_login(cast.wuye)  # 东方物业: responsible for the resolution, not handling the request
    page = c.get(f"/tickets/{ticket.number}/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "充电桩" in body and "13912345678" not in body and "139****5678" in body
    other = Client()
    other.force_login(cast.bumen)  # another unit still does not see it
    assert other.get(f"/tickets/{ticket.number}/").status_code == 404


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_in_the_browser_the_unit_follows_the_resolution_to_its_request(live_server, browser) -> None:
    cast = build_cast()
    m, ticket = _resolution_on_a_request(cast)
    page = login(browser, live_server, "wuye")
    page.goto(f"{live_server.url}/meetings/{m.pk}/")
    page.click(f"#resolutions >> text={ticket.number}")
    page.wait_for_url(f"**/tickets/{ticket.number}/")
    assert "充电桩" in page.content() and "页面不存在" not in page.content()
