"""The metrics as pages, reports and star formulas show them: name, label, how to print it, which facts
are behind it, and the formula in words (the counting itself is facts.py; the arithmetic figures.py)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from .models import FactKind


@dataclass(frozen=True)
class Metric:
    name: str
    label: str
    fmt: str  # count, rate, hours, score
    fact: str | None  # the facts behind it, for the list of requests
    only: str = ""
    formula: str = ""


METRICS = [
    Metric("received", "收到诉求", "count", FactKind.RECEIVED, formula="期间登记的诉求件数"),
    Metric("accepted", "受理", "count", FactKind.ACCEPTED, formula="期间受理（含当场即办）的件数"),
    Metric("rejected", "不予受理", "count", FactKind.REJECTED),
    Metric("merged", "合并重复", "count", FactKind.MERGED),
    Metric("response_rate", "响应率", "rate", FactKind.RESPONSE,
           formula="按时响应（受理、签收或退回）的次数 ÷ 期间到期或完成的响应次数"),
    Metric("ontime_rate", "按期办结率", "rate", FactKind.DEADLINE,
           formula="按期办结次数 ÷ 应办结次数（缓办的不计）"),
    Metric("solve_rate", "解决率", "rate", FactKind.CALLBACK, formula="回访表示已解决 ÷ 有效回访"),
    Metric("satisfaction_rate", "满意率", "rate", FactKind.CALLBACK,
           formula="（满意 + 0.9 × 基本满意）÷ 有效回访"),
    Metric("rework_rate", "返工率", "rate", FactKind.CALLBACK, "dissatisfied", formula="不满意返工 ÷ 有效回访"),
    Metric("extension_rate", "延期率", "rate", FactKind.EXTENSION, formula="批准延期次数 ÷ 应办结次数"),
    Metric("return_rate", "退回率", "rate", FactKind.RETURNED, formula="退回次数 ÷ 接收派单次数"),
    Metric("avg_hours", "平均办理时长（小时）", "hours", FactKind.RESOLVED, formula="从登记到办结的自然小时，取平均"),
    Metric("median_hours", "办理时长中位数（小时）", "hours", FactKind.RESOLVED, formula="从登记到办结的自然小时，取中位数"),
    Metric("composite", "综合得分", "score", None, formula="100 ×（0.1 × 响应率 + 0.5 × 解决率 + 0.4 × 满意率）"),
]
METRIC = {m.name: m for m in METRICS}
RANKABLE = [m for m in METRICS if m.fmt != "count" and m.name != "median_hours"] + [METRIC["received"]]
# Lower is better for these.
LOWER_BETTER = {"rework_rate", "extension_rate", "return_rate", "avg_hours", "median_hours"}

# Which facts a list can be narrowed to, per kind (tab name → condition).
ONLY = {
    FactKind.RESPONSE: {"ok": ("按时", Q(ok=True)), "late": ("超时", Q(ok=False))},
    FactKind.DEADLINE: {"ok": ("按期", Q(ok=True)), "late": ("超期", Q(ok=False))},
    FactKind.CALLBACK: {"solved": ("已解决", Q(ok=True)), "unsolved": ("未解决", Q(ok=False)),
                        "satisfied": ("满意", Q(grade="satisfied")), "basic": ("基本满意", Q(grade="basic")),
                        "dissatisfied": ("不满意", Q(grade="dissatisfied"))},
}


def fmt(metric: Metric, value: float | None) -> str:
    if value is None:
        return "—"
    if metric.fmt == "rate":
        return f"{value * 100:.1f}%"
    if metric.fmt in {"hours"}:
        return f"{value:.1f}"
    if metric.fmt == "score":
        return f"{value:.2f}"
    return f"{int(value)}"
