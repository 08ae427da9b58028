"""Input that used to end in a server error gets a clear refusal in the format of its interface: Open311's
error list (JSON or XML), the API's JSON, a form error on the page."""

from __future__ import annotations

import json
from urllib.parse import urlencode
from xml.etree import ElementTree as ET

import pytest
from django.test import Client

from minqing.api.models import ApiToken
from minqing.tickets import actions
from minqing.tickets.models import Ticket

BAD_DATES = [
    ("start_date", "2026-13-45T00:00:00", "不是有效的时间"),  # month 13
    ("end_date", "2026-01-01T25:00:00", "不是有效的时间"),  # hour 25
    ("end_date", "2026-02-03T00:00:00+25:00", "不是有效的时间"),  # offset beyond a day
    ("end_date", "0001-01-01T00:00:00", "超出范围"),  # ninety days before it is no date at all
    ("start_date", "0001-01-01T00:00:00+14:00", "超出范围"),
    ("end_date", "9999-12-31T23:59:59-14:00", "超出范围"),  # UTC would be year 10000
    ("start_date", "yesterday", "W3C"),
]


@pytest.mark.parametrize("path", ["requests", "servicerequestupdates"])
@pytest.mark.parametrize(("name", "value", "text"), BAD_DATES)
def test_bad_open311_dates_are_400_in_the_specifications_format(cast, path: str, name: str, value: str,
                                                                 text: str) -> None:
    c = Client()
    r = c.get(f"/open311/v2/{path}.json", {name: value})
    assert r.status_code == 400 and r.json()[0]["code"] == 400
    assert name in r.json()[0]["description"] and text in r.json()[0]["description"]
    xml = c.get(f"/open311/v2/{path}.xml", {name: value})
    assert xml.status_code == 400 and xml["Content-Type"].startswith("text/xml")
    assert text in ET.fromstring(xml.content).findtext("error/description")


def test_an_open311_window_ending_before_it_starts_is_refused(cast) -> None:
    r = Client().get("/open311/v2/requests.json", {"start_date": "2026-11-30T00:00:00+08:00",
                                                   "end_date": "2026-11-01T00:00:00+08:00"})
    assert r.status_code == 400 and "不能早于" in r.json()[0]["description"]


@pytest.fixture
def key(cast) -> str:
    _, plain = ApiToken.issue(name="311", user=cast.duban, permissions=["intake"])
    return plain


@pytest.mark.parametrize("field", ["description", "address_string", "last_name", "first_name", "phone"])
def test_open311_post_refuses_a_nul_in_any_field_and_records_nothing(cast, key, field: str) -> None:
    data = {"api_key": key, "service_code": "WY01", "address_id": cast.compound_a.pk, "description": "楼下路灯不亮了",
            "last_name": "王", "first_name": "大爷", "phone": "13912345678"}
    data[field] = f"{data.get(field, '瓜州路社区')}\x00"
    r = Client().post("/open311/v2/requests.json", urlencode(data), content_type="application/x-www-form-urlencoded")
    assert r.status_code == 400 and field in r.json()[0]["description"] and "空字符" in r.json()[0]["description"]
    assert Ticket.objects.count() == 0


@pytest.fixture
def token(cast) -> str:
    _, plain = ApiToken.issue(name="api", user=cast.duban, permissions=["intake", "act"])
    return plain


@pytest.mark.parametrize("field", ["text", "title", "reporter_name", "address"])
def test_a_lone_surrogate_in_an_api_string_is_422_in_chinese(cast, token, field: str) -> None:
    body = {"category_id": cast.category().pk, "area_id": cast.compound_a.pk, "text": "3号楼前面的路灯坏了快一个月了",
            field: "路灯\ud800"}
    r = Client().post("/api/v1/requests", json.dumps(body), content_type="application/json",
                      HTTP_AUTHORIZATION=f"Bearer {token}")
    assert r.status_code == 422 and r.json()["field"] == field and "代理字符" in r.json()["message"]
    assert Ticket.objects.count() == 0


