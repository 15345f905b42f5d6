"""Token buckets: a burst, then a steady rate, with the wait in the refusal."""

from __future__ import annotations

import pytest

from parley.server.rate_limit import SendLimiter, TokenBucket
from parley.shared.errors import ErrorCode, ParleyError


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_then_refusal_then_refill() -> None:
    clock = Clock()
    bucket = TokenBucket(rate=2.0, burst=3, clock=clock)
    for _ in range(3):
        bucket.take()
    with pytest.raises(ParleyError) as caught:
        bucket.take("messages")
    assert caught.value.code is ErrorCode.RATE_LIMITED
    assert "0.5 s" in caught.value.message
    clock.now += 0.5
    bucket.take()
    clock.now += 100
    for _ in range(3):
        bucket.take()  # refills only up to the burst
    with pytest.raises(ParleyError):
        bucket.take()


def test_each_user_has_an_own_send_bucket() -> None:
    clock = Clock()
    limiter = SendLimiter(per_minute=60, burst=1, clock=clock)
    limiter.take(1)
    limiter.take(2)
    with pytest.raises(ParleyError):
        limiter.take(1)
    clock.now += 1.0
    limiter.take(1)
