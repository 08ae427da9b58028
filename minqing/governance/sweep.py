"""At the end of every deadline sweep pass (tickets.signals.sweep_done), link new matching requests to the
running projects: a request registered now is linked by the next pass."""

from __future__ import annotations

import datetime as dt

from django.dispatch import receiver

from minqing.tickets.signals import sweep_done

from .actions import projects_link_all


@receiver(sweep_done)
def link_projects(sender: object, now: dt.datetime, **kwargs: object) -> int:
    projects_link_all(now=now)
    return 0  # the sweep sums its receivers' results as folded evaluation facts: links are not those
