"""Accountability as 接诉即办 practises it (domain.md §10), rule by rule, with figures worked out by hand.

Working hours 08:30–12:00, 14:30–18:00 (7 a day). A request dispatched Monday 30 November 09:00 has its
response (sign) due Tuesday 09:00 (7 working hours) and its resolution due Monday 7 December 09:00 (5 days).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from minqing.accounts.scope import scope_for
from minqing.conftest import image_file, settle
from minqing.evaluation.figures import figures, period_of
from minqing.lib.uploads import prepare_images
from minqing.notifications.models import Notification, OutboundMessage
from minqing.tickets import actions, queries, sweep
from minqing.tickets.lifecycle import Status
from minqing.tickets.models import DeadlinePolicy, Part, ReviewRule, Ticket, TicketType, UrgencyWord

TZ = ZoneInfo("Asia/Shanghai")
YEAR = period_of("year", dt.date(2026, 6, 1))


def at(m: int, d: int, hh: int = 9, mm: int = 0) -> dt.datetime:
    return dt.datetime(2026, m, d, hh, mm, tzinfo=TZ)


def when(moment: dt.datetime, fn, **kwargs):
    with time_machine.travel(moment, tick=False):
        return fn(**kwargs)


def swept(moment: dt.datetime) -> sweep.SweepResult:
    settle()
    return when(moment, sweep.sweep_once)


def dispatched(cast, unit: str, moment: dt.datetime | None = None, **kwargs) -> Ticket:
    with time_machine.travel(moment or at(11, 30), tick=False):
        t = actions.ticket_accept(ticket=cast.new_ticket(), actor=cast.shequ)
        return actions.ticket_dispatch(ticket=t, actor=cast.shequ, unit=cast.unit(unit), **kwargs)


def unit_figures(cast, name: str):
    settle()
    return figures({"unit": cast.unit(name).pk}, YEAR)


# --- 1. 退单审核 ---------------------------------------------------------------------------------
def test_returns_are_reviewed_and_the_units_clocks_run_meanwhile(cast) -> None:
    cg = "区城市管理行政执法局"
    approved_in_time, approved_late, refused = (dispatched(cast, cg) for _ in range(3))
    apps = {t.pk: when(at(11, 30, 10), actions.return_apply, ticket=t, actor=cast.bumen, reason_code="remit",
                       reason="占道经营归市场监管，不是我局职责。") for t in (approved_in_time, approved_late, refused)}
    approved_in_time.refresh_from_db()
    assert approved_in_time.status == Status.ASSIGNED and approved_in_time.handling_unit.name == cg
    when(at(11, 30, 11), actions.application_decide, application=apps[approved_in_time.pk], actor=cast.duban,
         approve=True, unit=cast.unit("区市场监管局"))
    swept(at(12, 1, 9, 30))  # the response clocks of the two still waiting run out: counted late meanwhile
    when(at(12, 1, 10), actions.application_decide, application=apps[approved_late.pk], actor=cast.duban, approve=True)
    when(at(12, 1, 10), actions.application_decide, application=apps[refused.pk], actor=cast.duban, approve=False,
         note="占道经营执法属于城管职责，请继续办理。")
    refused.refresh_from_db()
    assert refused.handling_unit.name == cg and refused.resolve_due_at.astimezone(TZ) == at(12, 7, 9)  # original
    f = unit_figures(cast, cg)
    # 城管: 3 dispatches received, 3 applications, 2 approved, 1 refused. Response: the one approved in time
    # is uncounted; the other two were overdue while waiting (Tue 09:00) → 0 / 2.
    assert (f.dispatched, f.return_requests, f.returned, f.returns_refused) == (3, 3, 2, 1)
    assert f.return_request_rate == pytest.approx(1.0) and f.return_refusal_rate == pytest.approx(1 / 3)
    assert (f.response_ok, f.response_due) == (0, 2)
    settle()
    assert any("退单申请未同意" in n for n in Notification.objects.filter(recipient=cast.bumen).values_list("title", flat=True))
    page = Client()
    page.force_login(cast.duban)
    assert "原因：职责不符" in page.get(f"/tickets/{refused.number}/").content.decode()  # in words, not "remit"


# --- 2. 主办/协办 ------------------------------------------------------------------------------
def test_co_handlers_have_their_own_part_and_the_lead_waits_for_them(cast) -> None:
    t = dispatched(cast, "区住建局", assists=[actions.Assist(unit=cast.unit("东方物业"), task="配合更换小区内线路")])
    part = Part.objects.get(ticket=t)
    assert part.sign_due_at.astimezone(TZ) == at(12, 1, 9) and part.done_due_at == t.resolve_due_at
    assert queries.visible_tickets(scope_for(cast.wuye)).filter(pk=t.pk).exists()  # the co-handler sees it
    assert t.pk in queries.queue(scope_for(cast.wuye), "parts").values_list("pk", flat=True)
    when(at(11, 30, 10), actions.ticket_sign, ticket=t, actor=cast.zhujian)
    when(at(11, 30, 10), actions.part_step, part=part, actor=cast.wuye, what="sign")
    with pytest.raises(actions.ActionError, match="协办单位尚未答复：东方物业"):
        when(at(12, 2, 9), actions.ticket_resolve, ticket=t, actor=cast.zhujian, result="已更换线路。")
    when(at(12, 2, 10), actions.part_step, part=part, actor=cast.wuye, what="reply", note="小区内线路已更换。")
    when(at(12, 2, 11), actions.ticket_resolve, ticket=t, actor=cast.zhujian, result="已更换线路，路灯恢复。")
    # Another: the co-handler's own deadline (Tue) passes unanswered; the lead resolves Wed with a reason.
    late = dispatched(cast, "区住建局", assists=[actions.Assist(unit=cast.unit("东方物业"), task="核实线路",
                                                             due=dt.date(2026, 12, 1))])
    when(at(11, 30, 10), actions.ticket_sign, ticket=late, actor=cast.zhujian)
    when(at(12, 2, 9), actions.ticket_resolve, ticket=late, actor=cast.zhujian, result="已处理。",
         override="物业联系不上，为不影响群众先行办结。")
    assert late.events.get(action="resolve").data["open_parts"] == ["东方物业"]
    wuye = unit_figures(cast, "东方物业")
    # 东方物业 is measured on its own parts: signed in time once, never signed once (late); replied in time
    # once, not replied by its deadline once (late).
    assert (wuye.response_ok, wuye.response_due, wuye.resolve_ok, wuye.resolve_due) == (1, 2, 1, 2)
    zj = unit_figures(cast, "区住建局")
    assert (zj.response_ok, zj.response_due, zj.resolve_ok, zj.resolve_due) == (2, 2, 2, 2)


# --- 3. no clock laundering ----------------------------------------------------------------------
def test_escalating_just_before_the_deadline_does_not_escape_it(cast) -> None:
    office = "瓜州路社区居委会"
    minutes_before, days_before = dispatched(cast, office), dispatched(cast, office)
    for t in (minutes_before, days_before):
        when(at(11, 30, 9, 30), actions.ticket_sign, ticket=t, actor=cast.shequ)
        when(at(11, 30, 9, 40), actions.ticket_contact, ticket=t, actor=cast.shequ, note="已电话联系。")
    when(at(12, 7, 8, 50), actions.ticket_escalate, ticket=minutes_before, actor=cast.shequ, note="协调不了。")
    when(at(12, 4, 9), actions.ticket_escalate, ticket=days_before, actor=cast.shequ, note="协调不了。")
    when(at(12, 4, 10), actions.ticket_sign, ticket=days_before, actor=cast.jiedao)  # the street signs in time
    when(at(12, 7, 9, 30), actions.ticket_sign, ticket=minutes_before, actor=cast.jiedao)  # after the old deadline
    f = unit_figures(cast, office)
    # Two resolve clocks at the community: one handed up 10 minutes before its deadline but signed for after
    # it (late), one handed up and signed for days before (uncounted).
    assert (f.resolve_ok, f.resolve_due) == (0, 1)


def test_redispatching_past_the_deadline_counts_late(cast) -> None:
    t = dispatched(cast, "瓜州路社区居委会")
    when(at(11, 30, 9, 30), actions.ticket_sign, ticket=t, actor=cast.shequ)
    when(at(12, 8, 9), actions.ticket_redispatch, ticket=t, actor=cast.shequ, unit=cast.unit("区住建局"))
    assert (unit_figures(cast, "瓜州路社区居委会").resolve_due, unit_figures(cast, "瓜州路社区居委会").resolve_ok) == (1, 0)


# --- 4. 问题工单 -----------------------------------------------------------------------------------
def test_a_request_passed_between_three_units_becomes_a_problem_for_the_level_above(cast) -> None:
    t = dispatched(cast, "区城市管理行政执法局")
    app = when(at(11, 30, 10), actions.return_apply, ticket=t, actor=cast.bumen, reason_code="remit", reason="非我局职责。")
    when(at(11, 30, 11), actions.application_decide, application=app, actor=cast.duban, approve=True,
         unit=cast.unit("区住建局"))
    t.refresh_from_db()
    assert t.problem_at is None  # two units so far
    when(at(11, 30, 14, 30), actions.ticket_sign, ticket=t, actor=cast.zhujian)
    when(at(11, 30, 15), actions.ticket_escalate, ticket=t, actor=cast.zhujian, note="需要区里协调。")
    t.refresh_from_db()
    assert t.problem_at is not None and t.supervised_by.name == "七里河区民情服务中心"
    assert "先后交给 3 个单位办理" in t.events.get(action="problem").note
    settle()
    assert figures({}, YEAR).problems == 1
    assert Notification.objects.filter(recipient=cast.duban, kind="problem").exists()


# --- 5. 缓办 approval ------------------------------------------------------------------------------
def test_only_an_approved_suspension_stops_the_clock_and_it_resumes_on_its_date(cast) -> None:
    t = dispatched(cast, "瓜州路社区居委会")
    when(at(11, 30, 9, 30), actions.ticket_sign, ticket=t, actor=cast.shequ)
    app = when(at(12, 1), actions.suspend_apply, ticket=t, actor=cast.shequ, until=dt.date(2026, 12, 14),
               reason="需列入街道维修计划。")
    when(at(12, 1, 10), actions.application_decide, application=app, actor=cast.jiedao, approve=True)
    t.refresh_from_db()
    assert t.status == Status.SUSPENDED and t.resolve_due_at is None
    swept(at(12, 7, 10))  # the original deadline passes while suspended: nothing is late
    result = swept(at(12, 14, 0, 1))
    t.refresh_from_db()
    assert result.resumed == 1 and t.status == Status.IN_PROGRESS and t.events.filter(action="resume").count() == 1
    assert t.events.get(action="resume").actor_label == "系统巡检"
    settle()
    assert Notification.objects.filter(recipient=cast.shequ, title__contains="缓办到期，已恢复办理").exists()
    sms = OutboundMessage.objects.filter(template="suspended").values_list("body", flat=True)
    assert any("2026-12-14" in b for b in sms)
    assert unit_figures(cast, "瓜州路社区居委会").resolve_due == 0  # left out of 按期办结 while suspended


# --- 6. 办结审核 / 核查 -----------------------------------------------------------------------------
def test_a_rejected_reply_goes_back_with_its_clock_running(cast) -> None:
    ReviewRule.objects.create(level="district", review="dispatcher")
    t = dispatched(cast, "区城市管理行政执法局")
    when(at(11, 30, 10), actions.ticket_sign, ticket=t, actor=cast.bumen)
    t = when(at(12, 4, 9), actions.ticket_resolve, ticket=t, actor=cast.bumen, result="已拆除违建。")
    assert t.status == Status.REVIEW and t.reviewer_unit.name == "瓜州路社区居委会"
    with pytest.raises(actions.Forbidden):
        when(at(12, 4, 10), actions.ticket_review, ticket=t, actor=cast.bumen, passed=True, note="")
    t = when(at(12, 8, 10), actions.ticket_review, ticket=t, actor=cast.shequ, passed=False, note="现场仍有违建。")
    assert t.status == Status.IN_PROGRESS and t.resolve_due_at.astimezone(TZ) == at(12, 7, 9)  # unchanged
    assert swept(at(12, 8, 10, 1)).escalations == 1  # its deadline passed during the review: late now
    t = when(at(12, 9, 9), actions.ticket_resolve, ticket=t, actor=cast.bumen, result="已全部拆除。")
    when(at(12, 9, 10), actions.ticket_review, ticket=t, actor=cast.shequ, passed=True, note="现场核实已拆除。")
    f = unit_figures(cast, "区城市管理行政执法局")
    assert (f.resolve_ok, f.resolve_due, f.resolved) == (0, 1, 1)


def test_a_passed_review_is_judged_by_the_time_of_the_reply(cast) -> None:
    ReviewRule.objects.create(level="district", review="dispatcher")
    t = dispatched(cast, "区城市管理行政执法局")
    when(at(11, 30, 10), actions.ticket_sign, ticket=t, actor=cast.bumen)
    t = when(at(12, 4, 9), actions.ticket_resolve, ticket=t, actor=cast.bumen, result="已拆除违建。")
    when(at(12, 8, 9), actions.ticket_review, ticket=t, actor=cast.shequ, passed=True, note="属实。")  # reviewed late
    f = unit_figures(cast, "区城市管理行政执法局")
    assert (f.resolve_ok, f.resolve_due) == (1, 1)  # the unit replied on Friday, before Monday's deadline


def test_an_on_site_check_is_the_grid_workers_and_needs_a_photo(cast) -> None:
    ReviewRule.objects.create(level="community", review="onsite")
    t = dispatched(cast, "瓜州路社区居委会")
    when(at(11, 30, 10), actions.ticket_sign, ticket=t, actor=cast.shequ)
    t = when(at(12, 1), actions.ticket_resolve, ticket=t, actor=cast.shequ, result="已修好路灯。")
    assert t.status == Status.REVIEW and t.review == "onsite"
    with pytest.raises(actions.ActionError, match="现场照片"):
        when(at(12, 1, 10), actions.ticket_review, ticket=t, actor=cast.wangge, passed=True, note="")
    t = when(at(12, 1, 10), actions.ticket_review, ticket=t, actor=cast.wangge, passed=True, note="现场看过，已修好。",
             photos=prepare_images([image_file()]))
    assert t.status == Status.RESOLVED and t.events.get(action="review_pass").attachments.count() == 1


# --- 7. independent callback -----------------------------------------------------------------------
def resolved(cast, unit: str = "区住建局") -> Ticket:
    t = dispatched(cast, unit)
    holder = {"区住建局": cast.zhujian, "瓜州路社区居委会": cast.shequ}[unit]
    when(at(11, 30, 10), actions.ticket_sign, ticket=t, actor=holder)
    return when(at(12, 1, 10), actions.ticket_resolve, ticket=t, actor=holder, result="已办结。")


def test_the_handling_unit_never_grades_its_own_callback(cast) -> None:
    t = resolved(cast, "瓜州路社区居委会")
    for who in (cast.shequ, cast.shuji):  # the community handled it
        with pytest.raises(actions.Forbidden):
            when(at(12, 2), actions.ticket_callback, ticket=t, actor=who, contacted=True, solved=True,
                 satisfaction="satisfied", unit_contacted=True)
    when(at(12, 2), actions.ticket_callback, ticket=t, actor=cast.huifang, contacted=True, solved=True,
         satisfaction="satisfied", unit_contacted=True)
    assert Ticket.objects.get(pk=t.pk).status == Status.CLOSED
    page = Client()
    page.force_login(cast.shequ)
    assert 'data-action="callback"' not in page.get(f"/tickets/{t.number}/").content.decode()


def test_three_failed_attempts_at_different_times_make_an_invalid_callback(cast, settings) -> None:
    t = resolved(cast)
    agent = cast.huifang
    when(at(12, 2, 9), actions.ticket_callback, ticket=t, actor=agent, contacted=False, note="无人接听")
    when(at(12, 2, 9, 30), actions.ticket_callback, ticket=t, actor=agent, contacted=False, note="无人接听")  # too soon
    when(at(12, 2, 15), actions.ticket_callback, ticket=t, actor=agent, contacted=False, note="关机")
    t.refresh_from_db()
    assert (t.status, t.callback_attempts) == (Status.RESOLVED, 2)
    when(at(12, 3, 10), actions.ticket_callback, ticket=t, actor=agent, contacted=False, note="停机")
    t.refresh_from_db()
    assert t.status == Status.CLOSED and t.events.filter(action="callback_invalid").exists()
    f = unit_figures(cast, "区住建局")
    assert (f.callbacks, f.callbacks_invalid, f.solve_rate) == (0, 1, None)  # excluded from 解决率, counted apart
    assert f.invalid_callback_rate == 1.0


def test_a_share_of_callbacks_is_rechecked_and_a_different_answer_is_flagged(cast, settings) -> None:
    settings.MINQING = {**settings.MINQING, "RECHECK_SHARE": 1.0}
    t = resolved(cast)
    t = when(at(12, 2), actions.ticket_callback, ticket=t, actor=cast.huifang, contacted=True, solved=True,
             satisfaction="satisfied", unit_contacted=True)
    assert t.recheck_due_at is not None
    with pytest.raises(actions.Forbidden):  # 住建局 handled it
        when(at(12, 3), actions.ticket_recheck, ticket=t, actor=cast.zhujian, solved=True, satisfaction="satisfied")
    t = when(at(12, 3), actions.ticket_recheck, ticket=t, actor=cast.huifang_qu, solved=False, satisfaction="dissatisfied",
             unit_contacted=True, note="群众说根本没修。")
    assert t.recheck_discrepancy and t.recheck_due_at is None
    f = unit_figures(cast, "区住建局")
    assert (f.rechecks, f.recheck_ok) == (1, 0)


# --- 8. evaluation at the deadline ------------------------------------------------------------------
def test_an_unresolved_request_is_called_back_at_its_deadline_and_counts_against_its_unit(cast) -> None:
    t = dispatched(cast, "区住建局")
    with time_machine.travel(at(11, 30), tick=False):
        nobody = actions.ticket_accept(ticket=cast.new_ticket(reporter_name="", reporter_phone="", anonymous=True),
                                       actor=cast.shequ)
        nobody = actions.ticket_dispatch(ticket=nobody, actor=cast.shequ, unit=cast.unit("区住建局"))
    for x in (t, nobody):
        when(at(11, 30, 10), actions.ticket_sign, ticket=x, actor=cast.zhujian)
    swept(at(12, 7, 10))  # their resolution deadline passed
    t.refresh_from_db()
    nobody.refresh_from_db()
    assert t.evaluation_due_at is not None
    assert nobody.evaluation_due_at is None  # anonymous: nobody to call
    agent = Client()
    agent.force_login(cast.huifang)
    assert t.number in agent.get("/tickets/queue/callback/").content.decode()
    when(at(12, 7, 11), actions.ticket_evaluate, ticket=t, actor=cast.huifang, solved=False, satisfaction="dissatisfied",
         unit_contacted=False, note="至今没人来修。")
    with pytest.raises(actions.ActionError):  # 一事一评
        when(at(12, 7, 12), actions.ticket_evaluate, ticket=t, actor=cast.huifang, solved=False,
             satisfaction="dissatisfied", note="再评一次")
    f = unit_figures(cast, "区住建局")
    assert (f.callbacks, f.solved, f.dissatisfied, f.contacted, f.contacted_asked) == (1, 0, 1, 0, 1)
    assert f.solve_rate == 0 and f.satisfaction_rate == 0


# --- 9. honest composite ----------------------------------------------------------------------------
def test_a_part_with_no_data_is_left_out_of_the_composite(cast, settings) -> None:
    t = dispatched(cast, "区住建局")
    when(at(11, 30, 10), actions.ticket_sign, ticket=t, actor=cast.zhujian)
    f = unit_figures(cast, "区住建局")
    assert f.response_rate is None and f.composite is None  # 联系率: no callback yet; nothing to score
    settings.MINQING = {**settings.MINQING, "RESPONSE_RATE": "sign"}
    assert f.response_rate == 1.0 and f.composite == pytest.approx(100.0)  # 响应率 alone, its weight renormalised
    from minqing.evaluation.metrics import response_metric

    assert response_metric().label == "响应率（按时签收）"


# --- 10. time limits -------------------------------------------------------------------------------
def test_limits_by_request_type(cast) -> None:
    for kind, days in (("enquiry", 3), ("complaint", 13)):
        DeadlinePolicy.objects.create(type=kind, urgency="normal", response_hours=7, resolve_days=days,
                                      complex_resolve_days=days * 2)
    with time_machine.travel(at(11, 30), tick=False):
        enquiry = actions.ticket_accept(ticket=cast.new_ticket(type=TicketType.ENQUIRY), actor=cast.shequ)
        enquiry = actions.ticket_dispatch(ticket=enquiry, actor=cast.shequ, unit=cast.unit("瓜州路社区居委会"))
        complaint = actions.ticket_accept(ticket=cast.new_ticket(type=TicketType.COMPLAINT), actor=cast.shequ)
        complaint = actions.ticket_dispatch(ticket=complaint, actor=cast.shequ, unit=cast.unit("瓜州路社区居委会"))
    assert enquiry.resolve_due_at.astimezone(TZ) == at(12, 3, 9)  # 3 working days
    assert complaint.resolve_due_at.astimezone(TZ) == at(12, 17, 9)  # 13 working days


def test_a_gas_leak_on_friday_evening_runs_on_natural_time(cast) -> None:
    UrgencyWord.objects.get_or_create(word="燃气泄漏")
    friday = at(12, 4, 17, 50)
    with time_machine.travel(friday, tick=False):
        t = cast.new_ticket(text="3号楼二单元燃气泄漏，味道很大，老人在家！")
    assert t.natural_time and t.urgency == "urgent"
    assert t.response_due_at.astimezone(TZ) == at(12, 4, 19, 50)  # 2 hours of the clock, not Monday
    with time_machine.travel(friday + dt.timedelta(minutes=5), tick=False):
        t = actions.ticket_accept(ticket=t, actor=cast.shequ)
        t = actions.ticket_dispatch(ticket=t, actor=cast.shequ, unit=cast.unit("区住建局"))
    assert t.resolve_due_at.astimezone(TZ) == at(12, 5, 17, 55)  # 24 hours: Saturday evening
    page = Client()
    page.force_login(cast.shequ)
    assert "请确认已拨打 119" in page.get(f"/tickets/{t.number}/").content.decode()


def test_the_holder_contacts_the_reporter_first_and_is_measured_on_it(cast) -> None:
    on_time, late = dispatched(cast, "区住建局"), dispatched(cast, "区住建局")
    for t in (on_time, late):
        when(at(11, 30, 10), actions.ticket_sign, ticket=t, actor=cast.zhujian)
    assert on_time.contact_due_at is None and Ticket.objects.get(pk=on_time.pk).contact_due_at.astimezone(TZ) == at(12, 1, 10)
    when(at(11, 30, 16), actions.ticket_contact, ticket=on_time, actor=cast.zhujian, note="电话联系，约明天上门。")
    assert swept(at(12, 1, 11)).late_contacts == 1
    f = unit_figures(cast, "区住建局")
    assert (f.contact_ok, f.contact_due) == (1, 2)
    assert OutboundMessage.objects.filter(template="contacted").count() == 1


# --- 11. 吹哨报到 ----------------------------------------------------------------------------------
def test_the_street_summons_departments_who_report_in_and_are_rated(cast) -> None:
    t = dispatched(cast, "西湖街道办事处")
    when(at(11, 30, 9, 30), actions.ticket_sign, ticket=t, actor=cast.jiedao)
    with pytest.raises(actions.Forbidden):
        when(at(11, 30, 9, 40), actions.ticket_summon, ticket=t, actor=cast.shequ, units=[cast.unit("区住建局")], task="x")
    when(at(11, 30, 10), actions.ticket_summon, ticket=t, actor=cast.jiedao, task="违建涉及住建、城管，请到场会商。",
         units=[cast.unit("区住建局"), cast.unit("区城市管理行政执法局")])
    zj, cg = (Part.objects.get(ticket=t, unit__name=n) for n in ("区住建局", "区城市管理行政执法局"))
    t.refresh_from_db()
    assert not queries.reporter_for(scope_for(cast.zhujian), t).masked  # summoned: it must contact the reporter
    assert zj.sign_due_at.astimezone(TZ) == at(11, 30, 11) and zj.contact_due_at.astimezone(TZ) == at(12, 1, 10)
    assert zj.done_due_at.astimezone(TZ) == at(12, 3, 10)  # 3 working days
    when(at(11, 30, 10, 30), actions.part_step, part=zj, actor=cast.zhujian, what="sign")
    when(at(11, 30, 15), actions.part_step, part=zj, actor=cast.zhujian, what="contact", note="已电话联系反映人。")
    when(at(12, 1, 9), actions.part_step, part=zj, actor=cast.zhujian, what="reply", note="已到现场勘查。")
    assert queries.reporter_for(scope_for(cast.zhujian), t).masked  # its part done: no longer
    result = swept(at(11, 30, 11, 30))  # 城管 has not signed within the hour
    assert result.parts_overdue == 1
    settle()
    assert Notification.objects.filter(recipient=cast.duban, kind="part_overdue_supervise").exists()  # sent up
    zj.refresh_from_db()
    when(at(12, 1, 10), actions.part_rate, part=zj, actor=cast.jiedao, rating=5, note="到场及时。")
    with pytest.raises(actions.ActionError, match="1 到 5"):
        when(at(12, 1, 10), actions.part_rate, part=zj, actor=cast.jiedao, rating=9)
    zjf, cgf = unit_figures(cast, "区住建局"), unit_figures(cast, "区城市管理行政执法局")
    assert (zjf.response_ok, zjf.response_due, zjf.contact_ok, zjf.contact_due, zjf.resolve_ok, zjf.resolve_due) == (
        1, 1, 1, 1, 1, 1)
    assert zjf.report_rating == 5.0
    assert (cgf.response_ok, cgf.response_due) == (0, 1)


# --- 12. residents are told ---------------------------------------------------------------------------
def test_residents_are_told_of_rejection_extension_suspension_and_contact(cast) -> None:
    rejected = when(at(11, 30), actions.ticket_reject, ticket=cast.new_ticket(), actor=cast.shequ, reason="legal",
                    note="该纠纷已进入诉讼程序")
    t = dispatched(cast, "区住建局")
    when(at(11, 30, 10), actions.ticket_sign, ticket=t, actor=cast.zhujian)
    app = when(at(12, 1), actions.extension_request, ticket=t, actor=cast.zhujian, new_due=dt.date(2026, 12, 18),
               reason="需要采购配件。")
    when(at(12, 1, 10), actions.application_decide, application=app, actor=cast.duban, approve=True)
    settle()
    bodies = dict(OutboundMessage.objects.filter(channel="sms").values_list("template", "body"))
    assert "该纠纷已进入诉讼程序" in bodies["rejected"] and rejected.number in bodies["rejected"]
    assert "2026-12-18" in bodies["extended"]
    track = Client()
    session = track.session
    session["followed_tickets"] = [t.pk]
    session.save()
    assert "经批准延期至 2026-12-18 办结" in track.get(f"/r/t/{t.number}/").content.decode()
