"""Error pages speak Chinese, keep the site's layout and a way back; programs get JSON."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

from minqing.conftest import login


def test_a_missing_page_is_chinese_with_a_way_back(cast) -> None:
    c = Client()
    c.force_login(cast.shequ)
    r = c.get("/tickets/QLH-0000-000000/")
    page = r.content.decode()
    assert r.status_code == 404 and "页面不存在" in page and "回到工作台" in page and 'class="sidemenu"' in page
    assert "Not Found" not in page
    anon = Client().get("/no/such/page/").content.decode()
    assert "页面不存在" in anon and "群众反映首页" in anon


def test_programs_get_json_errors() -> None:
    r = Client().get("/api/v1/no-such-thing")
    assert r.status_code == 404 and r["Content-Type"].startswith("application/json") and r.json()["code"] == "not_found"
    r = Client().get("/open311/v2/no-such-thing.json")
    assert r.status_code == 404 and r.json()[0]["code"] == 404 and r.json()[0]["description"]


@override_settings(ROOT_URLCONF="minqing.ops.tests.boom_urls")
def test_a_server_error_is_a_chinese_page_or_json(db) -> None:
    c = Client(raise_request_exception=False)
    r = c.get("/boom/")
    assert r.status_code == 500 and "系统出错了" in r.content.decode() and "没有保存任何内容" in r.content.decode()
    r = c.get("/api/v1/boom")
    assert r.status_code == 500 and r.json()["code"] == "server_error"
    r = c.get("/open311/v2/boom.json")
    assert r.status_code == 500 and r.json()[0]["code"] == 500


def test_a_bad_form_token_is_a_chinese_page(cast) -> None:
    c = Client(enforce_csrf_checks=True)
    c.force_login(cast.shequ)
    r = c.post("/tickets/new/", {})
    assert r.status_code == 403 and "页面已过期" in r.content.decode() and "请刷新页面" in r.content.decode()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_in_the_browser_a_wrong_address_shows_the_chinese_page(live_server, browser) -> None:
    from minqing.conftest import build_cast

    build_cast()
    page = login(browser, live_server, "shequ")
    page.goto(f"{live_server.url}/tickets/QLH-0000-000000/")
    assert "页面不存在" in page.content()
    page.click("text=回到工作台")
    page.wait_for_url(f"{live_server.url}/")
