"""The percentile every benchmark reports, computed one way so their figures compare."""

from __future__ import annotations

import math


def percentile(samples: list[float], fraction: float, *, empty: float = math.nan) -> float:
    """The sample at ``fraction`` of the sorted samples (no interpolation), ``empty`` if none.

    The rank is ``int(fraction * n)``, capped at the last sample, so p99 of a hundred
    samples is the largest: a benchmark should err on the slow side.
    """
    if not samples:
        return empty
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]
