"""网格走访: the base registry of a grid (一标三实, minimal) and the grid workers' patrols and visits (民情日志).

    Building   标准地址 + 楼栋 (实有房屋), in a grid and optionally a compound
    Household  a household (住户) or a unit (实有单位) in a building; the head's name, phone and ID number are
               stored encrypted (lib/crypto.py) and shown masked (lib/masking.py) to those who do not work the grid
    Patrol     a grid worker's round: started, visits recorded, ended
    Visit      one entry of the 民情日志: where (a household or a place), what was found, a photo, a note;
               possibly turned into a request (channel 网格员入户)

Patrols and visits are created from the phone, often offline: each carries the UUID its client made, so the
same record sent twice (a retry after a lost response) exists once.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from minqing.lib.crypto import EncryptedTextField
from minqing.org.models import Area


class Building(models.Model):
    grid = models.ForeignKey(Area, verbose_name="网格", on_delete=models.PROTECT, related_name="+")
    compound = models.ForeignKey(Area, verbose_name="小区/楼院", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    address = models.CharField("标准地址", max_length=200, help_text="例如：西湖东路 12 号")
    name = models.CharField("楼栋", max_length=50, help_text="例如：3号楼")
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="登记人", null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = "楼栋（标准地址）"
        verbose_name_plural = "楼栋（标准地址）"
        ordering = ["grid", "address", "name"]
        constraints = [models.UniqueConstraint(fields=["grid", "address", "name"], name="grid_building_unique")]

    def __str__(self) -> str:
        return f"{self.address} {self.name}"


class HouseholdKind(models.TextChoices):
    HOUSEHOLD = "household", "住户"
    UNIT = "unit", "单位"


class Household(models.Model):
    building = models.ForeignKey(Building, verbose_name="楼栋", on_delete=models.PROTECT, related_name="households")
    grid = models.ForeignKey(Area, verbose_name="网格", on_delete=models.PROTECT, related_name="+",
                             help_text="与楼栋的网格相同，冗余保存以便按网格统计")
    kind = models.CharField("类别", max_length=16, choices=HouseholdKind.choices, default=HouseholdKind.HOUSEHOLD)
    unit_no = models.CharField("单元", max_length=20, blank=True)
    room = models.CharField("门牌（室号）", max_length=20, blank=True)
    name = models.CharField("单位名称", max_length=120, blank=True, help_text="单位填写；住户留空")
    head_name = EncryptedTextField("户主/联系人", blank=True, help_text="加密保存")
    head_phone = EncryptedTextField("联系电话", blank=True, help_text="加密保存")
    head_phone_hash = models.CharField("联系电话检索摘要", max_length=64, blank=True, db_index=True,
                                       help_text="找这户人家打热线、网上反映的诉求（与诉求的反映人电话摘要比对）")
    id_number = EncryptedTextField("身份证号", blank=True, help_text="加密保存，只显示脱敏后的号码")
    people = models.PositiveIntegerField("人数", default=0)
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="登记人", null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = "住户/单位"
        verbose_name_plural = "住户/单位"
        ordering = ["building", "unit_no", "room", "name"]
        constraints = [models.UniqueConstraint(fields=["building", "unit_no", "room", "name"],
                                               name="grid_household_unique")]
        indexes = [models.Index(fields=["grid", "kind"], name="grid_household_grid_kind")]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """Where it is, without personal data: 西湖东路 12 号 3号楼 2单元 301."""
        parts = [str(self.building), f"{self.unit_no}单元" if self.unit_no and self.unit_no.isdigit() else self.unit_no,
                 self.room, self.name]
        return " ".join(p for p in parts if p)


class Patrol(models.Model):
    uuid = models.UUIDField("客户端编号", unique=True, default=uuid.uuid4, editable=False,
                            help_text="手机端生成；同一条记录重复提交只保存一次")
    worker = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="网格员", on_delete=models.PROTECT,
                               related_name="+")
    grid = models.ForeignKey(Area, verbose_name="网格", on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField("开始时间", db_index=True)
    ended_at = models.DateTimeField("结束时间", null=True, blank=True)
    note = models.CharField("巡查小结", max_length=500, blank=True)
    created_at = models.DateTimeField("上传时间", auto_now_add=True)

    class Meta:
        verbose_name = "巡查"
        verbose_name_plural = "巡查"
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.grid} {self.started_at:%Y-%m-%d %H:%M}"


class Finding(models.TextChoices):
    NORMAL = "normal", "情况正常"
    PROBLEM = "problem", "发现问题"
    NEED = "need", "有需求（帮扶、咨询）"
    ABSENT = "absent", "无人在家"


class Visit(models.Model):
    uuid = models.UUIDField("客户端编号", unique=True, default=uuid.uuid4, editable=False,
                            help_text="手机端生成；同一条记录重复提交只保存一次")
    patrol = models.ForeignKey(Patrol, verbose_name="巡查", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="visits")
    worker = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="网格员", on_delete=models.PROTECT,
                               related_name="+")
    grid = models.ForeignKey(Area, verbose_name="网格", on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey(Household, verbose_name="住户/单位", null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="visits")
    place = models.CharField("地点", max_length=200, blank=True, help_text="不是登记的住户/单位时填写，如：3号楼楼道")
    finding = models.CharField("走访情况", max_length=16, choices=Finding.choices, default=Finding.NORMAL)
    note = models.TextField("民情日志", blank=True)
    photo = models.CharField("照片", max_length=200, blank=True, help_text="媒体存储中的文件名（已重新编码）")
    latitude = models.DecimalField("纬度", max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField("经度", max_digits=9, decimal_places=6, null=True, blank=True)
    visited_at = models.DateTimeField("走访时间", db_index=True, help_text="手机上记录的时间")
    created_at = models.DateTimeField("上传时间", auto_now_add=True)
    ticket = models.OneToOneField("tickets.Ticket", verbose_name="转成的诉求", null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="grid_visit")
    ticket_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="转诉求人", null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = "走访记录"
        verbose_name_plural = "走访记录（民情日志）"
        ordering = ["-visited_at"]
        indexes = [models.Index(fields=["grid", "visited_at"], name="grid_visit_grid_time")]

    def __str__(self) -> str:
        return f"{self.where} {self.visited_at:%Y-%m-%d %H:%M}"

    @property
    def where(self) -> str:
        return self.household.label if self.household_id and self.household else self.place
