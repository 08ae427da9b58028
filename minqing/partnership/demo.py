"""Demo red matrix and two-way lists: party organisations, seats, needs, resources, projects in every
state, agreements (signed and draft), party members and micro-wishes in every state. Writes go through
the actions where a demo account can make them; resources of units without a demo account are written
as if their contact had registered them."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.core.files.base import ContentFile
from django.utils import timezone

from minqing.accounts.models import User
from minqing.org.models import Area, AreaKind, PartyOrganisation, PartyOrgKind, Unit, UnitKind

from . import actions
from .models import Resource

NEEDS = {
    "瓜州路社区": [("独居老人午餐没着落", "elderly", 38, "visit"), ("楼道灯坏了没人修", "housing", 120, "talk_hall"),
                ("孩子放学后没人看（四点半课堂）", "culture", 60, "mailbox"), ("失业人员想学手艺", "jobs", 25, "visit"),
                ("老旧小区缺少电动车充电桩", "housing", 300, "talk_hall")],
    "建西东路社区": [("行动不便老人需要上门理发", "elderly", 16, "visit"), ("困难家庭冬季取暖补助", "relief", 12, "visit"),
                 ("居民想学急救知识", "health", 80, "talk_hall")],
}
RESOURCES = [  # unit, kind, title, brand, capacity, label, areas (names)
    ("东方物业", "services", "公共设施义务维修", "housing", 24, "次", ["瓜州路社区"]),
    ("东方物业", "venue", "物业活动室（每周六）", "culture", 40, "场", ["瓜州路社区"]),
    ("江子为民养老公司", "services", "助老送餐", "elderly", 600, "份", ["建西东路社区", "瓜州路社区"]),
    ("江子为民养老公司", "volunteers", "上门理发、助浴志愿者", "elderly", 20, "人次", ["西站街道"]),
    ("兰州市图书馆", "services", "流动图书站与绘本课", "culture", 30, "次", ["西湖街道"]),
    ("金城律师事务所", "expertise", "法律咨询进社区", "relief", 12, "次", ["七里河区"]),
    ("心理健康辅导中心", "expertise", "心理疏导", "health", 40, "小时", ["西湖街道"]),
    ("区人社局", "services", "技能培训班名额", "jobs", 50, "人", ["七里河区"]),
    ("区卫健局", "expertise", "社区急救培训", "health", 10, "场", ["七里河区"]),
]
WISHES = [("刘奶奶", "想要一台能听秦腔的收音机"), ("王大爷", "家里灯泡坏了，想请人帮忙换一下"),
          ("陈阿姨", "孙子想要一套课外读物"), ("赵大爷", "想有人陪着去医院复查"), ("李奶奶", "轮椅坏了想修一修")]
MEMBERS = [("张志强", "13809310001", "区住建局"), ("李红梅", "13809310002", "区卫健局"), ("王磊", "13809310003", "区人社局")]


def build(*, now: dt.datetime, seed: int = 7) -> int:
    rng = random.Random(seed)
    users = {u.username: u for u in User.objects.filter(username__in=["shequ", "shequ_b", "jiedao", "jiedao_b", "wuye",
                                                                      "yanglao", "duban"])}
    if len(users) < 7:
        return 0
    units = {u.name: u for u in Unit.objects.all()}
    areas = {a.name: a for a in Area.objects.filter(kind__in=[AreaKind.DISTRICT, AreaKind.STREET, AreaKind.COMMUNITY])}
    made = 0
    for unit in units.values():  # party organisations of the units that sit in the matrix
        if unit.kind in {UnitKind.PARTNER, UnitKind.PROPERTY, UnitKind.SOCIAL_ORG, UnitKind.DEPARTMENT}:
            PartyOrganisation.objects.create(unit=unit, kind=rng.choice([PartyOrgKind.BRANCH, PartyOrgKind.GENERAL_BRANCH]),
                                             name=f"{unit.name}党支部", secretary=rng.choice(["李", "王", "张", "刘"]) + "书记",
                                             members=rng.randint(5, 60))
    # Seats: units on the street's 大工委 and on their community's 大党委.
    for street, officer in [("西湖街道", "jiedao"), ("西站街道", "jiedao_b")]:
        for unit in Unit.objects.filter(kind__in=[UnitKind.PARTNER, UnitKind.PROPERTY, UnitKind.SOCIAL_ORG]).filter(
                area__in=[areas[street], *Area.objects.filter(parent=areas[street])]):
            actions.seat_create(actor=users[officer], unit=unit, committee=areas[street], term="2024-2026",
                                member=f"{unit.contact_name or '负责人'}", duties="参加大工委联席会议；认领辖区需求清单；每年至少开展两次共建活动")
            made += 1
            if unit.area.kind == AreaKind.COMMUNITY:
                actions.seat_create(actor=users[officer], unit=unit, committee=unit.area, term="2024-2026",
                                    duties="参加社区大党委会议；结对帮扶困难家庭")
                made += 1
    for department in ["区住建局", "区卫健局"]:
        actions.seat_create(actor=users["duban"], unit=units[department], committee=areas["西湖街道"], term="2024-2026",
                            duties="对口指导；列席联席会议")
    # Resources.
    resources = {}
    for name, kind, title, brand, capacity, label, where in RESOURCES:
        unit = units[name]
        covered = [areas[w] for w in where]
        start = timezone.localdate(now) - dt.timedelta(days=120)
        if name == "东方物业":
            r = actions.resource_create(actor=users["wuye"], unit=unit, kind=kind, title=title, brand=brand, capacity=capacity,
                                        unit_label=label, areas=covered, available_from=start)
        elif name == "江子为民养老公司":
            r = actions.resource_create(actor=users["yanglao"], unit=unit, kind=kind, title=title, brand=brand,
                                        capacity=capacity, unit_label=label, areas=covered, available_from=start)
        else:
            r = Resource.objects.create(unit=unit, kind=kind, title=title, brand=brand, capacity=capacity, unit_label=label,
                                        available_from=start, created_by=users["duban"])
            r.areas.set(covered)
        resources[title] = r
        made += 1
    # Needs and projects in every state.
    staff = {"瓜州路社区": users["shequ"], "建西东路社区": users["shequ_b"]}
    for community, rows in NEEDS.items():
        for title, brand, households, source in rows:
            actions.need_create(actor=staff[community], area=areas[community], title=title, brand=brand,
                                households=households, source=source, priority=rng.choice(["high", "normal"]))
            made += 1
    needs = {n.title: n for n in actions.Need.objects.all()}
    plan = [  # need, resource, quantity, coordinator, unit user, how far
        ("楼道灯坏了没人修", "公共设施义务维修", 6, "shequ", "wuye", "evaluate"),
        ("独居老人午餐没着落", "助老送餐", 200, "shequ", "yanglao", "start"),
        ("老旧小区缺少电动车充电桩", "公共设施义务维修", 2, "shequ", "wuye", "claim"),
        ("孩子放学后没人看（四点半课堂）", "物业活动室（每周六）", 10, "shequ", "wuye", "agree"),
        ("行动不便老人需要上门理发", "上门理发、助浴志愿者", 8, "shequ_b", "yanglao", "finish"),
        ("居民想学急救知识", "社区急救培训", 2, "shequ_b", None, None),
    ]
    for need, resource, quantity, coordinator, unit_user, until in plan:
        p = actions.project_propose(actor=users[coordinator], need=needs[need], resource=resources[resource],
                                    quantity=quantity, note="按推荐资源发起对接")
        for step in ["claim", "agree", "start", "finish", "evaluate"]:
            if until is None:
                break
            who = users[unit_user] if actions.STEPS[step].by == "unit" else users[coordinator]
            p = actions.project_step(actor=who, project=p, action=step, hours=Decimal(rng.randint(6, 40)) if step == "finish" else None,
                                     rating=5 if step == "evaluate" else None,
                                     note="居民反映很好，希望长期开展" if step == "evaluate" else "")
            if step == until:
                break
        made += 1
    actions.needs_from_hotspots(actor=users["shequ"], community=areas["瓜州路社区"])
    # Agreements: one signed, one draft.
    start = timezone.localdate(now) - dt.timedelta(days=200)
    signed = actions.agreement_draft(
        actor=users["shequ"], community=areas["瓜州路社区"], unit=units["东方物业"],
        community_duties="为物业开展服务提供场地和居民动员；每季度组织一次居民评议。",
        unit_duties="每月一次公共设施义务维修；参加社区大党委会议；认领需求清单中的百姓安居类需求。",
        starts_on=start, ends_on=start.replace(year=start.year + 2), community_signatory="王桂芳", unit_signatory="陈立")
    actions.agreement_sign(actor=users["shequ"], agreement=signed,
                           scan=ContentFile(b"%PDF-1.4\n% demo scan\n", name="signed.pdf"))
    actions.agreement_draft(
        actor=users["shequ_b"], community=areas["建西东路社区"], unit=units["江子为民养老公司"],
        community_duties="摸清辖区独居、失能老人底数；提供助餐点场地。",
        unit_duties="为辖区老人提供助餐、上门理发和助浴服务，困难老人费用减半。",
        starts_on=timezone.localdate(now), ends_on=timezone.localdate(now).replace(year=timezone.localdate(now).year + 1),
        community_signatory="张建国", unit_signatory="马丽娟")
    made += 2
    # Party members and micro-wishes in every state.
    for name, phone, employer in MEMBERS:
        actions.member_register(actor=users["shequ"], community=areas["瓜州路社区"], name=name, phone=phone,
                                employer=units[employer])
    for i, (resident, text) in enumerate(WISHES):
        w = actions.wish_publish(actor=users["shequ"], area=areas["瓜州路社区"], resident_name=resident, text=text)
        if i >= 1:
            w = actions.wish_claim(wish=w, phone=MEMBERS[i % len(MEMBERS)][1])
        if i >= 2:
            w = actions.wish_fulfil(actor=users["shequ"], wish=w, hours=Decimal(rng.choice([1, 2, 3])))
        if i >= 3:
            actions.wish_confirm(actor=users["shequ"], wish=w)
        made += 1
    return made
