"""The pages: projects from a hotspot, a meeting's resolution or 问题工单; the public 每月一题; the knowledge base
suggested at intake and put into a 咨询's reply."""

from __future__ import annotations

import datetime as dt
import io
import json
import re

import openpyxl
from django.test import Client
from django.utils import timezone

from minqing.conftest import settle
from minqing.governance import actions
from minqing.governance.models import KnowledgeEntry, KnowledgeUse, Project, ProjectTicket, Source
from minqing.tickets.models import TicketType
from minqing.tickets.tests.test_views import client_for


def _project(cast, **kw) -> Project:
    today = timezone.localdate()
    fields = {"actor": cast.jiedao, "title": "瓜州路社区路灯专项治理", "lead_unit": cast.unit("瓜州路社区居委会"),
              "start_date": today - dt.timedelta(days=10), "deadline": today + dt.timedelta(days=80),
              "area": cast.community_a, "keywords": "路灯"}
    fields.update(kw)
    return actions.project_create(**fields)


def test_a_hotspot_offers_a_project_and_the_form_comes_filled(cast) -> None:
    for _ in range(3):
        cast.new_ticket()
    c = client_for(cast.jiedao)
    html = c.get("/triage/hotspots/").content.decode()
    link = re.search(r'href="(/governance/new/\?from=hotspot[^"]+)"', html)
    assert link, "the hotspot row links to 设立治理专项"
    form = c.get(link.group(1).replace("&amp;", "&")).content.decode()
    assert "路灯" in form and 'value="hotspot"' in form


