"""One household corrected in the admin between imports: its phone is checked and its search hash follows, so
the household page finds the requests made from the new number; patrols and visits are never edited there."""

from __future__ import annotations

from minqing.conftest import admin_client
from minqing.grid.models import Household, Patrol

from .helpers import client_for, registry


def _form(h: Household, **changes) -> dict:
    data = {"building": h.building_id, "grid": h.grid_id, "kind": h.kind, "unit_no": h.unit_no, "room": h.room,
            "name": h.name, "head_name": h.head_name, "head_phone": h.head_phone, "id_number": h.id_number,
            "people": h.people}
    data.update(changes)
    return data


def test_a_household_corrected_in_the_admin_keeps_its_phone_searchable(cast) -> None:
    h = registry(cast, households=1)[0]
    c = admin_client(cast.admin)
    url = f"/admin/grid/household/{h.pk}/change/"
    listing = c.get("/admin/grid/household/").content.decode()
    assert "住户1" not in listing and "13812340001" not in listing  # the list shows where, not who
    bad = c.post(url, _form(h, head_phone="12345", grid=cast.grid_b.pk))
    assert bad.status_code == 200 and "手机号" in bad.content.decode() and "网格须与楼栋" in bad.content.decode()
    assert c.post(url, _form(h, head_phone="139 0931 7777")).status_code == 302
    h.refresh_from_db()
    assert h.head_phone == "13909317777"
    moved = cast.new_ticket(channel="hotline", reporter_name="住户1", reporter_phone="13909317777")
    assert moved.number in client_for(cast.shequ).get(f"/grid/households/{h.pk}/").content.decode()


def test_patrols_and_visits_are_shown_but_not_edited_in_the_admin(cast) -> None:
    c = admin_client(cast.admin)
    assert c.get("/admin/grid/visit/").status_code == 200
    assert c.get("/admin/grid/patrol/add/").status_code == 403
    assert not Patrol.objects.exists()
