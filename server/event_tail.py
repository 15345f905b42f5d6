"""Events committed by other processes reach this server's subscribers: the event tail.

Every write appends its users' events to the durable log in its own transaction, but
only the process that wrote them publishes them to its event store. A moderation
worker run as its own process, a ``parley user`` command or a second ``parley serve``
on the same database write events this server never hears of. So the server tails the
log: every interval it reads the events after the last log position it saw (one
indexed range query, empty when idle) and publishes them to its event store, where the
chat streams deliver them exactly as they deliver their own.

The tail does not try to tell whose events it reads: the events this process
published itself come round again, and each chat stream drops what it already
delivered by the user's sequence number (``chat_stream.Delivered``). That keeps the
tail a plain reader, with no marker in the procedures that append events, and makes
it correct for whatever happens first, the writer's own publish or the tail's read.
A stream also holds a local event that follows one still on its way through the tail
(``EventStore.gap_wait_s``), so its client gets its events in sequence order.

Positions are the log's row id on SQLite (one writer: they appear in commit order) and
an IDENTITY on SQL Server, handed out before commit: a transaction may commit a
position below one already read. :class:`LogCursor` therefore keeps such holes open
for a grace period before passing them (a rolled-back transaction leaves one for good).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterable, Sequence

from parley.shared.errors import StorageUnavailable
from parley.shared.events import UserEvent

from .store.interface import LoggedEvent, Store

log = logging.getLogger(__name__)

Publish = Callable[[Iterable[UserEvent]], None]

# How long a position that was skipped stays worth waiting for: far longer than any
# transaction of the store's procedures (milliseconds), short enough that the re-reads
# of the positions above it, while it is open, stay cheap.
HOLE_GRACE_S = 10.0
PAGE_SIZE = 1000


class LogCursor:
    """The log positions a tail has handled: all up to ``position``, and some above it.

    A position that is missing while a higher one was read is a hole: the transaction
    that took it may still commit. It holds ``position`` back (so the next read covers
    it) until it turns up or ``grace_s`` has passed.
    """

    def __init__(self, position: int, *, grace_s: float = HOLE_GRACE_S) -> None:
        self.position = position
        self._grace_s = grace_s
        self._top = position  # the highest position handled
        self._above: set[int] = set()  # handled, above ``position``
        self._holes: dict[int, float] = {}  # missing below ``_top``: when first noticed

    @property
    def holes(self) -> int:
        return len(self._holes)

    def take(self, entries: Sequence[LoggedEvent], now: float) -> list[UserEvent]:
        """The events of entries not handled before, in log order, now marked handled."""
        fresh: list[UserEvent] = []
        for entry in entries:
            position = entry.position
            if position <= self.position or position in self._above:
                continue
            self._above.add(position)
            if self._holes:
                self._holes.pop(position, None)
            if position > self._top:
                for missing in range(self._top + 1, position):
                    self._holes[missing] = now
                self._top = position
            fresh.append(entry.event)
        return fresh

    def settle(self, now: float) -> None:
        """Move ``position`` over handled positions and over holes past their grace."""
        while True:
            following = self.position + 1
            if following in self._above:
                self._above.discard(following)
            elif following in self._holes and now - self._holes[following] >= self._grace_s:
                del self._holes[following]
                log.warning("event log position %d never committed; passed over", following)
            else:
                return
            self.position = following


class EventTail:
    """Polls the store's event log and publishes what it finds, until stopped."""

    def __init__(
        self,
        store: Store,
        publish: Publish,
        *,
        interval_s: float,
        page_size: int = PAGE_SIZE,
        grace_s: float = HOLE_GRACE_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._publish = publish
        self._interval_s = interval_s
        self._page_size = page_size
        self._grace_s = grace_s
        self._clock = clock
        self._cursor: LogCursor | None = None
        self._task: asyncio.Task[None] | None = None
        self.polls = 0
        self.published = 0

    @property
    def position(self) -> int:
        """The log position up to which everything was handled (for tests and stats)."""
        return self._cursor.position if self._cursor is not None else 0

    async def start(self) -> None:
        """Begin at the log's current end: a subscriber gets older events in its
        snapshot or its replay, so only what commits from now on is the tail's."""
        head = (await self._store.get_events_after(None, limit=0)).head
        self._cursor = LogCursor(head, grace_s=self._grace_s)
        self._task = asyncio.get_running_loop().create_task(self._run(), name="event-tail")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def poll(self) -> int:
        """Read and publish everything after the cursor, page by page; how many events
        were published. One round at a time: the running tail's, or a caller's while
        the interval is long enough that the tail's own round cannot overlap it."""
        cursor = self._cursor
        assert cursor is not None, "start the tail first"
        self.polls += 1
        published = 0
        after = cursor.position
        while True:
            page = await self._store.get_events_after(after, limit=self._page_size)
            fresh = cursor.take(page.events, self._clock())
            if fresh:
                self._publish(fresh)
                published += len(fresh)
            if len(page.events) < self._page_size:
                break
            after = page.head
        cursor.settle(self._clock())
        self.published += published
        return published

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval_s)  # start() has just read the log's end
            try:
                await self.poll()
            except StorageUnavailable as exc:
                # Nothing is lost: the cursor did not move, the next round reads again.
                log.warning("event tail: the database is unavailable (%s); retrying", exc)
            except Exception:
                log.exception("event tail failed a round; retrying")
