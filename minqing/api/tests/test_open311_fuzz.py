"""Hypothesis over Open311's parameters: random strings, dates in and out of range, numbers and lone
surrogates never cause a server error, and every refusal is the specification's error list, in Chinese."""

from __future__ import annotations

import json
import re
from urllib.parse import quote, urlencode
from xml.etree import ElementTree as ET

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from minqing.api.models import ApiToken

DATES = st.one_of(
    st.datetimes().map(lambda d: d.isoformat()),  # years 1 to 9999, no offset
    st.builds(lambda d, h, m, sign: f"{d.isoformat()}{sign}{h:02d}:{m:02d}", st.datetimes(),
              st.integers(0, 30), st.integers(0, 99), st.sampled_from("+-")),  # offsets up to ±30:99
    st.builds(lambda y, mo, d, h: f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:00:00", st.integers(0, 9999), st.integers(0, 19),
              st.integers(0, 39), st.integers(0, 29)),  # month 13, day 32, hour 25
    st.dates().map(str),
)
SURROGATE = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)
VALUES = st.one_of(DATES, st.text(max_size=30), st.integers(-(2**70), 2**70).map(str),
                   st.floats(allow_nan=True).map(str), st.builds(lambda a, s: a + s, st.text(max_size=5), SURROGATE),
                   st.sampled_from(["open", "closed", "WY01", "WY01,WY02", "MQ-20261130-00001", "", "\x00"]))
PARAMS = st.dictionaries(st.sampled_from(["start_date", "end_date", "updated_after", "updated_before", "status",
                                          "service_code", "service_request_id", "page", "page_size", "lat", "long",
                                          "jurisdiction_id"]), VALUES, max_size=4)
PATHS = st.sampled_from(["requests", "servicerequestupdates", "services", "discovery", "requests/MQ-20261130-00001",
                         "services/WY01", "tokens/MQ-20261130-00001"])


def _query(params: dict[str, str]) -> str:
    # The way a careless client sends them: lone surrogates as the bytes UTF-8 would give them.
    return "&".join(f"{quote(k)}={quote(v, encoding='utf-8', errors='surrogatepass')}" for k, v in params.items())


def assert_answered(r, fmt: str) -> None:
    assert r.status_code < 500, (r.status_code, r.content[:300])
    if r.status_code >= 400:
        if fmt == "xml" and r["Content-Type"].startswith("text/xml"):
            errors = [(e.findtext("code"), e.findtext("description")) for e in ET.fromstring(r.content)]
        else:
            errors = [(e["code"], e["description"]) for e in json.loads(r.content)]
        assert errors and all(str(code) == str(r.status_code) for code, _ in errors), r.content
        assert all(re.search(r"[\u4e00-\u9fff]", text) for _, text in errors), r.content


@pytest.fixture
def key(cast) -> str:
    cast.new_ticket()
    _, plain = ApiToken.issue(name="311-fuzz", user=cast.duban, permissions=["intake"])
    return plain


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(path=PATHS, fmt=st.sampled_from(["json", "xml"]), params=PARAMS)
def test_no_get_causes_a_server_error(cast, path: str, fmt: str, params: dict[str, str]) -> None:
    r = Client().get(f"/open311/v2/{path}.{fmt}?{_query(params)}")
    assert_answered(r, fmt)


FIELDS = st.fixed_dictionaries(
    {"service_code": st.one_of(st.sampled_from(["WY01", "SR01", ""]), st.text(max_size=10))},
    optional={"address_id": VALUES, "address_string": st.one_of(st.just("七里河区瓜州路社区3号楼"), VALUES),
              "description": st.one_of(st.just("楼下路灯不亮了好几天"), VALUES), "first_name": VALUES,
              "last_name": VALUES, "phone": st.one_of(st.just("13812345678"), VALUES), "email": VALUES,
              "lat": VALUES, "long": VALUES, "device_id": VALUES, "media_url": VALUES},
)


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(fmt=st.sampled_from(["json", "xml"]), fields=FIELDS, with_key=st.booleans())
def test_no_post_causes_a_server_error(cast, key, fmt: str, fields: dict[str, str], with_key: bool) -> None:
    data = {**fields, "api_key": key if with_key else "wrong"}
    body = urlencode(data, encoding="utf-8", errors="surrogatepass")
    r = Client().post(f"/open311/v2/requests.{fmt}", body, content_type="application/x-www-form-urlencoded")
    assert_answered(r, fmt)
