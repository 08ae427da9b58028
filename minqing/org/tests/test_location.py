"""Where a request happened: points and addresses resolve to grids; what resolves to nothing is 位置待核实 at the
district centre, never refused; Open311 takes and returns lat/long and filters by them."""

from __future__ import annotations

import json
import time

import pytest
import requests
import shapely
from django.test import Client
from georeport import GeoReport

from minqing.accounts.scope import scope_for
from minqing.api.models import ApiToken
from minqing.org import demo, location
from minqing.org.models import AddressRange, Area, AreaKind, Parity
from minqing.tickets import actions
from minqing.tickets.lifecycle import may
from minqing.tickets.models import Channel, Ticket

ISSUE_ADDRESS = "七里河区西站街道建西东路1号"


@pytest.fixture
def drawn(cast):
    demo.draw()
    location.reset()
    return cast


@pytest.fixture
def key(drawn) -> str:
    _, plain = ApiToken.issue(name="311", user=drawn.duban, permissions=["intake"])
    return plain


def inside(name: str) -> tuple[float, float]:
    """(lat, lon) of a point inside the named area's drawn boundary."""
    p = shapely.from_geojson(json.dumps(Area.objects.get(name=name).boundary)).representative_point()
    return round(p.y, 6), round(p.x, 6)


def test_every_drawn_grid_is_found_by_a_point_inside_it_and_outside_is_nothing(drawn) -> None:
    grids = list(Area.objects.filter(kind=AreaKind.GRID))
    assert len(grids) > 50 and all(g.boundary for g in grids)
    for grid in grids:
        lat, lon = inside(grid.name)
        assert location.point_area(lon, lat) == grid
    assert location.point_area(100.0, 30.0) is None  # far outside the district


def test_a_point_on_the_edge_between_two_grids_lands_in_one_of_them(drawn) -> None:
    a = Area.objects.get(name="建西东路社区第一网格")
    shape_a = shapely.from_geojson(json.dumps(a.boundary))
    neighbour = next(g for g in Area.objects.filter(kind=AreaKind.GRID).exclude(pk=a.pk)
                     if shape_a.touches(shapely.from_geojson(json.dumps(g.boundary))))
    edge = shape_a.intersection(shapely.from_geojson(json.dumps(neighbour.boundary)))
    p = edge.interpolate(0.5, normalized=True)
    assert location.point_area(p.x, p.y) in {a, neighbour}


