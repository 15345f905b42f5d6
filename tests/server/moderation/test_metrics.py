"""The numpy metrics agree with their textbook definitions (and scikit-learn's)."""

from __future__ import annotations

import numpy as np
import pytest

from parley.server.moderation import metrics


def test_perfect_and_inverted_rankings() -> None:
    y = [0, 0, 1, 1]
    assert metrics.roc_auc(y, [0.1, 0.2, 0.8, 0.9]) == 1.0
    assert metrics.roc_auc(y, [0.9, 0.8, 0.2, 0.1]) == 0.0
    assert metrics.average_precision(y, [0.1, 0.2, 0.8, 0.9]) == 1.0


def test_worked_example() -> None:
    # Ranked: 1 (0.9), 0 (0.8), 1 (0.7), 0 (0.1) -> AP = 0.5 * 1 + 0.5 * 2/3
    y, s = [1, 0, 1, 0], [0.9, 0.8, 0.7, 0.1]
    assert metrics.average_precision(y, s) == pytest.approx(0.5 + 1 / 3)
    assert metrics.roc_auc(y, s) == pytest.approx(0.75)
    row = metrics.at_threshold(y, s, 0.75)
    assert (row.precision, row.recall, row.fpr, row.accuracy) == (0.5, 0.5, 0.5, 0.5)


def test_agrees_with_scikit_learn_on_ties() -> None:
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(7)
    y = rng.integers(0, 2, 400)
    s = np.round(rng.random(400) * 0.7 + 0.3 * y, 1)  # many ties
    assert metrics.average_precision(y, s) == pytest.approx(
        sklearn_metrics.average_precision_score(y, s)
    )
    assert metrics.roc_auc(y, s) == pytest.approx(sklearn_metrics.roc_auc_score(y, s))


def test_threshold_for_fpr_keeps_false_positives_under_the_target() -> None:
    y = np.array([0] * 100 + [1] * 20)
    s = np.r_[np.linspace(0, 0.6, 100), np.linspace(0.5, 1.0, 20)]
    t = metrics.threshold_for_fpr(y, s, 0.05)
    assert metrics.at_threshold(y, s, t).fpr <= 0.05
    assert metrics.at_threshold(y, s, t - 0.01).fpr > 0.05
