"""Per-grid figures (走访覆盖率, 主动发现数, how fast those were solved) and turning a visit into a request."""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid

import pytest
from django.utils import timezone

from minqing.accounts.scope import scope_for
from minqing.conftest import image_file
from minqing.grid import actions, queries
from minqing.grid.models import Visit
from minqing.lib import uploads
from minqing.lib.errors import Conflict, Forbidden
from minqing.tickets import actions as tickets
from minqing.tickets.models import Channel, Ticket

from .helpers import client_for, registry

pytestmark = pytest.mark.django_db


def visit(cast, household=None, *, at=None, note="楼道灯坏了，老人晚上下楼看不见。", finding="problem", photo=None) -> Visit:
    v, _ = actions.visit_record(actor=cast.wangge, client_id=uuid.uuid4(), grid=cast.grid_a, household=household,
                                place="" if household else "北门广场", finding=finding, note=note,
                                visited_at=at, photo=photo, latitude=None, longitude=None)
    return v


def test_coverage_counts_households_visited_in_the_period(cast) -> None:
    h = registry(cast, households=4)
    homes = [x for x in h if x.kind == "household"]
    shop = next(x for x in h if x.kind == "unit")
    today = timezone.localdate()
    visit(cast, homes[0])
    visit(cast, homes[0], finding="normal", note="")  # visited twice: one household
    visit(cast, homes[1], finding="normal", note="")
    visit(cast, shop, finding="normal", note="")  # a unit: not a household
    visit(cast)  # a place, not a household
    visit(cast, homes[2], at=timezone.now() - dt.timedelta(days=40), finding="normal", note="")  # before the period
    [f] = queries.figures([cast.grid_a], start=today - dt.timedelta(days=7), end=today)
    assert (f.households, f.visited, f.visits) == (4, 2, 5)
    assert f.coverage == 0.5 and f.coverage_text == "50.0%"
    [empty] = queries.figures([cast.grid_b], start=today, end=today)
    assert empty.coverage is None and empty.coverage_text == "—"


def test_requests_raised_on_patrol_and_how_fast_they_were_solved(cast) -> None:
    homes = registry(cast, households=2)
    today = timezone.localdate()
    a, b, c = visit(cast, homes[0]), visit(cast, homes[1]), visit(cast)
    visit(cast, homes[0], finding="normal", note="")  # not turned into a request
    category = cast.category()
    ta = actions.visit_to_ticket(actor=cast.wangge, visit=a, category=category)
    tb = actions.visit_to_ticket(actor=cast.wangge, visit=b, category=category, reporter="anonymous")
    actions.visit_to_ticket(actor=cast.shequ, visit=c, category=category, reporter="anonymous")
    for t, hours in ((ta, 6), (tb, 30)):
        t = tickets.ticket_accept(ticket=t, actor=cast.shequ)
        tickets.ticket_resolve_on_spot(ticket=t, actor=cast.shequ, result="网格员协调物业当天换了灯。")
        Ticket.objects.filter(pk=t.pk).update(resolved_at=t.created_at + dt.timedelta(hours=hours))
    [f] = queries.figures([cast.grid_a], start=today, end=today)
    assert (f.found, f.solved) == (3, 2)
    assert f.solve_hours == 18 and f.solve_text == "18.0 小时"
    total = queries.total([f, *queries.figures([cast.grid_b], start=today, end=today)])
    assert total is not None and (total.found, total.solved, total.solve_hours) == (3, 2, 18)


def test_a_visit_becomes_a_request_with_its_place_filled_in(cast) -> None:
    homes = registry(cast, households=1)
    home = homes[0]
    home.building.compound = cast.compound_a
    home.building.save()
    photo = uploads.prepare_images([image_file()])[0]
    v, _ = actions.visit_record(actor=cast.wangge, client_id=uuid.uuid4(), household=home, finding="problem",
                                note="楼道灯坏了，老人晚上下楼看不见。", photo=photo,
                                latitude=None, longitude=None)
    v.latitude, v.longitude = None, None
    t = actions.visit_to_ticket(actor=cast.wangge, visit=v, category=cast.category())
    assert t.channel == Channel.VISIT and t.compound == cast.compound_a and t.grid == cast.grid_a
    assert t.address == home.label and t.text == v.note
    assert (t.reporter_name, t.reporter_phone) == (cast.wangge.full_name, cast.wangge.phone)
    assert t.attachments.count() == 1
    assert Visit.objects.get(pk=v.pk).ticket == t
    with pytest.raises(Conflict, match="已经转为诉求"):
        actions.visit_to_ticket(actor=cast.shequ, visit=Visit.objects.get(pk=v.pk), category=cast.category())
    assert Ticket.objects.count() == 1
    # The household's history shows the visit and the request.
    html = client_for(cast.shequ).get(f"/grid/households/{home.pk}/").content.decode()
    assert t.number in html and "楼道灯坏了" in html


