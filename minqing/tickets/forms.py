"""Forms check the shape of input and keep what was typed; the rules live in actions.py."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from minqing.lib import uploads
from minqing.lib.validation import date_in_range, normalize_phone, parse_id
from minqing.lib.widgets import date_input, phone_input
from minqing.org import location
from minqing.org.models import Area, AreaKind, Unit

from .lifecycle import Status
from .models import (
    Category,
    Channel,
    Complexity,
    Grade,
    RejectReason,
    ReturnReason,
    Satisfaction,
    Ticket,
    TicketType,
    Urgency,
)

TEXT_MAX = settings.MINQING["TEXT_MAX_LENGTH"]


class PhotosInput(forms.FileInput):
    """Several files at once, and the photos kept from an earlier try of the form (ticked, can be unticked)."""

    allow_multiple_selected = True

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(attrs)
        self.kept: list[uploads.PreparedImage] = []

    def value_from_datadict(self, data: Any, files: Any, name: str) -> dict:
        return {"files": files.getlist(name) if hasattr(files, "getlist") else [],
                "held": data.getlist(f"{name}_held") if hasattr(data, "getlist") else []}

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return name not in files and f"{name}_held" not in data

    def render(self, name: str, value: Any, attrs: dict | None = None, renderer: Any = None) -> SafeString:
        html = super().render(name, None, attrs, renderer)
        if not self.kept:
            return html
        kept = format_html_join("", '<label class="check"><input type="checkbox" name="{}" value="{}" checked> {}</label>',
                                ((f"{name}_held", uploads.hold(img), img.original_name) for img in self.kept))
        return format_html('{}<div class="help held-photos">已保留上次选择的 {} 张照片，无需重新选择（取消勾选即不上传）：{}</div>',
                           html, len(self.kept), kept)


class PhotosField(forms.FileField):
    """Several photos at once; cleaned into checked images ready to store. When the rest of the form fails,
    the photos are kept (lib.uploads.hold) and come back with the next try."""

    widget = PhotosInput(attrs={"accept": "image/*", "multiple": True})

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", "照片")
        kwargs.setdefault("help_text", "可选，最多 9 张，每张不超过 10 MB（JPG/PNG/GIF/WEBP）")
        super().__init__(**kwargs)

    def clean(self, data: object, initial: object = None) -> list[uploads.PreparedImage]:
        if isinstance(data, dict):
            files, tokens = list(data.get("files") or []), list(data.get("held") or [])
        else:
            files, tokens = (list(data) if isinstance(data, list | tuple) else ([data] if data else [])), []
        limit = settings.MINQING["ATTACHMENT_MAX_COUNT"]
        kept = [img for img in (uploads.release(t) for t in dict.fromkeys(tokens[:limit])) if img]
        self.widget.kept = kept
        try:
            images = kept + uploads.prepare_images(files, kept=len(kept))
        except uploads.UploadError as exc:
            raise ValidationError(str(exc)) from exc
        self.widget.kept = images
        return images


def category_choices() -> list:
    """Second-level categories grouped under their first level, for a select with optgroups."""
    groups: dict[str, list] = {}
    for c in Category.objects.filter(active=True, parent__isnull=False, parent__active=True).select_related("parent"):
        groups.setdefault(f"{c.parent.name}（{c.parent.get_brand_display()}）", []).append((c.pk, c.name))
    return [("", "请选择分类"), *groups.items()]


class CategoryField(forms.ModelChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            queryset=Category.objects.filter(parent__isnull=False).select_related("parent"),
            label="事项分类",
            error_messages={"required": "请选择事项分类。", "invalid_choice": "请选择列表中的分类。"},
            **kwargs,
        )


class LocationMixin:
    """Community → grid → compound, each checked to lie inside the one before; or a point on the map, which
    finds them when none is picked."""

    def clean_point(self, cleaned: dict) -> None:
        lat, lon = cleaned.get("latitude"), cleaned.get("longitude")
        if (lat is None) != (lon is None):
            self.add_error("community", "地图位置不完整（缺经度或纬度），请重新在地图上点选。")
            return
        if cleaned.get("community") is not None or "community" in self.errors:
            return
        if lat is None:
            self.add_error("community", "请选择社区，或在地图上点选位置。")
            return
        chain = location.place_at(latitude=lat, longitude=lon)
        community = chain.get(AreaKind.COMMUNITY)
        if community is None:
            self.add_error("community", "所点位置不在本区任何社区内，请选择社区。")
        elif not self.fields["community"].queryset.filter(pk=community.pk).exists():
            self.add_error("community", f"所点位置在{community.name}，不在您的工作范围内，请选择社区。")
        else:
            cleaned["community"], cleaned["grid"] = community, chain.get(AreaKind.GRID)

    def clean_location(self, cleaned: dict) -> None:
        community, grid, compound = cleaned.get("community"), cleaned.get("grid"), cleaned.get("compound")
        if community is None:
            return
        if grid is not None and grid.parent_id != community.pk:
            self.add_error("grid", f"网格“{grid.name}”不属于{community.name}。")
            return
        if compound is not None:
            if grid is None:
                cleaned["grid"] = grid = compound.parent
            if compound.parent_id != grid.pk or grid.parent_id != community.pk:
                self.add_error("compound", f"小区“{compound.name}”不在所选网格内。")
                return
        cleaned["area"] = compound or grid or community


def _area_field(kind: str, label: str, required: bool) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        queryset=Area.objects.filter(kind=kind),
        label=label,
        required=required,
        error_messages={"required": f"请选择{label}。", "invalid_choice": f"所选{label}不存在，请重新选择。"},
    )


def _int(value: object) -> int:
    return parse_id(value) or 0


def compounds_under(*, grid_id: int, community_id: int) -> Any:
    """The compounds of a grid, or of a whole community when no grid is chosen (each named with its grid)."""
    if grid_id:
        return Area.objects.filter(kind=AreaKind.COMPOUND, parent_id=grid_id).order_by("code")
    return (Area.objects.filter(kind=AreaKind.COMPOUND, parent__parent_id=community_id).select_related("parent")
            .order_by("parent__code", "code"))


def _coordinate(label: str, limit: int) -> forms.DecimalField:
    return forms.DecimalField(
        label=label, required=False, min_value=-limit, max_value=limit, max_digits=10, decimal_places=6,
        widget=forms.HiddenInput, localize=False,
        error_messages={"invalid": f"{label}必须是数字。", "min_value": f"{label}须在 -{limit}～{limit} 之间。",
                        "max_value": f"{label}须在 -{limit}～{limit} 之间。",
                        "max_decimal_places": f"{label}最多 6 位小数。", "max_digits": f"{label}最多 6 位小数。"},
    )


class TicketForm(LocationMixin, forms.Form):
    channel = forms.ChoiceField(label="来源渠道", choices=Channel.choices, initial=Channel.VISIT)
    type = forms.ChoiceField(label="诉求类型", choices=TicketType.choices, initial=TicketType.HELP)
    category = CategoryField()
    title = forms.CharField(label="标题", max_length=100, required=False, help_text="可不填，默认取内容前 30 字")
    text = forms.CharField(
        label="诉求内容",
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": "请填写诉求内容。", "max_length": f"诉求内容不能超过 {TEXT_MAX} 字。"},
    )
    community = _area_field(AreaKind.COMMUNITY, "社区", False)  # or found from the point picked on the map
    grid = _area_field(AreaKind.GRID, "网格", False)
    compound = _area_field(AreaKind.COMPOUND, "小区/楼院", False)
    latitude = _coordinate("纬度", 90)
    longitude = _coordinate("经度", 180)
    address = forms.CharField(label="详细地址", max_length=200, required=False, help_text="如：3号楼2单元门口")
    urgency = forms.ChoiceField(label="紧急程度", choices=Urgency.choices, initial=Urgency.NORMAL)
    anonymous = forms.BooleanField(label="匿名反映", required=False)
    reporter_name = forms.CharField(label="反映人姓名", max_length=50, required=False)
    reporter_phone = forms.CharField(label="联系电话", max_length=20, required=False, widget=phone_input())
    photos = PhotosField()

    def __init__(self, *args: Any, communities: object = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = category_choices()
        if communities is not None:
            self.fields["community"].queryset = communities
        data = self.data or {}
        community_id = data.get("community") or self.initial.get("community")
        grid_id = data.get("grid") or self.initial.get("grid")
        # The selects offer only the grids and compounds under what is chosen; validation accepts any
        # so that a mismatch gets its own message from clean_location.
        self.grid_options = Area.objects.filter(kind=AreaKind.GRID, parent_id=_int(community_id)).order_by("code")
        # a compound can be picked straight after the community: without a grid, all of the community's compounds
        self.compound_options = compounds_under(grid_id=_int(grid_id), community_id=_int(community_id))

    def clean(self) -> dict:
        cleaned = super().clean()
        self.clean_point(cleaned)
        self.clean_location(cleaned)
        if cleaned.get("anonymous"):
            cleaned["reporter_name"] = cleaned["reporter_phone"] = ""
        else:
            if not cleaned.get("reporter_name", "").strip():
                self.add_error("reporter_name", "请填写反映人姓名，或勾选“匿名反映”。")
            try:
                cleaned["reporter_phone"] = normalize_phone(cleaned.get("reporter_phone", ""))
            except ValueError as exc:
                self.add_error("reporter_phone", str(exc))
        text = (cleaned.get("text") or "").strip()
        if text and len(text) < 5:
            self.add_error("text", "诉求内容太短，请写清楚什么地方、什么问题（至少 5 个字）。")
        return cleaned


class ResidentTicketForm(TicketForm):
    """The public form: no channel or type to pick; residents speak online and ask for help."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("channel", "type", "urgency", "title"):
            self.fields.pop(name)
        self.fields["text"].label = "您遇到了什么问题？"
        self.fields["text"].widget.attrs["placeholder"] = "请写清楚：什么地方、什么问题、持续多久了"
        self.fields["reporter_name"].label = "您的称呼"
        self.fields["reporter_phone"].label = "手机号（用于查询进度和回访）"


