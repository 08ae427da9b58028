"""The 12345 connector against the fake platform (a real HTTP server on 127.0.0.1, in a thread): orders in,
steps out through the outbox, the platform's decisions and callback results back in — once each, whatever
the platform does (500s, timeouts, dropped connections, duplicates, callbacks out of order)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from minqing.accounts.scope import scope_for
from minqing.api import platform12345 as p12345
from minqing.api.fake12345 import FMT, FakePlatform
from minqing.api.models import PlatformInbound, PlatformMessage
from minqing.conftest import settle
from minqing.tickets import actions
from minqing.tickets.models import (
    Application,
    ApplicationStatus,
    Channel,
    Satisfaction,
    Ticket,
    TicketEvent,
    TicketType,
)
from minqing.tickets.sweep import sweep_once

LATER = dt.timedelta(hours=2)  # past any retry's back-off


def at(value: dt.datetime) -> str:
    return timezone.localtime(value).strftime(FMT)


def parse(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, FMT).replace(tzinfo=timezone.get_current_timezone())


@pytest.fixture
def fake(settings):
    platform = FakePlatform(slow_seconds=0.8)
    url = platform.start()
    settings.MINQING_12345 = {**settings.MINQING_12345, "URL": url, "TIMEOUT": 0.3}
    yield platform
    platform.stop()


def sync(now: dt.datetime | None = None) -> p12345.SyncResult:
    """What the loops do: the event consumers (ours among them), then the connector's pass."""
    settle()
    return p12345.sync_once(now=now)


def test_order_flows_in_is_signed_refused_extended_resolved_and_rated_once_per_step(cast, fake) -> None:
    now = timezone.now()
    received = (now - dt.timedelta(hours=3)).replace(microsecond=0)
    due = (now + dt.timedelta(days=10)).replace(microsecond=0)
    fake.add_order(number="GD-2026-0001", text="瓜州路社区门口每天早上占道经营，车都过不去了。", category="占道经营",
                   address="瓜州路社区", received_at=at(received), due=at(due), type="投诉", duplicate=True)

    # In: the order is delivered twice and registered once, with the call's time and the platform's deadline.
    r = sync()
    assert (r.pulled, r.applied) == (1, {"done": 1})
    ticket = Ticket.objects.get(external_number="GD-2026-0001")
    assert ticket.channel == Channel.HOTLINE_12345 and ticket.type == TicketType.COMPLAINT
    assert ticket.created_at == received and ticket.response_started_at == received
    assert ticket.external_due_at == due
    stored = PlatformInbound.objects.get(number="GD-2026-0001").payload  # what is kept of the item: masked
    assert stored["lxdh"] != "13900001111" and ticket.reporter_phone == "13900001111"
    # 占道经营 is the 城管局's by the 派单目录: it waits at the district centre, not at the community office.
    assert ticket.handling_unit.name == "七里河区民情服务中心"
    assert ticket.events.get(action="create").data["catalogue_unit"] == "区城市管理行政执法局"

    # 签收: the platform answers 500 once; the retry goes through.
    fake.fail("/gd/qs", "500")
    actions.ticket_accept(ticket=ticket, actor=cast.duban)
    assert sync().sent == {"retry": 1}
    assert sync(now + LATER).sent == {"sent": 1}
    assert len(fake.messages("sign")) == 1 and fake.hits("/gd/qs") == 2

    ticket = actions.ticket_dispatch(ticket=ticket, actor=cast.duban, unit=cast.unit("区城市管理行政执法局"))
    ticket = actions.ticket_sign(ticket=ticket, actor=cast.bumen)

    # 阶段反馈: the platform takes it and drops the connection; the retry is a repeat it ignores.
    fake.fail("/gd/jdfk", "drop")
    actions.ticket_add_progress(ticket=ticket, actor=cast.bumen, note="已到现场劝离摊贩，明早再去巡查。")
    assert sync(now + LATER).sent == {"retry": 1}
    assert sync(now + 2 * LATER).sent == {"sent": 1}
    assert len(fake.messages("feedback")) == 1 and fake.hits("/gd/jdfk") == 2

    # 退单申请: forwarded (the district centre is the one to decide), refused by the platform.
    app = actions.return_apply(ticket=ticket, actor=cast.bumen, reason_code="place", reason="地点不在本辖区。")
    sync(now + 2 * LATER)
    app.refresh_from_db()
    assert app.status == ApplicationStatus.REFUSED and app.decided_by.username == p12345.SERVICE_USER
    ticket.refresh_from_db()
    assert ticket.handling_unit.name == "区城市管理行政执法局"
    assert [m["sqbh"] for m in fake.messages("return_apply")] == [str(app.pk)]

    # 延期申请: the platform times out once, approves; its decision and its new deadline arrive in reverse order.
    fake.fail("/gd/yqsq", "timeout")
    fake.hold()
    asked = timezone.localdate() + dt.timedelta(days=20)
    ext = actions.extension_request(ticket=ticket, actor=cast.bumen, new_due=asked, reason="需要联合执法，协调市场搬迁。")
    assert sync(now + 2 * LATER).sent == {"retry": 1}
    assert sync(now + 3 * LATER).sent == {"sent": 1}
    fake.release(reverse=True)
    sync(now + 3 * LATER)
    ext.refresh_from_db()
    ticket.refresh_from_db()
    assert ext.status == ApplicationStatus.APPROVED
    assert ticket.external_due_at == ext.new_due_at == ticket.resolve_due_at
    assert len(fake.messages("extension_apply")) == 1 and fake.hits("/gd/yqsq") == 2

    # 办结, then the platform's callback result closes it.
    actions.ticket_resolve(ticket=ticket, actor=cast.bumen, result="摊贩已全部迁入便民市场，道路已畅通。")
    sync(now + 3 * LATER)  # 办结 sent; the platform calls back and publishes the result
    sync(now + 3 * LATER)  # the result is pulled and recorded
    ticket.refresh_from_db()
    assert ticket.status == "closed" and ticket.satisfaction == Satisfaction.SATISFIED
    assert ticket.events.get(action="close").actor.username == p12345.CALLBACK_USER

    # Exactly one message per step on the platform's side, in the order of the steps.
    kinds = [m["kind"] for m in fake.messages(number="GD-2026-0001")]
    assert kinds == ["sign", "feedback", "return_apply", "extension_apply", "resolve"]
    assert PlatformMessage.objects.filter(status="sent").count() == 5

    # Replaying the platform's whole feed, and our events, changes nothing.
    events, inbound = TicketEvent.objects.count(), PlatformInbound.objects.count()
    fake.replay()
    sync(now + 4 * LATER)
    p12345.queue_messages(list(TicketEvent.objects.filter(ticket=ticket).select_related("ticket")))
    sync(now + 4 * LATER)
    assert (TicketEvent.objects.count(), PlatformInbound.objects.count()) == (events, inbound)
    assert PlatformMessage.objects.count() == 5 and len(fake.taken) == 5


