"""In headless Chromium: a request goes on a compound consultation, a motion passes, the resolution is
assigned to the property company, which completes it, and the public notice shows the result."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connections
from django.utils import timezone

from minqing.conftest import ARTIFACTS, build_cast, login
from minqing.meetings.models import Meeting

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_request_is_decided_at_a_compound_consultation(live_server, browser) -> None:
    cast = build_cast()
    ticket = cast.new_ticket(text="小区电动车都在楼道里充电，电线从窗户拉下来，太吓人了，能不能装充电桩？")
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        # 1. Community staff record the consultation held an hour ago (补录) and put the request on it.
        staff = login(browser, live_server, "shequ")
        staff.goto(f"{live_server.url}/meetings/new/")
        staff.select_option("#id_kind", label="小区协商")
        staff.fill("#id_topic", "电动车充电桩装在哪里")
        staff.fill("#id_starts_at", f"{timezone.localtime() - dt.timedelta(hours=1):%Y-%m-%dT%H:%M}")
        staff.fill("#id_place", "协商议事厅")
        staff.select_option("#id_area", label=f"小区/楼院 · {cast.compound_a.name}")
        staff.fill("#id_chair", "王桂芳")
        staff.get_by_role("button", name="登记").click()
        staff.wait_for_selector(".msg-success")
        meeting_url = staff.url
        staff.goto(f"{live_server.url}/tickets/{ticket.number}/")
        staff.select_option("#agenda-meeting", label=staff.locator("#agenda-meeting option").first.inner_text())
        staff.get_by_role("button", name="提交议事").click()
        staff.wait_for_selector("text=已提交议事")
        assert "提交议事" in staff.locator(".timeline").inner_text()

        # 2. At the table: 28 present, the motion passes 22 : 4 : 2, the property company owns it.
        staff.goto(meeting_url)
        staff.fill("#others", "28")
        staff.get_by_role("button", name="登记到会，会议已召开").click()
        staff.wait_for_selector("text=达到法定人数")
        staff.fill("#id_motion-text", "在北门车棚安装12个充电桩")
        staff.select_option("#id_motion-agenda_item", index=1)
        staff.fill("#id_motion-votes_for", "22")
        staff.fill("#id_motion-votes_against", "4")
        staff.fill("#id_motion-votes_abstain", "2")
        staff.get_by_role("button", name="记录表决").click()
        staff.wait_for_selector("text=表决结果：通过")
        staff.fill("#id_resolution-text", "东方物业在北门车棚安装12个充电桩")
        staff.select_option("#id_resolution-motion", index=1)
        staff.select_option("#id_resolution-owner", label="东方物业")
        staff.fill("#id_resolution-due_date", f"{timezone.localdate() + dt.timedelta(days=14):%Y-%m-%d}")
        staff.get_by_role("button", name="形成决议并交办").click()
        staff.wait_for_selector("text=决议已交办东方物业")
        staff.screenshot(path=str(ARTIFACTS / "meeting-held.png"), full_page=True)

        # 3. The property company sees the assignment and reports it done.
        wuye = login(browser, live_server, "wuye")
        wuye.goto(f"{live_server.url}/notifications/")
        wuye.get_by_text("议事决议交办").first.click()
        wuye.fill("#resolutions input[name=note]", "12个充电桩已安装通电")
        wuye.get_by_role("button", name="确认完成").click()
        wuye.wait_for_selector("text=按期完成")

        # 4. The community publishes the result; anyone can read it without logging in.
        staff.goto(meeting_url)
        staff.get_by_role("button", name="公示结果").click()
        staff.wait_for_selector(".msg-success")
        public = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True).new_page()
        public.goto(f"{live_server.url}/r/notices/")
        public.get_by_role("link", name=cast.community_a.name).click()
        text = public.locator("main").inner_text()
        assert "电动车充电桩装在哪里" in text and "在北门车棚安装12个充电桩" in text
        assert "赞成 22" in text and "按期完成" in text and ticket.reporter_name not in text
        public.screenshot(path=str(ARTIFACTS / "meeting-notice.png"), full_page=True)

        m = Meeting.objects.get()
        r = m.resolutions.get()
        assert r.ticket_id == ticket.pk and r.done_at is not None and r.on_time
        assert list(m.events.order_by("id").values_list("action", flat=True)) == [
            "create", "agenda", "attendance", "motion", "resolution", "resolution_done", "notice"]
    finally:
        connections.close_all()
