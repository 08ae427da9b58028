"""Every change to a meeting goes through here: checked against the kind's rules, written in one
transaction with the meeting row locked, and recorded as a MeetingEvent."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from minqing.accounts.models import User
from minqing.accounts.queries import unit_staff
from minqing.accounts.scope import scope_for
from minqing.lib import uploads
from minqing.lib.errors import ActionError, Conflict, Forbidden
from minqing.lib.validation import clean_text, normalize_phone
from minqing.notifications.actions import message_queue, notify
from minqing.notifications.models import Channel as MessageChannel
from minqing.org.models import Area, AreaKind, Seat, Unit, UnitKind
from minqing.tickets import actions as ticket_actions
from minqing.tickets import queries as ticket_queries
from minqing.tickets.models import Category, Channel, Ticket, TicketType

from . import queries
from .models import (
    STEPS,
    AgendaItem,
    AgendaSource,
    Kind,
    Level,
    Meeting,
    MeetingEvent,
    MeetingRule,
    MeetingStatus,
    Minutes,
    MinutesAttachment,
    Motion,
    Participant,
    ParticipantKind,
    PassBasis,
    Resolution,
    default_rule,
)

# Kinds that concern one compound or building, and so must be placed on one.
COMPOUND_KINDS = {Kind.BUILDING, Kind.COMPOUND}


def _label(actor: User | None) -> str:
    return (actor.full_name or actor.username) if actor else "系统"


def _record(meeting: Meeting, action: str, actor: User | None, note: str = "", **data: object) -> MeetingEvent:
    return MeetingEvent.objects.create(meeting=meeting, action=action, actor=actor, actor_label=_label(actor),
                                       note=note, data=data)


def _lock(meeting: Meeting, actor: User, *, step: str) -> Meeting:
    """The meeting row, locked for this transaction, after checking the person runs it and that the step
    (models.STEPS) may be taken in the meeting's status."""
    current = Meeting.objects.select_for_update(of=("self",)).select_related("convener", "community", "street", "area").get(
        pk=meeting.pk)
    if not queries.can_manage(scope_for(actor), current):
        raise Forbidden(f"只有召集单位（{current.convener}）可以办理这次会议的事项。")
    sources = STEPS[step].sources
    if sources and current.status not in sources:
        raise ActionError(_status_message(current))
    return current


def _status_message(meeting: Meeting) -> str:
    return {
        MeetingStatus.PLANNED: "会议尚未召开（还没有登记到会情况），不能这样操作。",
        MeetingStatus.HELD: "会议已经召开，不能再这样操作。",
        MeetingStatus.ARCHIVED: "会议纪要已发布归档，不能再修改；如需更正，请发布纪要的新版本。",
        MeetingStatus.CANCELLED: "会议已取消。",
    }[meeting.status]


def _bump(meeting: Meeting, **changes: object) -> None:
    """Write the changes and a new version, guarded by the version read under the row lock."""
    if not Meeting.objects.filter(pk=meeting.pk, version=meeting.version).update(version=meeting.version + 1, **changes):
        raise Conflict("这次会议刚被他人修改过，请刷新页面后再试。")
    for k, v in changes.items():
        setattr(meeting, k, v)
    meeting.version += 1


def rule_for(kind: str) -> MeetingRule:
    if kind not in Kind.values:
        raise ActionError("请选择会议类型。", field="kind")
    return MeetingRule.objects.filter(kind=kind).first() or default_rule(kind)


def _convener(rule: MeetingRule, area: Area) -> tuple[Unit, Area | None, Area]:
    chain = area.ancestors()
    street = chain.get(AreaKind.STREET)
    if street is None:
        raise ActionError("请把涉及区域选到街道或以下。", field="area")
    if rule.level == Level.STREET:
        if area.kind != AreaKind.STREET:
            raise ActionError(f"{rule.get_kind_display()}由街道召集，涉及区域请选街道。", field="area")
        office = Unit.objects.filter(kind=UnitKind.STREET_OFFICE, area=street, active=True).first()
        community = None
    else:
        community = chain.get(AreaKind.COMMUNITY)
        if community is None:
            raise ActionError(f"{rule.get_kind_display()}由社区召集，涉及区域请选到社区（可继续选网格、小区）。", field="area")
        if rule.kind in COMPOUND_KINDS and area.kind != AreaKind.COMPOUND:
            raise ActionError(f"{rule.get_kind_display()}请选到具体的小区/楼院。", field="area")
        office = Unit.objects.filter(kind=UnitKind.COMMUNITY_OFFICE, area=community, active=True).first()
    if office is None:
        raise ActionError(f"{(community or street).name}尚未设置召集单位（居委会/街道办），请联系管理员。", field="area")
    return office, community, street


