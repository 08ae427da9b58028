"""`manage.py lifecycle`: print lifecycle.STEPS as a Markdown table (the README's Architecture section)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand

from minqing.tickets.lifecycle import (
    ACTOR_LABELS,
    CHECKPOINTS,
    CLOCK_LABELS,
    CLOCK_RUNS,
    OP_LABELS,
    STEPS,
    TO_LABELS,
    Status,
    Step,
)


def _statuses(values: frozenset[str] | set[str]) -> str:
    if set(values) == set(Status.values):
        return "任何状态"
    return "、".join(Status(v).label for v in Status.values if v in values)


def _clocks(step: Step) -> str:
    return "；".join(f"{CLOCK_LABELS[c]}{OP_LABELS[op]}" for c, op in step.clocks.items())


def _told(step: Step) -> str:
    parts = [f"{'、'.join(TO_LABELS[t] for t in n.to)}：{n.title}" for n in step.notices]
    if step.sms:
        parts.append(f"反映人短信（{step.sms.template}）")
    return "；".join(parts)


def _counts(step: Step) -> str:
    out = []
    for c in step.counts:
        where = "（新单位）" if c.unit == "after" else ""
        when = f"（仅从{_statuses(c.only_from)}）" if c.only_from else ""
        out.append(f"{c.kind}{where}{when}")
    return "、".join(out)


def table() -> str:
    lines = ["| 步骤 | 名称 | 谁可以 | 从 | 到 | 时钟 | 通知 | 群众看到 | 考核事实 |", "|---|---|---|---|---|---|---|---|---|"]
    for s in STEPS.values():
        target = Status(s.target).label if s.target else "（不变）"
        public = s.public + ("（含说明）" if s.public_detail else "")
        lines.append(f"| `{s.name}` | {s.label} | {ACTOR_LABELS[s.actor]} | {_statuses(s.sources) or '—'} | {target} "
                     f"| {_clocks(s)} | {_told(s)} | {public} | {_counts(s)} |")
    lines += ["", "| 时钟 | 在这些状态下计时 |", "|---|---|"]
    lines += [f"| {CLOCK_LABELS[c]} | {_statuses(v)} |" for c, v in CLOCK_RUNS.items()]
    lines += ["", "| 巡检节点 | 通知 | 短信 |", "|---|---|---|"]
    lines += [f"| `{name}` | {'、'.join(TO_LABELS[t] for t in p.notice.to)}：{p.notice.title} | "
              f"{p.sms.template if p.sms else ''} |" for name, p in CHECKPOINTS.items()]
    return "\n".join(lines)


README = Path(__file__).resolve().parents[4] / "README.md"
MARKS = ("<!-- lifecycle:start -->\n", "\n<!-- lifecycle:end -->")


class Command(BaseCommand):
    help = "打印事项生命周期表（每一步：谁可以、从哪个状态到哪个状态、时钟、通知、群众看到的、考核事实）。"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--readme", action="store_true", help="把表写进 README.md 的“架构”一节（两个标记之间）")

    def handle(self, *args: Any, **opts: Any) -> None:
        if not opts["readme"]:
            self.stdout.write(table())
            return
        text = README.read_text(encoding="utf-8")
        start, end = text.index(MARKS[0]) + len(MARKS[0]), text.index(MARKS[1])
        README.write_text(text[:start] + table() + text[end:], encoding="utf-8")
        self.stdout.write("README.md 已更新。")
