"""The metrics as pages, reports and star formulas show them: name, label, how to print it, which facts
are behind it, and the formula in words (the counting itself is facts.py; the arithmetic figures.py)."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q

from minqing.lib.xlsx import number, percent

from .models import FactKind


@dataclass(frozen=True)
class Metric:
    name: str
    label: str
    fmt: str  # count, rate, hours, score
    fact: str | None  # the facts behind it, for the list of requests
    only: str = ""
    formula: str = ""


RESPONSE_MODES = {
    "contact": ("响应率（联系率）", FactKind.CONTACTED, "回访时群众确认办理单位联系过 ÷ 回访中问到的次数（北京接诉即办口径）"),
    "sign": ("响应率（按时签收）", FactKind.RESPONSE, "按时响应（受理、签收）的次数 ÷ 期间到期或完成的响应次数"),
    "mixed": ("响应率（联系率与按时签收的平均）", FactKind.CONTACTED, "联系率与按时签收率的平均（只有一项有数据时取该项）"),
}


def response_metric() -> Metric:
    """响应率 as MINQING_RESPONSE_RATE defines it: the label says which, on every page."""
    label, fact, formula = RESPONSE_MODES[settings.MINQING["RESPONSE_RATE"]]
    return Metric("response_rate", label, "rate", fact, formula=formula)


METRICS = [
    Metric("received", "收到诉求", "count", FactKind.RECEIVED, formula="期间登记的诉求件数"),
    Metric("accepted", "受理", "count", FactKind.ACCEPTED, formula="期间受理（含当场即办）的件数"),
    Metric("rejected", "不予受理", "count", FactKind.REJECTED),
    Metric("merged", "合并重复", "count", FactKind.MERGED),
    response_metric(),
    Metric("sign_rate", "按时签收率", "rate", FactKind.RESPONSE,
           formula="按时响应（受理、签收）的次数 ÷ 应响应的次数；退单审核前不算响应"),
    Metric("contact_rate", "联系率", "rate", FactKind.CONTACTED, formula="回访时群众确认办理单位联系过 ÷ 问到的次数"),
    Metric("first_contact_rate", "先行联系按时率", "rate", FactKind.CONTACT,
           formula="签收后在规定时间内联系群众的次数 ÷ 应联系的次数"),
    Metric("ontime_rate", "按期办结率", "rate", FactKind.DEADLINE,
           formula="按期办结次数 ÷ 应办结次数（经批准缓办的不计；交接时已超期的计超期）"),
    Metric("solve_rate", "解决率", "rate", FactKind.CALLBACK, formula="回访表示已解决 ÷ 有效回访（含到期评价）"),
    Metric("satisfaction_rate", "满意率", "rate", FactKind.CALLBACK,
           formula="（满意 + 0.9 × 基本满意）÷ 有效回访（含到期评价）"),
    Metric("rework_rate", "返工率", "rate", FactKind.CALLBACK, "dissatisfied", formula="不满意返工 ÷ 有效回访"),
    Metric("extension_rate", "延期率", "rate", FactKind.EXTENSION, formula="批准延期次数 ÷ 应办结次数"),
    Metric("return_rate", "退回率", "rate", FactKind.RETURNED, formula="经审核同意的退单 ÷ 接收派单次数"),
    Metric("return_request_rate", "退单率", "rate", FactKind.RETURN_REQUESTED, formula="退单申请次数 ÷ 接收派单次数"),
    Metric("return_refusal_rate", "退单驳回率", "rate", FactKind.RETURN_REFUSED,
           formula="被驳回的退单申请 ÷ 已审核的退单申请"),
    Metric("invalid_callback_rate", "无效回访率", "rate", FactKind.CALLBACK_INVALID,
           formula="无效回访 ÷（有效回访 + 无效回访）"),
    Metric("recheck_rate", "复核一致率", "rate", FactKind.RECHECK, formula="复核与回访一致的次数 ÷ 复核次数"),
    Metric("report_rating", "吹哨报到评价", "score", FactKind.REPORT_RATING, formula="街道对部门报到的评价（1–5 分）的平均"),
    Metric("problems", "问题工单", "count", FactKind.PROBLEM, formula="流转 ≥3 个单位或返工 ≥3 次被列为问题工单的件数"),
    Metric("avg_hours", "平均办理时长（小时）", "hours", FactKind.RESOLVED, formula="从登记到办结的自然小时，取平均"),
    Metric("median_hours", "办理时长中位数（小时）", "hours", FactKind.RESOLVED, formula="从登记到办结的自然小时，取中位数"),
    Metric("composite", "综合得分", "score", None,
           formula="100 ×（0.1 × 响应率 + 0.5 × 解决率 + 0.4 × 满意率）；没有数据的部分不计，其余权重按比例放大"),
]
METRIC = {m.name: m for m in METRICS}
RANKABLE = [m for m in METRICS if m.fmt != "count" and m.name != "median_hours"] + [METRIC["received"]]
# Lower is better for these.
LOWER_BETTER = {"rework_rate", "extension_rate", "return_rate", "return_request_rate", "return_refusal_rate",
                "invalid_callback_rate", "problems", "avg_hours", "median_hours"}

# Which facts a list can be narrowed to, per kind (tab name → condition).
ONLY = {
    FactKind.RESPONSE: {"ok": ("按时", Q(ok=True)), "late": ("超时", Q(ok=False))},
    FactKind.DEADLINE: {"ok": ("按期", Q(ok=True)), "late": ("超期", Q(ok=False))},
    FactKind.CONTACTED: {"ok": ("联系过", Q(ok=True)), "late": ("未联系", Q(ok=False))},
    FactKind.CONTACT: {"ok": ("按时联系", Q(ok=True)), "late": ("超时联系", Q(ok=False))},
    FactKind.RECHECK: {"ok": ("一致", Q(ok=True)), "late": ("不一致", Q(ok=False))},
    FactKind.CALLBACK: {"solved": ("已解决", Q(ok=True)), "unsolved": ("未解决", Q(ok=False)),
                        "satisfied": ("满意", Q(grade="satisfied")), "basic": ("基本满意", Q(grade="basic")),
                        "dissatisfied": ("不满意", Q(grade="dissatisfied"))},
}


def fmt(metric: Metric, value: float | None) -> str:
    if value is None:
        return "无数据（本期没有办结）" if metric.fmt == "hours" else "—"
    if metric.fmt == "rate":
        return f"{value * 100:.1f}%"
    if metric.fmt in {"hours"}:
        return f"{value:.1f}"
    if metric.fmt == "score":
        return f"{value:.2f}"
    return f"{int(value)}"


def cell(metric: Metric, value: float | None) -> object:
    """The metric as a spreadsheet cell: rates as percentages, hours and scores as numbers with the page's
    decimals, counts as whole numbers; no data as the page's dash."""
    if value is None:
        return "—"
    if metric.fmt == "rate":
        return percent(value)
    if metric.fmt == "hours":
        return number(value, 1)
    if metric.fmt == "score":
        return number(value, 2)
    return int(value)
