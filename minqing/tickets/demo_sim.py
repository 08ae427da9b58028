"""The demo's simulation of one request: `Sim` walks it through lifecycle.STEPS with invented but consistent
timings (clock columns set by the same functions as actions/core.apply), and the steps that involve several
units — dispatch with co-handlers, 先行联系, 吹哨报到, 延期, deadlines passing (到期评价), 办结审核, the
callback team's calls — as demo.py's walk through a request uses them."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from typing import Any

from django.utils import timezone

from minqing.accounts.models import User
from minqing.org.models import Unit, UnitKind

from .actions.callback import rechecked
from .actions.core import PASSES
from .deadlines import Policy, calendar, due_data, limits, next_check, step_columns, warn_at
from .lifecycle import OPEN_STATUSES, STEPS, Actor, Status, is_allowed_step
from .models import Disposition, Satisfaction


class Stop(Exception):
    pass


class Sim:
    """One request walked through the state machine with invented but consistent timings."""

    def __init__(self, *, now: dt.datetime, rng: random.Random, fields: dict[str, Any], policy: Policy,
                 actors: Callable[[Unit, bool], tuple[User | None, str]]) -> None:
        self.now, self.rng, self.f, self.policy, self.actors = now, rng, fields, policy, actors
        self.cal = calendar()
        self.events: list[dict[str, Any]] = []  # rows of TicketEvent, written in bulk
        self.parts: list[dict[str, Any]] = []  # rows of Part (协办, 吹哨报到)
        self.levels: dict[int, Unit] = {}  # unit → the unit above it, for 问题工单
        self.t = fields["created_at"]

    def later(self, lo: float, hi: float) -> dt.datetime:
        """Move on by a random amount of working time; stop once we pass now."""
        self.t = self.cal.add(self.t, self.rng.uniform(lo, hi))
        if self.t > self.now:
            raise Stop
        return self.t

    def event(self, action: str, frm: str, to: str, *, unit: Unit | None, to_unit: Unit | None = None,
              note: str = "", reason: str = "", data: dict | None = None, resident: bool = False,
              system: bool = False) -> None:
        assert is_allowed_step(action, frm or None, to), (action, frm, to)
        if system:
            user, label = None, "系统巡检"
        else:
            callback = STEPS[action].actor == Actor.CALLBACK  # 办理与监督相分离: the callback team, never the handler
            user, label = (None, "反映人本人") if resident or unit is None else self.actors(unit, callback)
        from_unit = self.f["handling_unit"] if action != "create" else None
        self.events.append(event_row(action=action, from_status=frm, to_status=to, actor=user, actor_label=label,
                                      actor_unit=unit, from_unit=from_unit, to_unit=to_unit, note=note,
                                      reason=reason, data=data, created_at=self.t))

    def note(self, name: str, *, unit: Unit | None, note: str = "", data: dict | None = None,
             system: bool = False) -> None:
        """A note step, with what it does to the clocks (先行联系 stops its clock)."""
        clocks = step_columns(STEPS[name], now=self.t, minutes={})
        if clocks:
            clocks["next_check_at"] = next_check(before=self.f, changes=clocks, status=self.f["status"], now=self.t)
            self.f.update(clocks)
        self.event(name, self.f["status"], self.f["status"], unit=unit, note=note, data=data, system=system)

    def at_least(self, minutes: float) -> dt.datetime:
        """Move on by natural minutes; stop once we pass now."""
        self.t = self.t + dt.timedelta(minutes=minutes)
        if self.t > self.now:
            raise Stop
        return self.t

    def go(self, name: str, *, note: str = "", reason: str = "", data: dict | None = None,
           changes: dict | None = None, unit: Unit | None = None, resident: bool = False,
           complexity: str | None = None, remaining: float | None = None, system: bool = False) -> None:
        step = STEPS[name]
        assert step.target is not None
        frm = self.f["status"]
        minutes = limits(step, policy=self.policy, complexity=complexity or self.f["complexity"], remaining=remaining)
        clocks = step_columns(step, now=self.t, minutes=minutes)
        changes = {**clocks, **(changes or {})}
        if step.target not in OPEN_STATUSES:  # as actions.core.apply: no 到期评价 once resolved or finished
            changes.setdefault("evaluation_due_at", None)
        changes["next_check_at"] = next_check(before=self.f, changes=changes, status=step.target, now=self.t)
        new_unit = changes.get("handling_unit")
        self.event(name, frm, step.target, unit=None if system else unit or self.f["handling_unit"],
                   to_unit=new_unit if new_unit is not None and new_unit != self.f["handling_unit"] else None,
                   note=note, reason=reason, data={**due_data(clocks), **(data or {})}, resident=resident, system=system)
        self.f.update(changes)
        self.f["status"] = step.target
        self.f["updated_at"] = self.t
        self.f["version"] = self.f.get("version", 0) + 1
        if name in PASSES and not self.f.get("problem_at"):
            self._problem()

    def _problem(self) -> None:
        """问题工单, as actions.core flags it: sent to three units or more → supervised a level up."""
        units = {e["to_unit_id"] for e in self.events if e["action"] in PASSES and e["to_unit_id"]}
        if len(units) < 3:
            return
        holder = self.f["handling_unit"]
        supervisor = self.levels.get(holder.pk) or holder
        text = f"先后交给 {len(units)} 个单位办理"
        self.f.update(problem_at=self.t, supervised_by=supervisor)
        self.note("problem", unit=None, system=True, note=f"{text}，列为问题工单，由{supervisor.name}督办。",
                  data={"reason_text": text, "units": len(units), "supervisor_id": supervisor.pk})


def send(sim: Sim, name: str, unit: Unit, complexity: str, by: Unit | None = None, assist: Unit | None = None) -> None:
    data: dict[str, Any] = {"complexity": complexity}
    if assist is not None:  # a co-handler (协办) with its own task: sign as the lead does, reply by the lead's deadline
        entry = {"unit_id": assist.pk, "unit": assist.name, "role": "assist", "task": "配合主办单位现场处置",
                 "sign_due_at": sim.cal.add(sim.t, sim.policy.response_minutes).isoformat(),
                 "done_due_at": sim.cal.add(sim.t, sim.policy.resolve_for(complexity)).isoformat()}
        data["parts"] = [entry]
        sim.parts.append({**entry, "assigned_by": by or sim.f["handling_unit"], "assigned_at": sim.t})
    sim.go(name, note="请按时限办理并及时回复群众。", data=data, complexity=complexity, unit=by,
           changes={"handling_unit": unit, "sender_unit": sim.f["handling_unit"], "complexity": complexity,
                    "disposition": sim.f.get("disposition") or Disposition.PROMISED})


def contact(sim: Sim) -> None:
    """先行联系: most holders call the reporter within hours of signing; some never record it (late at the end)."""
    if sim.rng.random() < 0.85:
        sim.at_least(sim.rng.uniform(20, 30 * 60))
        sim.note("contact", unit=sim.f["handling_unit"], note="已电话联系反映人，约定上门查看。",
                 data={"unit": sim.f["handling_unit"].name})


def part_step(sim: Sim, part: dict[str, Any], action: str, column: str, note: str) -> None:
    part[column] = sim.t
    sim.note(action, unit=part["unit_obj"], note=note,
             data={"unit_id": part["unit_id"], "part_unit": part["unit"], "role": part["role"],
                   "role_label": "协办" if part["role"] == "assist" else "吹哨报到"})


def assist(sim: Sim, unit: Unit) -> None:
    part = sim.parts[-1]
    part["unit_obj"] = unit
    sim.later(10, 300)
    part_step(sim, part, "part_sign", "signed_at", "签收协办任务")
    sim.later(300, 1500)
    part_step(sim, part, "part_reply", "done_at", "已配合完成现场处置。")
    part["reply"] = "已配合完成现场处置。"


def summon(sim: Sim, *, street_office: Unit, departments: list[Unit]) -> None:
    """吹哨报到: the street summons one or two departments; one may be late to sign; the street rates each."""
    rng = sim.rng
    chosen = rng.sample(departments, k=min(len(departments), rng.choice([1, 2])))
    sim.later(10, 120)
    entries = []
    for u in chosen:
        entry = {"unit_id": u.pk, "unit": u.name, "role": "summoned", "task": "请到场会商处置。",
                 "sign_due_at": (sim.t + dt.timedelta(hours=1)).isoformat(),
                 "contact_due_at": (sim.t + dt.timedelta(hours=24)).isoformat(),
                 "done_due_at": sim.cal.add(sim.t, 3 * sim.cal.day_minutes).isoformat()}
        entries.append(entry)
        sim.parts.append({**entry, "assigned_by": street_office, "assigned_at": sim.t, "unit_obj": u})
    sim.note("summon", unit=street_office, note="涉及多个部门，请按时到场报到。",
             data={"parts": entries, "units": [e["unit"] for e in entries]})
    start = end = sim.t
    for part in sim.parts[-len(entries):]:
        sim.t = start
        late = rng.random() < 0.3
        sim.at_least(rng.uniform(80, 300) if late else rng.uniform(5, 50))
        if late:  # the sweep found it unsigned after the hour: counted late, sent up to the district centre
            sim.note("part_overdue", unit=None, system=True, note=f"{part['unit']}的吹哨报到签收已超时。",
                     data={"unit_id": part["unit_id"], "part_unit": part["unit"], "clocks": ["part_sign"],
                           "notify_unit_id": part["unit_id"]})
        part_step(sim, part, "part_sign", "signed_at", "签收报到")
        sim.at_least(rng.uniform(60, 600))
        part_step(sim, part, "part_contact", "contacted_at", "已联系反映人了解情况。")
        sim.later(120, 1200)
        part_step(sim, part, "part_reply", "done_at", "已到现场会商，提出处置意见。")
        part["reply"] = "已到现场会商，提出处置意见。"
        rating = 2 if late else rng.choice([4, 5, 5])
        part["rating"] = rating
        sim.note("part_rate", unit=street_office, note="到场及时，意见明确。" if rating > 3 else "签收不及时。",
                 data={"unit_id": part["unit_id"], "part_unit": part["unit"], "rating": rating})
        end = max(end, sim.t)
    sim.t = end


def extension(sim: Sim, *, above: Unit) -> None:
    """延期: asked before the deadline, decided by the level above — mostly approved, five more working days."""
    f, holder = sim.f, sim.f["handling_unit"]
    due = f.get("resolve_due_at")
    sim.later(60, 900)
    if due is None or sim.t >= due:
        return
    new_due = sim.cal.add(due, 5 * sim.cal.day_minutes)
    asked = {"original_due_at": due.isoformat(), "new_due_at": new_due.isoformat()}
    sim.event("extension_request", f["status"], f["status"], unit=holder, note="需要协调供电公司停电施工，申请延期。",
              data={"notify_unit_id": above.pk, "extension": None, **asked})
    sim.later(20, 300)
    if sim.t < due and sim.rng.random() < 0.8:
        f["resolve_due_at"] = new_due
        f["resolve_warn_at"] = warn_at(started_at=f.get("resolve_started_at") or sim.t, due_at=new_due)
        f["next_check_at"] = next_check(before=f, changes={}, status=f["status"], now=sim.t)
        sim.event("extension_approve", f["status"], f["status"], unit=above, note="同意延期。",
                  data={"notify_unit_id": holder.pk, **asked, "new_due": f"{timezone.localtime(new_due):%Y-%m-%d}"})
    else:
        sim.event("extension_refuse", f["status"], f["status"], unit=above, note="请在原时限内办结。",
                  data={"notify_unit_id": holder.pk, "original_due_at": due.isoformat(), "new_due_at": None})


def overdue(sim: Sim, *, above: Unit, team: Unit) -> None:
    """The resolution deadline passed unresolved: the sweep records it and sends it up (as sweep.py does), and
    the callback team asks the resident there and then (到期评价) for most of them."""
    f, rng = sim.f, sim.rng
    holder = f["handling_unit"]
    sim.note("overdue", unit=None, system=True, note=f"办结时限已过，{holder.name}尚未完成，已自动上报{above.name}督办。",
             data={"clocks": ["resolve"], "due": {"resolve": f["resolve_due_at"].isoformat()}, "by": "系统巡检",
                   "supervisor": above.name, "supervisor_id": above.pk})
    f["supervised_by"] = above
    f["next_check_at"] = next_check(before=f, changes={}, status=f["status"], now=sim.t + dt.timedelta(minutes=1))
    if not f["reporter_phone"]:
        return  # anonymous: nobody to call
    if rng.random() < 0.6:
        sim.later(30, 600)
        satisfaction = rng.choice([Satisfaction.DISSATISFIED, Satisfaction.DISSATISFIED, Satisfaction.BASIC])
        sim.note("evaluate", unit=team, note="到期未办结，群众反映还在等待处理。",
                 data={"contacted": True, "unit_contacted": rng.random() < 0.7, "solved": False,
                       "satisfaction": satisfaction, "by": "staff"})
    else:
        f["evaluation_due_at"] = sim.t  # still to be asked


def resolve(sim: Sim, *, office: Unit, result: str) -> None:
    """办结, or — for the categories under review — submitted, reviewed by the dispatching unit (sometimes
    sent back once), then passed."""
    f, rng = sim.f, sim.rng
    if f["category"].parent.code not in REVIEWED or f["handling_unit"].kind != UnitKind.DEPARTMENT:
        sim.go("resolve", note=result, changes={"result": result, "resolved_at": sim.t})
        return
    reviewer = f.get("sender_unit") or office
    sim.go("submit", note=result, changes={"result": result, "review": "dispatcher", "reviewer_unit": reviewer,
                                           "submitted_at": sim.t}, data={"review": "dispatcher"})
    sim.later(60, 4000)  # reviewers take their time: some replies are still waiting
    if rng.random() < 0.25:
        sim.go("review_reject", note="现场查看仍未整改到位，请继续办理。", unit=reviewer,
               changes={"review": "", "submitted_at": None})
        sim.later(120, 1500)
        sim.go("submit", note="已再次整改，现场复查合格。", changes={"submitted_at": sim.t, "review": "dispatcher"},
               data={"review": "dispatcher"})
        sim.later(30, 600)
    sim.go("review_pass", note="办理结果属实。", unit=reviewer, changes={"resolved_at": sim.t})


# Categories whose resolutions the dispatching unit reviews in the demo (ReviewRule rows, demo.build_catalogue).
REVIEWED = ("SR",)


def callback(sim: Sim, p: Policy, *, office: Unit, agent: Unit) -> None:
    """The callback by the street's callback team (never the handling unit): 是否联系 / 是否解决 / 满意度; calls
    that do not get through are attempts, three of them at different times make an invalid callback."""
    rng, f = sim.rng, sim.f
    unreachable = rng.random() < 0.03
    for attempt in range(3):
        sim.later(130, 1200)
        if unreachable or (rng.random() < 0.08 and attempt < 2):
            sim.event("callback_attempt", Status.RESOLVED, Status.RESOLVED, unit=agent, note="电话未接通",
                      data={"contacted": False, "counted": True, "attempt": attempt + 1})
            continue
        break
    if unreachable:
        sim.go("callback_invalid", unit=agent, changes={"closed_at": sim.t, "callback_attempts": 3},
               note="3 次在不同时间回访均未联系上，作无效回访结案（不计入解决率、满意率）。", data={"attempts": 3})
        return
    r = rng.random()
    satisfaction = Satisfaction.SATISFIED if r < 0.72 else (Satisfaction.BASIC if r < 0.92 else Satisfaction.DISSATISFIED)
    solved = satisfaction != Satisfaction.DISSATISFIED or rng.random() < 0.3
    data = {"contacted": True, "unit_contacted": rng.random() < 0.88, "solved": solved, "satisfaction": satisfaction,
            "by": "staff"}
    if satisfaction == Satisfaction.DISSATISFIED:
        sim.go("rework", note="群众反映问题没有彻底解决，要求重新处理。", data=data,
               changes={"satisfaction": satisfaction, "rework_count": f.get("rework_count", 0) + 1,
                        "resolved_at": None}, unit=agent)
        sim.later(60, 2000)
        resolve(sim, office=office, result="返工后已彻底处理，群众认可。")
        sim.later(30, 900)
        satisfaction = Satisfaction.BASIC
        data = {"contacted": True, "unit_contacted": True, "solved": True, "satisfaction": satisfaction, "by": "staff"}
    recheck = rechecked(f["number"])
    sim.go("close", data={**data, **({"recheck": True} if recheck else {})}, unit=agent,
           changes={"satisfaction": satisfaction, "closed_at": sim.t, **({"recheck_due_at": sim.t} if recheck else {})})
    if recheck:  # 复核: called again by the callback team; one in five says otherwise
        sim.later(120, 1500)
        differs = rng.random() < 0.2
        again = {"contacted": True, "unit_contacted": data["unit_contacted"], "solved": solved and not differs,
                 "satisfaction": Satisfaction.DISSATISFIED if differs else satisfaction, "consistent": not differs,
                 "differs": ["是否解决", "满意度"] if differs else []}
        sim.note("recheck", unit=agent, note="复核与回访不一致：群众说问题没有解决。" if differs else "复核与回访一致。",
                 data=again)
        f["recheck_due_at"], f["recheck_discrepancy"] = None, differs


EVENT_COLUMNS = ["ticket_id", "action", "from_status", "to_status", "actor_id", "actor_label", "actor_unit_id",
                 "from_unit_id", "to_unit_id", "note", "reason", "data", "created_at"]


def event_row(*, action: str, from_status: str, to_status: str, actor: User | None, actor_label: str,
               actor_unit: Unit | None, from_unit: Unit | None, to_unit: Unit | None, note: str, reason: str,
               data: dict | None, created_at: dt.datetime) -> dict[str, Any]:
    return {"action": action, "from_status": from_status, "to_status": to_status,
            "actor_id": actor.pk if actor else None, "actor_label": actor_label,
            "actor_unit_id": actor_unit.pk if actor_unit else None, "from_unit_id": from_unit.pk if from_unit else None,
            "to_unit_id": to_unit.pk if to_unit else None, "note": note, "reason": reason, "data": data or {},
            "created_at": created_at}


