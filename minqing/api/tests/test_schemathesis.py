"""Schemathesis against our own OpenAPI document: generated requests never cause a server error, whether
sent by a district supervisor's token or a resident's; and strings no database can store (lone surrogates,
which schemathesis does not generate) are refused with a Chinese message."""

from __future__ import annotations

import json

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error

from minqing.api.models import ApiToken
from minqing.tickets.models import Ticket

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())
# What a resident reaches: their own requests, and the one step they may take (rating it).
resident_schema = schema.include(path_regex=r"^/api/v1/requests")


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    # Requests through the WSGI app end by closing "old" connections, which would close the test's
    # own transaction on PostgreSQL; Django's test client disconnects this signal the same way.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def full_token(cast) -> str:
    _, plain = ApiToken.issue(name="fuzz", user=cast.duban, permissions=["intake", "read", "act"])
    cast.new_ticket()
    return plain


@pytest.fixture
def resident_token(cast) -> str:
    _, plain = ApiToken.issue(name="fuzz-resident", user=cast.jumin, permissions=["intake", "read", "act"])
    cast.new_ticket(reporter_user=cast.jumin)
    return plain


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_generated_request_causes_a_server_error(case, full_token) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {full_token}"}, checks=[not_a_server_error])


@resident_schema.parametrize()
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
def test_nor_when_a_resident_sends_it(case, resident_token) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {resident_token}"}, checks=[not_a_server_error])


# A lone surrogate is legal JSON ("\ud800") but no database encoding can store it.
SURROGATE = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)
PLAIN = st.text(st.characters(exclude_characters="\x00"), max_size=8)  # a NUL has its own message
TEXT = st.builds(lambda a, s, b: a + s + b, PLAIN, SURROGATE, PLAIN)
REQUEST_FIELDS = ["text", "title", "address", "reporter_name", "reporter_phone", "channel", "type", "urgency"]
ACTION_FIELDS = ["note", "result", "reason", "into_number", "satisfaction", "override", "task", "complexity"]


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(where=st.sampled_from([("request", f) for f in REQUEST_FIELDS] + [("action", f) for f in ACTION_FIELDS]),
       value=TEXT)
def test_strings_with_lone_surrogates_are_refused_in_chinese(cast, where: tuple[str, str], value: str) -> None:
    _, plain = ApiToken.issue(name=f"s{ApiToken.objects.count()}", user=cast.duban, permissions=["intake", "act"])
    kind, field = where
    if kind == "request":
        url = "/api/v1/requests"
        body = {"category_id": cast.category().pk, "area_id": cast.compound_a.pk, "text": "3号楼前面的路灯坏了",
                field: value}
    else:
        url = f"/api/v1/requests/{cast.new_ticket().number}/actions/accept"
        body = {field: value}
    before = Ticket.objects.count()
    r = Client().post(url, json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {plain}")
    assert r.status_code == 422, r.content
    assert r.json()["code"] == "invalid" and field in r.json()["message"] and "代理字符" in r.json()["message"]
    assert Ticket.objects.count() == before
