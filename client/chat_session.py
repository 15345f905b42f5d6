"""A signed-in user's chat: the connection, the outbox and the models the windows show.

Everything the widgets do goes through here, and everything the server pushes lands
here first: snapshots and deltas go to the conversation list model, message events to
the open conversations' message models, moderation decisions become plain sentences.
Widgets never see a frame, and this class never touches a widget, so the tests can
drive it directly as well as through the windows.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Coroutine
from typing import Any

from parley.shared import protocol
from parley.shared.conversations import conversation_id as make_conversation_id
from parley.shared.conversations import validate_message_text
from parley.shared.errors import ErrorCode, ParleyError
from parley.shared.events import (
    Event,
    MessageDeleted,
    MessageModerationStatusChanged,
    MessageReceived,
    MessageSent,
    SendingBlockedForUser,
)
from parley.shared.models import (
    ChatState,
    ChatStateDelta,
    Message,
    User,
)

from .connection import Connection, ConnectionLost, expect
from .conversations.model import ConversationListModel
from .messages.model import MessageListModel
from .moderation_notices import notice_for_sender
from .outbox import Outbox, OutboxEntry
from .qt import QtCore, Signal

log = logging.getLogger(__name__)

HISTORY_PAGE = 50


class ChatSession(QtCore.QObject):
    """See the module docstring. ``me`` is the signed-in user."""

    notice = Signal(str)  # a sentence for the status line (errors, moderation)
    message_received = Signal(object)  # Message from someone else, for notifications
    message_failed = Signal(str, str)  # client_message_id, sentence
    moderation_notice = Signal(object, str)  # Message, sentence: one of ours was moderated

    def __init__(
        self,
        connection: Connection,
        outbox: Outbox,
        me: User,
        parent: QtCore.QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.connection = connection
        self.outbox = outbox
        self.me = me
        self.conversations = ConversationListModel(self)
        self._messages: dict[str, MessageListModel] = {}
        self._peers: dict[str, User] = {}
        self._loading: set[str] = set()
        self._flushing: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._own: set[int] = set()  # ids of messages we sent this session
        connection.chat_state_received.connect(self._on_chat_state)
        connection.chat_state_delta_received.connect(self._on_delta)
        connection.event_received.connect(self._on_event)
        connection.subscribed.connect(self._on_subscribed)
        if connection.is_connected:
            # The snapshot that followed subscribe may have gone by before these
            # connections existed; ask for the current one rather than guess. And
            # what the outbox kept from the last run goes out now.
            self.spawn(self._resync())
            self.flush_outbox()

    # --- messages of a conversation ---------------------------------------------------

    def conversation_with(self, other: User) -> str:
        conversation = make_conversation_id(self.me.id, other.id)
        self._peers[conversation] = other
        return conversation

    def peer(self, conversation_id: str) -> User | None:
        summary = self.conversations.summary(conversation_id)
        if summary is not None:
            return summary.other_user
        return self._peers.get(conversation_id)

    def messages(self, conversation_id: str) -> MessageListModel:
        """The model of a conversation, loading its newest page the first time."""
        model = self._messages.get(conversation_id)
        if model is None:
            model = MessageListModel(conversation_id, self.me.id, self)
            for entry in self.outbox.entries(conversation_id):
                model.add_pending(entry)
            model.older_needed.connect(lambda: self.load_older(conversation_id))
            self._messages[conversation_id] = model
            self.load_older(conversation_id)
        return model

    def load_older(self, conversation_id: str) -> None:
        """Fetch the page before the oldest loaded message (once at a time)."""
        model = self._messages.get(conversation_id)
        if model is None or conversation_id in self._loading or not model.has_more:
            return
        if not self.connection.is_connected:
            return  # the subscribe after reconnecting loads it
        self._loading.add(conversation_id)
        self.spawn(self._load_page(model))

    async def _load_page(self, model: MessageListModel) -> None:
        try:
            reply = expect(
                await self.connection.request(
                    protocol.History,
                    conversation_id=model.conversation_id,
                    before=model.oldest_id,
                    limit=HISTORY_PAGE,
                ),
                protocol.HistoryPage,
            )
            model.add_history_page(reply.messages, has_more=reply.has_more)
        finally:
            self._loading.discard(model.conversation_id)

    # --- sending ------------------------------------------------------------------------

    def send_text(self, conversation_id: str, text: str) -> OutboxEntry:
        """Queue a message: it shows at once as sending and survives a restart."""
        limit = self.connection.limits.max_text_length if self.connection.limits else 1024
        validate_message_text(text, max_length=limit)
        peer = self.peer(conversation_id)
        if peer is None:
            raise ParleyError(ErrorCode.NOT_FOUND, "Pick a conversation first.")
        entry = self.outbox.add(conversation_id=conversation_id, to=peer.id, text=text)
        self.messages(conversation_id).add_pending(entry)
        self.flush_outbox()
        return entry

    def retry(self, client_message_id: str) -> None:
        entry = self.outbox.retry(client_message_id)
        if entry is not None:
            self._pending_changed(entry)
            self.flush_outbox()

    def discard(self, client_message_id: str) -> None:
        entry = self.outbox.acknowledge(client_message_id)
        if entry is not None and entry.conversation_id in self._messages:
            self._messages[entry.conversation_id].remove_pending(client_message_id)

    def flush_outbox(self) -> None:
        """Send what waits, in order, one at a time (so order survives a reconnect)."""
        if self._flushing is None or self._flushing.done():
            self._flushing = self.spawn(self._flush())

    async def _flush(self) -> None:
        while self.connection.is_connected:
            pending = self.outbox.pending()
            if not pending:
                return
            if not await self._deliver(pending[0]):
                return

    async def _deliver(self, entry: OutboxEntry) -> bool:
        """One send attempt; False when the connection is gone (the entry stays)."""
        try:
            reply = expect(
                await self.connection.request(
                    protocol.Send,
                    client_message_id=entry.client_message_id,
                    to=entry.to,
                    text=entry.text,
                ),
                protocol.Sent,
            )
        except (ConnectionLost, TimeoutError):
            return False
        except ParleyError as exc:
            self.outbox.mark_failed(entry.client_message_id, exc.code.value, exc.message)
            self._pending_changed(entry)
            self.message_failed.emit(entry.client_message_id, exc.message)
            return True
        self.outbox.acknowledge(entry.client_message_id)
        self._own.add(reply.message.id)
        self.messages(entry.conversation_id).add_messages([reply.message], follow=True)
        return True

    def _pending_changed(self, entry: OutboxEntry) -> None:
        model = self._messages.get(entry.conversation_id)
        if model is not None:
            model.pending_changed(entry.client_message_id)

    # --- conversation operations (context menu, shortcuts) -----------------------------

    async def set_pinned(self, conversation_id: str, pinned: bool) -> None:
        await self._ok(protocol.SetPinned, conversation_id=conversation_id, pinned=pinned)

    async def set_archived(self, conversation_id: str, archived: bool) -> None:
        await self._ok(protocol.SetArchived, conversation_id=conversation_id, archived=archived)

    async def mark_read(self, conversation_id: str) -> None:
        await self._ok(protocol.MarkRead, conversation_id=conversation_id)

    async def block_user(self, user_id: int, blocked: bool = True) -> None:
        await self._ok(protocol.BlockUser, user_id=user_id, blocked=blocked)

    async def delete_message(self, message_id: int, *, for_everyone: bool) -> None:
        await self._ok(protocol.DeleteMessage, message_id=message_id, for_everyone=for_everyone)

    async def flag_message(self, message_id: int, reason: str) -> None:
        await self._ok(protocol.FlagMessage, message_id=message_id, reason=reason)
        self.notice.emit("Thank you: the message was reported to the moderators.")

    async def find_users(self, query: str) -> list[User]:
        reply = expect(
            await self.connection.request(protocol.FindUsers, query=query, limit=20),
            protocol.Users,
        )
        return reply.users

    async def _ok(self, frame_type: Any, **fields: Any) -> None:
        expect(await self.connection.request(frame_type, **fields), protocol.Ok)

    def spawn(self, coroutine: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Run a coroutine for the UI: refusals become notices, bugs are reported.

        A refusal (ParleyError) or being offline is something the user can act on, so it
        is said in the status line; anything else is a bug and goes to sys.excepthook,
        never swallowed (qasync's asyncSlot does the same).
        """
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is None:
            return
        if isinstance(exc, ParleyError):
            self.notice.emit(exc.message)
        elif isinstance(exc, ConnectionLost | TimeoutError):
            self.notice.emit("You are offline; try again once Parley has reconnected.")
        else:
            sys.excepthook(type(exc), exc, exc.__traceback__)

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    # --- the stream ---------------------------------------------------------------------

    def _on_chat_state(self, state: ChatState) -> None:
        self.conversations.apply_snapshot(state)

    def _on_delta(self, delta: ChatStateDelta) -> None:
        if not self.conversations.apply_delta(delta):
            log.info("Delta %d->%d does not chain; resyncing", delta.base_version, delta.version)
            self.spawn(self._resync())

    async def _resync(self) -> None:
        await self.connection.request(protocol.GetChatState)

    def _on_subscribed(self, resumed: bool) -> None:
        if not resumed:
            # Events were not replayed: open conversations may have gaps; reload them.
            for conversation_id, model in self._messages.items():
                model.reset_history()
                self.load_older(conversation_id)
        else:
            for conversation_id, model in self._messages.items():
                if not model.loaded:
                    self.load_older(conversation_id)
        self.flush_outbox()

    def _on_event(self, seq: int, event: Event) -> None:
        if isinstance(event, MessageSent | MessageReceived):
            self._on_message(event.message)
        elif isinstance(event, MessageDeleted):
            model = self._messages.get(event.conversation_id)
            if model is not None:
                model.apply_deleted(event.message_id, for_everyone=event.for_everyone)
        elif isinstance(event, MessageModerationStatusChanged):
            self._on_moderation(event)
        elif isinstance(event, SendingBlockedForUser):
            if event.blocked:
                reason = f" Reason: {event.reason}" if event.reason else ""
                self.notice.emit(f"A moderator stopped you from sending messages.{reason}")
            else:
                self.notice.emit("You can send messages again.")

    def _on_message(self, message: Message) -> None:
        if message.sender_id == self.me.id:
            self._own.add(message.id)
        model = self._messages.get(message.conversation_id)
        if model is not None:
            if message.client_message_id and message.sender_id == self.me.id:
                self.outbox.acknowledge(message.client_message_id)
            model.add_messages([message], follow=True)
        if message.sender_id != self.me.id:
            self.message_received.emit(message)

    def _on_moderation(self, event: MessageModerationStatusChanged) -> None:
        model = self._messages.get(event.conversation_id)
        message = before = None
        if model is not None:
            before = model.message(event.message_id)
            message = model.apply_moderation(
                event.message_id, event.moderation_status, event.premoderation_status
            )
        mine = message.sender_id == self.me.id if message else event.message_id in self._own
        if not mine:
            return  # the other user's message: its bubble shows the decision
        if before is not None and notice_for_sender(
            before.moderation_status, before.premoderation_status
        ) == notice_for_sender(event.moderation_status, event.premoderation_status):
            return  # nothing the sender has not been told already
        sentence = notice_for_sender(
            event.moderation_status, event.premoderation_status, event.reason
        )
        if sentence:
            if message is not None:
                self.moderation_notice.emit(message, sentence)
            self.notice.emit(sentence)