def test_deadline_runs_from_the_call_and_never_past_the_platforms(cast) -> None:
    import time_machine

    tz = timezone.get_current_timezone()
    with time_machine.travel(dt.datetime(2026, 12, 2, 10, 0, tzinfo=tz), tick=False):  # a Wednesday morning
        now = timezone.now()
        received = now - dt.timedelta(days=1)
        due = now + dt.timedelta(hours=28)  # Thursday 14:00: sooner than our 5 working days
        ticket = cast.new_ticket(actor=p12345.platform_users()[0], channel=Channel.HOTLINE_12345,
                                 external_number="GD-2026-0002", external_due_at=due, received_at=received)
        assert ticket.handling_unit.name == "瓜州路社区居委会"  # a community matter stays in the community
        assert ticket.created_at == ticket.response_started_at == received
        ticket = actions.ticket_accept(ticket=ticket, actor=cast.shequ)
        ticket = actions.ticket_dispatch(ticket=ticket, actor=cast.shequ, unit=ticket.handling_unit)
        ticket = actions.ticket_sign(ticket=ticket, actor=cast.shequ)
        actions.ticket_contact(ticket=ticket, actor=cast.shequ, note="已电话联系反映人。")
        ticket.refresh_from_db()
    assert ticket.resolve_due_at == due and now < ticket.resolve_warn_at < due

    # The sweep warns and escalates on the platform's deadline.
    assert sweep_once(now=ticket.resolve_warn_at).warnings == 1
    result = sweep_once(now=due + dt.timedelta(minutes=1))
    assert result.escalations == 1
    overdue = ticket.events.get(action="overdue")
    assert overdue.data["due"]["resolve"] == due.isoformat()


