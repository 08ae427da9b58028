"""A project's before/after figures against numbers worked out by hand, and against the dashboards."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from minqing.conftest import settle
from minqing.evaluation.figures import Period, figures
from minqing.governance import actions, queries
from minqing.tickets import actions as ticket_actions

from .conftest import at


@pytest.fixture
def spring(cast):
    """Requests of 路灯损坏 (WY01): in 瓜州路社区 (A) on 10 Mar, 10 Apr ×2, 10 May and 5 Jun; in 建西东路社区 (B)
    on 20 Mar and 20 May. Not in the project: one of 10 Feb (before the 治理前 months) and a 垃圾清运 one of
    10 Apr. Callbacks (A only): 10 Apr's first 满意 (11 Apr), 10 May's 不满意 (11 May), 5 Jun's 基本满意 (6 Jun).
    The project starts on 1 June with three months of 治理前 (1 Mar – 31 May, 92 days); today is 30 June."""
    def new(moment: dt.datetime, **kw):
        with time_machine.travel(moment, tick=False):
            return cast.new_ticket(**kw)

    def answered(ticket, moment: dt.datetime, grade: str) -> None:
        with time_machine.travel(moment, tick=False):
            ticket = ticket_actions.ticket_resolve_on_spot(ticket=ticket, actor=cast.shequ, result="当场修好了。")
        with time_machine.travel(moment + dt.timedelta(days=1), tick=False):
            ticket_actions.ticket_callback(ticket=ticket, actor=cast.huifang, contacted=True,
                                           solved=grade != "dissatisfied", satisfaction=grade, unit_contacted=True,
                                           note="" if grade != "dissatisfied" else "灯还是不亮。")

    new(at(2, 10))
    new(at(4, 10), code="HJ01", text="垃圾三天没人拉了。")
    new(at(3, 10))
    a_apr1, a_may = new(at(4, 10)), (new(at(4, 10, 15)), new(at(5, 10)))[1]
    new(at(3, 20), community="b")
    new(at(5, 20), community="b")
    a_jun = new(at(6, 5))
    answered(a_apr1, at(4, 10, 11), "satisfied")
    answered(a_may, at(5, 10, 11), "dissatisfied")
    answered(a_jun, at(6, 5, 11), "basic")
    with time_machine.travel(at(6, 1), tick=False):
        project = actions.project_create(
            actor=cast.duban, title="路灯损坏专项治理", lead_unit=cast.unit("区住建局"), category=cast.category("WY01"),
            start_date=dt.date(2026, 6, 1), deadline=dt.date(2026, 8, 31), target_kind="volume", target_value=30)
    settle()
    return project


def test_before_and_after(spring) -> None:
    rep = queries.report(spring, today=dt.date(2026, 6, 30))
    assert rep.linked == 7
    assert (rep.before.period, rep.after.period) == (Period(dt.date(2026, 3, 1), dt.date(2026, 5, 31)),
                                                     Period(dt.date(2026, 6, 1), dt.date(2026, 6, 30)))
    assert (rep.before.volume, rep.after.volume) == (6, 1)
    assert rep.before.per_month == pytest.approx(6 * 30 / 92)
    assert rep.after.per_month == pytest.approx(1.0)
    assert rep.volume_change == pytest.approx(92 / 180 - 1)  # 48.9 % fewer a month
    assert rep.progress == 1 and rep.reached  # the target was 30 % fewer
    assert rep.before.satisfaction == pytest.approx(0.5)  # 满意 + 不满意
    assert rep.after.satisfaction == pytest.approx(0.9)  # 基本满意
    assert rep.satisfaction_change == pytest.approx(40)


def test_month_by_month_and_the_chart(spring) -> None:
    rep = queries.report(spring, today=dt.date(2026, 6, 30))
    assert [(label, int(b.received), int(a.received)) for label, b, a, _ in rep.months] == [
        ("2026-03", 2, 0), ("2026-04", 2, 0), ("2026-05", 2, 0), ("2026-06", 0, 1)]
    data = queries.chart(rep)
    assert data["before"] == [2, 2, 2, None] and data["after"] == [None, None, None, 1]
    assert data["satisfaction"] == [None, 100.0, 0.0, 90.0]


def test_the_month_of_the_start_is_split_between_before_and_after(spring, cast) -> None:
    """Started on 15 May: 10 May's request is 治理前, in May's bar before the start; 20 May's (B) 治理后."""
    spring.start_date = dt.date(2026, 5, 15)
    rep = queries.report(spring, today=dt.date(2026, 6, 30))
    may = next(m for m in rep.months if m[0] == "2026-05")
    assert (int(may[1].received), int(may[2].received), int(may[3].received)) == (1, 1, 2)
    assert rep.before.period.start == dt.date(2026, 2, 15) and rep.before.volume == 5  # 10 Feb's is not linked
    assert rep.after.volume == 2
    data = queries.chart(rep)
    assert data["labels"][-2:] == ["2026-05", "2026-06"]
    assert data["before"][-2:] == [1, None] and data["after"][-2:] == [1, 1]


def test_by_community(spring, cast) -> None:
    rows = {r.area: r for r in queries.report(spring, today=dt.date(2026, 6, 30)).areas}
    assert set(rows) == {"瓜州路社区", "建西东路社区"}
    a, b = rows["瓜州路社区"], rows["建西东路社区"]
    assert (a.before.received, a.after.received, b.before.received, b.after.received) == (4, 1, 2, 0)
    assert a.before.satisfaction_rate == pytest.approx(0.5) and b.before.satisfaction_rate is None
    assert list(rows) == ["瓜州路社区", "建西东路社区"]  # the most requests first


def test_the_figures_agree_with_the_dashboard(spring, cast) -> None:
    """Defined by a category alone, the project's 治理前 is what 考核评价 shows for that category then."""
    before = Period(dt.date(2026, 3, 1), dt.date(2026, 5, 31))
    board = figures({"category": cast.category("WY01").pk}, before)
    rep = queries.report(spring, today=dt.date(2026, 6, 30))
    assert (board.received, board.callbacks) == (rep.before.figures.received, rep.before.figures.callbacks) == (6, 2)
    assert board.satisfaction_rate == rep.before.satisfaction


def test_progress_toward_a_satisfaction_target(spring) -> None:
    spring.target_kind, spring.target_value = "satisfaction", 50
    rep = queries.report(spring, today=dt.date(2026, 6, 30))
    assert rep.progress == pytest.approx(40 / 50) and not rep.reached


def test_before_the_start_there_is_no_after(spring) -> None:
    rep = queries.report(spring, today=dt.date(2026, 5, 31))
    assert rep.after.period is None and rep.after.per_month is None and rep.volume_change is None
    assert rep.progress is None