def test_the_household_can_be_the_reporter_and_others_may_not_convert(cast) -> None:
    home = registry(cast, households=1)[0]
    v = visit(cast, home)
    with pytest.raises(Forbidden):
        actions.visit_to_ticket(actor=cast.shequ_b, visit=v, category=cast.category())
    t = actions.visit_to_ticket(actor=cast.wangge, visit=v, category=cast.category(), reporter="household",
                                text="住户反映楼道灯坏了一个月。")
    assert (t.reporter_name, t.reporter_phone, t.text) == ("住户1", "13812340001", "住户反映楼道灯坏了一个月。")


def test_one_tap_on_the_visit_page_makes_the_request(cast) -> None:
    registry(cast, households=1)
    v = visit(cast)
    c = client_for(cast.wangge)
    page = c.get(f"/grid/visits/{v.uuid}/").content.decode()
    assert "转为诉求" in page and "楼道灯坏了" in page
    r = c.post(f"/grid/visits/{v.uuid}/", {"category": cast.category().pk, "type": "help", "text": v.note,
                                           "reporter": "worker"})
    t = Ticket.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/tickets/{t.number}/"
    assert t.address == "北门广场" and t.channel == Channel.VISIT
    r = c.post(f"/grid/visits/{v.uuid}/", {"category": cast.category().pk, "type": "help", "text": v.note,
                                           "reporter": "worker"})
    assert Ticket.objects.count() == 1


def test_the_figures_are_on_the_workbench_of_grid_and_community_workers(cast) -> None:
    homes = registry(cast, households=2)
    visit(cast, homes[0], finding="normal", note="")
    for who in ("wangge", "shequ", "jiedao"):
        html = client_for(cast.users[who]).get("/").content.decode()
        assert 'id="grid-panel"' in html and "50.0%" in html, who
    for who in ("bumen", "duban"):
        assert 'id="grid-panel"' not in client_for(cast.users[who]).get("/").content.decode(), who
    assert "开始巡查" in client_for(cast.wangge).get("/").content.decode()
    page = client_for(cast.shequ).get("/grid/").content.decode()
    assert "瓜州路社区第一网格" in page and "50.0%" in page and "建西东路" not in page


def test_the_patrol_page_keeps_no_personal_data(cast) -> None:
    registry(cast, households=2)
    c = client_for(cast.wangge)
    html = c.get("/grid/patrol/").content.decode()
    data = json.loads(re.search(r'<script id="grid-data" type="application/json">(.*?)</script>', html, re.S)[1])
    assert {"瓜州路 88 号 1号楼 1单元 101", "瓜州路 88 号 1号楼 底商1 便民超市"} <= {h["label"] for h in data["households"]}
    assert "住户1" not in json.dumps(data, ensure_ascii=False) and "1381234" not in html
    assert 'rel="manifest"' in html and "grid/patrol.js" in html
    sw = c.get("/grid/sw.js")
    assert sw.status_code == 200 and sw["Content-Type"].startswith("application/javascript")
    assert b"caches.open" in sw.content
    assert client_for(cast.shequ).get("/grid/patrol/").status_code == 404


def test_the_demo_gives_a_community_a_registry_and_its_workers_patrols(cast) -> None:
    from minqing.grid import demo
    from minqing.grid.models import Household, Patrol

    made = demo.build(now=timezone.now(), seed=7)
    assert made >= 40
    assert 80 <= Household.objects.filter(kind="household", grid__parent=cast.community_a).count() <= 100
    workers = set(Patrol.objects.values_list("worker__username", flat=True))
    assert workers == {"wangge", "wangge2"} and not Patrol.objects.filter(ended_at__isnull=True).exists()
    assert Visit.objects.filter(ticket__isnull=False).exists()
    today = timezone.localdate()
    grids = queries.grids_for(scope_for(cast.shequ)).filter(pk__in=Household.objects.values("grid_id"))
    rows = queries.figures(grids, start=today - dt.timedelta(days=60), end=today)
    assert len(rows) == 2 and all(r.coverage is not None and 0 < r.coverage <= 1 for r in rows)
