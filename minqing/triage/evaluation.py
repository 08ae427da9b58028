"""Cross-validation on the public 问政 data (../shared/data/wenzheng), never copied into the repo.

Stratified k-fold over the raw messages. Training folds add the segmented file, minus every
segmented row that is a copy of a test-fold message (character-bigram cosine ≥ 0.5 after removing
the spaces), so no test message is ever seen in training, even in its segmented form.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TextIO

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedKFold

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
        f1s.append(f1_score(labels[test], predicted, average="macro"))
        accs.append(accuracy_score(labels[test], predicted))
        if out:
            out.write(f"第 {k} 折：macro-F1 {f1s[-1]:.4f}，准确率 {accs[-1]:.4f}（训练 {len(rows)} 条，"
                      f"其中分词数据 {len(extra)} 条；排除与测试集重复的 {len(seg) - len(extra)} 条）\n")
    result = {"macro_f1": float(np.mean(f1s)), "accuracy": float(np.mean(accs)), "seconds": time.perf_counter() - started}
    if out:
        out.write(f"{folds} 折平均：macro-F1 {result['macro_f1']:.4f}，准确率 {result['accuracy']:.4f}，"
                  f"用时 {result['seconds']:.0f} 秒\n")
    return result


def evaluate_clusters(folder: str | Path, *, sample: int = 400, out: TextIO | None = None) -> dict[str, float]:
    """Precision and recall of same-matter grouping, from pairs built out of hot_issues.csv.

    For each sampled message that names a place:
    - a *same-matter* pair: the message and its body alone (what a second resident might write
      without the headline) — they must be grouped;
    - a *different-matter* pair: the message and a copy with its place names replaced by another
      message's places (the same problem somewhere else) — they must not be.
    Every message, variant and copy goes through one `cluster()` call together with the rest of the
    file, so unrelated messages can spoil precision too.
    """
    import random

    from .cluster import cluster
    from .text import places

    rows = read_rows(Path(folder) / "hot_issues.csv", labelled=False)
    by_id = {r.id: r for r in rows}
    import csv

    with open(Path(folder) / "hot_issues.csv", newline="", encoding="utf-8-sig") as handle:
        parts = {r["id"]: (r.get("subject") or "", r.get("body") or "") for r in csv.DictReader(handle)}
    rng = random.Random(0)
    with_places = [r for r in rows if places(r.text) and len(parts[r.id][1]) >= 20]
    picked = rng.sample(with_places, min(sample, len(with_places)))
    donors = [places(r.text) for r in with_places]
    texts = [r.text for r in rows]
    index = {r.id: i for i, r in enumerate(rows)}
    positives, hard, negatives = [], [], []
    for r in picked:
        subject, body = parts[r.id]
        texts.append(body)
        positives.append((index[r.id], len(texts) - 1))
        if subject:
            texts.append(subject)
            hard.append((len(texts) - 2, len(texts) - 1))
        own = sorted(places(r.text), key=len, reverse=True)
        other = rng.choice([d for d in donors if d and not (d & set(own))])
        swapped = r.text
        replacement = sorted(other, key=len, reverse=True)[0]
        for name in own:
            swapped = swapped.replace(name, replacement)
        texts.append(swapped)
        negatives.append((index[r.id], len(texts) - 1))
    groups = cluster(texts)

    def together(a: int, b: int) -> bool:
        return groups[a] is not None and groups[a] == groups[b]

    tp = sum(together(a, b) for a, b in positives)
    fp = sum(together(a, b) for a, b in negatives)
    hard_tp = sum(together(a, b) for a, b in hard)
    result = {"recall": tp / len(positives), "precision": tp / max(1, tp + fp),
              "false_merge_rate": fp / len(negatives), "hard_recall": hard_tp / max(1, len(hard)),
              "pairs": len(positives)}
    assert by_id  # the file was read
    if out:
        out.write(f"同一事项分组（{len(rows)} 条留言 + {len(texts) - len(rows)} 条构造变体，{len(positives)} 对）：\n"
                  f"  留言 vs 只有正文：召回率 {result['recall']:.3f}，精确率 {result['precision']:.3f}\n"
                  f"  只有标题 vs 只有正文（换了说法）：召回率 {result['hard_recall']:.3f}\n"
                  f"  同样问题换了地点：误合并率 {result['false_merge_rate']:.3f}\n")
    return result
