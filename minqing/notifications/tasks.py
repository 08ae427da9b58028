"""Work the background worker (`manage.py db_worker`) does: deliver one outbound message."""

from __future__ import annotations

from django_tasks import task


@task()
def deliver(message_id: int) -> str:
    from .actions import message_deliver

    return message_deliver(message_id=message_id)
