"""Pipeline metrics from what the store recorded: quality against human review, latency.

Pure arithmetic over :class:`~parley.server.store.moderation.StatsInputs`, so the API, the
``parley moderation stats`` command and the tests compute the same figures. Positive
means "not fine": a model verdict other than approve, a human outcome other than approve.
Items the pipeline never decided (a flag on a message decided before the pipeline kept
records) count for the queue, not for the quality figures.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from parley.server.store.moderation import StatsInputs
from parley.shared.moderation import ModerationStats, ReviewSource, VoteChoice

LATENCY_WINDOW = 10_000  # most recent decisions the latency percentiles cover


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """Nearest-rank percentile (no interpolation: every figure is a latency that happened)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def _ratio(numerator: int, denominator: int) -> float | None:
    return None if denominator == 0 else round(numerator / denominator, 4)


def compute(inputs: StatsInputs) -> ModerationStats:
    tp = fp = tn = fn = 0
    control_reviewed = control_missed = 0
    for row in inputs.reviewed:
        human_bad = row.outcome is not VoteChoice.APPROVE
        if row.source is ReviewSource.CONTROL:
            control_reviewed += 1
            control_missed += human_bad
        if row.model_verdict is None:
            continue
        model_bad = row.model_verdict != "approve"
        if model_bad and human_bad:
            tp += 1
        elif model_bad:
            fp += 1
        elif human_bad:
            fn += 1
        else:
            tn += 1
    reviewed = tp + fp + tn + fn
    latencies_ms = [us / 1000.0 for us in inputs.latencies_us]
    p50 = percentile(latencies_ms, 0.50)
    p99 = percentile(latencies_ms, 0.99)
    return ModerationStats(
        reviewed=reviewed,
        accuracy=_ratio(tp + tn, reviewed),
        precision=_ratio(tp, tp + fp),
        recall=_ratio(tp, tp + fn),
        false_positive_rate=_ratio(fp, fp + tn),
        control_reviewed=control_reviewed,
        control_missed=control_missed,
        decisions=len(latencies_ms),
        latency_p50_ms=None if p50 is None else round(p50, 3),
        latency_p99_ms=None if p99 is None else round(p99, 3),
        backlog=inputs.backlog,
        review_open=inputs.review_open,
    )
