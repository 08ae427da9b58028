"""At the end of every deadline sweep pass (tickets.signals.sweep_done), link new matching requests to the
running projects: a request registered now is linked by the next pass."""

from __future__ import annotations

import datetime as dt
import logging

from django.dispatch import receiver

from minqing.tickets.signals import sweep_done

from .actions import project_link_new
from .models import Project, ProjectStatus

log = logging.getLogger("minqing.governance")


@receiver(sweep_done)
def link_projects(sender: object, now: dt.datetime, **kwargs: object) -> int:
    for project in Project.objects.filter(status=ProjectStatus.RUNNING).only("pk"):
        try:
            project_link_new(project=project, now=now)
        except Exception:  # one project's failure must not stop the deadline sweep; the next pass retries it
            log.exception("linking requests to project %s failed", project.pk)
    return 0  # the sweep sums its receivers' results as folded evaluation facts: links are not those
