"""The moderation worker: the durable queue of unspecified messages, drained in id order.

The queue is the messages table itself (every committed message starts unspecified), so
nothing is lost when the worker is down: it drains the backlog when it starts. Each batch
is decided by the engine (:meth:`Moderator.decide_many`) and applied through the store in
one transaction that skips messages already decided, so a crash between deciding and
applying costs a second decision, never a lost or doubled one; two workers may even run
at once.

In the server (the default) the worker is an asyncio task whose events go straight to
the server's event store. As a separate process (``parley moderation worker``) it has no
connection to the server's subscribers: its events go to the users' durable event logs,
which each server tails (``parley.server.event_tail``), so connected users still get
them live, about one tail interval later.

For scale, several worker processes share the queue: the one started with ``Shard(k, n)``
(``parley moderation worker --shard k/n``, or ``--processes n`` for all of them) takes
only the messages whose normalised text hashes to k (mod n), so they never decide the
same message and never wait for each other's rows. An overlap (a reconfiguration, a
stray unsharded worker) costs duplicate work, not duplicate decisions: applying stays
idempotent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
import zlib
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from parley.server.moderation.bands import Decision, ReviewPriority, Verdict
from parley.server.moderation.decision import Message as Candidate
from parley.server.moderation.decision import Moderator
from parley.server.moderation.model import ModerationModel, Scores
from parley.server.moderation.obfuscation import normalize
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


class ShardError(ValueError):
    """A shard given on the command line or in settings is not ``k/n`` with 0 ≤ k < n."""


@dataclass(frozen=True, slots=True)
class Shard:
    """The slice of the queue one worker takes: the messages whose normalised text
    (:func:`~parley.server.moderation.obfuscation.normalize`) hashes (CRC-32) to
    ``index`` modulo ``count``.

    By text rather than by id: identical texts ("ok", "lol", a spam campaign, also one
    varied only in case, spacing or leetspeak) all land in one shard, so each is scored
    once by one process's caches instead of once per process, and the
    same-text-to-many-receivers heuristic sees the whole campaign. A worker tells its
    rows apart from the rows it reads, without another query or a store change.
    (Per-sender link floods are split across shards: each sees its part.)
    """

    index: int = 0
    count: int = 1

    def __post_init__(self) -> None:
        if self.count < 1 or not 0 <= self.index < self.count:
            raise ShardError(
                f"shard {self.index}/{self.count}: need 0 ≤ k < n (for example 0/2 and 1/2)"
            )

    @classmethod
    def parse(cls, text: str) -> Shard:
        """``"k/n"``, as ``parley moderation worker --shard`` takes it."""
        index, slash, count = text.partition("/")
        try:
            if not slash:
                raise ValueError(text)
            return cls(int(index), int(count))
        except ShardError:
            raise
        except ValueError:
            raise ShardError(f"shard {text!r}: expected k/n, for example 0/2") from None

    def owns(self, message: Message) -> bool:
        if self.count == 1:
            return True
        return zlib.crc32(normalize(message.text).encode()) % self.count == self.index

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


@dataclass(frozen=True, slots=True)
class WorkerSettings:
    batch_size: int = 256
    poll_interval_s: float = 0.05  # idle wait between looks at the queue
    votes_needed: int = 3
    control_rate: float = 0.01  # share of auto-approved messages sampled as control items
    retry_delay_s: float = 1.0  # after the store or the engine failed
    sweep_interval_s: float = 30.0  # rescan from the start for ids committed out of order
    shard: Shard = Shard()
    # Batches being decided at once while an earlier one commits: the next batch's rules
    # and n-gram features (Python) overlap the previous batch's encoder (which is not).
    decide_ahead: int = 2


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

    async def _fetch(self, after_id: int) -> tuple[list[Message], int | None]:
        """This worker's share of the next rows after ``after_id``, and the last id read
        (None when the queue has nothing after it)."""
        shard = self.settings.shard
        rows = await self.store.get_unmoderated_messages(
            after_id=after_id, limit=self.settings.batch_size * shard.count
        )
        if not rows:
            return [], None
        if shard.count > 1:
            return [m for m in rows if shard.owns(m)], rows[-1].id
        return rows, rows[-1].id

    async def _decide(self, batch: list[Message]) -> list[Decision]:
        decider = await self.decider()
        return await decider.decide_many(
            [Candidate(m.text, m.sender_id, m.receiver_id, m.sent_at) for m in batch]
        )

    def _records(self, batch: list[Message], decisions: list[Decision]) -> list[DecisionRecord]:
        """Records in batch order (the control sample draws from ``rng`` in that order)."""
        rate = self.settings.control_rate
        return [
            to_record(m, d, control=rate > 0 and self.rng.random() < rate)
            for m, d in zip(batch, decisions, strict=True)
        ]

    async def _apply(self, records: list[DecisionRecord], last_id: int) -> None:
        if records:
            outcome = await self.store.apply_moderation_decisions(
                records, votes_needed=self.settings.votes_needed
            )
            self.decided += len(outcome.applied)
            if self.publish is not None and outcome.events:
                self.publish(outcome.events)
        self.cursor = max(self.cursor, last_id)

    async def step(self) -> int:
        """Decide and apply one batch after the cursor; how many messages it took."""
        batch, last_id = await self._fetch(self.cursor)
        if last_id is not None:
            records = self._records(batch, await self._decide(batch)) if batch else []
            await self._apply(records, last_id)
        return len(batch)

    async def drain(self) -> int:
        """Run batches until the queue (after the cursor) is empty; the total taken.

        Pipelined: up to ``decide_ahead`` batches are being decided while the previous one
        is committed by the store's writer, so a batch costs about the slowest of its
        stages, not their sum. Decisions start in id order (the spam state sees messages
        in that order); applies stay in order, one at a time; the cursor moves only after
        a commit.
        """
        await self.decider()  # loaded once here, not by each batch decided ahead
        total = 0
        reached = self.cursor
        ahead: deque[tuple[asyncio.Future[list[Decision]] | None, list[Message], int]] = deque()
        applying: asyncio.Future[None] | None = None
        exhausted = False
        try:
            while True:
                while not exhausted and len(ahead) < max(self.settings.decide_ahead, 1):
                    batch, last_id = await self._fetch(reached)
                    if last_id is None:
                        exhausted = True
                        break
                    ahead.append(
                        (
                            asyncio.ensure_future(self._decide(batch)) if batch else None,
                            batch,
                            last_id,
                        )
                    )
                    reached = last_id
                if not ahead:
                    break
                deciding, batch, last_id = ahead.popleft()
                records = [] if deciding is None else self._records(batch, await deciding)
                if applying is not None:
                    await applying
                applying = asyncio.ensure_future(self._apply(records, last_id))
                total += len(batch)
            if applying is not None:
                await applying
        finally:
            # failing or cancelled: let the work in flight settle before giving up; the
            # original error is what propagates (the others are retrieved, not raised)
            pending: list[asyncio.Future[Any]] = [f for f, _, _ in ahead if f is not None]
            if applying is not None:
                pending.append(applying)
            for future in pending:
                if future is not applying:
                    future.cancel()
            if unsettled := [f for f in pending if not f.done()]:
                await asyncio.wait(unsettled)
            for future in pending:
                if not future.cancelled():
                    future.exception()
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
