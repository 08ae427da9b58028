"""Who sees which requests, and whose name and phone they see."""

from __future__ import annotations

import pytest

from minqing.accounts.scope import scope_for
from minqing.conftest import returned
from minqing.tickets import actions, queries


@pytest.fixture
def tickets(cast):
    a = cast.new_ticket()  # community A, recorded by the grid worker
    b = cast.new_ticket(community="b")  # community B
    a_dept = actions.ticket_accept(ticket=cast.new_ticket(), actor=cast.shequ)
    a_dept = actions.ticket_dispatch(ticket=a_dept, actor=cast.shequ, unit=cast.unit("区城市管理行政执法局"))
    return {"a": a, "b": b, "a_dept": a_dept}


def seen(cast, who: str) -> set[str]:
    return set(queries.visible_tickets(scope_for(getattr(cast, who))).values_list("number", flat=True))


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("shequ", {"a", "a_dept"}),
        ("shuji", {"a", "a_dept"}),
        ("shequ_b", {"b"}),
        ("wangge", {"a", "a_dept"}),  # their grid
        ("jiedao", {"a", "a_dept"}),  # 西湖街道 holds community A
        ("jiedao_b", {"b"}),  # 西站街道 holds community B
        ("bumen", {"a_dept"}),  # only what was assigned to the department
        ("zhujian", set()),
        ("wuye", set()),
        ("duban", {"a", "b", "a_dept"}),
        ("jumin", set()),
    ],
)
def test_each_role_sees_only_its_scope(cast, tickets, who: str, expected: set[str]) -> None:
    numbers = {tickets[k].number for k in expected}
    assert seen(cast, who) == numbers


def test_a_department_keeps_seeing_what_it_returned(cast, tickets) -> None:
    returned(tickets["a_dept"], by=cast.bumen, approver=cast.duban)
    assert tickets["a_dept"].number in seen(cast, "bumen")


def test_residents_see_their_own_requests(cast) -> None:
    mine, _ = actions.ticket_create(actor=None, intake=actions.Intake(
        reporter_user=cast.jumin, channel="online", category=cast.category(), text="楼道灯不亮好几天了。",
        area=cast.compound_a, reporter_name="杨永红", reporter_phone="13900000011",
    ))
    cast.new_ticket()
    assert seen(cast, "jumin") == {mine.number}


def test_reporter_is_masked_for_viewers_who_do_not_handle_the_request(cast, tickets) -> None:
    t = tickets["a_dept"]
    full = queries.reporter_for(scope_for(cast.bumen), t)  # the handling department calls the resident
    assert (full.name, full.phone, full.masked) == ("张大妈", "13812345678", False)
    assert queries.reporter_for(scope_for(cast.shequ), t).phone == "13812345678"  # the community registered it
    for who in ("jiedao", "duban", "huifang"):
        r = queries.reporter_for(scope_for(getattr(cast, who)), t)
        assert (r.name, r.phone, r.masked) == ("张**", "138****5678", True)


def test_the_callback_team_sees_the_number_on_the_callback_form_only(cast, tickets) -> None:
    from django.test import Client

    from minqing.tickets.models import PersonalDataView

    t = actions.ticket_sign(ticket=tickets["a_dept"], actor=cast.bumen)
    t = actions.ticket_resolve(ticket=t, actor=cast.bumen, result="已修复。")
    c = Client()
    c.force_login(cast.huifang)
    assert "13812345678" not in c.get(f"/tickets/{t.number}/").content.decode()
    assert "13812345678" in c.get(f"/tickets/{t.number}/callback/").content.decode()
    assert PersonalDataView.objects.filter(ticket=t, viewer=cast.huifang, via="回访页面").count() == 1


def test_queues_hold_what_waits_for_each_role(cast, tickets) -> None:
    counts = queries.queue_counts(scope_for(cast.shequ))
    assert counts["received"] == 1 and counts["assigned"] == 0
    assert queries.queue_counts(scope_for(cast.bumen))["assigned"] == 1
    assert queries.queue_counts(scope_for(cast.shequ_b))["received"] == 1
    assert queries.queue_counts(scope_for(cast.wuye)) == dict.fromkeys(queries.queues_for(scope_for(cast.wuye)), 0)


def test_every_full_phone_number_shown_is_recorded_for_supervisors(cast) -> None:
    from django.test import Client

    from minqing.tickets.models import PersonalDataView

    t = cast.new_ticket()
    staff = Client()
    staff.force_login(cast.shequ)
    assert t.reporter_phone in staff.get(f"/tickets/{t.number}/").content.decode()
    staff.get(f"/api/v1/requests/{t.number}")
    street = Client()
    street.force_login(cast.jiedao)  # oversight sees the number masked: nothing to record
    assert t.reporter_phone not in street.get(f"/tickets/{t.number}/").content.decode()
    views = list(PersonalDataView.objects.filter(ticket=t).values_list("viewer__username", "via"))
    assert sorted(views) == [("shequ", "事项页面"), ("shequ", "接口")]
    supervisor = Client()
    supervisor.force_login(cast.duban)
    page = supervisor.get(f"/tickets/{t.number}/").content.decode()
    assert "反映人电话查看记录" in page and "李秀兰" in page
    assert "反映人电话查看记录" not in staff.get(f"/tickets/{t.number}/").content.decode()
