"""The chat-state stream of one connection (the seed's GetChatStateStream).

On subscribe the client gets, in order: ``subscribed``, the replayed events it missed
(when it resumed), a ``chat_state`` snapshot, then live frames. Events that carry
something to show (a message body, a deletion, a moderation decision, a sending block)
are pushed at once as ``event`` frames. Chat-state changes are coalesced: everything
that changes within ``coalesce_s`` goes out as one ``chat_state_delta`` — a burst of 100
events must not cost 100 reads and 100 frames. A new message changes its sides by the
seed's SendMessage rules without a read; other changes are read back with one
``get_conversations`` for all the conversations they touched. Changes that arrive while
a read is in flight are gathered for the next read, so the latest state always arrives.

Each delta names the version it applies to (the previous snapshot's or delta's version)
and the version it brings the client to: a sequence number up to which the stream had
seen, and accounted for, every event of the user.

An event can reach a stream twice and out of order: once from the process that
committed it and again from the event tail (``event_tail``), which reads back every
event in the log, and another process's event can arrive after a later one of this
process. So delivery is deduplicated by the exact set of sequence numbers pushed
(:class:`Delivered`), not by the highest; and an event above a gap is held until the
missing one arrives (at most ``EventStore.gap_wait_s``, about two tail intervals), so
the client still gets its events in sequence order and may resume from the highest.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from reactivex.abc import DisposableBase

from parley.shared.chat_state import (
    after_message_received,
    after_message_sent,
    make_delta,
    total_unread,
)
from parley.shared.events import (
    ConversationChanged,
    MessageReceived,
    MessageSent,
    UserEvent,
    conversation_of,
)
from parley.shared.models import ChatState, ConversationSummary
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

# Sequence numbers held above a gap before the gap is given up for lost; an event of
# the gap that still arrives after that is dropped (the next read or resync covers it).
MAX_HELD_ABOVE_GAP = 256


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


class Delivered:
    """The sequence numbers a stream has pushed: all up to ``floor``, and some above it.

    Kept exact rather than as a maximum because a lower number may follow a higher one
    (an event from another process, read by the tail, after this process's own later
    event) and must still go out, while its second arrival must not.
    """

    __slots__ = ("_above", "floor")

    def __init__(self, floor: int = 0) -> None:
        self.floor = floor
        self._above: set[int] = set()

    def add(self, seq: int) -> bool:
        """Record a sequence number; False when it was pushed (or given up) before."""
        if seq <= self.floor or seq in self._above:
            return False
        above = self._above
        if seq == self.floor + 1:
            self.floor = seq
        else:
            above.add(seq)
            if len(above) <= MAX_HELD_ABOVE_GAP:
                return True
            self.floor = min(above)  # the gap below it is not coming: stop holding
            above.discard(self.floor)
        while above and self.floor + 1 in above:
            self.floor += 1
            above.discard(self.floor)
        return True


class ChatStream:
    """Live events and coalesced chat-state deltas for one subscribed connection.

    The stream keeps the conversation list it last told the client about (``_known``).
    While it has seen every event of the user in order since a state it knows exactly
    (``_exact``), a new message changes that list by the seed's SendMessage rules
    (``parley.shared.chat_state.after_message_*``) without a read; any other change, or
    any doubt (a gap, an unknown side), is read back from the store.
    """

    def __init__(self, *, user_id: int, store: Store, push: Push, coalesce_s: float) -> None:
        self.user_id = user_id
        self._store = store
        self._push = push
        self._coalesce_s = coalesce_s
        self._loop = asyncio.get_running_loop()
        self._version = -1  # of the last snapshot or delta sent; -1 before the snapshot
        self._delivered = Delivered()  # event seqs pushed (dedupes replay, live, tail)
        self._in_order = 0  # every event up to here was processed, covered or given up
        self._held: dict[int, UserEvent] = {}  # above a gap, waiting for the missing one
        self._gap_wait_s = 0.0  # how long to hold them (0: the tail is off, nothing comes)
        self._gap_timer: asyncio.TimerHandle | None = None
        self._pending: list[UserEvent] | None = []  # live events held until the snapshot
        # What the client holds, plus changes derived but not yet pushed.
        self._known: dict[str, ConversationSummary] = {}
        self._sending_blocked = False
        self._exact: int | None = None  # _known is exactly the state at this version
        self._contiguous = 0  # every event up to this seq has been seen
        self._ahead: set[int] = set()  # seen out of order, above _contiguous
        self._derived: set[str] = set()  # changed in _known, not yet pushed
        self._follows: str | None = None  # conversation of the message event just derived
        self._dirty: set[str] = set()  # to read from the store
        self._meta_dirty = False  # total unread or sending_blocked to read
        self._timer: asyncio.TimerHandle | None = None
        self._flushing: asyncio.Task[None] | None = None
        self._subscription: DisposableBase | None = None
        self._closed = False

    async def start(
        self, events: EventStore, *, request_id: RequestId, since: int | None, max_replay: int
    ) -> None:
        """Subscribe, replay or skip what was missed, snapshot, then go live.

        The live subscription is taken first and its events held, so nothing committed
        between the replay, the snapshot and going live is lost; duplicates are dropped
        by sequence number.
        """
        self._gap_wait_s = events.gap_wait_s
        self._subscription = events.subscribe(self.user_id, self._on_event)
        replay: list[UserEvent] = []
        resumed = False
        if since is not None:
            page = await self._store.get_events_since(self.user_id, since, limit=max_replay)
            if page.complete:
                resumed = True
                replay = [e for e in page.events if e.seq > since]
            self._delivered = Delivered(since if resumed else 0)
            self._in_order = since if resumed else 0
        frames = [e for e in replay if pushed_as_frame(e)]
        self._push(encode_bytes(Subscribed(id=request_id, resumed=resumed, replayed=len(frames))))
        for user_event in replay:
            self._delivered.add(user_event.seq)
            self._in_order = max(self._in_order, user_event.seq)
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
        self._known = {c.conversation_id: c for c in state.conversations}
        self._sending_blocked = state.sending_blocked
        self._derived.clear()
        self._exact = state.version
        self._see_up_to(state.version)
        self._push(encode_bytes(ChatStateSnapshot(state=state, id=request_id)))
        self._in_order = max(self._in_order, state.version)
        self._release_held()

    def close(self) -> None:
        self._closed = True
        if self._subscription is not None:
            self._subscription.dispose()
        if self._timer is not None:
            self._timer.cancel()
        if self._gap_timer is not None:
            self._gap_timer.cancel()
        if self._flushing is not None:
            self._flushing.cancel()

    # --- live events --------------------------------------------------------------

    def _on_event(self, user_event: UserEvent) -> None:
        if self._pending is not None:
            self._pending.append(user_event)
        else:
            self._deliver(user_event)

    def _deliver(self, user_event: UserEvent) -> None:
        if self._closed or not self._delivered.add(user_event.seq):
            return
        if user_event.seq > self._in_order + 1 and self._gap_wait_s > 0:
            self._held[user_event.seq] = user_event
            if self._gap_timer is None:
                self._gap_timer = self._loop.call_later(self._gap_wait_s, self._give_up_gap)
            return
        self._process(user_event)
        if self._held:
            self._release_held()

    def _release_held(self) -> None:
        """Process held events that no longer sit above a gap, in sequence order."""
        for seq in sorted(self._held):
            if seq > self._in_order + 1 or self._closed:
                break
            self._process(self._held.pop(seq))
        if not self._held and self._gap_timer is not None:
            self._gap_timer.cancel()
            self._gap_timer = None

    def _give_up_gap(self) -> None:
        """The missing event did not come in time (lost, or from a process the tail does
        not see yet): go on without it. It is still pushed if it turns up later."""
        self._gap_timer = None
        if self._closed or not self._held:
            return
        self._in_order = min(self._held) - 1
        self._release_held()
        if self._held:
            self._gap_timer = self._loop.call_later(self._gap_wait_s, self._give_up_gap)

    def _process(self, user_event: UserEvent) -> None:
        self._in_order = max(self._in_order, user_event.seq)
        if pushed_as_frame(user_event):
            self._push(encode_event(user_event))
        self._see(user_event.seq)
        if self._exact is not None and user_event.seq <= self._exact:
            return  # the state the stream holds already includes it
        if not self._derive(user_event):
            self._exact = None
            conversation = conversation_of(user_event.event)
            if conversation is None:
                self._meta_dirty = True
            else:
                self._dirty.add(conversation)
        if self._timer is None and self._flushing is None:
            self._timer = self._loop.call_later(self._coalesce_s, self._start_flush)

    def _derive(self, user_event: UserEvent) -> bool:
        """Apply a new message to the known side without a read, when that is certain."""
        follows, self._follows = self._follows, None
        if self._exact is None or user_event.seq != self._exact + 1 or self._dirty:
            return False
        event = user_event.event
        if isinstance(event, ConversationChanged):
            # Only SendMessage's own ConversationChanged, right after its message event;
            # any other (mark read, pin, a deletion...) is read from the store.
            if event.conversation_id != follows:
                return False
            self._exact = user_event.seq
            return True
        if isinstance(event, MessageSent | MessageReceived):
            message = event.message
            summary = self._known.get(message.conversation_id)
            if summary is None:
                return False
            if isinstance(event, MessageSent):
                changed = after_message_sent(summary, message)
            else:
                changed = after_message_received(summary, message)
            if changed is None:
                return False
            self._known[message.conversation_id] = changed
            self._derived.add(message.conversation_id)
            self._exact = user_event.seq
            self._follows = message.conversation_id
            return True
        return False

    def _see(self, seq: int) -> None:
        """Track the highest sequence number below which nothing was missed."""
        if seq == self._contiguous + 1:
            self._contiguous = seq
            while self._contiguous + 1 in self._ahead:
                self._contiguous += 1
                self._ahead.discard(self._contiguous)
        elif seq > self._contiguous:
            self._ahead.add(seq)
            if len(self._ahead) > 256:  # something was lost for good: stop deriving
                self._ahead.clear()

    def _see_up_to(self, version: int) -> None:
        if version > self._contiguous:
            self._contiguous = version
            self._ahead = {seq for seq in self._ahead if seq > version}
            self._see(version)  # absorb what was seen just above it

    def _start_flush(self) -> None:
        self._timer = None
        if self._closed:
            return
        if self._dirty or self._meta_dirty:
            self._flushing = self._loop.create_task(self._flush(), name="chat-state-delta")
        elif self._derived and self._exact is not None:
            # Only derived changes: nothing to read, so no task either.
            self._send_delta(self._exact, [], self._total_unread(), self._sending_blocked)

    async def _flush(self) -> None:
        changed: list[str] = []
        try:
            while (self._dirty or self._meta_dirty or self._derived) and not self._closed:
                if not (self._dirty or self._meta_dirty):
                    assert self._exact is not None
                    self._send_delta(self._exact, [], self._total_unread(), self._sending_blocked)
                    continue
                changed = sorted(self._dirty)
                self._dirty.clear()
                self._meta_dirty = False
                seen = self._contiguous  # every event up to here is known or being read
                state = await self._store.get_conversations(self.user_id, changed)
                if self._closed or state.version < self._version:
                    continue
                for summary in state.conversations:
                    self._known[summary.conversation_id] = summary
                    self._derived.discard(summary.conversation_id)
                self._sending_blocked = state.sending_blocked
                if not (self._dirty or self._meta_dirty) and self._contiguous >= state.version:
                    self._exact = state.version  # every change up to it is now known
                # Label the delta with the last sequence number up to which every event
                # was seen before this read: the read may count later events whose own
                # changes are still on their way, and a version must mean "includes
                # everything up to here" (so it is also a safe place to resume from).
                self._send_delta(
                    max(self._version, min(state.version, seen)),
                    state.conversations,
                    state.total_unread,
                    state.sending_blocked,
                )
        except asyncio.CancelledError:
            raise
        except Exception:
            # The client keeps its last state; the next event retries these conversations.
            log.exception("chat-state delta for user %d failed", self.user_id)
            self._dirty.update(changed)
            self._meta_dirty = True
        finally:
            self._flushing = None

    def _send_delta(
        self,
        version: int,
        read: list[ConversationSummary],
        total: int,
        sending_blocked: bool,
    ) -> None:
        """Push read and derived changes as one delta from the client's version."""
        conversations = list(read)
        conversations += [self._known[c] for c in self._derived]
        self._derived.clear()
        delta = make_delta(
            self._version, version, conversations, total=total, sending_blocked=sending_blocked
        )
        self._version = version
        self._push(encode_bytes(ChatStateDeltaFrame(delta=delta)))

    def _total_unread(self) -> int:
        return total_unread(self._known.values())
