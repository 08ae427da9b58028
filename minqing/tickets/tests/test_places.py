"""A place picked on the map (or the phone's own position) on the staff and resident forms: the point is
stored, finds the community and grid when none is picked, and is refused in words when it cannot be used."""

from __future__ import annotations

import json

import pytest
import shapely
from django.test import Client
from django.urls import reverse

from minqing.conftest import build_cast, login
from minqing.evaluation.facts import rebuild
from minqing.org import demo, location
from minqing.org.models import Area
from minqing.tickets.models import Ticket
from minqing.tickets.tests.test_resident import resident_form
from minqing.tickets.tests.test_views import client_for, intake_form


@pytest.fixture
def drawn(cast):
    demo.draw()
    location.reset()
    return cast


def inside(name: str) -> tuple[float, float]:
    p = shapely.from_geojson(json.dumps(Area.objects.get(name=name).boundary)).representative_point()
    return round(p.y, 6), round(p.x, 6)


def test_a_point_alone_finds_the_community_and_grid_on_the_staff_form(drawn) -> None:
    lat, lon = inside("瓜州路社区第一网格")
    response = client_for(drawn.shequ).post(reverse("ticket_new"), intake_form(
        drawn, community="", grid="", compound="", latitude=lat, longitude=lon))
    t = Ticket.objects.get()
    assert response.status_code == 302
    assert (t.community, t.grid, float(t.latitude), float(t.longitude)) == (drawn.community_a, drawn.grid_a, lat, lon)


def test_a_point_the_viewer_may_not_register_or_outside_the_district_is_refused(drawn) -> None:
    lat, lon = inside("建西东路社区第一网格")
    c = client_for(drawn.shequ)  # 瓜州路社区's worker
    page = c.post(reverse("ticket_new"), intake_form(drawn, community="", grid="", compound="", latitude=lat,
                                                    longitude=lon)).content.decode()
    assert "所点位置在建西东路社区，不在您的工作范围内" in page
    page = c.post(reverse("ticket_new"), intake_form(drawn, community="", grid="", compound="", latitude=30,
                                                    longitude=100)).content.decode()
    assert "所点位置不在本区任何社区内" in page
    page = c.post(reverse("ticket_new"), intake_form(drawn, community="", grid="", compound="")).content.decode()
    assert "请选择社区，或在地图上点选位置" in page
    page = c.post(reverse("ticket_new"), intake_form(drawn, latitude=lat)).content.decode()
    assert "地图位置不完整" in page
    page = c.post(reverse("ticket_new"), intake_form(drawn, latitude="北纬36", longitude=lon)).content.decode()
    assert "纬度必须是数字" in page
    assert Ticket.objects.count() == 0


def test_a_resident_anywhere_in_the_district_is_placed_by_the_point(drawn) -> None:
    lat, lon = inside("建西东路社区第一网格")
    Client().post(reverse("resident_new"), resident_form(drawn, community="", latitude=lat, longitude=lon))
    t = Ticket.objects.get()
    assert (t.grid.name, t.location_pending) == ("建西东路社区第一网格", False)


def test_where_a_point_lies_and_the_shapes_the_maps_draw(drawn) -> None:
    lat, lon = inside("瓜州路社区第一网格")
    found = Client().get(reverse("area_at"), {"lat": lat, "lon": lon}).json()
    assert found == {"ok": True, "community": drawn.community_a.pk, "grid": drawn.grid_a.pk,
                     "label": "西湖街道 · 瓜州路社区 · 瓜州路社区第一网格"}
    assert "不在本区" in Client().get(reverse("area_at"), {"lat": 30, "lon": 100}).json()["message"]
    bad = Client().get(reverse("area_at"), {"lat": "95", "lon": lon})
    assert bad.status_code == 400 and "纬度" in bad.json()["message"]
    shapes = Client().get(reverse("area_shapes")).json()["features"]
    names = {f["properties"]["name"] for f in shapes}
    assert "瓜州路社区第一网格" in names and "瓜州路社区" not in names  # grids, not the communities above them
    one = Client().get(reverse("area_shapes"), {"grid": drawn.grid_a.pk}).json()["features"]
    assert [f["properties"]["id"] for f in one] == [drawn.grid_a.pk]


