"""Error pages: in Chinese, in the site's layout, with a way back; JSON (or the GeoReport error list)
under /api/ and /open311/, never an HTML page a program cannot read."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.template import loader

from .middleware import interface_error

TEXT: dict[int | str, tuple[str, str, str]] = {
    400: ("请求有误", "bad_request", "提交的内容或网址参数不对，请返回上一页检查后再试。"),
    403: ("没有权限", "forbidden", "您没有权限打开这个页面。如果需要，请联系上级或系统管理员开通。"),
    404: ("页面不存在", "not_found", "没有找到这个页面或事项：它可能已被合并、不在您的范围内，或者网址有误。"),
    "csrf": ("页面已过期", "csrf", "这个页面打开太久或在别处退出过登录，表单没有提交。请刷新页面，再提交一次。"),
    500: ("系统出错了", "server_error", "系统处理时出了错，您的操作没有完成，也没有保存任何内容。请稍后再试；"
                                       "问题持续时请把出错的时间告诉系统管理员。"),
}


def _page(request: HttpRequest, status: int, kind: int | str | None = None) -> HttpResponse:
    title, code, message = TEXT[kind or status]
    if request.path.startswith(("/api/", "/open311/")):
        return interface_error(request, status, code, message)
    template = "500.html" if status == 500 else "error.html"
    context = {"status": status, "title": title, "message": message}
    # the 500 page renders without the request: whatever failed may be in the context processors too
    body = loader.render_to_string(template, context, request=None if status == 500 else request)
    return HttpResponse(body, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(request, 400)


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(request, 403)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(request, 404)


def server_error(request: HttpRequest) -> HttpResponse:
    return _page(request, 500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return _page(request, 403, "csrf")