def test_a_person_cannot_extend_past_the_platforms_deadline(cast) -> None:
    due = (timezone.now() + dt.timedelta(days=2)).replace(microsecond=0)
    ticket = cast.new_ticket(channel=Channel.HOTLINE_12345, external_number="GD-X-1", external_due_at=due)
    ticket = actions.ticket_accept(ticket=ticket, actor=cast.shequ)
    ticket = actions.ticket_dispatch(ticket=ticket, actor=cast.shequ, unit=cast.unit("东方物业"))
    assert ticket.resolve_due_at <= due
    app = actions.extension_request(ticket=ticket, actor=cast.wuye, new_due=timezone.localdate() + dt.timedelta(days=30),
                                    reason="需要更换整条线路。")
    with pytest.raises(actions.ActionError, match="12345平台"):
        actions.application_decide(application=app, actor=cast.jiedao, approve=True)
    assert Application.objects.get(pk=app.pk).status == ApplicationStatus.PENDING  # nothing half-written


def test_the_platform_bringing_its_deadline_forward_moves_ours(cast) -> None:
    ticket = cast.new_ticket(channel=Channel.HOTLINE_12345, external_number="GD-X-2")
    ticket = actions.ticket_accept(ticket=ticket, actor=cast.shequ)
    ticket = actions.ticket_dispatch(ticket=ticket, actor=cast.shequ, unit=cast.unit("东方物业"))
    sooner = ticket.resolve_due_at - dt.timedelta(days=1)
    actions.ticket_set_external_due(ticket=ticket, due=sooner)
    ticket.refresh_from_db()
    assert ticket.resolve_due_at == sooner and ticket.resolve_warn_at <= sooner
    assert ticket.events.get(action="external_due").data["resolve_due_at"] == sooner.isoformat()
    actions.ticket_set_external_due(ticket=ticket, due=sooner + dt.timedelta(days=9))  # later: ours stays
    ticket.refresh_from_db()
    assert ticket.resolve_due_at == sooner


def test_a_later_message_waits_for_an_earlier_one_of_the_same_request(cast, fake) -> None:
    fake.add_order(number="GD-2026-0003", text="瓜州路社区3号楼路灯不亮已经一周。", category="路灯损坏", address="瓜州路社区")
    sync()
    ticket = Ticket.objects.get(external_number="GD-2026-0003")
    fake.fail("/gd/qs", "500", times=2)
    ticket = actions.ticket_accept(ticket=ticket, actor=cast.shequ)
    ticket = actions.ticket_dispatch(ticket=ticket, actor=cast.shequ, unit=ticket.handling_unit)
    ticket = actions.ticket_sign(ticket=ticket, actor=cast.shequ)
    actions.ticket_contact(ticket=ticket, actor=cast.shequ, note="已电话联系反映人。")
    now = timezone.now()
    for later in (now, now + LATER):
        assert sync(later).sent["retry"] == 1  # 签收 fails; 阶段反馈 is not sent before it
        assert fake.messages() == [] and fake.hits("/gd/jdfk") == 0
    assert PlatformMessage.objects.get(kind="feedback").attempts == 0
    sync(now + 2 * LATER)
    assert [m["kind"] for m in fake.messages()] == ["sign", "feedback"]


def test_a_refused_message_is_not_retried_and_bad_orders_are_rejected_with_the_reason(cast, fake, settings) -> None:
    fake.add_order(number="GD-2026-0004", text="无法归类的诉求内容，请处理。", category="火星分类", address="瓜州路社区")
    fake.add_order(number="GD-2026-0005", text="短", category="路灯损坏", address="瓜州路社区")
    sync()
    reasons = dict(PlatformInbound.objects.values_list("number", "result"))
    assert "火星分类" in reasons["GD-2026-0004"] and "太短" in reasons["GD-2026-0005"]
    assert not Ticket.objects.filter(external_number__in=["GD-2026-0004", "GD-2026-0005"]).exists()

    fake.add_order(number="GD-2026-0006", text="瓜州路社区路灯坏了很久了。", category="路灯损坏", address="瓜州路社区")
    sync()
    ticket = Ticket.objects.get(external_number="GD-2026-0006")
    Ticket.objects.filter(pk=ticket.pk).update(external_number="")  # the platform will not know this one
    Ticket.objects.filter(pk=ticket.pk).update(external_number="GD-2026-0006")
    settings.MINQING_12345 = {**settings.MINQING_12345, "ENDPOINTS": {"sign": ["POST", "/gd/nope"]}}
    actions.ticket_accept(ticket=ticket, actor=cast.shequ)
    assert sync().sent == {"retry": 1}  # 404 is the platform not answering: tried again
    settings.MINQING_12345 = {**settings.MINQING_12345, "ENDPOINTS": {}}
    PlatformMessage.objects.update(next_try_at=timezone.now())
    PlatformMessage.objects.update(payload={"number": ""})  # the platform refuses (code 1): no retry
    assert p12345.send_due(now=timezone.now() + LATER) == {"failed": 1}
    assert p12345.send_due(now=timezone.now() + 2 * LATER) == {}


