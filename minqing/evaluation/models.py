"""What the figures are made of: facts read off the event log, and their monthly sums.

A Fact is one thing that counts (a request received, a response clock that ended on time or late, a
callback…), produced by exactly one TicketEvent and derived from the log by facts.ticket_facts — the
only definition of every metric. Rollup rows are the facts summed per month × street × community ×
category × unit. Both are derived data: `manage.py metrics --rebuild` recreates them from the events,
`--verify` recomputes and reports any difference.
"""

from __future__ import annotations

from django.db import models

from minqing.org.models import Area, Unit
from minqing.tickets.models import Category, Ticket, TicketEvent


class FactKind(models.TextChoices):
    RECEIVED = "received", "收到"
    ACCEPTED = "accepted", "受理"
    REJECTED = "rejected", "不予受理"
    MERGED = "merged", "合并"
    DISPATCHED = "dispatched", "接收派单"
    RETURNED = "returned", "退回"
    RESPONSE = "response", "应响应"
    DEADLINE = "deadline", "应办结"
    RESOLVED = "resolved", "办结"
    CALLBACK = "callback", "有效回访"
    EXTENSION = "extension", "延期"


class Fact(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    event = models.ForeignKey(TicketEvent, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    kind = models.CharField("类别", max_length=12, choices=FactKind.choices)
    day = models.DateField("日期")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+", db_constraint=False)
    street = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", db_constraint=False)
    community = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", db_constraint=False)
    grid = models.ForeignKey(Area, null=True, on_delete=models.PROTECT, related_name="+", db_constraint=False)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="+", db_constraint=False)
    channel = models.CharField("渠道", max_length=16)
    # response / deadline: met the deadline; callback: the resident said it was solved.
    ok = models.BooleanField(null=True)
    grade = models.CharField("满意度", max_length=16, blank=True)  # callback only
    minutes = models.FloatField(null=True)  # resolved only: from registration to resolution

    class Meta:
        verbose_name = "考核事实"
        verbose_name_plural = "考核事实"
        indexes = [
            models.Index(fields=["day", "kind"], name="fact_day_kind"),
            models.Index(fields=["community", "day"], name="fact_community_day"),
            models.Index(fields=["grid", "day"], name="fact_grid_day"),
            models.Index(fields=["unit", "day"], name="fact_unit_day"),
            models.Index(fields=["ticket"], name="fact_ticket"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.get_kind_display()} 事项{self.ticket_id}"


# Every counter a rollup keeps: (name, fact kind, what else must hold — or "minutes" to sum them).
COUNTERS: list[tuple[str, str, tuple[str, object] | str | None]] = [
    ("received", FactKind.RECEIVED, None),
    ("accepted", FactKind.ACCEPTED, None),
    ("rejected", FactKind.REJECTED, None),
    ("merged", FactKind.MERGED, None),
    ("dispatched", FactKind.DISPATCHED, None),
    ("returned", FactKind.RETURNED, None),
    ("extensions", FactKind.EXTENSION, None),
    ("response_due", FactKind.RESPONSE, None),
    ("response_ok", FactKind.RESPONSE, ("ok", True)),
    ("resolve_due", FactKind.DEADLINE, None),
    ("resolve_ok", FactKind.DEADLINE, ("ok", True)),
    ("resolved", FactKind.RESOLVED, None),
    ("handle_minutes", FactKind.RESOLVED, "minutes"),
    ("callbacks", FactKind.CALLBACK, None),
    ("solved", FactKind.CALLBACK, ("ok", True)),
    ("satisfied", FactKind.CALLBACK, ("grade", "satisfied")),
    ("basic", FactKind.CALLBACK, ("grade", "basic")),
    ("dissatisfied", FactKind.CALLBACK, ("grade", "dissatisfied")),
]
COUNTER_NAMES = [c[0] for c in COUNTERS]
ROLLUP_KEY = ["month", "street_id", "community_id", "category_id", "unit_id"]


class Rollup(models.Model):
    month = models.DateField("月份")  # the first day of the month
    street = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", db_constraint=False)
    community = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", db_constraint=False)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="+", db_constraint=False)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+", db_constraint=False)
    received = models.IntegerField(default=0)
    accepted = models.IntegerField(default=0)
    rejected = models.IntegerField(default=0)
    merged = models.IntegerField(default=0)
    dispatched = models.IntegerField(default=0)
    returned = models.IntegerField(default=0)
    extensions = models.IntegerField(default=0)
    response_due = models.IntegerField(default=0)
    response_ok = models.IntegerField(default=0)
    resolve_due = models.IntegerField(default=0)
    resolve_ok = models.IntegerField(default=0)
    resolved = models.IntegerField(default=0)
    handle_minutes = models.FloatField(default=0)
    callbacks = models.IntegerField(default=0)
    solved = models.IntegerField(default=0)
    satisfied = models.IntegerField(default=0)
    basic = models.IntegerField(default=0)
    dissatisfied = models.IntegerField(default=0)

    class Meta:
        verbose_name = "月度汇总"
        verbose_name_plural = "月度汇总"
        constraints = [models.UniqueConstraint(fields=["month", "street", "community", "category", "unit"],
                                               name="rollup_key")]
        indexes = [models.Index(fields=["month", "community"], name="rollup_month_community"),
                   models.Index(fields=["unit", "month"], name="rollup_unit_month")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} 社区{self.community_id} 分类{self.category_id} 单位{self.unit_id}"
