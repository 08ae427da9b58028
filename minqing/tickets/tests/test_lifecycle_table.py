"""The lifecycle table itself: every step consistent with the clocks that run in its statuses, every
fact it counts a real evaluation fact, and the README showing the table as the code has it."""

from __future__ import annotations

import re
from pathlib import Path

from minqing.evaluation.models import FactKind
from minqing.tickets import deadlines
from minqing.tickets.lifecycle import CLOCK_RUNS, PART_CLOCKS, STEPS, TRANSITIONS, Clock, Op, Status
from minqing.tickets.management.commands.lifecycle import table

ENDS = {Op.STOP, Op.DROP, Op.MET, Op.PAUSE, Op.HAND_OVER, Op.HOLD}
BEGINS = {Op.START, Op.RESUME, Op.CARRY, Op.UNHOLD}


def test_a_step_stops_every_clock_its_target_does_not_run_and_starts_every_one_it_does() -> None:
    for step in TRANSITIONS.values():
        for clock, statuses in CLOCK_RUNS.items():
            if clock not in deadlines.COLUMN_CLOCKS or clock == Clock.CONTACT:
                continue  # 先行联系 runs once, from signing until the contact: not for the whole status
            op = step.clocks.get(clock)
            ran = any(s in statuses for s in step.sources)
            runs = step.target in statuses
            if ran and not runs:
                assert op in ENDS, (step.name, clock, "keeps running into", step.target)
            if runs and not all(s in statuses for s in step.sources):
                assert op in BEGINS, (step.name, clock, "never started for", step.target)
            if op in BEGINS:
                assert runs, (step.name, clock, "started in a status where it does not run")


def test_notes_change_no_status_and_only_touch_running_clocks() -> None:
    for step in STEPS.values():
        if step.target is None:
            assert step.sources, step.name
            # A note may stop a clock (先行联系, a part's step), mark one late, extend one, give it the limits of a
            # corrected category, or start parts' clocks.
            assert all(op in {Op.LATE, Op.EXTEND, Op.STOP, Op.RELIMIT} or clock in PART_CLOCKS
                       for clock, op in step.clocks.items()), step.name


def test_every_counted_fact_is_an_evaluation_fact_and_every_status_is_reachable() -> None:
    kinds = set(FactKind.values)
    for step in STEPS.values():
        for count in step.counts:
            assert count.kind in kinds and count.unit in {"before", "after", "part"}, (step.name, count)
    reached = {s.target for s in STEPS.values() if s.target}
    assert reached == set(Status.values)


def test_the_readme_shows_the_table_the_code_has() -> None:
    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text(encoding="utf-8")
    shown = re.search(r"<!-- lifecycle:start -->\n(.*?)\n<!-- lifecycle:end -->", readme, re.S)
    assert shown is not None, "README has no lifecycle table"
    assert shown.group(1).strip() == table().strip(), "README is out of date: run `manage.py lifecycle --readme`"
