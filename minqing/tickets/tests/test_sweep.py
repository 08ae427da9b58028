"""Deadlines that run themselves: warnings, overdue escalation (once), callbacks, supervision orders,
reminders and extensions, with time frozen across weekends, holidays and an unpublished year."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from minqing.conftest import settle
from minqing.notifications.models import Notification, OutboundMessage
from minqing.tickets import actions, sweep
from minqing.tickets.actions import core
from minqing.tickets.lifecycle import Status
from minqing.tickets.models import CalendarDay, EscalationRule, SupervisionOrder, Ticket, TicketEvent

TZ = ZoneInfo("Asia/Shanghai")


def at(y: int, m: int, d: int, hh: int = 9, mm: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, tzinfo=TZ)


def run_sweep(moment: dt.datetime) -> sweep.SweepResult:
    with time_machine.travel(moment, tick=False):
        return sweep.sweep_once()


def notices(user, kind: str | None = None) -> list[str]:
    settle()
    qs = Notification.objects.filter(recipient=user)
    if kind:
        qs = qs.filter(kind=kind)
    return list(qs.values_list("title", flat=True))


def dispatched(cast, moment: dt.datetime, unit: str = "区城市管理行政执法局", **kwargs) -> Ticket:
    with time_machine.travel(moment, tick=False):
        t = actions.ticket_accept(ticket=cast.new_ticket(**kwargs), actor=cast.shequ)
        return actions.ticket_dispatch(ticket=t, actor=cast.shequ, unit=cast.unit(unit))


def test_warning_then_escalation_once_across_a_weekend(cast) -> None:
    # Monday 09:00: response due Tuesday 09:00 (7 working hours), resolution next Monday 09:00.
    t = dispatched(cast, at(2026, 11, 30))
    assert t.next_check_at.astimezone(TZ) == at(2026, 11, 30, 17, 6)  # 80 % of the response clock
    assert run_sweep(at(2026, 11, 30, 17, 0)).checked == 0
    assert run_sweep(at(2026, 11, 30, 17, 10)).warnings == 1
    assert notices(cast.bumen, "response_warn") == [f"即将超期（受理/签收）：{t.number}"]
    with time_machine.travel(at(2026, 11, 30, 17, 20), tick=False):
        t = actions.ticket_sign(ticket=t, actor=cast.bumen)
        actions.ticket_contact(ticket=t, actor=cast.bumen, note="电话联系了反映人。")  # 先行联系 done
    # Resolution: 5 working days from Monday 09:00 → Monday 09:00; 80 % on Friday 09:00.
    assert run_sweep(at(2026, 12, 4, 8, 59)).warnings == 0
    assert run_sweep(at(2026, 12, 4, 9, 1)).warnings == 1
    assert run_sweep(at(2026, 12, 5, 12)).checked == 0  # the weekend uses no working time
    result = run_sweep(at(2026, 12, 7, 9, 1))
    assert result.escalations == 1
    t.refresh_from_db()
    assert t.supervised_by.name == "七里河区民情服务中心" and t.status == Status.IN_PROGRESS
    event = t.events.get(action="overdue")
    assert event.actor_label == "系统巡检" and "已自动上报七里河区民情服务中心督办" in event.note
    assert notices(cast.duban, "overdue_supervise") == [f"下级超期事项待督办（办结）：{t.number}"]
    # Once: later passes do nothing more.
    assert run_sweep(at(2026, 12, 8, 10)).escalations == 0
    assert t.events.filter(action="overdue").count() == 1


def test_unaccepted_request_goes_up_to_the_street(cast) -> None:
    with time_machine.travel(at(2026, 11, 30, 9), tick=False):
        t = cast.new_ticket()
    run_sweep(at(2026, 12, 1, 9, 30))
    t.refresh_from_db()
    assert t.supervised_by.name == "西湖街道办事处"
    assert notices(cast.jiedao, "overdue_supervise") == [f"下级超期事项待督办（响应）：{t.number}"]
    assert notices(cast.shequ, "overdue")


def test_a_category_can_be_set_to_warn_only(cast) -> None:
    EscalationRule.objects.create(category=cast.category("WY01").parent, level="", escalate=False)
    t = dispatched(cast, at(2026, 11, 30), unit="东方物业")
    with time_machine.travel(at(2026, 11, 30, 10), tick=False):
        actions.ticket_sign(ticket=t, actor=cast.wuye)
    run_sweep(at(2026, 12, 8, 10))
    t.refresh_from_db()
    assert t.supervised_by is None
    assert "只预警，不上报" in t.events.get(action="overdue").note


def test_make_up_workday_counts_and_holidays_do_not(cast) -> None:
    # Urgent, dispatched Friday 2026-10-09 17:00: 2 working days = 14 h. Friday gives 1 h,
    # Saturday 10-10 is a make-up workday (7 h), Sunday is off, Monday 10-12 the last 6 h: 17:00.
    t = dispatched(cast, at(2026, 10, 9, 17), urgency="urgent")
    assert t.resolve_due_at.astimezone(TZ) == at(2026, 10, 12, 17, 0)
    with time_machine.travel(at(2026, 10, 9, 17, 10), tick=False):
        actions.ticket_sign(ticket=t, actor=cast.bumen)
    assert run_sweep(at(2026, 10, 11, 20)).escalations == 0
    assert run_sweep(at(2026, 10, 12, 17, 1)).escalations == 1


def test_a_deadline_in_an_unpublished_year_is_swept_without_crashing(cast) -> None:
    CalendarDay.objects.create(date=dt.date(2027, 1, 1), is_workday=False, name="元旦")
    t = dispatched(cast, at(2026, 12, 29))
    with time_machine.travel(at(2026, 12, 29, 10), tick=False):
        actions.ticket_sign(ticket=t, actor=cast.bumen)
    assert run_sweep(at(2027, 1, 6, 8, 59)).escalations == 0
    assert run_sweep(at(2027, 1, 6, 9, 1)).escalations == 1


def test_a_sweep_killed_midway_loses_nothing_and_repeats_nothing(cast, monkeypatch) -> None:
    tickets = [dispatched(cast, at(2026, 11, 30)) for _ in range(5)]
    original = sweep._escalate
    calls = {"n": 0}

    def dies_on_the_third(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt("killed")
        return original(*args, **kwargs)

    monkeypatch.setattr(sweep, "_escalate", dies_on_the_third)
    with pytest.raises(KeyboardInterrupt):
        run_sweep(at(2026, 12, 2, 9))
    assert TicketEvent.objects.filter(action="overdue").count() == 0  # the batch rolled back whole
    monkeypatch.setattr(sweep, "_escalate", original)
    assert run_sweep(at(2026, 12, 2, 9)).escalations == 5
    assert run_sweep(at(2026, 12, 2, 9, 5)).escalations == 0
    for t in tickets:
        assert t.events.filter(action="overdue").count() == 1


def test_an_action_racing_the_sweep_loses_cleanly(cast) -> None:
    t = dispatched(cast, at(2026, 11, 30))
    stale = Ticket.objects.get(pk=t.pk)
    run_sweep(at(2026, 12, 1, 10))  # escalates the response clock, moving next_check_at
    # An action that read the request before the sweep moved it must not write over the sweep.
    with pytest.raises(actions.Conflict):
        core.apply(current=stale, name="sign", actor=cast.bumen, actor_unit=None, at=at(2026, 12, 1, 10, 1))
    with time_machine.travel(at(2026, 12, 1, 10, 2), tick=False):
        t = actions.ticket_sign(ticket=t, actor=cast.bumen)  # a fresh read succeeds
    assert t.status == Status.IN_PROGRESS and t.events.filter(action="overdue").count() == 1


def test_reporter_gets_sms_on_accept_resolve_and_when_the_callback_is_due(cast) -> None:
    with time_machine.travel(at(2026, 11, 30), tick=False):
        t = cast.new_ticket()
        t = actions.ticket_accept(ticket=t, actor=cast.shequ)
        t = actions.ticket_resolve_on_spot(ticket=t, actor=cast.shequ, result="已修好")
    settle()
    sms = list(OutboundMessage.objects.filter(to="13812345678").order_by("id").values_list("template", "body"))
    assert [s[0] for s in sms] == ["accepted", "resolved"]
    assert t.number in sms[0][1] and f"/r/track/?n={t.number}" in sms[0][1]
    result = run_sweep(at(2026, 12, 3, 9, 1))  # 3 working days later, still not called back
    assert result.callbacks == 1
    assert OutboundMessage.objects.filter(to="13812345678", template="callback").count() == 1
    assert notices(cast.huifang, "callback_due") and not notices(cast.shequ, "callback_due")  # the callback team
    assert run_sweep(at(2026, 12, 4, 9)).callbacks == 0


def test_queue_gains_produce_notices_for_the_receiving_unit(cast) -> None:
    t = dispatched(cast, at(2026, 11, 30))
    assert notices(cast.shequ, "create") == [f"新的待受理事项：{t.number}"]
    assert notices(cast.bumen, "dispatch") == [f"新的待签收事项：{t.number}"]
    assert notices(cast.shequ, "dispatch") == []  # not the dispatcher themselves


def test_supervision_order_reply_and_overdue(cast) -> None:
    t = dispatched(cast, at(2026, 11, 30))
    with pytest.raises(actions.Forbidden):
        actions.supervision_issue(ticket=t, actor=cast.jiedao, unit=cast.unit("区城市管理行政执法局"), text="抓紧")
    with time_machine.travel(at(2026, 11, 30, 10), tick=False):
        answered = actions.supervision_issue(ticket=t, actor=cast.duban, unit=cast.unit("区城市管理行政执法局"),
                                             text="群众多次反映，请三日内处理完毕并回复。", grade="yellow")
        ignored = actions.supervision_issue(ticket=t, actor=cast.duban, unit=cast.unit("区城市管理行政执法局"),
                                            text="请说明进展。", grade="red")
    assert answered.reply_due_at.astimezone(TZ) == at(2026, 12, 2, 10)  # yellow: 2 working days
    assert ignored.reply_due_at.astimezone(TZ) == at(2026, 12, 1, 10)  # red: 1 working day
    assert notices(cast.bumen, "supervise")
    with pytest.raises(actions.Forbidden):
        actions.supervision_reply(order=answered, actor=cast.zhujian, text="不是我们的")
    with time_machine.travel(at(2026, 11, 30, 15), tick=False):
        actions.supervision_reply(order=answered, actor=cast.bumen, text="已安排执法队明天到现场。")
    with pytest.raises(actions.Conflict):
        actions.supervision_reply(order=answered, actor=cast.bumen, text="再回复一次")
    assert run_sweep(at(2026, 12, 1, 10, 1)).orders_overdue == 1
    ignored.refresh_from_db()
    assert ignored.overdue_at is not None and ignored.state == "已超期未回复"
    assert run_sweep(at(2026, 12, 2, 12)).orders_overdue == 0  # the answered one never goes overdue
    assert notices(cast.duban, "order_overdue")
    actions_in_log = list(t.events.values_list("action", flat=True))
    assert actions_in_log.count("supervise") == 2 and "supervision_reply" in actions_in_log
    assert "supervision_overdue" in actions_in_log
    assert SupervisionOrder.objects.filter(ticket=t, overdue_at=None).count() == 1


def test_reminders_go_to_the_handling_unit(cast) -> None:
    t = dispatched(cast, at(2026, 11, 30))
    actions.ticket_remind(ticket=t, actor=cast.shequ, note="居民又打电话来问了")
    assert notices(cast.bumen, "remind") == [f"催办：{t.number}"]
    with pytest.raises(actions.Forbidden):
        actions.ticket_remind(ticket=t, actor=cast.bumen)
    with pytest.raises(actions.Forbidden):
        actions.ticket_remind(ticket=t, actor=cast.shequ_b)


def test_only_an_approved_extension_moves_the_deadline(cast) -> None:
    t = dispatched(cast, at(2026, 11, 30))
    with time_machine.travel(at(2026, 11, 30, 10), tick=False):
        t = actions.ticket_sign(ticket=t, actor=cast.bumen)
        with pytest.raises(actions.ActionError, match="必须晚于"):
            actions.extension_request(ticket=t, actor=cast.bumen, new_due=dt.date(2026, 12, 1), reason="等材料")
        req = actions.extension_request(ticket=t, actor=cast.bumen, new_due=dt.date(2026, 12, 18),
                                        reason="需要联合住建、市场监管现场勘验。")
        with pytest.raises(actions.ActionError, match="待审批"):
            actions.extension_request(ticket=t, actor=cast.bumen, new_due=dt.date(2026, 12, 20), reason="再延")
    original = t.resolve_due_at
    assert req.approver_unit.name == "七里河区民情服务中心"
    t.refresh_from_db()
    assert t.resolve_due_at == original  # not yet
    with pytest.raises(actions.Forbidden):
        actions.application_decide(application=req, actor=cast.jiedao, approve=True)
    with time_machine.travel(at(2026, 12, 1, 10), tick=False):
        actions.application_decide(application=req, actor=cast.duban, approve=True, note="同意")
    t.refresh_from_db()
    assert t.resolve_due_at.astimezone(TZ) == at(2026, 12, 18, 18)
    event = t.events.get(action="extension_approve")
    assert dt.datetime.fromisoformat(event.data["original_due_at"]) == original
    # The old deadline passes: nothing happens; the new one is swept.
    assert run_sweep(at(2026, 12, 8, 10)).escalations == 0
    assert run_sweep(at(2026, 12, 21, 9)).escalations == 1


def test_a_refused_extension_changes_nothing(cast) -> None:
    t = dispatched(cast, at(2026, 11, 30))
    with time_machine.travel(at(2026, 11, 30, 10), tick=False):
        t = actions.ticket_sign(ticket=t, actor=cast.bumen)
        req = actions.extension_request(ticket=t, actor=cast.bumen, new_due=dt.date(2026, 12, 18), reason="等材料")
        with pytest.raises(actions.ActionError, match="审批意见"):
            actions.application_decide(application=req, actor=cast.duban, approve=False)
        actions.application_decide(application=req, actor=cast.duban, approve=False, note="时限内可以办完")
    before = t.resolve_due_at
    t.refresh_from_db()
    assert t.resolve_due_at == before and t.events.filter(action="extension_refuse").exists()
    assert notices(cast.bumen, "extension_refuse")


def test_a_resolved_request_is_announced_to_the_callback_team_of_its_street_or_else_the_districts(cast) -> None:
    """办理与监督相分离: the call back is the callback team's job, not the community's that dispatched it.
    西湖街道 (community a) has its own team (huifang); 西站街道 (community b) has none, so the district's calls."""
    for community, staff, team, other in (("a", cast.shequ, cast.huifang, cast.huifang_qu),
                                          ("b", cast.shequ_b, cast.huifang_qu, cast.huifang)):
        t = actions.ticket_accept(ticket=cast.new_ticket(community=community), actor=staff)
        t = actions.ticket_dispatch(ticket=t, actor=staff, unit=cast.unit("区城市管理行政执法局"))
        t = actions.ticket_sign(ticket=t, actor=cast.bumen)
        actions.ticket_resolve(ticket=t, actor=cast.bumen, result="已修复。")
        settle()
        told = f"事项已办结，请回访：{t.number}"
        assert told in notices(team, "resolve") and told not in notices(other, "resolve")
        assert told not in notices(staff, "resolve")
