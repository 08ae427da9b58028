"""Residents: submit without an account, follow with number + phone, rate once resolved."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from minqing.tickets import actions
from minqing.tickets.lifecycle import Status
from minqing.tickets.models import Ticket


def resident_form(cast, **changes) -> dict:
    data = {
        "category": cast.category("SR03").pk, "text": "小区门口共享单车乱停，把盲道都堵了，轮椅出不去。",
        "community": cast.community_a.pk, "grid": "", "compound": "", "address": "北门",
        "reporter_name": "王大爷", "reporter_phone": "139 0931 1234",
    }
    data.update(changes)
    return data


def test_the_home_page_offers_big_tiles_per_kind_of_problem(cast) -> None:
    page = Client().get(reverse("resident_home")).content.decode()
    for name in ("环境卫生", "市容秩序", "社会救助", "养老服务", "查询我反映的问题"):
        assert name in page
    assert 'name="viewport"' in page


def test_submit_without_an_account_and_follow_it(cast) -> None:
    c = Client()
    response = c.post(reverse("resident_new"), resident_form(cast), follow=True)
    t = Ticket.objects.get()
    page = response.content.decode()
    assert t.number in page and "请记下编号" in page
    assert (t.channel, t.reporter_phone, t.created_by, t.status) == ("online", "13909311234", None, Status.RECEIVED)
    assert t.events.get().actor_label == "反映人本人"

    other = Client()  # another phone: needs number + phone
    assert other.get(reverse("resident_ticket", args=[t.number])).status_code == 404
    wrong = other.post(reverse("resident_track"), {"number": t.number, "secret": "13900000000"}).content.decode()
    assert "不匹配" in wrong
    response = other.post(reverse("resident_track"), {"number": t.number.lower(), "secret": "13909311234"}, follow=True)
    page = response.content.decode()
    assert "已收到，等待社区受理" in page and "诉求已登记" in page


def test_residents_never_see_staff_names_or_internal_notes(cast) -> None:
    c = Client()
    c.post(reverse("resident_new"), resident_form(cast))
    t = Ticket.objects.get()
    t = actions.ticket_accept(ticket=t, actor=cast.shequ, note="内部：此人反映过多次")
    t = actions.ticket_dispatch(ticket=t, actor=cast.shequ, unit=cast.unit("区城市管理行政执法局"), note="内部意见")
    page = c.get(reverse("resident_ticket", args=[t.number])).content.decode()
    assert "已交由区城市管理行政执法局办理" in page
    for secret in ("李秀兰", "内部", "13909311234"):
        assert secret not in page


def test_rating_a_resolved_request_closes_it_or_sends_it_back(cast) -> None:
    c = Client()
    c.post(reverse("resident_new"), resident_form(cast))
    t = Ticket.objects.get()
    t = actions.ticket_accept(ticket=t, actor=cast.shequ)
    t = actions.ticket_resolve_on_spot(ticket=t, actor=cast.shequ, result="已联系运营企业清走车辆。")
    page = c.get(reverse("resident_ticket", args=[t.number])).content.decode()
    assert "您对办理满意吗" in page and "已联系运营企业清走车辆" in page
    c.post(reverse("resident_rate", args=[t.number]), {"satisfaction": "satisfied", "solved": "1"})
    t.refresh_from_db()
    assert t.status == Status.CLOSED and t.satisfaction == "satisfied"
    event = t.events.get(action="close")
    assert event.actor is None and event.data["by"] == "reporter"
    # A second rating is refused: the request is already closed.
    response = c.post(reverse("resident_rate", args=[t.number]), {"satisfaction": "dissatisfied", "solved": "0"}, follow=True)
    assert "该事项当前为“已结案”，不需要评价" in response.content.decode()
    assert t.events.filter(action__in=["close", "rework"]).count() == 1
    assert Client().post(reverse("resident_rate", args=[t.number]), {"satisfaction": "satisfied", "solved": "1"}).status_code == 404


def test_anonymous_resident_gets_a_code_to_follow_with(cast) -> None:
    c = Client()
    page = c.post(reverse("resident_new"), resident_form(cast, anonymous="on", reporter_name="", reporter_phone=""),
                  follow=True).content.decode()
    t = Ticket.objects.get()
    assert t.anonymous and t.reporter_phone == "" and "查询码" in page
    code = page.split('id="tracking-code">')[1][:8]
    other = Client()
    response = other.post(reverse("resident_track"), {"number": t.number, "secret": code}, follow=True)
    assert "已收到" in response.content.decode()
    bad = other.post(reverse("resident_track"), {"number": t.number, "secret": "00000000" if code != "00000000" else "1"})
    assert "不匹配" in bad.content.decode()


def test_the_duplicates_reporter_follows_the_original(cast) -> None:
    original = cast.new_ticket()
    c = Client()
    c.post(reverse("resident_new"), resident_form(cast))
    duplicate = Ticket.objects.exclude(pk=original.pk).get()
    actions.ticket_merge(ticket=duplicate, actor=cast.shequ, into_number=original.number)
    original = actions.ticket_accept(ticket=original, actor=cast.shequ)
    page = c.get(reverse("resident_ticket", args=[duplicate.number])).content.decode()
    assert original.number in page and "合并办理" in page and "社区已受理，正在安排办理单位" in page


def test_resident_form_errors_are_in_chinese(cast) -> None:
    page = Client().post(reverse("resident_new"), resident_form(cast, text="", reporter_phone="12")).content.decode()
    assert "请填写诉求内容" in page and "请填写正确的手机号" in page
    assert Ticket.objects.count() == 0


def test_a_signed_in_resident_is_never_named_to_staff(cast) -> None:
    c = Client()
    c.force_login(cast.jumin)
    c.post(reverse("resident_new"), resident_form(cast, anonymous="on", reporter_name="", reporter_phone=""))
    c.post(reverse("resident_new"), resident_form(cast))
    anonymous, named = Ticket.objects.order_by("id")
    for t in (anonymous, named):
        event = t.events.get()
        assert (t.created_by, event.actor, event.actor_label) == (None, None, "反映人本人")
    assert anonymous.reporter_user is None and named.reporter_user == cast.jumin
    page = Client()
    page.force_login(cast.jiedao)
    text = page.get(reverse("ticket_detail", args=[anonymous.number])).content.decode()
    assert "杨永红" not in text and "匿名" in text


def test_residents_see_result_photos_but_not_progress_photos(cast) -> None:
    from minqing.conftest import image_file
    from minqing.lib.uploads import prepare_images
    from minqing.tickets.models import TicketAttachment

    c = Client()
    c.post(reverse("resident_new"), resident_form(cast))
    t = Ticket.objects.get()
    t = actions.ticket_accept(ticket=t, actor=cast.shequ)
    t = actions.ticket_dispatch(ticket=t, actor=cast.shequ, unit=cast.unit("东方物业"))
    t = actions.ticket_sign(ticket=t, actor=cast.wuye)
    actions.ticket_add_progress(ticket=t, actor=cast.wuye, note="内部：现场照片", photos=prepare_images([image_file()]))
    actions.ticket_resolve(ticket=t, actor=cast.wuye, result="已清理", photos=prepare_images([image_file()]))
    progress, result = TicketAttachment.objects.order_by("id")
    assert c.get(reverse("attachment", args=[result.pk])).status_code == 200
    assert c.get(reverse("attachment", args=[progress.pk])).status_code == 403
    assert f'src="{reverse("attachment", args=[result.pk])}"' in c.get(reverse("resident_ticket", args=[t.number])).content.decode()


def test_tracking_is_throttled_after_repeated_failures(cast) -> None:
    t = cast.new_ticket()
    c = Client()
    for _ in range(10):
        assert "不匹配" in c.post(reverse("resident_track"), {"number": t.number, "secret": "13900000000"}).content.decode()
    blocked = c.post(reverse("resident_track"), {"number": t.number, "secret": "13812345678"})
    assert blocked.status_code == 429 and "15 分钟后再试" in blocked.content.decode()


def test_odd_parameters_get_pages_not_errors(cast) -> None:
    c = Client()
    assert c.get(reverse("resident_new"), {"group": "abc"}).status_code == 200
    assert c.get(reverse("resident_new"), {"group": "²"}).status_code == 200
    assert c.get(reverse("area_options"), {"kind": "grid", "community": "²"}).status_code == 200
    staff = Client()
    staff.force_login(cast.shequ)
    assert staff.get(reverse("ticket_list"), {"date_to": "9999-12-31", "area": "x"}).status_code == 200
    response = staff.post(reverse("queue_bulk", args=["registered"]), {"numbers": ["X"], "unit": "abc"}, follow=True)
    assert "请选择承办单位" in response.content.decode()


def test_one_network_address_cannot_flood_the_public_form(cast, monkeypatch) -> None:
    from minqing.tickets import resident_views

    monkeypatch.setattr(resident_views, "SUBMIT_LIMIT", 3)
    c = Client()
    for i in range(3):
        c.post(reverse("resident_new"), resident_form(cast, text=f"小区门口共享单车乱停第{i}回，盲道都堵了"))
    r = c.post(reverse("resident_new"), resident_form(cast, text="小区门口共享单车乱停第4回，盲道都堵了"))
    assert r.status_code == 429 and "提交太频繁" in r.content.decode() and "110" in r.content.decode()
    assert Ticket.objects.count() == 3
    other = Client(REMOTE_ADDR="10.9.8.7")  # another address is not affected
    other.post(reverse("resident_new"), resident_form(cast, text="楼道里堆满杂物，消防通道不通"))
    assert Ticket.objects.count() == 4


def test_behind_a_trusted_proxy_each_resident_has_their_own_limit(cast, monkeypatch, settings) -> None:
    from minqing.tickets import resident_views

    monkeypatch.setattr(resident_views, "SUBMIT_LIMIT", 2)
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]

    def post(forwarded: str, n: int, peer: str = "10.0.0.2") -> int:
        return Client(REMOTE_ADDR=peer, HTTP_X_FORWARDED_FOR=forwarded).post(
            reverse("resident_new"), resident_form(cast, text=f"小区门口共享单车乱停第{n}回，盲道都堵了")).status_code

    assert [post("203.0.113.5", i) for i in range(3)] == [302, 302, 429]
    assert post("198.51.100.7", 4) == 302  # another resident behind the same proxy is not blocked
    # a client cannot pick its address: only the right-most hop before our proxy counts
    assert post("198.51.100.99, 203.0.113.5", 5) == 429
    # and a header sent straight to the server (not through our proxy) is ignored
    assert post("192.0.2.1", 6, peer="203.0.113.5") == 429


def test_the_limit_is_shared_by_every_process(cast, monkeypatch) -> None:
    """The count lives in the database, not in one process's memory: clearing a process's cache (as a
    second worker process would have its own) does not reset it."""
    from django.core.cache import cache

    from minqing.tickets import resident_views

    monkeypatch.setattr(resident_views, "SUBMIT_LIMIT", 2)
    c = Client()
    for i in range(2):
        c.post(reverse("resident_new"), resident_form(cast, text=f"小区门口共享单车乱停第{i}回，盲道都堵了"))
    cache.clear()
    r = c.post(reverse("resident_new"), resident_form(cast, text="小区门口共享单车乱停第9回，盲道都堵了"))
    assert r.status_code == 429