def test_a_callback_before_its_order_waits_for_it(cast, fake) -> None:
    fake.publish({"xxlx": "sx", "gdbh": "GD-2026-0007", "blsx": at(timezone.now() + dt.timedelta(days=3))})
    r = sync()
    assert r.applied == {"waiting": 1}
    fake.add_order(number="GD-2026-0007", text="瓜州路社区5号楼楼道灯坏了。", category="路灯损坏", address="瓜州路社区")
    r = sync(timezone.now() + LATER)
    assert r.applied == {"done": 2}
    ticket = Ticket.objects.get(external_number="GD-2026-0007")
    assert ticket.external_due_at == parse(PlatformInbound.objects.get(kind="deadline").payload["blsx"])


def test_messages_are_queued_only_when_a_platform_is_connected(cast, settings) -> None:
    settings.MINQING_12345 = {**settings.MINQING_12345, "URL": ""}
    ticket = cast.new_ticket(channel=Channel.HOTLINE_12345, external_number="GD-X-3")
    actions.ticket_accept(ticket=ticket, actor=cast.shequ)
    settle()
    assert not PlatformMessage.objects.exists()
    with pytest.raises(CommandError, match="MINQING_12345_URL"):
        call_command("pull12345")


def test_a_12345_call_time_in_the_future_is_refused(cast) -> None:
    with pytest.raises(actions.ActionError, match="来电时间"):
        cast.new_ticket(channel=Channel.HOTLINE_12345, received_at=timezone.now() + dt.timedelta(hours=1))


def test_other_channels_still_go_to_the_community(cast) -> None:
    ticket = cast.new_ticket(code="SR04")
    assert ticket.handling_unit.name == "瓜州路社区居委会"


def test_what_the_platform_decides_is_decided_by_nobody_here_and_a_street_return_stays_inside(cast, fake) -> None:
    fake.add_order(number="GD-2026-0008", text="瓜州路社区路灯坏了快一个月了。", category="路灯损坏", address="瓜州路社区")
    sync()
    ticket = Ticket.objects.get(external_number="GD-2026-0008")
    ticket = actions.ticket_accept(ticket=ticket, actor=cast.shequ)
    ticket = actions.ticket_dispatch(ticket=ticket, actor=cast.shequ, unit=ticket.handling_unit)
    # The community returns it to its street: inside the district, decided there, not sent.
    app = actions.return_apply(ticket=ticket, actor=cast.shequ, reason_code="remit", reason="需要街道协调。")
    assert not actions.forwarded_to_platform(app)
    actions.application_decide(application=app, actor=cast.jiedao, approve=False, note="请社区继续办理")
    ext = actions.extension_request(ticket=ticket, actor=cast.shequ, new_due=timezone.localdate() + dt.timedelta(days=20),
                                    reason="需要更换整条线路。")
    assert actions.forwarded_to_platform(ext) and not actions.may_decide(scope_for(cast.duban), ext)
    with pytest.raises(actions.ActionError, match="已报12345平台审批"):
        actions.application_decide(application=ext, actor=cast.duban, approve=True)
    fake.policy["extension_apply"] = "refuse"
    sync()
    sync()
    ext.refresh_from_db()
    assert ext.status == ApplicationStatus.REFUSED and ext.decided_by.username == p12345.SERVICE_USER
    assert [m["kind"] for m in fake.messages(number="GD-2026-0008")] == ["sign", "extension_apply"]