# --- planning ----------------------------------------------------------------------------------
def meeting_create(
    *, actor: User, kind: str, topic: str, starts_at: dt.datetime, place: str, area: Area, chair: str,
    entitled: int = 0,
) -> Meeting:
    """Plan a meeting, or record one already held (补录) when its time has passed."""
    rule = rule_for(kind)
    topic = clean_text(topic, field="topic", label="议题", max_length=120)
    place = clean_text(place, field="place", label="地点", max_length=120)
    chair = clean_text(chair, field="chair", label="主持人", max_length=50)
    if starts_at is None or timezone.is_naive(starts_at):
        raise ActionError("请填写会议时间。", field="starts_at")
    if entitled < 0 or entitled > 1_000_000:
        raise ActionError("应到人数应在 0 到 1,000,000 之间。", field="entitled")
    if rule.quorum > 0 and entitled == 0:
        raise ActionError(f"{rule.get_kind_display()}要求法定人数，请填写应到人数。", field="entitled")
    office, community, street = _convener(rule, area)
    if office.pk not in scope_for(actor).unit_ids:
        raise Forbidden(f"{rule.get_kind_display()}由{office}召集，您不在该单位。", field="area")
    now = timezone.now()
    earliest = now + dt.timedelta(days=rule.notice_days)
    if now < starts_at < earliest:
        raise ActionError(
            f"{rule.get_kind_display()}须提前 {rule.notice_days} 天通知参会人，最早可定在 "
            f"{timezone.localtime(earliest):%Y-%m-%d %H:%M}。", field="starts_at")
    with transaction.atomic():
        meeting = Meeting.objects.create(
            kind=kind, topic=topic, starts_at=starts_at, place=place, area=area, community=community, street=street,
            convener=office, chair=chair, entitled=entitled, created_by=actor,
        )
        _record(meeting, "create", actor, data={"recorded_after": starts_at <= now})
    return meeting


def meeting_cancel(*, meeting: Meeting, actor: User, reason: str) -> Meeting:
    reason = clean_text(reason, field="reason", label="取消原因", max_length=300)
    with transaction.atomic():
        current = _lock(meeting, actor, step="cancel")
        _bump(current, status=STEPS["cancel"].target)
        _record(current, "cancel", actor, reason)
        if current.invited_at:
            _tell(current, f"会议取消：{current.topic}", reason)
    return current


def agenda_add(
    *, meeting: Meeting, actor: User, title: str = "", ticket: Ticket | None = None,
    source: str = AgendaSource.FREE,
) -> AgendaItem:
    """Put a topic on the agenda: a request (提交议事), a listed need, or a free topic."""
    with transaction.atomic():
        current = _lock(meeting, actor, step="agenda")
        if ticket is not None:
            if not ticket_queries.visible_tickets(scope_for(actor)).filter(pk=ticket.pk).exists():
                raise Forbidden(f"事项 {ticket.number} 不在您的工作范围内。", field="ticket")
            if current.community_id and ticket.community_id != current.community_id or \
                    ticket.street_id != current.street_id:
                raise ActionError(f"事项 {ticket.number} 不属于本次会议涉及的社区/街道。", field="ticket")
            if current.agenda.filter(ticket=ticket).exists():
                raise ActionError(f"事项 {ticket.number} 已在本次会议议程中。", field="ticket")
            title = title or ticket.title
            source = AgendaSource.REQUEST
        elif source not in AgendaSource.values or source == AgendaSource.REQUEST:
            raise ActionError("请选择议题来源。", field="source")
        title = clean_text(title, field="title", label="议题", max_length=120)
        position = current.agenda.count() + 1
        item = AgendaItem.objects.create(meeting=current, position=position, source=source, ticket=ticket,
                                         title=title)
        _record(current, "agenda", actor, title, ticket=ticket.number if ticket else None)
        _bump(current)
        if ticket is not None:
            ticket_actions.ticket_note(
                ticket=ticket, actor=actor, action="agenda", actor_unit=current.convener,
                note=f"列入{current.get_kind_display()}“{current.topic}”议程（{timezone.localtime(current.starts_at):%Y-%m-%d %H:%M}，{current.place}）",
                data={"meeting": current.pk},
            )
    return item


