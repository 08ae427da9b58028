"""Reading the CSV shapes of the evaluation interface (and the public 问政 data)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Row:
    id: str
    text: str
    label: str = ""
    segmented: bool = False
    created_at: str = ""


def read_rows(path: str | Path, *, labelled: bool) -> list[Row]:
    """`id,subject,body,created_at[,label]` or, for training, `seg_row,text_seg,label`."""
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        fields = set(reader.fieldnames or [])
        rows = []
        if {"text_seg"} <= fields:
            for r in reader:
                rows.append(Row(id=r.get("seg_row", ""), text=r.get("text_seg") or "", label=(r.get("label") or "").strip(),
                                segmented=True))
        elif {"id"} <= fields and ({"subject"} <= fields or {"body"} <= fields):
            for r in reader:
                text = f"{r.get('subject') or ''} {r.get('body') or ''}".strip()
                rows.append(Row(id=r["id"], text=text, label=(r.get("label") or "").strip(),
                                created_at=r.get("created_at") or ""))
        else:
            raise ValueError(f"{path}: 无法识别的表头 {sorted(fields)}（需要 id,subject,body,created_at[,label] 或 seg_row,text_seg,label）")
    if labelled:
        rows = [r for r in rows if r.label]
    return rows
