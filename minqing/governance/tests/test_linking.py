"""A project links the past requests its definition matches when it is opened, and a new matching request
by the next sweep pass (through the sweep's hook, not an import in tickets)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from minqing.conftest import settle
from minqing.governance import actions, queries
from minqing.governance.models import ProjectLog, ProjectStatus, ProjectTicket
from minqing.lib.errors import ActionError, Forbidden
from minqing.tickets import actions as ticket_actions
from minqing.tickets import sweep

from .conftest import at


def linked(project) -> set[str]:
    return set(ProjectTicket.objects.filter(project=project).values_list("ticket__number", flat=True))


def _project(cast, **kwargs):
    fields = {"actor": cast.jiedao, "title": "瓜州路社区路灯专项治理", "lead_unit": cast.unit("瓜州路社区居委会"),
              "start_date": dt.date(2026, 6, 1), "deadline": dt.date(2026, 9, 30), "area": cast.community_a,
              "keywords": "路灯 不亮", "co_units": [cast.unit("区住建局")]}
    fields.update(kwargs)
    return actions.project_create(**fields)


def test_past_matching_requests_are_linked_when_the_project_opens(cast) -> None:
    with time_machine.travel(at(2, 10), tick=False):
        too_old = cast.new_ticket()  # before the 3 months of 治理前
    with time_machine.travel(at(4, 10), tick=False):
        lamp = cast.new_ticket()
        other_words = cast.new_ticket(text="楼下垃圾三天没人拉了，味道很大。")
        elsewhere = cast.new_ticket(community="b")
        rejected = cast.new_ticket(text="路灯又坏了")
        ticket_actions.ticket_reject(ticket=rejected, actor=cast.shequ, reason="repeat", note="与已办结事项相同。")
    with time_machine.travel(at(6, 2), tick=False):
        project = _project(cast)
    assert linked(project) == {lamp.number}
    assert {too_old.number, other_words.number, elsewhere.number, rejected.number}.isdisjoint(linked(project))
    log = ProjectLog.objects.get(project=project)
    assert (log.actor, log.action) == (cast.jiedao, "create") and "关联事项 1 件" in log.note


def test_a_new_matching_request_is_linked_by_the_next_sweep(cast) -> None:
    with time_machine.travel(at(6, 2), tick=False):
        project = _project(cast)
        assert linked(project) == set()
        new = cast.new_ticket(text="3号楼的路灯晚上一直不亮。")
        unrelated = cast.new_ticket(text="电动车充电桩坏了。", code="WY02")
        assert linked(project) == set()  # not yet: the sweep links it
        settle()
        sweep.sweep_once()
    assert linked(project) == {new.number}
    assert unrelated.number not in linked(project)
    with time_machine.travel(at(6, 3), tick=False):
        sweep.sweep_once()  # a second pass adds nothing twice
    assert ProjectTicket.objects.filter(project=project).count() == 1


def test_a_request_younger_than_the_settling_time_is_looked_at_again(cast) -> None:
    """The sweep keeps re-reading young requests: one whose category changes to match is linked later."""
    with time_machine.travel(at(6, 2, 9), tick=False):
        project = _project(cast, actor=cast.duban, area=None, keywords="", category=cast.category("WY02"))
        t = cast.new_ticket(text="电动车棚的灯不亮了", code="WY01")
        sweep.sweep_once()
        assert t.number not in linked(project)
        ticket_actions.ticket_correct(ticket=t, actor=cast.shequ, category=cast.category("WY02"), type=t.type,
                                      urgency=t.urgency, note="分类选错了，是车棚。")
    with time_machine.travel(at(6, 2, 9) + dt.timedelta(minutes=5), tick=False):
        sweep.sweep_once()
    assert t.number in linked(project)


def test_a_finished_project_links_nothing_more(cast) -> None:
    with time_machine.travel(at(6, 2), tick=False):
        project = _project(cast)
        actions.project_close(project=project, actor=cast.jiedao, status=ProjectStatus.DONE, result="路灯全部修复。")
        cast.new_ticket()
        sweep.sweep_once()
    assert linked(project) == set()


def test_the_first_level_category_takes_in_its_children(cast) -> None:
    with time_machine.travel(at(5, 2), tick=False):
        a = cast.new_ticket(code="WY01")
        b = cast.new_ticket(code="WY04", text="物业不作为")
        c = cast.new_ticket(code="HJ01", text="垃圾没人拉")
    with time_machine.travel(at(6, 2), tick=False):
        project = _project(cast, actor=cast.duban, area=None, keywords="", category=cast.category("WY01").parent)
    assert linked(project) == {a.number, b.number}
    assert c.number not in linked(project)


def test_who_may_open_a_project_and_what_it_needs(cast) -> None:
    with time_machine.travel(at(6, 2), tick=False):
        with pytest.raises(Forbidden):
            _project(cast, actor=cast.shequ)  # community staff: no
        with pytest.raises(Forbidden):
            _project(cast, actor=cast.jiedao_b)  # another street's officer: not in her street
        with pytest.raises(ActionError, match="至少设定"):
            _project(cast, keywords="", area=None)
        with pytest.raises(ActionError, match="晚于"):
            _project(cast, deadline=dt.date(2026, 5, 1))
        assert not ProjectTicket.objects.exists()
        assert _project(cast, actor=cast.duban).pk


def test_the_lead_unit_updates_milestones_others_may_not(cast) -> None:
    with time_machine.travel(at(6, 2), tick=False):
        project = _project(cast, lead_unit=cast.unit("区城市管理行政执法局"))
        m = actions.milestone_add(project=project, actor=cast.bumen, title="排查全部路灯", due_date=dt.date(2026, 6, 30))
        with pytest.raises(Forbidden):
            actions.milestone_add(project=project, actor=cast.zhujian, title="x", due_date=dt.date(2026, 6, 30))
        done = actions.milestone_done(milestone=m, actor=cast.bumen, note="排查出 12 盏")
    assert done.done_by == cast.bumen and done.done_at is not None
    assert list(ProjectLog.objects.filter(project=project).values_list("action", flat=True)) == [
        "milestone_done", "milestone_add", "create"]


def test_window_start_counts_whole_months_back() -> None:
    class P:
        start_date = dt.date(2026, 5, 31)
        baseline_months = 3
    assert queries.window_start(P()) == dt.date(2026, 2, 28)  # type: ignore[arg-type]
    P.start_date = dt.date(2026, 1, 15)
    assert queries.window_start(P()) == dt.date(2025, 10, 15)  # type: ignore[arg-type]


def test_one_failing_project_does_not_stop_the_sweep_or_the_others(cast, monkeypatch) -> None:
    from minqing.governance import sweep as governance_sweep

    with time_machine.travel(at(6, 2), tick=False):
        broken, fine = _project(cast), _project(cast, title="另一个路灯专项")
        real = governance_sweep.project_link_new

        def link(*, project, now):
            if project.pk == broken.pk:
                raise RuntimeError("boom")
            return real(project=project, now=now)

        monkeypatch.setattr(governance_sweep, "project_link_new", link)
        t = cast.new_ticket()
        sweep.sweep_once()  # returns: the failure is logged, not raised into the deadline sweep
    assert linked(fine) == {t.number} and linked(broken) == set()
