"""Token buckets against flooding: per user for sends, per connection for frames.

A bucket refills continuously, so a user may send a short burst and then keeps a steady
rate; the refusal (RATE_LIMITED) says how long to wait rather than dropping anything.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from parley.shared.errors import ErrorCode, ParleyError


class TokenBucket:
    """``rate`` tokens per second up to ``burst``; :meth:`take` refuses when empty."""

    __slots__ = ("_clock", "_stamp", "_tokens", "burst", "rate")

    def __init__(
        self, *, rate: float, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._tokens = float(burst)
        self._stamp = clock()

    def take(self, what: str = "requests") -> None:
        """Spend one token or raise RATE_LIMITED with the wait in the sentence."""
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now
        if self._tokens < 1.0:
            wait = (1.0 - self._tokens) / self.rate
            raise ParleyError(
                ErrorCode.RATE_LIMITED, f"Too many {what}; try again in {wait:.1f} s."
            )
        self._tokens -= 1.0

    @property
    def full(self) -> bool:
        now = self._clock()
        return self._tokens + (now - self._stamp) * self.rate >= self.burst


class SendLimiter:
    """One bucket per user, shared by all their devices; full buckets are forgotten.

    Forgetting full buckets keeps memory bounded by the users who sent recently, not by
    everyone who ever sent.
    """

    def __init__(
        self, *, per_minute: int, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._rate = per_minute / 60.0
        self._burst = burst
        self._clock = clock
        self._buckets: dict[int, TokenBucket] = {}

    def take(self, user_id: int) -> None:
        bucket = self._buckets.get(user_id)
        if bucket is None:
            if len(self._buckets) > 10_000:
                self._buckets = {k: b for k, b in self._buckets.items() if not b.full}
            bucket = self._buckets[user_id] = TokenBucket(
                rate=self._rate, burst=self._burst, clock=self._clock
            )
        bucket.take("messages")
