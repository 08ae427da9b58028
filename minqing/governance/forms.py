from __future__ import annotations

from typing import Any

from django import forms

from minqing.org.models import Area, AreaKind, Unit
from minqing.tickets.models import Category

from .models import KnowledgeEntry, ProjectStatus, TargetKind

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _required(label: str) -> dict[str, Any]:
    return {"error_messages": {"required": f"请填写{label}。", "invalid": f"{label}格式不对。"}}


class ProjectForm(forms.Form):
    title = forms.CharField(label="专项名称", max_length=100, **_required("专项名称"))
    description = forms.CharField(label="问题与措施", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    category = forms.ModelChoiceField(label="事项分类", required=False, queryset=Category.objects.filter(active=True)
                                      .select_related("parent"), empty_label="不限",
                                      help_text="一级分类包含其下所有二级分类")
    area = forms.ModelChoiceField(label="区域", required=False, empty_label="全区",
                                  queryset=Area.objects.filter(kind__in=[AreaKind.STREET, AreaKind.COMMUNITY,
                                                                         AreaKind.GRID]).order_by("code"))
    place = forms.CharField(label="地点", max_length=60, required=False,
                            help_text="内容里写明的地点或登记的小区、社区名称；留空表示不限")
    keywords = forms.CharField(label="关键词", max_length=300, required=False,
                               help_text="用空格或顿号分隔，内容包含其中任一个即算；分类、地点、关键词至少填一项")
    lead_unit = forms.ModelChoiceField(label="牵头单位", queryset=Unit.objects.filter(active=True).order_by("kind", "name"),
                                       error_messages={"required": "请选择牵头单位。"})
    co_units = forms.ModelMultipleChoiceField(label="配合单位", required=False,
                                              queryset=Unit.objects.filter(active=True).order_by("kind", "name"),
                                              widget=forms.SelectMultiple(attrs={"size": 5}))
    target_kind = forms.ChoiceField(label="目标", choices=TargetKind.choices)
    target_value = forms.IntegerField(label="目标值", min_value=1, max_value=100, initial=30,
                                      help_text="诉求量下降的百分比，或满意率提升的百分点", **_required("目标值"))
    start_date = forms.DateField(label="启动日期", widget=DATE, **_required("启动日期"))
    deadline = forms.DateField(label="完成期限", widget=DATE, **_required("完成期限"))
    baseline_months = forms.IntegerField(label="对比基期（月）", min_value=1, max_value=12, initial=3,
                                         help_text="启动前多少个月作为“治理前”", **_required("对比基期"))
    public = forms.BooleanField(label="列入每月一题公示", required=False, initial=True)
    numbers = forms.CharField(label="问题工单编号", required=False, widget=forms.Textarea(attrs={"rows": 3}),
                              help_text="从问题工单立项时：每行一个事项编号，这些事项直接关联到专项")
    source = forms.CharField(widget=forms.HiddenInput, required=False)
    source_note = forms.CharField(widget=forms.HiddenInput, required=False, max_length=300)
    resolution = forms.IntegerField(widget=forms.HiddenInput, required=False)


class MilestoneForm(forms.Form):
    title = forms.CharField(label="节点", max_length=100, **_required("节点内容"))
    due_date = forms.DateField(label="计划完成", widget=DATE, **_required("计划完成日期"))


class CloseForm(forms.Form):
    status = forms.ChoiceField(label="结果", choices=[(ProjectStatus.DONE, "已完成"), (ProjectStatus.CANCELLED, "撤销")])
    result = forms.CharField(label="成效或撤销原因", widget=forms.Textarea(attrs={"rows": 3}), **_required("成效或撤销原因"))


class EntryForm(forms.ModelForm):
    class Meta:
        model = KnowledgeEntry
        fields = ["category", "question", "answer", "citation", "keywords", "active"]
        widgets = {"answer": forms.Textarea(attrs={"rows": 5})}
        error_messages = {"question": {"required": "请填写常见问题。"}, "answer": {"required": "请填写答复口径。"}}