def test_setting_up_a_project_from_the_form_links_the_requests(cast) -> None:
    t = cast.new_ticket()
    today = timezone.localdate()
    c = client_for(cast.jiedao)
    r = c.post("/governance/new/", {
        "title": "路灯专项", "area": cast.community_a.pk, "keywords": "路灯", "lead_unit": cast.unit("瓜州路社区居委会").pk,
        "target_kind": "volume", "target_value": 30, "start_date": today.isoformat(),
        "deadline": (today + dt.timedelta(days=60)).isoformat(), "baseline_months": 3, "source": "manual"})
    project = Project.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/governance/{project.pk}/"
    assert ProjectTicket.objects.filter(project=project, ticket=t).exists()
    settle()  # the evaluation's facts follow the request's events
    page = c.get(r["Location"]).content.decode()
    data = json.loads(re.search(r'<script id="gov-chart" type="application/json">(.*?)</script>', page, re.S).group(1))
    assert data["after"][-1] == 1 and data["before"][-1] is None
    book = c.get(r["Location"] + "?format=xlsx")
    assert book["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = openpyxl.load_workbook(io.BytesIO(book.content))
    assert wb.sheetnames == ["对比", "按月", "按社区"]
    months = [[c.value for c in row] for row in wb["按月"].iter_rows(min_row=2)]
    assert months[-1][:3] == [data["labels"][-1], 0, 1]  # the same numbers as the chart
    assert [[c.value for c in row] for row in wb["按社区"].iter_rows(min_row=2)][0][:3] == ["瓜州路社区", 0, 1]


def test_a_bad_form_keeps_what_was_typed_and_says_why(cast) -> None:
    today = timezone.localdate()
    r = client_for(cast.jiedao).post("/governance/new/", {
        "title": "全区专项", "lead_unit": cast.unit("瓜州路社区居委会").pk, "area": cast.community_a.pk,
        "target_kind": "volume", "target_value": 30, "start_date": today.isoformat(),
        "deadline": (today + dt.timedelta(days=60)).isoformat(), "baseline_months": 3})
    assert r.status_code == 200 and "至少设定" in r.content.decode() and 'value="全区专项"' in r.content.decode()
    assert not Project.objects.exists()


def test_problem_tickets_become_a_project_with_exactly_those_requests(cast) -> None:
    a, b = cast.new_ticket(text="楼道里堆满杂物"), cast.new_ticket(text="消防通道被堵")
    today = timezone.localdate()
    c = client_for(cast.jiedao)
    form = c.get(f"/governance/new/?from=problems&numbers={a.number}&numbers={b.number}").content.decode()
    assert a.number in form and b.number in form
    # what they share is offered as the definition: one category, one community
    assert f'<option value="{cast.category().pk}" selected>' in form
    assert f'<option value="{cast.community_a.pk}" selected>' in form
    c.post("/governance/new/", {
        "title": "楼道杂物", "area": cast.community_a.pk, "keywords": "杂物", "lead_unit": cast.unit("瓜州路社区居委会").pk,
        "target_kind": "volume", "target_value": 30, "start_date": today.isoformat(),
        "deadline": (today + dt.timedelta(days=60)).isoformat(), "baseline_months": 3, "source": "problems",
        "numbers": f"{a.number}\n{b.number}"})
    project = Project.objects.get()
    assert project.source == Source.PROBLEMS
    assert set(ProjectTicket.objects.filter(project=project).values_list("ticket__number", flat=True)) == {a.number, b.number}


def test_only_district_and_street_officers_may_set_one_up(cast) -> None:
    assert client_for(cast.shequ).get("/governance/new/").status_code == 404
    assert client_for(cast.shequ).get("/governance/").status_code == 200
    assert "设立专项" not in client_for(cast.shequ).get("/governance/").content.decode()


def test_the_lead_unit_adds_and_completes_milestones_on_the_page(cast) -> None:
    project = _project(cast, lead_unit=cast.unit("区城市管理行政执法局"))
    c = client_for(cast.bumen)
    c.post(f"/governance/{project.pk}/milestone/", {"title": "排查路灯", "due_date": "2026-12-31"})
    m = project.milestones.get()
    c.post(f"/governance/{project.pk}/done/", {"milestone": m.pk, "note": "已排查"})
    m.refresh_from_db()
    assert m.done_by == cast.bumen
    r = client_for(cast.zhujian).post(f"/governance/{project.pk}/milestone/", {"title": "x", "due_date": "2026-12-31"},
                                      follow=True)
    assert "只有牵头单位" in r.content.decode() and project.milestones.count() == 1


def test_the_monthly_list_is_public_and_shows_progress(cast) -> None:
    cast.new_ticket()
    _project(cast)
    _project(cast, title="不公示的专项", public=False)
    done = _project(cast, title="楼道灯专项")
    actions.project_close(project=done, actor=cast.jiedao, status="done", result="已修好，联系人电话13912345678。")
    html = Client().get("/r/monthly/").content.decode()
    assert "楼道灯专项" in html and "13912345678" not in html and "139****5678" in html
    assert "瓜州路社区路灯专项治理" in html and "不公示的专项" not in html
    assert "张大妈" not in html and "138" not in html
    assert "/r/monthly/" in Client().get("/r/notices/").content.decode()


def _entry(cast, **kw) -> KnowledgeEntry:
    fields = {"actor": cast.shequ, "question": "怎样申请最低生活保障（低保）？", "keywords": "低保 最低生活保障",
              "answer": "由本人向户籍所在地街道提出书面申请，社区协助收集材料。", "citation": "（示例）社会救助相关规定",
              "category": cast.category("JZ01")}
    fields.update(kw)
    return actions.knowledge_save(**fields)


def test_intake_suggests_entries_for_an_enquiry_only(cast) -> None:
    e = _entry(cast)
    _entry(cast, question="垃圾怎么分类？", keywords="垃圾分类 厨余", answer="分四类。", category=cast.category("HJ02"))
    c = client_for(cast.shequ)
    html = c.post("/knowledge/suggest/", {"text": "我想问一下低保怎么申请，要什么材料", "type": TicketType.ENQUIRY,
                                          "category": cast.category("JZ01").pk}).content.decode()
    assert e.question in html and "垃圾怎么分类" not in html
    assert c.post("/knowledge/suggest/", {"text": "我想问一下低保怎么申请", "type": TicketType.HELP}).content == b""
    assert 'id="kb-suggest"' in c.get("/tickets/new/").content.decode()


def test_an_answer_goes_into_the_reply_and_is_counted(cast) -> None:
    e = _entry(cast)
    t = cast.new_ticket(type=TicketType.ENQUIRY, code="JZ01", text="请问低保怎么申请？")
    c = client_for(cast.shequ)
    act = c.get(f"/tickets/{t.number}/resolve_on_spot/").content.decode()
    assert f"/knowledge/suggest/?ticket={t.number}" in act
    assert e.question in c.get(f"/knowledge/suggest/?ticket={t.number}").content.decode()
    r = c.post(f"/knowledge/{e.pk}/use/", {"ticket": t.number}).content.decode()
    assert 'id="id_result"' in r and 'hx-swap-oob="true"' in r and "书面申请" in r
    c.post(f"/knowledge/{e.pk}/use/", {})  # read out at intake: counted, nothing to fill
    e.refresh_from_db()
    assert e.uses == 2
    assert list(KnowledgeUse.objects.order_by("id").values_list("where", "ticket", "user")) == [
        ("reply", t.pk, cast.shequ.pk), ("intake", None, cast.shequ.pk)]


def test_a_request_outside_the_scope_is_not_answered_from_it(cast) -> None:
    e = _entry(cast)
    t = cast.new_ticket(type=TicketType.ENQUIRY, code="JZ01", text="请问低保怎么申请？")
    c = client_for(cast.shequ_b)
    assert c.get(f"/knowledge/suggest/?ticket={t.number}").status_code == 404
    assert c.post(f"/knowledge/{e.pk}/use/", {"ticket": t.number}).status_code == 404
    e.refresh_from_db()
    assert e.uses == 0


def test_entries_are_kept_with_who_changed_them(cast) -> None:
    c = client_for(cast.shequ)
    r = c.post("/knowledge/new/", {"question": "居住证怎么办？", "answer": "带身份证到派出所。", "citation": "",
                                   "keywords": "居住证", "category": "", "active": "on"})
    assert r.status_code == 302
    e = KnowledgeEntry.objects.get()
    c2 = client_for(cast.shuji)
    c2.post(f"/knowledge/{e.pk}/", {"question": "居住证怎么办理？", "answer": "带身份证和居住证明到派出所。",
                                    "keywords": "居住证", "category": "", "active": "on"})
    e.refresh_from_db()
    assert (e.question, e.created_by, e.updated_by) == ("居住证怎么办理？", cast.shequ, cast.shuji)
    assert "请填写答复口径" in c.post("/knowledge/new/", {"question": "x", "answer": ""}).content.decode()


def test_the_project_is_ended_with_its_result_once(cast) -> None:
    project = _project(cast)
    c = client_for(cast.jiedao)
    assert "请填写成效或撤销原因" in c.post(f"/governance/{project.pk}/close/", {"status": "done", "result": ""},
                                        follow=True).content.decode()
    project.refresh_from_db()
    assert project.status == "running"
    c.post(f"/governance/{project.pk}/close/", {"status": "done", "result": "路灯全部修好，两个月没有再反映。",
                                                "version": project.version})
    project.refresh_from_db()
    assert (project.status, project.result) == ("done", "路灯全部修好，两个月没有再反映。")
    again = c.post(f"/governance/{project.pk}/close/", {"status": "cancelled", "result": "x", "version": project.version},
                   follow=True).content.decode()
    assert "已经结束" in again
    project.refresh_from_db()
    assert project.status == "done" and project.log.filter(action="done", actor=cast.jiedao).exists()


def test_a_meetings_resolution_becomes_a_project(cast) -> None:
    from minqing.meetings import actions as meetings

    m = meetings.meeting_create(actor=cast.shequ, kind="talk", topic="路灯", place="居民说事厅", area=cast.community_a,
                                starts_at=timezone.now() - dt.timedelta(hours=1), chair="王桂芳")
    meetings.meeting_record_attendance(meeting=m, actor=cast.shequ, attended=[], others=10)
    r = meetings.resolution_add(meeting=m, actor=cast.shequ, text="院内加装20盏路灯", owner=cast.unit("东方物业"),
                                due_date=timezone.localdate() + dt.timedelta(days=30))
    link = f"/governance/new/?from=resolution&amp;resolution={r.pk}"
    assert link in client_for(cast.duban).get(f"/meetings/{m.pk}/").content.decode()
    assert link not in client_for(cast.shequ).get(f"/meetings/{m.pk}/").content.decode()  # may not set one up
    form = client_for(cast.duban).get(link.replace("&amp;", "&")).content.decode()
    assert "院内加装20盏路灯" in form and 'value="resolution"' in form
    assert f'<option value="{cast.unit("东方物业").pk}" selected>' in form
