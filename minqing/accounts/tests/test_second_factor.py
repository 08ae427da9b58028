"""The optional second factor (TOTP) for administrators and district supervisors."""

from __future__ import annotations

import datetime as dt

import time_machine
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from minqing.accounts.forms import WRONG

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

    # the same answer whichever part was wrong: the page never says the password was right
    no_code = login("duban")
    wrong_code = login("duban", "000000" if code(device) != "000000" else "111111")
    wrong_password = Client().post("/login/", {"username": "duban", "password": "nope", "otp_token": code(device)})
    for r in (no_code, wrong_code, wrong_password):
        assert r.status_code == 200 and WRONG in r.content.decode()
        assert "_auth_user_id" not in r.wsgi_request.session
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


def test_the_admin_site_has_no_password_door_and_wants_the_second_factor(cast) -> None:
    cast.admin.set_password(PASSWORD)
    cast.admin.save()
    anon = Client()
    # /admin/login/ does not take a password: it sends people to /login/ (password and code together)
    r = anon.post("/admin/login/", {"username": "admin", "password": PASSWORD})
    assert r.status_code == 302 and r["Location"].startswith("/login/?next=")
    assert "_auth_user_id" not in anon.session
    # an administrator without an authenticator logs in, is sent to set one up, and the admin stays shut
    c = Client()
    r = c.post("/login/", {"username": "admin", "password": PASSWORD})
    assert r.status_code == 302 and r["Location"] == "/account/second-factor/"
    assert "二次验证" in c.get("/account/second-factor/").content.decode()
    r = c.get("/admin/")
    assert r.status_code == 302
    assert c.get("/admin/accounts/user/").status_code == 302
    # with the authenticator on, the code at login opens the admin
    c.post("/account/second-factor/", {"action": "start"})
    device = TOTPDevice.objects.get(user=cast.admin)
    c.post("/account/second-factor/", {"action": "confirm", "token": code(device)})
    assert c.get("/admin/").status_code == 200  # confirming it verified this session
    device.refresh_from_db()
    device.throttle_reset()
    fresh = Client()
    assert fresh.post("/login/", {"username": "admin", "password": PASSWORD}).status_code == 200  # code missing
    assert fresh.get("/admin/").status_code == 302
    with time_machine.travel(dt.datetime.now(tz=dt.UTC) + dt.timedelta(seconds=90)):
        assert fresh.post("/login/", {"username": "admin", "password": PASSWORD, "otp_token": code(device)}).status_code == 302
        assert fresh.get("/admin/").status_code == 200


def test_wrong_codes_count_towards_the_lockout(cast, settings) -> None:
    cast.duban.set_password(PASSWORD)
    cast.duban.save()
    device = TOTPDevice.objects.create(user=cast.duban, name="x", confirmed=True)
    wrong = "000000" if code(device) != "000000" else "111111"
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        device.throttle_reset()
        assert login("duban", wrong).status_code == 200
    device.throttle_reset()
    assert login("duban", wrong).status_code == 429
    device.throttle_reset()
    assert login("duban", code(device)).status_code == 429  # even the right code waits out the lock
