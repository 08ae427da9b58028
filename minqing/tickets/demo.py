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

from . import demo_data, demo_sim
from .deadlines import due_data, limits, next_check, policy_for, step_columns
from .demo_sim import EVENT_COLUMNS, REVIEWED, Sim, Stop, event_row
from .lifecycle import STEPS, Status
from .models import (
    Category,
    Channel,
    Complexity,
    DeadlinePolicy,
    Disposition,
    Part,
    RejectReason,
    ReviewRule,
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
def _phone(rng: random.Random) -> str:
    return f"1{rng.choice('35789')}{rng.randrange(10**9):09d}"


def _name(rng: random.Random) -> str:
    return rng.choice(demo_data.SURNAMES) + rng.choice(demo_data.GIVEN)


# Share of requests in which another resident reports a matter already reported in the same compound
# (same category, same building, the same words plus their own): what makes a hotspot (高频事项).
REPEAT_SHARE = 0.4
AGAIN = ["", "又来反映一次。", "邻居们都有意见。", "拖了好久了，请尽快处理。", "之前有人反映过，还是没解决。"]


def generate_tickets(*, count: int, seed: int, now: dt.datetime, days: int = 150,
                     progress: Callable[[int], None] | None = None) -> int:
    rng = random.Random(seed)
    again = random.Random(seed * 7919 + 1)  # repeats draw from their own stream
    matters: dict[int, tuple[Category, str, int]] = {}  # compound → its latest matter: category, words, building
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
            building = rng.randint(1, 24)
            repeat = dup_of is None and compound.pk in matters and again.random() < REPEAT_SHARE
            if repeat:
                category, text, building = matters[compound.pk]
            matters[compound.pk] = (category, text, building)
            text = text.format(c=compound.name, b=building) + (again.choice(AGAIN) if repeat else "")
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
                merge_target.events.append(event_row(
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
        demo_sim.callback(sim, p, office=office, agent=team)
    except Stop:
        return


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
    demo_sim.send(sim, "dispatch", unit, complexity, assist=assist)
    if assist is not None:
        demo_sim.assist(sim, assist)
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
            demo_sim.send(sim, "dispatch", office, complexity, by=above)
    sim.later(10, 600)
    sim.go("sign")
    demo_sim.contact(sim)
    if f["handling_unit"] == office and rng.random() < 0.15:
        sim.later(60, 900)
        sim.go("escalate", note="涉及多个部门，社区协调不了，请街道吹哨。",
               changes={"handling_unit": street_office, "sender_unit": office, "disposition": Disposition.ESCALATED})
        sim.later(10, 400)
        sim.go("sign")
        demo_sim.contact(sim)
        if rng.random() < 0.4:
            demo_sim.summon(sim, street_office=street_office, departments=departments)
        if rng.random() < 0.6:
            sim.later(30, 400)
            demo_sim.send(sim, "redispatch", rng.choice(departments), complexity)
            sim.later(10, 600)
            sim.go("sign")
            demo_sim.contact(sim)
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
        demo_sim.extension(sim, above=center if f["handling_unit"].kind in (UnitKind.DEPARTMENT, UnitKind.STREET_OFFICE)
                   else street_office)
    window = p.resolve_for(f["complexity"])
    end = sim.cal.add(sim.t, rng.uniform(window * 0.1, window * rng.choice([0.8, 0.9, 1.0, 1.0, 1.4])))
    due = f.get("resolve_due_at")
    if due is not None and sim.t < due < min(end, sim.now):
        sim.t = due
        demo_sim.overdue(sim, above=center if f["handling_unit"].kind in (UnitKind.DEPARTMENT, UnitKind.STREET_OFFICE)
                 else street_office, team=team)
    sim.t = max(sim.t, end)
    if sim.t > sim.now:
        raise Stop
    result = rng.choice(["已现场处理完毕，并拍照留存。", "已协调相关单位整改到位，群众认可。", "已按政策办理，告知群众办理结果。"])
    demo_sim.resolve(sim, office=office, result=result)


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
