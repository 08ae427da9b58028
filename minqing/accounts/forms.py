from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django_otp.plugins.otp_totp.models import TOTPDevice


class LoginForm(AuthenticationForm):
    """Password, then — for accounts that turned on the second factor — the authenticator's code."""

    otp_token = forms.CharField(label="验证码", required=False, max_length=8,
                                widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}))
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "用户名或密码不正确，请重新输入（注意大小写）。",
        "inactive": "该账号已停用。",
    }

    def clean(self) -> dict:
        cleaned = super().clean()
        user = self.get_user()
        self.device = None
        if user is None:
            return cleaned
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is None:
            return cleaned
        token = (cleaned.get("otp_token") or "").strip()
        if not token:
            raise forms.ValidationError("该账号已开启二次验证：请输入手机验证器上的 6 位验证码。", code="token_required")
        allowed, extra = device.verify_is_allowed()
        if not allowed:
            raise forms.ValidationError("验证码输错次数太多，请稍后再试。", code="throttled")
        if not device.verify_token(token):
            raise forms.ValidationError("验证码不正确或已过期，请重新输入。", code="invalid_token")
        self.device = device
        return cleaned
