"""Evaluation on the public 问政 data (../shared/data/wenzheng), never copied into the repo.

Classification: stratified k-fold over the raw messages. Training folds add the segmented file,
minus every segmented row that is a copy of a test-fold message (character-bigram cosine ≥ 0.5 after
removing the spaces), so no test message is ever seen in training, even in its segmented form.
Reported: accuracy, macro-F1, and per category precision, recall, F1 and the confusion matrix.

Grouping: the labelled pairs of `data/pairs.csv` (message ids of hot_issues.csv, each pair judged by
reading both messages: same place? same problem?), every message of the file grouped at once the
way hotspots are, and for each kind of pair the share that ended in one group.
"""

from __future__ import annotations

import csv
import time
from collections import Counter
from pathlib import Path
from typing import TextIO

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support
from sklearn.model_selection import StratifiedKFold

from .cluster import DEFAULT, Thresholds, groups
from .csvio import read_rows
from .engine import TextClassifier

LEAK = 0.5


def cross_validate(folder: str | Path, *, folds: int = 5, out: TextIO | None = None) -> dict[str, float]:
    folder = Path(folder)
    if not (folder / "messages.csv").exists():
        raise OSError(f"找不到公开数据 {folder}/messages.csv（见 ../shared/data/README.md）")
    raw = read_rows(folder / "messages.csv", labelled=True)
    seg = read_rows(folder / "messages_segmented.csv", labelled=True) if (folder / "messages_segmented.csv").exists() else []
    labels = np.array([r.label for r in raw])
    seg_plain = [r.text.replace(" ", "") for r in seg]
    f1s, accs, started = [], [], time.perf_counter()
    truth: list[str] = []
    guessed: list[str] = []
    splitter = StratifiedKFold(folds, shuffle=True, random_state=0)
    for k, (train, test) in enumerate(splitter.split(np.zeros(len(raw)), labels), start=1):
        extra: list[int] = []
        if seg:
            probe = TfidfVectorizer(analyzer="char", ngram_range=(2, 3), sublinear_tf=True)
            probe.fit([raw[i].text for i in test] + seg_plain)
            similarity = (probe.transform(seg_plain) @ probe.transform([raw[i].text for i in test]).T).max(axis=1)
            extra = [i for i, s in enumerate(similarity.toarray().ravel()) if s < LEAK]
        rows = [raw[i] for i in train] + [seg[i] for i in extra]
        model = TextClassifier().fit([r.text for r in rows], [r.label for r in rows], [r.segmented for r in rows])
        predicted = model.predict([raw[i].text for i in test])
        truth += list(labels[test])
        guessed += list(predicted)
        f1s.append(f1_score(labels[test], predicted, average="macro"))
        accs.append(accuracy_score(labels[test], predicted))
        if out:
            out.write(f"第 {k} 折：macro-F1 {f1s[-1]:.4f}，准确率 {accs[-1]:.4f}（训练 {len(rows)} 条，"
                      f"其中分词数据 {len(extra)} 条；排除与测试集重复的 {len(seg) - len(extra)} 条）\n")
    result = {"macro_f1": float(np.mean(f1s)), "accuracy": float(np.mean(accs)), "seconds": time.perf_counter() - started}
    if out:
        out.write(f"{folds} 折平均：macro-F1 {result['macro_f1']:.4f}，准确率 {result['accuracy']:.4f}，"
                  f"用时 {result['seconds']:.0f} 秒\n")
        write_categories(truth, guessed, out)
    return result


def write_categories(truth: list[str], guessed: list[str], out: TextIO) -> None:
    """Per category precision, recall and F1, then the confusion matrix (rows: true category)."""
    names = sorted(set(truth) | set(guessed))
    precision, recall, f1, support = precision_recall_fscore_support(truth, guessed, labels=names, zero_division=0)
    width = max(len(n) for n in names)
    out.write("\n各分类（合并各折的预测）：\n")
    for n, p, r, f, k in zip(names, precision, recall, f1, support, strict=True):
        out.write(f"  {n:　<{width}}  精确率 {p:.3f}  召回率 {r:.3f}  F1 {f:.3f}  （{k} 条）\n")
    matrix = confusion_matrix(truth, guessed, labels=names)
    out.write("\n混淆矩阵（行：实际分类，列：预测分类，按上面的顺序编号）：\n")
    out.write("  " + " " * len(f"{len(names)}. ") + "　" * width + "".join(f"{k + 1:>6}" for k in range(len(names))) + "\n")
    for k, (n, row) in enumerate(zip(names, matrix, strict=True), start=1):
        out.write(f"  {k}. {n:　<{width}}" + "".join(f"{v:>6}" for v in row) + "\n")


