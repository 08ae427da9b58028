"""One definition of overdue: the workbench card, its queue, the 考核评价 dashboard and the supervision page
count the same requests for the same viewer, and each links to exactly those requests."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from minqing.conftest import build_cast, login
from minqing.conftest import suspended as suspend
from minqing.tickets import actions


def _number(html: str, pattern: str) -> int:
    found = re.search(pattern, html, re.S)
    assert found, pattern
    return int(found.group(1))


def test_every_page_counts_the_same_overdue_requests(cast) -> None:
    with time_machine.travel(timezone.now() - dt.timedelta(days=20), tick=False):
        never_accepted = cast.new_ticket()
        late_at_unit = actions.ticket_accept(ticket=cast.new_ticket(), actor=cast.shequ)
        late_at_unit = actions.ticket_dispatch(ticket=late_at_unit, actor=cast.shequ, unit=cast.unit("区住建局"))
        in_b = cast.new_ticket(community="b")
        suspended = actions.ticket_accept(ticket=cast.new_ticket(), actor=cast.shequ)
        suspended = actions.ticket_dispatch(ticket=suspended, actor=cast.shequ, unit=cast.unit("瓜州路社区居委会"))
        suspended = actions.ticket_sign(ticket=suspended, actor=cast.shequ)
    suspend(suspended, by=cast.shequ, approver=cast.jiedao, until=timezone.localdate() + dt.timedelta(days=30))
    expected = {
        "shequ": {never_accepted.number, late_at_unit.number}, "jiedao": {never_accepted.number, late_at_unit.number},
        "zhujian": {late_at_unit.number}, "shequ_b": {in_b.number}, "wangge": {never_accepted.number, late_at_unit.number},
        "duban": {never_accepted.number, late_at_unit.number, in_b.number},
    }
    for who, numbers in expected.items():
        c = Client()
        c.force_login(getattr(cast, who))
        workbench = c.get("/").content.decode()
        card = _number(workbench, r'href="/tickets/queue/overdue/">\s*<span class="count">(\d+)</span>')
        queue = c.get("/tickets/queue/overdue/").content.decode()
        listed = set(re.findall(r"MQ-\d{8}-\d{5}", queue))
        dashboard = c.get("/evaluation/").content.decode()
        kpi = _number(dashboard, r'<span class="kpi-label">当前超期</span><span class="kpi-value">(\d+)</span>')
        supervision = _number(c.get("/supervision/").content.decode(), r"本范围现在已超期</span> <strong>(\d+)</strong>")
        assert (card, kpi, supervision) == (len(numbers),) * 3, who
        assert listed == numbers, who
    c = Client()
    c.force_login(cast.duban)  # a district supervisor looking at one street: the card links to that street's part
    street = cast.community_b.parent
    page = c.get(f"/evaluation/?street={street.pk}").content.decode()
    assert _number(page, r'<span class="kpi-label">当前超期</span><span class="kpi-value">(\d+)</span>') == 1
    link = re.search(r'<a class="kpi card kpi-alert" href="([^"]+)"', page).group(1).replace("&amp;", "&")
    assert set(re.findall(r"MQ-\d{8}-\d{5}", c.get(link).content.decode())) == {in_b.number}


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_in_the_browser_the_overdue_card_opens_exactly_its_requests(live_server, browser) -> None:
    cast = build_cast()
    with time_machine.travel(timezone.now() - dt.timedelta(days=20), tick=False):
        late = [cast.new_ticket(), actions.ticket_accept(ticket=cast.new_ticket(), actor=cast.shequ)]
    cast.new_ticket()  # on time
    page = login(browser, live_server, "shequ")
    card = page.locator('a[href="/tickets/queue/overdue/"] .count').first
    assert card.inner_text().strip() == str(len(late))
    card.click()
    page.wait_for_url("**/tickets/queue/overdue/")
    listed = set(re.findall(r"MQ-\d{8}-\d{5}", page.content()))
    assert listed == {t.number for t in late} and f"共 {len(late)} 条" in page.content()
