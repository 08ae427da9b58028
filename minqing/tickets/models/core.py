"""Requests (民情事项), their immutable event log, the category catalogue and deadline policies."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.functional import cached_property

from minqing.lib.crypto import EncryptedTextField
from minqing.lib.records import AppendOnly
from minqing.org.models import Area, Unit

from ..lifecycle import OPEN_STATUSES, Status, event_label


class Brand(models.TextChoices):
    RELIEF = "relief", "扶危解困"
    JOBS = "jobs", "就业创业"
    CULTURE = "culture", "文化科普"
    HOUSING = "housing", "百姓安居"
    HEALTH = "health", "医疗卫生"
    ELDERLY = "elderly", "养老服务"
    URBAN = "urban", "城市管理"


class Channel(models.TextChoices):
    HOTLINE = "hotline", "说事热线"
    MAILBOX = "mailbox", "说事信箱"
    VISIT = "visit", "网格员入户"
    TALK_HALL = "talk_hall", "说事厅"
    ONLINE = "online", "网上提交"
    HOTLINE_12345 = "12345", "12345工单"
    MEETING = "meeting", "议事协商"
    OPEN311 = "open311", "Open311接口"
    API = "api", "系统接口"


class TicketType(models.TextChoices):
    ENQUIRY = "enquiry", "咨询"
    HELP = "help", "求助"
    COMPLAINT = "complaint", "投诉"
    REPORT = "report", "举报"
    SUGGESTION = "suggestion", "建议"


class Urgency(models.TextChoices):
    NORMAL = "normal", "一般"
    URGENT = "urgent", "紧急"


class Complexity(models.TextChoices):
    NORMAL = "normal", "一般事项"
    COMPLEX = "complex", "复杂事项"


class Disposition(models.TextChoices):
    ON_SPOT = "on_spot", "即办件"
    PROMISED = "promised", "承诺件"
    ESCALATED = "escalated", "上报件"
    ADVISORY = "advisory", "建议件"


class RejectReason(models.TextChoices):
    EMERGENCY = "emergency", "紧急警情，请拨打110/119/120"
    LEGAL = "legal", "已进入诉讼、仲裁、复议等法定程序"
    REPEAT = "repeat", "重复诉求，且无新情况、新理由"
    OUTSIDE_REMIT = "outside_remit", "不属于政府职责范围"
    OTHER = "other", "其他原因"


class ReturnReason(models.TextChoices):
    PLACE = "place", "属地不符"
    REMIT = "remit", "职责不符"
    INFO = "info", "信息不全"
    OTHER = "other", "其他"


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", "满意"
    BASIC = "basic", "基本满意"
    DISSATISFIED = "dissatisfied", "不满意"


class ReviewKind(models.TextChoices):
    NONE = "", "不审核，直接待回访"
    DISPATCHER = "dispatcher", "办结审核（交办单位审核答复）"
    ONSITE = "onsite", "现场核查（网格员到场核实）"


class Level(models.TextChoices):
    COMMUNITY = "community", "社区级"
    STREET = "street", "街道级"
    DISTRICT = "district", "区级"


class Category(models.Model):
    """Two levels: a first-level category belongs to a service brand; requests use second-level ones."""

    name = models.CharField("名称", max_length=60)
    parent = models.ForeignKey(
        "self", verbose_name="一级分类", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    brand = models.CharField("服务品牌", max_length=16, choices=Brand.choices)
    code = models.CharField("编码", max_length=20, unique=True)
    default_unit = models.ForeignKey(
        Unit,
        verbose_name="默认承办单位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="留空表示由所在社区办理。",
    )
    streets = models.ManyToManyField(
        Area,
        verbose_name="适用街道",
        blank=True,
        related_name="+",
        limit_choices_to={"kind": "street"},
        help_text="留空表示全区适用。",
    )
    active = models.BooleanField("启用", default=True)
    sort = models.PositiveSmallIntegerField("排序", default=0)

    class Meta:
        verbose_name = "事项分类"
        verbose_name_plural = "事项分类"
        ordering = ["sort", "code"]
        constraints = [models.UniqueConstraint(fields=["parent", "name"], name="category_unique_name")]

    def __str__(self) -> str:
        return f"{self.parent.name} / {self.name}" if self.parent is not None else self.name

    def clean(self) -> None:
        if self.parent is not None and self.parent.parent_id:
            raise ValidationError({"parent": "分类只有两级：上级必须是一级分类。"})
        if self.parent is not None and self.brand != self.parent.brand:
            raise ValidationError({"brand": "二级分类的服务品牌必须与一级分类相同。"})


class DeadlinePolicy(models.Model):
    """Response and resolution time per category and urgency; the row without category is the default."""

    category = models.ForeignKey(
        Category,
        verbose_name="分类",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="policies",
        help_text="留空为全区默认；一级分类的规则适用于其下所有二级分类。",
    )
    urgency = models.CharField("紧急程度", max_length=16, choices=Urgency.choices)
    type = models.CharField("诉求类型", max_length=16, choices=TicketType.choices, blank=True,
                            help_text="留空适用于所有类型（咨询、求助、投诉、举报、建议）。")
    natural_time = models.BooleanField("按自然时间", default=False,
                                       help_text="勾选：时限按自然小时/日计算（紧急安全事项），不扣除非工作时间。")
    response_hours = models.DecimalField("响应时限（工作小时）", max_digits=5, decimal_places=1)
    resolve_days = models.DecimalField("办结时限（工作日）", max_digits=5, decimal_places=1)
    complex_resolve_days = models.DecimalField("复杂事项办结时限（工作日）", max_digits=5, decimal_places=1)
    escalated_resolve_days = models.DecimalField(
        "上报件答复时限（工作日）", max_digits=5, decimal_places=1, default=3
    )

    class Meta:
        verbose_name = "时限规则"
        verbose_name_plural = "时限规则"
        constraints = [
            models.UniqueConstraint(fields=["category", "urgency", "type"], name="policy_unique_type"),
            models.UniqueConstraint(
                fields=["urgency", "type"], condition=models.Q(category=None), name="policy_unique_default_type"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category or '全区默认'}·{self.get_type_display() or '所有类型'}·{self.get_urgency_display()}"


class CalendarDay(models.Model):
    """An admin-entered day that overrides the holiday library (a newly published schedule)."""

    date = models.DateField("日期", unique=True)
    is_workday = models.BooleanField("是否工作日", help_text="勾选：调休上班日；不勾选：放假日。")
    name = models.CharField("说明", max_length=50, blank=True, help_text="例如：春节、国庆调休上班")

    class Meta:
        verbose_name = "节假日安排"
        verbose_name_plural = "节假日安排"
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {'上班' if self.is_workday else '放假'} {self.name}"


class TicketCounter(models.Model):
    """The last number issued per day. Incremented under the row's write lock; never goes back."""

    day = models.DateField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "编号计数器"
        verbose_name_plural = "编号计数器"

    def __str__(self) -> str:
        return f"{self.day}: {self.last}"