def test_the_district_map_carries_the_located_requests_of_the_period(drawn) -> None:
    lat, lon = inside("瓜州路社区第一网格")
    placed = drawn.new_ticket(latitude=lat, longitude=lon)
    drawn.new_ticket()  # no point: counted in the colours, not drawn as a dot
    rebuild()
    chart = client_for(drawn.duban).get(reverse("evaluation_map"), {"level": "grid", "community": drawn.community_a.pk}
                                        ).context["chart"]
    assert [(p["value"], p["url"]) for p in chart["points"]] == [
        ([lon, lat], reverse("ticket_detail", args=[placed.number]))]
    other = client_for(drawn.shequ_b).get(reverse("evaluation_map")).context["chart"]
    assert other["points"] == []  # another community's worker sees no dot of this one


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_pick_on_the_map_or_use_my_location_in_the_browser(live_server, browser) -> None:
    cast = build_cast()
    demo.draw()
    location.reset()
    lat, lon = inside("瓜州路社区第一网格")
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, permissions=["geolocation"],
                                geolocation={"latitude": lat, "longitude": lon}).new_page()
    phone.goto(f"{live_server.url}/r/new/")
    phone.get_by_role("button", name="使用我的位置").click()
    phone.wait_for_selector(f"#id_grid option:checked[value='{cast.grid_a.pk}']", state="attached")
    assert phone.input_value("#id_community") == str(cast.community_a.pk)
    assert "瓜州路社区第一网格" in phone.inner_text("[data-point-text]")
    phone.select_option("#id_category", index=1)
    phone.fill("#id_text", "楼下路灯坏了一个多月，晚上老人出门看不见路。")
    phone.check("#id_anonymous")
    phone.get_by_role("button", name="提交").click()
    phone.wait_for_selector("#ticket-number")
    t = Ticket.objects.get()
    assert (t.grid_id, float(t.latitude), float(t.longitude)) == (cast.grid_a.pk, lat, lon)

    staff = login(browser, live_server, "duban")
    staff.goto(f"{live_server.url}/tickets/new/")
    picker = staff.locator(".map-picker[data-drawn='1']")
    picker.wait_for()
    picker.click()  # its middle, scrolled into view
    staff.wait_for_selector("[data-clear]:not([hidden])")
    staff.wait_for_selector("#id_community option:checked:not([value=''])", state="attached")
    picked = (float(staff.input_value("#id_latitude")), float(staff.input_value("#id_longitude")))
    expected = location.point_area(picked[1], picked[0])
    assert expected is not None and staff.input_value("#id_community") == str(expected.ancestors()["community"].pk)
    staff.goto(f"{live_server.url}/tickets/{t.number}/")
    staff.locator(".mini-map[data-drawn='1']").wait_for()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_community_chosen_before_the_scripts_arrive_still_brings_its_grids(live_server, browser) -> None:
    """A slow phone: the form is on screen while HTMX is still downloading, and the resident picks a community."""
    cast = build_cast()
    held = []
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True).new_page()
    phone.route("**/htmx-*.js", lambda route: held.append(route))
    phone.goto(f"{live_server.url}/r/new/", wait_until="commit")
    phone.wait_for_selector("#id_community")
    phone.select_option("#id_community", value=str(cast.community_a.pk))
    assert held, "HTMX was requested"
    held[0].continue_()
    phone.wait_for_selector(f"#id_grid option[value='{cast.grid_a.pk}']", state="attached")
    phone.select_option("#id_grid", value=str(cast.grid_a.pk))
    assert phone.input_value("#id_community") == str(cast.community_a.pk)
