from __future__ import annotations

from typing import Any

from django import forms

from minqing.lib.validation import date_in_range
from minqing.lib.widgets import date_input, phone_input
from minqing.org.models import Area, AreaKind, Unit
from minqing.tickets.models import Brand

from .models import NeedSource, Priority, ResourceKind

DATE = date_input()


def _req(label: str) -> dict:
    return {"required": f"请填写{label}。", "invalid": f"{label}格式不对。", "invalid_choice": f"请选择有效的{label}。"}


class AreaChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Area) -> str:
        return f"{obj.get_kind_display()} · {obj.name}"


class NeedForm(forms.Form):
    area = AreaChoice(label="社区/网格/小区", queryset=Area.objects.none(), error_messages=_req("位置"))
    title = forms.CharField(label="需求", max_length=120, error_messages=_req("需求"))
    brand = forms.ChoiceField(label="服务品牌", choices=Brand.choices, error_messages=_req("服务品牌"))
    description = forms.CharField(label="具体情况", max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3}))
    households = forms.IntegerField(label="涉及户数", min_value=0, max_value=1_000_000, initial=0, error_messages=_req("涉及户数"))
    source = forms.ChoiceField(label="来源", choices=NeedSource.choices, error_messages=_req("来源"))
    priority = forms.ChoiceField(label="优先级", choices=Priority.choices, initial=Priority.NORMAL, error_messages=_req("优先级"))

    def __init__(self, *args: Any, areas: object, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = areas


class ResourceForm(forms.Form):
    unit = forms.ModelChoiceField(label="提供单位", queryset=Unit.objects.none(), error_messages=_req("提供单位"))
    kind = forms.ChoiceField(label="类型", choices=ResourceKind.choices, error_messages=_req("类型"))
    title = forms.CharField(label="资源", max_length=120, error_messages=_req("资源"))
    brand = forms.ChoiceField(label="服务品牌", choices=Brand.choices, error_messages=_req("服务品牌"))
    capacity = forms.IntegerField(label="可提供数量", min_value=1, max_value=100_000_000, error_messages=_req("可提供数量"))
    unit_label = forms.CharField(label="数量单位", max_length=10, initial="次", error_messages=_req("数量单位"))
    available_from = forms.DateField(label="可用开始", validators=[date_in_range], widget=DATE, error_messages=_req("可用开始日期"))
    available_until = forms.DateField(label="可用结束（可不填）", validators=[date_in_range], widget=DATE, required=False, error_messages=_req("可用结束日期"))
    areas = forms.ModelMultipleChoiceField(
        label="服务范围", error_messages=_req("服务范围"), widget=forms.SelectMultiple(attrs={"size": 6}),
        queryset=Area.objects.filter(kind__in=[AreaKind.DISTRICT, AreaKind.STREET, AreaKind.COMMUNITY]).order_by("code"))
    description = forms.CharField(label="说明", max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3}))
    active = forms.BooleanField(label="有效（取消勾选即下架，不再推荐）", required=False, initial=True)

    def __init__(self, *args: Any, units: object, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units


class SeatForm(forms.Form):
    unit = forms.ModelChoiceField(label="单位", queryset=Unit.objects.filter(active=True), error_messages=_req("单位"))
    committee = AreaChoice(label="委员会", queryset=Area.objects.none(), error_messages=_req("委员会"))
    term = forms.CharField(label="届次", max_length=20, initial="2024-2026", error_messages=_req("届次"))
    member = forms.CharField(label="兼职委员", max_length=50, required=False)
    duties = forms.CharField(label="责任清单", max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, committees: object, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["committee"].queryset = committees


class AgreementForm(forms.Form):
    community = forms.ModelChoiceField(label="社区", queryset=Area.objects.none(), error_messages=_req("社区"))
    unit = forms.ModelChoiceField(label="单位", queryset=Unit.objects.filter(active=True), error_messages=_req("单位"))
    community_duties = forms.CharField(label="社区责任", max_length=4000, widget=forms.Textarea(attrs={"rows": 3}),
                                       error_messages=_req("社区责任"))
    unit_duties = forms.CharField(label="单位责任", max_length=4000, widget=forms.Textarea(attrs={"rows": 3}),
                                  error_messages=_req("单位责任"))
    starts_on = forms.DateField(label="起始日期", validators=[date_in_range], widget=DATE, error_messages=_req("起始日期"))
    ends_on = forms.DateField(label="截止日期", validators=[date_in_range], widget=DATE, error_messages=_req("截止日期"))
    community_signatory = forms.CharField(label="社区签字人", max_length=50, error_messages=_req("社区签字人"))
    unit_signatory = forms.CharField(label="单位签字人", max_length=50, error_messages=_req("单位签字人"))

    def __init__(self, *args: Any, communities: object, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = communities


class WishForm(forms.Form):
    area = AreaChoice(label="社区/网格/小区", queryset=Area.objects.none(), error_messages=_req("位置"))
    resident_name = forms.CharField(label="居民姓名", max_length=50, error_messages=_req("居民姓名"))
    resident_phone = forms.CharField(label="居民电话（可不填）", max_length=20, required=False, widget=phone_input())
    text = forms.CharField(label="心愿", max_length=200, error_messages=_req("心愿"))

    def __init__(self, *args: Any, areas: object, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = areas


class MemberForm(forms.Form):
    community = forms.ModelChoiceField(label="报到社区", queryset=Area.objects.none(), error_messages=_req("报到社区"))
    name = forms.CharField(label="姓名", max_length=50, error_messages=_req("姓名"))
    phone = forms.CharField(label="手机号", max_length=20, error_messages=_req("手机号"), widget=phone_input())
    employer = forms.ModelChoiceField(label="所在单位", queryset=Unit.objects.filter(active=True), required=False)

    def __init__(self, *args: Any, communities: object, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = communities


class UnitImportForm(forms.Form):
    file = forms.FileField(label="单位表格（.xlsx）", error_messages=_req("文件"))


