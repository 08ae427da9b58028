"""The staff pages as a browser sees them: forms, buttons, errors in Chinese, forged posts."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from minqing.accounts.scope import scope_for
from minqing.conftest import image_file
from minqing.tickets import actions, queries
from minqing.tickets.lifecycle import Status
from minqing.tickets.models import Ticket, TicketAttachment


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def intake_form(cast, **changes) -> dict:
    data = {
        "channel": "visit", "type": "help", "category": cast.category().pk, "title": "",
        "text": "3号楼前面的路灯坏了快一个月了。", "community": cast.community_a.pk, "grid": cast.grid_a.pk,
        "compound": cast.compound_a.pk, "address": "3号楼", "urgency": "normal",
        "reporter_name": "张大妈", "reporter_phone": "13812345678",
    }
    data.update(changes)
    return data


def test_login_page_is_chinese_and_anonymous_users_are_sent_there(db) -> None:
    response = Client().get("/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    page = Client().get("/login/").content.decode()
    assert "工作人员登录" in page and "群众反映页" in page


@pytest.mark.parametrize("who", ["wangge", "shequ", "shuji", "jiedao", "bumen", "wuye", "duban", "huifang", "huifang_qu"])
def test_every_staff_role_gets_a_workbench_with_its_queues(cast, who: str) -> None:
    page = client_for(getattr(cast, who)).get("/").content.decode()
    mine = queries.queues_for(scope_for(getattr(cast, who)))
    assert mine and all(f'href="{reverse("queue", args=[q])}"' in page for q in mine)
    assert not any(f'href="{reverse("queue", args=[q])}"' in page for q in queries.QUEUES if q not in mine)


def test_grid_worker_records_a_visit_with_a_photo(cast) -> None:
    c = client_for(cast.wangge)
    data = intake_form(cast)
    data["photos"] = [image_file(), image_file("b.png", fmt="PNG")]
    response = c.post(reverse("ticket_new"), data)
    t = Ticket.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("ticket_detail", args=[t.number])
    assert (t.grid, t.compound, t.created_by) == (cast.grid_a, cast.compound_a, cast.wangge)
    assert TicketAttachment.objects.filter(ticket=t).count() == 2
    page = c.get(response["Location"]).content.decode()
    assert t.number in page and "13812345678" in page and "已登记" in page


def test_form_errors_are_chinese_next_to_the_field_and_keep_the_input(cast) -> None:
    c = client_for(cast.wangge)
    response = c.post(reverse("ticket_new"), intake_form(cast, reporter_phone="1234", text="路灯坏了好久了没人修"))
    page = response.content.decode()
    assert response.status_code == 200 and Ticket.objects.count() == 0
    assert "请填写正确的手机号" in page and "路灯坏了好久了没人修" in page
    response = c.post(reverse("ticket_new"), intake_form(cast, photos=[image_file("x.jpg", fmt="GIF")], text="x" * 5))
    assert Ticket.objects.count() == 1  # a GIF named .jpg is still an image: accepted
    bad = c.post(reverse("ticket_new"), intake_form(cast, community=999999))
    assert "所选社区不存在" in bad.content.decode()


def test_a_grid_from_another_community_is_refused(cast) -> None:
    response = client_for(cast.shequ).post(reverse("ticket_new"), intake_form(cast, grid=cast.grid_b.pk, compound=""))
    assert "不属于瓜州路社区" in response.content.decode()
    assert Ticket.objects.count() == 0


def test_only_allowed_buttons_are_shown(cast) -> None:
    t = cast.new_ticket()
    page = client_for(cast.shequ).get(reverse("ticket_detail", args=[t.number])).content.decode()
    for label in ("受理", "即办", "合并重复", "不予受理"):
        assert f'data-action="{label}"' not in page  # data-action carries the name, not the label
    actions_shown = {a for a in ("accept", "resolve_on_spot", "merge", "reject", "sign", "resolve", "callback")
                     if f'data-action="{a}"' in page}
    assert actions_shown == {"accept", "resolve_on_spot", "merge", "reject"}
    street_page = client_for(cast.jiedao_b).get(reverse("ticket_detail", args=[t.number]))
    assert street_page.status_code == 404  # another street: not even visible


def test_walk_a_request_through_the_pages(cast) -> None:
    t = cast.new_ticket()
    shequ, bumen = client_for(cast.shequ), client_for(cast.bumen)
    url = lambda action: reverse("ticket_act", args=[t.number, action])  # noqa: E731
    assert shequ.post(url("accept"), {"note": "", "version": 0}).status_code == 302
    form = shequ.get(url("dispatch")).content.decode()
    assert "区城市管理行政执法局" in form and "建西东路社区居委会" not in form
    r = shequ.post(url("dispatch"), {"unit": cast.unit("区城市管理行政执法局").pk, "complexity": "normal", "note": "请尽快"})
    assert r.status_code == 302
    assert bumen.post(url("sign"), {"note": ""}).status_code == 302
    assert bumen.post(url("progress"), {"note": "已到现场"}).status_code == 302
    page = bumen.post(url("resolve"), {"result": ""}).content.decode()
    assert "请填写办理结果" in page
    assert bumen.post(url("resolve"), {"result": "已修复"}).status_code == 302
    # The callback is the street's callback team's: the community may not grade the request it dispatched.
    refused = shequ.post(url("callback"), {"contacted": "1", "solved": "1", "satisfaction": "basic"}, follow=True)
    assert "您不能执行“回访”" in refused.content.decode()
    t.refresh_from_db()
    assert t.status == Status.RESOLVED
    huifang = client_for(cast.huifang)
    page = huifang.post(url("callback"), {"contacted": "1", "solved": "1", "satisfaction": ""}).content.decode()
    assert "请选择满意度" in page and "办理单位是否联系过您" in page
    assert huifang.post(url("callback"), {"contacted": "1", "unit_contacted": "1", "solved": "1",
                                          "satisfaction": "basic"}).status_code == 302
    t.refresh_from_db()
    assert t.status == Status.CLOSED and t.satisfaction == "basic"
    timeline = shequ.get(reverse("ticket_detail", args=[t.number])).content.decode()
    for label in ("登记", "受理", "派单", "签收", "办理进展", "办结", "回访结案", "刘海军"):
        assert label in timeline


def test_forged_post_outside_scope_changes_nothing(cast) -> None:
    t = cast.new_ticket()
    response = client_for(cast.shequ_b).post(reverse("ticket_act", args=[t.number, "accept"]), {"note": ""})
    assert response.status_code == 404
    response = client_for(cast.bumen).post(reverse("ticket_act", args=[t.number, "accept"]), {"note": ""})
    assert response.status_code == 404
    t.refresh_from_db()
    assert t.status == Status.RECEIVED and t.events.count() == 1


def test_posting_an_action_not_allowed_now_is_refused_with_a_message(cast) -> None:
    t = cast.new_ticket()
    c = client_for(cast.shequ)
    response = c.post(reverse("ticket_act", args=[t.number, "resolve"]), {"result": "x"}, follow=True)
    assert "您不能执行“办结”" in response.content.decode()
    t.refresh_from_db()
    assert t.status == Status.RECEIVED


def test_a_stale_page_loses_and_is_told_so(cast) -> None:
    t = cast.new_ticket()
    c = client_for(cast.shequ)
    actions.ticket_accept(ticket=t, actor=cast.jiedao)  # the street officer acts first
    response = c.post(reverse("ticket_act", args=[t.number, "merge"]),
                      {"into_number": "MQ-X", "note": "", "version": 0}, follow=True)
    assert "刚被他人处理过" in response.content.decode()


def test_search_filters_and_free_text(cast) -> None:
    a = cast.new_ticket(text="共享单车把盲道都堵了，老人没法走。", code="SR03")
    cast.new_ticket(text="楼道里堆满了纸箱子，消防通道堵死了。", code="WY05")
    c = client_for(cast.shequ)
    page = c.get(reverse("ticket_list"), {"q": "盲道"}).content.decode()
    assert a.number in page and "共 1 条" in page
    page = c.get(reverse("ticket_list"), {"category": cast.category("WY05").parent_id}).content.decode()
    assert "共 1 条" in page and a.number not in page
    page = c.get(reverse("ticket_list"), {"status": "closed"}).content.decode()
    assert "共 0 条" in page
    page = c.get(reverse("ticket_list"), {"date_from": "2026-12-02", "date_to": "2026-12-01"}).content.decode()
    assert "结束日期不能早于开始日期" in page


def test_attachments_are_served_only_to_those_who_may_see_the_request(cast) -> None:
    from minqing.lib.uploads import prepare_images

    t = cast.new_ticket(photos=prepare_images([image_file()]))
    att = TicketAttachment.objects.get(ticket=t)
    url = reverse("attachment", args=[att.pk])
    ok = client_for(cast.shequ).get(url)
    assert ok.status_code == 200 and ok["Content-Type"] == "image/jpeg"
    assert client_for(cast.shequ_b).get(url).status_code == 403
    assert Client().get(url).status_code == 403


def test_bulk_accept_and_bulk_dispatch_report_each_outcome(cast) -> None:
    a, b = cast.new_ticket(), cast.new_ticket()
    other = cast.new_ticket(community="b")
    c = client_for(cast.shequ)
    page = c.get(reverse("queue", args=["received"])).content.decode()
    assert "批量受理" in page and a.number in page and other.number not in page
    response = c.post(reverse("queue_bulk", args=["received"]), {"numbers": [a.number, b.number, other.number]},
                      follow=True)
    text = response.content.decode()
    assert "已受理 2 件" in text and f"{other.number}：找不到该事项" in text
    a.refresh_from_db()
    other.refresh_from_db()
    assert a.status == Status.REGISTERED and other.status == Status.RECEIVED
    unit = cast.unit("区住建局")
    response = c.post(reverse("queue_bulk", args=["registered"]), {"numbers": [a.number, b.number], "unit": unit.pk},
                      follow=True)
    assert "已派给区住建局 2 件" in response.content.decode()
    assert set(Ticket.objects.filter(handling_unit=unit).values_list("number", flat=True)) == {a.number, b.number}
    response = c.post(reverse("queue_bulk", args=["registered"]), {"numbers": [a.number]}, follow=True)
    assert "请选择承办单位" in response.content.decode()


def test_supervise_reply_extend_and_decide_through_the_pages(cast) -> None:
    import datetime as dt
    from zoneinfo import ZoneInfo

    import time_machine

    traveller = time_machine.travel(dt.datetime(2026, 11, 30, 9, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False)
    traveller.start()
    try:
        t = actions.ticket_accept(ticket=cast.new_ticket(), actor=cast.shequ)
        t = actions.ticket_dispatch(ticket=t, actor=cast.shequ, unit=cast.unit("区城市管理行政执法局"))
        t = actions.ticket_sign(ticket=t, actor=cast.bumen)  # resolution due 2026-12-07 09:00
        duban, bumen = client_for(cast.duban), client_for(cast.bumen)
        detail = reverse("ticket_detail", args=[t.number])
        assert 'data-action="supervise"' in duban.get(detail).content.decode()
        assert 'data-action="supervise"' not in bumen.get(detail).content.decode()
        act = reverse("ticket_act", args=[t.number, "supervise"])
        unit = cast.unit("区城市管理行政执法局").pk
        assert "请填写督办要求" in duban.post(act, {"grade": "red", "unit": unit, "text": ""}).content.decode()
        assert "回复时限必须晚于现在" in duban.post(
            act, {"grade": "red", "unit": unit, "text": "今天答复", "reply_due": "2020-01-01"}).content.decode()
        assert duban.post(act, {"grade": "red", "unit": unit, "text": "今天必须答复"}).status_code == 302
        order = t.orders.get()
        assert "回复督办" in bumen.get(detail).content.decode()
        assert "待本单位回复的督办单（1）" in bumen.get(reverse("supervision")).content.decode()
        bumen.post(reverse("order_reply", args=[order.pk]), {"text": "已派执法队员到场"})
        order.refresh_from_db()
        assert order.reply == "已派执法队员到场"
        extend = reverse("ticket_act", args=[t.number, "extend"])
        assert "延期不能超过一年" in bumen.post(extend, {"new_due": "2028-01-01", "reason": "联合执法"}).content.decode()
        assert bumen.post(extend, {"new_due": "2026-12-31", "reason": "需要联合执法"}).status_code == 302
        req = t.applications.get()
        assert "待审批的退单、延期、缓办申请（1）" in duban.get(reverse("supervision")).content.decode()
        duban.post(reverse("application_decide", args=[req.pk]), {"approve": "1", "note": ""})
        req.refresh_from_db()
        t.refresh_from_db()
        assert req.status == "approved" and f"{t.resolve_due_at:%Y-%m-%d}" == "2026-12-31"
        outsider = client_for(cast.shequ_b)
        assert outsider.post(reverse("order_reply", args=[order.pk]), {"text": "x"}).status_code == 404
    finally:
        traveller.stop()
