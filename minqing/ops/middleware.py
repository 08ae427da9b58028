"""When the database is unreachable (restarting, failing over, refusing connections), answer 503 with
Retry-After instead of a bare 500: clients retry, and with an Idempotency-Key a retried intake still
registers its request exactly once. Nothing was written: the transaction never began or rolled back."""

from __future__ import annotations

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.html import escape

MESSAGE = "系统暂时连不上数据库，请稍后再试（什么也没有保存）。"


def interface_error(request: HttpRequest, status: int, code: str, message: str) -> HttpResponse:
    """An error in the format of the interface asked: `{code, message, field}` for /api/, the GeoReport
    error list for /open311/ (XML when the address ends in .xml), plain text for the pages."""
    if request.path.startswith("/open311/"):
        if request.path.endswith(".xml"):
            body = (f'<?xml version="1.0" encoding="utf-8"?><errors><error><code>{status}</code>'
                    f"<description>{escape(message)}</description></error></errors>")
            return HttpResponse(body, status=status, content_type="text/xml; charset=utf-8")
        return JsonResponse([{"code": status, "description": message}], status=status, safe=False,
                            json_dumps_params={"ensure_ascii": False})
    if request.path.startswith("/api/"):
        return JsonResponse({"code": code, "message": message, "field": None}, status=status)
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


def unavailable(request: HttpRequest) -> HttpResponse:
    response = interface_error(request, 503, "unavailable", MESSAGE)
    response["Retry-After"] = "5"
    return response


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            return self.get_response(request)
        except (OperationalError, InterfaceError):  # raised by middleware before the view (sessions, auth)
            return unavailable(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, (OperationalError, InterfaceError)):
            return unavailable(request)
        return None


class RefuseNulMiddleware:
    """A NUL character is never valid input here (PostgreSQL cannot even store it): a request whose
    address or query string carries one is answered 400 at the door, before any view reads it. Form
    fields and API bodies have their own checks with a message next to the field."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path or any("\x00" in v for vs in request.GET.lists() for v in [vs[0], *vs[1]]):
            return interface_error(request, 400, "invalid", "请求里有无效的空字符（NUL），请检查后重试。")
        return self.get_response(request)
