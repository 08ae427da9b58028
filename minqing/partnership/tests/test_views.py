"""The 双向清单 pages: scoping, the public wish wall, unit import, the agreement document, exports."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from minqing.org.models import Unit
from minqing.partnership import actions, queries
from minqing.partnership.models import Need, Project
from minqing.partnership.tests.test_lists import need, resource, xlsx


def client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_pages_show_only_what_the_viewer_may_see(cast) -> None:
    n = need(cast, brand="housing")
    r = resource(cast)
    for url in ["/lists/needs/", "/lists/resources/", "/lists/projects/", "/lists/matrix/", "/lists/agreements/",
                "/lists/wishes/", "/lists/members/", "/lists/stats/", f"/lists/needs/{n.pk}/", "/lists/needs/new/",
                "/lists/resources/new/", "/lists/units/import/"]:
        assert client(cast.shequ).get(url).status_code == 200, url
    assert n.title in client(cast.shequ).get("/lists/needs/").content.decode()
    assert n.title not in client(cast.shequ_b).get("/lists/needs/").content.decode()
    assert client(cast.shequ_b).get(f"/lists/needs/{n.pk}/").status_code == 404
    assert client(cast.jumin).get("/lists/needs/").status_code == 404
    assert Client().get("/lists/needs/").status_code == 302
    page = client(cast.shequ).get(f"/lists/needs/{n.pk}/").content.decode()
    assert r.title in page and "发起对接" in page and "揭榜" not in page.split("项目")[0].split("推荐资源")[0]
    assert "揭榜" in client(cast.wuye).get(f"/lists/needs/{n.pk}/").content.decode()
    # a forged proposal from another community changes nothing
    assert client(cast.shequ_b).post(f"/lists/needs/{n.pk}/propose/", {"resource": r.pk, "quantity": 1}).status_code == 404
    assert Project.objects.count() == 0


def test_project_steps_through_the_pages(cast) -> None:
    n = need(cast, brand="housing")
    r = resource(cast, capacity=3)
    staff, unit = client(cast.shequ), client(cast.wuye)
    over = staff.post(f"/lists/needs/{n.pk}/propose/", {"resource": r.pk, "quantity": 4}, follow=True)
    assert "只剩 3 次" in over.content.decode() and Project.objects.count() == 0
    done = staff.post(f"/lists/needs/{n.pk}/propose/", {"resource": r.pk, "quantity": 2}, follow=True)
    p = Project.objects.get()
    assert "等待其揭榜承接" in done.content.decode()
    wrong = staff.post(f"/lists/projects/{p.pk}/claim/", follow=True).content.decode()
    assert "承接单位" in wrong
    unit.post(f"/lists/projects/{p.pk}/claim/")
    staff.post(f"/lists/projects/{p.pk}/agree/")
    unit.post(f"/lists/projects/{p.pk}/start/")
    bad = unit.post(f"/lists/projects/{p.pk}/finish/", {"hours": "很多"}, follow=True).content.decode()
    assert "格式不对" in bad
    unit.post(f"/lists/projects/{p.pk}/finish/", {"hours": "4.5"})
    staff.post(f"/lists/projects/{p.pk}/evaluate/", {"rating": "5", "note": "修得又快又好"})
    p.refresh_from_db()
    assert p.state == "evaluated" and p.hours == Decimal("4.5") and p.rating == 5
    assert Need.objects.get().status == "done"


def test_the_public_wish_wall_masks_residents_and_lets_members_claim(cast) -> None:
    w = actions.wish_publish(actor=cast.shequ, area=cast.community_a, resident_name="刘桂兰", text="想要一台收音机",
                             resident_phone="13911112222")
    actions.member_register(actor=cast.shequ, community=cast.community_a, name="赵党员", phone="13700001111")
    wall = f"/r/wishes/{cast.community_a.code}/"
    page = Client().get(wall).content.decode()
    assert "想要一台收音机" in page and "刘桂兰" not in page and "刘**" in page and "13911112222" not in page
    r = Client().post(wall, {"wish": w.pk, "phone": "13800000000"}, follow=True).content.decode()
    assert "没有在瓜州路社区报到" in r
    r = Client().post(wall, {"wish": w.pk, "phone": "13700001111"}, follow=True).content.decode()
    assert "认领成功" in r
    w.refresh_from_db()
    assert w.state == "claimed" and w.member.name == "赵党员"


def test_the_wish_wall_cannot_be_used_to_find_members_or_to_empty_it(cast) -> None:
    wishes = [actions.wish_publish(actor=cast.shequ, area=cast.community_a, resident_name="刘桂兰", text=f"心愿{i}")
              for i in range(5)]
    actions.member_register(actor=cast.shequ, community=cast.community_a, name="赵党员", phone="13700001111")
    wall = f"/r/wishes/{cast.community_a.code}/"
    guesser = Client(REMOTE_ADDR="203.0.113.5")
    for n in range(5):
        guesser.post(wall, {"wish": wishes[0].pk, "phone": f"1380000000{n}"})
    # after five numbers tried in vain, even a member's number gets no answer from this address
    r = guesser.post(wall, {"wish": wishes[0].pk, "phone": "13700001111"}, follow=True).content.decode()
    assert "失败次数过多" in r and "认领成功" not in r
    member = Client(REMOTE_ADDR="198.51.100.7")
    for w in wishes[:3]:
        assert "认领成功" in member.post(wall, {"wish": w.pk, "phone": "13700001111"}, follow=True).content.decode()
    r = member.post(wall, {"wish": wishes[3].pk, "phone": "13700001111"}, follow=True).content.decode()
    assert "还没有实现" in r
    wishes[3].refresh_from_db()
    assert wishes[3].state == "published"


def test_unit_import_page_lists_bad_rows_and_imports_nothing(cast) -> None:
    before = Unit.objects.count()
    bad = xlsx([["新单位甲", "驻区单位", "瓜州路社区"] + [""] * 7, ["新单位乙", "学校", "瓜州路社区"] + [""] * 7])
    page = client(cast.jiedao).post("/lists/units/import/", {"file": SimpleUploadedFile("u.xlsx", bad)}).content.decode()
    assert "第 3 行" in page and "没有导入任何单位" in page and Unit.objects.count() == before
    good = xlsx([["新单位甲", "驻区单位", "瓜州路社区"] + [""] * 7])
    r = client(cast.jiedao).post("/lists/units/import/", {"file": SimpleUploadedFile("u.xlsx", good)}, follow=True)
    assert "已导入 1 个单位" in r.content.decode() and Unit.objects.count() == before + 1
    template = client(cast.jiedao).get("/lists/units/template.xlsx")
    assert load_workbook(io.BytesIO(template.content)).active.cell(1, 1).value == "单位名称"


def test_agreement_document_and_service_record_export(cast) -> None:
    today = timezone.localdate()
    a = actions.agreement_draft(actor=cast.shequ, community=cast.community_a, unit=cast.unit("东方物业"),
                                community_duties="提供场地", unit_duties="每月义务维修", starts_on=today,
                                ends_on=today + dt.timedelta(days=365), community_signatory="王桂芳", unit_signatory="陈立")
    r = client(cast.shequ).get(f"/lists/agreements/{a.pk}/docx/")
    xml = zipfile.ZipFile(io.BytesIO(r.content)).read("word/document.xml").decode()
    assert "双向服务协议书" in xml and "东方物业" in xml and "每月义务维修" in xml
    assert client(cast.shequ_b).get(f"/lists/agreements/{a.pk}/docx/").status_code == 404
    actions.member_register(actor=cast.shequ, community=cast.community_a, name="赵党员", phone="13700001111",
                            employer=cast.unit("区住建局"))
    w = actions.wish_publish(actor=cast.shequ, area=cast.community_a, resident_name="刘奶奶", text="修轮椅")
    actions.wish_fulfil(actor=cast.shequ, wish=actions.wish_claim(wish=w, phone="13700001111"), hours=Decimal(2))
    quarter = f"{today.year}Q{(today.month - 1) // 3 + 1}"
    sheet = load_workbook(io.BytesIO(client(cast.shequ).get(f"/lists/members/record.xlsx?quarter={quarter}").content)).active
    assert [c.value for c in sheet[2]][:4] == ["赵党员", "区住建局", "瓜州路社区", "修轮椅"]
    bad = client(cast.shequ).get("/lists/members/record.xlsx?quarter=2026Q5", follow=True).content.decode()
    assert "季度格式不对" in bad


def test_units_edit_their_own_offers_and_communities_their_own_needs(cast) -> None:
    r = resource(cast, capacity=5)
    n = need(cast, brand="housing")
    actions.project_propose(actor=cast.shequ, need=n, resource=r, quantity=4)
    form = {"unit": r.unit_id, "kind": "services", "title": "上门维修（工作日）", "brand": "housing", "capacity": "3",
            "unit_label": "次", "available_from": "2026-01-01", "areas": [cast.community_a.pk], "active": "on"}
    page = client(cast.wuye).post(f"/lists/resources/{r.pk}/edit/", form).content.decode()
    assert "不能少于 4" in page
    assert client(cast.wuye).post(f"/lists/resources/{r.pk}/edit/", {**form, "capacity": "8"}).status_code == 302
    r.refresh_from_db()
    assert (r.title, r.capacity, r.active) == ("上门维修（工作日）", 8, True)
    client(cast.wuye).post(f"/lists/resources/{r.pk}/edit/", {**form, "capacity": "8", "active": ""})
    r.refresh_from_db()
    assert not r.active and r not in [p.resource for p in queries.proposals(need(cast, brand="housing"))]
    assert client(cast.shequ).get(f"/lists/resources/{r.pk}/edit/").status_code == 404
    edit = {"area": cast.compound_a.pk, "title": "楼道灯坏了（3号楼）", "brand": "housing", "households": "48",
            "source": "visit", "priority": "high"}
    assert client(cast.shequ).post(f"/lists/needs/{n.pk}/edit/", edit).status_code == 302
    assert Need.objects.get(pk=n.pk).title == "楼道灯坏了（3号楼）"
    assert client(cast.shequ_b).post(f"/lists/needs/{n.pk}/edit/", edit).status_code == 404