def test_a_lone_surrogate_in_an_action_note_changes_nothing(cast, token) -> None:
    t = cast.new_ticket()
    r = Client().post(f"/api/v1/requests/{t.number}/actions/accept", json.dumps({"note": "\udfff"}),
                      content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert r.status_code == 422 and "代理字符" in r.json()["message"]
    t.refresh_from_db()
    assert t.status == "received" and t.events.count() == 1


@pytest.mark.parametrize("query", ["date_from=0001-01-01", "date_to=9999-12-31", "date_from=1999-12-31",
                                   "date_from=0001-01-01&date_to=0001-01-02"])
def test_the_request_search_answers_dates_out_of_range_with_a_form_error(cast, query: str) -> None:
    cast.new_ticket()
    c = Client()
    c.force_login(cast.duban)
    r = c.get(f"/tickets/?{query}")
    assert r.status_code == 200 and "日期超出范围（2000 年至 2100 年）" in r.content.decode()


@pytest.mark.parametrize("quarter", ["0000Q1", "9999Q4", "1999Q4", "-001Q1", "2026Q5", "2026Q0", "2026q"])
def test_a_bad_quarter_for_the_members_record_is_400_with_the_reason(cast, quarter: str) -> None:
    c = Client()
    c.force_login(cast.shequ)
    r = c.get("/lists/members/record.xlsx", {"quarter": quarter})
    assert r.status_code == 400 and "季度格式不对" in r.content.decode()


@pytest.mark.parametrize("url", ["/meetings/stats/?start=0001-01-01", "/lists/stats/?start=2026-01-01&end=9999-12-31"])
def test_statistics_periods_out_of_range_fall_back_with_a_message(cast, url: str) -> None:
    c = Client()
    c.force_login(cast.duban)
    r = c.get(url)
    assert r.status_code == 200 and "日期超出范围" in r.content.decode()


def dispatched(cast):
    t = actions.ticket_accept(ticket=cast.new_ticket(), actor=cast.shequ)
    return actions.ticket_dispatch(ticket=t, actor=cast.shequ, unit=cast.unit("区住建局"))


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_api_dates_out_of_range_in_an_extension_or_a_co_handlers_deadline_are_422(cast, day: str) -> None:
    _, handler = ApiToken.issue(name="zj", user=cast.zhujian, permissions=["act"])
    _, dispatcher = ApiToken.issue(name="sq", user=cast.shequ, permissions=["act"])
    t = actions.ticket_sign(ticket=dispatched(cast), actor=cast.zhujian)
    r = Client().post(f"/api/v1/requests/{t.number}/actions/extension_request",
                      json.dumps({"new_due": day, "note": "需要协调施工队"}), content_type="application/json",
                      HTTP_AUTHORIZATION=f"Bearer {handler}")
    assert r.status_code == 422 and r.json()["field"] == "new_due" and "日期超出范围" in r.json()["message"]
    fresh = actions.ticket_accept(ticket=cast.new_ticket(), actor=cast.shequ)
    r = Client().post(f"/api/v1/requests/{fresh.number}/actions/dispatch", json.dumps({
        "unit_id": cast.unit("区住建局").pk, "assists": [{"unit_id": cast.unit("东方物业").pk, "task": "协助", "due": day}]}),
        content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {dispatcher}")
    assert r.status_code == 422 and "答复时限日期超出范围" in r.json()["message"]
    fresh.refresh_from_db()
    assert fresh.status == "registered" and not fresh.parts.exists()


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_page_forms_answer_dates_out_of_range_with_a_form_error(cast, day: str) -> None:
    t = dispatched(cast)
    c = Client()
    c.force_login(cast.duban)
    r = c.post(f"/tickets/{t.number}/supervise/", {"grade": "normal", "unit": cast.unit("区住建局").pk,
                                                   "reply_due": day, "text": "请尽快办理"})
    assert r.status_code in (200, 400) and "日期超出范围" in r.content.decode() and not t.orders.exists()
    c.force_login(cast.shequ)
    r = c.post("/meetings/new/", {"kind": "compound", "topic": "充电桩", "starts_at": f"{day}T00:00",
                                  "place": "协商议事厅", "area": cast.compound_a.pk, "chair": "王桂芳"})
    assert r.status_code in (200, 400) and "日期超出范围" in r.content.decode()
