"""The patrol page in headless Chromium, on a phone that loses its signal: what is recorded offline waits in the
phone's queue and reaches the server once when the signal is back; the page itself opens offline."""

from __future__ import annotations

import pytest
from django.contrib.sessions.models import Session
from django.db import connections

from minqing.conftest import ARTIFACTS, DEMO_PASSWORD, build_cast
from minqing.grid.models import Patrol, Visit

from .helpers import registry

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def phone(browser, live_server, **options):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, **options)
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "wangge")
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/grid/patrol/")
    return context, page


def until(page, check, what: str) -> None:
    """Wait (up to 15 s) for the server to have something the page sends in the background."""
    for _ in range(150):
        if check():
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"没有等到：{what}")


def record_visit(page, note: str) -> None:
    page.select_option("#v-building", label="瓜州路 88 号 1号楼")
    page.select_option("#v-household", index=1)
    page.select_option("#v-finding", value="problem")
    page.fill("#v-note", note)
    page.uncheck("#v-locate")
    page.click("#save-visit")


def test_a_visit_recorded_offline_is_synced_once_when_back_online(live_server, browser) -> None:
    try:
        registry(build_cast())
        # Service workers blocked: this test is about the queue, so the page's requests meet the network directly.
        context, page = phone(browser, live_server, service_workers="block")
        page.click("#start-button")
        until(page, Patrol.objects.exists, "巡查上传")
        page.wait_for_selector("#queue:has-text('已全部同步')")
        assert Patrol.objects.count() == 1

        context.set_offline(True)
        page.wait_for_selector("#net:has-text('离线')")
        record_visit(page, "楼道灯坏了，老人晚上下楼看不见。")
        page.wait_for_selector("#queue:has-text('待上传：1 条')")
        page.wait_for_selector("#visits .state.queued")
        assert not Visit.objects.exists()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "grid-patrol-offline.png"), full_page=True)

        context.set_offline(False)
        page.wait_for_selector("#queue:has-text('已全部同步')", timeout=30_000)
        page.wait_for_selector("#visits .state.synced")
        page.click("#sync-button")  # once more: nothing is left to send, nothing is sent twice
        page.wait_for_selector("#queue:has-text('已全部同步')")
        visit = Visit.objects.get()
        assert visit.note == "楼道灯坏了，老人晚上下楼看不见。" and visit.patrol == Patrol.objects.get()

        page.click("#end-button")
        page.wait_for_selector("#start:not([hidden])")
        until(page, lambda: Patrol.objects.filter(ended_at__isnull=False).exists(), "结束巡查上传")
        assert Patrol.objects.count() == 1 and Visit.objects.count() == 1
        context.close()
    finally:
        # Under Playwright's greenlets these ORM calls have their own connection, which the test teardown cannot
        # see; closed here so that the test database can be dropped (as in tickets/tests/test_browser.py).
        connections.close_all()


def test_the_patrol_page_opens_without_a_signal(live_server, browser) -> None:
    try:
        registry(build_cast())
        context, page = phone(browser, live_server)
        page.wait_for_selector("body[data-offline-ready='1']")  # the service worker has the page and its files
        page.reload()  # now controlled by the worker
        page.wait_for_selector("body[data-offline-ready='1']")
        context.set_offline(True)
        # Signed out on the server too: were the page fetched from the network, it would be the login page.
        Session.objects.all().delete()
        page.reload()
        page.wait_for_selector("#start-button")
        assert "网格巡查" in page.title()
        context.close()
    finally:
        # Under Playwright's greenlets these ORM calls have their own connection, which the test teardown cannot
        # see; closed here so that the test database can be dropped (as in tickets/tests/test_browser.py).
        connections.close_all()
