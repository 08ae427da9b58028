"""The text engine: a classifier for categories. Pure Python + scikit-learn; no models, no database.
Trained objects pickle into bytes.

Character 1–3-grams, hashed into 2^21 columns (no vocabulary to build, so retraining on 100,000
requests fits in the time budget), TF-IDF with sublinear term frequency, one linear SVM per label.
Characters are robust to the many ways residents write and need no word segmentation: jieba word
n-grams added 0.001 macro-F1 on the public data and tripled the retraining time, so they are not
used (README, 智能分拨). Messages that arrive already segmented are joined back into plain text.
"""

from __future__ import annotations

import io
import pickle
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
from sklearn.svm import LinearSVC

from .text import normalize


@dataclass
class Scored:
    label: str
    confidence: float


class TextClassifier:
    def __init__(self, *, C: float = 1.0) -> None:  # noqa: N803 - scikit-learn's name
        self.hasher = HashingVectorizer(analyzer="char", ngram_range=(1, 3), n_features=2**21, alternate_sign=False,
                                        norm=None, dtype=np.float32)
        self.tfidf = TfidfTransformer(sublinear_tf=True)
        self.model = LinearSVC(C=C)
        self.labels: list[str] = []

    def _features(self, texts: Sequence[str], segmented: Sequence[bool], *, fit: bool):  # noqa: ANN202
        plain = [normalize(t).replace(" ", "") if s else normalize(t) for t, s in zip(texts, segmented, strict=True)]
        counts = self.hasher.transform(plain)
        return self.tfidf.fit_transform(counts) if fit else self.tfidf.transform(counts)

    def fit(self, texts: Sequence[str], labels: Sequence[str], segmented: Sequence[bool] | None = None) -> TextClassifier:
        if len(set(labels)) < 2:
            raise ValueError("需要至少两个分类的样本才能训练。")
        segmented = segmented or [False] * len(texts)
        self.model.fit(self._features(texts, segmented, fit=True), list(labels))
        self.labels = [str(c) for c in self.model.classes_]
        return self

    def predict(self, texts: Sequence[str]) -> list[str]:
        if not texts:
            return []
        return [str(p) for p in self.model.predict(self._features(texts, [False] * len(texts), fit=False))]

    def rank(self, text: str, top: int = 3) -> list[Scored]:
        """Labels best first, with a confidence in [0, 1] (a softmax over the SVM margins)."""
        scores = self.model.decision_function(self._features([text], [False], fit=False))
        scores = np.atleast_2d(scores)[0]
        if len(self.labels) == 2:  # binary SVMs give one margin
            scores = np.array([-scores[0], scores[0]])
        probs = np.exp(8 * (scores - scores.max()))  # margins are about ±1: sharpen them
        probs /= probs.sum()
        order = np.argsort(-probs)[:top]
        return [Scored(self.labels[i], float(probs[i])) for i in order]

    def dumps(self) -> bytes:
        buf = io.BytesIO()
        pickle.dump(self, buf, protocol=pickle.HIGHEST_PROTOCOL)
        return buf.getvalue()

    @staticmethod
    def loads(blob: bytes) -> TextClassifier:
        # Only blobs this application wrote itself are loaded (from its own database).
        return pickle.loads(blob)  # noqa: S301
