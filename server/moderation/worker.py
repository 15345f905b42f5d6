"""The moderation worker: the durable queue of unspecified messages, drained in id order.

The queue is the messages table itself (every committed message starts unspecified), so
nothing is lost when the worker is down: it drains the backlog when it starts. Each batch
is decided by the engine (:meth:`Moderator.decide_many`) and applied through the store in
one transaction that skips messages already decided, so a crash between deciding and
applying costs a second decision, never a lost or doubled one; two workers may even run
at once.

In the server (the default) the worker is an asyncio task whose events go straight to
the server's event store. As a separate process (``parley moderation worker``) it has no
connection to the server's subscribers: its events are in the users' durable event logs,
and connected users see them when they next resync (a Redis backplane comes later).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from parley.server.moderation.bands import Decision, ReviewPriority, Verdict
from parley.server.moderation.decision import Message as Candidate
from parley.server.moderation.decision import Moderator
from parley.server.moderation.model import ModerationModel, Scores
from parley.server.moderation.review_queue import CONTROL_PRIORITY, model_priority
from parley.server.moderation.settings import ModerationSettings
from parley.server.store.moderation import DecisionRecord, ModerationStore
from parley.shared.errors import StorageUnavailable
from parley.shared.events import UserEvent
from parley.shared.models import Message
from parley.shared.moderation import ReviewSource

if TYPE_CHECKING:
    from parley.server.handlers import Services
    from parley.server.settings import Settings

log = logging.getLogger(__name__)

Publish = Callable[[list[UserEvent]], None]


class Decider(Protocol):
    async def decide_many(self, messages: Sequence[Candidate]) -> list[Decision]: ...


@dataclass(frozen=True, slots=True)
class WorkerSettings:
    batch_size: int = 256
    poll_interval_s: float = 0.05  # idle wait between looks at the queue
    votes_needed: int = 3
    control_rate: float = 0.01  # share of auto-approved messages sampled as control items
    retry_delay_s: float = 1.0  # after the store or the engine failed
    sweep_interval_s: float = 30.0  # rescan from the start for ids committed out of order


class RulesOnlyModel(ModerationModel):
    """Stands in for tier 2 when no trained weights can be loaded: every score is 0.

    The pipeline keeps deciding with tier 1 (and tier 3 when configured) rather than
    stalling the queue; the server logs a warning saying so.
    """

    def __init__(self) -> None:
        self.metadata = {"version": "rules-only", "operating_threshold": 0.5}

    def score_many(self, texts: Sequence[str]) -> list[Scores]:
        return [Scores(overall=0.0, categories={}) for _ in texts]


def load_moderator(settings: ModerationSettings | None = None) -> Moderator:
    """The full engine (the active retrained version, else the shipped model), or tiers 1
    (and 3) alone when no model can be loaded."""
    settings = settings or ModerationSettings()
    if settings.model_dir is None:
        from parley.server.moderation.learning import LearningError, ModelRegistry

        try:
            active = ModelRegistry().active_dir()
        except (OSError, ValueError, LearningError) as exc:
            log.warning("cannot read the model versions (%s); using the shipped model", exc)
            active = None
        if active is not None:  # a version `parley moderation retrain` activated
            settings = settings.model_copy(update={"model_dir": active})
    try:
        return Moderator.from_settings(settings)
    except (OSError, ValueError, KeyError) as exc:
        log.warning("moderation model unavailable (%s); deciding with rules only", exc)
        from parley.server.moderation.automations import RuleSet

        return Moderator(RulesOnlyModel(), RuleSet(settings.rules_file), settings)


def to_record(message: Message, decision: Decision, *, control: bool = False) -> DecisionRecord:
    """The store's record of a decision; ``control`` samples an approval for review."""
    source: ReviewSource | None = None
    priority = 0
    wanted = decision.review_priority
    if wanted is ReviewPriority.NONE and decision.verdict is Verdict.FLAG:
        wanted = ReviewPriority.MIDDLE  # a flag (a rule's too) is confirmed by people
    if wanted is not ReviewPriority.NONE:
        source, priority = ReviewSource.MODEL, model_priority(wanted)
    elif control and decision.verdict is Verdict.APPROVE:
        source, priority = ReviewSource.CONTROL, CONTROL_PRIORITY
    return DecisionRecord(
        message_id=message.id,
        status=decision.status,
        verdict=decision.verdict.value,
        band=decision.band.value,
        overall=decision.overall,
        category=decision.category,
        rule=decision.rule,
        tier=decision.tier,
        reason=decision.reason,
        model_version=decision.model_version,
        review_source=source,
        review_priority=priority,
    )


