"""The optional second factor (TOTP) for administrators and district supervisors."""

from __future__ import annotations

import datetime as dt

import time_machine
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

PASSWORD = "Minqing@2026"


def code(device: TOTPDevice, *, offset: int = 0) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits) + offset:06d}"[-6:]


def login(username: str, token: str = "") -> object:
    return Client().post("/login/", {"username": username, "password": PASSWORD, "otp_token": token})


def test_a_supervisor_turns_on_the_authenticator_and_then_needs_it_to_log_in(cast) -> None:
    for user in [cast.duban, cast.shequ]:
        user.set_password(PASSWORD)
        user.save()
    c = Client()
    c.force_login(cast.duban)
    c.post("/account/second-factor/", {"action": "start"})
    device = TOTPDevice.objects.get(user=cast.duban)
    page = c.get("/account/second-factor/").content.decode()
    assert "确认开启" in page and 'id="otp-secret"' in page
    wrong = c.post("/account/second-factor/", {"action": "confirm", "token": code(device, offset=1)}, follow=True)
    assert "验证码不正确" in wrong.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    device.throttle_reset()  # a wrong code makes the next try wait a moment (throttling); skip the wait
    c.post("/account/second-factor/", {"action": "confirm", "token": code(device)})
    device.refresh_from_db()
    assert device.confirmed

    r = login("duban")
    assert r.status_code == 200 and "请输入手机验证器上的 6 位验证码" in r.content.decode()
    r = login("duban", "000000" if code(device) != "000000" else "111111")
    assert r.status_code == 200 and "验证码不正确" in r.content.decode()
    device.refresh_from_db()
    device.throttle_reset()
    with time_machine.travel(dt.datetime.now(tz=dt.UTC) + dt.timedelta(seconds=90)):
        # a code works once: the one used to turn the factor on cannot log in again; the next one can
        assert login("duban", code(device)).status_code == 302
    # people without the second factor log in with their password alone
    assert login("shequ").status_code == 302


def test_only_administrators_and_supervisors_are_offered_it(cast) -> None:
    c = Client()
    c.force_login(cast.shequ)
    assert c.get("/account/second-factor/").status_code == 404
    c.force_login(cast.admin)
    assert c.get("/account/second-factor/").status_code == 200
