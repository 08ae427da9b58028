"""End to end in headless Chromium: one request from a resident's phone to closing.

Uses Debian's /usr/bin/chromium (the Makefile installs it); Playwright's own browser download
does not work on these machines.
"""

from __future__ import annotations

import re

import pytest
from django.db import connections

from minqing.conftest import ARTIFACTS, build_cast, login
from minqing.tickets.lifecycle import Status
from minqing.tickets.models import Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

def act(page, label: str, fill: dict[str, str] | None = None) -> None:
    page.get_by_role("link", name=label, exact=True).click()
    for selector, value in (fill or {}).items():
        if selector.startswith("select:"):
            page.select_option(selector[7:], label=value)
        elif selector.startswith("check:"):
            page.check(selector[6:])
        else:
            page.fill(selector, value)
    page.get_by_role("button", name=f"确认{label}").click()
    page.wait_for_selector(".msg-success")


def test_a_request_from_the_residents_phone_to_closing(live_server, browser) -> None:
    build_cast()
    ARTIFACTS.mkdir(exist_ok=True)

    # 1. A resident reports on a phone, without an account.
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True).new_page()
    phone.goto(f"{live_server.url}/r/")
    phone.get_by_text("市容秩序").click()
    phone.select_option("#id_category", label="共享单车乱停")
    phone.fill("#id_text", "小区北门共享单车堆成山，把盲道和出入口都堵了，推轮椅出不去。")
    phone.select_option("#id_community", label="西湖街道 · 瓜州路社区")
    # HTMX filled the grids (a selector, not wait_for_function: the page's CSP forbids eval, which it may use)
    phone.wait_for_selector("#id_grid option >> nth=1", state="attached")
    phone.select_option("#id_grid", label="瓜州路社区第一网格")
    phone.fill("#id_reporter_name", "王大爷")
    phone.fill("#id_reporter_phone", "13909311234")
    phone.screenshot(path=str(ARTIFACTS / "resident-form.png"), full_page=True)
    phone.get_by_role("button", name="提交").click()
    number = phone.locator("#ticket-number").inner_text().strip()
    assert re.fullmatch(r"MQ-\d{8}-\d{5}", number)
    phone.screenshot(path=str(ARTIFACTS / "resident-done.png"), full_page=True)

    # 2. Community staff accept it and dispatch it to the city-management department.
    staff = login(browser, live_server, "shequ")
    staff.get_by_role("link", name=re.compile("待受理")).first.click()
    staff.check("#check-all")  # static/js/app.js: ticks every row for a bulk action
    assert staff.locator("input[name=numbers]").first.is_checked()
    staff.uncheck("#check-all")
    assert not staff.locator("input[name=numbers]").first.is_checked()
    staff.get_by_role("link", name=number).click()
    assert "王大爷" in staff.content() and "13909311234" in staff.content()
    act(staff, "受理")
    act(staff, "派单", {"select:#id_unit": "区城市管理行政执法局", "#id_note": "请三个工作日内清理"})
    assert "区城市管理行政执法局" in staff.locator(".facts").inner_text()

    # 3. The department signs, reports progress and resolves it.
    dept = login(browser, live_server, "bumen")
    dept.goto(f"{live_server.url}/tickets/queue/assigned/")
    dept.get_by_role("link", name=number).click()
    act(dept, "签收")
    act(dept, "办结", {"#id_result": "已联系运营企业清走 63 辆单车，并在北门划定停放区。"})
    dept.screenshot(path=str(ARTIFACTS / "staff-detail.png"), full_page=True)

    # 4. The street's callback team calls the resident back (not the community that dispatched it): the unit
    #    contacted them, solved, satisfied, closed.
    agent = login(browser, live_server, "huifang")
    agent.goto(f"{live_server.url}/tickets/queue/callback/")
    agent.get_by_role("link", name=number).click()
    agent.get_by_role("link", name="回访", exact=True).click()
    agent.check("input[name=contacted][value='1']")
    agent.check("input[name=unit_contacted][value='1']")
    agent.check("input[name=solved][value='1']")
    agent.check("input[name=satisfaction][value='satisfied']")
    agent.get_by_role("button", name="确认回访").click()
    agent.wait_for_selector(".msg-success")
    assert "已结案" in agent.locator(".facts").inner_text()

    # 5. The resident follows it with number + phone from another browser.
    other = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    other.goto(f"{live_server.url}/r/track/")
    other.fill("#id_number", number)
    other.fill("#id_secret", "13909311234")
    other.get_by_role("button", name="查询").click()
    assert other.locator("#status").inner_text() == "已结案"
    text = other.content()
    assert "已交由区城市管理行政执法局办理" in text and "划定停放区" in text and "刘海军" not in text
    other.screenshot(path=str(ARTIFACTS / "resident-track.png"), full_page=True)

    try:
        ticket = Ticket.objects.get(number=number)
        assert ticket.status == Status.CLOSED
        assert list(ticket.events.order_by("id").values_list("action", flat=True)) == [
            "create", "accept", "dispatch", "sign", "resolve", "close"
        ]
    finally:
        # Under Playwright's greenlets this code runs in its own context, with its own database
        # connection that the test teardown cannot see; close it so the test database can be dropped.
        connections.close_all()
