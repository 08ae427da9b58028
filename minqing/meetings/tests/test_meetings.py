"""Meetings: notice periods, quorum and votes, resolutions tracked to completion, minutes versions,
public notice without personal data, and who may see or do what."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from minqing.conftest import image_file, settle
from minqing.lib.errors import ActionError, Forbidden
from minqing.meetings import actions, queries
from minqing.meetings.models import Meeting, MeetingEvent, Motion, Participant, Resolution
from minqing.notifications.models import Notification, OutboundMessage
from minqing.tickets import actions as ticket_actions

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as t:
        yield t


def plan(cast, *, kind: str = "compound", days: float = 3, entitled: int = 0, actor=None, area=None) -> Meeting:
    return actions.meeting_create(
        actor=actor or cast.shequ, kind=kind, topic="小区电动车充电桩安装位置", place="协商议事厅",
        starts_at=timezone.now() + dt.timedelta(days=days), area=area or cast.compound_a, chair="王桂芳",
        entitled=entitled)


def held(cast, frozen, *, kind: str = "compound", entitled: int = 0, present: int = 20) -> Meeting:
    m = plan(cast, kind=kind, entitled=entitled, days=8)
    frozen.shift(dt.timedelta(days=8, hours=1))
    return actions.meeting_record_attendance(meeting=m, actor=cast.shequ, attended=[], others=present)


def test_notice_period_and_place_follow_the_kind(cast, frozen) -> None:
    with pytest.raises(ActionError, match="须提前 7 天通知"):
        plan(cast, kind="residents", days=3, entitled=100, area=cast.community_a)
    with pytest.raises(ActionError, match="请选到具体的小区/楼院"):
        plan(cast, kind="compound", area=cast.community_a)
    with pytest.raises(ActionError, match="请填写应到人数"):
        plan(cast, kind="residents", days=8, area=cast.community_a)
    with pytest.raises(Forbidden, match="瓜州路社区居委会召集"):
        plan(cast, actor=cast.shequ_b)
    with pytest.raises(ActionError, match="由街道召集"):
        plan(cast, kind="street_joint", actor=cast.jiedao, area=cast.community_a, entitled=9)
    street = plan(cast, kind="street_joint", actor=cast.jiedao, area=cast.community_a.parent, entitled=9, days=4)
    assert street.convener.name == "西湖街道办事处" and street.community is None
    assert Meeting.objects.count() == 1
    m = plan(cast, kind="residents", days=8, entitled=100, area=cast.community_a)
    assert m.convener.name == "瓜州路社区居委会" and m.status == "planned"
    assert MeetingEvent.objects.filter(meeting=m, action="create").count() == 1


def test_invitations_reach_units_and_residents_within_the_notice_period(cast, frozen) -> None:
    m = plan(cast, kind="community_joint", entitled=3, days=5, area=cast.community_a)
    assert actions.invite_units(meeting=m, actor=cast.shequ) >= 1  # 东方物业 sits in 瓜州路社区
    assert m.participants.filter(unit=cast.unit("东方物业")).exists()
    with pytest.raises(ActionError, match="参会对象"):
        actions.participant_add(meeting=m, actor=cast.shequ, kind="resident", name="王大爷", phone="13912345678")
    actions.participant_add(meeting=m, actor=cast.shequ, kind="party_member", name="刘党员", phone="13912345678")
    assert actions.meeting_invite(meeting=m, actor=cast.shequ) == m.participants.count()
    assert Notification.objects.filter(recipient=cast.wuye, kind="meeting").count() == 1
    assert OutboundMessage.objects.filter(to="13912345678", template="meeting_notice").count() == 1
    with pytest.raises(ActionError, match="没有尚未通知的参会人"):
        actions.meeting_invite(meeting=m, actor=cast.shequ)
    actions.participant_add(meeting=m, actor=cast.shequ, kind="staff", name="李秀兰")
    frozen.shift(dt.timedelta(days=3))  # two days before: too late for a 3-day notice
    with pytest.raises(ActionError, match="已来不及"):
        actions.meeting_invite(meeting=m, actor=cast.shequ)
    assert m.participants.filter(invited_at=None).count() == 1


def test_no_vote_before_the_meeting_and_no_more_votes_than_people(cast, frozen) -> None:
    m = plan(cast, days=3)
    with pytest.raises(ActionError, match="尚未召开"):
        actions.motion_record(meeting=m, actor=cast.shequ, text="在3号楼北侧安装充电桩", votes_for=5, votes_against=0,
                              votes_abstain=0)
    with pytest.raises(ActionError, match="还没有开始"):
        actions.meeting_record_attendance(meeting=m, actor=cast.shequ, attended=[], others=10)
    frozen.shift(dt.timedelta(days=3, minutes=30))
    m = actions.meeting_record_attendance(meeting=m, actor=cast.shequ, attended=[], others=21)
    with pytest.raises(ActionError, match="超过实到人数 21"):
        actions.motion_record(meeting=m, actor=cast.shequ, text="安装充电桩", votes_for=20, votes_against=2,
                              votes_abstain=0)
    tie = actions.motion_record(meeting=m, actor=cast.shequ, text="安装在南门", votes_for=10, votes_against=10,
                                votes_abstain=1)
    yes = actions.motion_record(meeting=m, actor=cast.shequ, text="安装在3号楼北侧", votes_for=11, votes_against=9,
                                votes_abstain=1)
    # compound consultations: more than half of the votes cast (21) → 10 fails, 11 passes
    assert (tie.passed, yes.passed) == (False, True)
    assert Motion.objects.filter(meeting=m).count() == 2


def test_quorum_decides_whether_a_residents_meeting_may_vote(cast, frozen) -> None:
    m = plan(cast, kind="residents", days=8, entitled=100, area=cast.community_a)
    frozen.shift(dt.timedelta(days=8, hours=1))
    m = actions.meeting_record_attendance(meeting=m, actor=cast.shequ, attended=[], others=50)
    assert m.quorum_met is False  # 50 of 100 is not more than half
    with pytest.raises(ActionError, match="未达到法定人数"):
        actions.motion_record(meeting=m, actor=cast.shequ, text="增设羽毛球场", votes_for=50, votes_against=0,
                              votes_abstain=0)
    with pytest.raises(ActionError, match="不能形成决议"):
        actions.resolution_add(meeting=m, actor=cast.shequ, text="增设羽毛球场", owner=cast.unit("东方物业"),
                               due_date=dt.date(2026, 12, 31))
    item = actions.agenda_add(meeting=m, actor=cast.shequ, title="增设羽毛球场")
    actions.agenda_discuss(item=item, actor=cast.shequ, discussion="多数人赞成，下次会议表决")  # discussion is fine
    assert Motion.objects.count() == 0 and Resolution.objects.count() == 0

    m2 = plan(cast, kind="residents", days=8, entitled=100, area=cast.community_a)
    frozen.shift(dt.timedelta(days=8, hours=1))
    m2 = actions.meeting_record_attendance(meeting=m2, actor=cast.shequ, attended=[], others=51)
    assert m2.quorum_met is True
    # residents' meetings: more than half of those present (51), abstentions or not
    assert actions.motion_record(meeting=m2, actor=cast.shequ, text="增设羽毛球场", votes_for=26, votes_against=10,
                                 votes_abstain=0).passed
    assert not actions.motion_record(meeting=m2, actor=cast.shequ, text="拆除旧车棚", votes_for=25, votes_against=1,
                                     votes_abstain=0).passed


def test_a_request_on_the_agenda_is_resolved_through_the_meeting(cast, frozen) -> None:
    ticket = cast.new_ticket(text="小区里电动车都推到楼道里充电，太危险了，能不能装几个充电桩")
    m = plan(cast, days=3)
    actions.agenda_add(meeting=m, actor=cast.shequ, ticket=ticket)
    with pytest.raises(ActionError, match="已在本次会议议程中"):
        actions.agenda_add(meeting=m, actor=cast.shequ, ticket=ticket)
    assert ticket.events.filter(action="agenda").count() == 1
    frozen.shift(dt.timedelta(days=3, hours=1))
    actions.meeting_record_attendance(meeting=m, actor=cast.shequ, attended=[], others=30)
    item = m.agenda.get()
    no = actions.motion_record(meeting=m, actor=cast.shequ, text="不装", votes_for=3, votes_against=27,
                               votes_abstain=0, agenda_item=item)
    with pytest.raises(ActionError, match="未获通过"):
        actions.resolution_add(meeting=m, actor=cast.shequ, text="不装", owner=cast.unit("东方物业"),
                               due_date=dt.date(2026, 12, 31), motion=no)
    yes = actions.motion_record(meeting=m, actor=cast.shequ, text="在3号楼北侧装12个充电桩", votes_for=25,
                                votes_against=3, votes_abstain=2, agenda_item=item)
    r = actions.resolution_add(meeting=m, actor=cast.shequ, text="物业在3号楼北侧安装12个充电桩",
                               owner=cast.unit("东方物业"), due_date=dt.date(2026, 12, 20), motion=yes)
    assert r.ticket == ticket and r.state == "落实中"
    assert ticket.events.filter(action="meeting_resolution").count() == 1
    assert Notification.objects.filter(recipient=cast.wuye, title__contains="议事决议交办").exists()

    ticket_actions.ticket_accept(ticket=ticket, actor=cast.shequ)
    ticket_actions.ticket_dispatch(ticket=ticket, actor=cast.shequ, unit=cast.unit("东方物业"))
    ticket_actions.ticket_sign(ticket=ticket, actor=cast.wuye)
    frozen.shift(dt.timedelta(days=5))
    ticket_actions.ticket_resolve(ticket=ticket, actor=cast.wuye, result="12个充电桩已装好通电")
    settle()  # the meetings consumer completes the resolution once the request's step has committed
    r.refresh_from_db()
    assert r.done_at is not None and r.on_time is True and r.state == "按期完成"
    fig = queries.figures(Meeting.objects.all(), today=timezone.localdate())
    assert (fig["meetings"], fig["matters"], fig["requests_discussed"], fig["resolutions"], fig["solved"],
            fig["on_time"], fig["due"], fig["on_time_rate"]) == (1, 1, 1, 1, 1, 1, 1, 100.0)


def test_on_time_rate_counts_late_and_overdue_resolutions(cast, frozen) -> None:
    m = held(cast, frozen)
    owner = cast.unit("东方物业")
    due = timezone.localdate() + dt.timedelta(days=2)
    early = actions.resolution_add(meeting=m, actor=cast.shequ, text="修路灯", owner=owner, due_date=due)
    late = actions.resolution_add(meeting=m, actor=cast.shequ, text="清理楼道", owner=owner, due_date=due)
    actions.resolution_add(meeting=m, actor=cast.shequ, text="装长椅", owner=owner, due_date=due)  # never done
    actions.resolution_add(meeting=m, actor=cast.shequ, text="划车位", owner=owner, due_date=due + dt.timedelta(days=30))
    actions.resolution_complete(resolution=early, actor=cast.wuye, note="已修好")
    with pytest.raises(Forbidden):
        actions.resolution_complete(resolution=late, actor=cast.shequ_b, note="已清理")
    frozen.shift(dt.timedelta(days=3))
    late = actions.resolution_complete(resolution=late, actor=cast.wuye, note="已清理")
    assert late.state == "超期完成"
    fig = queries.figures(Meeting.objects.all(), today=timezone.localdate())
    # done on time 1; due = 2 done + 1 open past its deadline (the fourth is not yet due)
    assert (fig["solved"], fig["on_time"], fig["due"], fig["on_time_rate"]) == (2, 1, 3, 33.3)


def test_a_resolution_can_become_a_new_request_for_its_owner(cast, frozen) -> None:
    m = held(cast, frozen)
    r = actions.resolution_add(meeting=m, actor=cast.shequ, text="楼院路灯由物业更换", owner=cast.unit("东方物业"),
                               due_date=timezone.localdate() + dt.timedelta(days=10),
                               new_request_category=cast.category("WY01"))
    t = r.ticket
    assert t.channel == "meeting" and t.status == "assigned" and t.handling_unit == cast.unit("东方物业")
    assert t.events.filter(action="meeting_resolution").exists()


def test_published_minutes_never_change_corrections_are_new_versions(cast, frozen) -> None:
    m = held(cast, frozen)
    actions.minutes_save(meeting=m, actor=cast.shequ, text="会议决定安装充电桩。", files=[image_file("签到表.jpg")])
    v1 = actions.minutes_save(meeting=m, actor=cast.shequ, text="会议决定在3号楼北侧安装充电桩。")
    assert v1.number == 1 and v1.attachments.count() == 1  # the draft was edited, not duplicated
    actions.minutes_publish(minutes=v1, actor=cast.shequ)
    with pytest.raises(ActionError, match="已经发布"):
        actions.minutes_publish(minutes=v1, actor=cast.shequ)
    with pytest.raises(ActionError, match="请填写更正说明"):
        actions.minutes_save(meeting=m, actor=cast.shequ, text="改过的纪要")
    v2 = actions.minutes_save(meeting=m, actor=cast.shequ, text="会议决定在3号楼北侧安装12个充电桩。",
                              correction_note="补充数量")
    v1.refresh_from_db()
    assert v2.number == 2 and v1.text == "会议决定在3号楼北侧安装充电桩。" and v1.published_at is not None
    m.refresh_from_db()
    assert m.status == "archived"
    with pytest.raises(ActionError, match="不是有效的 PDF"):
        actions.minutes_save(meeting=m, actor=cast.shequ, text="x", correction_note="y",
                             files=[SimpleUploadedFile("签名.pdf", b"not a pdf", content_type="application/pdf")])
    with pytest.raises(ActionError, match="归档"):
        actions.motion_record(meeting=m, actor=cast.shequ, text="再表决", votes_for=1, votes_against=0,
                              votes_abstain=0)


def test_public_notice_shows_results_without_personal_data(cast, frozen) -> None:
    m = plan(cast, days=3)
    actions.participant_add(meeting=m, actor=cast.shequ, kind="resident", name="王建华", phone="13912345678")
    frozen.shift(dt.timedelta(days=3, hours=1))
    actions.meeting_record_attendance(meeting=m, actor=cast.shequ, attended=list(m.participants.values_list("pk", flat=True)),
                                      others=20)
    actions.motion_record(meeting=m, actor=cast.shequ, text="在3号楼北侧装充电桩", votes_for=18, votes_against=2,
                          votes_abstain=1)
    anon = Client()
    board = f"/r/notices/{cast.community_a.code}/"
    assert "在3号楼北侧装充电桩" not in anon.get(board).content.decode()  # not yet published
    actions.meeting_publish_notice(meeting=m, actor=cast.shequ)
    page = anon.get(board).content.decode()
    assert "在3号楼北侧装充电桩" in page and "赞成 18" in page and "通过" in page
    assert "王建华" not in page and "13912345678" not in page and "5678" not in page
    assert cast.community_a.name in anon.get("/r/notices/").content.decode()
    frozen.shift(dt.timedelta(days=5, hours=1))  # the 5-day notice period has ended
    assert "在3号楼北侧装充电桩" not in anon.get(board).content.decode()


def test_outsiders_cannot_see_or_change_a_meeting(cast, frozen) -> None:
    m = plan(cast, days=3)
    url = f"/meetings/{m.pk}/"
    seen = {}
    for name in ["shequ", "shuji", "wangge", "jiedao", "duban", "shequ_b", "jiedao_b", "bumen", "wuye", "jumin"]:
        c = Client()
        c.force_login(getattr(cast, name))
        seen[name] = c.get(url).status_code
    assert seen == {"shequ": 200, "shuji": 200, "wangge": 200, "jiedao": 200, "duban": 200, "shequ_b": 404,
                    "jiedao_b": 404, "bumen": 404, "wuye": 404, "jumin": 404}
    assert Client().get(url).status_code == 302  # to the login page
    c = Client()
    c.force_login(cast.shequ_b)
    assert c.post(f"{url}agenda/", {"title": "偷偷加的议题"}).status_code == 404
    c.force_login(cast.jiedao)  # oversight sees, but only the convener runs the meeting
    c.post(f"{url}agenda/", {"title": "街道加的议题"})
    assert m.agenda.count() == 0
    actions.participant_add(meeting=m, actor=cast.shequ, kind="unit", unit=cast.unit("东方物业"))
    c.force_login(cast.wuye)  # an invited unit sees the meeting it was invited to
    assert c.get(url).status_code == 200
    c.force_login(cast.shequ)
    r = c.post(f"{url}agenda/", {"title": "楼道杂物清理"}, follow=True)
    assert "已列入议程" in r.content.decode() and m.agenda.count() == 1


def test_request_page_offers_submit_to_meeting(cast, frozen) -> None:
    ticket = cast.new_ticket(text="楼下的流浪狗越来越多，晚上叫个不停")
    m = plan(cast, days=3)
    c = Client()
    c.force_login(cast.shequ)
    panel = c.get(f"/meetings/for-request/{ticket.number}/").content.decode()
    assert "提交议事" in panel and m.topic in panel
    r = c.post(f"/meetings/for-request/{ticket.number}/", {"meeting": m.pk}, follow=True)
    assert "已提交议事" in r.content.decode()
    assert m.agenda.filter(ticket=ticket).exists()
    c.force_login(cast.shequ_b)
    assert c.get(f"/meetings/for-request/{ticket.number}/").status_code == 404


def test_meeting_form_answers_in_chinese_and_keeps_input(cast, frozen) -> None:
    c = Client()
    c.force_login(cast.shequ)
    r = c.post("/meetings/new/", {"kind": "residents", "topic": "选举业委会", "starts_at": "2026-12-03T15:00",
                                  "place": "居民说事厅", "area": cast.community_a.pk, "chair": "王桂芳", "entitled": "300"})
    page = r.content.decode()
    assert r.status_code == 200 and "须提前 7 天通知" in page and "选举业委会" in page
    assert Meeting.objects.count() == 0
    r = c.post("/meetings/new/", {"kind": "residents", "topic": "选举业委会", "starts_at": "2026-12-10T15:00",
                                  "place": "居民说事厅", "area": cast.community_a.pk, "chair": "王桂芳", "entitled": "300"})
    assert r.status_code == 302 and Meeting.objects.get().entitled == 300
    assert Participant.objects.count() == 0


def test_joint_meetings_invite_the_units_holding_a_seat(cast, frozen) -> None:
    from minqing.partnership import actions as lists

    street = cast.community_a.parent
    lists.seat_create(actor=cast.jiedao, unit=cast.unit("区住建局"), committee=street, term="2025-2027")
    lists.seat_create(actor=cast.jiedao, unit=cast.unit("区卫健局"), committee=street, term="2020-2022")  # expired
    m = plan(cast, kind="street_joint", actor=cast.jiedao, area=street, entitled=5, days=4)
    assert actions.invite_units(meeting=m, actor=cast.jiedao) == 1
    assert list(m.participants.values_list("name", flat=True)) == ["区住建局"]
