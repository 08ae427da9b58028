"""How many SQL statements one intake costs (issue 23). Counts are behaviour, not timing: a query per
level of the area tree, or per policy lookup, shows up here long before it shows up in a benchmark.
The first intake of a process reads the reference data (area tree, catalogue, policies, offices) once;
the counts below are for the ones after it."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from minqing.api.models import ApiToken, IdempotencyKey
from minqing.tickets.models import Ticket

# token, roles, counter, request, event, pending rows, personal-data view (+ savepoints in tests)
API_POST = 10
OPEN311_POST = 10


@pytest.fixture
def token(cast) -> str:
    _, plain = ApiToken.issue(name="qc", user=cast.duban, permissions=["intake"])
    return plain


def _post(c: Client, cast, token: str, **headers) -> tuple[int, list[str]]:
    data = {"channel": "online", "type": "help", "category_id": cast.category().pk, "area_id": cast.compound_a.pk,
            "text": "3号楼前面的路灯坏了快一个月了，晚上黑乎乎的。", "reporter_name": "张大妈",
            "reporter_phone": "13812345678"}
    with CaptureQueriesContext(connection) as ctx:
        r = c.post("/api/v1/requests", json.dumps(data), content_type="application/json",
                   HTTP_AUTHORIZATION=f"Bearer {token}", **headers)
    assert r.status_code in (200, 201), r.content
    return r.status_code, [q["sql"] for q in ctx.captured_queries]


def test_an_api_intake_costs_at_most_ten_statements(cast, token) -> None:
    c = Client()
    _post(c, cast, token)  # reads the reference data
    status, sql = _post(c, cast, token)
    assert status == 201
    assert len(sql) <= API_POST, "\n".join(sql)
    reference = ('FROM "org_area"', 'FROM "tickets_deadlinepolicy"', 'FROM "tickets_category"', 'FROM "org_unit"')
    assert not any(r in q for q in sql for r in reference), "\n".join(sql)
    assert Ticket.objects.count() == 2


def test_an_idempotent_intake_adds_only_the_key(cast, token) -> None:
    c = Client()
    _post(c, cast, token)
    status, sql = _post(c, cast, token, HTTP_IDEMPOTENCY_KEY="k-1")
    assert status == 201 and len(sql) <= API_POST + 2, "\n".join(sql)  # the lookup, the key row
    again, _ = _post(c, cast, token, HTTP_IDEMPOTENCY_KEY="k-1")
    assert again == 200 and Ticket.objects.count() == 2 and IdempotencyKey.objects.count() == 1


def test_an_open311_intake_costs_at_most_ten_statements(cast, token) -> None:
    c = Client()
    data = {"api_key": token, "service_code": "WY01", "address_id": cast.compound_a.pk, "lat": "", "long": "",
            "description": "3号楼前面的路灯坏了快一个月了", "first_name": "大妈", "last_name": "张", "phone": "13812345678"}
    assert c.post("/open311/v2/requests.json", data).status_code == 201
    with CaptureQueriesContext(connection) as ctx:
        r = c.post("/open311/v2/requests.json", data)
    assert r.status_code == 201, r.content
    assert len(ctx.captured_queries) <= OPEN311_POST, "\n".join(q["sql"] for q in ctx.captured_queries)


def test_the_cached_catalogue_forgets_a_category_the_admin_switches_off(cast, token) -> None:
    c = Client()
    _post(c, cast, token)
    category = cast.category()
    category.active = False
    category.save()
    data = {"category_id": category.pk, "area_id": cast.compound_a.pk, "text": "3号楼前面的路灯坏了快一个月了",
            "anonymous": True}
    r = c.post("/api/v1/requests", json.dumps(data), content_type="application/json",
               HTTP_AUTHORIZATION=f"Bearer {token}")
    assert r.status_code == 422 and "停用" in r.json()["message"]


def test_an_area_added_by_another_process_is_found_at_once(cast, token) -> None:
    from minqing.org.models import Area
    from minqing.tickets.actions import IntakeCache

    c = Client()
    _post(c, cast, token)  # this process now holds the area tree
    new = Area.objects.bulk_create([Area(name="新建小区", kind="compound", parent=cast.compound_a.parent,
                                         code="TEST-NEW-1")])[0]  # bulk: no signal, as if saved elsewhere
    assert IntakeCache.shared().area(new.pk) is not None
    data = {"category_id": cast.category().pk, "area_id": new.pk, "text": "新建小区门口的路灯坏了", "anonymous": True}
    r = c.post("/api/v1/requests", json.dumps(data), content_type="application/json",
               HTTP_AUTHORIZATION=f"Bearer {token}")
    assert r.status_code == 201, r.content


def test_open311_reads_are_one_query_each(cast) -> None:
    c = Client()
    number = cast.new_ticket().number
    for path in ("/open311/v2/requests.json", f"/open311/v2/requests/{number}.json"):
        c.get(path)  # reads the names of places, units and services once
        with CaptureQueriesContext(connection) as ctx:
            r = c.get(path)
        assert r.status_code == 200 and len(ctx.captured_queries) == 1, "\n".join(q["sql"] for q in ctx.captured_queries)
        assert r.json()[0]["agency_responsible"] == "瓜州路社区居委会" and "瓜州路社区" in r.json()[0]["address"]
