"""A third-party Open311 client (georeport, from PyPI, in the dev lock) reads our endpoint over HTTP."""

from __future__ import annotations

import pytest
import requests
from georeport import GeoReport

from minqing.api.models import ApiToken
from minqing.conftest import build_cast

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_georeport_client_lists_reads_and_finds_a_new_request(live_server, fmt) -> None:
    cast = build_cast()
    _, key = ApiToken.issue(name="georeport", user=cast.duban, permissions=["intake"])
    base = f"{live_server.url}/open311/v2"
    client = GeoReport(base, api_key=key, output_format=fmt)
    codes = [s["service_code"] for s in client.get_service_list()]
    assert len(codes) == 31 and "WY01" in codes
    assert client.get_service_definition("WY01")["service_code"] == "WY01"
    # georeport 0.3 only reads; the POST is plain form data, as the specification defines it.
    created = requests.post(f"{base}/requests.json", data={
        "api_key": key, "service_code": "WY01", "address_id": cast.compound_a.pk, "description": "门口路灯坏了一个星期了",
        "first_name": "大爷", "last_name": "王", "phone": "13912345678"}, timeout=30)
    assert created.status_code == 201
    number = created.json()[0]["service_request_id"]
    found = client.get_service_request(number)
    row = found[0] if isinstance(found, list) else found
    assert (row["service_request_id"], row["status"]) == (number, "open")
    listed = client.get_service_requests(service_code="WY01", status="open")
    assert number in [r["service_request_id"] for r in (listed if isinstance(listed, list) else [listed])]
