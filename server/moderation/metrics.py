"""Binary-classification metrics in numpy: ROC-AUC, average precision, per-threshold table.

Kept free of scikit-learn so ``parley moderation evaluate`` and the learning loop can run
on a server without the ``train`` extra. Definitions follow scikit-learn's
(``average_precision_score``: Σ (Rₙ − Rₙ₋₁) Pₙ over distinct thresholds).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

THRESHOLDS: tuple[float, ...] = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


@dataclass(frozen=True, slots=True)
class AtThreshold:
    threshold: float
    precision: float
    recall: float
    f1: float
    accuracy: float
    fpr: float
    predicted_positive: int


@dataclass(frozen=True, slots=True)
class Report:
    name: str
    rows: int
    positives: int
    roc_auc: float
    average_precision: float
    operating: AtThreshold
    table: tuple[AtThreshold, ...]


def _arrays(
    labels: Sequence[int] | npt.NDArray[np.int64], scores: Sequence[float] | npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    y = np.asarray(labels, np.int64)
    s = np.asarray(scores, np.float64)
    if y.shape != s.shape or y.ndim != 1:
        raise ValueError("labels and scores must be 1-D and of equal length")
    return y, s


def average_precision(
    labels: Sequence[int] | npt.NDArray[np.int64], scores: Sequence[float] | npt.NDArray[np.float64]
) -> float:
    y, s = _arrays(labels, scores)
    positives = int(y.sum())
    if positives == 0:
        return float("nan")
    order = np.argsort(-s, kind="mergesort")
    y, s = y[order], s[order]
    distinct = np.r_[np.nonzero(np.diff(s))[0], len(s) - 1]
    tp = np.cumsum(y)[distinct]
    predicted = distinct + 1
    precision = tp / predicted
    recall = tp / positives
    recall_steps = np.diff(np.r_[0.0, recall])
    return float(np.sum(recall_steps * precision))


def roc_auc(
    labels: Sequence[int] | npt.NDArray[np.int64], scores: Sequence[float] | npt.NDArray[np.float64]
) -> float:
    """Mann–Whitney U with average ranks for ties."""
    y, s = _arrays(labels, scores)
    positives = int(y.sum())
    negatives = len(y) - positives
    if positives == 0 or negatives == 0:
        return float("nan")
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s), np.float64)
    sorted_scores = s[order]
    i = 0
    while i < len(s):
        j = i
        while j + 1 < len(s) and sorted_scores[j + 1] == sorted_scores[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2.0 + 1.0
        i = j + 1
    u = ranks[y == 1].sum() - positives * (positives + 1) / 2.0
    return float(u / (positives * negatives))


def at_threshold(
    labels: Sequence[int] | npt.NDArray[np.int64],
    scores: Sequence[float] | npt.NDArray[np.float64],
    threshold: float,
) -> AtThreshold:
    y, s = _arrays(labels, scores)
    predicted = s >= threshold
    tp = int(np.sum(predicted & (y == 1)))
    fp = int(np.sum(predicted & (y == 0)))
    fn = int(np.sum(~predicted & (y == 1)))
    tn = int(np.sum(~predicted & (y == 0)))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return AtThreshold(
        threshold=threshold,
        precision=precision,
        recall=recall,
        f1=f1,
        accuracy=(tp + tn) / len(y) if len(y) else 0.0,
        fpr=fp / (fp + tn) if fp + tn else 0.0,
        predicted_positive=tp + fp,
    )


def report(
    name: str,
    labels: Sequence[int] | npt.NDArray[np.int64],
    scores: Sequence[float] | npt.NDArray[np.float64],
    operating_threshold: float,
    thresholds: Sequence[float] = THRESHOLDS,
) -> Report:
    y, s = _arrays(labels, scores)
    return Report(
        name=name,
        rows=len(y),
        positives=int(y.sum()),
        roc_auc=roc_auc(y, s),
        average_precision=average_precision(y, s),
        operating=at_threshold(y, s, operating_threshold),
        table=tuple(at_threshold(y, s, t) for t in thresholds),
    )


def threshold_for_fpr(
    labels: Sequence[int] | npt.NDArray[np.int64],
    scores: Sequence[float] | npt.NDArray[np.float64],
    max_fpr: float,
) -> float:
    """The lowest threshold (on a 0.01 grid) whose false-positive rate is at most ``max_fpr``."""
    y, s = _arrays(labels, scores)
    for threshold in np.round(np.arange(0.01, 1.0, 0.01), 2):
        if at_threshold(y, s, float(threshold)).fpr <= max_fpr:
            return float(threshold)
    return 0.99
