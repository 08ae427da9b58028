"""Demo grid work for 瓜州路社区 (the community of the 2019 report): a registry for its first two grids (standard
addresses, buildings, about 90 households and a few shops), a second grid worker, and some weeks of past
patrols with visits, a few of them turned into requests. Called by `manage.py demo` after the requests."""

from __future__ import annotations

import datetime as dt
import random
import uuid

from django.utils import timezone

from minqing.accounts.models import Role, RoleAssignment, User
from minqing.lib.xlsx import workbook_bytes
from minqing.org.models import Area, AreaKind
from minqing.tickets import actions as tickets
from minqing.tickets import demo_data
from minqing.tickets.models import Category

from . import actions
from .models import Finding, Household, HouseholdKind

SECOND_WORKER = ("wangge2", "杨春花", "瓜州路社区第二网格")
# grid → (standard address, buildings, units per building, floors); two rooms a floor
BUILDINGS = {
    "瓜州路社区第一网格": [("瓜州路 88 号", ["1号楼", "2号楼"], 2, 6), ("西湖东路 12 号", ["3号楼"], 1, 6)],
    "瓜州路社区第二网格": [("瓜州路 120 号", ["1号楼", "2号楼"], 1, 6)],
}
SHOPS = [("瓜州路 88 号", "1号楼", "便民超市"), ("瓜州路 88 号", "2号楼", "兰州牛肉面馆"), ("瓜州路 120 号", "1号楼", "社区卫生服务站")]
NORMAL_NOTES = ["", "", "老两口身体还行，说最近没啥事。", "家里没人，门上贴了联系卡。", "新搬来的租户，登记了联系方式。"]
PROBLEMS = [
    ("problem", "楼道里的声控灯坏了两个多月了，晚上黑漆漆的，老人下楼只能摸着走。", "WY01"),
    ("problem", "单元门口电动车乱停，还有人从楼上拉线充电，太危险了。", "WY01"),
    ("problem", "楼后面垃圾桶好几天没人清，味道大得很，苍蝇满天飞。", "WY01"),
    ("need", "独居老人腿脚不便，想问问高龄补贴和上门助餐怎么申请。", "YA03"),
    ("problem", "二楼有人在阳台外面私搭了个铁棚子，挡了楼下的光。", "SR01"),
]


def row(grid: str, *, address: str, building: str, unit: str, room: str, head: str, phone: str, people: int,
        kind: str = "住户", name: str = "") -> list[object]:
    return [grid, "", address, building, unit, room, kind, name, head, phone, "", people]


def _second_worker() -> User | None:
    username, full_name, grid_name = SECOND_WORKER
    grid = Area.objects.filter(name=grid_name, kind=AreaKind.GRID).first()
    if grid is None:
        return None
    user, made = User.objects.get_or_create(username=username, defaults={"full_name": full_name, "phone": "13909319901"})
    if made:
        user.set_password(demo_data.DEMO_PASSWORD)
        user.save()
    RoleAssignment.objects.get_or_create(user=user, role=Role.GRID_WORKER, area=grid)
    return user


def build(*, now: dt.datetime, seed: int = 7) -> int:
    """Returns the number of visits made."""
    rng = random.Random(seed)
    staff = User.objects.filter(username="shequ").first()
    first = User.objects.filter(username="wangge").first()
    second = _second_worker()
    if staff is None or first is None or second is None:
        return 0
    rows = []
    for grid_name, addresses in BUILDINGS.items():
        for address, buildings, units, floors in addresses:
            for building in buildings:
                for unit in range(1, units + 1):
                    for floor in range(1, floors + 1):
                        for door in (1, 2):
                            head = rng.choice(demo_data.SURNAMES) + rng.choice(demo_data.GIVEN)
                            rows.append(row(grid_name, address=address, building=building, unit=str(unit),
                                            room=f"{floor}0{door}", head=head, phone=f"1{rng.choice('35789')}{rng.randrange(10**9):09d}",
                                            people=rng.randint(1, 5)))
        for address, building, name in SHOPS:
            if any(address == a for a, *_ in addresses):
                rows.append(row(grid_name, address=address, building=building, unit="", room="底商", kind="单位", name=name,
                                head=rng.choice(demo_data.SURNAMES) + "经理", phone="0931-26" + f"{rng.randrange(10**5):05d}", people=0))
    report = actions.registry_import(actor=staff, content=workbook_bytes([("住户", actions.REGISTRY_COLUMNS, rows)]))
    if not report.ok:
        raise RuntimeError(f"演示基础信息导入失败：{report.errors[:3]}")

    made, problems = 0, list(PROBLEMS)
    for worker in (first, second):
        grid = Area.objects.get(pk=next(iter(RoleAssignment.objects.filter(user=worker, role=Role.GRID_WORKER)
                                              .values_list("area_id", flat=True))))
        homes = list(Household.objects.filter(grid=grid, kind=HouseholdKind.HOUSEHOLD))
        shops = list(Household.objects.filter(grid=grid, kind=HouseholdKind.UNIT))
        for days_ago in sorted({1, 2, *rng.sample(range(3, 45), 7)}, reverse=True):  # recent ones: this month's figures
            start = timezone.localtime(now - dt.timedelta(days=days_ago)).replace(hour=rng.choice([9, 10, 14, 15]), minute=rng.randrange(60))
            patrol, _ = actions.patrol_start(actor=worker, client_id=uuid.uuid4(), grid=grid, started_at=start)
            at = start
            for household in rng.sample(homes + shops, rng.randint(4, 8)):
                at += dt.timedelta(minutes=rng.randint(8, 25))
                finding: str = Finding.NORMAL
                note, code = rng.choice(NORMAL_NOTES), ""
                if problems and rng.random() < 0.12:
                    finding, note, code = problems.pop(0)
                elif not note:
                    finding = rng.choice([Finding.NORMAL, Finding.NORMAL, Finding.ABSENT])
                visit, _ = actions.visit_record(actor=worker, client_id=uuid.uuid4(), patrol_id=patrol.uuid,
                                                household=household, finding=finding, note=note, visited_at=at)
                made += 1
                if code:  # turned into a request on the spot (网格员入户)
                    ticket = actions.visit_to_ticket(actor=worker, visit=visit, category=Category.objects.get(code=code))
                    if rng.random() < 0.5:
                        ticket = tickets.ticket_accept(ticket=ticket, actor=staff)
                        tickets.ticket_resolve_on_spot(ticket=ticket, actor=staff, result="网格员当场协调物业处理，已向居民说明。")
            actions.patrol_end(actor=worker, client_id=patrol.uuid, ended_at=at + dt.timedelta(minutes=10),
                               note=f"走访 {len(patrol.visits.all())} 户")
    return made
