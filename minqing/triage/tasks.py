"""Retraining runs in the worker, never in a request; it schedules its own next run (02:00)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django_tasks import task


def next_run(now: dt.datetime | None = None) -> dt.datetime:
    local = timezone.localtime(now or timezone.now())
    run = local.replace(hour=2, minute=0, second=0, microsecond=0)
    return run if run > local else run + dt.timedelta(days=1)


@task()
def retrain_nightly() -> str:
    from .actions import model_train

    try:
        result = str(model_train())
    except ValueError as exc:
        result = str(exc)
    retrain_nightly.using(run_after=next_run()).enqueue()
    return result


def ensure_scheduled() -> bool:
    """Enqueue the nightly retraining unless one is already waiting. Returns whether it enqueued."""
    from django_tasks_db.models import DBTaskResult

    waiting = DBTaskResult.objects.filter(task_path__endswith="retrain_nightly", status="READY").exists()
    if not waiting:
        retrain_nightly.using(run_after=next_run()).enqueue()
    return not waiting
