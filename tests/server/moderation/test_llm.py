"""Tier 3 against a local stand-in speaking OpenAI's wire format: ok, down, slow, erroring,
and the circuit breaker that keeps a failing service from stalling moderation."""

from __future__ import annotations

import asyncio
import socket
import time
from datetime import UTC, datetime

import pytest

from parley.server.moderation.automations import RuleSet
from parley.server.moderation.bands import Band, Verdict
from parley.server.moderation.decision import Moderator
from parley.server.moderation.llm import (
    BreakerState,
    CircuitBreaker,
    LlmModerator,
    parse_chat_answer,
)
from parley.server.moderation.model import ModerationModel
from parley.server.moderation.settings import ModerationSettings

from .conftest import LlmStandIn


def settings_for(base_url: str, **overrides: object) -> ModerationSettings:
    values: dict[str, object] = {
        "llm_base_url": base_url,
        "llm_api_key": "test-key",
        "llm_timeout_seconds": 0.5,
        "llm_max_retries": 1,
        "llm_failure_threshold": 2,
        "llm_cooldown_seconds": 60.0,
        **overrides,
    }
    return ModerationSettings(**values)  # type: ignore[arg-type]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_moderation_endpoint_verdict(llm_standin: LlmStandIn) -> None:
    llm = LlmModerator(settings_for(llm_standin.base_url))
    verdict = await llm.classify("some text")
    await llm.close()
    assert verdict is not None
    assert verdict.flagged
    assert verdict.category == "sexual"
    assert llm_standin.requests[0][0] == "/v1/moderations"
    assert llm_standin.requests[0][1]["input"] == "some text"


async def test_chat_endpoint_verdict(llm_standin: LlmStandIn) -> None:
    llm = LlmModerator(settings_for(llm_standin.base_url, llm_mode="chat", llm_model="local"))
    llm_standin.chat_answer = (
        'Sure: ```json\n{"flagged": true, "category": "hate", "score": 0.8}\n```'
    )
    verdict = await llm.classify("some text")
    await llm.close()
    assert verdict is not None
    assert (verdict.flagged, verdict.category) == (True, "hate")
    path, body = llm_standin.requests[0]
    assert path == "/v1/chat/completions"
    assert body["model"] == "local"
    assert body["messages"][-1] == {"role": "user", "content": "some text"}


def test_chat_answers_that_are_not_json_are_failures() -> None:
    from parley.server.moderation.llm import LlmUnavailable

    with pytest.raises(LlmUnavailable):
        parse_chat_answer("I cannot help with that.")
    assert parse_chat_answer('{"flagged": false, "category": "nonsense"}').category is None


async def test_server_down_gives_none_quickly() -> None:
    llm = LlmModerator(settings_for(f"http://127.0.0.1:{closed_port()}/v1"))
    started = time.monotonic()
    assert await llm.classify("text") is None
    assert time.monotonic() - started < 5
    await llm.close()


async def test_slow_server_is_cut_by_the_timeout(llm_standin: LlmStandIn) -> None:
    llm_standin.mode = "hang"
    llm = LlmModerator(
        settings_for(llm_standin.base_url, llm_timeout_seconds=0.3, llm_max_retries=0)
    )
    started = time.monotonic()
    assert await llm.classify("text") is None
    assert time.monotonic() - started < 3
    await llm.close()


async def test_errors_retry_a_bounded_number_of_times_then_open_the_breaker(
    llm_standin: LlmStandIn,
) -> None:
    llm_standin.mode = "error"
    llm = LlmModerator(
        settings_for(llm_standin.base_url, llm_max_retries=1, llm_failure_threshold=2)
    )
    assert await llm.classify("a") is None
    assert len(llm_standin.requests) == 2  # one try + one retry
    assert await llm.classify("b") is None
    assert llm.breaker.state is BreakerState.OPEN
    asked = len(llm_standin.requests)
    assert await llm.classify("c") is None
    assert len(llm_standin.requests) == asked  # open: the service is not called at all
    await llm.close()


def test_breaker_half_opens_after_cooldown_and_closes_on_success() -> None:
    now = [0.0]
    breaker = CircuitBreaker(threshold=2, cooldown=10.0, clock=lambda: now[0])
    breaker.record_failure()
    assert breaker.state is BreakerState.CLOSED
    breaker.record_failure()
    assert breaker.state is BreakerState.OPEN
    assert not breaker.allow()
    now[0] = 10.0
    assert breaker.state is BreakerState.HALF_OPEN
    assert breaker.allow()
    assert not breaker.allow()
    breaker.record_failure()
    assert breaker.state is BreakerState.OPEN  # trial failed: open again
    now[0] = 25.0
    assert breaker.allow()
    breaker.record_success()
    assert breaker.state is BreakerState.CLOSED
    assert breaker.allow()


def uncertain_everything(base_url: str) -> ModerationSettings:
    # Every score lands in the uncertain band, so each decision asks tier 3.
    return settings_for(
        base_url, flag_threshold=0.999, uncertain_ratio=0.0001, high_threshold=0.9999
    )


SENT = datetime(2026, 1, 1, tzinfo=UTC)


async def test_moderator_uses_llm_for_the_uncertain_band(
    model: ModerationModel, llm_standin: LlmStandIn
) -> None:
    settings = uncertain_everything(llm_standin.base_url)
    moderator = Moderator(model, RuleSet(), settings, LlmModerator(settings))
    decision = await moderator.decide("what a lovely day", sender_id=1, receiver_id=2, sent_at=SENT)
    assert (decision.band, decision.tier, decision.verdict) == (Band.UNCERTAIN, 3, Verdict.FLAG)
    llm_standin.flagged = False
    cleared = await moderator.decide("what a lovely day", sender_id=1, receiver_id=2, sent_at=SENT)
    assert (cleared.tier, cleared.verdict) == (3, Verdict.APPROVE)


async def test_moderator_falls_back_to_tiers_1_2_when_llm_is_down(model: ModerationModel) -> None:
    settings = uncertain_everything(f"http://127.0.0.1:{closed_port()}/v1")
    moderator = Moderator(model, RuleSet(), settings, LlmModerator(settings))
    decisions = await asyncio.wait_for(
        asyncio.gather(
            *(
                moderator.decide(f"message {i}", sender_id=1, receiver_id=2, sent_at=SENT)
                for i in range(5)
            )
        ),
        timeout=10,
    )
    assert all((d.tier, d.verdict) == (2, Verdict.APPROVE) for d in decisions)
    assert moderator.llm is not None
    assert moderator.llm.breaker.state is BreakerState.OPEN