# --- one form per action ---------------------------------------------------------------------
def _note(label: str, required: bool, max_length: int = 500, rows: int = 3) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=max_length,
        widget=forms.Textarea(attrs={"rows": rows}),
        error_messages={"required": f"请填写{label}。", "max_length": f"{label}不能超过 {max_length} 字。"},
    )


class NoteForm(forms.Form):
    note = _note("说明", required=False)


class RejectForm(forms.Form):
    reason = forms.ChoiceField(label="不予受理原因", choices=[("", "请选择"), *RejectReason.choices],
                               error_messages={"required": "请选择不予受理的原因。"})
    note = _note("向群众的解释", required=True)


class MergeForm(forms.Form):
    into_number = forms.CharField(label="合并到事项编号", max_length=32, help_text="如 MQ-20261130-00042",
                                  error_messages={"required": "请填写要合并到的事项编号。"})
    note = _note("说明", required=False)


class ResultForm(forms.Form):
    result = _note("办理结果", required=True, max_length=2000, rows=4)
    photos = PhotosField()


class ResolveForm(ResultForm):
    override = _note("协办单位尚未答复时，先行办结的理由", required=False, max_length=500)


ASSIST_ROWS = 3


class SummonForm(forms.Form):
    units = forms.ModelMultipleChoiceField(queryset=Unit.objects.filter(kind="department", active=True).order_by("name"),
                                           label="召集报到的部门", widget=forms.CheckboxSelectMultiple,
                                           error_messages={"required": "请选择要召集报到的部门。"})
    task = _note("报到事由（需要各部门做什么）", required=True)


