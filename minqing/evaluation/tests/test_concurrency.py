"""Rollups under concurrent writers, over real PostgreSQL connections: no increment is lost, and two
transactions creating the same new rollup row both count."""

from __future__ import annotations

import pytest
from django.db import connection

from minqing.conftest import build_cast
from minqing.evaluation import facts
from minqing.evaluation.models import Rollup
from minqing.tickets import actions
from minqing.tickets.tests.test_concurrency import race

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: set DATABASE_URL (.ci/run does)"),
    pytest.mark.django_db(transaction=True),
]


def test_concurrent_accepts_all_count(monkeypatch) -> None:  # noqa: ANN001
    cast = build_cast()
    tickets = [cast.new_ticket() for _ in range(4)]
    # Start from no rollup rows: all four transactions try to create the same one at once.
    Rollup.objects.all().delete()
    results = race(*[lambda t=t: actions.ticket_accept(ticket=t, actor=cast.shequ) for t in tickets],
                   monkeypatch=monkeypatch)
    assert not [r for r in results if isinstance(r, Exception)], results
    row = Rollup.objects.get()
    assert (row.accepted, row.response_due, row.response_ok) == (4, 4, 4)
    facts.rebuild()
    assert facts.verify() == []
    row = Rollup.objects.get()
    assert (row.received, row.accepted) == (4, 4)
