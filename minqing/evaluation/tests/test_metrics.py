"""Every metric against figures worked out by hand on the week of conftest.week."""

from __future__ import annotations

import datetime as dt

import pytest

from minqing.conftest import settle, suspended
from minqing.evaluation import facts
from minqing.evaluation.figures import Period, figures, period_of, totals
from minqing.evaluation.models import Fact, Rollup
from minqing.tickets.models import TicketEvent

YEAR = period_of("year", dt.date(2026, 6, 1))


def test_every_metric_for_the_district(week) -> None:
    f = figures({}, YEAR)
    assert (f.received, f.accepted, f.rejected, f.merged) == (8, 5, 1, 1)  # accepted: T1 T2 T3 T7 + T6 即办
    # Response clocks: 8 at the community (T8 overdue) + 4 at units (T2 signed late; 城管's clock on T7 ended
    # uncounted: its return was approved before the deadline — an application is not a response) → 10 / 12.
    assert (f.response_ok, f.response_due) == (10, 12)
    assert f.sign_rate == pytest.approx(10 / 12)
    # 响应率 (MINQING_RESPONSE_RATE=contact, Beijing): 3 of the 4 callbacks say the unit contacted them.
    assert (f.contacted, f.contacted_asked) == (3, 4) and f.response_rate == pytest.approx(3 / 4)
    # Resolution clocks: T1, T2 (extended), T3 twice (suspension not counted), T6 即办 on time; T7 overdue.
    assert (f.resolve_ok, f.resolve_due) == (5, 6)
    assert f.ontime_rate == pytest.approx(5 / 6)
    # Callbacks: T1 满意·解决, T3 不满意·未解决, T3 满意·解决, T2 基本满意·解决.
    assert f.solve_rate == pytest.approx(3 / 4)
    assert f.satisfaction_rate == pytest.approx((2 + 0.9 * 1) / 4)
    assert f.rework_rate == pytest.approx(1 / 4)
    assert f.extension_rate == pytest.approx(1 / 6)
    assert f.return_rate == pytest.approx(1 / 5)  # 5 dispatches (T7 twice), 1 returned
    assert f.return_request_rate == pytest.approx(1 / 5) and f.return_refusal_rate == 0  # 1 applied, approved
    # 先行联系: T1 in time; T2 and T7 swept late; T3 suspended past its contact time (a hand-over, late); T3's
    # rework restarts it and it ends uncounted at the resolution an hour later (not yet due).
    assert (f.contact_ok, f.contact_due) == (1, 4)
    # Handling time, registration → each resolution: 30 min (T6), 49 h (T1), 50 h (T3), 73 h (T3 again),
    # 192 h (T2).
    assert f.avg_hours == pytest.approx((0.5 + 49 + 50 + 73 + 192) / 5)
    assert f.median_hours == pytest.approx(50)
    assert f.composite == pytest.approx(100 * (0.1 * 0.75 + 0.5 * 0.75 + 0.4 * 0.725))


def test_figures_per_unit_follow_who_held_the_request(week, cast) -> None:
    by_unit = totals({}, YEAR, by="unit")
    cg = by_unit[cast.unit("区城市管理行政执法局").pk]
    assert (cg.dispatched, cg.returned, cg.response_ok, cg.response_due, cg.resolve_ok, cg.resolve_due) == (4, 1, 2, 3, 4, 4)
    assert (cg.return_requests, cg.returns_refused) == (1, 0)
    assert cg.callbacks == 4
    zj = by_unit[cast.unit("区住建局").pk]
    assert (zj.dispatched, zj.response_ok, zj.response_due, zj.resolve_ok, zj.resolve_due) == (1, 1, 1, 0, 1)
    office = by_unit[cast.unit("瓜州路社区居委会").pk]
    assert (office.received, office.response_ok, office.response_due, office.resolve_ok, office.resolve_due) == (
        8, 7, 8, 1, 1)


def test_periods_cut_where_the_events_happened(week) -> None:
    december = figures({}, period_of("month", dt.date(2026, 12, 5)))
    assert december.received == 0
    assert (december.response_ok, december.response_due) == (0, 2)  # T2 signed late, T8 overdue
    assert december.callbacks == 4 and december.extensions == 1
    first_days = figures({}, Period(dt.date(2026, 11, 30), dt.date(2026, 12, 2)))
    assert (first_days.response_ok, first_days.response_due) == (10, 12)
    assert (first_days.resolve_ok, first_days.resolve_due) == (3, 3)  # T6, T1, T3
    assert first_days.callbacks == 0
    assert figures({}, Period(dt.date(2026, 12, 10), dt.date(2026, 12, 31))).received == 0


def test_rollups_and_facts_give_the_same_sums(week, cast) -> None:
    from_rollups = figures({"community": cast.community_a.pk}, YEAR)
    from_facts = figures({"grid": cast.grid_a.pk}, YEAR)  # grids are read from the facts only
    assert from_rollups.counters == from_facts.counters
    assert Rollup.objects.exists()