class PartForm(forms.Form):
    note = _note("情况说明（答复、到场情况；签收可不填）", required=False, max_length=1000)


class RateForm(forms.Form):
    rating = forms.TypedChoiceField(label="报到评价", choices=[(str(i), f"{i} 分") for i in range(5, 0, -1)], coerce=int,
                                    widget=forms.RadioSelect, error_messages={"required": "请给出 1 到 5 分的评价。"})
    note = _note("评价说明（2 分及以下必填）", required=False, max_length=500)


class DispatchForm(forms.Form):
    unit = forms.ModelChoiceField(queryset=Unit.objects.none(), label="承办单位",
                                  error_messages={"required": "请选择承办单位。", "invalid_choice": "请选择列表中的单位。"})
    complexity = forms.ChoiceField(label="复杂程度", choices=Complexity.choices, initial=Complexity.NORMAL)
    note = _note("派单意见", required=False)

    def __init__(self, *args: Any, units: list[Unit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = Unit.objects.filter(pk__in=[u.pk for u in units])
        self.fields["unit"].label = "主办单位"
        groups: dict[str, list] = {}
        for u in units:
            groups.setdefault(u.get_kind_display(), []).append((u.pk, u.name))
        self.fields["unit"].choices = [("", "请选择主办单位"), *groups.items()]
        for i in range(1, ASSIST_ROWS + 1):  # 协办 co-handlers, each with its own task
            field = forms.ModelChoiceField(queryset=self.fields["unit"].queryset, required=False, label=f"协办单位 {i}",
                                           error_messages={"invalid_choice": "请选择列表中的单位。"})
            field.choices = [("", "（不需要协办）"), *groups.items()]
            self.fields[f"assist_{i}"] = field
            self.fields[f"task_{i}"] = forms.CharField(label=f"协办任务 {i}", required=False, max_length=300)

    def clean(self) -> dict:
        cleaned = super().clean()
        cleaned["assists"] = []
        for i in range(1, ASSIST_ROWS + 1):
            unit, task = cleaned.get(f"assist_{i}"), (cleaned.get(f"task_{i}") or "").strip()
            if unit is not None and not task:
                self.add_error(f"task_{i}", f"请写明{unit.name}的协办任务。")
            elif unit is not None:
                cleaned["assists"].append((unit, task))
        return cleaned


class ReasonForm(forms.Form):
    note = _note("理由", required=True)


class CorrectForm(forms.Form):
    """更正: the category, type and urgency as they should have been; why."""

    category = CategoryField()
    type = forms.ChoiceField(label="诉求类型", choices=TicketType.choices)
    urgency = forms.ChoiceField(label="紧急程度", choices=Urgency.choices)
    note = _note("更正理由", required=True)

    def __init__(self, ticket: Ticket, *args: Any, **kwargs: Any) -> None:
        if not kwargs.get("initial"):
            kwargs["initial"] = {"category": ticket.category_id, "type": ticket.type, "urgency": ticket.urgency}
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = category_choices()


class RelocateForm(forms.Form):
    """更正地点: the community, grid or compound the request is in; optionally the point; why."""

    area = forms.ModelChoiceField(label="所在社区/网格/小区", queryset=Area.objects.none(),
                                  error_messages={"required": "请选择所在社区、网格或小区。",
                                                  "invalid_choice": "请从列表中选择社区、网格或小区。"})
    latitude = forms.DecimalField(label="纬度", required=False, min_value=-90, max_value=90, decimal_places=6,
                                  error_messages={"invalid": "纬度须为数字，例如 36.06。"})
    longitude = forms.DecimalField(label="经度", required=False, min_value=-180, max_value=180, decimal_places=6,
                                   error_messages={"invalid": "经度须为数字，例如 103.80。"})
    note = _note("更正理由（例如：电话核实为建西东路社区）", required=True)

    def __init__(self, ticket: Ticket, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["area"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Area.objects.filter(
            kind__in=[AreaKind.COMMUNITY, AreaKind.GRID, AreaKind.COMPOUND]).select_related("parent").order_by("code")
        field.label_from_instance = lambda a: f"{a.parent.name if a.parent else ''} · {a.name}"


class ReviewForm(forms.Form):
    passed = forms.TypedChoiceField(label="审核结论", choices=[("1", "通过：办理属实，转入回访"), ("0", "不通过：退回继续办理")],
                                    coerce=lambda v: v == "1", widget=forms.RadioSelect,
                                    error_messages={"required": "请选择审核结论。"})
    note = _note("审核意见（不通过时必填：哪里没办好）", required=False, max_length=1000)
    photos = PhotosField(help_text="现场核查必须上传现场照片；最多 9 张，每张不超过 10 MB")


class ReturnForm(forms.Form):
    reason_code = forms.ChoiceField(label="退单原因", choices=[("", "请选择"), *ReturnReason.choices],
                                    error_messages={"required": "请选择退单原因。"})
    reason = _note("具体说明（例如：该地点属于××社区；该事项属于××部门职责）", required=True)


class SuspendForm(forms.Form):
    until = forms.DateField(label="计划恢复办理日期", validators=[date_in_range], widget=date_input(),
                            error_messages={"required": "请填写计划恢复办理的日期。", "invalid": "日期格式不对，请按 2026-12-31 填写。"})
    reason = _note("缓办理由（如需列入预算、等待工程季）", required=True)


YES_NO = [("1", "是"), ("0", "否")]


class CallbackForm(forms.Form):
    """The callback's questions: the call reached the resident; 是否联系您 / 是否解决 / 满意度, and the reason."""

    contacted = forms.TypedChoiceField(label="电话是否打通", choices=[("1", "已联系上群众"), ("0", "未联系上（记一次回访尝试）")],
                                       coerce=lambda v: v == "1", widget=forms.RadioSelect, initial="1")
    unit_contacted = forms.TypedChoiceField(label="办理单位是否联系过您", choices=YES_NO, coerce=lambda v: v == "1",
                                            widget=forms.RadioSelect, required=False, empty_value=None)
    solved = forms.TypedChoiceField(label="问题是否解决", choices=[("1", "已解决"), ("0", "未解决")],
                                    coerce=lambda v: v == "1", widget=forms.RadioSelect, required=False)
    satisfaction = forms.ChoiceField(label="满意度", choices=Satisfaction.choices, widget=forms.RadioSelect, required=False)
    note = _note("回访记录（未解决、不满意时必填原因）", required=False)

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("contacted"):
            if cleaned.get("unit_contacted") is None:
                self.add_error("unit_contacted", "请问群众：办理单位是否联系过您。")
            if cleaned.get("solved") in (None, ""):
                self.add_error("solved", "请选择问题是否解决。")
            if not cleaned.get("satisfaction"):
                self.add_error("satisfaction", "请选择满意度。")
            elif ((cleaned["satisfaction"] == Satisfaction.DISSATISFIED or cleaned.get("solved") is False)
                  and not cleaned.get("note", "").strip()):
                self.add_error("note", "未解决或不满意时，请记录群众说的原因。")
        return cleaned


class ContactForm(forms.Form):
    note = _note("联系情况（电话/上门、联系人、约定的办理安排）", required=True)


class ProgressForm(forms.Form):
    note = _note("进展说明", required=True, max_length=2000, rows=4)
    photos = PhotosField()


class RatingForm(forms.Form):
    satisfaction = forms.ChoiceField(choices=Satisfaction.choices, error_messages={"required": "请选择满意度。"})
    solved = forms.TypedChoiceField(choices=[("1", "已解决"), ("0", "未解决")], coerce=lambda v: v == "1")
    note = forms.CharField(required=False, max_length=500)


class TrackForm(forms.Form):
    number = forms.CharField(label="事项编号", max_length=32, error_messages={"required": "请填写事项编号。"})
    secret = forms.CharField(label="手机号或查询码", max_length=20,
                             error_messages={"required": "请填写登记时留的手机号（匿名反映请填查询码）。"})


class SearchForm(forms.Form):
    q = forms.CharField(label="关键词", required=False)
    status = forms.ChoiceField(label="状态", choices=[("", "全部状态"), *Status.choices], required=False)
    area = forms.ModelChoiceField(queryset=Area.objects.exclude(kind=AreaKind.DISTRICT), label="区域", required=False,
                                  empty_label="全部区域")
    category = forms.ModelChoiceField(queryset=Category.objects.all(), label="分类", required=False, empty_label="全部分类")
    channel = forms.ChoiceField(label="渠道", choices=[("", "全部渠道"), *Channel.choices], required=False)
    type = forms.ChoiceField(label="类型", choices=[("", "全部类型"), *TicketType.choices], required=False)
    urgency = forms.ChoiceField(label="紧急程度", choices=[("", "全部"), *Urgency.choices], required=False)
    unit = forms.ModelChoiceField(queryset=Unit.objects.all(), label="办理单位", required=False, empty_label="全部单位")
    date_from = forms.DateField(label="登记日期从", validators=[date_in_range], required=False, widget=date_input())
    date_to = forms.DateField(label="至", validators=[date_in_range], required=False, widget=date_input())
    overdue = forms.BooleanField(label="仅看超期", required=False)
    sort = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, areas: object = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if areas is not None:
            self.fields["area"].queryset = areas

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("date_from") and cleaned.get("date_to") and cleaned["date_from"] > cleaned["date_to"]:
            self.add_error("date_to", "结束日期不能早于开始日期。")
        return cleaned


class SuperviseForm(forms.Form):
    grade = forms.ChoiceField(label="督办等级", choices=Grade.choices, initial=Grade.NORMAL,
                              help_text="普通 3 个工作日、黄牌 2 个、红牌 1 个工作日内回复（可另填时限）")
    unit = forms.ModelChoiceField(queryset=Unit.objects.filter(active=True), label="责任单位",
                                  error_messages={"required": "请选择责任单位。", "invalid_choice": "请选择列表中的单位。"})
    reply_due = forms.DateField(label="回复时限（可不填）", validators=[date_in_range], required=False, widget=date_input(),
                                error_messages={"invalid": "日期格式不对，请按 2026-12-31 填写。"})
    text = _note("督办要求", required=True, max_length=2000, rows=4)

    def __init__(self, *args: Any, ticket: object = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if ticket is not None and not self.is_bound:
            self.initial["unit"] = ticket.handling_unit_id  # type: ignore[attr-defined]


class ExemplaryForm(forms.Form):
    summary = _note("案例简介", required=False, max_length=2000, rows=6)
    remove = forms.BooleanField(label="不再作为典型案例", required=False)


class RemindForm(forms.Form):
    note = _note("催办说明", required=False)


class ExtensionForm(forms.Form):
    new_due = forms.DateField(label="申请延至", validators=[date_in_range], widget=date_input(),
                              error_messages={"required": "请填写申请延至的日期。",
                                              "invalid": "日期格式不对，请按 2026-12-31 填写。"})
    reason = _note("延期理由", required=True, max_length=1000)


class ReplyForm(forms.Form):
    text = _note("回复内容", required=True, max_length=2000, rows=4)


class DecideForm(forms.Form):
    approve = forms.TypedChoiceField(choices=[("1", "同意"), ("0", "不同意")], coerce=lambda v: v == "1",
                                     error_messages={"required": "请选择同意或不同意。"})
    note = _note("审批意见", required=False)
    unit = forms.ModelChoiceField(queryset=Unit.objects.filter(active=True), required=False, label="同意后改派给",
                                  error_messages={"invalid_choice": "请选择列表中的单位。"})
