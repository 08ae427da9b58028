"""insert_many: the fast insert of imports and intake. Ids must be real, unique and continue the table's own
sequence (a later ordinary save must not collide), on SQLite and PostgreSQL alike; values arrive as the
ORM would have written them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from minqing.api.models import IdempotencyKey
from minqing.lib.bulk import insert_many
from minqing.tickets.models import Ticket, TicketEvent, UrgencyWord

pytestmark = pytest.mark.django_db(transaction=True)  # insert_many asserts its own transaction


def test_ids_continue_the_tables_sequence_both_ways() -> None:
    UrgencyWord.objects.all().delete()
    first = UrgencyWord.objects.create(word="甲")
    with transaction.atomic():
        many = [UrgencyWord(word=w) for w in "乙丙丁"]
        insert_many(many)
        one = [UrgencyWord(word="戊", active=False)]
        insert_many(one)
    later = UrgencyWord.objects.create(word="己")  # the ORM's own next id: after the bulk ids, not among them
    ids = [first.pk, *(w.pk for w in many), one[0].pk, later.pk]
    assert ids == sorted(ids) and len(set(ids)) == 6
    assert dict(UrgencyWord.objects.values_list("pk", "word")) == dict(zip(ids, "甲乙丙丁戊己", strict=True))
    assert UrgencyWord.objects.get(word="戊").active is False


def test_ids_are_not_reused_after_the_newest_row_is_deleted() -> None:
    UrgencyWord.objects.all().delete()
    with transaction.atomic():
        rows = [UrgencyWord(word=w) for w in "甲乙"]
        insert_many(rows)
    top = rows[-1].pk
    UrgencyWord.objects.filter(pk=top).delete()
    with transaction.atomic():
        again = [UrgencyWord(word=w) for w in "丙丁"]
        insert_many(again)
    assert min(w.pk for w in again) > top  # an id once handed out is never handed out again


def test_values_read_back_as_the_orm_writes_them(cast) -> None:
    user = cast.shequ
    model = cast.new_ticket()  # a request made the ordinary way
    at = timezone.now().replace(microsecond=123456) - dt.timedelta(days=3)
    with transaction.atomic():
        events = [TicketEvent(ticket=model, action="note", from_status="received", to_status="received",
                              actor=user, actor_label="测试", note="备注", data={"说明": "中文", "n": 1}, created_at=at)
                  for _ in range(2)]
        insert_many(events)
        key = [IdempotencyKey(user=user, key="k", ticket=model)]
        insert_many(key)  # auto_now_add filled as save() fills it
    back = TicketEvent.objects.get(pk=events[1].pk)
    assert (back.ticket_id, back.actor_id, back.data, back.created_at) == (model.pk, user.pk, {"说明": "中文", "n": 1}, at)
    assert IdempotencyKey.objects.get(pk=key[0].pk).created_at is not None
    assert Ticket.objects.get(pk=model.pk).events.filter(action="note").count() == 2


def test_it_refuses_to_run_outside_a_transaction() -> None:
    with pytest.raises(AssertionError):
        insert_many([UrgencyWord(word="庚")])


def test_new_builds_what_the_model_builds(cast) -> None:
    from minqing.lib.bulk import new

    values = {"channel": "online", "type": "help", "category": cast.category(), "text": "路灯坏了很久了", "reporter_name": "张",
              "community": cast.compound_a.parent, "created_by": None, "created_at": timezone.now()}
    fast, slow = new(Ticket, **values), Ticket(**values)
    assert {k: v for k, v in fast.__dict__.items() if k != "_state"} == {k: v for k, v in slow.__dict__.items() if k != "_state"}
    assert fast.category == cast.category() and fast.community_id == cast.compound_a.parent_id and fast.pk is None
    with pytest.raises(TypeError, match="no field colour"):
        new(Ticket, colour="red")


@pytest.mark.parametrize("when", [dt.datetime(2026, 12, 6, 8, 30, tzinfo=dt.UTC),
                                  dt.datetime(2026, 12, 6, 8, 30, 0, 4, tzinfo=timezone.get_default_timezone()),
                                  dt.datetime(2027, 1, 1, 0, 0, 59, 999999, tzinfo=dt.timezone(dt.timedelta(hours=-5)))])
def test_datetimes_are_stored_as_the_backend_stores_them(when: dt.datetime) -> None:
    from django.db import connection

    from minqing.lib.bulk import db_datetime

    convert = db_datetime()
    assert convert(when) == connection.ops.adapt_datetimefield_value(when)
    assert convert(when) == convert(when.astimezone(dt.UTC))  # the same instant, memoised or not
