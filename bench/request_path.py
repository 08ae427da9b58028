"""How much of the code one request passes through, and how many SQL statements an intake POST runs.

    .venv/bin/python -m pytest bench/request_path.py -q -s

Traces every Python function called while one request goes intake → accept → dispatch → sign →
resolve → callback (through the actions, then whatever the background consumers do for it), and
prints the distinct files of minqing it ran, and the SQL statements of one `POST /api/v1/requests`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

pytest_plugins = ["minqing.conftest"]  # the shared cast
ROOT = Path(__file__).resolve().parent.parent / "minqing"


def _settle() -> None:
    try:  # the background consumers, where they exist
        from minqing.tickets.consumers import consume_all
    except ImportError:
        return
    consume_all()


def _traced(fn):
    files: set[str] = set()

    def profile(frame, event, arg):
        if event == "call" and frame.f_code.co_name != "<module>":
            name = frame.f_code.co_filename
            if name.startswith(str(ROOT)) and "/tests/" not in name and not name.endswith("conftest.py"):
                files.add(str(Path(name).relative_to(ROOT.parent)))

    sys.setprofile(profile)
    try:
        fn()
    finally:
        sys.setprofile(None)
    return files


@pytest.mark.django_db
def test_request_path(cast, client) -> None:
    from minqing.tickets import actions
    from minqing.tickets.models import Satisfaction

    def lifecycle() -> None:
        t = cast.new_ticket()
        _settle()
        t = actions.ticket_accept(ticket=t, actor=cast.shequ)
        t = actions.ticket_dispatch(ticket=t, actor=cast.shequ, unit=cast.unit("区住建局"))
        t = actions.ticket_sign(ticket=t, actor=cast.zhujian)
        t = actions.ticket_resolve(ticket=t, actor=cast.zhujian, result="已更换灯泡，路灯恢复照明。")
        t = actions.ticket_callback(ticket=t, actor=cast.huifang, contacted=True, solved=True,
                                    satisfaction=Satisfaction.SATISFIED)
        _settle()

    from django.urls import get_resolver

    assert get_resolver().url_patterns  # import every module first: only calls made for this request count
    files = _traced(lifecycle)
    print(f"\nfiles of minqing run by one request's lifecycle (actions + consumers): {len(files)}")
    for f in sorted(files):
        print("   ", f)

    client.force_login(cast.shequ)
    body = {"category_id": cast.category().pk, "area_id": cast.compound_a.pk, "text": "3号楼前面的路灯坏了快一个月了",
            "reporter_name": "张大妈", "reporter_phone": "13812345678"}
    client.post("/api/v1/requests", json.dumps(body), content_type="application/json")  # warm caches
    with CaptureQueriesContext(connection) as ctx:
        r = client.post("/api/v1/requests", json.dumps(body), content_type="application/json")
    assert r.status_code == 201, r.content
    print(f"SQL statements in one POST /api/v1/requests (session login): {len(ctx.captured_queries)}")
    for q in ctx.captured_queries:
        print("   ", q["sql"][:150])
