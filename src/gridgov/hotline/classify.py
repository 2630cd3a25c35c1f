"""Suggesting the catalogue item of free text (issue 13): jieba word segmentation plus a linear
classifier (TF-IDF of words and word pairs, multinomial logistic regression), trained on the
platform's own closed, classified cases. Nothing is downloaded: jieba ships its dictionary.

A suggestion is shown with its confidence to the operator and never applied by itself.
"""

from __future__ import annotations

import io
import logging
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

MAX_FEATURES = 50_000
MIN_SAMPLES = 20
_SPACES = re.compile(r"\s+")
_lock = threading.Lock()
_cached: tuple[tuple[Any, ...], Any] | None = None


def tokenize(text: str) -> list[str]:
    """jieba's words, without whitespace and one-character punctuation."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    text = _SPACES.sub(" ", text or "").strip()
    return [w for w in jieba.lcut(text) if w.strip() and (len(w) > 1 or w.isalnum())]


def _identity(tokens: list[str]) -> list[str]:
    return tokens


def build_pipeline(*, pretokenized: bool = False) -> Any:
    """TF-IDF of jieba words, then a linear model with probabilities (log loss). Words alone
    beat words plus pairs on the labelled messages (0.74 against 0.69) and train ten times
    faster."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import SGDClassifier
    from sklearn.pipeline import Pipeline

    return Pipeline(
        [
            (
                "tfidf",
                TfidfVectorizer(
                    analyzer=_identity if pretokenized else tokenize,
                    sublinear_tf=True,
                    max_features=MAX_FEATURES,
                ),
            ),
            ("clf", SGDClassifier(loss="log_loss", alpha=1e-4, random_state=0)),
        ]
    )


@dataclass(frozen=True)
class Evaluation:
    """Cross-validated accuracy beside the majority-class baseline."""

    samples: int
    classes: int
    accuracy: float
    baseline: float


def cross_validate(texts: Sequence[str], labels: Sequence[str], *, folds: int = 5) -> Evaluation:
    """Stratified k-fold accuracy (shuffled, seed 0) of the pipeline and of always answering
    the most frequent class."""
    from sklearn.dummy import DummyClassifier
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    labels = list(labels)
    counts = {label: labels.count(label) for label in set(labels)}
    folds = max(2, min(folds, min(counts.values())))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
    tokens = np.empty(len(texts), dtype=object)
    tokens[:] = [tokenize(t) for t in texts]  # once, not once per fold
    y = np.array(labels, dtype=object)
    accuracy = cross_val_score(
        build_pipeline(pretokenized=True), tokens, y, cv=splitter, scoring="accuracy"
    ).mean()
    baseline = cross_val_score(
        DummyClassifier(strategy="most_frequent"), tokens, y, cv=splitter, scoring="accuracy"
    ).mean()
    return Evaluation(len(texts), len(counts), float(accuracy), float(baseline))


def fit(texts: Sequence[str], labels: Sequence[str]) -> tuple[list[str], list[str], bytes]:
    """(labels, vocabulary, npz weights) of a pipeline fitted on the texts."""
    pipeline = build_pipeline()
    pipeline.fit(list(texts), list(labels))
    tfidf, clf = pipeline.named_steps["tfidf"], pipeline.named_steps["clf"]
    vocabulary = [""] * len(tfidf.vocabulary_)
    for term, index in tfidf.vocabulary_.items():
        vocabulary[index] = term
    buf = io.BytesIO()
    np.savez_compressed(buf, idf=tfidf.idf_, coef=clf.coef_, intercept=clf.intercept_)
    return [str(c) for c in clf.classes_], vocabulary, buf.getvalue()


class Loaded:
    """A stored model: the vocabulary and arrays, applied with numpy."""

    def __init__(self, labels: list[str], vocabulary: list[str], weights: bytes) -> None:
        arrays = np.load(io.BytesIO(bytes(weights)), allow_pickle=False)
        self.labels = labels
        self.index = {term: i for i, term in enumerate(vocabulary)}
        self.idf = arrays["idf"]
        self.coef = arrays["coef"]
        self.intercept = arrays["intercept"]

    def _vector(self, text: str) -> Any:
        counts: dict[int, int] = {}
        for word in tokenize(text):
            i = self.index.get(word)
            if i is not None:
                counts[i] = counts.get(i, 0) + 1
        x = np.zeros(len(self.idf))
        for i, n in counts.items():
            x[i] = (1.0 + np.log(n)) * self.idf[i]  # sublinear tf times idf
        norm = np.linalg.norm(x)
        return x / norm if norm else x

    def probabilities(self, text: str) -> Any:
        """One-vs-rest sigmoids normalised to sum to 1 (scikit-learn's predict_proba for the
        log loss); two classes share one weight row."""
        scores = self.coef @ self._vector(text) + self.intercept
        if len(self.labels) == 2:
            p = 1.0 / (1.0 + np.exp(-scores[0]))
            return np.array([1.0 - p, p])
        p = 1.0 / (1.0 + np.exp(-scores))
        total = p.sum()
        return p / total if total else np.full(len(p), 1.0 / len(p))

    def predict(self, text: str) -> tuple[str, float]:
        proba = self.probabilities(text)
        best = int(np.argmax(proba))
        return self.labels[best], float(proba[best])


def loaded(model: Any) -> Loaded:
    """The process's copy of a stored TextModel, rebuilt only when a newer one is stored."""
    global _cached
    # The creation time is in the key too: a rolled-back row's id can be given again.
    key = (model.pk, model.created_at)
    with _lock:
        if _cached is None or _cached[0] != key:
            _cached = (key, Loaded(model.labels, model.vocabulary, model.weights))
        return _cached[1]  # type: ignore[no-any-return]
