"""Needs, resources, matching, projects, seats, unit import, agreements, micro-wishes, figures."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from openpyxl import Workbook

from minqing.lib.errors import ActionError, Conflict, Forbidden
from minqing.org.models import Area, PartyOrganisation, Seat, Unit
from minqing.partnership import actions, queries
from minqing.partnership.models import Need, Project, ProjectEvent, Wish

TODAY = dt.date(2026, 11, 30)


def street_a(cast) -> Area:
    return cast.community_a.parent


def need(cast, **kw) -> Need:
    fields = {"actor": cast.shequ, "area": cast.compound_a, "title": "独居老人午餐没人管", "brand": "elderly",
              "households": 40}
    fields.update(kw)
    return actions.need_create(**fields)


def resource(cast, unit: str = "东方物业", actor=None, **kw):
    fields = {"actor": actor or cast.wuye, "unit": cast.unit(unit), "kind": "services", "title": "上门维修",
              "brand": "housing", "capacity": 10, "areas": [cast.community_a], "available_from": TODAY}
    fields.update(kw)
    return actions.resource_create(**fields)


def test_needs_belong_to_their_community_and_offers_to_their_unit(cast) -> None:
    n = need(cast)
    assert n.community == cast.community_a
    with pytest.raises(Forbidden, match="不在您的工作范围内"):
        need(cast, actor=cast.shequ_b)
    with pytest.raises(Forbidden, match="资源由提供单位自己登记"):
        resource(cast, actor=cast.shequ)
    r = resource(cast)
    from minqing.accounts.scope import scope_for

    assert list(queries.resources_for(scope_for(cast.wuye))) == [r]
    assert list(queries.needs_for(scope_for(cast.shequ))) == [n]
    assert list(queries.needs_for(scope_for(cast.shequ_b))) == []
    assert list(queries.needs_for(scope_for(cast.jiedao))) == [n]  # the street sees its communities' needs
    assert list(queries.needs_for(scope_for(cast.wuye))) == [n]  # a unit in the street may volunteer
    assert list(queries.resources_for(scope_for(cast.shequ_b))) == []  # the offer does not cover community B


def test_matching_puts_brand_area_and_capacity_first(cast) -> None:
    n = need(cast, brand="housing", title="楼道灯常年不亮")
    near = resource(cast, title="物业上门维修", capacity=10)
    far = actions.resource_create(actor=cast.zhujian, unit=cast.unit("区住建局"), kind="expertise", title="住建技术指导",
                                  brand="housing", capacity=5, areas=[cast.community_a.parent.parent],
                                  available_from=TODAY)
    other_brand = resource(cast, title="物业志愿者陪护", brand="elderly")
    expired = resource(cast, title="去年的维修", available_from=TODAY - dt.timedelta(days=400),
                       available_until=TODAY - dt.timedelta(days=30))
    full = resource(cast, title="只剩一次", capacity=1)
    actions.project_propose(actor=cast.shequ, need=need(cast, title="别的需求"), resource=full, quantity=1)
    ranked = [p.resource for p in queries.proposals(n, today=TODAY)]
    assert ranked == [near, far, other_brand]
    assert expired not in ranked and full not in ranked
    reasons = queries.proposals(n, today=TODAY)[0].reasons
    assert "同属“百姓安居”" in reasons and "覆盖本社区" in reasons


def test_projects_move_one_state_at_a_time_by_the_right_side(cast) -> None:
    n = need(cast, brand="housing")
    r = resource(cast, capacity=5)
    with pytest.raises(ActionError, match="只剩 5 次，不够 6 次"):
        actions.project_propose(actor=cast.shequ, need=n, resource=r, quantity=6)
    p = actions.project_propose(actor=cast.shequ, need=n, resource=r, quantity=3)
    n.refresh_from_db()
    assert p.state == "proposed" and n.status == "matched"
    with pytest.raises(ActionError, match="不能“确认对接”"):
        actions.project_step(actor=cast.shequ, project=p, action="agree")
    with pytest.raises(Forbidden, match="承接单位"):
        actions.project_step(actor=cast.shequ, project=p, action="claim")
    p = actions.project_step(actor=cast.wuye, project=p, action="claim")
    with pytest.raises(ActionError, match="不能“开始实施”"):
        actions.project_step(actor=cast.wuye, project=p, action="start")  # skipping 已商定
    p = actions.project_step(actor=cast.shequ, project=p, action="agree")
    p = actions.project_step(actor=cast.wuye, project=p, action="start")
    with pytest.raises(ActionError, match="服务时长"):
        actions.project_step(actor=cast.wuye, project=p, action="finish")
    p = actions.project_step(actor=cast.wuye, project=p, action="finish", hours=Decimal("12.5"))
    n.refresh_from_db()
    assert n.status == "done"
    with pytest.raises(ActionError, match="1 到 5 分"):
        actions.project_step(actor=cast.shequ, project=p, action="evaluate", note="很好", rating=6)
    with pytest.raises(Conflict):
        actions.project_step(actor=cast.shequ, project=p, action="evaluate", note="很好", rating=5, expected_version=0)
    p = actions.project_step(actor=cast.shequ, project=p, action="evaluate", note="灯都修好了，居民满意", rating=5)
    assert p.state == "evaluated" and p.rating == 5
    assert list(ProjectEvent.objects.filter(project=p).values_list("action", flat=True)) == [
        "propose", "claim", "agree", "start", "finish", "evaluate"]
    assert queries.remaining(r) == 2


def test_a_unit_volunteers_for_a_need(cast) -> None:
    n = need(cast)
    p = actions.project_volunteer(actor=cast.wuye, need=n, unit=cast.unit("东方物业"))
    assert p.state == "claimed" and p.unit == cast.unit("东方物业")
    with pytest.raises(Forbidden):
        actions.project_volunteer(actor=cast.bumen, need=n, unit=cast.unit("东方物业"))


def test_a_unit_holds_one_seat_per_committee_term(cast) -> None:
    unit = cast.unit("东方物业")
    s = actions.seat_create(actor=cast.jiedao, unit=unit, committee=street_a(cast), term="2024-2026", duties="每月一次义务维修")
    assert s.committee_label == "西湖街道大工委"
    with pytest.raises(ActionError, match="同一届不能重复"):
        actions.seat_create(actor=cast.jiedao, unit=unit, committee=street_a(cast), term="2024-2026")
    actions.seat_create(actor=cast.jiedao, unit=unit, committee=street_a(cast), term="2027-2029")
    actions.seat_create(actor=cast.shequ, unit=unit, committee=cast.community_a, term="2024-2026")
    with pytest.raises(Forbidden):
        actions.seat_create(actor=cast.shequ_b, unit=unit, committee=cast.community_a, term="2027-2029")
    assert Seat.objects.count() == 3


def xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(actions.UNIT_COLUMNS)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_unit_import_reports_every_bad_row_and_imports_none_of_them(cast) -> None:
    before = Unit.objects.count()
    bad = xlsx([
        ["兰州银行西湖支行", "驻区单位", "瓜州路社区", "王行长", "13912345678", "西湖街1号", "就业创业", "党支部", "李明", 23],
        ["东方物业", "物业公司", "瓜州路社区", "", "", "", "", "", "", ""],
        ["七里河区第一中学", "学校", "火星社区", "", "12", "", "读书", "党小组", "", "很多"],
    ])
    report = actions.units_import(actor=cast.jiedao, content=bad)
    assert not report.ok and [line for line, _ in report.errors] == [3, 4]
    assert "已经登记过" in report.errors[0][1]
    msg = report.errors[1][1]
    assert "类型“学校”不对" in msg and "火星社区" in msg and "手机号" in msg and "读书" in msg and "党员人数" in msg
    assert Unit.objects.count() == before
    good = xlsx([
        ["兰州银行西湖支行", "驻区单位", "瓜州路社区", "王行长", "13912345678", "西湖街1号", "就业创业、扶危解困", "党支部", "李明", 23],
        ["七里河区第一中学", "驻区单位", "西湖街道", "", "", "", "文化科普", "党总支", "", 61],
    ])
    report = actions.units_import(actor=cast.jiedao, content=good)
    assert report.ok and report.created == 2
    bank = Unit.objects.get(name="兰州银行西湖支行")
    assert bank.brands == "jobs,relief" and PartyOrganisation.objects.get(unit=bank).members == 23
    with pytest.raises(ActionError, match="无法读取文件"):
        actions.units_import(actor=cast.jiedao, content=b"not a spreadsheet")
    report = actions.units_import(actor=cast.shequ_b, content=xlsx([["某公司", "驻区单位", "瓜州路社区"] + [""] * 7]))
    assert "不在您的工作范围内" in report.errors[0][1]


def test_signed_agreements_never_change_a_change_is_a_new_version(cast) -> None:
    unit = cast.unit("东方物业")
    fields = {"community": cast.community_a, "unit": unit, "community_duties": "提供议事场地，组织居民参与",
              "unit_duties": "每月一次公共设施义务维修", "starts_on": TODAY, "ends_on": TODAY + dt.timedelta(days=365),
              "community_signatory": "王桂芳", "unit_signatory": "陈立"}
    a = actions.agreement_draft(actor=cast.shequ, **fields)
    a = actions.agreement_draft(actor=cast.shequ, **{**fields, "unit_duties": "每月两次义务维修"})
    assert a.number == 1 and a.unit_duties == "每月两次义务维修"  # the draft was edited
    with pytest.raises(ActionError, match="只支持"):
        actions.agreement_sign(actor=cast.shequ, agreement=a, scan=SimpleUploadedFile("x.pdf", b"hello"))
    a = actions.agreement_sign(actor=cast.shequ, agreement=a,
                               scan=SimpleUploadedFile("签字.pdf", b"%PDF-1.4 signed", content_type="application/pdf"))
    assert a.signed_at is not None and a.scan.name
    with pytest.raises(ActionError, match="已签订"):
        actions.agreement_sign(actor=cast.shequ, agreement=a, scan=SimpleUploadedFile("b.pdf", b"%PDF-1.4 again"))
    v2 = actions.agreement_draft(actor=cast.shequ, **{**fields, "unit_duties": "每周一次义务维修"})
    a.refresh_from_db()
    assert v2.number == 2 and a.unit_duties == "每月两次义务维修"
    with pytest.raises(Forbidden):
        actions.agreement_draft(actor=cast.shequ_b, **fields)


def test_micro_wishes_go_from_published_to_confirmed(cast) -> None:
    w = actions.wish_publish(actor=cast.wangge, area=cast.compound_a, resident_name="刘奶奶", text="想要一台收音机")
    with pytest.raises(ActionError, match="没有在瓜州路社区报到"):
        actions.wish_claim(wish=w, phone="13700001111")
    actions.member_register(actor=cast.shequ, community=cast.community_a, name="赵党员", phone="13700001111",
                            employer=cast.unit("区住建局"))
    with pytest.raises(ActionError, match="已经在本社区报到"):
        actions.member_register(actor=cast.shequ, community=cast.community_a, name="赵党员", phone="13700001111")
    with pytest.raises(ActionError, match="认领后"):
        actions.wish_fulfil(actor=cast.shequ, wish=w, hours=Decimal(2))
    w = actions.wish_claim(wish=w, phone="13700001111")
    with pytest.raises(ActionError, match="已被认领"):
        actions.wish_claim(wish=w, phone="13700001111")
    w = actions.wish_fulfil(actor=cast.shequ, wish=w, hours=Decimal("1.5"))
    w = actions.wish_confirm(actor=cast.shequ, wish=w)
    assert w.state == "confirmed" and w.member.name == "赵党员"
    with pytest.raises(Forbidden):
        actions.wish_confirm(actor=cast.shequ_b, wish=Wish.objects.get())


def test_frequent_low_satisfaction_requests_become_needs(cast) -> None:
    from minqing.tickets.models import Ticket

    for i in range(4):
        t = cast.new_ticket(text=f"楼道灯又坏了第{i}次，报了也没人修", code="WY01")
        Ticket.objects.filter(pk=t.pk).update(satisfaction="unsatisfied" if i < 3 else "satisfied")
    for i in range(2):
        cast.new_ticket(text=f"垃圾没人清运第{i}次了", code="HJ01")
    made = actions.needs_from_hotspots(actor=cast.shequ, community=cast.community_a)
    assert len(made) == 1 and made[0].source == "hotspot" and made[0].households == 4
    assert "近90天 4 件，满意 25%" in made[0].title
    assert actions.needs_from_hotspots(actor=cast.shequ, community=cast.community_a) == []  # not twice


def test_figures_count_what_the_district_reports(cast) -> None:
    n1 = need(cast, brand="housing")
    need(cast, title="社区缺少四点半课堂", brand="culture")
    r = resource(cast, capacity=5)
    p = actions.project_propose(actor=cast.shequ, need=n1, resource=r, quantity=1)
    for step in ["claim", "agree", "start"]:
        p = actions.project_step(actor=cast.wuye if step != "agree" else cast.shequ, project=p, action=step)
    actions.project_step(actor=cast.wuye, project=p, action="finish", hours=Decimal(6))
    actions.member_register(actor=cast.shequ, community=cast.community_a, name="赵党员", phone="13700001111")
    w = actions.wish_publish(actor=cast.shequ, area=cast.community_a, resident_name="刘奶奶", text="修一把轮椅")
    actions.wish_fulfil(actor=cast.shequ, wish=actions.wish_claim(wish=w, phone="13700001111"), hours=Decimal("1.5"))
    today = timezone.localdate()
    fig = queries.figures(areas=[cast.community_a.pk], start=today, end=today)
    assert (fig["needs"], fig["resources"], fig["projects"], fig["matched"], fig["matched_rate"]) == (2, 1, 1, 1, 50.0)
    assert fig["by_state"]["done"] == 1 and fig["wishes_fulfilled"] == 1 and fig["hours"] == Decimal("7.5")
    assert queries.figures(areas=[cast.community_b.pk], start=today, end=today)["needs"] == 0
    assert Project.objects.count() == 1


def test_a_photographed_agreement_is_stored_without_its_location(cast) -> None:
    from PIL import Image

    from minqing.conftest import image_file

    exif = Image.Exif()
    exif[0x8825] = {2: (36.0, 3.0, 0.0)}  # GPS latitude
    a = actions.agreement_draft(actor=cast.shequ, community=cast.community_a, unit=cast.unit("东方物业"),
                                community_duties="场地", unit_duties="维修", starts_on=TODAY,
                                ends_on=TODAY + dt.timedelta(days=30), community_signatory="王桂芳", unit_signatory="陈立")
    a = actions.agreement_sign(actor=cast.shequ, agreement=a, scan=image_file("协议.jpg", exif=exif.tobytes()))
    with a.scan.open("rb") as f:
        assert not Image.open(f).getexif()
