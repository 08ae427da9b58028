"""`manage.py demo`: the demo district and N requests spread over every state.

Requests are simulated step by step through lifecycle.STEPS (the clocks set as actions/core.apply
sets them, by the same functions) and written with bulk inserts, so a million requests take minutes. The same
seed and the same `now` give the same data.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from minqing.accounts.models import RoleAssignment, User
from minqing.lib.crypto import lookup_hash
from minqing.org.models import Area, AreaKind, Unit, UnitKind

from . import demo_data
from .actions.callback import rechecked
from .actions.core import PASSES
from .deadlines import Policy, calendar, due_data, limits, next_check, policy_for, step_columns, warn_at
from .lifecycle import OPEN_STATUSES, STEPS, Actor, Status, is_allowed_step
from .models import (
    Category,
    Channel,
    Complexity,
    DeadlinePolicy,
    Disposition,
    Part,
    RejectReason,
    ReviewRule,
    Satisfaction,
    Ticket,
    TicketCounter,
    TicketEvent,
    TicketType,
    Urgency,
)

CHUNK = 5000
DEMO_CHANNELS = [Channel.HOTLINE, Channel.MAILBOX, Channel.VISIT, Channel.TALK_HALL, Channel.ONLINE, Channel.HOTLINE_12345]


# --- organisation, catalogue, accounts ------------------------------------------------------
def build_org() -> None:
    district = Area.objects.create(name=demo_data.DISTRICT[0], kind=AreaKind.DISTRICT, code="620103", population=demo_data.DISTRICT[1])
    Unit.objects.create(name="七里河区民情服务中心", kind=UnitKind.DISTRICT_CENTER, area=district,
                        address="七里河区西津西路", contact_name="孙卫东", contact_phone="0931-2330000")
    for name, brands in demo_data.DEPARTMENTS:
        Unit.objects.create(name=name, kind=UnitKind.DEPARTMENT, area=district, brands=brands)
    stems = list(demo_data.COMPOUND_STEMS)
    for s_i, (street_name, communities) in enumerate(demo_data.STREETS.items(), start=1):
        street = Area.objects.create(name=street_name, kind=AreaKind.STREET, parent=district, code=f"620103{s_i:03d}")
        Unit.objects.create(name=f"{street_name}办事处", kind=UnitKind.STREET_OFFICE, area=street)
        for c_i, (name, households, population, grids) in enumerate(communities, start=1):
            community = Area.objects.create(
                name=name, kind=AreaKind.COMMUNITY, parent=street, code=f"{street.code}{c_i:03d}",
                households=households, population=population,
            )
            Unit.objects.create(name=f"{name}居委会", kind=UnitKind.COMMUNITY_OFFICE, area=community)
            named = list(demo_data.NAMED_COMPOUNDS.get(name, []))
            numerals = "一二三四五六七八九十"
            for g_i in range(1, grids + 1):
                grid = Area.objects.create(
                    name=f"{name}第{numerals[g_i - 1]}网格", kind=AreaKind.GRID, parent=community,
                    code=f"{community.code}{g_i:02d}", households=households // grids,
                )
                for k in range(1, 3):
                    if named:
                        compound_name = named.pop(0)
                    else:
                        stem = stems[(s_i * 7 + c_i * 5 + g_i * 3 + k) % len(stems)]
                        compound_name = f"{stem}{'' if k == 1 else '二期'}"
                    Area.objects.create(name=compound_name, kind=AreaKind.COMPOUND, parent=grid,
                                        code=f"{grid.code}{k:02d}")
    areas = {a.name: a for a in Area.objects.filter(kind__in=[AreaKind.COMMUNITY, AreaKind.STREET])}
    for name, kind, where, brands in demo_data.PARTNERS:
        Unit.objects.create(name=name, kind=kind, area=areas[where], brands=brands)


def build_catalogue() -> None:
    units = {u.name: u for u in Unit.objects.all()}
    for sort, (name, brand, code, children) in enumerate(demo_data.CATALOGUE):
        parent = Category.objects.create(name=name, brand=brand, code=code, sort=sort)
        for c_sort, (child, unit_name, child_code) in enumerate(children):
            Category.objects.create(name=child, parent=parent, brand=brand, code=child_code, sort=c_sort,
                                    default_unit=units.get(unit_name) if unit_name else None)
    DeadlinePolicy.objects.create(urgency=Urgency.NORMAL, response_hours=7, resolve_days=5, complex_resolve_days=15,
                                  escalated_resolve_days=3)
    DeadlinePolicy.objects.create(urgency=Urgency.URGENT, response_hours=2, resolve_days=2, complex_resolve_days=5,
                                  escalated_resolve_days=1)
    # Illegal construction takes longer everywhere: demolition needs notices and hearings.
    DeadlinePolicy.objects.create(category=Category.objects.get(code="SR01"), urgency=Urgency.NORMAL,
                                  response_hours=7, resolve_days=10, complex_resolve_days=30, escalated_resolve_days=5)


def build_rules() -> None:
    """The demo district's accountability rules beyond the defaults: law-enforcement matters a department
    resolves are reviewed by the unit that dispatched them (办结审核). (Not in the tests' cast.)"""
    for code in REVIEWED:
        ReviewRule.objects.get_or_create(category=Category.objects.get(code=code), level="district",
                                         defaults={"review": "dispatcher"})


def build_accounts() -> list[tuple[str, str, str, str]]:
    units = {u.name: u for u in Unit.objects.all()}
    grids = {a.name: a for a in Area.objects.filter(kind=AreaKind.GRID)}
    rows = []
    for username, full_name, role, where in demo_data.ACCOUNTS:
        user = User.objects.create_user(username=username, password=demo_data.DEMO_PASSWORD, full_name=full_name,
                                        phone=f"1390931{len(rows):04d}")
        if role == "admin":
            user.is_staff = user.is_superuser = True
            user.save()
        unit = units.get(where) if where else None
        area = grids.get(where) if where else None
        RoleAssignment.objects.create(user=user, role=role, unit=unit, area=area)
        rows.append((username, full_name, RoleAssignment(role=role).get_role_display(), where or ""))
    return rows


# --- requests -------------------------------------------------------------------------------
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
        self.events.append(_event_row(action=action, from_status=frm, to_status=to, actor=user, actor_label=label,
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


def _phone(rng: random.Random) -> str:
    return f"1{rng.choice('35789')}{rng.randrange(10**9):09d}"


def _name(rng: random.Random) -> str:
    return rng.choice(demo_data.SURNAMES) + rng.choice(demo_data.GIVEN)


def generate_tickets(*, count: int, seed: int, now: dt.datetime, days: int = 150,
                     progress: Callable[[int], None] | None = None) -> int:
    rng = random.Random(seed)
    communities = list(Area.objects.filter(kind=AreaKind.COMMUNITY).select_related("parent"))
    weights = [3.0 if c.name in {"瓜州路社区", "小西坪社区", "建西东路社区"} else 1.0 for c in communities]
    grids_by_c: dict[int, list[Area]] = defaultdict(list)
    compounds_by_g: dict[int, list[Area]] = defaultdict(list)
    for a in Area.objects.filter(kind__in=[AreaKind.GRID, AreaKind.COMPOUND]).order_by("code"):
        (grids_by_c if a.kind == AreaKind.GRID else compounds_by_g)[a.parent_id].append(a)
    units = list(Unit.objects.select_related("area"))
    office_of = {u.area_id: u for u in units if u.kind == UnitKind.COMMUNITY_OFFICE}
    street_office_of = {u.area_id: u for u in units if u.kind == UnitKind.STREET_OFFICE}
    center = next(u for u in units if u.kind == UnitKind.DISTRICT_CENTER)
    departments = [u for u in units if u.kind == UnitKind.DEPARTMENT]
    partners_by_area: dict[int, list[Unit]] = defaultdict(list)
    for u in units:
        if u.kind in {UnitKind.PARTNER, UnitKind.PROPERTY, UnitKind.SOCIAL_ORG, UnitKind.OWNERS_COMMITTEE}:
            partners_by_area[u.area_id].append(u)
    categories = list(Category.objects.filter(parent__isnull=False).select_related("parent", "default_unit"))
    policies = {(c.pk, u): policy_for(category=c, urgency=u) for c in categories for u in Urgency.values}
    assigned = RoleAssignment.objects.select_related("user").exclude(unit=None)
    accounts = {r.unit_id: r.user for r in assigned.exclude(role="callback_agent")}
    callback_teams = {r.unit_id: r.user for r in assigned.filter(role="callback_agent")}
    grid_workers = {r.area_id: r.user for r in RoleAssignment.objects.select_related("user").filter(role="grid_worker")}
    resident = User.objects.filter(username="jumin").first()
    staff_names: dict[int, str] = {}

    def actor_for(unit: Unit, callback: bool = False) -> tuple[User | None, str]:
        """Who acts for `unit`: its demo account, or an invented name. Callbacks are made by the callback team."""
        user = (callback_teams if callback else accounts).get(unit.pk)
        if user is not None:
            return user, user.full_name
        key = -unit.pk if callback else unit.pk
        if key not in staff_names:
            staff_names[key] = _name(random.Random(key * 7919))
        return None, staff_names[key]

    start = now - dt.timedelta(days=days)
    span = (now - start).total_seconds()
    # Ages skew recent, as a live system's do (the open ones are recent); a history of years is steady.
    # Sorted so numbers follow time.
    skew = 1.6 if days <= 366 else 1.0
    offsets = sorted(span * (1 - rng.random() ** skew) for _ in range(count))
    counters: dict[dt.date, int] = defaultdict(int)
    made = 0
    for chunk_start in range(0, count, CHUNK):
        sims: list[Sim] = []
        merges: list[tuple[int, int]] = []
        recent: dict[int, int] = {}
        for offset in offsets[chunk_start:chunk_start + CHUNK]:
            created = start + dt.timedelta(seconds=offset)
            local = timezone.localtime(created)
            if local.hour < 7 or local.hour > 21:  # few people call at night: move it to the morning
                created = min(created + dt.timedelta(hours=9), now - dt.timedelta(minutes=rng.randint(1, 600)))
            community = rng.choices(communities, weights)[0]
            grid = rng.choice(grids_by_c[community.pk])
            compound = rng.choice(compounds_by_g[grid.pk])
            # Some residents report what a neighbour already reported: those get merged.
            dup_of = recent.get(community.pk) if rng.random() < 0.05 else None
            category = sims[dup_of].f["category"] if dup_of is not None else rng.choice(categories)
            urgency = Urgency.URGENT if rng.random() < 0.08 else Urgency.NORMAL
            channel = rng.choices(DEMO_CHANNELS, [25, 8, 30, 12, 15, 10])[0]  # 议事协商 comes from the meetings demo
            text = rng.choice(demo_data.TEXTS.get(category.code, ["{c}的问题反映好几次了，一直没人管，请尽快处理。"]))
            text = text.format(c=compound.name, b=rng.randint(1, 24))
            anonymous = rng.random() < 0.08
            day = timezone.localdate(created)
            counters[day] += 1
            office = office_of[community.pk]
            is_resident = resident is not None and rng.random() < 0.02 and not anonymous
            fields: dict[str, Any] = {
                "number": f"MQ-{day:%Y%m%d}-{counters[day]:05d}", "channel": Channel.ONLINE if is_resident else channel,
                "type": rng.choices(TicketType.values, [10, 35, 35, 10, 10])[0], "category": category,
                "title": f"{compound.name}{category.name}", "text": text, "urgency": urgency,
                "street": community.parent, "community": community, "grid": grid, "compound": compound,
                "address": f"{rng.randint(1, 24)}号楼{rng.randint(1, 6)}单元", "anonymous": anonymous,
                "reporter_name": "" if anonymous else (resident.full_name if is_resident else _name(rng)),
                "reporter_phone": "" if anonymous else (resident.phone if is_resident else _phone(rng)),
                "reporter_user": resident if is_resident else None,
                "status": "", "handling_unit": office, "complexity": Complexity.NORMAL, "created_at": created, "updated_at": created,
                "created_by": grid_workers.get(grid.pk) if channel == Channel.VISIT else None,
            }
            fields["reporter_phone_hash"] = lookup_hash(fields["reporter_phone"])
            sim = Sim(now=now, rng=rng, fields=fields, policy=policies[(category.pk, urgency)], actors=actor_for)
            sim.levels = {office.pk: street_office_of[community.parent_id], street_office_of[community.parent_id].pk: center,
                          **{d.pk: center for d in departments}}
            _simulate(sim, office=office, street_office=street_office_of[community.parent_id], center=center,
                      departments=departments, partners=partners_by_area[community.pk] + partners_by_area[community.parent_id],
                      merge_target=sims[dup_of] if dup_of is not None else None, callback_streets=set(callback_teams))
            if sim.f["status"] == Status.MERGED:
                merges.append((len(sims), dup_of))
            recent[community.pk] = len(sims)
            sims.append(sim)
        _write(sims, merges)
        made += len(sims)
        if progress:
            progress(made)
    for day, last in counters.items():
        TicketCounter.objects.update_or_create(day=day, defaults={"last": last})
    return made


def build_applications() -> int:
    """A few applications waiting for the level above today, made through the actions as staff would: a return
    (退单) by 城管, a suspension (缓办) by 瓜州路社区, an extension (延期) by 住建局."""
    from . import actions

    users = {u.username: u for u in User.objects.filter(username__in=["bumen", "shequ", "zhujian"])}
    made = 0
    plans = [("bumen", "区城市管理行政执法局", "return"), ("shequ", "瓜州路社区居委会", "suspend"),
             ("zhujian", "区住建局", "extension")]
    for username, unit, kind in plans:
        user = users.get(username)
        ticket = Ticket.objects.filter(status="in_progress", handling_unit__name=unit, applications=None,
                                       resolve_due_at__gt=timezone.now()).order_by("-created_at").first()
        if user is None or ticket is None:
            continue
        if kind == "return":
            actions.return_apply(ticket=ticket, actor=user, reason_code="place",
                                 reason="反映的地点在建西东路社区，不在我局本次专项整治范围，建议改派属地街道。")
        elif kind == "suspend":
            actions.suspend_apply(ticket=ticket, actor=user, until=timezone.localdate() + dt.timedelta(days=60),
                                  reason="需要业主大会表决动用维修资金，纳入计划办理。")
        else:
            actions.extension_request(ticket=ticket, actor=user, new_due=timezone.localdate() + dt.timedelta(days=20),
                                      reason="需要协调供电公司停电施工。")
        made += 1
    return made


def _status_at(sim: Sim, at: dt.datetime) -> str:
    status = Status.RECEIVED
    for e in sim.events:
        if e["created_at"] <= at:
            status = e["to_status"]
    return status


def _simulate(sim: Sim, *, office: Unit, street_office: Unit, center: Unit, departments: list[Unit],
              partners: list[Unit], merge_target: Sim | None, callback_streets: set[int]) -> None:
    rng, f, p = sim.rng, sim.f, sim.policy
    online = f["channel"] == Channel.ONLINE
    # The street's callback team if it has one (西湖街道 in the demo), else the district's.
    team = street_office if street_office.pk in callback_streets else center
    create = STEPS["create"]
    resp = step_columns(create, now=f["created_at"], minutes=limits(create, policy=p))
    f.update(resp)
    f["next_check_at"] = next_check(before={}, changes=resp, status=Status.RECEIVED, now=f["created_at"])
    f["status"] = Status.RECEIVED
    sim.event("create", "", Status.RECEIVED, unit=None if online else office, to_unit=office,
              data={"channel": f["channel"], **due_data(resp)}, resident=online)
    try:
        r = rng.random()
        if r < 0.04:
            sim.later(20, 300)
            reason = rng.choice(RejectReason.values)
            note = {"emergency": "已告知群众拨打119并联系消防。", "legal": "该纠纷已进入诉讼程序，请通过法院解决。",
                    "repeat": "与此前已办结事项相同，无新情况，已向群众解释。",
                    "outside_remit": "属于业主与开发商之间的合同纠纷，建议通过协商或诉讼解决。",
                    "other": "反映内容不清楚，多次联系未果。"}[reason]
            sim.go("reject", note=note, reason=reason, changes={"closed_at": sim.t, "result": note,
                   **({"disposition": Disposition.ADVISORY} if reason == RejectReason.OUTSIDE_REMIT else {})})
            return
        if merge_target is not None:
            sim.later(10, 200)
            target_status = _status_at(merge_target, sim.t)
            if target_status not in {Status.CLOSED, Status.REJECTED, Status.MERGED}:
                sim.go("merge", note="同一问题，合并办理。", data={"into": merge_target.f["number"]},
                       changes={"closed_at": sim.t})
                user, label = sim.actors(office, False)
                merge_target.events.append(_event_row(
                    action="merged_in", from_status=target_status, to_status=target_status, actor=user,
                    actor_label=label, actor_unit=office, from_unit=None, to_unit=None,
                    note="同一问题，合并办理。", reason="", data={"duplicate": f["number"]}, created_at=sim.t))
                return
        sim.later(10, 480)
        sim.go("accept")
        if rng.random() < 0.15:
            sim.later(20, 240)
            result = "网格员当场协调解决，已向群众说明。"
            sim.go("resolve_on_spot", note=result, changes={"disposition": Disposition.ON_SPOT, "result": result,
                                                             "resolved_at": sim.t})
        else:
            _handle(sim, office=office, street_office=street_office, center=center, departments=departments,
                    partners=partners, team=team)
        _callback(sim, p, office=office, agent=team)
    except Stop:
        return


def _send(sim: Sim, name: str, unit: Unit, complexity: str, by: Unit | None = None, assist: Unit | None = None) -> None:
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


def _contact(sim: Sim) -> None:
    """先行联系: most holders call the reporter within hours of signing; some never record it (late at the end)."""
    if sim.rng.random() < 0.85:
        sim.at_least(sim.rng.uniform(20, 30 * 60))
        sim.note("contact", unit=sim.f["handling_unit"], note="已电话联系反映人，约定上门查看。",
                 data={"unit": sim.f["handling_unit"].name})


def _part_step(sim: Sim, part: dict[str, Any], action: str, column: str, note: str) -> None:
    part[column] = sim.t
    sim.note(action, unit=part["unit_obj"], note=note,
             data={"unit_id": part["unit_id"], "part_unit": part["unit"], "role": part["role"],
                   "role_label": "协办" if part["role"] == "assist" else "吹哨报到"})


def _assist(sim: Sim, unit: Unit) -> None:
    part = sim.parts[-1]
    part["unit_obj"] = unit
    sim.later(10, 300)
    _part_step(sim, part, "part_sign", "signed_at", "签收协办任务")
    sim.later(300, 1500)
    _part_step(sim, part, "part_reply", "done_at", "已配合完成现场处置。")
    part["reply"] = "已配合完成现场处置。"


def _summon(sim: Sim, *, street_office: Unit, departments: list[Unit]) -> None:
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
        _part_step(sim, part, "part_sign", "signed_at", "签收报到")
        sim.at_least(rng.uniform(60, 600))
        _part_step(sim, part, "part_contact", "contacted_at", "已联系反映人了解情况。")
        sim.later(120, 1200)
        _part_step(sim, part, "part_reply", "done_at", "已到现场会商，提出处置意见。")
        part["reply"] = "已到现场会商，提出处置意见。"
        rating = 2 if late else rng.choice([4, 5, 5])
        part["rating"] = rating
        sim.note("part_rate", unit=street_office, note="到场及时，意见明确。" if rating > 3 else "签收不及时。",
                 data={"unit_id": part["unit_id"], "part_unit": part["unit"], "rating": rating})
        end = max(end, sim.t)
    sim.t = end


def _handle(sim: Sim, *, office: Unit, street_office: Unit, center: Unit, departments: list[Unit],
            partners: list[Unit], team: Unit) -> None:
    rng, f, p = sim.rng, sim.f, sim.policy
    complexity = Complexity.COMPLEX if rng.random() < 0.12 else Complexity.NORMAL
    default = f["category"].default_unit
    if partners and rng.random() < 0.12:
        unit = rng.choice(partners)
    else:
        unit = default or office
    sim.later(5, 120)
    assist = rng.choice(partners) if partners and unit.kind == UnitKind.DEPARTMENT and rng.random() < 0.1 else None
    _send(sim, "dispatch", unit, complexity, assist=assist)
    if assist is not None:
        _assist(sim, assist)
    if rng.random() < 0.06 and unit != office:
        # 退单: the unit applies; the level above (the district centre for departments, the street for the
        # rest) approves and sends it to the community, or refuses and the unit carries on.
        above = center if unit.kind == UnitKind.DEPARTMENT else street_office
        sim.later(30, 500)
        code = rng.choice(["place", "remit", "remit", "info"])
        sim.event("return_apply", f["status"], f["status"], unit=unit, reason=code,
                  note="经核实不属于本单位职责，申请退单。", data={"notify_unit_id": above.pk})
        sim.later(20, 300)
        if rng.random() < 0.35:
            sim.event("return_refuse", f["status"], f["status"], unit=above,
                      note="属于贵单位职责范围，请继续办理。", data={"notify_unit_id": unit.pk})
        else:
            sim.go("return", note="同意退单，改派社区办理。", unit=above, reason=code,
                   changes={"handling_unit": above, "sender_unit": None})
            sim.later(5, 60)
            _send(sim, "dispatch", office, complexity, by=above)
    sim.later(10, 600)
    sim.go("sign")
    _contact(sim)
    if f["handling_unit"] == office and rng.random() < 0.15:
        sim.later(60, 900)
        sim.go("escalate", note="涉及多个部门，社区协调不了，请街道吹哨。",
               changes={"handling_unit": street_office, "sender_unit": office, "disposition": Disposition.ESCALATED})
        sim.later(10, 400)
        sim.go("sign")
        _contact(sim)
        if rng.random() < 0.4:
            _summon(sim, street_office=street_office, departments=departments)
        if rng.random() < 0.6:
            sim.later(30, 400)
            _send(sim, "redispatch", rng.choice(departments), complexity)
            sim.later(10, 600)
            sim.go("sign")
            _contact(sim)
    for _ in range(rng.choice([0, 0, 1, 1, 2])):
        sim.later(120, 1500)
        sim.event("progress", f["status"], f["status"], unit=f["handling_unit"],
                  note=rng.choice(["已到现场查看，正在联系相关方。", "已约谈物业，限期整改。", "材料已报送，等待审批。"]))
    if rng.random() < 0.07:
        # 缓办: applied for, approved by the level above (sometimes refused), resumed on the planned date.
        holder = f["handling_unit"]
        above = center if holder.kind in (UnitKind.DEPARTMENT, UnitKind.STREET_OFFICE) else street_office
        sim.later(60, 600)
        until = timezone.localdate(sim.t) + dt.timedelta(days=rng.randint(30, 120))
        sim.event("suspend_apply", f["status"], f["status"], unit=holder, note="需纳入明年预算统一实施。",
                  data={"until": until.isoformat(), "notify_unit_id": above.pk})
        sim.later(20, 400)
        if rng.random() < 0.25:
            sim.event("suspend_refuse", f["status"], f["status"], unit=above, note="可以在时限内办结，请抓紧办理。",
                      data={"notify_unit_id": holder.pk})
        else:
            remaining = sim.cal.between(sim.t, f["resolve_due_at"]) if f.get("resolve_due_at") else None
            sim.go("suspend", note="同意纳入计划。", unit=above,
                   data={"until": until.isoformat(), "remaining_minutes": remaining}, changes={"suspended_until": until})
            resume_at = dt.datetime.combine(until, dt.time(0, 0), sim.cal.tz)
            sim.t = max(sim.t, resume_at)
            if sim.t > sim.now:
                raise Stop
            sim.go("resume", remaining=remaining or 420, changes={"suspended_until": None}, system=True,
                   note=f"计划日期 {until} 已到，恢复办理。")
    if rng.random() < 0.05:
        _extension(sim, above=center if f["handling_unit"].kind in (UnitKind.DEPARTMENT, UnitKind.STREET_OFFICE)
                   else street_office)
    window = p.resolve_for(f["complexity"])
    end = sim.cal.add(sim.t, rng.uniform(window * 0.1, window * rng.choice([0.8, 0.9, 1.0, 1.0, 1.4])))
    due = f.get("resolve_due_at")
    if due is not None and sim.t < due < min(end, sim.now):
        sim.t = due
        _overdue(sim, above=center if f["handling_unit"].kind in (UnitKind.DEPARTMENT, UnitKind.STREET_OFFICE)
                 else street_office, team=team)
    sim.t = max(sim.t, end)
    if sim.t > sim.now:
        raise Stop
    result = rng.choice(["已现场处理完毕，并拍照留存。", "已协调相关单位整改到位，群众认可。", "已按政策办理，告知群众办理结果。"])
    _resolve(sim, office=office, result=result)


def _extension(sim: Sim, *, above: Unit) -> None:
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


def _overdue(sim: Sim, *, above: Unit, team: Unit) -> None:
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


def _resolve(sim: Sim, *, office: Unit, result: str) -> None:
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


def _callback(sim: Sim, p: Policy, *, office: Unit, agent: Unit) -> None:
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
        _resolve(sim, office=office, result="返工后已彻底处理，群众认可。")
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


def _event_row(*, action: str, from_status: str, to_status: str, actor: User | None, actor_label: str,
               actor_unit: Unit | None, from_unit: Unit | None, to_unit: Unit | None, note: str, reason: str,
               data: dict | None, created_at: dt.datetime) -> dict[str, Any]:
    return {"action": action, "from_status": from_status, "to_status": to_status,
            "actor_id": actor.pk if actor else None, "actor_label": actor_label,
            "actor_unit_id": actor_unit.pk if actor_unit else None, "from_unit_id": from_unit.pk if from_unit else None,
            "to_unit_id": to_unit.pk if to_unit else None, "note": note, "reason": reason, "data": data or {},
            "created_at": created_at}


def _write(sims: list[Sim], merges: list[tuple[int, int]]) -> None:
    with transaction.atomic():
        tickets = Ticket.objects.bulk_create([Ticket(**s.f) for s in sims], batch_size=1000)
        for dup, target in merges:
            tickets[dup].merged_into_id = tickets[target].pk
        if merges:
            Ticket.objects.bulk_update([tickets[d] for d, _ in merges], ["merged_into"], batch_size=1000)
        # Events are most of the rows: insert them with executemany, skipping the ORM's per-object work.
        ops = connection.ops
        rows = []
        for ticket, sim in zip(tickets, sims, strict=True):
            for e in sim.events:
                rows.append((ticket.pk, *(e[c] for c in EVENT_COLUMNS[1:11]), json.dumps(e["data"], ensure_ascii=False),
                             ops.adapt_datetimefield_value(e["created_at"])))
        rows.sort(key=lambda r: (r[0], r[-1]))
        Part.objects.bulk_create([
            Part(ticket=ticket, unit_id=p["unit_id"], role=p["role"], task=p["task"], assigned_by=p["assigned_by"],
                 assigned_at=p["assigned_at"], sign_due_at=dt.datetime.fromisoformat(p["sign_due_at"]),
                 contact_due_at=dt.datetime.fromisoformat(p["contact_due_at"]) if p.get("contact_due_at") else None,
                 done_due_at=dt.datetime.fromisoformat(p["done_due_at"]), signed_at=p.get("signed_at"),
                 contacted_at=p.get("contacted_at"), done_at=p.get("done_at"), reply=p.get("reply", ""),
                 rating=p.get("rating"), ended_at=None if p.get("done_at") else ticket.resolved_at)
            for ticket, sim in zip(tickets, sims, strict=True) for p in sim.parts], ignore_conflicts=True)
        table = TicketEvent._meta.db_table
        sql = f"INSERT INTO {table} ({', '.join(EVENT_COLUMNS)}) VALUES ({', '.join(['%s'] * len(EVENT_COLUMNS))})"  # noqa: S608 - fixed names
        with connection.cursor() as cursor:
            for start in range(0, len(rows), 5000):
                cursor.executemany(sql, rows[start:start + 5000])
