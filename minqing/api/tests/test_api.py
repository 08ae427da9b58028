"""The JSON API obeys the same scopes and actions as the pages; errors are JSON in Chinese."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from minqing.api.models import ApiToken
from minqing.org.models import Unit
from minqing.tickets.lifecycle import Status
from minqing.tickets.models import Ticket


@pytest.fixture
def token(cast, capsys) -> str:
    call_command("apikey", "create", "wechat-miniapp")
    return capsys.readouterr().out.strip()


def bearer(token: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def body(cast, **changes) -> str:
    data = {"channel": "online", "type": "help", "category_id": cast.category().pk, "area_id": cast.compound_a.pk,
            "text": "3号楼前面的路灯坏了快一个月了，晚上黑乎乎的。", "reporter_name": "张大妈",
            "reporter_phone": "13812345678"}
    data.update(changes)
    return json.dumps(data)


def test_intake_token_creates_and_reads_only_its_own(cast, token) -> None:
    c = Client()
    r = c.post("/api/v1/requests", body(cast), content_type="application/json", **bearer(token))
    assert r.status_code == 201, r.content
    created = r.json()["request"]
    assert created["status"] == "received" and created["number"].startswith("MQ-")
    assert created["timeline"][0]["action"] == "create"
    cast.new_ticket()  # someone else's request
    listed = c.get("/api/v1/requests", **bearer(token)).json()
    assert listed["count"] == 1 and listed["items"][0]["number"] == created["number"]
    assert ApiToken.objects.get().last_used_at is not None
    r = c.post(f"/api/v1/requests/{created['number']}/actions/accept", "{}", content_type="application/json",
               **bearer(token))
    assert r.status_code == 403 and r.json()["code"] == "forbidden" and "act" in r.json()["message"]


def test_idempotency_key_returns_the_same_request(cast, token) -> None:
    c = Client()
    first = c.post("/api/v1/requests", body(cast), content_type="application/json", HTTP_IDEMPOTENCY_KEY="abc-1",
                   **bearer(token))
    again = c.post("/api/v1/requests", body(cast), content_type="application/json", HTTP_IDEMPOTENCY_KEY="abc-1",
                   **bearer(token))
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["request"]["number"] == again.json()["request"]["number"]
    assert Ticket.objects.count() == 1


@pytest.mark.parametrize(
    ("changes", "status", "code", "text"),
    [
        ({"text": ""}, 422, "invalid", "诉求内容"),
        ({"text": "灯" * 10_000}, 422, "invalid", "不能超过"),
        ({"reporter_phone": "12"}, 422, "invalid", "手机号"),
        ({"category_id": 999999}, 422, "invalid", "分类不存在"),
        ({"area_id": "not-a-number"}, 422, "invalid", "area_id"),
    ],
)
def test_bad_input_gets_a_json_error_in_chinese(cast, token, changes: dict, status: int, code: str, text: str) -> None:
    r = Client().post("/api/v1/requests", body(cast, **changes), content_type="application/json", **bearer(token))
    assert r.status_code == status and r.json()["code"] == code and text in r.json()["message"]
    assert Ticket.objects.count() == 0


def test_no_or_revoked_token_is_401(cast, token) -> None:
    c = Client()
    assert c.get("/api/v1/requests").json()["code"] == "unauthorized"
    assert c.get("/api/v1/requests", **bearer("mq_nope_nope")).status_code == 401
    call_command("apikey", "revoke", "wechat-miniapp")
    assert c.get("/api/v1/requests", **bearer(token)).status_code == 401


def test_a_role_taken_from_the_tokens_user_counts_from_the_next_call(cast, token) -> None:
    c = Client()
    assert c.post("/api/v1/requests", body(cast), content_type="application/json", **bearer(token)).status_code == 201
    ApiToken.objects.get(name="wechat-miniapp").user.roles.all().delete()
    r = c.post("/api/v1/requests", body(cast), content_type="application/json", **bearer(token))
    assert r.status_code == 403 and "没有登记诉求的权限" in r.json()["message"], r.content
    assert Ticket.objects.count() == 1


def test_session_users_act_through_the_same_rules(cast) -> None:
    t = cast.new_ticket()
    staff = Client()
    staff.force_login(cast.shequ)
    r = staff.post(f"/api/v1/requests/{t.number}/actions/accept", "{}", content_type="application/json")
    assert r.status_code == 200 and r.json()["status"] == "registered"
    assert "dispatch" in r.json()["allowed_actions"]
    nowhere = Unit.objects.order_by("-pk").first().pk + 1  # no such unit (PostgreSQL's ids run on across tests)
    r = staff.post(f"/api/v1/requests/{t.number}/actions/dispatch", json.dumps({"unit_id": nowhere}),
                   content_type="application/json")
    assert r.status_code == 422 and r.json()["field"] == "unit_id"
    stale = staff.post(f"/api/v1/requests/{t.number}/actions/reject",
                       json.dumps({"reason": "repeat", "note": "重复", "expected_version": 0}),
                       content_type="application/json")
    assert stale.status_code == 409 and stale.json()["code"] == "conflict"
    other = Client()
    other.force_login(cast.shequ_b)
    assert other.get(f"/api/v1/requests/{t.number}").status_code == 404
    dept = Client()
    dept.force_login(cast.bumen)
    detail = staff.get(f"/api/v1/requests/{t.number}").json()
    assert detail["reporter_phone"] == "13812345678"
    t.refresh_from_db()
    assert t.status == Status.REGISTERED


def test_catalogue_areas_units_and_the_openapi_document(cast, token) -> None:
    c = Client()
    assert len(c.get("/api/v1/categories", **bearer(token)).json()) == 31
    assert any(a["name"] == "瓜州路社区" for a in c.get("/api/v1/areas?kind=community", **bearer(token)).json())
    schema = c.get("/api/openapi.json").json()
    assert "/api/v1/requests" in schema["paths"] and schema["info"]["title"] == "民情流水线 API"
    docs = c.get("/api/docs").content.decode()
    assert "cdn.jsdelivr" not in docs and "swagger-ui" in docs


def test_webhooks_get_signed_status_changes_through_the_worker_outbox(cast, settings) -> None:
    settings.WEBHOOK_PRIVATE_ALLOWED = ["127.0.0.1"]  # the receiver runs on this machine
    import hashlib
    import hmac
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    from minqing.api.models import Webhook
    from minqing.conftest import settle
    from minqing.notifications.models import OutboundMessage
    from minqing.notifications.tasks import message_deliver
    from minqing.tickets import actions

    got: list[tuple[dict, str, bytes]] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers["Content-Length"]))
            got.append((json.loads(raw), self.headers["X-Minqing-Signature"], raw))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        Webhook.objects.create(name="12345平台", url=f"http://127.0.0.1:{server.server_port}/hook", secret="s3cret")
        t = actions.ticket_accept(ticket=cast.new_ticket(), actor=cast.shequ)
        settle()
        messages = OutboundMessage.objects.filter(channel="webhook").order_by("id")
        assert messages.count() == 2  # created, accepted
        for m in messages:
            assert message_deliver(message_id=m.pk) == "sent"
    finally:
        server.shutdown()
    payloads = [p for p, _, _ in got]
    assert [(p["action"], p["to"]) for p in payloads] == [("create", "received"), ("accept", "registered")]
    assert all(p["request"] == t.number for p in payloads)
    for _, signature, raw in got:
        assert signature == "sha256=" + hmac.new(b"s3cret", raw, hashlib.sha256).hexdigest()


def test_an_unknown_area_level_is_a_clear_error(cast, token) -> None:
    r = Client().get("/api/v1/areas?kind=planet", **bearer(token))
    assert r.status_code == 422 and "区域层级只能是" in r.json()["message"]


def _as(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _act(c: Client, number: str, action: str, **data: Any):
    return c.post(f"/api/v1/requests/{number}/actions/{action}", json.dumps(data), content_type="application/json")


def test_the_accountability_steps_through_the_api(cast) -> None:
    """退单审核, 协办, 先行联系, 办结审核, independent callback, 吹哨报到 and 到期评价, as a client system does them."""
    from minqing.tickets.models import ReviewRule

    community, dept, partner = _as(cast.shequ), _as(cast.bumen), _as(cast.wuye)
    t = cast.new_ticket()
    _act(community, t.number, "accept")
    r = _act(community, t.number, "dispatch", unit_id=cast.unit("区城市管理行政执法局").pk,
             assists=[{"unit_id": cast.unit("东方物业").pk, "task": "配合清理楼道杂物"}])
    assert r.status_code == 200 and [(p["unit"], p["role"]) for p in r.json()["parts"]] == [("东方物业", "assist")]
    bad = _act(community, t.number, "dispatch", unit_id=1, assists=[{"unit_id": 999999, "task": "x"}])
    assert bad.status_code in (409, 422)
    _act(dept, t.number, "sign")
    r = _act(dept, t.number, "contact", note="已电话联系反映人。")
    assert r.status_code == 200 and {c["label"] for c in r.json()["clocks"]} == {"办结时限"}  # 先行联系 done
    r = _act(dept, t.number, "return_apply", reason="remit", note="楼道杂物归物业管理。")
    application = r.json()["applications"][0]
    assert (application["status"], application["reason_code"], application["may_decide"]) == ("pending", "remit", False)
    refused = _as(cast.duban).post(f"/api/v1/applications/{application['id']}/decide",
                                   json.dumps({"approve": False}), content_type="application/json")
    assert refused.status_code == 422 and "审批意见" in refused.json()["message"]  # refusing needs a reason
    refused = _as(cast.duban).post(f"/api/v1/applications/{application['id']}/decide",
                                   json.dumps({"approve": False, "note": "占用消防通道属城管执法。"}),
                                   content_type="application/json")
    assert refused.status_code == 200 and refused.json()["applications"][0]["status"] == "refused"
    part = refused.json()["parts"][0]
    partner_view = partner.get(f"/api/v1/requests/{t.number}").json()
    assert partner_view["parts"][0]["allowed"] == ["sign"]
    for what, note in (("sign", ""), ("reply", "已清理完毕。")):
        r = partner.post(f"/api/v1/parts/{part['id']}/actions/{what}", json.dumps({"note": note}),
                         content_type="application/json")
        assert r.status_code == 200, r.json()
    assert r.json()["parts"][0]["done_at"] is not None
    ReviewRule.objects.create(category=t.category, level="district", review="dispatcher")
    r = _act(dept, t.number, "resolve", result="已清理并约谈物业。")
    assert r.json()["status"] == "review"
    r = _act(community, t.number, "review", passed=False, note="现场仍有杂物。")
    assert r.status_code == 200 and r.json()["status"] == "in_progress"
    _act(dept, t.number, "resolve", result="已全部清理。")
    r = _act(community, t.number, "review", passed=True, note="已核实。")
    assert r.json()["status"] == "resolved" and "callback" not in r.json()["allowed_actions"]  # not the dispatcher
    agent = _as(cast.huifang)
    assert "callback" in agent.get(f"/api/v1/requests/{t.number}").json()["allowed_actions"]
    r = _act(agent, t.number, "callback", contacted=True, unit_contacted=True, solved=True, satisfaction="satisfied")
    assert r.status_code == 200 and r.json()["status"] == "closed"

    # 吹哨报到: the street summons a department, which reports in; the street rates it.
    s = cast.new_ticket()
    _act(community, s.number, "accept")
    _act(community, s.number, "dispatch", unit_id=cast.unit("西湖街道办事处").pk)
    street = _as(cast.jiedao)
    _act(street, s.number, "sign")
    r = _act(street, s.number, "summon", units=[cast.unit("区住建局").pk], task="违建涉及住建，请到场。")
    assert r.status_code == 200 and r.json()["parts"][0]["role"] == "summoned"
    part, housing = r.json()["parts"][0], _as(cast.zhujian)
    for what in ("sign", "contact", "reply"):
        r = housing.post(f"/api/v1/parts/{part['id']}/actions/{what}", json.dumps({"note": "已办。"}),
                         content_type="application/json")
        assert r.status_code == 200, (what, r.json())
    bad = street.post(f"/api/v1/parts/{part['id']}/actions/rate", json.dumps({"rating": 9}),
                      content_type="application/json")
    assert bad.status_code == 422 and "1 到 5" in bad.json()["message"]
    r = street.post(f"/api/v1/parts/{part['id']}/actions/rate", json.dumps({"rating": 4}),
                    content_type="application/json")
    assert r.json()["parts"][0]["rating"] == 4
    assert housing.post(f"/api/v1/parts/{part['id']}/actions/rate", json.dumps({"rating": 5}),
                        content_type="application/json").status_code == 403  # not the summoning street
