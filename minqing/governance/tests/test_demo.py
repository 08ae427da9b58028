"""The demo district's 主动治理: a knowledge base of a few dozen entries and one running project set up from
the biggest hotspot, whose before/after chart has data on both sides."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import time_machine

from minqing.evaluation.facts import rebuild
from minqing.governance import demo, queries
from minqing.governance.models import KnowledgeEntry, Project, ProjectStatus, Source
from minqing.tickets import demo as ticket_demo

NOW = dt.datetime(2026, 11, 30, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def test_the_demo_has_a_running_project_and_a_knowledge_base(cast) -> None:
    with time_machine.travel(NOW, tick=False):
        ticket_demo.generate_tickets(count=400, seed=7, now=NOW)
        rebuild()
        demo.build(now=NOW, seed=7)
        project = Project.objects.get()
        rep = queries.report(project)
    assert KnowledgeEntry.objects.count() >= 30
    assert KnowledgeEntry.objects.exclude(category=None).count() >= 30
    assert project.status == ProjectStatus.RUNNING and project.source == Source.HOTSPOT
    assert rep.before.volume > 0 and rep.after.volume > 0
    assert sum(int(whole.received) for _, _, _, whole in rep.months) == rep.before.volume + rep.after.volume
    assert project.milestones.count() == 3 and project.milestones.exclude(done_at=None).count() == 1