def test_pushed_items_are_signed_kept_once_and_applied(cast, fake, settings, client) -> None:
    import hashlib
    import hmac
    import json

    settings.MINQING_12345 = {**settings.MINQING_12345, "KEY": "s3cret"}
    item = fake.add_order(number="GD-2026-0009", text="瓜州路社区楼道堆满杂物，消防通道堵了。", category="楼道杂物与消防通道",
                          address="瓜州路社区")
    body = json.dumps({"items": [item, item]}, ensure_ascii=False).encode()

    def push(data: bytes, key: str = "s3cret"):
        signature = "sha256=" + hmac.new(key.encode(), data, hashlib.sha256).hexdigest()
        return client.post("/exchange/12345/push", data=data, content_type="application/json",
                           HTTP_X_MINQING_SIGNATURE=signature)

    assert push(body, key="wrong").status_code == 403
    assert not Ticket.objects.filter(external_number="GD-2026-0009").exists()
    r = push(body)
    assert r.status_code == 200 and r.json()["data"]["new"] == 1
    assert push(body).json()["data"]["new"] == 0  # pushed again: nothing new
    assert Ticket.objects.filter(external_number="GD-2026-0009").count() == 1
    assert push(b"not json").status_code == 400


def test_a_failed_message_can_be_sent_again_with_the_same_key(cast, fake) -> None:
    fake.add_order(number="GD-2026-0010", text="瓜州路社区路灯坏了快一个月了。", category="路灯损坏", address="瓜州路社区")
    sync()
    ticket = Ticket.objects.get(external_number="GD-2026-0010")
    actions.ticket_accept(ticket=ticket, actor=cast.shequ)
    settle()
    message = PlatformMessage.objects.get()
    PlatformMessage.objects.filter(pk=message.pk).update(status="failed", attempts=20, next_try_at=None)
    assert p12345.message_resend(ids=[message.pk]) == 1
    sync()
    message.refresh_from_db()
    assert message.status == "sent" and [m["xxid"] for m in fake.messages()] == [message.key]


def test_the_demo_orders_of_the_fake_platform_come_in(cast, fake) -> None:
    from minqing.api.management.commands.fake12345 import demo_orders

    orders = demo_orders(fake, 2)
    sync()
    tickets = {t.external_number: t for t in Ticket.objects.filter(external_number__in=[o["gdbh"] for o in orders])}
    assert len(tickets) == 2
    first, second = (tickets[o["gdbh"]] for o in orders)
    assert first.handling_unit.name == "七里河区民情服务中心" and second.handling_unit.name == "瓜州路社区居委会"


def test_an_approved_return_goes_back_to_the_district_centre(cast, fake) -> None:
    fake.policy["return_apply"] = "approve"
    fake.add_order(number="GD-2026-0011", text="瓜州路社区门口占道经营很严重。", category="占道经营", address="瓜州路社区")
    sync()
    ticket = Ticket.objects.get(external_number="GD-2026-0011")
    ticket = actions.ticket_accept(ticket=ticket, actor=cast.duban)
    ticket = actions.ticket_dispatch(ticket=ticket, actor=cast.duban, unit=cast.unit("区城市管理行政执法局"))
    app = actions.return_apply(ticket=ticket, actor=cast.bumen, reason_code="place", reason="地点不在本区。")
    sync()
    sync()
    ticket.refresh_from_db()
    assert Application.objects.get(pk=app.pk).status == ApplicationStatus.APPROVED
    assert (ticket.status, ticket.handling_unit.name) == ("registered", "七里河区民情服务中心")


def test_an_older_deadline_change_arriving_after_a_newer_one_is_ignored(cast, fake) -> None:
    fake.add_order(number="GD-2026-0012", text="瓜州路社区路灯坏了快一个月了。", category="路灯损坏", address="瓜州路社区")
    sync()
    now = timezone.now()
    newer, older = now + dt.timedelta(days=6), now + dt.timedelta(days=3)
    fake.publish({"xxlx": "sx", "gdbh": "GD-2026-0012", "blsx": at(newer), "czsj": at(now + dt.timedelta(minutes=2))})
    sync()
    fake.publish({"xxlx": "sx", "gdbh": "GD-2026-0012", "blsx": at(older), "czsj": at(now + dt.timedelta(minutes=1))})
    sync()
    ticket = Ticket.objects.get(external_number="GD-2026-0012")
    assert ticket.external_due_at == parse(at(newer))
    assert "较早" in PlatformInbound.objects.filter(kind="deadline").order_by("pk").last().result


