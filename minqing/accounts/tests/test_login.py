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
