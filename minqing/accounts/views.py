"""Login with an optional second factor (TOTP) and its setup page for administrators and supervisors."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django_otp import login as otp_login

from . import actions
from .forms import LoginForm
from .models import User
from .scope import scope_for


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    form_class = LoginForm

    def form_valid(self, form: LoginForm) -> HttpResponse:
        response = super().form_valid(form)
        if form.device is not None:
            otp_login(self.request, form.device)
        elif self.request.user.is_staff:
            messages.warning(self.request, "系统管理员必须开启二次验证：请用手机验证器扫描下面的二维码或输入密钥，"
                                           "输入验证码确认后才能进入系统管理。")
            return redirect("second_factor")
        return response


def may_use_second_factor(request: HttpRequest) -> bool:
    scope = scope_for(request.user)
    return scope.admin or scope.district or request.user.is_staff


@login_required
def second_factor(request: HttpRequest) -> HttpResponse:
    """Turn the authenticator (TOTP) on or off. Offered to administrators and district supervisors."""
    if not may_use_second_factor(request):
        raise Http404
    if request.method == "POST":
        action, token = request.POST.get("action"), request.POST.get("token", "").strip()
        if action == "start":
            actions.second_factor_start(user=request.user)
        elif action == "confirm":
            device = actions.second_factor_confirm(user=request.user, token=token)
            if device is not None:
                otp_login(request, device)
                messages.success(request, "二次验证已开启：以后登录时除了密码，还要输入验证器上的验证码。")
            else:
                messages.error(request, "验证码不正确，请看验证器上当前的 6 位数字再输一次。")
        elif action == "remove":
            if actions.second_factor_remove(user=request.user, token=token):
                messages.success(request, "二次验证已关闭。")
            else:
                messages.error(request, "验证码不正确，关闭二次验证需要当前的验证码。")
        return redirect("second_factor")
    confirmed, pending = actions.second_factor_devices(request.user)
    return render(request, "accounts/second_factor.html", {
        "confirmed": confirmed, "pending": pending,
        "secret": actions.secret_text(pending) if pending else "", "uri": pending.config_url if pending else "",
    })


class PasswordChangeView(auth_views.PasswordChangeView):
    """Everyone changes their own password here; accounts created by an administrator must, first."""

    template_name = "accounts/password.html"

    def get_success_url(self) -> str:
        nxt = self.request.GET.get("next", "")
        return nxt if nxt.startswith("/") and not nxt.startswith("//") else reverse("workbench")

    def form_valid(self, form: PasswordChangeForm) -> HttpResponse:
        response = super().form_valid(form)
        User.objects.filter(pk=self.request.user.pk).update(must_change_password=False)
        messages.success(self.request, "密码已修改，下次登录请使用新密码。")
        return response