def participant_add(
    *, meeting: Meeting, actor: User, kind: str, name: str = "", phone: str = "", unit: Unit | None = None,
    user: User | None = None,
) -> Participant:
    with transaction.atomic():
        current = _lock(meeting, actor, step="participant")
        rule = rule_for(current.kind)
        if kind not in ParticipantKind.values:
            raise ActionError("请选择参会人身份。", field="kind")
        if kind not in rule.allowed_participants:
            allowed = "、".join(ParticipantKind(k).label for k in ParticipantKind.values if k in rule.allowed_participants)
            raise ActionError(f"{rule.get_kind_display()}的参会对象是：{allowed}。", field="kind")
        if kind == ParticipantKind.UNIT:
            if unit is None or not unit.active:
                raise ActionError("请选择参会单位。", field="unit")
            if current.participants.filter(unit=unit).exists():
                raise ActionError(f"{unit}已在参会名单中。", field="unit")
            name = unit.name
        name = clean_text(name or (user.full_name if user else ""), field="name", label="姓名", max_length=120)
        if phone:
            try:
                phone = normalize_phone(phone)
            except ValueError as exc:
                raise ActionError(str(exc), field="phone") from exc
        p = Participant.objects.create(meeting=current, kind=kind, name=name, phone=phone, unit=unit, user=user)
        _record(current, "participant", actor, f"{p.get_kind_display()}：{name if kind == ParticipantKind.UNIT else ''}".rstrip("："))
        _bump(current)
    return p


def member_units(meeting: Meeting) -> list[Unit]:
    """Who sits at a joint meeting: the units holding a seat on that committee (社区大党委 or 街道大工委)
    for a term covering the meeting's year; without registered seats, the units located there."""
    committee = meeting.community_id or meeting.street_id
    year = timezone.localtime(meeting.starts_at).year
    seats = [s for s in Seat.objects.filter(committee_id=committee, unit__active=True).select_related("unit")
             if _term_covers(s.term, year)]
    if seats:
        return [s.unit for s in seats]
    area_ids = [meeting.community_id] if meeting.community_id else [
        *Area.objects.filter(parent=meeting.street_id).values_list("pk", flat=True), meeting.street_id]
    return list(Unit.objects.filter(active=True, area_id__in=area_ids).exclude(pk=meeting.convener_id)
                .exclude(kind__in=[UnitKind.COMMUNITY_OFFICE, UnitKind.STREET_OFFICE]))


def _term_covers(term: str, year: int) -> bool:
    years = [int(y) for y in re.findall(r"\d{4}", term)]
    return not years or min(years) <= year <= max(years)


def invite_units(*, meeting: Meeting, actor: User) -> int:
    """Joint meetings invite their member units (see member_units)."""
    current = Meeting.objects.get(pk=meeting.pk)
    added = 0
    for unit in member_units(current):
        if not current.participants.filter(unit=unit).exists():
            participant_add(meeting=current, actor=actor, kind=ParticipantKind.UNIT, unit=unit)
            added += 1
    return added


def _tell(meeting: Meeting, title: str, body: str, participants: list[Participant] | None = None) -> int:
    participants = participants if participants is not None else list(meeting.participants.select_related("unit", "user"))
    users = [p.user for p in participants if p.user_id] + unit_staff(p.unit for p in participants if p.unit_id)
    url = reverse("meeting_detail", args=[meeting.pk])
    sent = notify(recipients=users, kind="meeting", title=title, body=body, url=url)
    for p in participants:
        if p.phone and not p.user_id:
            message_queue(channel=MessageChannel.SMS, to=p.phone, template="meeting_notice",
                          params={"meeting": meeting.pk}, body=f"【七里河区民情】{title}。{body}")
            sent += 1
    return sent


def meeting_invite(*, meeting: Meeting, actor: User) -> int:
    """Send the notice to everyone not yet notified, within the kind's notice period."""
    with transaction.atomic():
        current = _lock(meeting, actor, step="invite")
        rule = rule_for(current.kind)
        now = timezone.now()
        if current.starts_at <= now:
            raise ActionError("会议时间已过，不能再发通知；会后请直接登记到会情况。")
        latest = current.starts_at - dt.timedelta(days=rule.notice_days)
        if now > latest:
            raise ActionError(f"{rule.get_kind_display()}须提前 {rule.notice_days} 天通知（最晚 "
                              f"{timezone.localtime(latest):%Y-%m-%d %H:%M}），现在已来不及，请改期。")
        pending = list(current.participants.filter(invited_at=None).select_related("unit", "user"))
        if not pending:
            raise ActionError("没有尚未通知的参会人，请先添加参会人。")
        when = timezone.localtime(current.starts_at)
        agenda = "；".join(current.agenda.values_list("title", flat=True)) or current.topic
        sent = _tell(current, f"会议通知：{current.get_kind_display()}", f"{when:%m月%d日 %H:%M} 在{current.place}召开，议题：{agenda}", pending)
        Participant.objects.filter(pk__in=[p.pk for p in pending]).update(invited_at=now)
        _bump(current, invited_at=current.invited_at or now)
        _record(current, "invite", actor, data={"participants": len(pending), "messages": sent})
    return len(pending)


