"""Demo meetings: past and upcoming meetings of every kind in the demo communities and streets, with
agendas taken from their requests, votes, resolutions (some done on time, some late, some open),
minutes, and results on public notice. Goes through the actions, so every row is one a user could make."""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from minqing.accounts.models import User
from minqing.org.models import Area, AreaKind, Unit, UnitKind
from minqing.tickets.lifecycle import OPEN_STATUSES
from minqing.tickets.models import Ticket

from . import actions
from .models import Kind, Meeting, rules

TOPICS = {
    Kind.BUILDING: [("3号楼楼道灯坏了谁来修", "楼道灯由物业更换，费用从公共收益列支"),
                    ("楼道堆放杂物清理", "本周六组织清理，党员志愿者带头")],
    Kind.COMPOUND: [("电动车充电桩装在哪里", "在北门车棚安装12个充电桩"),
                    ("院里加装20盏路灯", "物业本月内加装20盏太阳能路灯")],
    Kind.TALK: [("流浪猫狗越来越多怎么办", "联系动物救助站集中收容，楼院张贴文明养犬公约"),
                ("共享单车乱停堵了门口", "在小区门口划定单车停放区")],
    Kind.COMMUNITY_JOINT: [("电梯间空调由谁出钱", "驻区单位与物业共同出资为电梯间安装空调"),
                           ("垃圾分类点位调整", "城管与物业将分类点移至背街一侧")],
    Kind.STREET_JOINT: [("辖区违规私搭乱建集中整治", "执法局牵头，各社区一周内摸底上报"),
                        ("市场管理无序问题", "市场监管所和城管联合每周巡查")],
    Kind.RESIDENTS: [("增设羽毛球场和乒乓球台", "在文化广场东侧增设羽毛球场一处、乒乓球台两张"),
                     ("选举居民小组长", "选出居民小组长6名")],
}
PLACES = {Kind.BUILDING: "楼院议事点", Kind.COMPOUND: "协商议事厅", Kind.TALK: "居民说事厅",
          Kind.COMMUNITY_JOINT: "党群服务中心", Kind.STREET_JOINT: "街道党群服务中心会议室", Kind.RESIDENTS: "社区文化广场"}
RESIDENTS = ["王建华", "李淑珍", "赵大爷", "刘桂英", "陈永红", "马兰花"]


def _owner(community: Area | None, street: Area) -> Unit:
    kinds = [UnitKind.PROPERTY, UnitKind.PARTNER, UnitKind.SOCIAL_ORG]
    unit = Unit.objects.filter(kind__in=kinds, area=community, active=True).first() if community else None
    return unit or Unit.objects.filter(kind=UnitKind.DEPARTMENT, active=True).order_by("name").first()


def _area(kind: str, community: Area | None, street: Area, rng: random.Random) -> Area:
    if kind == Kind.STREET_JOINT:
        return street
    if kind in actions.COMPOUND_KINDS:
        compounds = list(Area.objects.filter(kind=AreaKind.COMPOUND, parent__parent=community))
        return rng.choice(compounds) if compounds else community
    return community


