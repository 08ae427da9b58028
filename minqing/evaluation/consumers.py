"""The facts consumer: every event whose step has clocks or counts (lifecycle.STEPS) adds its facts after
the step has committed; every sweep pass folds new facts into the rollups."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from minqing.tickets import consumers
from minqing.tickets.models import TicketEvent
from minqing.tickets.signals import sweep_done

from .facts import fold, record_events


@consumers.register("facts", "考核事实", wants=consumers.step_has("clocks", "counts"))
def add_facts(events: list[TicketEvent]) -> None:
    record_events(events)


@receiver(sweep_done)
def fold_facts(sender: type, now: object, **kwargs: Any) -> int:
    return fold()
