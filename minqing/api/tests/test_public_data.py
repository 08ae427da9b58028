"""What the public reads carries no phone, ID number or name that residents typed; a resident reading their
own request through the API sees the public timeline, not the staff's names and notes."""

from __future__ import annotations

import datetime as dt
import json
from xml.etree import ElementTree as ET

import time_machine
from django.test import Client
from django.utils import timezone

from minqing.evaluation import awards
from minqing.meetings import actions as meeting_actions
from minqing.partnership import actions as list_actions
from minqing.tickets import actions

TYPED = "我叫马桂兰，电话13812345678，身份证620103198001011234。3号楼前的路灯坏了，隔壁王大爷也摔过。"


def test_open311_lists_and_by_id_mask_what_residents_typed(cast) -> None:
    t = cast.new_ticket(text=TYPED, reporter_name="马桂兰")
    staff = Client()
    staff.force_login(cast.shequ)
    assert TYPED in staff.get(f"/tickets/{t.number}/").content.decode()  # the staff page stays complete
    c = Client()
    listed = c.get("/open311/v2/requests.json").json()
    one = c.get(f"/open311/v2/requests/{t.number}.json").json()[0]
    xml = ET.fromstring(c.get(f"/open311/v2/requests/{t.number}.xml").content).findtext("request/description")
    for description in (listed[0]["description"], one["description"], xml):
        assert description == "我叫***，电话138****5678，身份证620*************34。3号楼前的路灯坏了，隔壁*大爷也摔过。"


def test_open311_masks_the_reporters_stored_name_and_the_result(cast) -> None:
    t = cast.new_ticket(text="楼道灯不亮，赵秀英家门口最黑。", reporter_name="赵秀英")
    t = actions.ticket_resolve_on_spot(ticket=t, actor=cast.shequ, result="已联系赵秀英（13912345678），当场换了灯泡。")
    one = Client().get(f"/open311/v2/requests/{t.number}.json").json()[0]
    assert one["description"] == "楼道灯不亮，***家门口最黑。"
    assert "赵秀英" not in one["status_notes"] and "13912345678" not in one["status_notes"]
    assert "当场换了灯泡" in one["status_notes"]


def handled_for_the_resident(cast):
    t = cast.new_ticket(reporter_user=cast.jumin, reporter_name="杨永红")
    t = actions.ticket_accept(ticket=t, actor=cast.shequ, note="内部：此人反映过多次，注意态度")
    t = actions.ticket_dispatch(ticket=t, actor=cast.shequ, unit=cast.unit("区住建局"), note="内部：请郭科长亲自处理")
    t = actions.ticket_sign(ticket=t, actor=cast.zhujian)
    actions.ticket_add_progress(ticket=t, actor=cast.zhujian, note="内部：预算还没批")
    return actions.ticket_resolve(ticket=t, actor=cast.zhujian, result="已更换路灯灯头，恢复照明。")


def test_a_resident_reads_the_public_timeline_of_their_own_request(cast) -> None:
    t = handled_for_the_resident(cast)
    resident = Client()
    resident.force_login(cast.jumin)
    r = resident.get(f"/api/v1/requests/{t.number}")
    assert r.status_code == 200, r.content
    seen = r.json()
    assert [e["label"] for e in seen["timeline"]] == ["诉求已登记", "社区已受理", "已交由区住建局办理", "办理单位已签收", "已办结"]
    assert seen["timeline"][-1]["note"] == "已更换路灯灯头，恢复照明。"
    assert {e["actor"] for e in seen["timeline"]} == {""}
    assert seen["clocks"] == [] and seen["applications"] == [] and seen["parts"] == []
    assert seen["allowed_actions"] == ["callback"] and seen["reporter_name"] == "杨永红"
    body = r.content.decode()
    for staff_only in ("内部", cast.shequ.full_name, cast.zhujian.full_name):
        assert staff_only not in body
    # the district supervisor reads the whole record through the same address
    supervisor = Client()
    supervisor.force_login(cast.duban)
    full = supervisor.get(f"/api/v1/requests/{t.number}").json()
    assert cast.zhujian.full_name in {e["actor"] for e in full["timeline"]}
    assert "内部：预算还没批" in {e["note"] for e in full["timeline"]} and "dispatch" in [e["action"] for e in full["timeline"]]


