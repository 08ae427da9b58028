"""Two communities taking the last of a resource at the same moment, over two real PostgreSQL
connections: the capacity check runs under the resource's row lock, so only one gets it."""

from __future__ import annotations

import datetime as dt

from minqing.conftest import POSTGRES_ONLY, build_cast
from minqing.partnership import actions
from minqing.partnership.models import Project
from minqing.tickets.tests.test_concurrency import race

pytestmark = POSTGRES_ONLY


def test_the_last_of_a_resource_goes_to_one_project() -> None:
    cast = build_cast()
    r = actions.resource_create(actor=cast.wuye, unit=cast.unit("东方物业"), kind="venue", title="活动室", brand="culture",
                                capacity=3, areas=[cast.community_a.parent], available_from=dt.date(2026, 1, 1))
    a = actions.need_create(actor=cast.shequ, area=cast.community_a, title="四点半课堂", brand="culture")
    b = actions.need_create(actor=cast.shequ, area=cast.community_a, title="老年书法班", brand="culture")
    results = race(
        lambda: actions.project_propose(actor=cast.shequ, need=a, resource=r, quantity=2),
        lambda: actions.project_propose(actor=cast.jiedao, need=b, resource=r, quantity=2),
        after_read=False,
    )
    assert sum(isinstance(x, Project) for x in results) == 1, results
    refused = [x for x in results if isinstance(x, actions.ActionError)]
    assert len(refused) == 1 and "只剩 1 次" in refused[0].message
    assert Project.objects.count() == 1