class ModerationWorker:
    """Takes unspecified messages in id order, decides, applies, publishes."""

    def __init__(
        self,
        store: ModerationStore,
        decider: Decider | None = None,
        *,
        load: Callable[[], Decider] | None = None,
        publish: Publish | None = None,
        settings: WorkerSettings | None = None,
        rng: random.Random | None = None,
    ) -> None:
        """Give a ``decider``, or ``load`` to build one in a thread when the worker starts."""
        if (decider is None) == (load is None):
            raise ValueError("give either a decider or a loader")
        self.store = store
        self._decider = decider
        self._load = load
        self.publish = publish
        self.settings = settings or WorkerSettings()
        self.rng = rng or random.Random()
        self.cursor = 0  # highest message id handled in this run
        self.decided = 0
        self._wake = asyncio.Event()
        self._last_sweep = time.monotonic()
        self._task: asyncio.Task[None] | None = None

    async def decider(self) -> Decider:
        """The engine, loaded in a thread on first use so startup is not held up by it."""
        if self._decider is None:
            assert self._load is not None
            self._decider = await asyncio.to_thread(self._load)
        return self._decider

    def wake(self) -> None:
        """Look at the queue now rather than after the idle poll interval."""
        self._wake.set()

    async def _fetch(self, after_id: int) -> list[Message]:
        return await self.store.get_unmoderated_messages(
            after_id=after_id, limit=self.settings.batch_size
        )

    async def _decide(self, batch: list[Message]) -> list[DecisionRecord]:
        decider = await self.decider()
        decisions = await decider.decide_many(
            [Candidate(m.text, m.sender_id, m.receiver_id, m.sent_at) for m in batch]
        )
        rate = self.settings.control_rate
        return [
            to_record(m, d, control=rate > 0 and self.rng.random() < rate)
            for m, d in zip(batch, decisions, strict=True)
        ]

    async def _apply(self, records: list[DecisionRecord], last_id: int) -> None:
        outcome = await self.store.apply_moderation_decisions(
            records, votes_needed=self.settings.votes_needed
        )
        self.cursor = max(self.cursor, last_id)
        self.decided += len(outcome.applied)
        if self.publish is not None and outcome.events:
            self.publish(outcome.events)

    async def step(self) -> int:
        """Decide and apply one batch after the cursor; how many messages it took."""
        batch = await self._fetch(self.cursor)
        if batch:
            await self._apply(await self._decide(batch), batch[-1].id)
        return len(batch)

    async def drain(self) -> int:
        """Run batches until the queue (after the cursor) is empty; the total taken.

        Pipelined: the next batch is fetched and decided while the previous one is being
        committed by the store's writer, so a batch costs max(decide, apply), not their
        sum. Applies stay in order, one at a time; the cursor moves only after a commit.
        """
        total = 0
        reached = self.cursor
        applying: asyncio.Future[None] | None = None
        try:
            while batch := await self._fetch(reached):
                records = await self._decide(batch)
                if applying is not None:
                    await applying
                applying = asyncio.ensure_future(self._apply(records, batch[-1].id))
                reached = batch[-1].id
                total += len(batch)
            if applying is not None:
                await applying
        finally:
            if applying is not None and not applying.done():
                # failing or cancelled: let the write in flight settle before giving up
                await asyncio.wait([applying])
                if not applying.cancelled():
                    applying.exception()  # retrieved: the original error is what propagates
        return total

    async def run(self) -> None:
        """Drain, then keep watching the queue until cancelled; failures back off, retry."""
        await self.decider()
        while True:
            try:
                if not await self.drain():
                    self._maybe_sweep()
                    self._wake.clear()
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(self.settings.poll_interval_s):
                            await self._wake.wait()
            except asyncio.CancelledError:
                raise
            except StorageUnavailable as exc:
                log.warning("moderation worker: %s; retrying", exc.message)
                await asyncio.sleep(self.settings.retry_delay_s)
            except Exception:
                log.exception("moderation worker failed on a batch after id %d", self.cursor)
                await asyncio.sleep(self.settings.retry_delay_s)

    def _maybe_sweep(self) -> None:
        """Restart from id 0 now and then: a backend whose ids can commit out of order
        (SQL Server identities) could otherwise leave a message behind the cursor."""
        now = time.monotonic()
        if now - self._last_sweep >= self.settings.sweep_interval_s:
            self._last_sweep = now
            self.cursor = 0

    def start(self) -> None:
        """Run in the background on the current loop until :meth:`stop`."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self.run(), name="moderation")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def worker_settings(settings: Settings) -> WorkerSettings:
    return WorkerSettings(
        poll_interval_s=settings.moderation_poll_ms / 1000.0,
        votes_needed=settings.moderation_votes_needed,
        control_rate=settings.moderation_control_rate,
    )


def start_in_server(services: Services) -> ModerationWorker | None:
    """The in-process worker of a server, publishing to its event store; None (with a
    warning) when the server's database does not run the moderation pipeline."""
    store = services.store
    if not isinstance(store, ModerationStore):
        log.warning("this database does not run the moderation pipeline; no worker started")
        return None
    worker = ModerationWorker(
        store,
        load=load_moderator,
        publish=services.events.publish,
        settings=worker_settings(services.settings),
    )
    worker.start()
    return worker
