"""评优 and the case book: nominate, decide, publish winners; mark exemplary requests and print them."""

from __future__ import annotations

import io

from django.test import Client
from docx import Document

from minqing.evaluation.models import Nomination, NominationStatus
from minqing.tickets.models import Ticket


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


SUMMARY = "路灯损坏一个月，社区当天受理、城管部门两天内更换灯具，群众回访满意，此后同类问题纳入网格巡查。"


def test_an_exemplary_request_goes_into_the_case_book_without_personal_data(week, cast) -> None:
    t1 = week.tickets["T1"]
    street = client_for(cast.jiedao)
    short = street.post(f"/tickets/{t1.number}/exemplary/", {"summary": "很好"})
    assert short.status_code == 200 and "案例简介至少 20 个字" in short.content.decode()
    assert street.post(f"/tickets/{t1.number}/exemplary/", {"summary": SUMMARY}).status_code == 302
    assert Ticket.objects.get(pk=t1.pk).exemplary
    assert t1.events.filter(action="exemplary").get().note == SUMMARY
    # Community staff cannot, nor can anyone for a request still open.
    refused = client_for(cast.shequ).post(f"/tickets/{t1.number}/exemplary/", {"summary": SUMMARY}, follow=True)
    assert "不能执行“典型案例”" in refused.content.decode()
    open_one = street.post(f"/tickets/{week.tickets['T7'].number}/exemplary/", {"summary": SUMMARY}, follow=True)
    assert "不能执行“典型案例”" in open_one.content.decode()

    page = client_for(cast.duban).get("/evaluation/cases/", {"year": 2026})
    assert [t.number for t in page.context["tickets"]] == [t1.number]
    assert client_for(cast.shequ_b).get("/evaluation/cases/", {"year": 2026}).context["tickets"] == []
    book = client_for(cast.duban).get("/evaluation/cases/", {"year": 2026, "format": "docx"})
    text = "\n".join(p.text for p in Document(io.BytesIO(book.content)).paragraphs)
    assert "七里河区2026年民情工作典型案例汇编" in text and SUMMARY in text
    assert "派单（区城市管理行政执法局）" in text and "群众评价：满意" in text
    assert "张大妈" not in text and "13812345678" not in text and "路灯坏了快一个月" not in text

    # Taking it out again.
    street.post(f"/tickets/{t1.number}/exemplary/", {"summary": "", "remove": "on"})
    assert not Ticket.objects.get(pk=t1.pk).exemplary


def test_nominate_decide_and_publish_winners(cast) -> None:
    street = client_for(cast.jiedao)
    a = cast.community_a.pk
    reason = "组织开展居民说事会二十余次，推动老旧小区加装电梯三部，群众满意率位居全街道第一。"
    missing = street.post("/evaluation/awards/", {"year": 2026, "kind": "secretary", "community": a, "reason": reason})
    assert missing.status_code == 400 and "优秀社区书记请填写姓名" in missing.content.decode()
    assert reason in missing.content.decode()  # what was typed is kept
    ok = street.post("/evaluation/awards/", {"year": 2026, "kind": "secretary", "community": a, "nominee": "王桂芳",
                                             "reason": reason})
    assert ok.status_code == 302
    again = street.post("/evaluation/awards/", {"year": 2026, "kind": "secretary", "community": a, "nominee": "王桂芳",
                                                "reason": reason})
    assert "已经推荐过这个奖项" in again.content.decode()
    other = client_for(cast.jiedao_b).post("/evaluation/awards/", {"year": 2026, "kind": "model", "community": a,
                                                                   "reason": reason})
    assert "不在您的推荐范围内" in other.content.decode()
    assert client_for(cast.shequ).post("/evaluation/awards/", {"year": 2026, "kind": "model", "community": a,
                                                               "reason": reason}).status_code == 400
    nomination = Nomination.objects.get()
    assert client_for(cast.jiedao).post(f"/evaluation/awards/{nomination.pk}/decide/",
                                        {"won": "1", "citation": "扎根社区十年"}).status_code == 404
    judge = client_for(cast.duban)
    judge.post(f"/evaluation/awards/{nomination.pk}/decide/", {"won": "1", "citation": "扎根社区十年，把群众的事当自己的事。"})
    nomination.refresh_from_db()
    assert nomination.status == NominationStatus.WON and nomination.decided_by == cast.duban
    twice = judge.post(f"/evaluation/awards/{nomination.pk}/decide/", {"won": "0", "citation": "改主意"}, follow=True)
    assert "已经评审过了" in twice.content.decode()
    public = Client().get("/r/awards/2026/").content.decode()
    assert "优秀社区书记" in public and "王桂芳" in public and "扎根社区十年" in public
