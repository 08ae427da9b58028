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