# --- at and after the meeting -------------------------------------------------------------------
def meeting_record_attendance(*, meeting: Meeting, actor: User, attended: list[int], others: int = 0) -> Meeting:
    """Who came; decides whether the quorum held. Turns the meeting into 已召开."""
    with transaction.atomic():
        current = _lock(meeting, actor, step="attendance")
        if current.starts_at > timezone.now():
            raise ActionError(f"会议还没有开始（{timezone.localtime(current.starts_at):%Y-%m-%d %H:%M}），开会后再登记到会情况。")
        if others < 0 or others > 100_000:
            raise ActionError("其他到会人数应在 0 到 100,000 之间。", field="others")
        ids = set(current.participants.values_list("pk", flat=True))
        if not set(attended) <= ids:
            raise ActionError("到会名单里有不属于本次会议的参会人。", field="attended")
        present = len(set(attended)) + others
        if present == 0:
            raise ActionError("请登记到会人员或人数。", field="others")
        rule = rule_for(current.kind)
        if current.entitled and present > current.entitled and rule.quorum > 0:
            raise ActionError(f"实到 {present} 人超过应到 {current.entitled} 人，请核对。", field="others")
        quorum_met = rule.quorum == 0 or Decimal(present) > Decimal(current.entitled) * rule.quorum
        current.participants.filter(pk__in=attended).update(attended=True)
        current.participants.exclude(pk__in=attended).update(attended=False)
        _bump(current, status=STEPS["attendance"].target, held_at=current.starts_at, present=present, quorum_met=quorum_met)
        _record(current, "attendance", actor, data={"present": present, "entitled": current.entitled,
                                                    "quorum_met": quorum_met})
    return current


def quorum_text(meeting: Meeting) -> str:
    rule = rule_for(meeting.kind)
    if rule.quorum == 0:
        return "本类会议不要求法定人数"
    need = int(Decimal(meeting.entitled) * rule.quorum) + 1
    return f"应到 {meeting.entitled}，须超过 {rule.quorum:.0%}（至少 {need} 人）"


def agenda_discuss(*, item: AgendaItem, actor: User, discussion: str) -> AgendaItem:
    discussion = clean_text(discussion, field="discussion", label="讨论情况", max_length=3000)
    with transaction.atomic():
        current = _lock(item.meeting, actor, step="discussion")
        AgendaItem.objects.filter(pk=item.pk).update(discussion=discussion)
        item.discussion = discussion
        _record(current, "discussion", actor, item.title)
        _bump(current)
    return item


def motion_record(
    *, meeting: Meeting, actor: User, text: str, votes_for: int, votes_against: int, votes_abstain: int,
    agenda_item: AgendaItem | None = None,
) -> Motion:
    text = clean_text(text, field="text", label="表决事项", max_length=300)
    with transaction.atomic():
        current = _lock(meeting, actor, step="motion")
        if not current.quorum_met:
            raise ActionError(f"本次会议未达到法定人数（{quorum_text(current)}，实到 {current.present}），"
                              "不能表决，只能记录讨论情况。")
        votes = [votes_for, votes_against, votes_abstain]
        if any(v is None or v < 0 for v in votes):
            raise ActionError("票数不能为负数。", field="votes_for")
        cast = sum(votes)
        if cast == 0:
            raise ActionError("请填写赞成、反对、弃权票数。", field="votes_for")
        if cast > current.present:
            raise ActionError(f"表决票数合计 {cast} 超过实到人数 {current.present}，请核对。", field="votes_for")
        if agenda_item is not None and agenda_item.meeting_id != current.pk:
            raise ActionError("所选议程不属于本次会议。", field="agenda_item")
        rule = rule_for(current.kind)
        base = cast if rule.pass_basis == PassBasis.CAST else current.present
        passed = Decimal(votes_for) > Decimal(base) * rule.pass_share
        motion = Motion.objects.create(meeting=current, agenda_item=agenda_item, text=text, votes_for=votes_for,
                                       votes_against=votes_against, votes_abstain=votes_abstain, passed=passed,
                                       recorded_by=actor)
        _record(current, "motion", actor, text, votes=votes, passed=passed)
        _bump(current)
    return motion


