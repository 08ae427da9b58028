"""The JSON interfaces run a shorter middleware chain than the pages (minqing/ops/lean.py): what they keep
still protects them (CSRF for session callers, the NUL check, security headers), and what they drop is
only what HTML needs. The test client routes like the server (minqing/conftest.py)."""

from __future__ import annotations

import json

from django.test import Client

from minqing.ops.lean import ByPath, pick


def test_pages_keep_the_whole_stack_and_json_the_short_one(cast) -> None:
    c = Client()
    page = c.get("/login/")
    assert "Content-Security-Policy" in page.headers and page.headers["X-Frame-Options"] == "DENY"
    for path in ("/open311/v2/services.json", "/healthz"):
        r = c.get(path)
        assert r.status_code == 200 and "Content-Security-Policy" not in r.headers, path
    api = c.get("/api/v1/categories")
    assert "Content-Security-Policy" not in api.headers and api.headers["X-Content-Type-Options"] == "nosniff"
    assert "Content-Security-Policy" in c.get("/api/v1/docs").headers  # HTML under /api/: the whole stack


def test_a_session_caller_of_the_api_still_needs_the_csrf_token(cast) -> None:
    c = Client(enforce_csrf_checks=True)
    c.force_login(cast.duban)
    body = json.dumps({"category_id": cast.category().pk, "area_id": cast.compound_a.pk,
                       "text": "3号楼前面的路灯坏了快一个月了", "anonymous": True})
    refused = c.post("/api/v1/requests", body, content_type="application/json")
    assert refused.status_code in (401, 403), refused.content
    c.get("/login/")  # sets the CSRF cookie, as the pages do
    token = c.cookies["csrftoken"].value
    r = c.post("/api/v1/requests", body, content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert r.status_code == 201, r.content


def test_nul_characters_are_still_refused_at_the_door(cast) -> None:
    r = Client().get("/open311/v2/requests.json", {"service_code": "WY\x0001"})
    assert r.status_code == 400 and r.json()[0]["code"] == 400


def test_the_wsgi_application_chooses_the_chain_by_path(settings) -> None:
    app = ByPath()

    def chain(path: str) -> list[str]:
        handler = pick(path, app.lean, app.full)
        return getattr(handler, "paths", settings.MIDDLEWARE)

    assert chain("/login/") == chain("/api/v1/docs") == settings.MIDDLEWARE
    assert "django.middleware.csrf.CsrfViewMiddleware" not in chain("/open311/v2/requests.json")
    api = chain("/api/v1/requests")
    assert "django.contrib.sessions.middleware.SessionMiddleware" in api and len(api) < len(settings.MIDDLEWARE)
    assert chain("/healthz") != settings.MIDDLEWARE
    assert chain("/apix") == settings.MIDDLEWARE
