from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q, QuerySet

from minqing.accounts.scope import Scope
from minqing.lib.validation import date_in_range
from minqing.lib.widgets import date_input, phone_input
from minqing.org.models import Area, Unit
from minqing.tickets.models import Category

from .models import AgendaItem, Kind, Motion, ParticipantKind

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class AreaChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Area) -> str:
        return f"{obj.get_kind_display()} · {obj.name}"


def areas_for(scope: Scope) -> QuerySet[Area]:
    """Where a person may convene: their communities and what lies in them, their streets."""
    c = scope.community_ids
    return Area.objects.filter(Q(pk__in=c) | Q(parent__in=c) | Q(parent__parent__in=c) | Q(pk__in=scope.street_ids)
                               ).order_by("code")


class MeetingForm(forms.Form):
    kind = forms.ChoiceField(label="会议类型", choices=[("", "请选择")] + Kind.choices,
                             error_messages={"required": "请选择会议类型。"})
    topic = forms.CharField(label="议题", max_length=120, error_messages={"required": "请填写议题。"})
    starts_at = forms.DateTimeField(label="会议时间", validators=[date_in_range], widget=DATETIME, input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
                                    error_messages={"required": "请填写会议时间。", "invalid": "会议时间格式不对，例如 2026-12-05 15:00。"},
                                    help_text="已经开过的会议也可以补录")
    place = forms.CharField(label="地点", max_length=120, error_messages={"required": "请填写地点。"},
                            help_text="例如：居民说事厅、党群服务中心、协商议事厅")
    area = AreaChoice(label="涉及区域", queryset=Area.objects.none(), empty_label="请选择",
                      error_messages={"required": "请选择涉及区域。", "invalid_choice": "该区域不在您的工作范围内。"})
    chair = forms.CharField(label="主持人", max_length=50, error_messages={"required": "请填写主持人。"})
    entitled = forms.IntegerField(label="应到人数", min_value=0, max_value=1_000_000, required=False,
                                  help_text="居民会议、联席会议须填写，用于判断是否达到法定人数",
                                  error_messages={"invalid": "应到人数请填整数。", "min_value": "应到人数不能为负数。",
                                                  "max_value": "应到人数太大。"})

    def __init__(self, *args: Any, scope: Scope, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = areas_for(scope)


class AgendaForm(forms.Form):
    title = forms.CharField(label="议题", max_length=120, error_messages={"required": "请填写议题。"})


class ParticipantForm(forms.Form):
    kind = forms.ChoiceField(label="身份", choices=ParticipantKind.choices, error_messages={"required": "请选择身份。"})
    name = forms.CharField(label="姓名", max_length=120, required=False)
    phone = forms.CharField(label="手机号（用于短信通知，可不填）", max_length=20, required=False, widget=phone_input())
    unit = forms.ModelChoiceField(label="单位", queryset=Unit.objects.filter(active=True), required=False,
                                  error_messages={"invalid_choice": "请选择有效的单位。"})


class AttendanceForm(forms.Form):
    attended = forms.TypedMultipleChoiceField(label="到会", coerce=int, required=False)
    others = forms.IntegerField(label="名单外到会人数", min_value=0, max_value=100_000, required=False,
                                error_messages={"invalid": "人数请填整数。", "min_value": "人数不能为负数。"})

    def __init__(self, *args: Any, meeting: object, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["attended"].choices = [(p.pk, p.name) for p in meeting.participants.all()]


def _votes(label: str) -> forms.IntegerField:
    return forms.IntegerField(label=label, min_value=0, max_value=1_000_000,
                              error_messages={"required": f"请填写{label}票数。", "invalid": f"{label}票数请填整数。",
                                              "min_value": "票数不能为负数。"})


class MotionForm(forms.Form):
    text = forms.CharField(label="表决事项", max_length=300, error_messages={"required": "请填写表决事项。"})
    agenda_item = forms.ModelChoiceField(label="对应议程", queryset=AgendaItem.objects.none(), required=False)
    votes_for = _votes("赞成")
    votes_against = _votes("反对")
    votes_abstain = _votes("弃权")

    def __init__(self, *args: Any, meeting: object, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agenda_item"].queryset = meeting.agenda.all()


class ResolutionForm(forms.Form):
    text = forms.CharField(label="决议内容", max_length=300, error_messages={"required": "请填写决议内容。"})
    motion = forms.ModelChoiceField(label="依据的表决", queryset=Motion.objects.none(), required=False)
    agenda_item = forms.ModelChoiceField(label="对应议程", queryset=AgendaItem.objects.none(), required=False)
    owner = forms.ModelChoiceField(label="责任单位", queryset=Unit.objects.filter(active=True),
                                   error_messages={"required": "请选择责任单位。", "invalid_choice": "请选择有效的单位。"})
    due_date = forms.DateField(label="完成时限", validators=[date_in_range], widget=date_input(),
                               error_messages={"required": "请填写完成时限。", "invalid": "完成时限格式不对，例如 2026-12-31。"})
    new_request_category = forms.ModelChoiceField(
        label="同时生成民情事项（选择分类）", required=False,
        queryset=Category.objects.filter(parent__isnull=False, active=True).select_related("parent"),
        help_text="议程没有关联事项时，可把决议登记为事项交责任单位办理，按事项时限跟踪")

    def __init__(self, *args: Any, meeting: object, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["motion"].queryset = meeting.motions.filter(passed=True)
        self.fields["agenda_item"].queryset = meeting.agenda.all()


class MinutesForm(forms.Form):
    text = forms.CharField(label="纪要", max_length=20000, widget=forms.Textarea(attrs={"rows": 8}),
                           error_messages={"required": "请填写纪要。"})
    correction_note = forms.CharField(label="更正说明（发布后再改时必填）", max_length=300, required=False)


class NoteForm(forms.Form):
    note = forms.CharField(label="说明", max_length=1000, error_messages={"required": "请填写说明。"})