def resolution_add(
    *, meeting: Meeting, actor: User, text: str, owner: Unit, due_date: dt.date, motion: Motion | None = None,
    agenda_item: AgendaItem | None = None, new_request_category: Category | None = None,
) -> Resolution:
    """A decision with an owner and a deadline. It follows the request on the agenda item, or creates
    a new request for the owner unit when a category is given."""
    text = clean_text(text, field="text", label="决议内容", max_length=300)
    with transaction.atomic():
        current = _lock(meeting, actor, step="resolution")
        if owner is None or not owner.active:
            raise ActionError("请选择责任单位。", field="owner")
        if due_date is None or due_date < timezone.localdate(current.starts_at):
            raise ActionError("完成时限不能早于会议日期。", field="due_date")
        if motion is not None:
            if motion.meeting_id != current.pk:
                raise ActionError("所选表决不属于本次会议。", field="motion")
            if not motion.passed:
                raise ActionError("该表决未获通过，不能形成决议。", field="motion")
            agenda_item = agenda_item or motion.agenda_item
        elif not current.quorum_met:
            raise ActionError("本次会议未达到法定人数，不能形成决议。")
        if agenda_item is not None and agenda_item.meeting_id != current.pk:
            raise ActionError("所选议程不属于本次会议。", field="agenda_item")
        ticket = agenda_item.ticket if agenda_item is not None else None
        if ticket is None and new_request_category is not None:
            ticket = _request_for(current, actor, text, owner, new_request_category)
        resolution = Resolution.objects.create(meeting=current, motion=motion, text=text, owner=owner,
                                               due_date=due_date, ticket=ticket)
        _record(current, "resolution", actor, text, owner=owner.name, due=due_date.isoformat(),
                ticket=ticket.number if ticket else None)
        _bump(current)
        if ticket is not None:
            ticket_actions.ticket_note(
                ticket=ticket, actor=actor, action="meeting_resolution", actor_unit=current.convener,
                note=f"{current.get_kind_display()}“{current.topic}”决议：{text}（责任单位：{owner}，{due_date:%Y-%m-%d} 前完成）",
                data={"meeting": current.pk, "resolution": resolution.pk},
            )
        notify(recipients=unit_staff([owner]), kind="meeting", title=f"议事决议交办：{text[:40]}",
               body=f"{current}，{due_date:%Y-%m-%d} 前完成", url=reverse("meeting_detail", args=[current.pk]))
    return resolution


def _request_for(meeting: Meeting, actor: User, text: str, owner: Unit, category: Category) -> Ticket:
    if meeting.community_id is None:
        raise ActionError("街道层面的决议请关联到具体社区的事项，或由责任单位另行登记。", field="new_request_category")
    phone = meeting.convener.contact_phone or actor.phone or ""
    ticket, _ = ticket_actions.ticket_create(actor=actor, intake=ticket_actions.Intake(
        channel=Channel.MEETING, type=TicketType.SUGGESTION, category=category, title=text[:30],
        text=f"{meeting.get_kind_display()}“{meeting.topic}”决议：{text}", area=meeting.area,
        anonymous=not phone, reporter_name=meeting.convener.name[:50], reporter_phone=phone,
    ))
    ticket = ticket_actions.ticket_accept(ticket=ticket, actor=actor, note="议事决议转为民情事项")
    if owner.pk in {u.pk for u in ticket_actions.dispatch_targets(ticket)}:
        ticket = ticket_actions.ticket_dispatch(ticket=ticket, actor=actor, unit=owner, note="按议事决议交办")
    return ticket


def resolution_complete(*, resolution: Resolution, actor: User | None, note: str, at: dt.datetime | None = None) -> Resolution:
    """The owner (or the convener) reports the resolution done; `actor=None` when the linked request was resolved."""
    note = clean_text(note, field="note", label="完成情况", max_length=1000)
    with transaction.atomic():
        current = Resolution.objects.select_for_update(of=("self",)).select_related("meeting").get(pk=resolution.pk)
        if actor is not None and not queries.can_complete(scope_for(actor), current):
            if current.done_at is not None:
                raise ActionError("该决议已经完成。")
            raise Forbidden("只有责任单位或召集单位可以确认决议完成。")
        if current.done_at is not None:
            return current
        at = at or timezone.now()
        Resolution.objects.filter(pk=current.pk, done_at=None).update(done_at=at, done_note=note, done_by=actor)
        current.done_at, current.done_note, current.done_by = at, note, actor
        _record(current.meeting, "resolution_done", actor, f"{current.text}：{note}", resolution=current.pk,
                on_time=current.on_time)
    return current


