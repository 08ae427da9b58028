"""Open311 GeoReport v2: the specification's resources in JSON and XML, its error arrays."""

from __future__ import annotations

from xml.etree import ElementTree as ET

import pytest
from django.test import Client

from minqing.api.models import ApiToken
from minqing.tickets import actions


@pytest.fixture
def key(cast) -> str:
    _, plain = ApiToken.issue(name="311", user=cast.duban, permissions=["intake"])
    return plain


def test_discovery_and_services_in_json_and_xml(cast) -> None:
    c = Client()
    disc = c.get("/open311/v2/discovery.json").json()
    assert disc["endpoints"][0]["specification"] == "http://wiki.open311.org/GeoReport_v2"
    services = c.get("/open311/v2/services.json").json()
    lamp = next(s for s in services if s["service_code"] == "WY01")
    assert lamp == {"service_code": "WY01", "service_name": "路灯损坏", "description": "小区设施与物业 · 百姓安居",
                    "metadata": False, "type": "realtime", "keywords": "", "group": "小区设施与物业"}
    xml = ET.fromstring(c.get("/open311/v2/services.xml").content)
    assert xml.tag == "services" and xml.find("service/service_code") is not None
    definition = c.get("/open311/v2/services/WY01.json").json()
    assert definition == {"service_code": "WY01", "attributes": []}
    missing = c.get("/open311/v2/services/NOPE.json")
    assert missing.status_code == 404 and missing.json()[0]["code"] == 404


def test_post_a_request_then_find_it_every_way(cast, key) -> None:
    c = Client()
    r = c.post("/open311/v2/requests.json", {
        "api_key": key, "service_code": "WY01", "address_id": cast.compound_a.pk,
        "description": "3号楼前面的路灯坏了快一个月了", "first_name": "大妈", "last_name": "张", "phone": "13812345678",
    })
    assert r.status_code == 201, r.content
    number = r.json()[0]["service_request_id"]
    one = c.get(f"/open311/v2/requests/{number}.json").json()[0]
    assert one["status"] == "open" and one["agency_responsible"] == "瓜州路社区居委会"
    assert one["expected_datetime"] is None and "13812345678" not in str(one) and "张" not in one["description"]
    assert c.get("/open311/v2/requests.json", {"service_code": "WY01", "status": "open"}).json()[0][
        "service_request_id"] == number
    assert c.get("/open311/v2/requests.json", {"status": "closed"}).json() == []
    assert c.get(f"/open311/v2/tokens/{number}.json").json()[0]["service_request_id"] == number
    xml = ET.fromstring(c.get(f"/open311/v2/requests/{number}.xml").content)
    assert xml.tag == "service_requests" and xml.findtext("request/service_request_id") == number
    t = actions.ticket_accept(ticket=cast.new_ticket(), actor=cast.shequ)
    actions.ticket_dispatch(ticket=t, actor=cast.shequ, unit=cast.unit("区住建局"))
    expected = c.get(f"/open311/v2/requests/{t.number}.json").json()[0]["expected_datetime"]
    assert expected is not None  # the resolution deadline
    updates = c.get("/open311/v2/servicerequestupdates.json").json()
    assert [u["service_request_id"] for u in updates].count(t.number) == 3  # created, accepted, dispatched


@pytest.mark.parametrize(
    ("data", "status", "text"),
    [
        ({"api_key": "wrong"}, 403, "api_key"),
        ({"service_code": "NOPE"}, 400, "service_code"),
        ({"address_id": "99999999"}, 400, "address_id"),
        ({"lat": "abc", "long": "103.8"}, 400, "坐标"),
        ({"description": ""}, 400, "诉求内容"),
        ({"phone": "12"}, 400, "手机号"),
    ],
)
def test_post_errors_are_the_specifications_error_arrays(cast, key, data: dict, status: int, text: str) -> None:
    base = {"api_key": key, "service_code": "WY01", "address_id": cast.compound_a.pk, "description": "路灯坏了好久了",
            "first_name": "大妈", "last_name": "张", "phone": "13812345678"}
    r = Client().post("/open311/v2/requests.json", {**base, **data})
    assert r.status_code == status and r.json()[0]["code"] == status and text in r.json()[0]["description"]


def test_address_string_finds_the_compound_and_bad_dates_are_400(cast, key) -> None:
    c = Client()
    r = c.post("/open311/v2/requests.xml", {"api_key": key, "service_code": "WY01",
                                            "address_string": f"七里河区{cast.compound_a.name}3号楼",
                                            "description": "楼下路灯不亮了"})
    assert r.status_code == 201 and ET.fromstring(r.content).findtext("request/service_notice").startswith("匿名查询码")
    assert c.get("/open311/v2/requests.json", {"start_date": "yesterday"}).status_code == 400
    assert c.get("/open311/v2/requests.json", {"start_date": "2020-01-01T00:00:00+08:00"}).status_code == 400
    assert c.get("/open311/v2/requests.yaml").status_code == 404
