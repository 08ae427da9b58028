"""Logins: argon2 hashes, and a lockout after repeated wrong passwords."""

from __future__ import annotations

from django.test import Client

from minqing.accounts.models import User


def test_passwords_are_hashed_with_argon2() -> None:
    # The suite itself hashes with MD5 for speed (conftest); the project's setting is argon2.
    from django.contrib.auth.hashers import Argon2PasswordHasher

    from minqing import settings as project

    assert project.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    assert Argon2PasswordHasher().encode("x", Argon2PasswordHasher().salt()).startswith("argon2$")


def test_five_wrong_passwords_lock_the_account_for_this_address(cast, settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    user = User.objects.get(username="shequ")
    user.set_password("Correct@2026")
    user.save()
    c = Client()
    for _ in range(4):
        page = c.post("/login/", {"username": "shequ", "password": "wrong"})
        assert "用户名、密码或验证码不正确" in page.content.decode()
    locked = c.post("/login/", {"username": "shequ", "password": "wrong"})
    assert locked.status_code == 429 and "已暂时锁定" in locked.content.decode()
    still = c.post("/login/", {"username": "shequ", "password": "Correct@2026"})
    assert still.status_code == 429  # even the right password waits out the lock
    other = Client(REMOTE_ADDR="10.0.0.9")
    ok = other.post("/login/", {"username": "shequ", "password": "Correct@2026"})
    assert ok.status_code == 302  # another address is not locked out


def test_behind_a_proxy_an_attacker_cannot_lock_the_owner_out(cast, settings) -> None:
    settings.TRUSTED_PROXIES = ["10.0.0.2"]
    user = User.objects.get(username="shequ")
    user.set_password("Correct@2026")
    user.save()

    def via_proxy(client_address: str, password: str) -> int:
        return Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=client_address).post(
            "/login/", {"username": "shequ", "password": password}).status_code

    assert [via_proxy("203.0.113.5", "wrong") for _ in range(5)][-1] == 429  # the attacker is locked...
    assert via_proxy("198.51.100.7", "Correct@2026") == 302  # ...the owner, elsewhere, is not


def test_an_administrator_unlocks_an_account(cast) -> None:
    from axes.models import AccessAttempt

    user = User.objects.get(username="shequ")
    user.set_password("Correct@2026")
    user.save()
    for _ in range(5):
        Client().post("/login/", {"username": "shequ", "password": "wrong"})
    assert Client().post("/login/", {"username": "shequ", "password": "Correct@2026"}).status_code == 429
    assert AccessAttempt.objects.filter(username="shequ").exists()  # listed in 系统管理 → 登录保护 → 登录失败记录
    from django.core.management import call_command

    call_command("axes_reset_username", "shequ")
    assert Client().post("/login/", {"username": "shequ", "password": "Correct@2026"}).status_code == 302
