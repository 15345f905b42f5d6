"""The moderation entry point: ``Moderator.decide`` runs tiers 1–3 and routes by band.

The worker calls :meth:`Moderator.decide` (or :meth:`Moderator.decide_many` to drain a
backlog in batches). Rules run on the event loop because the spam tracker's state is not
thread-safe; the model runs in a worker thread (onnxruntime releases the GIL) so a batch
never blocks other coroutines.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from parley.server.moderation.automations import RuleHit, RuleSet
from parley.server.moderation.bands import (
    Band,
    BandThresholds,
    Decision,
    LlmVerdict,
    route,
)
from parley.server.moderation.llm import LlmModerator
from parley.server.moderation.model import ModerationModel, Scores
from parley.server.moderation.settings import ModerationSettings


@dataclass(frozen=True, slots=True)
class Message:
    """What a decision needs to know about one message."""

    text: str
    sender_id: int
    receiver_id: int
    sent_at: datetime


class Moderator:
    """Tier 1 rules + tier 2 model + optional tier 3 LLM, routed by score bands."""

    def __init__(
        self,
        model: ModerationModel,
        rules: RuleSet,
        settings: ModerationSettings | None = None,
        llm: LlmModerator | None = None,
    ) -> None:
        self.settings = settings or ModerationSettings()
        self.model = model
        self.rules = rules
        self.llm = llm
        flag = self.settings.flag_threshold
        if flag is None:
            flag = model.operating_threshold
        self.thresholds = BandThresholds(
            uncertain=flag * self.settings.uncertain_ratio,
            flag=flag,
            high=max(self.settings.high_threshold, flag),
            remove=self.settings.remove_threshold,
        )

    @classmethod
    def from_settings(cls, settings: ModerationSettings | None = None) -> Moderator:
        """Load the model, the rules and (when configured) the LLM tier."""
        settings = settings or ModerationSettings()
        llm = None
        if settings.llm_base_url or settings.llm_api_key is not None:
            llm = LlmModerator(settings)
        model = ModerationModel(
            settings.model_dir,
            threads=settings.model_threads,
            max_tokens=settings.model_max_tokens,
            cascade=settings.model_cascade,
            cache_size=settings.model_cache_size,
        )
        return cls(model, RuleSet(settings.rules_file), settings, llm)

    async def decide(
        self, text: str, *, sender_id: int, receiver_id: int, sent_at: datetime
    ) -> Decision:
        return (await self.decide_many([Message(text, sender_id, receiver_id, sent_at)]))[0]

    async def decide_many(self, messages: Sequence[Message]) -> list[Decision]:
        """Decisions in input order; spam state sees the messages in that order.

        The model is submitted to a thread first and the rules run on the loop meanwhile:
        the encoder releases the GIL, so on two cores tier 1 costs (almost) no extra time.
        """
        texts = [m.text for m in messages]
        scoring = asyncio.get_running_loop().run_in_executor(None, self.model.score_many, texts)
        try:
            hits = [
                self.rules.check(
                    m.text, sender_id=m.sender_id, receiver_id=m.receiver_id, sent_at=m.sent_at
                )
                for m in messages
            ]
        except BaseException:
            await asyncio.wait([scoring])  # the thread's work settles before the error goes up
            if not scoring.cancelled():
                scoring.exception()
            raise
        scores = await scoring
        if self.llm is None:  # no tier 3: routing is synchronous, skip a coroutine per message
            return [self.decide_scored(s, h) for h, s in zip(hits, scores, strict=True)]
        return list(
            await asyncio.gather(
                *(self._finish(m, h, s) for m, h, s in zip(messages, hits, scores, strict=True))
            )
        )

    def decide_scored(
        self, scores: Scores, hits: list[RuleHit], llm: LlmVerdict | None = None
    ) -> Decision:
        """Routing alone, for callers that already have scores (``parley moderation score``)."""
        return route(
            scores.overall,
            scores.categories,
            hits,
            self.thresholds,
            self.settings.hidden_categories,
            llm,
            self.model.version,
        )

    async def _finish(self, message: Message, hits: list[RuleHit], scores: Scores) -> Decision:
        first = self.decide_scored(scores, hits)
        if self.llm is None or first.band is not Band.UNCERTAIN or first.tier == 1:
            return first
        verdict = await self.llm.classify(message.text)
        if verdict is None:
            return first
        return self.decide_scored(scores, hits, verdict)
