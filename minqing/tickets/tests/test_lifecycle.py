"""Every transition of the state machine, made by the role that may make it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from minqing.tickets import actions
from minqing.tickets.lifecycle import TRANSITIONS, Status, is_allowed_step
from minqing.tickets.models import Disposition, RejectReason, Satisfaction, Ticket, TicketEvent


def statuses(ticket: Ticket) -> list[tuple[str, str, str]]:
    return list(ticket.events.order_by("created_at", "id").values_list("action", "from_status", "to_status"))


def test_grid_worker_records_and_community_accepts_dispatches_and_closes(cast) -> None:
    t = cast.new_ticket(urgency="normal")
    assert t.status == Status.RECEIVED
    assert t.handling_unit.name == "瓜州路社区居委会"
    assert t.response_due_at is not None

    t = actions.ticket_accept(ticket=t, actor=cast.shequ)
    assert t.status == Status.REGISTERED and t.response_due_at is None

    t = actions.ticket_dispatch(ticket=t, actor=cast.shequ, unit=cast.unit("区住建局"))
    assert (t.status, t.handling_unit.name, t.sender_unit.name) == (Status.ASSIGNED, "区住建局", "瓜州路社区居委会")
    assert t.disposition == Disposition.PROMISED
    assert t.resolve_due_at > t.response_due_at > t.created_at

    t = actions.ticket_sign(ticket=t, actor=cast.zhujian)
    assert t.status == Status.IN_PROGRESS and t.response_due_at is None
    actions.ticket_add_progress(ticket=t, actor=cast.zhujian, note="已到现场查看，联系了供电。")
    t = actions.ticket_resolve(ticket=t, actor=cast.zhujian, result="已更换灯泡，路灯恢复照明。")
    assert t.status == Status.RESOLVED and t.result.startswith("已更换")

    t = actions.ticket_callback(ticket=t, actor=cast.huifang, contacted=True, solved=True, satisfaction=Satisfaction.SATISFIED)
    assert t.status == Status.CLOSED and t.satisfaction == Satisfaction.SATISFIED and t.closed_at

    assert statuses(t) == [
        ("create", "", "received"),
        ("accept", "received", "registered"),
        ("dispatch", "registered", "assigned"),
        ("sign", "assigned", "in_progress"),
        ("progress", "in_progress", "in_progress"),
        ("resolve", "in_progress", "resolved"),
        ("close", "resolved", "closed"),
    ]
    event = t.events.get(action="dispatch")
    assert event.actor == cast.shequ and event.actor_unit.name == "瓜州路社区居委会"
    assert event.to_unit.name == "区住建局" and event.data["resolve_due_at"]


def test_dissatisfied_callback_sends_it_back_to_the_same_unit(cast) -> None:
    t = cast.new_ticket()
    t = actions.ticket_accept(ticket=t, actor=cast.shequ)
    t = actions.ticket_dispatch(ticket=t, actor=cast.shequ, unit=cast.unit("东方物业"))
    t = actions.ticket_sign(ticket=t, actor=cast.wuye)
    t = actions.ticket_resolve(ticket=t, actor=cast.wuye, result="已修好。")
    with pytest.raises(actions.ActionError, match="原因"):
        actions.ticket_callback(ticket=t, actor=cast.huifang, contacted=True, solved=False, satisfaction="dissatisfied")
    t = actions.ticket_callback(ticket=t, actor=cast.huifang, contacted=True, solved=False,
                                satisfaction=Satisfaction.DISSATISFIED, note="灯还是一闪一闪的")
    assert t.status == Status.IN_PROGRESS and t.handling_unit.name == "东方物业" and t.rework_count == 1
    assert t.resolve_due_at is not None


def test_callback_not_reached_keeps_it_waiting(cast) -> None:
    t = cast.new_ticket()
    t = actions.ticket_accept(ticket=t, actor=cast.shequ)
    t = actions.ticket_resolve_on_spot(ticket=t, actor=cast.shequ, result="网格员当场协调，已清理。")
    assert t.status == Status.RESOLVED and t.disposition == Disposition.ON_SPOT
    actions.ticket_callback(ticket=t, actor=cast.huifang, contacted=False)
    t.refresh_from_db()
    assert t.status == Status.RESOLVED
    assert t.events.filter(action="callback_attempt").count() == 1


def test_a_return_is_an_application_decided_by_the_level_above(cast) -> None:
    t = cast.new_ticket()
    t = actions.ticket_accept(ticket=t, actor=cast.shequ)
    t = actions.ticket_dispatch(ticket=t, actor=cast.shequ, unit=cast.unit("区城市管理行政执法局"))
    with pytest.raises(actions.ActionError, match="退单理由"):
        actions.return_apply(ticket=t, actor=cast.bumen, reason_code="remit", reason="  ")
    with pytest.raises(actions.ActionError, match="退单原因"):
        actions.return_apply(ticket=t, actor=cast.bumen, reason_code="", reason="不归我们管")
    app = actions.return_apply(ticket=t, actor=cast.bumen, reason_code="remit", reason="路灯属于小区物业管理，不是市政路灯。")
    t.refresh_from_db()
    assert t.status == Status.ASSIGNED and t.handling_unit.name == "区城市管理行政执法局"  # nothing moves yet
    assert app.approver_unit.name == "七里河区民情服务中心" and app.original_due_at == t.resolve_due_at
    with pytest.raises(actions.Forbidden):
        actions.application_decide(application=app, actor=cast.shequ, approve=True)
    actions.application_decide(application=app, actor=cast.duban, approve=True, unit=cast.unit("东方物业"))
    t.refresh_from_db()
    assert t.status == Status.ASSIGNED and t.handling_unit.name == "东方物业"
    assert [e.action for e in t.events.order_by("id")][-3:] == ["return_apply", "return", "dispatch"]


def test_a_refused_return_leaves_the_unit_its_original_deadline(cast) -> None:
    t = actions.ticket_accept(ticket=cast.new_ticket(), actor=cast.shequ)
    t = actions.ticket_dispatch(ticket=t, actor=cast.shequ, unit=cast.unit("瓜州路社区居委会"))
    due = t.resolve_due_at
    app = actions.return_apply(ticket=t, actor=cast.shequ, reason_code="place", reason="地点不在本社区。")
    assert app.approver_unit.name == "西湖街道办事处"  # the street arbitrates a community's return
    with pytest.raises(actions.ActionError, match="审批意见"):
        actions.application_decide(application=app, actor=cast.jiedao, approve=False)
    actions.application_decide(application=app, actor=cast.jiedao, approve=False, note="就在本社区，请继续办理。")
    t.refresh_from_db()
    assert (t.status, t.handling_unit.name, t.resolve_due_at) == (Status.ASSIGNED, "瓜州路社区居委会", due)
    second = actions.return_apply(ticket=t, actor=cast.shequ, reason_code="other", reason="再申请一次。")
    actions.application_decide(application=second, actor=cast.jiedao, approve=False, note="不同意。")
    with pytest.raises(actions.ActionError, match="上限"):  # MINQING_RETURN_LIMIT = 2
        actions.return_apply(ticket=t, actor=cast.shequ, reason_code="other", reason="第三次。")


def test_escalation_climbs_community_street_district_and_is_dispatched_again(cast) -> None:
    t = cast.new_ticket(code="SR01")
    t = actions.ticket_accept(ticket=t, actor=cast.shequ)
    t = actions.ticket_dispatch(ticket=t, actor=cast.shequ, unit=cast.unit("瓜州路社区居委会"))
    t = actions.ticket_sign(ticket=t, actor=cast.shequ)
    t = actions.ticket_escalate(ticket=t, actor=cast.shequ, note="违建涉及多个部门，社区协调不了。")
    assert (t.status, t.handling_unit.name, t.disposition) == (Status.ASSIGNED, "西湖街道办事处", Disposition.ESCALATED)
    t = actions.ticket_sign(ticket=t, actor=cast.jiedao)
    t = actions.ticket_escalate(ticket=t, actor=cast.jiedao, note="需区级吹哨。")
    assert t.handling_unit.name == "七里河区民情服务中心"
    t = actions.ticket_sign(ticket=t, actor=cast.duban)
    with pytest.raises(actions.ActionError, match="最高一级"):
        actions.ticket_escalate(ticket=t, actor=cast.duban, note="再上报")
    t = actions.ticket_redispatch(ticket=t, actor=cast.duban, unit=cast.unit("区城市管理行政执法局"))
    assert (t.status, t.handling_unit.name) == (Status.ASSIGNED, "区城市管理行政执法局")
    t = actions.ticket_sign(ticket=t, actor=cast.bumen)
    t = actions.ticket_resolve(ticket=t, actor=cast.bumen, result="已依法拆除。")
    assert t.status == Status.RESOLVED


def test_suspend_into_a_plan_and_resume_with_the_time_that_was_left(cast) -> None:
    t = cast.new_ticket(code="WT01")
    t = actions.ticket_accept(ticket=t, actor=cast.shequ)
    t = actions.ticket_dispatch(ticket=t, actor=cast.shequ, unit=cast.unit("瓜州路社区居委会"))
    t = actions.ticket_sign(ticket=t, actor=cast.shequ)
    with pytest.raises(actions.ActionError, match="晚于今天"):
        actions.suspend_apply(ticket=t, actor=cast.shequ, reason="等预算", until=timezone.localdate())
    until = timezone.localdate() + dt.timedelta(days=90)
    app = actions.suspend_apply(ticket=t, actor=cast.shequ, reason="乒乓球台需列入明年预算。", until=until)
    t.refresh_from_db()
    assert t.status == Status.IN_PROGRESS and t.resolve_due_at is not None  # the clock runs until approved
    actions.application_decide(application=app, actor=cast.jiedao, approve=True)
    t.refresh_from_db()
    assert t.status == Status.SUSPENDED and t.suspended_until == until and t.resolve_due_at is None
    t = actions.ticket_resume(ticket=t, actor=cast.shequ)
    assert t.status == Status.IN_PROGRESS and t.resolve_due_at is not None and t.suspended_until is None


def test_reject_needs_a_reason_and_an_explanation(cast) -> None:
    t = cast.new_ticket()
    with pytest.raises(actions.ActionError, match="原因"):
        actions.ticket_reject(ticket=t, actor=cast.shequ, reason="", note="x")
    with pytest.raises(actions.ActionError, match="解释"):
        actions.ticket_reject(ticket=t, actor=cast.shequ, reason=RejectReason.EMERGENCY, note="")
    t = actions.ticket_reject(ticket=t, actor=cast.shequ, reason=RejectReason.OUTSIDE_REMIT, note="属于合同纠纷。")
    assert t.status == Status.REJECTED and t.disposition == Disposition.ADVISORY
    assert t.events.get(action="reject").reason == RejectReason.OUTSIDE_REMIT


def test_merge_a_duplicate_into_the_original(cast) -> None:
    original = cast.new_ticket()
    duplicate = cast.new_ticket(reporter_phone="13900001111")
    with pytest.raises(actions.ActionError, match="找不到"):
        actions.ticket_merge(ticket=duplicate, actor=cast.shequ, into_number="MQ-NOPE")
    with pytest.raises(actions.ActionError, match="自己"):
        actions.ticket_merge(ticket=duplicate, actor=cast.shequ, into_number=duplicate.number)
    merged = actions.ticket_merge(ticket=duplicate, actor=cast.shequ, into_number=original.number.lower())
    assert merged.status == Status.MERGED and merged.merged_into == original
    assert original.events.get(action="merged_in").data == {"duplicate": duplicate.number}


def test_wrong_state_is_refused_and_changes_nothing(cast) -> None:
    t = cast.new_ticket()
    before = (t.status, t.version, t.events.count())
    for call in (
        lambda: actions.ticket_sign(ticket=t, actor=cast.shequ),
        lambda: actions.ticket_resolve(ticket=t, actor=cast.shequ, result="x"),
        lambda: actions.ticket_callback(ticket=t, actor=cast.huifang, contacted=True, solved=True, satisfaction="satisfied"),
        lambda: actions.ticket_dispatch(ticket=t, actor=cast.shequ, unit=cast.unit("区住建局")),
    ):
        with pytest.raises(actions.ActionError, match="当前状态为“待受理”"):
            call()
    t.refresh_from_db()
    assert (t.status, t.version, t.events.count()) == before


@pytest.mark.parametrize(
    ("who", "action"),
    [
        ("shequ_b", "accept"),  # another community
        ("jiedao_b", "accept"),  # another street
        ("bumen", "accept"),  # a department does not triage
        ("wangge", "accept"),  # grid workers record, they do not triage
        ("jumin", "accept"),
        ("admin", "accept"),  # a system admin is not a business role
    ],
)
def test_roles_outside_the_scope_cannot_triage(cast, who: str, action: str) -> None:
    t = cast.new_ticket()
    with pytest.raises(actions.Forbidden):
        actions.ticket_accept(ticket=t, actor=getattr(cast, who))
    t.refresh_from_db()
    assert t.status == Status.RECEIVED


def test_oversight_may_triage_but_only_the_holder_signs(cast) -> None:
    t = cast.new_ticket()
    t = actions.ticket_accept(ticket=t, actor=cast.jiedao)  # street officer of the request's street
    t = actions.ticket_dispatch(ticket=t, actor=cast.duban, unit=cast.unit("区住建局"))  # district supervisor
    for outsider in (cast.shequ, cast.jiedao, cast.bumen, cast.duban):
        with pytest.raises(actions.Forbidden, match="无权"):
            actions.ticket_sign(ticket=t, actor=outsider)
    t = actions.ticket_sign(ticket=t, actor=cast.zhujian)
    with pytest.raises(actions.Forbidden):
        actions.ticket_add_progress(ticket=t, actor=cast.shequ, note="社区替部门写进展")


def test_dispatch_refuses_another_communitys_office(cast) -> None:
    t = actions.ticket_accept(ticket=cast.new_ticket(), actor=cast.shequ)
    with pytest.raises(actions.ActionError, match="不能派给"):
        actions.ticket_dispatch(ticket=t, actor=cast.shequ, unit=cast.unit("建西东路社区居委会"))


def test_stale_version_loses_with_a_clear_message(cast) -> None:
    t = cast.new_ticket()
    seen = t.version
    actions.ticket_accept(ticket=t, actor=cast.shequ)
    with pytest.raises(actions.Conflict, match="刚被他人处理过|当前状态"):
        actions.ticket_reject(ticket=t, actor=cast.jiedao, reason="other", note="重复", expected_version=seen)


def test_transition_table_is_well_formed(cast) -> None:
    # Each transition names real statuses, and the event check refuses it from anywhere else.
    for t in TRANSITIONS.values():
        assert t.sources and all(s in Status.values for s in t.sources) and t.target in Status.values
        assert is_allowed_step(t.name, next(iter(t.sources)), t.target)
        assert not is_allowed_step(t.name, t.target if t.target not in t.sources else "closed", t.target)


def test_events_cannot_be_edited_or_deleted(cast) -> None:
    from django.core.exceptions import ValidationError
    from django.db import DatabaseError, transaction

    t = cast.new_ticket()
    event = t.events.get()
    event.note = "改一下"
    with pytest.raises(ValidationError):
        event.save()
    with pytest.raises(ValidationError):
        event.delete()
    with pytest.raises(DatabaseError), transaction.atomic():  # the database refuses too
        TicketEvent.objects.filter(pk=event.pk).update(note="改一下")
    event.refresh_from_db()
    assert event.note == ""


def test_a_partner_unit_escalates_to_the_requests_street_not_its_own(cast) -> None:
    # 西安德盛和物业 sits in 小西坪社区 (西站街道); the request is in 瓜州路社区 (西湖街道).
    t = actions.ticket_accept(ticket=cast.new_ticket(), actor=cast.shequ)
    partner = cast.unit("西安德盛和物业管理有限公司兰州分公司")
    t = actions.ticket_dispatch(ticket=t, actor=cast.shequ, unit=partner)
    from minqing.accounts.models import RoleAssignment

    contact = cast.users["wuye"]
    RoleAssignment.objects.create(user=contact, role="partner_contact", unit=partner)
    contact.__dict__.pop("_minqing_scope", None)
    t = actions.ticket_sign(ticket=t, actor=contact)
    t = actions.ticket_escalate(ticket=t, actor=contact, note="需要街道协调")
    assert t.handling_unit.name == "西湖街道办事处"


def test_two_requests_cannot_be_merged_into_each_other(cast) -> None:
    a, b = cast.new_ticket(), cast.new_ticket()
    actions.ticket_merge(ticket=a, actor=cast.shequ, into_number=b.number)
    with pytest.raises(actions.ActionError, match="自己"):
        actions.ticket_merge(ticket=b, actor=cast.shequ, into_number=a.number)
    b.refresh_from_db()
    assert b.status == Status.RECEIVED