def test_verify_finds_nothing_then_finds_tampering(week) -> None:
    assert facts.verify() == []
    row = Rollup.objects.filter(received__gt=0).first()
    Rollup.objects.filter(pk=row.pk).update(received=row.received + 1)
    Fact.objects.filter(kind="callback").first().delete()
    problems = facts.verify()
    assert any("received 应为 8，实为 9" in p for p in problems)
    assert any("缺少 1 条" in p for p in problems)
    facts.rebuild()
    assert facts.verify() == []
    assert figures({}, YEAR).received == 8


def test_rebuild_gives_what_the_events_gave_one_by_one(week) -> None:
    before = sorted(facts._fact_key(f) for f in Fact.objects.values(*facts.FACT_COMPARE, "minutes"))
    n, rows = facts.rebuild()
    after = sorted(facts._fact_key(f) for f in Fact.objects.values(*facts.FACT_COMPARE, "minutes"))
    assert before == after and n == len(after) and rows == Rollup.objects.count()
    # T8's response, T7's resolution and contact, T2's contact (先行联系 is counted late; it does not go up).
    assert TicketEvent.objects.filter(action="overdue").count() == 3


def test_the_verify_command_exits_non_zero_on_a_difference(week) -> None:
    from django.core.management import CommandError, call_command

    call_command("metrics", "--verify")
    Rollup.objects.update(callbacks=0)
    with pytest.raises(CommandError, match="处差异"):
        call_command("metrics", "--verify")
    call_command("metrics", "--rebuild")
    call_command("metrics", "--verify")


def test_a_bulk_intake_counts_like_one_at_a_time(cast) -> None:
    from minqing.tickets import actions

    intakes = [actions.Intake(channel="12345", category=cast.category(), area=cast.compound_a,
                              text=f"第{i}号楼门口路灯不亮，晚上看不见路。", reporter_name="张大妈",
                              reporter_phone="13812345678") for i in range(5)]
    made = actions.ticket_create_many(actor=cast.shequ, intakes=intakes, cache=actions.IntakeCache())
    assert len(made) == 5
    settle()
    assert figures({"community": cast.community_a.pk}, YEAR).received == 5
    assert facts.verify() == []


def test_a_late_request_stays_late_through_suspension(cast) -> None:
    import time_machine

    from minqing.tickets import actions, sweep

    from .conftest import at

    with time_machine.travel(at(11, 30, 9), tick=False):
        t = actions.ticket_accept(ticket=cast.new_ticket(), actor=cast.shequ)
        t = actions.ticket_dispatch(ticket=t, actor=cast.shequ, unit=cast.unit("区城市管理行政执法局"))
        t = actions.ticket_sign(ticket=t, actor=cast.bumen)
    with time_machine.travel(at(12, 8, 9), tick=False):  # due Mon 7 Dec 09:00
        sweep.sweep_once()
        with pytest.raises(actions.ActionError, match="已超过办结时限，不能再申请延期"):
            actions.extension_request(ticket=t, actor=cast.bumen, new_due=dt.date(2026, 12, 30), reason="等配件")
        t = suspended(t, by=cast.bumen, approver=cast.duban, until=dt.date(2026, 12, 20), reason="等配件。")
    with time_machine.travel(at(12, 21, 9), tick=False):
        t = actions.ticket_resume(ticket=t, actor=cast.bumen)
    with time_machine.travel(at(12, 21, 10), tick=False):
        actions.ticket_resolve(ticket=t, actor=cast.bumen, result="已修好。")
    settle()
    f = figures({}, YEAR)
    assert (f.resolve_ok, f.resolve_due) == (0, 1)  # late once: not again after resuming, not on time either
    assert facts.verify() == []


def test_figures_are_the_same_before_and_after_folding_and_with_a_backlog(week, monkeypatch) -> None:
    from minqing.evaluation import figures as figures_module

    before = figures({}, YEAR).counters
    assert Fact.objects.filter(rolled=False).exists()
    monkeypatch.setattr(figures_module, "UNROLLED_BY_ID", 2)  # more unfolded facts than it looks up by id
    assert figures({}, YEAR).counters == before
    facts.fold()
    assert not Fact.objects.filter(rolled=False).exists()
    assert figures({}, YEAR).counters == before


def test_a_calendar_year_is_read_from_the_yearly_rows(week) -> None:
    facts.fold()
    year_row = Rollup.objects.get(grain="year", received__gt=0)
    assert year_row.month == dt.date(2026, 1, 1) and year_row.received == 8
    Rollup.objects.filter(pk=year_row.pk).update(received=100)  # tamper with the year only
    assert figures({}, YEAR).received == 100  # a calendar year: the yearly row
    assert figures({}, Period(dt.date(2026, 1, 1), dt.date(2026, 12, 30))).received == 8  # months and days
    assert any(p.startswith("年汇总 2026-01") for p in facts.verify())