def test_a_corrected_category_keeps_the_resolve_deadline_within_the_platforms(cast) -> None:
    due = (timezone.now() + dt.timedelta(days=3)).replace(microsecond=0)
    ticket = cast.new_ticket(channel=Channel.HOTLINE_12345, external_number="GD-X-4", external_due_at=due)
    ticket = actions.ticket_accept(ticket=ticket, actor=cast.shequ)
    ticket = actions.ticket_dispatch(ticket=ticket, actor=cast.shequ, unit=cast.unit("东方物业"))
    # 违规私搭乱建 has 10 working days: longer than the platform gives.
    ticket = actions.ticket_correct(ticket=ticket, actor=cast.shequ, category=cast.category("SR01"),
                                    type=ticket.type, urgency=ticket.urgency, note="实为违建")
    assert ticket.resolve_due_at == due


def test_the_request_page_shows_the_order_number_the_call_time_and_the_platforms_deadline(cast, client) -> None:
    due = (timezone.now() + dt.timedelta(days=3)).replace(microsecond=0)
    ticket = cast.new_ticket(channel=Channel.HOTLINE_12345, external_number="GD-X-5", external_due_at=due)
    client.force_login(cast.shequ)
    page = client.get(f"/tickets/{ticket.number}/").content.decode()
    assert "GD-X-5" in page and "来电时间" in page and f"{timezone.localtime(due):%Y-%m-%d %H:%M}" in page


def test_orders_of_another_district_are_refused(cast, fake, settings) -> None:
    settings.MINQING_12345 = {**settings.MINQING_12345, "DISTRICT": "620103"}
    fake.add_order(number="GD-2026-0013", text="瓜州路社区路灯坏了快一个月了。", category="路灯损坏", address="瓜州路社区",
                   xzqh="620102")
    sync()
    assert PlatformInbound.objects.get(number="GD-2026-0013").status == "rejected"
    assert not Ticket.objects.filter(external_number="GD-2026-0013").exists()


def test_resolved_on_the_spot_signs_once_and_resolves_once(cast, fake) -> None:
    for number in ("GD-2026-0014", "GD-2026-0015"):
        fake.add_order(number=number, text="瓜州路社区路灯坏了快一个月了。", category="路灯损坏", address="瓜州路社区")
    sync()
    first, second = (Ticket.objects.get(external_number=n) for n in ("GD-2026-0014", "GD-2026-0015"))
    actions.ticket_resolve_on_spot(ticket=first, actor=cast.shequ, result="已当场更换灯泡。")
    second = actions.ticket_accept(ticket=second, actor=cast.shequ)
    actions.ticket_resolve_on_spot(ticket=second, actor=cast.shequ, result="已当场更换灯泡。")
    sync()
    assert [m["kind"] for m in fake.messages(number="GD-2026-0014")] == ["sign", "resolve"]
    assert [m["kind"] for m in fake.messages(number="GD-2026-0015")] == ["sign", "resolve"]
    assert fake.messages("resolve", "GD-2026-0015")[0]["cznr"] == "已当场更换灯泡。"


def test_the_assessment_counts_the_platforms_deadline(cast) -> None:
    import time_machine

    from minqing.evaluation.models import Fact, FactKind

    tz = timezone.get_current_timezone()
    with time_machine.travel(dt.datetime(2026, 12, 2, 9, 0, tzinfo=tz), tick=False):  # a Wednesday
        ticket = cast.new_ticket(channel=Channel.HOTLINE_12345, external_number="GD-X-6")
        ticket = actions.ticket_accept(ticket=ticket, actor=cast.shequ)
        ticket = actions.ticket_dispatch(ticket=ticket, actor=cast.shequ, unit=cast.unit("东方物业"))
        ticket = actions.ticket_sign(ticket=ticket, actor=cast.wuye)
        actions.ticket_set_external_due(ticket=ticket, due=timezone.now() + dt.timedelta(hours=2))
    with time_machine.travel(dt.datetime(2026, 12, 2, 15, 0, tzinfo=tz), tick=False):  # past it, before ours was
        actions.ticket_resolve(ticket=ticket, actor=cast.wuye, result="已更换路灯。")
    settle()
    assert Fact.objects.get(ticket=ticket, kind=FactKind.DEADLINE).ok is False
