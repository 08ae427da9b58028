"""In headless Chromium: the project's before/after chart is drawn (ECharts served locally, nothing against
the Content-Security-Policy), and a knowledge-base answer goes into a 咨询's reply with one click."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from minqing.conftest import ARTIFACTS, build_cast, login, settle
from minqing.governance import actions
from minqing.governance.models import KnowledgeEntry
from minqing.tickets.models import TicketType

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

INK = """(sel) => {
  const c = document.querySelector(sel + ' canvas');
  if (!c) return -1;
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let ink = 0;
  for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 0 && (Math.abs(d[i] - d[i + 1]) > 60 || Math.abs(d[i] - d[i + 2]) > 60)) ink++;
  return ink / (d.length / 4);
}"""


def test_the_chart_is_drawn_and_an_answer_fills_the_reply(live_server, browser) -> None:
    cast = build_cast()
    now = timezone.now()
    for days in (80, 70, 60, 50, 40, 20, 5):
        with time_machine.travel(now - dt.timedelta(days=days), tick=False):
            cast.new_ticket()
    project = actions.project_create(actor=cast.duban, title="路灯专项治理", lead_unit=cast.unit("东方物业"),
                                     keywords="路灯", start_date=timezone.localdate() - dt.timedelta(days=30),
                                     deadline=timezone.localdate() + dt.timedelta(days=60))
    entry = actions.knowledge_save(actor=cast.shequ, question="怎样申请低保？", keywords="低保",
                                   answer="向户籍所在地街道提出书面申请。", category=cast.category("JZ01"))
    enquiry = cast.new_ticket(type=TicketType.ENQUIRY, code="JZ01", text="请问低保怎么申请？")
    settle()
    ARTIFACTS.mkdir(exist_ok=True)
    problems: list[str] = []

    page = login(browser, live_server, "duban")
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(f"{live_server.url}/governance/{project.pk}/")
    page.wait_for_selector("[data-gov-chart][data-drawn='1'] canvas")
    page.wait_for_timeout(300)
    page.screenshot(path=str(ARTIFACTS / "governance-project.png"), full_page=True)
    assert page.evaluate(INK, "[data-gov-chart]") > 0.01  # grey and red bars, the green line
    page.context.close()

    page = login(browser, live_server, "shequ")
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.goto(f"{live_server.url}/tickets/{enquiry.number}/resolve_on_spot/")
    page.click("text=填入办理结果")
    expect(page.locator("#id_result")).to_have_value(re.compile("书面申请"))  # no eval: the CSP forbids it
    page.screenshot(path=str(ARTIFACTS / "governance-knowledge-reply.png"), full_page=True)
    page.context.close()  # no request of the page still running when the live server stops
    assert not problems, problems
    entry.refresh_from_db()
    assert entry.uses == 1 and KnowledgeEntry.objects.get(pk=entry.pk).used.get().ticket_id == enquiry.pk
