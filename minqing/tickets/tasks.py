"""Work the background worker (`manage.py db_worker`) does for requests: re-encode large photos."""

from __future__ import annotations

from django_tasks import task


@task()
def process_photos(attachment_ids: list[int]) -> str:
    from .actions.photos import photos_process

    return str(photos_process(ids=attachment_ids))
