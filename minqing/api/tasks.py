"""Long imports run in the worker; the page polls their progress."""

from __future__ import annotations

from django_tasks import task


@task()
def run_import(job_id: int) -> str:
    from .exchange import import_job
    from .models import ImportJob

    job = ImportJob.objects.filter(pk=job_id, status="queued").first()
    if job is None:
        return "skipped"
    return import_job(job).status
