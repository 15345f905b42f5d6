"""Tier 3 (optional): an OpenAI-compatible service asked about the uncertain band only.

Two wire formats: OpenAI's moderation endpoint (``/v1/moderations``) or any chat endpoint
(``/v1/chat/completions``) asked for a JSON answer. Every call is bounded (a timeout per
attempt, a few retries) and a circuit breaker stops calling a failing service for a
cool-down, so a slow or dead LLM never stalls moderation: the caller gets ``None`` and
falls back to tiers 1–2.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from enum import StrEnum
from typing import Any

import openai

from parley.server.moderation.bands import LlmVerdict
from parley.server.moderation.categories import CATEGORIES
from parley.server.moderation.settings import ModerationSettings

log = logging.getLogger(__name__)

# OpenAI moderation categories → Parley's.
_OPENAI_CATEGORIES = {
    "harassment": "harassment",
    "harassment/threatening": "threat",
    "hate": "hate",
    "hate/threatening": "threat",
    "illicit": "violence",
    "illicit/violent": "violence",
    "self-harm": "self_harm",
    "self-harm/intent": "self_harm",
    "self-harm/instructions": "self_harm",
    "sexual": "sexual",
    "sexual/minors": "sexual",
    "violence": "violence",
    "violence/graphic": "violence",
}

CHAT_PROMPT = (
    "You are a content moderator for a chat service. Classify the user's message. Answer "
    'with JSON only: {"flagged": true|false, "category": one of '
    + ", ".join(f'"{c}"' for c in CATEGORIES)
    + ' or null, "score": a number from 0 to 1 for how harmful it is}.'
)


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    """Opens after ``threshold`` consecutive failures; lets one trial call through after
    ``cooldown`` seconds (half-open); closes again on a success."""

    def __init__(
        self, threshold: int, cooldown: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.threshold = threshold
        self.cooldown = cooldown
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_running = False

    @property
    def state(self) -> BreakerState:
        if self._opened_at is None:
            return BreakerState.CLOSED
        if self._clock() - self._opened_at >= self.cooldown:
            return BreakerState.HALF_OPEN
        return BreakerState.OPEN

    def allow(self) -> bool:
        state = self.state
        if state is BreakerState.CLOSED:
            return True
        if state is BreakerState.HALF_OPEN and not self._trial_running:
            self._trial_running = True
            return True
        return False

    def record_success(self) -> None:
        self._failures = 0
        self._opened_at = None
        self._trial_running = False

    def record_failure(self) -> None:
        self._failures += 1
        self._trial_running = False
        if self._opened_at is not None or self._failures >= self.threshold:
            self._opened_at = self._clock()


class LlmUnavailable(Exception):
    """One attempt failed: transport error, timeout, HTTP error or an unusable answer."""


def parse_moderation(response: Any) -> LlmVerdict:
    result = response.results[0]
    scores: dict[str, float] = {}
    raw = result.category_scores
    items = (
        raw.model_dump(by_alias=True).items() if hasattr(raw, "model_dump") else dict(raw).items()
    )
    for name, value in items:
        ours = _OPENAI_CATEGORIES.get(str(name))
        if ours is not None and value is not None:
            scores[ours] = max(scores.get(ours, 0.0), float(value))
    category = max(scores, key=lambda c: scores[c]) if scores else None
    return LlmVerdict(bool(result.flagged), category, max(scores.values(), default=0.0))


def parse_chat_answer(content: str | None) -> LlmVerdict:
    """The JSON object in a chat answer (tolerating prose or code fences around it)."""
    if not content:
        raise LlmUnavailable("empty chat answer")
    start, end = content.find("{"), content.rfind("}")
    if start < 0 or end < start:
        raise LlmUnavailable("no JSON object in the chat answer")
    try:
        answer = json.loads(content[start : end + 1])
        flagged = bool(answer["flagged"])
        category = answer.get("category")
        score = float(answer.get("score", 1.0 if flagged else 0.0))
    except (ValueError, KeyError, TypeError) as exc:
        raise LlmUnavailable(f"malformed chat answer: {exc}") from exc
    if category not in CATEGORIES:
        category = None
    return LlmVerdict(flagged, category, min(max(score, 0.0), 1.0))


class LlmModerator:
    """Asks the configured service; returns ``None`` whenever tiers 1–2 must decide alone."""

    def __init__(
        self,
        settings: ModerationSettings,
        *,
        client: openai.AsyncOpenAI | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if client is None and not settings.llm_base_url and settings.llm_api_key is None:
            raise ValueError("tier 3 needs llm_base_url or llm_api_key")
        self.settings = settings
        key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else "unused"
        # The SDK's own retries are off: attempts are counted here so the breaker sees them.
        self.client = client or openai.AsyncOpenAI(
            base_url=settings.llm_base_url,
            api_key=key,
            timeout=settings.llm_timeout_seconds,
            max_retries=0,
        )
        self.breaker = CircuitBreaker(
            settings.llm_failure_threshold, settings.llm_cooldown_seconds, clock
        )

    async def classify(self, text: str) -> LlmVerdict | None:
        if not self.breaker.allow():
            return None
        for attempt in range(self.settings.llm_max_retries + 1):
            try:
                async with asyncio.timeout(self.settings.llm_timeout_seconds):
                    verdict = await self._ask(text)
            except (TimeoutError, openai.OpenAIError, LlmUnavailable) as exc:
                log.warning("LLM moderation attempt %d failed: %s", attempt + 1, type(exc).__name__)
                continue
            self.breaker.record_success()
            return verdict
        self.breaker.record_failure()
        return None

    async def _ask(self, text: str) -> LlmVerdict:
        if self.settings.llm_mode == "moderation":
            response = await self.client.moderations.create(
                model=self.settings.llm_model, input=text
            )
            if not response.results:
                raise LlmUnavailable("moderation answer without results")
            return parse_moderation(response)
        completion = await self.client.chat.completions.create(
            model=self.settings.llm_model,
            temperature=0,
            messages=[
                {"role": "system", "content": CHAT_PROMPT},
                {"role": "user", "content": text},
            ],
        )
        if not completion.choices:
            raise LlmUnavailable("chat answer without choices")
        return parse_chat_answer(completion.choices[0].message.content)

    async def close(self) -> None:
        await self.client.close()
