from __future__ import annotations

from django.http import HttpRequest

from .models import Notification


def unread(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_count": Notification.objects.filter(recipient=user, read_at=None).count()}
