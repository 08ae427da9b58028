"""The middleware each path needs, not all of it for every path.

The pages need the whole stack (settings.MIDDLEWARE: sessions, CSRF, messages, login lockout, CSP, frame
options, …). The JSON interfaces do not: Open311 is public and authenticated by its `api_key`; /api/ by
a bearer token or the session (django-ninja checks CSRF itself for session callers); neither answers HTML
that a CSP or X-Frame-Options header would protect. Fifteen middleware calls per request were a quarter of
a small JSON answer's time.

So the WSGI application (minqing.wsgi) is `ByPath`: one Django handler per group of paths in
settings.MINQING_MIDDLEWARE_BY_PATH, each with its own middleware chain built exactly as Django builds
the one of settings.MIDDLEWARE (which stays the whole stack: Django's and django-axes' system checks read
it), and the whole-stack handler for every other path. The test client is given the same routing
(`client_handler()`, installed by minqing/conftest.py), so the tests exercise what production runs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, MiddlewareNotUsed
from django.core.handlers.base import BaseHandler
from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler, get_path_info
from django.utils.module_loading import import_string


def load(handler: BaseHandler, paths: list[str]) -> None:
    """BaseHandler.load_middleware for a given list (synchronous: every middleware here is)."""
    handler._view_middleware = []
    handler._template_response_middleware = []
    handler._exception_middleware = []
    chain: Callable[..., Any] = convert_exception_to_response(handler._get_response)
    for path in reversed(paths):
        try:
            instance = import_string(path)(chain)
        except MiddlewareNotUsed:
            continue
        if instance is None:
            raise ImproperlyConfigured(f"Middleware factory {path} returned None.")
        if hasattr(instance, "process_view"):
            handler._view_middleware.insert(0, instance.process_view)
        if hasattr(instance, "process_template_response"):
            handler._template_response_middleware.append(instance.process_template_response)
        if hasattr(instance, "process_exception"):
            handler._exception_middleware.append(instance.process_exception)
        chain = convert_exception_to_response(instance)
    handler._middleware_chain = chain


def groups() -> list[tuple[tuple[str, ...], tuple[str, ...], list[str]]]:
    """(path prefixes, prefixes excepted from them, middleware) for each lean group."""
    return settings.MINQING_MIDDLEWARE_BY_PATH


def pick(path: str, lean: list[tuple[tuple[str, ...], tuple[str, ...], Any]], full: Any) -> Any:
    for prefixes, unless, handler in lean:
        if path.startswith(prefixes) and not (unless and path.startswith(unless)):
            return handler
    return full


class _LeanWSGIHandler(WSGIHandler):
    def __init__(self, paths: list[str]) -> None:
        self.paths = paths
        super().__init__()

    def load_middleware(self, is_async: bool = False) -> None:
        load(self, self.paths)


class ByPath:
    """The WSGI application: the request's path chooses the handler (and so the middleware chain)."""

    def __init__(self) -> None:
        self.full = WSGIHandler()
        self.lean = [(prefixes, unless, _LeanWSGIHandler(paths)) for prefixes, unless, paths in groups()]

    def __call__(self, environ: dict, start_response: Callable[..., Any]) -> Any:
        return pick(get_path_info(environ), self.lean, self.full)(environ, start_response)


def client_handler() -> type:
    """django.test.Client's handler, routed like `ByPath` (minqing/conftest.py installs it for the tests;
    django.test is imported here only then, never by the server)."""
    from django.test.client import ClientHandler

    class _LeanClientHandler(ClientHandler):
        def __init__(self, paths: list[str], *args: Any, **kwargs: Any) -> None:
            self.paths = paths
            super().__init__(*args, **kwargs)

        def load_middleware(self, is_async: bool = False) -> None:
            load(self, self.paths)

    class ByPathClientHandler:
        def __init__(self, enforce_csrf_checks: bool = True, *args: Any, **kwargs: Any) -> None:
            self.enforce_csrf_checks = enforce_csrf_checks
            self.full = ClientHandler(enforce_csrf_checks, *args, **kwargs)
            self.lean = [(prefixes, unless, _LeanClientHandler(paths, enforce_csrf_checks, *args, **kwargs))
                         for prefixes, unless, paths in groups()]

        def __call__(self, environ: dict) -> Any:
            return pick(get_path_info(environ), self.lean, self.full)(environ)

    return ByPathClientHandler
