"""Facts and rollups under concurrent writers, over real PostgreSQL connections: two consumer loops take
disjoint events and only insert facts; two sweeps folding at once take disjoint facts, so nothing is counted
twice or lost."""

from __future__ import annotations

from minqing.conftest import POSTGRES_ONLY, build_cast
from minqing.evaluation import facts
from minqing.evaluation.models import Fact, Rollup
from minqing.tickets import actions, consumers
from minqing.tickets.tests.test_concurrency import race

pytestmark = POSTGRES_ONLY


def test_concurrent_accepts_and_concurrent_folds_count_once(monkeypatch) -> None:
    cast = build_cast()
    tickets = [cast.new_ticket() for _ in range(6)]
    results = race(*[lambda t=t: actions.ticket_accept(ticket=t, actor=cast.shequ) for t in tickets],
                   monkeypatch=monkeypatch)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert not Fact.objects.exists()  # facts follow the steps, in the consumer

    def drain() -> int:
        n = 0
        while got := consumers.consume("facts", limit=3):
            n += got
        return n

    consumed = race(drain, drain, after_read=False)
    assert sum(consumed) == 12 and all(consumed), consumed  # 6 registrations + 6 accepts, shared, once each
    assert Fact.objects.filter(rolled=False).count() == 18  # received, response, accepted × 6
    folded = race(lambda: facts.fold(limit=4), lambda: facts.fold(limit=4), after_read=False)
    assert sum(folded) == 18 and not Fact.objects.filter(rolled=False).exists()
    for row in Rollup.objects.all():  # the month's row and the year's
        assert (row.received, row.accepted, row.response_due, row.response_ok) == (6, 6, 6, 6)
    assert Rollup.objects.count() == 2
    assert facts.verify() == []
