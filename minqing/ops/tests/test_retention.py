"""Past the retention period, reporters' personal data is erased and the figures stay the same."""

from __future__ import annotations

import datetime as dt

import time_machine
from django.core.management import call_command

from minqing.tickets import actions
from minqing.tickets.models import Ticket


def close(cast, t):
    t = actions.ticket_resolve_on_spot(ticket=t, actor=cast.shequ, result="已当场处理")
    return actions.ticket_callback(ticket=t, actor=cast.huifang, contacted=True, solved=True, satisfaction="satisfied")


def test_personal_data_of_old_finished_requests_is_erased(cast, settings) -> None:
    with time_machine.travel(dt.datetime(2024, 3, 1, 2, 0, tzinfo=dt.UTC), tick=False):
        old = close(cast, cast.new_ticket())
        still_open = cast.new_ticket()
    recent = close(cast, cast.new_ticket())
    assert old.reporter_phone
    call_command("retention", "--days", "365")
    old.refresh_from_db()
    assert (old.reporter_name, old.reporter_phone, old.address, old.personal_data_erased_at is not None) == ("", "", "", True)
    assert (old.category_id, old.community_id, old.satisfaction, old.status) == (
        recent.category_id, recent.community_id, "satisfied", "closed")
    assert old.events.filter(action="erase").count() == 1
    for t in [recent, still_open]:
        t.refresh_from_db()
        assert t.reporter_phone and t.personal_data_erased_at is None
    call_command("retention", "--days", "365")  # a second run finds nothing more
    assert Ticket.objects.get(pk=old.pk).events.filter(action="erase").count() == 1