def _one(*, actor: User, kind: str, community: Area | None, street: Area, when: dt.datetime, rng: random.Random,
         topic: tuple[str, str], now: dt.datetime) -> Meeting:
    area = _area(kind, community, street, rng)
    rule = actions.rule_for(kind)
    entitled = 0 if rule.quorum == 0 else (rng.randint(9, 15) if kind.endswith("joint") else rng.randint(200, 400))
    m = actions.meeting_create(actor=actor, kind=kind, topic=topic[0], starts_at=when, place=PLACES[kind], area=area,
                               chair=actor.full_name, entitled=entitled)
    tickets = Ticket.objects.filter(street=street, **({"community": community} if community else {}))
    if when > now:
        tickets = tickets.filter(status__in=OPEN_STATUSES)
    recent = list(tickets.filter(created_at__lt=when).order_by("-created_at")[:40]) or list(tickets[:40])
    for t in rng.sample(recent, min(len(recent), rng.randint(1, 2))):
        actions.agenda_add(meeting=m, actor=actor, ticket=t)
    actions.agenda_add(meeting=m, actor=actor, title=topic[0])
    if kind.endswith("joint"):
        actions.invite_units(meeting=m, actor=actor)
    if "resident" in rule.allowed_participants:
        for name in rng.sample(RESIDENTS, 3):
            actions.participant_add(meeting=m, actor=actor, kind="resident", name=name,
                                    phone=f"139{rng.randrange(10**8):08d}")
    actions.participant_add(meeting=m, actor=actor, kind="staff", name=actor.full_name, user=actor)
    if when > now:
        actions.meeting_invite(meeting=m, actor=actor)
        return m
    people = list(m.participants.values_list("pk", flat=True))
    others = (int(entitled * rng.uniform(0.55, 0.8)) + 1 - len(people)) if entitled else rng.randint(12, 40)
    m = actions.meeting_record_attendance(meeting=m, actor=actor, attended=people, others=max(others, 0))
    owner = _owner(community, street)
    for item in m.agenda.all():
        if item.ticket_id is None:
            actions.agenda_discuss(item=item, actor=actor, discussion="大家你一言我一语，把情况说清楚了，也提了不少办法。")
        present = m.present
        yes = max(present // 2 + 1, int(present * rng.uniform(0.6, 0.9)))
        abstain = 1 if present - yes >= 1 else 0
        motion = actions.motion_record(meeting=m, actor=actor, text=topic[1] if item.ticket_id is None else f"{item.title[:40]}：同意按议定方案办理",
                                       votes_for=yes, votes_against=present - yes - abstain, votes_abstain=abstain, agenda_item=item)
        due = timezone.localdate(when) + dt.timedelta(days=rng.choice([10, 15, 20, 30]))
        r = actions.resolution_add(meeting=m, actor=actor, text=motion.text[:300], owner=owner, due_date=due,
                                   motion=motion)
        if r.done_at is None and rng.random() < 0.75:
            finished = when + dt.timedelta(days=rng.uniform(3, 36))
            if finished < now:
                actions.resolution_complete(resolution=r, actor=actor, note="已按决议落实，居民代表验收。", at=finished)
    minutes = actions.minutes_save(
        meeting=m, actor=actor,
        text=f"{timezone.localtime(when):%Y年%m月%d日}，{m.get_kind_display()}在{m.place}召开，实到 {m.present} 人。\n"
             f"议题：{'；'.join(m.agenda.values_list('title', flat=True))}。\n决议：{topic[1]}。")
    actions.minutes_publish(minutes=minutes, actor=actor)
    if community is not None and (now - when).days <= 5:
        actions.meeting_publish_notice(meeting=m, actor=actor)
    return m


def local(day: dt.datetime) -> dt.datetime:
    """15:00 Beijing time on that day: meetings happen in the afternoon."""
    return timezone.localtime(day).replace(hour=15, minute=0, second=0, microsecond=0)


def build(*, now: dt.datetime, seed: int = 7) -> int:
    """Returns the number of meetings made."""
    for rule in rules():  # the default rules as rows (a migration writes them; `demo --reset` flushes them)
        if rule.pk is None:
            rule.save()
    rng = random.Random(seed)
    users = {u.username: u for u in User.objects.filter(username__in=["shequ", "shequ_b", "jiedao", "jiedao_b"])}
    plans = [("shequ", "瓜州路社区"), ("shequ_b", "建西东路社区"), ("jiedao", "西湖街道"), ("jiedao_b", "西站街道")]
    made = []
    for username, place in plans:
        actor = users.get(username)
        area = Area.objects.filter(name=place).first()
        if actor is None or area is None:
            continue
        street = area if area.kind == AreaKind.STREET else area.parent
        community = None if area.kind == AreaKind.STREET else area
        kinds = [Kind.STREET_JOINT] if community is None else [k for k in Kind if k != Kind.STREET_JOINT]
        for kind in kinds:
            past, upcoming = TOPICS[kind]
            for days_ago in (rng.randint(30, 90), rng.randint(1, 4)):
                when = local(now - dt.timedelta(days=days_ago))
                made.append(_one(actor=actor, kind=kind, community=community, street=street, when=when, rng=rng,
                                 topic=past, now=now))
            rule = actions.rule_for(kind)
            when = local(now + dt.timedelta(days=rule.notice_days + rng.randint(2, 6)))
            made.append(_one(actor=actor, kind=kind, community=community, street=street, when=when, rng=rng,
                             topic=upcoming, now=now))
    made[0].exemplary = True
    Meeting.objects.filter(pk=made[0].pk).update(exemplary=True)
    return len(made)
