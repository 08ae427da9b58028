from __future__ import annotations

import datetime as dt
from typing import Annotated

from ninja import Schema
from pydantic import AfterValidator, Field

from minqing.lib.validation import unstorable

# Ids and counters fit a 32-bit column; larger numbers are refused as invalid input, not a crash.
Id = Annotated[int, Field(ge=1, le=2**31 - 1)]
Count = Annotated[int, Field(ge=0, le=2**31 - 1)]


def _storable(value: str) -> str:
    if bad := unstorable(value):
        raise ValueError(f"不能包含{bad}")
    return value


# Text a database can store: PostgreSQL refuses NUL characters, and a lone surrogate ("\ud800" in JSON)
# cannot be encoded for any database at all.
Text = Annotated[str, AfterValidator(_storable)]


class ErrorOut(Schema):
    code: str = Field(description="稳定的错误码：invalid、unauthorized、forbidden、not_found、conflict、throttled")
    message: str = Field(description="中文说明")
    field: str | None = None


class CategoryOut(Schema):
    id: int
    code: str
    name: str
    parent: str
    brand: str
    default_unit: str | None


class AreaOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    parent_id: int | None


class UnitOut(Schema):
    id: int
    name: str
    kind: str
    area_id: int


class ClockOut(Schema):
    label: str
    due_at: dt.datetime
    remaining_minutes: float
    state: str


class EventOut(Schema):
    action: str
    label: str
    from_status: str
    to_status: str
    actor: str
    unit: str | None
    to_unit: str | None
    note: str
    at: dt.datetime


class RequestOut(Schema):
    number: str
    status: str
    status_label: str
    title: str
    category_id: int
    category: str
    channel: str
    type: str
    urgency: str
    street: str
    community: str
    handling_unit: str
    created_at: dt.datetime
    response_due_at: dt.datetime | None
    resolve_due_at: dt.datetime | None
    version: int


class ApplicationOut(Schema):
    id: int
    kind: str = Field(description="return 退单、extension 延期、suspend 缓办")
    status: str = Field(description="pending、approved、refused")
    unit: str
    approver_unit: str
    reason_code: str
    reason: str
    requested_at: dt.datetime
    new_due_at: dt.datetime | None
    until: dt.date | None
    decision_note: str
    may_decide: bool


class PartOut(Schema):
    id: int
    unit: str
    role: str = Field(description="assist 协办、summoned 吹哨报到")
    task: str
    sign_due_at: dt.datetime
    signed_at: dt.datetime | None
    contact_due_at: dt.datetime | None
    contacted_at: dt.datetime | None
    done_due_at: dt.datetime
    done_at: dt.datetime | None
    reply: str
    rating: int | None
    allowed: list[str] = Field(description="本人可做的：sign、contact、reply（该单位），rate（召集的街道）")


class RequestDetail(RequestOut):
    text: str
    address: str
    reporter_name: str
    reporter_phone: str
    reporter_masked: bool
    result: str
    satisfaction: str
    clocks: list[ClockOut]
    allowed_actions: list[str]
    timeline: list[EventOut]
    applications: list[ApplicationOut] = Field(default_factory=list, description="退单、延期、缓办申请及其审批")
    parts: list[PartOut] = Field(default_factory=list, description="协办和吹哨报到：每个单位自己的任务和时限")


class RequestPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[RequestOut]


class RequestIn(Schema):
    channel: Text = Field("api", description="来源渠道：api（默认，系统接口）、hotline、mailbox、visit、talk_hall、online、12345")
    type: Text = Field("help", description="enquiry、help、complaint、report、suggestion")
    category_id: Id
    text: Text = Field(description="诉求内容，5–2000 字")
    title: Text = ""
    area_id: Id = Field(description="社区、网格或小区的 id")
    address: Text = ""
    urgency: Text = "normal"
    anonymous: bool = False
    reporter_name: Text = ""
    reporter_phone: Text = ""


class CreatedOut(Schema):
    request: RequestDetail
    tracking_code: str = Field("", description="匿名反映的查询码（只返回这一次）")


class AssistIn(Schema):
    unit_id: Id
    task: Text
    due: dt.date | None = Field(None, description="协办答复时限（不晚于主办的办结时限）")


class ActionIn(Schema):
    note: Text = ""
    result: Text = ""
    reason: Text = Field("", description="不予受理原因（reject），或退单原因（return_apply：place 属地不符、remit 职责不符、info 信息不全、other 其他）")
    unit_id: Id | None = None
    complexity: Text = "normal"
    until: dt.date | None = None
    into_number: Text = ""
    contacted: bool = True
    solved: bool | None = None
    satisfaction: Text = ""
    new_due: dt.date | None = Field(None, description="extension_request：申请延至的日期")
    unit_contacted: bool | None = Field(None, description="callback、evaluate、recheck：群众说办理单位是否联系过（是否联系您）")
    passed: bool | None = Field(None, description="review：审核（核查）是否通过")
    override: Text = Field("", description="resolve：协办单位尚未答复就办结时，写明原因")
    units: list[Id] = Field(default_factory=list, description="summon：召集报到的部门 id")
    task: Text = Field("", description="summon：报到事由")
    assists: list[AssistIn] = Field(default_factory=list, description="dispatch、redispatch：协办单位及各自任务")
    category_id: Id | None = Field(None, description="correct：更正后的二级分类 id")
    type: Text = Field("", description="correct：诉求类型（enquiry 咨询、help 求助、complaint 投诉、report 举报、suggestion 建议）")
    urgency: Text = Field("", description="correct：紧急程度（normal 一般、urgent 紧急）")
    expected_version: Count | None = Field(None, description="客户端看到的版本号；不一致时返回 409")


class PartActionIn(Schema):
    note: Text = ""
    rating: int | None = Field(None, description="rate：1–5 分")


class DecisionIn(Schema):
    approve: bool
    note: Text = ""
    unit_id: Id | None = Field(None, description="同意退单时可直接改派给这个单位")


class AgendaOut(Schema):
    position: int
    source: str
    title: str
    request: str | None = Field(None, description="关联事项编号")
    discussion: str


class MotionOut(Schema):
    text: str
    votes_for: int
    votes_against: int
    votes_abstain: int
    passed: bool


class ResolutionOut(Schema):
    text: str
    owner: str
    due_date: dt.date
    request: str | None = None
    done_at: dt.datetime | None = None
    state: str = Field(description="落实中、已超期、按期完成、超期完成")


class MeetingOut(Schema):
    id: int
    kind: str
    kind_label: str
    topic: str
    starts_at: dt.datetime
    place: str
    area: str
    community: str | None = None
    street: str
    convener: str
    status: str
    status_label: str
    entitled: int
    present: int
    quorum_met: bool | None = None


class MeetingDetail(MeetingOut):
    agenda: list[AgendaOut]
    motions: list[MotionOut]
    resolutions: list[ResolutionOut]


class MeetingPage(Schema):
    count: int
    page: int
    pages: int
    results: list[MeetingOut]
