"""Correcting a request's category, type or urgency: recorded with old and new, clocks take the new limits."""

from __future__ import annotations

import pytest
from django.test import Client

from minqing.conftest import build_cast, login, settle
from minqing.lib.errors import ActionError, Forbidden
from minqing.notifications.models import Notification
from minqing.tickets import actions, deadlines
from minqing.tickets.models import TicketType, Urgency


def _in_progress(cast):
    t = actions.ticket_accept(ticket=cast.new_ticket(), actor=cast.shequ)
    t = actions.ticket_dispatch(ticket=t, actor=cast.shequ, unit=cast.unit("区住建局"))
    return actions.ticket_sign(ticket=t, actor=cast.zhujian)


def test_the_community_corrects_category_and_urgency_and_the_clock_follows(cast) -> None:
    t = _in_progress(cast)
    started, old_due = t.resolve_started_at, t.resolve_due_at
    corrected = actions.ticket_correct(ticket=t, actor=cast.shequ, category=cast.category("HJ01"),
                                       type=TicketType.COMPLAINT, urgency=Urgency.URGENT, note="实为环境卫生投诉，且很急")
    assert corrected.category == cast.category("HJ01") and corrected.urgency == Urgency.URGENT
    assert corrected.type == TicketType.COMPLAINT
    policy = deadlines.policy_of(corrected)
    assert corrected.resolve_started_at == started  # the clock is not reset...
    assert corrected.resolve_due_at == deadlines.due(started, policy.resolve_minutes)  # ...it takes the new limit
    assert corrected.resolve_due_at < old_due
    event = corrected.events.get(action="correct")
    assert "紧急程度 一般 → 紧急" in event.data["correction"] and "类型 求助 → 投诉" in event.data["correction"]
    assert event.data["from"]["urgency"] == "normal" and event.data["to"]["urgency"] == "urgent"
    assert event.note == "实为环境卫生投诉，且很急"
    settle()
    assert Notification.objects.filter(recipient=cast.zhujian, title__contains="事项已更正").exists()


def test_who_may_correct_and_nothing_to_correct(cast) -> None:
    t = _in_progress(cast)
    with pytest.raises(Forbidden):  # another community's worker
        actions.ticket_correct(ticket=t, actor=cast.shequ_b, category=cast.category("HJ01"), type=t.type,
                               urgency=t.urgency, note="改一下")
    with pytest.raises(ActionError, match="没有改动"):
        actions.ticket_correct(ticket=t, actor=cast.zhujian, category=t.category, type=t.type, urgency=t.urgency,
                               note="改一下")
    assert not t.events.filter(action="correct").exists()


def test_the_form_shows_the_current_values_and_refuses_a_missing_reason(cast) -> None:
    t = _in_progress(cast)
    c = Client()
    c.force_login(cast.shequ)
    page = c.get(f"/tickets/{t.number}/correct/").content.decode()
    assert f'<option value="{t.category_id}" selected>' in page
    r = c.post(f"/tickets/{t.number}/correct/", {"category": cast.category("HJ01").pk, "type": "help",
                                                      "urgency": "normal", "note": ""})
    assert r.status_code == 200 and "更正理由" in r.content.decode()
    t.refresh_from_db()
    assert t.category == cast.category("WY01")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_in_the_browser_a_worker_corrects_a_wrong_category(live_server, browser) -> None:
    cast = build_cast()
    t = _in_progress(cast)
    page = login(browser, live_server, "shequ")
    page.goto(f"{live_server.url}/tickets/{t.number}/")
    page.get_by_role("link", name="更正分类/类型", exact=True).click()
    page.select_option("#id_category", str(cast.category("HJ01").pk))
    page.select_option("#id_urgency", "urgent")
    page.fill("#id_note", "登记时选错了分类")
    page.click("form button.btn-primary")
    page.wait_for_url(f"**/tickets/{t.number}/")
    content = page.content()
    assert "已更正" in content and "登记时选错了分类" in content
    t.refresh_from_db()
    assert t.category == cast.category("HJ01") and t.urgency == "urgent"


def test_the_api_corrects_too(cast) -> None:
    import json

    t = _in_progress(cast)
    c = Client()
    c.force_login(cast.shequ)
    url = f"/api/v1/requests/{t.number}/actions/correct"
    r = c.post(url, json.dumps({"urgency": "urgent", "note": "居民说很急"}), content_type="application/json")
    assert r.status_code == 200, r.content
    assert r.json()["urgency"] == "urgent" and "correct" in r.json()["allowed_actions"]
    r = c.post(url, json.dumps({"category_id": 999999, "note": "x"}), content_type="application/json")
    assert r.status_code == 422 and r.json()["field"] == "category_id"
