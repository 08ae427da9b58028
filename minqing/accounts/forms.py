from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import user_login_failed
from django_otp.plugins.otp_totp.models import TOTPDevice

# One answer whichever part was wrong (user name, password, code, or too many codes tried): an
# attacker must not learn that the password was right before the second factor is asked for.
WRONG = "用户名、密码或验证码不正确，请重新输入（注意大小写；开启了二次验证的账号要填写验证器上当前的 6 位验证码）。"


class LoginForm(AuthenticationForm):
    """Password and — for accounts with the second factor on — the authenticator's code, checked together."""

    otp_token = forms.CharField(label="验证码", required=False, max_length=8,
                                widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}))
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": WRONG,
        "inactive": WRONG,
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
        allowed, _ = device.verify_is_allowed()
        if not (token and allowed and device.verify_token(token)):
            # counted like a wrong password (django-axes listens to this signal), and the user is not logged in
            user_login_failed.send(sender=__name__, credentials={"username": cleaned.get("username")},
                                   request=self.request)
            self.user_cache = None
            raise self.get_invalid_login_error()
        self.device = device
        return cleaned

