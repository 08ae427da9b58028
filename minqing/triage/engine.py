"""The text engine: a classifier for categories, and a similarity index for duplicates and
hotspots. Pure Python + scikit-learn; no models, no database. Trained objects pickle into bytes.

Classifier: character 1–3-grams (robust to the many ways residents write) plus jieba word 1–2-grams,
TF-IDF with sublinear term frequency, one linear SVM per label. Messages that arrive already
segmented (space-separated words) feed both views without re-cutting.
"""

from __future__ import annotations

import io
import pickle
from collections.abc import Sequence
from dataclasses import dataclass

import jieba
import numpy as np
from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC

from .text import normalize

jieba.setLogLevel(60)


def words(text: str, *, segmented: bool = False) -> str:
    if segmented:
        return text
    return " ".join(w for w in jieba.lcut(text) if w.strip())


@dataclass
class Scored:
    label: str
    confidence: float


class TextClassifier:
    def __init__(self, *, C: float = 1.0, use_words: bool = True) -> None:  # noqa: N803 - sklearn's name
        self.C = C
        self.use_words = use_words
        self.chars = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, dtype=np.float32)
        self.words = TfidfVectorizer(token_pattern=r"(?u)\S+", ngram_range=(1, 2), sublinear_tf=True,  # noqa: S106
                                     dtype=np.float32)
        self.model = LinearSVC(C=C)
        self.labels: list[str] = []

    def _features(self, texts: Sequence[str], segmented: Sequence[bool], *, fit: bool):  # noqa: ANN202
        plain = [normalize(t).replace(" ", "") if s else normalize(t) for t, s in zip(texts, segmented, strict=True)]
        chars = self.chars.fit_transform(plain) if fit else self.chars.transform(plain)
        if not self.use_words:
            return chars
        cut = [words(normalize(t), segmented=s) for t, s in zip(texts, segmented, strict=True)]
        tokens = self.words.fit_transform(cut) if fit else self.words.transform(cut)
        return hstack([chars, tokens]).tocsr()

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
