from __future__ import annotations

from django.http import HttpRequest

from .scope import scope_for


def viewer(request: HttpRequest) -> dict:
    return {"viewer": scope_for(getattr(request, "user", None))}
