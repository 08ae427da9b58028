"""SQL statements per request of the hottest pages, against the database DATABASE_URL names (issue 23):
the intake POSTs, a community worker's queue, the district dashboard, the API and Open311 lists.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/minqing_load .venv/bin/python bench/page_queries.py

Each page is fetched twice through Django's test client and the second fetch is counted (the first reads
the per-process reference data). Run it on a database the demo command filled (load_test.sh leaves one).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minqing.settings")
os.environ.setdefault("MINQING_API_AUTH_RATE", "100000000/m")

import django

django.setup()

import django.test.client  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from minqing.accounts.models import User  # noqa: E402
from minqing.api.models import ApiToken  # noqa: E402
from minqing.ops.lean import client_handler  # noqa: E402
from minqing.org.models import Area  # noqa: E402
from minqing.tickets.models import Category, Ticket  # noqa: E402

django.test.client.ClientHandler = client_handler()  # type: ignore[misc]  # route like the server


def count(client: Client, method: str, path: str, **kwargs: object) -> tuple[int, int]:
    getattr(client, method)(path, **kwargs)
    with CaptureQueriesContext(connection) as ctx:
        r = getattr(client, method)(path, **kwargs)
    return r.status_code, len(ctx.captured_queries)


def main() -> None:
    token = ApiToken.issue(name="page-queries", user=User.objects.get(username="duban"), permissions=["intake", "read"])[1]
    api = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {token}")
    shequ, duban = Client(HTTP_HOST="127.0.0.1"), Client(HTTP_HOST="127.0.0.1")
    shequ.force_login(User.objects.get(username="shequ"))
    duban.force_login(User.objects.get(username="duban"))
    compound = Area.objects.filter(kind="compound").order_by("code").first()
    body = json.dumps({"category_id": Category.objects.get(code="WY01").pk, "area_id": compound.pk,
                       "text": "3号楼前面的路灯坏了快一个月了（查询计数）", "anonymous": True})
    number = Ticket.objects.latest("id").number
    rows = [
        ("POST /api/v1/requests", count(api, "post", "/api/v1/requests", data=body, content_type="application/json")),
        ("POST /open311/v2/requests.json", count(Client(HTTP_HOST="127.0.0.1"), "post", "/open311/v2/requests.json", data={
            "api_key": token, "service_code": "WY01", "address_id": compound.pk, "description": "路灯坏了快一个月了（查询计数）"})),
        ("GET /tickets/queue/received/ (community worker)", count(shequ, "get", "/tickets/queue/received/")),
        ("GET /evaluation/ (district supervisor)", count(duban, "get", "/evaluation/")),
        ("GET /api/v1/requests?status=received", count(api, "get", "/api/v1/requests", data={"status": "received"})),
        (f"GET /api/v1/requests/{number}", count(api, "get", f"/api/v1/requests/{number}")),
        ("GET /open311/v2/requests.json (up to 1,000)", count(Client(HTTP_HOST="127.0.0.1"), "get", "/open311/v2/requests.json")),
    ]
    ApiToken.objects.filter(name="page-queries").delete()
    print(f"{'page':<52} status  queries")
    for name, (status, n) in rows:
        print(f"{name:<52} {status:>6}  {n:>7}")


if __name__ == "__main__":
    main()
