"""The small things a new worker trips over (issue 好用, minors)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.test import Client

from minqing.evaluation.models import StarScheme


def test_phone_fields_bring_up_the_phone_keypad(cast) -> None:
    c = Client()
    c.force_login(cast.shequ)
    page = c.get("/tickets/new/").content.decode()
    assert 'type="tel"' in page and 'inputmode="tel"' in page and 'name="reporter_phone"' in page


def test_every_page_has_a_favicon(cast) -> None:
    assert 'rel="icon"' in Client().get("/r/").content.decode()
    c = Client()
    c.force_login(cast.shequ)
    assert 'rel="icon"' in c.get("/").content.decode()
    assert Client().get("/static/favicon.svg").status_code == 200


def test_the_rating_comment_comes_before_the_buttons_that_send_it(cast) -> None:
    from minqing.tickets import actions

    t = actions.ticket_resolve_on_spot(ticket=cast.new_ticket(), actor=cast.shequ, result="已修好")
    c = Client()
    session = c.session
    session["followed_tickets"] = [t.pk]
    session.save()
    page = c.get(f"/r/t/{t.number}/").content.decode()
    assert page.index('name="note"') < page.index('name="satisfaction"')


def test_a_notice_period_cannot_end_before_it_starts(db) -> None:
    start = dt.datetime(2026, 12, 10, 9, tzinfo=dt.UTC)
    scheme = StarScheme(year=2026, notice_from=start, notice_until=start - dt.timedelta(days=1))
    with pytest.raises(ValidationError, match="公示结束时间不能早于"):
        scheme.full_clean()


def test_the_admin_names_the_libraries_sections_in_chinese() -> None:
    assert apps.get_app_config("axes").verbose_name == "登录保护"
    assert apps.get_app_config("otp_totp").verbose_name == "二次验证"
    assert apps.get_app_config("django_tasks_database").verbose_name == "后台任务"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_on_a_phone_the_menu_folds_behind_one_button(live_server, browser) -> None:
    from minqing.conftest import ARTIFACTS, build_cast, login

    build_cast()
    ARTIFACTS.mkdir(exist_ok=True)
    phone = login(browser, live_server, "shequ", width=390)
    assert not phone.locator("#main-menu").is_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the screen
    phone.screenshot(path=str(ARTIFACTS / "workbench-390.png"))
    phone.click("text=菜单")
    assert phone.locator("#main-menu").is_visible() and phone.get_by_role("link", name="登记诉求").is_visible()
    desk = login(browser, live_server, "shequ", width=1366)
    assert desk.locator("#main-menu").is_visible() and not desk.locator(".menu-button").is_visible()
    desk.screenshot(path=str(ARTIFACTS / "workbench-1366.png"))


def test_the_report_page_starts_on_this_month(cast) -> None:
    from django.utils import timezone

    c = Client()
    c.force_login(cast.duban)
    page = c.get("/evaluation/report/").content.decode()
    today = timezone.localdate()
    assert '<option value="month" selected>' in page
    assert f'value="{today.replace(day=1).isoformat()}"' in page


def test_a_queue_is_searched_by_number_name_or_phone_and_paged_by_number(cast, monkeypatch) -> None:
    from minqing.tickets import views

    mine = cast.new_ticket(reporter_name="王建国", reporter_phone="13911112222")
    others = [cast.new_ticket(reporter_name="李四", reporter_phone="13800000000") for _ in range(2)]
    c = Client()
    c.force_login(cast.shequ)
    for needle in ["王建国", "13911112222", mine.number[-5:]]:
        page = c.get("/tickets/queue/received/", {"q": needle}).content.decode()
        assert mine.number in page and all(t.number not in page for t in others), needle
        assert "13911112222" not in page.replace('value="13911112222"', "")  # found by it, not shown in the list
    assert "共 0 条" in c.get("/tickets/queue/received/", {"q": "王"}).content.decode()  # no browsing by fragments
    monkeypatch.setattr(views, "PAGE_SIZE", 1)
    page = c.get("/tickets/queue/received/", {"page": 2}).content.decode()
    assert '<b aria-current="page">2</b>' in page and 'name="page" min="1" max="3"' in page and "page=3" in page


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_compound_is_picked_straight_after_the_community(live_server, browser) -> None:
    from minqing.conftest import build_cast, login

    cast = build_cast()
    compound = cast.compound_a
    page = login(browser, live_server, "shequ")
    page.goto(f"{live_server.url}/tickets/new/")
    page.select_option("#id_community", str(cast.community_a.pk))
    page.wait_for_selector(f"#id_compound option[value='{compound.pk}']", state="attached")
    page.select_option("#id_compound", str(compound.pk))  # no grid chosen
    assert page.input_value("#id_grid") == ""
    assert compound.parent.name in page.locator(f"#id_compound option[value='{compound.pk}']").inner_text()


def test_the_median_column_shows_a_value_for_each_group_that_resolved_something(cast) -> None:
    import re

    from minqing.conftest import settle
    from minqing.tickets import actions

    actions.ticket_resolve_on_spot(ticket=cast.new_ticket(), actor=cast.shequ, result="已修好")
    actions.ticket_resolve_on_spot(ticket=cast.new_ticket(community="b"), actor=cast.shequ_b, result="已修好")
    settle()
    c = Client()
    c.force_login(cast.duban)
    page = c.get("/evaluation/metrics/", {"by": "community"}).content.decode()
    rows = re.findall(r"<tr>.*?</tr>", page, re.S)
    named = [r for r in rows if cast.community_a.name in r or cast.community_b.name in r]
    assert len(named) == 2
    for row in named:  # a number, not a dash, in each community that resolved something
        assert "无数据（本期没有办结）" not in row


def test_the_department_ranking_counts_what_departments_received(cast) -> None:
    import re

    from minqing.conftest import settle
    from minqing.tickets import actions

    for _ in range(2):
        t = actions.ticket_accept(ticket=cast.new_ticket(), actor=cast.shequ)
        actions.ticket_dispatch(ticket=t, actor=cast.shequ, unit=cast.unit("区住建局"))
    settle()
    c = Client()
    c.force_login(cast.duban)
    page = c.get("/evaluation/rankings/", {"level": "department", "metric": "received"}).content.decode()
    assert "<th>接收派单</th>" in page
    row = next(r for r in re.findall(r"<tr.*?</tr>", page, re.S) if "区住建局" in r)
    assert "<td>2</td>" in row.replace(" ", "")


def test_bulk_dispatch_offers_only_units_the_worker_may_choose(cast) -> None:
    cast.new_ticket()
    from minqing.tickets import actions

    actions.ticket_accept(ticket=cast.new_ticket(), actor=cast.shequ)
    c = Client()
    c.force_login(cast.shequ)
    page = c.get("/tickets/queue/registered/").content.decode()
    own_street = cast.community_a.parent.name
    other_street = cast.community_b.parent.name
    assert "区住建局" in page and own_street in page.split('name="unit"')[1]
    assert other_street + "办事处" not in page.split('name="unit"')[1].split("</select>")[0]


def test_the_funnel_only_narrows(cast) -> None:
    from django.utils import timezone

    from minqing.conftest import settle
    from minqing.evaluation.figures import funnel, period_of
    from minqing.tickets import actions

    cast.new_ticket()  # still waiting
    actions.ticket_reject(ticket=cast.new_ticket(), actor=cast.shequ, reason="repeat", note="重复反映")
    for _ in range(2):  # solved there and then: resolved without ever being dispatched
        actions.ticket_resolve_on_spot(ticket=cast.new_ticket(), actor=cast.shequ, result="当场修好")
    t = actions.ticket_accept(ticket=cast.new_ticket(), actor=cast.shequ)
    actions.ticket_dispatch(ticket=t, actor=cast.shequ, unit=cast.unit("区住建局"))
    settle()
    stages = funnel({}, period_of("year", timezone.localdate()))
    counts = [n for _, n, _ in stages]
    assert counts == sorted(counts, reverse=True), stages  # counting dispatches gave 1 dispatched, 2 resolved
    assert counts[:4] == [5, 3, 3, 2]  # received; accepted (not the rejected one); dispatched or solved; resolved
