"""THE lifecycle of a request, in one table: every step, who may take it, from and to which status,
what it does to each clock, who is told, what the resident reads, and what it counts for evaluation.

Everything else reads this file instead of repeating it:
- actions/ check `actor` and `sources`, and `_apply` sets the clock columns from `clocks`;
- deadlines.py and the sweep know from `CLOCK_RUNS` which clocks run in which status;
- the notices consumer (announce.py) sends `notices` and `sms` after the step has committed;
- the public tracking page and Open311 show `public` (and `PUBLIC_STATUS`);
- evaluation/facts.py replays a request's events through `clocks` and `counts`;
- the request page derives its buttons from `button`.

`manage.py lifecycle` prints the table (the README's Architecture section is that print-out).

    received ─accept→ registered ─dispatch→ assigned ─sign→ in_progress ─resolve→ resolved ─close→ closed
      reject/merge/resolve_on_spot from received|registered; return: assigned → registered;
      escalate: in_progress → assigned (level above); redispatch: in_progress → assigned;
      suspend ⇄ resume; rework: resolved → in_progress (same unit).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

from django.db import models
from django.utils import timezone

from minqing.org.models import COORDINATING_KINDS

if TYPE_CHECKING:
    from minqing.accounts.scope import Scope


class Status(models.TextChoices):
    RECEIVED = "received", "待受理"
    REGISTERED = "registered", "待派单"
    ASSIGNED = "assigned", "待签收"
    IN_PROGRESS = "in_progress", "办理中"
    REVIEW = "review", "待审核"
    SUSPENDED = "suspended", "缓办"
    RESOLVED = "resolved", "待回访"
    CLOSED = "closed", "已结案"
    REJECTED = "rejected", "不予受理"
    MERGED = "merged", "已合并"


OPEN_STATUSES = frozenset(
    {Status.RECEIVED, Status.REGISTERED, Status.ASSIGNED, Status.IN_PROGRESS, Status.REVIEW, Status.SUSPENDED}
)
FINAL_STATUSES = frozenset({Status.CLOSED, Status.REJECTED, Status.MERGED})

# What residents read on the public tracking page: plain words, no internal detail.
PUBLIC_STATUS = {
    Status.RECEIVED: "已收到，等待社区受理",
    Status.REGISTERED: "社区已受理，正在安排办理单位",
    Status.ASSIGNED: "已交办理单位，等待签收",
    Status.IN_PROGRESS: "正在办理",
    Status.REVIEW: "办理单位已答复，正在审核办理结果",
    Status.SUSPENDED: "已纳入计划，暂缓办理",
    Status.RESOLVED: "已办结，等待回访",
    Status.CLOSED: "已结案",
    Status.REJECTED: "不予受理",
    Status.MERGED: "已与相同诉求合并办理",
}


# --- clocks ----------------------------------------------------------------------------------
class Clock(StrEnum):
    RESPONSE = "response"  # accept (community) or sign (handling unit)
    RESOLVE = "resolve"  # resolve, counted for 按期办结
    CALLBACK = "callback"  # call the resident back after resolving
    DISPATCH = "dispatch"  # 待派单: an accepted request is dispatched within MINQING_DISPATCH_HOURS (working)
    CONTACT = "contact"  # 先行联系: after signing, the holder contacts the reporter within MINQING_CONTACT_HOURS
    # A part's clocks (协办 co-handlers, departments summoned by 吹哨), one set per unit, kept on Part rows:
    # sign (签收), contact the reporter (联系群众, summoned only), done (答复 / 到场报到).
    PART_SIGN = "part_sign"
    PART_CONTACT = "part_contact"
    PART_DONE = "part_done"
    # The resolve clock of the unit that escalated (上报): judged when the level above signs, not when the
    # unit hands it up, so escalating minutes before a deadline does not escape it. Kept in the log only.
    HANDED = "handed"


CLOCK_LABELS = {Clock.RESPONSE: "响应", Clock.RESOLVE: "办结", Clock.CALLBACK: "回访", Clock.DISPATCH: "派单",
                Clock.CONTACT: "先行联系", Clock.HANDED: "上报前的办结", Clock.PART_SIGN: "协办/报到签收",
                Clock.PART_CONTACT: "报到联系群众", Clock.PART_DONE: "协办答复/到场报到"}
PART_CLOCKS = (Clock.PART_SIGN, Clock.PART_CONTACT, Clock.PART_DONE)

# The statuses in which each clock runs: the one place that says it (queues, sweep, pages, API).
CLOCK_RUNS: dict[Clock, frozenset[str]] = {
    Clock.RESPONSE: frozenset({Status.RECEIVED, Status.ASSIGNED}),
    Clock.RESOLVE: frozenset({Status.ASSIGNED, Status.IN_PROGRESS}),
    Clock.CALLBACK: frozenset({Status.RESOLVED}),
    Clock.DISPATCH: frozenset({Status.REGISTERED}),
    Clock.CONTACT: frozenset({Status.IN_PROGRESS}),  # from signing until the contact is recorded, once
}


class Op(StrEnum):
    """What a step does to a clock. A clock a step does not name keeps running as it was."""

    START = "start"  # a new clock from now (the limit from the policy); a running one is judged as HAND_OVER
    STOP = "stop"  # the clock ends and counts: on time if now ≤ due, else late
    DROP = "drop"  # the clock ends uncounted
    # The clock ends with the request handed on by a decision (退单 approved, 转派): late if its due time has
    # passed, else uncounted. A clock that would be late is never let off.
    HAND_OVER = "hand_over"
    CARRY = "carry"  # a new clock starts; the running one goes along and is judged when the new holder signs
    HOLD = "hold"  # stops ticking while the reply is reviewed; judged at the time of the reply if it passes
    UNHOLD = "unhold"  # the reply was rejected: the clock runs on with its original due time
    MET = "met"  # counted on time now, whether or not it was running (即办: solved there and then)
    PAUSE = "pause"  # ends uncounted, keeping the working time left (缓办)
    RESUME = "resume"  # starts again with the time that was left at PAUSE
    EXTEND = "extend"  # its due time moves (an approved extension)
    LATE = "late"  # counted late now, and keeps running (the sweep found it overdue)
    # its due time is worked out again from its start with new limits (a corrected category); late stays late
    RELIMIT = "relimit"


OP_LABELS = {Op.START: "开始（原有的按交接判定）", Op.STOP: "结束并计入", Op.DROP: "结束不计", Op.MET: "计为按时",
             Op.PAUSE: "暂停", Op.RESUME: "恢复", Op.EXTEND: "延长", Op.LATE: "计为超时",
             Op.HAND_OVER: "交接判定（已过时限计超时，否则不计）", Op.CARRY: "重新开始（原有的待上级签收时判定）",
             Op.HOLD: "待审核（通过则按答复时间判定）", Op.UNHOLD: "审核退回，原时限继续",
             Op.RELIMIT: "按新时限重算（开始时间不变）"}


# --- who may ---------------------------------------------------------------------------------
class Actor(StrEnum):
    """Who may take a step, relative to the request."""

    HOLDER = "holder"  # works for the unit that currently holds the request
    COORDINATOR = "coordinator"  # holder, when the holding unit is a community/street/district office
    TRIAGE = "triage"  # coordinator, or oversight: the street officer of its street, a district supervisor
    # 办理与监督相分离: the callback team (回访员) of its street or the district, or oversight (the street officer,
    # a district supervisor) — never anyone whose unit handled the request; the reporter rates their own.
    CALLBACK = "callback"
    NUDGE = "nudge"  # as CALLBACK, but not the holding unit itself (催办)
    DISTRICT = "district"  # a district supervisor
    STREET = "street"  # the street officer of its street, or a district supervisor
    NAMED = "named"  # the unit a record names: the approver of an extension, the unit a 督办单 is for
    REVIEWER = "reviewer"  # who reviews a resolution: the dispatching unit (办结审核) or the grid's worker (核查)
    SUMMONER = "summoner"  # the street office (or district centre) holding the request: 吹哨 summons departments
    CORRECTOR = "corrector"  # the holder, the request's community, its street officer, a district supervisor
    VIEWER = "viewer"  # anyone who may see the request (the caller checks): notes from meetings
    SYSTEM = "system"  # the sweep, the 12345 platform, the retention job


ACTOR_LABELS = {
    Actor.HOLDER: "当前办理单位", Actor.COORDINATOR: "办理单位（社区/街道/区中心）", Actor.TRIAGE: "社区、街道或区（分拨）",
    Actor.CALLBACK: "回访员或街道、区（办理过的单位除外）；反映人本人", Actor.NUDGE: "上级或本社区（非办理单位）", Actor.DISTRICT: "区督办",
    Actor.STREET: "所在街道或区", Actor.NAMED: "记录指定的单位", Actor.VIEWER: "能看到该事项的人", Actor.SYSTEM: "系统",
    Actor.REVIEWER: "审核单位（交办单位）或本网格网格员（现场核查）",
    Actor.SUMMONER: "办理中的街道办（区中心）",
    Actor.CORRECTOR: "办理单位、所在社区、街道或区",
}


class Held(Protocol):
    """What the actor rules read of a request."""

    handling_unit_id: int
    community_id: int
    street_id: int

    @property
    def handling_unit(self) -> object: ...


def actor_matches(actor: Actor, scope: Scope, ticket: Held) -> bool:
    holder = ticket.handling_unit_id in scope.unit_ids
    oversight = scope.district or ticket.street_id in scope.street_ids
    if actor == Actor.HOLDER:
        return holder
    coordinating = holder and getattr(ticket.handling_unit, "kind", None) in COORDINATING_KINDS
    if actor == Actor.COORDINATOR:
        return coordinating
    if actor == Actor.TRIAGE:
        return coordinating or oversight
    if actor == Actor.CALLBACK:
        agent = scope.callback_district or ticket.street_id in scope.callback_street_ids
        handled = getattr(ticket, "handled_unit_ids", None) or {ticket.handling_unit_id}
        return (agent or oversight) and not (scope.unit_ids & handled)
    if actor == Actor.NUDGE:
        return (ticket.community_id in scope.community_ids or oversight) and not holder
    if actor == Actor.CORRECTOR:
        return holder or oversight or ticket.community_id in scope.community_ids
    if actor == Actor.DISTRICT:
        return scope.district
    if actor == Actor.STREET:
        return oversight
    if actor == Actor.SUMMONER:
        return holder and getattr(ticket.handling_unit, "kind", None) in ("street_office", "district_center")
    if actor == Actor.REVIEWER:
        if getattr(ticket, "review", "") == "onsite":
            return getattr(ticket, "grid_id", None) in scope.grid_ids
        return getattr(ticket, "reviewer_unit_id", None) in scope.unit_ids
    return actor == Actor.VIEWER  # NAMED is checked against the record; SYSTEM is never a person


# --- who is told -----------------------------------------------------------------------------
class To(StrEnum):
    """Whom a notice goes to, read off the event that the step wrote."""

    HOLDER = "holder"  # staff of the unit holding the request after the step
    CALLBACK = "callback"  # the callback team of the request's street, else the district's (回访员)
    SUPERVISOR = "supervisor"  # the unit an overdue request went up to (data.supervisor_id)
    NAMED = "named"  # the unit the record names (data.unit_id), and the person (data.user_id)
    ISSUER = "issuer"  # who issued the 督办单 or decided on it (data.issuer_unit_id, data.issuer_id)
    REVIEWER = "reviewer"  # the reviewing unit, or the grid workers of the request's grid (现场核查)
    PARTS = "parts"  # the units given a part by the step (data.parts: co-handlers, summoned departments)


TO_LABELS = {To.HOLDER: "办理单位", To.CALLBACK: "回访员", To.SUPERVISOR: "督办单位", To.NAMED: "指定单位",
             To.ISSUER: "督办人", To.REVIEWER: "审核单位或网格员", To.PARTS: "协办单位或被吹哨部门"}


@dataclass(frozen=True)
class Notice:
    """An in-app notice (and SMS/e-mail by the person's preference). `title` may name {clocks} and the
    event's data. `kind` (default: the step's name) is what the notice is filed under."""

    to: tuple[To, ...]
    title: str
    kind: str = ""


@dataclass(frozen=True)
class Sms:
    """An SMS to the reporter (and the reporters of duplicates merged in). Text may name {number}, {link},
    {note} (the step's note) and the event's data ({new_due}, {until})."""

    template: str
    text: str


RESOLVED_SMS = Sms("resolved", "您反映的问题（{number}）已办结，欢迎评价：{link}")


# --- what it counts for evaluation -----------------------------------------------------------
@dataclass(frozen=True)
class Count:
    """An evaluation fact the step adds (kind as in evaluation.models.FactKind), counted to the unit
    holding the request before the step or after it, and only when the step starts from `only_from`."""

    kind: str
    unit: str = "before"  # before, after, or "part": the unit the event names (data.unit_id)
    only_from: frozenset[str] | None = None


# --- the table -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Step:
    name: str
    label: str
    sources: frozenset[str]  # the statuses it may be taken from
    target: str | None  # the status it leads to; None: the status stays (a note in the log)
    actor: Actor
    clocks: Mapping[Clock, Op] = field(default_factory=dict)
    notices: tuple[Notice, ...] = ()
    sms: Sms | None = None
    public: str = ""  # the resident's timeline line ({unit}: the new unit); empty: not shown to residents
    public_detail: bool = False  # the note (and photos) shown to the resident too
    counts: tuple[Count, ...] = ()
    button: str = ""  # the request page's button (the URL's action name) when it has one
    button_label: str = ""
    style: str = "primary"  # primary, default, danger
    resolve_limit: str = "policy"  # a started resolve clock: "policy" (by complexity) or "escalated"

    @property
    def changes_status(self) -> bool:
        return self.target is not None


OPEN: set[str] = set(OPEN_STATUSES)
ANY: set[str] = {*Status.values}
R, RG, A, IP, S, RS = (Status.RECEIVED, Status.REGISTERED, Status.ASSIGNED, Status.IN_PROGRESS, Status.SUSPENDED,
                       Status.RESOLVED)
RESP, RESV, CB, DSP, CON = Clock.RESPONSE, Clock.RESOLVE, Clock.CALLBACK, Clock.DISPATCH, Clock.CONTACT
BEFORE_TRIAGE = frozenset({R})


PARTS_START = {Clock.PART_SIGN: Op.START, Clock.PART_CONTACT: Op.START, Clock.PART_DONE: Op.START}
PARTS_END = {Clock.PART_SIGN: Op.HAND_OVER, Clock.PART_CONTACT: Op.HAND_OVER, Clock.PART_DONE: Op.HAND_OVER}


def _s(name: str, label: str, sources: set[str] | set[Status], target: str | None, actor: Actor, *, button: str | None = None,
       **kwargs: Any) -> Step:
    if button is None:
        button = name if target is not None else ""
    return Step(name, label, frozenset(sources), target, actor, button=button, **kwargs)


STEPS: dict[str, Step] = {s.name: s for s in [
    # intake and triage (社区受理、分拨)
    _s("create", "登记", set(), R, Actor.VIEWER, button="", clocks={RESP: Op.START},
       notices=(Notice((To.HOLDER,), "新的待受理事项"),), public="诉求已登记", counts=(Count("received", "after"),)),
    _s("accept", "受理", {R}, RG, Actor.TRIAGE, clocks={RESP: Op.STOP, DSP: Op.START},
       sms=Sms("accepted", "您反映的问题已受理，编号{number}。查询进度：{link}"), public="社区已受理",
       counts=(Count("accepted"),)),
    # Dispatch names the lead (主办) and may name co-handlers (协办), each with its own task and clocks.
    _s("dispatch", "派单", {RG}, A, Actor.TRIAGE, clocks={DSP: Op.STOP, RESP: Op.START, RESV: Op.START, **PARTS_START},
       notices=(Notice((To.HOLDER,), "新的待签收事项"), Notice((To.PARTS,), "新的协办任务")), public="已交由{unit}办理",
       counts=(Count("dispatched", "after"),)),
    _s("resolve_on_spot", "即办", {R, RG}, RS, Actor.TRIAGE, style="default",
       clocks={RESP: Op.STOP, DSP: Op.DROP, RESV: Op.MET, CB: Op.START}, sms=RESOLVED_SMS, public="已当场办结",
       public_detail=True,
       counts=(Count("accepted", only_from=BEFORE_TRIAGE), Count("resolved"))),
    _s("merge", "合并重复", {R, RG}, Status.MERGED, Actor.TRIAGE, style="default", clocks={RESP: Op.STOP, DSP: Op.DROP},
       public="与相同诉求合并办理", counts=(Count("merged"),)),
    _s("reject", "不予受理", {R, RG}, Status.REJECTED, Actor.TRIAGE, style="danger",
       clocks={RESP: Op.STOP, DSP: Op.DROP},
       sms=Sms("rejected", "您反映的问题（{number}）不予受理：{note}。查询：{link}"),
       public="不予受理", public_detail=True, counts=(Count("rejected"),)),
    # the handling unit (签收、办理)
    _s("sign", "签收", {A}, IP, Actor.HOLDER, clocks={RESP: Op.STOP, CON: Op.START, Clock.HANDED: Op.STOP},
       public="办理单位已签收"),
    _s("contact", "先行联系", {IP}, None, Actor.HOLDER, button="contact", button_label="记录先行联系",
       clocks={CON: Op.STOP}, sms=Sms("contacted", "办理单位已就您反映的问题（{number}）与您联系，正在办理。查询：{link}"),
       public="办理单位已与您联系", counts=()),
    # 退单: the unit applies with a reason; the level above decides; the unit's clocks run meanwhile.
    _s("return_apply", "申请退单", {A, IP}, None, Actor.HOLDER, button="return_apply", style="danger",
       notices=(Notice((To.NAMED,), "退单申请待审核"),), counts=(Count("return_requested"),)),
    _s("return", "同意退单", {A, IP}, RG, Actor.NAMED, button="",
       clocks={RESP: Op.HAND_OVER, RESV: Op.HAND_OVER, CON: Op.HAND_OVER, Clock.HANDED: Op.HAND_OVER, DSP: Op.START},
       notices=(Notice((To.NAMED,), "退单申请已同意"),), public="重新安排办理单位", counts=(Count("returned"),)),
    _s("return_refuse", "不同意退单", {A, IP}, None, Actor.NAMED,
       notices=(Notice((To.NAMED,), "退单申请未同意，请继续办理（原时限不变）"),), counts=(Count("return_refused"),)),
    _s("resolve", "办结", {IP}, RS, Actor.HOLDER,
       clocks={RESV: Op.STOP, CON: Op.HAND_OVER, CB: Op.START, **PARTS_END},
       notices=(Notice((To.CALLBACK,), "事项已办结，请回访"),), sms=RESOLVED_SMS, public="已办结", public_detail=True,
       counts=(Count("resolved"),)),
    # 办结审核 / 核查 (ReviewRule per category and level): the reply waits for the dispatching unit's review or
    # the grid worker's on-site check; a rejected reply goes back with its clock running.
    _s("submit", "办结（待审核）", {IP}, Status.REVIEW, Actor.HOLDER, button="",
       clocks={RESV: Op.HOLD, CON: Op.HAND_OVER, **PARTS_END},
       notices=(Notice((To.REVIEWER,), "办理结果待审核"),), public="办理单位已答复，正在审核办理结果"),
    _s("review_pass", "审核通过", {Status.REVIEW}, RS, Actor.REVIEWER, button="review",
       button_label="审核办理结果", clocks={RESV: Op.STOP, CB: Op.START},
       notices=(Notice((To.CALLBACK,), "事项已办结（审核通过），请回访"), Notice((To.HOLDER,), "办理结果审核通过")),
       sms=RESOLVED_SMS, public="已办结（办理结果经审核）", counts=(Count("resolved"),)),
    _s("review_reject", "审核不通过", {Status.REVIEW}, IP, Actor.REVIEWER, button="review", button_label="审核办理结果",
       style="danger", clocks={RESV: Op.UNHOLD},
       notices=(Notice((To.HOLDER,), "办理结果审核未通过，请继续办理（时限照常计算）"),), public="办理结果未通过审核，继续办理"),
    _s("redispatch", "转派", {IP}, A, Actor.COORDINATOR, style="default",
       clocks={RESP: Op.START, RESV: Op.START, CON: Op.HAND_OVER, **PARTS_START},
       notices=(Notice((To.HOLDER,), "新的待签收事项（转派）"), Notice((To.PARTS,), "新的协办任务")),
       public="已转交{unit}办理",
       counts=(Count("dispatched", "after"),)),
    _s("escalate", "上报（吹哨）", {IP}, A, Actor.HOLDER, style="default",
       clocks={RESP: Op.START, RESV: Op.CARRY, CON: Op.HAND_OVER},
       resolve_limit="escalated", notices=(Notice((To.HOLDER,), "下级上报（吹哨）事项待签收"),),
       public="已上报{unit}协调办理", counts=(Count("dispatched", "after"),)),
    # 缓办: the unit applies with a planned date; only an approved suspension stops the clock; on the planned
    # date the sweep resumes it.
    _s("suspend_apply", "申请缓办", {IP}, None, Actor.HOLDER, button="suspend_apply", style="default",
       notices=(Notice((To.NAMED,), "缓办申请待审批"),)),
    _s("suspend", "同意缓办", {IP}, S, Actor.NAMED, button="", clocks={RESV: Op.PAUSE, CON: Op.HAND_OVER},
       notices=(Notice((To.NAMED,), "缓办申请已同意，计划 {until} 恢复办理"),),
       sms=Sms("suspended", "您反映的问题（{number}）已纳入计划，计划于{until}前办理。查询：{link}"),
       public="已纳入计划，暂缓办理（计划 {until} 恢复办理）"),
    _s("suspend_refuse", "不同意缓办", {IP}, None, Actor.NAMED,
       notices=(Notice((To.NAMED,), "缓办申请未同意，请继续办理（时限不变）"),)),
    _s("resume", "恢复办理", {S}, IP, Actor.HOLDER, clocks={RESV: Op.RESUME},
       notices=(Notice((To.HOLDER,), "缓办到期，已恢复办理"),), public="恢复办理"),
    # the callback (回访)
    _s("close", "回访结案", {RS}, Status.CLOSED, Actor.CALLBACK, button="callback", button_label="回访",
       clocks={CB: Op.DROP}, public="已回访，结案", counts=(Count("callback"), Count("contacted"))),
    _s("rework", "回访不满意·返工", {RS}, IP, Actor.CALLBACK, button="callback", button_label="回访", style="danger",
       clocks={RESV: Op.START, CON: Op.START, CB: Op.DROP}, notices=(Notice((To.HOLDER,), "回访不满意，请返工"),),
       public="回访不满意，重新办理", counts=(Count("callback"), Count("contacted"))),
    _s("callback_invalid", "无效回访", {RS}, Status.CLOSED, Actor.CALLBACK, button="", clocks={CB: Op.DROP},
       public="多次回访未能联系上，结案", counts=(Count("callback_invalid"),)),
    # 协办 and 吹哨报到: each unit's own part, its steps measured on its own clocks.
    _s("summon", "吹哨（召集部门报到）", {IP}, None, Actor.SUMMONER, button="summon", button_label="吹哨报到", style="danger",
       clocks=PARTS_START, notices=(Notice((To.PARTS,), "街道吹哨：请按时签收、联系群众并到场报到"),),
       public="街道已召集相关部门到场协调"),
    _s("part_sign", "签收协办/报到", OPEN, None, Actor.NAMED, clocks={Clock.PART_SIGN: Op.STOP},
       notices=(Notice((To.HOLDER,), "{part_unit}已签收"),)),
    _s("part_contact", "报到部门联系群众", OPEN, None, Actor.NAMED, clocks={Clock.PART_CONTACT: Op.STOP}),
    _s("part_reply", "协办答复/到场报到", OPEN, None, Actor.NAMED, clocks={Clock.PART_DONE: Op.STOP},
       notices=(Notice((To.HOLDER,), "{part_unit}已答复（{role_label}）"),), public="{part_unit}已到场/答复"),
    _s("part_rate", "评价报到", ANY, None, Actor.SUMMONER, counts=(Count("report_rating", "part"),)),
    _s("part_overdue", "协办/报到超时", ANY, None, Actor.SYSTEM,
       clocks={Clock.PART_SIGN: Op.LATE, Clock.PART_CONTACT: Op.LATE, Clock.PART_DONE: Op.LATE},
       notices=(Notice((To.NAMED,), "协办/报到已超时（{clocks}），请立即办理"),
                Notice((To.SUPERVISOR,), "被召集部门报到超时（{part_unit}）", "part_overdue_supervise"))),
    # notes: the status stays
    # A wrong category, type or urgency is corrected (old and new recorded); running clocks keep their start and
    # take the new limits.
    _s("correct", "更正分类", OPEN, None, Actor.CORRECTOR, button="correct", button_label="更正分类/类型",
       style="default", clocks={RESP: Op.RELIMIT, RESV: Op.RELIMIT},
       notices=(Notice((To.HOLDER,), "事项已更正：{correction}"),)),
    # The place put right: a request filed 位置待核实 (held by the district centre, waiting to be accepted goes on
    # to the community's office) or a wrong community/grid. Old and new recorded.
    _s("relocate", "更正地点", OPEN, None, Actor.CORRECTOR, button="relocate", button_label="更正地点",
       style="default", notices=(Notice((To.HOLDER,), "事项地点已更正：{relocation}"),)),
    _s("progress", "办理进展", {A, IP, S}, None, Actor.HOLDER, button="progress", button_label="填写进展",
       style="default"),
    _s("extension_request", "延期申请", {A, IP}, None, Actor.HOLDER, button="extend", button_label="申请延期",
       style="default", notices=(Notice((To.NAMED,), "延期申请待审批"),)),
    _s("extension_approve", "同意延期", {A, IP}, None, Actor.NAMED, clocks={RESV: Op.EXTEND},
       notices=(Notice((To.NAMED,), "延期申请已同意"),), counts=(Count("extension"),),
       sms=Sms("extended", "您反映的问题（{number}）经批准延期至{new_due}办结。查询：{link}"),
       public="经批准延期至 {new_due} 办结"),
    _s("extension_refuse", "不同意延期", {A, IP}, None, Actor.NAMED, notices=(Notice((To.NAMED,), "延期申请未同意"),)),
    _s("remind", "催办", OPEN, None, Actor.NUDGE, button="remind", button_label="催办", style="default",
       notices=(Notice((To.HOLDER,), "催办"),)),
    _s("supervise", "督办", OPEN | {RS}, None, Actor.DISTRICT, button="supervise", button_label="督办", style="danger",
       notices=(Notice((To.NAMED,), "收到{grade_label}，请按时回复"),)),
    _s("supervision_reply", "督办回复", ANY, None, Actor.NAMED, notices=(Notice((To.ISSUER,), "督办单已回复"),)),
    _s("supervision_overdue", "督办超期未回复", ANY, None, Actor.SYSTEM,
       notices=(Notice((To.NAMED,), "督办单已超期，请立即回复", "order_overdue"),
                Notice((To.ISSUER,), "督办单超期未回复", "order_overdue"))),
    _s("exemplary", "典型案例", {Status.CLOSED}, None, Actor.STREET, button="exemplary", button_label="典型案例",
       style="default"),
    _s("callback_attempt", "回访未联系上", {RS}, None, Actor.CALLBACK),
    # Evaluated at the deadline (到期评价): a dispatched request whose resolution deadline passed is called back
    # though not resolved; 未解决 counts against the unit holding it. Once per request (一事一评).
    _s("evaluate", "到期评价", {A, IP, Status.REVIEW}, None, Actor.CALLBACK, button="evaluate", button_label="到期评价",
       style="danger", counts=(Count("callback"), Count("contacted"))),
    # A share of closed callbacks is called again by the callback team (复核); a different answer is flagged.
    _s("recheck", "回访复核", {Status.CLOSED}, None, Actor.CALLBACK, button="recheck", button_label="回访复核",
       style="default", counts=(Count("recheck"),)),
    _s("merged_in", "合并重复诉求", OPEN | {RS}, None, Actor.TRIAGE),
    _s("overdue", "超期", OPEN, None, Actor.SYSTEM, clocks={RESP: Op.LATE, RESV: Op.LATE, CON: Op.LATE, DSP: Op.LATE},
       notices=(Notice((To.HOLDER,), "已超期（{clocks}）"),
                Notice((To.SUPERVISOR,), "下级超期事项待督办（{clocks}）", "overdue_supervise"))),
    # 问题工单: sent to ≥ MINQING_PROBLEM_UNITS units, or reworked ≥ MINQING_PROBLEM_REWORKS times → flagged and
    # raised one level for supervision.
    _s("problem", "列为问题工单", OPEN, None, Actor.SYSTEM, counts=(Count("problem"),),
       notices=(Notice((To.SUPERVISOR,), "问题工单待督办（{reason_text}）", "problem"),
                Notice((To.HOLDER,), "事项已列为问题工单（{reason_text}），上级将督办"))),
    # The platform's deadline is the one assessed: a resolve clock due later is brought forward to it.
    _s("external_due", "12345办理时限调整", ANY, None, Actor.SYSTEM, clocks={RESV: Op.RELIMIT}),
    _s("agenda", "提交议事", ANY, None, Actor.VIEWER),
    _s("meeting_resolution", "议事决议", ANY, None, Actor.VIEWER),
    _s("erase", "个人信息按期删除", set(FINAL_STATUSES), None, Actor.SYSTEM),
]}

TRANSITIONS = {name: s for name, s in STEPS.items() if s.changes_status and s.sources}  # create starts the log
NOTE_EVENTS = {name: s.label for name, s in STEPS.items() if not s.changes_status}


# What the sweep does at a clock's checkpoints besides marking it overdue (no event is written for these).
@dataclass(frozen=True)
class Checkpoint:
    clock: Clock
    notice: Notice
    sms: Sms | None = None


CHECKPOINTS = {
    "response_warn": Checkpoint(RESP, Notice((To.HOLDER,), "即将超期（受理/签收）")),
    "resolve_warn": Checkpoint(RESV, Notice((To.HOLDER,), "即将超期（办结）")),
    "contact_warn": Checkpoint(CON, Notice((To.HOLDER,), "请尽快联系反映人（先行联系即将超时）")),
    "dispatch_warn": Checkpoint(DSP, Notice((To.HOLDER,), "即将超期（派单）")),
    "callback_due": Checkpoint(CB, Notice((To.CALLBACK,), "回访已到期，请尽快回访"),
                               Sms("callback", "您反映的问题（{number}）已办结，请对办理结果进行评价：{link}")),
}


# --- reading the table -----------------------------------------------------------------------
def event_label(action: str) -> str:
    step = STEPS.get(action)
    return step.label if step else action


def transitions_from(status: str) -> list[Step]:
    return [t for t in TRANSITIONS.values() if status in t.sources]


def is_allowed_step(action: str, from_status: str | None, to_status: str) -> bool:
    """Whether an event row (action, from, to) is one the lifecycle can produce."""
    step = STEPS.get(action)
    if step is None:
        return False
    if action == "create":
        return not from_status and to_status == Status.RECEIVED
    if step.target is None:
        return from_status == to_status
    return from_status in step.sources and to_status == step.target


def allowed_transitions(scope: Scope, ticket: Held) -> list[Step]:
    status = getattr(ticket, "status", "")
    return [t for t in transitions_from(status) if actor_matches(t.actor, scope, ticket)]


# Steps that need the place known: a request 位置待核实 is first put in its community (relocate).
NEEDS_PLACE = frozenset({"accept", "dispatch", "resolve_on_spot"})


def may(scope: Scope, ticket: Held, name: str) -> bool:
    """Whether this viewer may take the step on the request now (status and actor rule; an extension only
    before the resolution deadline: once it has passed the request is overdue, and stays so; accepting,
    dispatching or solving on the spot only once the place is known)."""
    step = STEPS[name]
    if getattr(ticket, "status", "") not in step.sources or not actor_matches(step.actor, scope, ticket):
        return False
    if name in NEEDS_PLACE and getattr(ticket, "location_pending", False):
        return False
    if name == "extension_request":
        due = getattr(ticket, "resolve_due_at", None)
        return due is not None and due > timezone.now()
    if name == "evaluate":  # only once its deadline has passed, and once
        return getattr(ticket, "evaluation_due_at", None) is not None
    if name == "recheck":
        return getattr(ticket, "recheck_due_at", None) is not None
    return True


def running(status: str) -> list[Clock]:
    return [c for c, statuses in CLOCK_RUNS.items() if status in statuses]