class Ticket(models.Model):
    number = models.CharField("编号", max_length=32, unique=True)
    channel = models.CharField("来源渠道", max_length=16, choices=Channel.choices)
    type = models.CharField("诉求类型", max_length=16, choices=TicketType.choices)
    category = models.ForeignKey(Category, verbose_name="事项分类", on_delete=models.PROTECT, related_name="tickets")
    title = models.CharField("标题", max_length=100)
    text = models.TextField("诉求内容")
    urgency = models.CharField("紧急程度", max_length=16, choices=Urgency.choices, default=Urgency.NORMAL)
    urgent_words = models.CharField("命中的紧急关键词", max_length=200, blank=True)
    # A 12345 work order's own number and deadline, when the request came from the city platform.
    external_number = models.CharField("12345工单编号", max_length=50, null=True, blank=True, unique=True)
    external_due_at = models.DateTimeField("12345办理时限", null=True, blank=True)
    disposition = models.CharField("办理方式", max_length=16, choices=Disposition.choices, blank=True)

    # Location: the deepest area given plus its ancestors, kept as columns for scoped queries.
    street = models.ForeignKey(Area, verbose_name="街道", on_delete=models.PROTECT, related_name="+")
    community = models.ForeignKey(Area, verbose_name="社区", on_delete=models.PROTECT, related_name="+")
    grid = models.ForeignKey(Area, verbose_name="网格", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    compound = models.ForeignKey(
        Area, verbose_name="小区/楼院", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    address = models.CharField("详细地址", max_length=200, blank=True)
    latitude = models.DecimalField("纬度", max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField("经度", max_digits=9, decimal_places=6, null=True, blank=True)
    # No boundary holds the point and no address or name matched: filed under the district itself and held by
    # the district centre until staff set the place (the `relocate` step).
    location_pending = models.BooleanField("位置待核实", default=False,
                                           help_text="坐标不在任何网格内、地址也没有匹配上：由区民情服务中心核实地点")

    anonymous = models.BooleanField("匿名", default=False)
    reporter_name = models.CharField("反映人", max_length=50, blank=True)
    reporter_phone = EncryptedTextField("联系电话", blank=True, help_text="加密保存（minqing/lib/crypto.py）")
    reporter_phone_hash = models.CharField("联系电话检索摘要", max_length=64, blank=True, db_index=True,
                                           help_text="按号码精确查找用的带密钥摘要")
    reporter_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="反映人账号",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reported_tickets",
    )
    tracking_code_hash = models.CharField("查询码摘要", max_length=64, blank=True)
    personal_data_erased_at = models.DateTimeField("个人信息删除时间", null=True, blank=True,
                                                   help_text="结案后超过保存期限，反映人姓名、电话、地址已删除")

    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.RECEIVED)
    handling_unit = models.ForeignKey(Unit, verbose_name="当前办理单位", on_delete=models.PROTECT, related_name="+")
    # Who sent it to the holder (dispatch or escalation): a return (退回) goes back there.
    sender_unit = models.ForeignKey(
        Unit, verbose_name="交办单位", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    merged_into = models.ForeignKey(
        "self", verbose_name="合并至", null=True, blank=True, on_delete=models.PROTECT, related_name="duplicates"
    )
    complexity = models.CharField("复杂程度", max_length=16, choices=Complexity.choices, default=Complexity.NORMAL)

    # Clocks. A due column is set while its clock runs and cleared when it stops; the event log
    # keeps every value ever set, so statistics never read these.
    response_started_at = models.DateTimeField("响应计时起点", null=True, blank=True)
    response_due_at = models.DateTimeField("响应时限", null=True, blank=True, db_index=True)
    response_warn_at = models.DateTimeField("响应预警时间", null=True, blank=True, db_index=True)
    resolve_started_at = models.DateTimeField("办结计时起点", null=True, blank=True)
    resolve_due_at = models.DateTimeField("办结时限", null=True, blank=True, db_index=True)
    resolve_warn_at = models.DateTimeField("办结预警时间", null=True, blank=True, db_index=True)
    dispatch_started_at = models.DateTimeField("派单计时起点", null=True, blank=True)
    dispatch_due_at = models.DateTimeField("派单时限", null=True, blank=True)
    dispatch_warn_at = models.DateTimeField("派单预警时间", null=True, blank=True)
    contact_started_at = models.DateTimeField("先行联系计时起点", null=True, blank=True)
    contact_due_at = models.DateTimeField("先行联系时限", null=True, blank=True)
    contact_warn_at = models.DateTimeField("先行联系预警时间", null=True, blank=True)
    # Urgent safety matters run on natural time (hours of the clock, not working hours).
    natural_time = models.BooleanField("按自然时间计时", default=False)
    suspended_until = models.DateField("计划办理日期", null=True, blank=True)
    callback_due_at = models.DateTimeField("回访时限", null=True, blank=True)
    review = models.CharField("办结审核方式", max_length=12, choices=ReviewKind.choices, blank=True)
    reviewer_unit = models.ForeignKey(Unit, verbose_name="审核单位", null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="+", help_text="办结审核：交办单位（交办单位就是本单位时为上一级）")
    submitted_at = models.DateTimeField("提交办结时间", null=True, blank=True, help_text="等待审核时：办理单位答复的时间")
    # Due for a callback at its deadline though not resolved (到期评价): set by the sweep, cleared by the callback.
    evaluation_due_at = models.DateTimeField("到期评价时间", null=True, blank=True, db_index=True)
    callback_attempts = models.PositiveSmallIntegerField("回访未接通次数", default=0)
    problem_at = models.DateTimeField("列为问题工单", null=True, blank=True, db_index=True)
    recheck_due_at = models.DateTimeField("待复核", null=True, blank=True, db_index=True, help_text="抽中复核的回访")
    recheck_discrepancy = models.BooleanField("复核结果不一致", default=False)
    # The sweep's pointer: the next instant a clock of this request needs looking at (a warning,
    # a deadline, a callback). Actions set it; the sweep finds due requests through its index.
    next_check_at = models.DateTimeField("下次检查时间", null=True, blank=True, db_index=True)
    supervised_by = models.ForeignKey(
        Unit, verbose_name="超期督办单位", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text="超期后自动上报到的督办单位",
    )

    result = models.TextField("办理结果", blank=True)
    satisfaction = models.CharField("满意度", max_length=16, choices=Satisfaction.choices, blank=True)
    rework_count = models.PositiveSmallIntegerField("返工次数", default=0)
    exemplary = models.BooleanField("典型案例", default=False, help_text="收入年度案例汇编；案例简介见办理记录")
    resolved_at = models.DateTimeField("办结时间", null=True, blank=True)
    closed_at = models.DateTimeField("结案时间", null=True, blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登记人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="created_tickets",
    )
    created_at = models.DateTimeField("登记时间", db_index=True)
    updated_at = models.DateTimeField("更新时间")
    # Bumped by every transition: the guard that lets only one of two concurrent actions win.
    version = models.PositiveIntegerField("版本", default=0)

    class Meta:
        verbose_name = "民情事项"
        verbose_name_plural = "民情事项"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "community"], name="ticket_status_community"),
            models.Index(fields=["status", "street"], name="ticket_status_street"),
            models.Index(fields=["handling_unit", "status"], name="ticket_unit_status"),
            models.Index(fields=["grid", "status"], name="ticket_grid_status"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @cached_property
    def handled_unit_ids(self) -> set[int]:
        """Every unit that has held the request: its staff may not record its callback (办理与监督相分离)."""
        return {self.handling_unit_id, *self.events.exclude(to_unit=None).values_list("to_unit_id", flat=True)}

    @property
    def location_label(self) -> str:
        parts = [a.name for a in (self.street, self.community, self.grid, self.compound) if a is not None]
        return " · ".join(parts)


class TicketEvent(AppendOnly, models.Model):
    """One step in a request's life. Written once, never changed or deleted."""

    record_name = "办理记录"

    ticket = models.ForeignKey(Ticket, verbose_name="事项", on_delete=models.PROTECT, related_name="events")
    action = models.CharField("动作", max_length=24)
    from_status = models.CharField("原状态", max_length=16, choices=Status.choices, blank=True)
    to_status = models.CharField("新状态", max_length=16, choices=Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="操作人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField("操作人名称", max_length=60, help_text="操作时的姓名或“反映人本人”")
    actor_unit = models.ForeignKey(
        Unit, verbose_name="操作单位", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    from_unit = models.ForeignKey(
        Unit, verbose_name="原办理单位", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_unit = models.ForeignKey(
        Unit, verbose_name="新办理单位", null=True, blank=True, on_delete=models.PROTECT, related_name="events_received"
    )
    note = models.TextField("说明", blank=True)
    reason = models.CharField("原因", max_length=32, blank=True)
    data = models.JSONField("数据", default=dict, blank=True)
    created_at = models.DateTimeField("时间", db_index=True)

    class Meta:
        verbose_name = "办理记录"
        verbose_name_plural = "办理记录"
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["to_unit", "ticket"], name="event_to_unit_ticket")]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.label}"

    @property
    def label(self) -> str:
        return event_label(self.action)

    @property
    def reason_label(self) -> str:
        """The reason in words: a return's (属地不符 …) or a rejection's (紧急警情 …)."""
        choices = ReturnReason if self.action in ("return_apply", "return") else RejectReason
        return str(dict(choices.choices).get(self.reason, self.reason))


class TicketAttachment(models.Model):
    """A photo on an event. A large one is stored as uploaded (in the quarantine, never served) and is
    处理中 until the worker has re-encoded it (tickets/actions/photos.py)."""

    PROCESSING, READY, FAILED = "processing", "ready", "failed"
    STATES = [(PROCESSING, "处理中"), (READY, "可查看"), (FAILED, "无法处理")]

    ticket = models.ForeignKey(Ticket, verbose_name="事项", on_delete=models.PROTECT, related_name="attachments")
    event = models.ForeignKey(
        TicketEvent, verbose_name="所属记录", on_delete=models.PROTECT, related_name="attachments"
    )
    file = models.FileField("文件", upload_to="tickets/%Y/%m/")
    original_name = models.CharField("原文件名", max_length=200, blank=True)
    content_type = models.CharField("类型", max_length=40)
    size = models.PositiveIntegerField("大小（字节）")
    width = models.PositiveIntegerField("宽")
    height = models.PositiveIntegerField("高")
    created_at = models.DateTimeField("上传时间")
    state = models.CharField("处理状态", max_length=10, choices=STATES, default=READY)
    attempts = models.PositiveSmallIntegerField("处理次数", default=0)
    queued_at = models.DateTimeField("交给后台处理的时间", null=True, blank=True)

    class Meta:
        verbose_name = "附件"
        verbose_name_plural = "附件"
        ordering = ["id"]
        indexes = [models.Index(fields=["queued_at"], condition=models.Q(state="processing"),
                                name="attachment_processing")]

    def __str__(self) -> str:
        return self.original_name or self.file.name


class UrgencyWord(models.Model):
    """Safety words that make a request urgent on intake (燃气泄漏, 电线裸露, 高空坠物 ...)."""

    word = models.CharField("关键词", max_length=20, unique=True)
    active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "紧急关键词"
        verbose_name_plural = "紧急关键词"
        ordering = ["word"]

    def __str__(self) -> str:
        return self.word


DEFAULT_URGENCY_WORDS = [
    "燃气泄漏", "煤气泄漏", "天然气泄漏", "漏气", "燃气味", "煤气味", "电线裸露", "电线外露", "漏电", "触电", "着火", "起火",
    "冒烟", "火灾", "爆炸", "高空坠物", "高空抛物", "坠落", "掉下来", "塌陷", "坍塌", "倒塌", "裂缝", "危房", "溺水", "落水",
    "被困", "困在电梯", "电梯困人", "晕倒", "昏迷", "受伤", "流血", "自杀", "轻生", "跳楼", "走失", "失踪", "井盖丢失",
    "没有井盖", "水管爆裂", "爆管", "有毒", "中毒", "危险",
]


class PersonalDataView(models.Model):
    """Every time someone is shown a reporter's full phone number: who, when, which request, where."""

    ticket = models.ForeignKey(Ticket, verbose_name="事项", on_delete=models.PROTECT, related_name="data_views")
    viewer = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="查看人", on_delete=models.PROTECT,
                               related_name="+")
    via = models.CharField("途径", max_length=20)
    viewed_at = models.DateTimeField("查看时间", auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "个人信息查看记录"
        verbose_name_plural = "个人信息查看记录"
        ordering = ["-viewed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.viewer} {self.ticket_id} {self.via}"


class PendingEvent(models.Model):
    """An event a consumer has not handled yet (consumers.py). Written with the event, deleted once handled."""

    consumer = models.CharField("处理程序", max_length=32)
    event = models.ForeignKey(TicketEvent, verbose_name="办理记录", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField("记录时间")
    next_try_at = models.DateTimeField("下次处理时间", null=True, blank=True, help_text="失败后重试的时间；空：立即")
    attempts = models.PositiveSmallIntegerField("失败次数", default=0)
    last_error = models.TextField("最近的错误", blank=True)

    class Meta:
        verbose_name = "待处理记录"
        verbose_name_plural = "待处理记录"
        constraints = [models.UniqueConstraint(fields=["consumer", "event"], name="pending_once")]
        indexes = [models.Index(fields=["consumer", "next_try_at", "event"], name="pending_due")]

    def __str__(self) -> str:
        return f"{self.consumer} {self.event_id}"