PAIRS = Path(__file__).resolve().parent / "data" / "pairs.csv"
POSITIVE = {"copy", "same"}
KINDS = [  # kind, label, what should happen
    ("copy", "副本（同一条留言再发一次）", "归为一组"),
    ("same", "同一事项（同一地点、同一问题，说法不同）", "归为一组"),
    ("other_place_same_words", "说法相同、地点不同", "分开"),
    ("other_place", "同类问题、地点不同", "分开"),
    ("other_problem", "同一地点、不同问题", "分开"),
    ("unrelated", "无关", "分开"),
]


def read_pairs(path: str | Path = PAIRS) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def evaluate_clusters(folder: str | Path, *, pairs: str | Path = PAIRS, t: Thresholds = DEFAULT,
                      out: TextIO | None = None) -> dict[str, float]:
    """Pairwise precision and recall of the grouping on the labelled pairs, at thresholds `t`.

    All 4,326 messages of hot_issues.csv are grouped in one call, as hotspots are; a pair counts as
    grouped when both messages end in the same group. Returns the share grouped per kind of pair,
    "precision" (grouped pairs that are one matter), "recall" (one-matter pairs grouped), and
    "different_place" (pairs of two places grouped: same wording or not).
    """
    path = Path(folder) / "hot_issues.csv"
    if not path.exists():
        raise OSError(f"找不到公开数据 {path}（见 ../shared/data/README.md）")
    with open(path, newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    position = {r["id"]: i for i, r in enumerate(rows)}
    labelled = read_pairs(pairs)
    missing = [p for p in labelled if p["id_a"] not in position or p["id_b"] not in position]
    if missing:
        raise ValueError(f"{len(missing)} 对留言在 {path.name} 里找不到（例如 {missing[0]['id_a']}、{missing[0]['id_b']}）")
    started = time.perf_counter()
    found = groups([f"{r.get('subject') or ''} {r.get('body') or ''}".strip() for r in rows], t=t)
    seconds = time.perf_counter() - started
    group_of = {i: n for n, g in enumerate(found) for i in g.members}

    def together(p: dict[str, str]) -> bool:
        a, b = position[p["id_a"]], position[p["id_b"]]
        return a in group_of and group_of[a] == group_of.get(b)

    result: dict[str, float] = {"seconds": seconds, "groups": len(found),
                                "largest": float(max((len(g.members) for g in found), default=0))}
    lines = []
    for split in ("dev", "test", ""):
        chosen = [p for p in labelled if not split or p["split"] == split]
        counts: Counter[str] = Counter(p["kind"] for p in chosen)
        joined: Counter[str] = Counter(p["kind"] for p in chosen if together(p))
        tp = sum(joined[k] for k in POSITIVE)
        grouped = sum(joined.values())
        positives = sum(counts[k] for k in POSITIVE)
        places = counts["other_place_same_words"] + counts["other_place"]
        summary = {
            "precision": tp / grouped if grouped else 1.0,
            "recall": tp / positives if positives else 0.0,
            "different_place": (joined["other_place_same_words"] + joined["other_place"]) / places if places else 0.0,
            **{k: joined[k] / counts[k] if counts[k] else 0.0 for k, _, _ in KINDS},
        }
        prefix = f"{split}_" if split else ""
        result.update({prefix + k: v for k, v in summary.items()})
        name = {"dev": "调阈值用的一半（dev）", "test": "另一半（test）", "": "全部"}[split]
        lines.append(f"\n{name}：{len(chosen)} 对\n")
        for kind, label, should in KINDS:
            if counts[kind]:
                lines.append(f"  {label}：{counts[kind]} 对，归为一组 {joined[kind]} 对（{joined[kind] / counts[kind]:.1%}，应{should}）\n")
        lines.append(f"  精确率（归为一组的对中确是同一事项）{summary['precision']:.3f}；"
                     f"召回率（同一事项含副本）{summary['recall']:.3f}；"
                     f"副本召回率 {summary['copy']:.3f}；换了说法的同一事项召回率 {summary['same']:.3f}；"
                     f"不同地点被归为一组 {summary['different_place']:.1%}\n")
    if out:
        out.write(f"同一事项分组：{len(rows)} 条留言一次聚类，{len(found)} 组（最大 {int(result['largest'])} 条），"
                  f"用时 {seconds:.1f} 秒；阈值 副本 {t.copy}、同一地点 {t.same_place}（有共同具体问题时 {t.floor}）、"
                  f"未写地点 {t.no_place}\n标注文件 {pairs}")
        out.write("".join(lines))
    return result
