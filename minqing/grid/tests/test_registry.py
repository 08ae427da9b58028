"""The base registry (一标三实): imported from Excel row by row or not at all, personal fields encrypted at rest
and masked for those who do not work the grid."""

from __future__ import annotations

import pytest
from django.db import connection

from minqing.grid import actions
from minqing.grid.models import Building, Household
from minqing.lib.errors import ActionError

from .helpers import client_for, registry, row, xlsx

pytestmark = pytest.mark.django_db


def test_an_import_makes_buildings_and_households(cast) -> None:
    compound = cast.compound_a
    report = actions.registry_import(actor=cast.shequ, content=xlsx([
        row(compound=compound.name, room=301, id_number="62010319800101123x"),  # 301 typed as a number
        row(room="302", head="", phone=""),
        row(building="2号楼", room="101"),
        row(unit="", room="", kind="单位", name="便民超市", head="李老板", phone="0931-2600000", people=""),
    ]))
    assert report.ok and (report.buildings, report.households) == (2, 4)
    b = Building.objects.get(name="1号楼")
    assert b.compound == compound and b.grid == cast.grid_a and b.created_by == cast.shequ
    h = Household.objects.get(room="301")
    assert (h.head_name, h.head_phone, h.id_number, h.people) == ("张秀兰", "13812345678", "62010319800101123X", 3)
    assert h.label == "瓜州路 88 号 1号楼 1单元 301"
    assert Household.objects.get(name="便民超市").kind == "unit"


def test_personal_fields_are_encrypted_at_rest(cast) -> None:
    registry(cast)
    with connection.cursor() as cur:
        cur.execute("SELECT head_name, head_phone FROM grid_household WHERE room = '101'")
        name, phone = cur.fetchone()
    assert name.startswith("gAAAAA") and phone.startswith("gAAAAA")
    assert "住户1" not in name and "13812340001" not in phone


def test_bad_rows_are_listed_by_line_and_nothing_is_imported(cast) -> None:
    report = actions.registry_import(actor=cast.shequ, content=xlsx([
        row(room="101"),
        row(grid="不存在的网格"),
        row(room="101"),  # the same household as line 2
        row(phone="12345"),
        row(kind="商铺"),
        row(room="", head="王五"),
        row(id_number="123"),
        row(people="三口人"),
        row(grid="建西东路社区第一网格", room="909"),  # another community's grid
    ]))
    assert not report.ok
    lines = dict(report.errors)
    assert set(lines) == {3, 4, 5, 6, 7, 8, 9, 10}
    assert "找不到或不在您的工作范围内" in lines[3]
    assert "与第 2 行重复" in lines[4]
    assert "手机号" in lines[5] or "电话" in lines[5]
    assert "类别" in lines[6] and "门牌" in lines[7] and "身份证号" in lines[8] and "人数" in lines[9]
    assert "不在您的工作范围内" in lines[10]
    assert not Building.objects.exists() and not Household.objects.exists()


def test_a_household_registered_already_is_refused_and_a_missing_column_named(cast) -> None:
    registry(cast)
    report = actions.registry_import(actor=cast.shequ, content=xlsx([row(room="101", head="住户1")]))
    assert report.errors == [(2, "这一户已经登记过")]
    with pytest.raises(ActionError, match="缺少必需的列：标准地址"):
        actions.registry_import(actor=cast.shequ, content=xlsx([["瓜州路社区第一网格"]], header=["网格"]))
    with pytest.raises(ActionError, match="没有数据行"):
        actions.registry_import(actor=cast.shequ, content=xlsx([]))
    with pytest.raises(ActionError):
        actions.registry_import(actor=cast.shequ, content=b"not a workbook")


def test_the_import_page_shows_each_bad_row(cast) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    c = client_for(cast.shequ)
    r = c.post("/grid/registry/import/", {"file": SimpleUploadedFile("a.xlsx", xlsx([row(phone="12345")]))})
    assert r.status_code == 200 and "第 2 行" in r.content.decode()
    r = c.post("/grid/registry/import/", {"file": SimpleUploadedFile("a.xlsx", xlsx([row()]))})
    assert r.status_code == 302 and Household.objects.count() == 1
    assert c.get("/grid/registry/template.xlsx").status_code == 200


def test_names_and_phones_are_masked_for_those_who_do_not_work_the_grid(cast) -> None:
    households = registry(cast)
    h = households[0]
    for who in ("wangge", "shequ"):  # the grid's worker and the community's staff call these people
        html = client_for(cast.users[who]).get(f"/grid/households/{h.pk}/").content.decode()
        assert "住户1" in html and "13812340001" in html, who
    # The street oversees the figures, not the people: masked like a reporter's phone.
    html = client_for(cast.jiedao).get(f"/grid/households/{h.pk}/").content.decode()
    assert "住户1" not in html and "13812340001" not in html
    assert "住*" in html and "138****0001" in html
    listing = client_for(cast.jiedao).get(f"/grid/registry/?grid={cast.grid_a.pk}").content.decode()
    assert "138****0001" in listing and "13812340001" not in listing
    assert "138****0001" not in client_for(cast.shequ).get(f"/grid/registry/?grid={cast.grid_a.pk}").content.decode()
    # Another community's staff and street, a department, a resident: not at all.
    for who in ("shequ_b", "jiedao_b", "bumen", "jumin"):
        assert client_for(cast.users[who]).get(f"/grid/households/{h.pk}/").status_code == 404, who


def test_an_id_number_is_always_masked(cast) -> None:
    actions.registry_import(actor=cast.shequ, content=xlsx([row(id_number="620103198001011234")]))
    h = Household.objects.get()
    html = client_for(cast.wangge).get(f"/grid/households/{h.pk}/").content.decode()
    assert "620103198001011234" not in html and "620*************34" in html


def test_a_households_history_has_its_requests_by_any_channel(cast) -> None:
    h = registry(cast, households=1)[0]
    hotline = cast.new_ticket(channel="hotline", reporter_name="住户1", reporter_phone="13812340001")
    other = cast.new_ticket(channel="hotline", reporter_name="别人", reporter_phone="13900000000")
    html = client_for(cast.shequ).get(f"/grid/households/{h.pk}/").content.decode()
    assert hotline.number in html and "说事热线" in html and other.number not in html
    assert Household.objects.get(pk=h.pk).head_phone_hash  # a keyed hash, not the number
    assert "13812340001" not in Household.objects.get(pk=h.pk).head_phone_hash
