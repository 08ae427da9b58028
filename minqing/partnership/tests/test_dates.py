"""Date inputs carry ISO values, so a form opened for editing and saved again keeps its dates."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client

from minqing.conftest import build_cast, login
from minqing.partnership import actions


def _resource(cast):
    return actions.resource_create(actor=cast.wuye, unit=cast.unit("东方物业"), kind="services", title="维修",
                                   brand="housing", capacity=5, areas=[cast.community_a],
                                   available_from=dt.date(2026, 12, 2), available_until=dt.date(2027, 3, 31))


def test_date_inputs_are_iso_on_every_edit_form(cast) -> None:
    res = _resource(cast)
    c = Client()
    c.force_login(cast.wuye)
    page = c.get(f"/lists/resources/{res.pk}/edit/").content.decode()
    values = re.findall(r'<input type="date" name="available_(?:from|until)" value="([^"]*)"', page)
    assert values == ["2026-12-02", "2027-03-31"]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_in_the_browser_saving_an_edit_form_keeps_its_dates(live_server, browser) -> None:
    res = _resource(build_cast())
    page = login(browser, live_server, "wuye")
    page.goto(f"{live_server.url}/lists/resources/{res.pk}/edit/")
    assert page.input_value("input[name=available_from]") == "2026-12-02"  # the browser shows it, not an empty box
    page.fill("input[name=title]", "上门维修")
    page.click("form button.btn-primary")
    page.wait_for_load_state()
    res.refresh_from_db()
    assert res.title == "上门维修" and res.available_from == dt.date(2026, 12, 2)
    assert res.available_until == dt.date(2027, 3, 31)
