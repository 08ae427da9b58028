"""When the database is unreachable (restarting, failing over, refusing connections), answer 503 with
Retry-After instead of a bare 500: clients retry, and with an Idempotency-Key a retried intake still
registers its request exactly once. Nothing was written: the transaction never began or rolled back."""

from __future__ import annotations

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse

MESSAGE = "系统暂时连不上数据库，请稍后再试（什么也没有保存）。"


def unavailable(request: HttpRequest) -> HttpResponse:
    if request.path.startswith(("/api/", "/open311/")):
        response = JsonResponse({"code": "unavailable", "message": MESSAGE, "field": None}, status=503)
    else:
        response = HttpResponse(MESSAGE, status=503, content_type="text/plain; charset=utf-8")
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
            text = "请求里有无效的空字符（NUL），请检查后重试。"
            if request.path.startswith(("/api/", "/open311/")):
                return JsonResponse({"code": "invalid", "message": text, "field": None}, status=400)
            return HttpResponse(text, status=400, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