# --- minutes and notice ------------------------------------------------------------------------
def minutes_save(*, meeting: Meeting, actor: User, text: str, files: list | None = None,
                 correction_note: str = "") -> Minutes:
    """Write or edit the draft. Once a version is published, a change is a new version with a reason."""
    text = clean_text(text, field="text", label="纪要", max_length=20000)
    stored = [_prepare_file(f) for f in (files or []) if f]
    with transaction.atomic():
        current = _lock(meeting, actor, step="minutes")
        draft = current.minutes.filter(published_at=None).first()
        published = current.minutes.exclude(published_at=None).exists()
        if published:
            correction_note = clean_text(correction_note, field="correction_note", label="更正说明", max_length=300)
        if draft is None:
            draft = Minutes.objects.create(meeting=current, number=current.minutes.count() + 1, text=text,
                                           correction_note=correction_note, written_by=actor)
        else:
            Minutes.objects.filter(pk=draft.pk, published_at=None).update(text=text, correction_note=correction_note,
                                                                          written_by=actor, written_at=timezone.now())
        for name, content, content_type in stored:
            MinutesAttachment.objects.create(minutes=draft, file=content, name=name[:120], content_type=content_type)
        _record(current, "minutes", actor, f"第 {draft.number} 版", files=len(stored))
        _bump(current)
    return Minutes.objects.get(pk=draft.pk)


def _prepare_file(f: UploadedFile) -> tuple[str, ContentFile, str]:
    try:
        return uploads.prepare_document(f)
    except uploads.UploadError as exc:
        raise ActionError(str(exc), field="files") from exc


def minutes_publish(*, minutes: Minutes, actor: User) -> Minutes:
    with transaction.atomic():
        current = _lock(minutes.meeting, actor, step="minutes_publish")
        now = timezone.now()
        if not Minutes.objects.filter(pk=minutes.pk, published_at=None).update(published_at=now, published_by=actor):
            raise ActionError("这一版纪要已经发布，不能修改；如需更正，请保存新版本。")
        _bump(current, status=STEPS["minutes_publish"].target)
        _record(current, "minutes_publish", actor, f"第 {minutes.number} 版")
    return Minutes.objects.get(pk=minutes.pk)


def meeting_publish_notice(*, meeting: Meeting, actor: User, days: int | None = None) -> Meeting:
    """Post the results on the community's public page for the notice period (公示)."""
    with transaction.atomic():
        current = _lock(meeting, actor, step="notice")
        if current.community_id is None:
            raise ActionError("街道层面的会议请在街道公开栏公示；社区公示页只显示社区召集的会议。")
        days = days if days is not None else rule_for(current.kind).publish_days
        if not 1 <= days <= 30:
            raise ActionError("公示天数应在 1 到 30 天之间。", field="days")
        now = timezone.now()
        _bump(current, notice_from=now, notice_until=now + dt.timedelta(days=days))
        _record(current, "notice", actor, f"公示 {days} 天")
    return current


def meeting_mark_exemplary(*, meeting: Meeting, actor: User, exemplary: bool = True) -> Meeting:
    with transaction.atomic():
        current = _lock(meeting, actor, step="exemplary")
        _bump(current, exemplary=exemplary)
        _record(current, "exemplary", actor, "评为优秀案例" if exemplary else "取消优秀案例")
    return current


def participants_erase(*, before: dt.datetime) -> int:
    """Past the retention period, residents at finished meetings keep a masked name and no phone."""
    from minqing.lib.masking import mask_name

    erased = 0
    old = Participant.objects.filter(meeting__starts_at__lt=before,
                                     meeting__status__in=[MeetingStatus.ARCHIVED, MeetingStatus.CANCELLED])
    with transaction.atomic():
        for p in old.filter(kind=ParticipantKind.RESIDENT).exclude(phone="", name__contains="*"):
            Participant.objects.filter(pk=p.pk).update(name=mask_name(p.name), phone="")
            erased += 1
        erased += old.exclude(kind=ParticipantKind.RESIDENT).exclude(phone="").update(phone="")
    return erased