def test_a_resident_may_only_rate_their_own_resolved_request(cast) -> None:
    t = handled_for_the_resident(cast)
    resident = Client()
    resident.force_login(cast.jumin)
    refused = resident.post(f"/api/v1/requests/{t.number}/actions/accept", "{}", content_type="application/json")
    assert refused.status_code == 403 and "评价" in refused.json()["message"]
    rated = resident.post(f"/api/v1/requests/{t.number}/actions/callback",
                          json.dumps({"solved": True, "satisfaction": "satisfied"}), content_type="application/json")
    assert rated.status_code == 200, rated.content
    assert rated.json()["status"] == "closed" and rated.json()["allowed_actions"] == []
    assert rated.json()["timeline"][-1]["label"] == "已回访，结案"
    others = cast.new_ticket()  # someone else's request is not there at all
    assert resident.get(f"/api/v1/requests/{others.number}").status_code == 404


def test_the_meeting_notice_board_masks_names_and_phones(cast) -> None:
    with_name = cast.new_ticket(reporter_name="马桂兰")
    m = meeting_actions.meeting_create(
        actor=cast.shequ, kind="compound", topic="马桂兰反映的充电桩问题（电话13812345678）", place="协商议事厅",
        starts_at=timezone.now() + dt.timedelta(days=3), area=cast.compound_a, chair="王桂芳")
    meeting_actions.participant_add(meeting=m, actor=cast.shequ, kind="resident", name="刘建华", phone="13912345678")
    meeting_actions.agenda_add(meeting=m, actor=cast.shequ, ticket=with_name)
    with time_machine.travel(timezone.now() + dt.timedelta(days=3, hours=1)):
        m = meeting_actions.meeting_record_attendance(meeting=m, actor=cast.shequ, others=20,
                                                      attended=list(m.participants.values_list("pk", flat=True)))
        meeting_actions.motion_record(meeting=m, actor=cast.shequ, text="同意刘建华提出的在3号楼北侧装充电桩",
                                      votes_for=18, votes_against=2, votes_abstain=1)
        meeting_actions.meeting_publish_notice(meeting=m, actor=cast.shequ)
        page = Client().get(f"/r/notices/{cast.community_a.code}/").content.decode()
    assert "***反映的充电桩问题（电话138****5678）" in page and "同意***提出的在3号楼北侧装充电桩" in page
    assert "马桂兰" not in page and "刘建华" not in page and "13812345678" not in page


def test_the_wish_wall_and_the_award_list_mask_what_was_typed(cast) -> None:
    list_actions.wish_publish(actor=cast.shequ, area=cast.community_a, resident_name="刘奶奶",
                              text="刘奶奶想要一个助行器，联系13812345678")
    wall = Client().get(f"/r/wishes/{cast.community_a.code}/").content.decode()
    assert "想要一个助行器，联系138****5678" in wall and "刘奶奶想要" not in wall
    year = timezone.localdate().year
    n = awards.nominate(actor=cast.duban, year=year, kind=awards.kinds()[0][0], community=cast.community_a,
                        nominee="王桂芳", reason="扎根社区二十年，组织居民说事一百多次，帮助独居老人解决实际困难。")
    awards.decide(actor=cast.duban, nomination=n, won=True,
                  citation="王桂芳同志扎根社区二十年，常年照顾独居的李奶奶（电话13912345678）。")
    winners = Client().get(f"/r/awards/{year}/").content.decode()
    assert "王桂芳同志扎根社区二十年，常年照顾独居的*奶奶（电话139****5678）。" in winners


def test_a_merged_reporter_reads_the_other_request_masked_and_their_own_in_full(cast) -> None:
    first = cast.new_ticket(reporter_name="赵秀英")
    second = cast.new_ticket(reporter_name="杨永红", reporter_user=cast.jumin)
    actions.ticket_merge(ticket=second, actor=cast.shequ, into_number=first.number)
    actions.ticket_resolve_on_spot(ticket=first, actor=cast.shequ, result="已联系赵秀英（13912345678），换了灯泡。")
    resident = Client()
    resident.force_login(cast.jumin)
    page = resident.get(f"/r/t/{second.number}/").content.decode()
    assert "已联系***（139****5678），换了灯泡。" in page and "赵秀英" not in page
