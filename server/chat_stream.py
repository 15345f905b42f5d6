"""The chat-state stream of one connection (the seed's GetChatStateStream).

On subscribe the client gets, in order: ``subscribed``, the replayed events it missed
(when it resumed), a ``chat_state`` snapshot, then live frames. Events that carry
something to show (a message body, a deletion, a moderation decision, a sending block)
are pushed at once as ``event`` frames. Chat-state changes are coalesced: the
conversations touched by events within ``coalesce_s`` are read with one
``get_conversations`` and pushed as one ``chat_state_delta`` — a burst of 100 events
must not cost 100 reads and 100 frames. Changes that arrive while a read is in flight
are gathered for the next read, so the latest state always arrives.

Each delta names the version it applies to (the previous snapshot's or delta's version)
and the version it brings the client to: the user's sequence number when it was read.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from reactivex.abc import DisposableBase

from parley.shared.chat_state import make_delta
from parley.shared.events import ConversationChanged, UserEvent, conversation_of
from parley.shared.models import ChatState
from parley.shared.protocol import (
    ChatStateDeltaFrame,
    ChatStateSnapshot,
    EventFrame,
    RequestId,
    Subscribed,
    encode_bytes,
)

if TYPE_CHECKING:
    from .event_store import EventStore
    from .store.interface import Store

log = logging.getLogger(__name__)

Push = Callable[[bytes], None]

_last_event: tuple[UserEvent | None, bytes] = (None, b"")


def encode_event(user_event: UserEvent) -> bytes:
    """The event frame of a user event, encoded once for all the user's devices.

    The event store hands one event to each of its user's subscriptions in a row, so a
    one-entry cache keyed by identity makes the second device's encoding free.
    """
    global _last_event
    cached, data = _last_event
    if cached is not user_event:
        data = encode_bytes(EventFrame(seq=user_event.seq, event=user_event.event))
        _last_event = (user_event, data)
    return data


def pushed_as_frame(user_event: UserEvent) -> bool:
    """Whether an event travels as an ``event`` frame; ConversationChanged is what
    chat-state deltas carry, so it is not sent twice."""
    return not isinstance(user_event.event, ConversationChanged)


class ChatStream:
    """Live events and coalesced chat-state deltas for one subscribed connection."""

    def __init__(self, *, user_id: int, store: Store, push: Push, coalesce_s: float) -> None:
        self.user_id = user_id
        self._store = store
        self._push = push
        self._coalesce_s = coalesce_s
        self._loop = asyncio.get_running_loop()
        self._version = -1  # of the last snapshot or delta sent; -1 before the snapshot
        self._last_seq = 0  # highest event seq delivered (dedupes replay and live)
        self._pending: list[UserEvent] | None = []  # live events held until the snapshot
        self._dirty: set[str] = set()
        self._meta_dirty = False  # total unread or sending_blocked may have moved
        self._timer: asyncio.TimerHandle | None = None
        self._flushing: asyncio.Task[None] | None = None
        self._subscription: DisposableBase | None = None
        self._closed = False

    @property
    def version(self) -> int:
        return self._version

    async def start(
        self, events: EventStore, *, request_id: RequestId, since: int | None, max_replay: int
    ) -> None:
        """Subscribe, replay or skip what was missed, snapshot, then go live.

        The live subscription is taken first and its events held, so nothing committed
        between the replay, the snapshot and going live is lost; duplicates are dropped
        by sequence number.
        """
        self._subscription = events.subscribe(self.user_id, self._on_event)
        replay: list[UserEvent] = []
        resumed = False
        if since is not None:
            page = await self._store.get_events_since(self.user_id, since, limit=max_replay)
            if page.complete:
                resumed = True
                replay = [e for e in page.events if e.seq > since]
            self._last_seq = since if resumed else 0
        frames = [e for e in replay if pushed_as_frame(e)]
        self._push(encode_bytes(Subscribed(id=request_id, resumed=resumed, replayed=len(frames))))
        for user_event in replay:
            self._last_seq = max(self._last_seq, user_event.seq)
            if pushed_as_frame(user_event):
                self._push(encode_event(user_event))
        state = await self._store.get_chat_state(self.user_id)
        if self._closed:
            return
        self.send_snapshot(state, request_id=None)
        pending, self._pending = self._pending or [], None
        for user_event in pending:
            self._deliver(user_event)

    def send_snapshot(self, state: ChatState, *, request_id: RequestId | None) -> None:
        """Push a whole state (on subscribe, or answering get_chat_state): deltas follow it."""
        self._version = state.version
        self._push(encode_bytes(ChatStateSnapshot(state=state, id=request_id)))

    def close(self) -> None:
        self._closed = True
        if self._subscription is not None:
            self._subscription.dispose()
        if self._timer is not None:
            self._timer.cancel()
        if self._flushing is not None:
            self._flushing.cancel()

    # --- live events --------------------------------------------------------------

    def _on_event(self, user_event: UserEvent) -> None:
        if self._pending is not None:
            self._pending.append(user_event)
        else:
            self._deliver(user_event)

    def _deliver(self, user_event: UserEvent) -> None:
        if user_event.seq <= self._last_seq or self._closed:
            return
        self._last_seq = user_event.seq
        if pushed_as_frame(user_event):
            self._push(encode_event(user_event))
        conversation = conversation_of(user_event.event)
        if conversation is None:
            self._meta_dirty = True
        else:
            self._dirty.add(conversation)
        if self._timer is None and self._flushing is None:
            self._timer = self._loop.call_later(self._coalesce_s, self._start_flush)

    def _start_flush(self) -> None:
        self._timer = None
        if not self._closed:
            self._flushing = self._loop.create_task(self._flush(), name="chat-state-delta")

    async def _flush(self) -> None:
        changed: list[str] = []
        try:
            while (self._dirty or self._meta_dirty) and not self._closed:
                changed = sorted(self._dirty)
                self._dirty.clear()
                self._meta_dirty = False
                state = await self._store.get_conversations(self.user_id, changed)
                if self._closed or state.version < self._version:
                    continue
                delta = make_delta(
                    self._version,
                    state.version,
                    state.conversations,
                    total=state.total_unread,
                    sending_blocked=state.sending_blocked,
                )
                self._version = state.version
                self._push(encode_bytes(ChatStateDeltaFrame(delta=delta)))
        except asyncio.CancelledError:
            raise
        except Exception:
            # The client keeps its last state; the next event retries these conversations.
            log.exception("chat-state delta for user %d failed", self.user_id)
            self._dirty.update(changed)
            self._meta_dirty = True
        finally:
            self._flushing = None
