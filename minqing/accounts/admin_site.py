"""The admin site only for staff who passed the second factor; it has no password form of its own."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse


class Site(admin.AdminSite):
    site_header = "民情流水线 · 系统管理"
    site_title = "民情流水线"
    index_title = "系统管理"

    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and request.user.is_verified()  # type: ignore[union-attr]

    def login(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        """Everyone logs in at /login/ (password and code together); staff who have no authenticator yet
        are sent to set one up first."""
        user = request.user
        if user.is_authenticated and user.is_active and user.is_staff:
            messages.warning(request, "进入系统管理必须使用二次验证：请先开启手机验证器；已开启的请退出后用验证码重新登录。")
            return redirect("second_factor")
        return redirect_to_login(request.GET.get("next") or reverse("admin:index"), login_url=reverse("login"))
