"""Staff change their own password; accounts an administrator set up must do so before anything else."""

from __future__ import annotations

import pytest
from django.test import Client

from minqing.conftest import build_cast

NEW = "Lanzhou#2027!"


def test_a_worker_changes_their_password(cast) -> None:
    cast.shequ.set_password("Minqing@2026")
    cast.shequ.save()
    c = Client()
    c.force_login(cast.shequ)
    wrong = c.post("/account/password/", {"old_password": "nope", "new_password1": NEW, "new_password2": NEW})
    assert wrong.status_code == 200 and "旧密码" in wrong.content.decode()
    short = c.post("/account/password/", {"old_password": "Minqing@2026", "new_password1": "123", "new_password2": "123"})
    assert "密码太短" in short.content.decode() or "至少" in short.content.decode()
    ok = c.post("/account/password/", {"old_password": "Minqing@2026", "new_password1": NEW, "new_password2": NEW},
                follow=True)
    assert "密码已修改" in ok.content.decode()
    cast.shequ.refresh_from_db()
    assert cast.shequ.check_password(NEW)


def test_an_account_set_up_by_an_administrator_changes_its_password_first(cast) -> None:
    user = cast.shequ
    user.set_password("Minqing@2026")
    user.must_change_password = True
    user.save()
    c = Client()
    assert c.post("/login/", {"username": user.username, "password": "Minqing@2026"}).status_code == 302
    r = c.get("/tickets/")
    assert r.status_code == 302 and r["Location"].startswith("/account/password/")
    c.post("/account/password/", {"old_password": "Minqing@2026", "new_password1": NEW, "new_password2": NEW})
    user.refresh_from_db()
    assert not user.must_change_password and c.get("/tickets/").status_code == 200


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_in_the_browser_a_new_account_is_asked_for_its_own_password(live_server, browser) -> None:
    cast = build_cast()
    cast.shequ.set_password("Minqing@2026")
    cast.shequ.must_change_password = True
    cast.shequ.save()
    page = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "shequ")
    page.fill("#id_password", "Minqing@2026")
    page.click("button[type=submit]")
    page.wait_for_url("**/account/password/**")
    assert "请先设置只有您自己知道的新密码" in page.content()
    page.fill("#id_old_password", "Minqing@2026")
    page.fill("#id_new_password1", NEW)
    page.fill("#id_new_password2", NEW)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    assert "密码已修改" in page.content()
    page.click("text=修改密码")  # and it stays reachable from the menu
    page.wait_for_url("**/account/password/")


def test_a_password_an_administrator_sets_must_be_changed_by_its_owner(cast) -> None:
    from minqing.accounts.admin import PasswordSetByAdmin

    form = PasswordSetByAdmin(cast.shequ, {"password1": NEW, "password2": NEW})
    assert form.is_valid(), form.errors
    form.save()
    cast.shequ.refresh_from_db()
    assert cast.shequ.must_change_password and cast.shequ.check_password(NEW)
