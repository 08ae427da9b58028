"""The site's addresses plus two that fail, to see the 500 page (tests only)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path

from minqing.urls import handler400, handler403, handler404, handler500
from minqing.urls import urlpatterns as site


def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("boom")


urlpatterns = [path("boom/", boom), path("api/v1/boom", boom), path("open311/v2/boom.json", boom), *site]
__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]