def test_thousands_of_grids_through_the_spatial_index(db) -> None:
    district = Area.objects.create(name="测试区", kind=AreaKind.DISTRICT, code="T")
    street = Area.objects.create(name="测试街道", kind=AreaKind.STREET, parent=district, code="T1")
    community = Area.objects.create(name="测试社区", kind=AreaKind.COMMUNITY, parent=street, code="T11")
    size, cells = 0.001, 60
    Area.objects.bulk_create([Area(name=f"网格{i}-{j}", kind=AreaKind.GRID, parent=community, code=f"T11{i:03d}{j:03d}",
                                   boundary=demo._geojson(shapely.box(100 + i * size, 30 + j * size,
                                                                      100 + (i + 1) * size, 30 + (j + 1) * size)))
                              for i in range(cells) for j in range(cells)])
    location.reset()
    assert location.point_area(100 + 17.5 * size, 30 + 42.5 * size).name == "网格17-42"
    started = time.perf_counter()
    for i in range(1000):
        location.point_area(100 + (i % cells + 0.5) * size, 30 + (i // cells % cells + 0.5) * size)
    print(f"\n{cells * cells} grids: {(time.perf_counter() - started) * 1000:.3f} µs per point")  # bench figure only


def test_gazetteer_ranges_sides_and_fallbacks(drawn) -> None:
    assert location.address_area(ISSUE_ADDRESS)[0].name == "建西东路社区第一网格"
    assert location.address_area("建西东路60号")[0].name == "建西东路社区第二网格"  # 51–100
    assert location.address_area("西津西路13号")[0].name == "西园社区第一网格"  # odd side
    assert location.address_area("西津西路12号")[0].name == "建兰路社区第一网格"  # even side
    assert location.address_area("建西东路9999号")[0].name == "建西东路社区"  # the road, no range: its community
    assert location.address_area(f"{drawn.compound_a.name}3号楼")[0] == drawn.compound_a  # a compound's name
    assert location.address_area("武威路社区旁边")[0].name == "武威路社区"
    assert location.address_area("火星大道1号") == (None, "")
    AddressRange.objects.create(road="柏树巷", number_from=1, number_to=9, parity=Parity.ODD, area=drawn.grid_b)
    assert location.address_area("柏树巷7号")[0] == drawn.grid_b  # a new row is used at once (same process)
    assert location.address_area("柏树巷8号")[0] == drawn.community_b  # the even side is not listed: the road's community


def test_open311_post_with_only_coordinates_lands_in_the_grid(key) -> None:
    lat, lon = inside("瓜州路社区第一网格")
    r = Client().post("/open311/v2/requests.json", {"api_key": key, "service_code": "WY01", "lat": lat, "long": lon,
                                                    "description": "路边的路灯坏了好几天了"})
    assert r.status_code == 201, r.content
    t = Ticket.objects.get(number=r.json()[0]["service_request_id"])
    assert t.grid.name == "瓜州路社区第一网格" and t.handling_unit.name == "瓜州路社区居委会"
    assert t.channel == Channel.OPEN311 and not t.location_pending
    assert (float(t.latitude), float(t.longitude)) == (lat, lon)


def test_the_issues_case_point_and_address_from_a_real_client(key, live_server) -> None:
    lat, lon = inside("建西东路社区第一网格")
    # georeport cannot POST: the POST follows GeoReport v2 over plain HTTP; the client library reads it back
    r = requests.post(f"{live_server.url}/open311/v2/requests.json", data={
        "api_key": key, "service_code": "WY01", "lat": lat, "long": lon, "address_string": ISSUE_ADDRESS,
        "description": "楼下路灯不亮了，晚上走路害怕"}, timeout=30)
    assert r.status_code == 201, r.text
    number = r.json()[0]["service_request_id"]
    got = GeoReport(f"{live_server.url}/open311/v2").get_service_request(number)
    assert (got["lat"], got["long"]) == (lat, lon) and "建西东路社区第一网格" in got["address"]
    assert Ticket.objects.get(number=number).grid.name == "建西东路社区第一网格"
    only_address = requests.post(f"{live_server.url}/open311/v2/requests.json", data={
        "api_key": key, "service_code": "WY01", "address_string": ISSUE_ADDRESS, "description": "楼下路灯不亮了"}, timeout=30)
    assert Ticket.objects.get(number=only_address.json()[0]["service_request_id"]).grid.name == "建西东路社区第一网格"


def test_nothing_matched_is_not_refused_it_waits_at_the_district_centre(key, drawn) -> None:
    r = Client().post("/open311/v2/requests.json", {"api_key": key, "service_code": "WY01", "lat": "30", "long": "100",
                                                    "address_string": "火星大道1号", "description": "路灯坏了很久了"})
    assert r.status_code == 201, r.content
    t = Ticket.objects.get(number=r.json()[0]["service_request_id"])
    assert t.location_pending and t.handling_unit.name == "七里河区民情服务中心" and t.street.kind == AreaKind.DISTRICT
    assert "位置待核实" in Client().get(f"/open311/v2/requests/{t.number}.json").json()[0]["address"]
    duban = scope_for(drawn.duban)
    assert not may(duban, t, "accept") and may(duban, t, "relocate")
    with pytest.raises(actions.ActionError, match="位置待核实"):
        actions.ticket_accept(ticket=t, actor=drawn.duban)
    c = Client()
    c.force_login(drawn.duban)
    queue = c.get("/tickets/queue/received/").content.decode()
    assert t.number in queue and "位置待核实" in queue
    page = c.get(f"/tickets/{t.number}/").content.decode()
    assert "位置待核实" in page and "更正地点" in page
    r = c.post(f"/tickets/{t.number}/relocate/", {"area": drawn.grid_b.pk, "note": "电话核实在建西东路社区",
                                               "version": t.version})
    assert r.status_code == 302, r.content.decode()[:2000]
    t.refresh_from_db()
    assert not t.location_pending and t.grid == drawn.grid_b and t.handling_unit.name == "建西东路社区居委会"
    event = t.events.get(action="relocate")
    assert event.data["relocation"].startswith("位置待核实 → 西站街道 · 建西东路社区") and event.actor == drawn.duban
    actions.ticket_accept(ticket=t, actor=drawn.shequ_b)  # now the community goes on as usual


def test_open311_location_filters_and_bad_values(key, drawn) -> None:
    c = Client()
    near, far = inside("瓜州路社区第一网格"), inside("马滩社区第一网格")
    numbers = {}
    for name, (lat, lon) in (("near", near), ("far", far)):
        r = c.post("/open311/v2/requests.json", {"api_key": key, "service_code": "WY01", "lat": lat, "long": lon,
                                                 "description": "路灯坏了很久了"})
        numbers[name] = r.json()[0]["service_request_id"]
    found = {x["service_request_id"] for x in c.get("/open311/v2/requests.json",
                                                   {"lat": near[0], "long": near[1], "radius": 200}).json()}
    assert numbers["near"] in found and numbers["far"] not in found
    box = f"{near[1] - 0.001},{near[0] - 0.001},{near[1] + 0.001},{near[0] + 0.001}"
    found = {x["service_request_id"] for x in c.get("/open311/v2/requests.json", {"bbox": box}).json()}
    assert found == {numbers["near"]}
    for params in ({"lat": "x", "long": "103.8"}, {"lat": "36"}, {"radius": "100"}, {"bbox": "1,2,3"},
                   {"bbox": "103.9,36,103.8,36.1"}, {"lat": "36", "long": "103.8", "radius": "-5"}):
        r = c.get("/open311/v2/requests.json", params)
        assert r.status_code == 400 and r.json()[0]["code"] == 400, params
    xml = c.get("/open311/v2/requests.xml", {"bbox": "nope"})
    assert xml.status_code == 400 and b"bbox" in xml.content


def test_staff_and_resident_intake_store_coordinates(drawn) -> None:
    lat, lon = inside("瓜州路社区第一网格")
    t = drawn.new_ticket(area=drawn.community_a, latitude=lat, longitude=lon)
    assert t.grid == drawn.grid_a and (float(t.latitude), float(t.longitude)) == (lat, lon)
    with pytest.raises(actions.ActionError, match="纬度"):
        drawn.new_ticket(latitude="95", longitude="103.8")
