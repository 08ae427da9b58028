"""Read our Open311 endpoint with a third-party client (georeport 0.3.1, from PyPI), in its own venv.

    python tools/open311_client_check.py BASE_URL API_KEY ADDRESS_ID

Run by minqing/api/tests/test_open311_client.py; prints what it checked and exits non-zero on the
first disagreement with the specification as that client reads it.
"""

import sys

import requests
from georeport import GeoReport

base, key, address_id = sys.argv[1], sys.argv[2], sys.argv[3]
for fmt in ("json", "xml"):
    client = GeoReport(base, api_key=key, output_format=fmt)
    services = client.get_service_list()
    codes = [s["service_code"] for s in services]
    assert "WY01" in codes, codes
    definition = client.get_service_definition("WY01")
    assert definition["service_code"] == "WY01", definition
    # georeport 0.3 only reads; the POST is plain form data, as the specification defines it.
    created = requests.post(f"{base}/requests.json", data={
        "api_key": key, "service_code": "WY01", "address_id": address_id, "description": "门口路灯坏了一个星期了",
        "first_name": "大爷", "last_name": "王", "phone": "13912345678"}, timeout=30)
    created.raise_for_status()
    number = created.json()[0]["service_request_id"]
    found = client.get_service_request(number)
    row = found[0] if isinstance(found, list) else found
    assert row["service_request_id"] == number and row["status"] == "open", row
    listed = client.get_service_requests(service_code="WY01", status="open")
    assert any((r["service_request_id"] if isinstance(r, dict) else None) == number for r in
               (listed if isinstance(listed, list) else [listed])), listed
    print(f"{fmt}: {len(codes)} services, created {number}, read it back, listed it")
