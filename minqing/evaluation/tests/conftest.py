"""A small week of requests whose every metric was worked out by hand (see test_metrics.py)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
import time_machine

from minqing.conftest import settle
from minqing.tickets import actions, sweep
from minqing.tickets.models import Ticket

TZ = ZoneInfo("Asia/Shanghai")


def at(m: int, d: int, hh: int = 9, mm: int = 0) -> dt.datetime:
    return dt.datetime(2026, m, d, hh, mm, tzinfo=TZ)


def loop_pass() -> sweep.SweepResult:
    """What `manage.py loop` does: the consumers catch up with the log (every second), then the sweep."""
    settle()
    return sweep.sweep_once()


@dataclass
class Week:
    tickets: dict[str, Ticket]


@pytest.fixture
def week(cast) -> Week:
    """Eight requests in 瓜州路社区, Monday 30 November to Wednesday 9 December 2026 (no holidays).

    Callbacks are made by the street's callback team (huifang) and ask 是否联系 too. 先行联系 (24 natural hours
    after signing): only T1's unit records it in time; T3's suspension and T2's and T7's sweeps count the rest late.
    T1 dispatched to 城管, signed and resolved in time, callback 满意·解决, contacted.
    T2 dispatched to 城管, signed late (Tue 11:00, due Tue 10:00), extension approved, resolved after
       the original deadline but before the extended one; callback 基本满意·解决, not contacted.
    T3 dispatched to 城管, suspended (approved) and resumed, resolved; callback 不满意 → rework, resolved again in
       time; callback 满意·解决; contacted both times.
    T4 merged into T1.  T5 rejected.  T6 resolved on the spot (即办), no callback yet.
    T7 dispatched to 城管, which applies to return it (职责不符); the district centre approves in time and
       sends it to 住建局, which signs and never resolves it: overdue on Mon 7 Dec.
    T8 never accepted: response overdue on Tue 1 Dec.
    """
    bumen, shequ, zhujian, duban = cast.bumen, cast.shequ, cast.zhujian, cast.duban
    cg, zj = cast.unit("区城市管理行政执法局"), cast.unit("区住建局")
    t: dict[str, Ticket] = {}

    def step(moment: dt.datetime, fn, **kwargs):
        with time_machine.travel(moment, tick=False):
            return fn(**kwargs)

    with time_machine.travel(at(11, 30, 9), tick=False):
        for name in ["T1", "T2", "T3", "T4", "T5", "T6", "T7", "T8"]:
            t[name] = cast.new_ticket()
    for name in ["T1", "T2", "T3", "T7"]:
        t[name] = step(at(11, 30, 9, 30), actions.ticket_accept, ticket=t[name], actor=shequ)
    t["T6"] = step(at(11, 30, 9, 30), actions.ticket_resolve_on_spot, ticket=t["T6"], actor=shequ, result="当场修好了。")
    t["T4"] = step(at(11, 30, 9, 30), actions.ticket_merge, ticket=t["T4"], actor=shequ, into_number=t["T1"].number)
    t["T5"] = step(at(11, 30, 9, 30), actions.ticket_reject, ticket=t["T5"], actor=shequ, reason="repeat",
                   note="与已办结事项相同。")
    for name in ["T1", "T2", "T3", "T7"]:
        t[name] = step(at(11, 30, 10), actions.ticket_dispatch, ticket=t[name], actor=shequ, unit=cg)
    t["T1"] = step(at(11, 30, 11), actions.ticket_sign, ticket=t["T1"], actor=bumen)
    t["T3"] = step(at(11, 30, 11), actions.ticket_sign, ticket=t["T3"], actor=bumen)
    app = step(at(11, 30, 11), actions.return_apply, ticket=t["T7"], actor=bumen, reason_code="remit",
               reason="不属于本单位职责。")
    # The district centre approves the return at 11:30 (before 城管's deadlines) and sends it to 住建局.
    step(at(11, 30, 11, 30), actions.application_decide, application=app, actor=duban, approve=True, unit=zj)
    t["T7"] = step(at(11, 30, 14, 30), actions.ticket_sign, ticket=t["T7"], actor=zhujian)
    step(at(11, 30, 15), actions.ticket_contact, ticket=t["T1"], actor=bumen, note="电话联系了反映人，约定明天到现场。")
    step(at(12, 1, 9, 30), loop_pass)  # T8's response clock (due Tue 09:00) runs out
    t["T2"] = step(at(12, 1, 11), actions.ticket_sign, ticket=t["T2"], actor=bumen)
    app = step(at(12, 1, 14, 30), actions.suspend_apply, ticket=t["T3"], actor=bumen, reason="等材料。",
               until=dt.date(2026, 12, 20))
    step(at(12, 1, 14, 30), actions.application_decide, application=app, actor=duban, approve=True)
    t["T1"] = step(at(12, 2, 10), actions.ticket_resolve, ticket=t["T1"], actor=bumen, result="已修复。")
    req = step(at(12, 2, 10), actions.extension_request, ticket=t["T2"], actor=bumen, new_due=dt.date(2026, 12, 18),
               reason="需要采购配件。")
    step(at(12, 2, 10, 30), actions.application_decide, application=req, actor=duban, approve=True)
    t["T3"] = step(at(12, 2, 10), actions.ticket_resume, ticket=t["T3"], actor=bumen)
    t["T3"] = step(at(12, 2, 11), actions.ticket_resolve, ticket=t["T3"], actor=bumen, result="已处理。")
    huifang = cast.huifang  # the street's callback team: never the units that handled the request
    t["T1"] = step(at(12, 3, 9), actions.ticket_callback, ticket=t["T1"], actor=huifang, contacted=True, solved=True,
                   satisfaction="satisfied", unit_contacted=True)
    t["T3"] = step(at(12, 3, 9), actions.ticket_callback, ticket=t["T3"], actor=huifang, contacted=True, solved=False,
                   satisfaction="dissatisfied", unit_contacted=True, note="还是漏水。")
    t["T3"] = step(at(12, 3, 10), actions.ticket_resolve, ticket=t["T3"], actor=bumen, result="重新处理。")
    step(at(12, 7, 12), loop_pass)  # T7's resolution clock at 住建局 (due Mon 11:30) runs out
    t["T2"] = step(at(12, 8, 9), actions.ticket_resolve, ticket=t["T2"], actor=bumen, result="配件到货已更换。")
    t["T2"] = step(at(12, 9, 9), actions.ticket_callback, ticket=t["T2"], actor=huifang, contacted=True, solved=True,
                   satisfaction="basic", unit_contacted=False)
    t["T3"] = step(at(12, 9, 9), actions.ticket_callback, ticket=t["T3"], actor=huifang, contacted=True, solved=True,
                   satisfaction="satisfied", unit_contacted=True)
    settle()
    return Week(tickets=t)
