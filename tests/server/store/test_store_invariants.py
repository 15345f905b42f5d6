"""Invariants that must hold after any sequence of operations (Hypothesis-driven)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parley.server.store.interface import Store
from parley.shared.chat_state import apply_delta, make_delta
from parley.shared.conversations import conversation_id
from parley.shared.errors import ParleyError
from parley.shared.events import conversation_of
from parley.shared.models import ModerationStatus, PreModerationStatus

# An operation: (kind, actor index, other index, a number used as "which message").
operations = st.lists(
    st.tuples(
        st.sampled_from(["send", "send", "send", "read", "read_up_to", "delete_for_me", "hide"]),
        st.integers(0, 2),
        st.integers(0, 2),
        st.integers(0, 50),
    ),
    min_size=1,
    max_size=25,
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(ops=operations, premoderate=st.booleans())
async def test_unread_counts_equal_unread_visible_messages(
    store: Store, make_user, send, ops, premoderate: bool
) -> None:
    users = [await make_user("u"), await make_user("v"), await make_user("w")]
    sent_ids: list[int] = []
    for kind, actor_index, other_index, pick in ops:
        actor, other = users[actor_index], users[other_index]
        if actor.id == other.id:
            continue
        conversation = conversation_id(actor.id, other.id)
        try:
            if kind == "send":
                outcome = await send(actor, other, premoderate_first=premoderate)
                sent_ids.append(outcome.result.message.id)
            elif kind == "read":
                await store.mark_conversation_read(
                    user_id=actor.id, conversation_id=conversation, up_to_message_id=None
                )
            elif kind == "read_up_to" and sent_ids:
                await store.mark_conversation_read(
                    user_id=actor.id,
                    conversation_id=conversation,
                    up_to_message_id=sent_ids[pick % len(sent_ids)],
                )
            elif kind == "delete_for_me" and sent_ids:
                await store.delete_message(
                    user_id=actor.id, message_id=sent_ids[pick % len(sent_ids)], for_everyone=False
                )
            elif kind == "hide" and sent_ids:
                await store.set_moderation_status(
                    message_id=sent_ids[pick % len(sent_ids)],
                    status=ModerationStatus.HIDDEN if pick % 2 else ModerationStatus.APPROVED,
                    reason="",
                )
        except ParleyError:
            pass  # refusals (not a participant, no side yet) are part of the game

    for user in users:
        state = await store.get_chat_state(user.id)
        log = await store.get_events_since(user.id, 0, limit=10_000)
        assert log.complete
        assert state.version == log.last_seq
        assert [e.seq for e in log.events] == list(range(1, log.last_seq + 1))
        assert state.total_unread == sum(
            c.unread_count for c in state.conversations if not c.hidden
        )
        for summary in state.conversations:
            page = await store.get_history_page(
                user_id=user.id,
                conversation_id=summary.conversation_id,
                before_message_id=None,
                limit=1000,
            )
            unread_visible = [m for m in page.messages if m.receiver_id == user.id and m.unread]
            assert summary.unread_count == len(unread_visible)
            if page.messages:
                assert summary.last_message is not None
                assert summary.last_message.id == page.messages[0].id
            else:
                assert summary.last_message is None


actions = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "send",
                "send",
                "send_premoderated",
                "read",
                "read_up_to",
                "delete_for_me",
                "delete_for_everyone",
                "pin",
                "archive",
                "hide",
                "block",
                "sending_block",
                "moderate",
                "premoderate",
            ]
        ),
        st.integers(0, 2),
        st.integers(0, 2),
        st.integers(0, 60),
    ),
    min_size=1,
    max_size=30,
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(script=actions)
async def test_events_and_slices_rebuild_the_chat_state(
    store: Store, make_user, send, script
) -> None:
    """Zulip's verify_action for the store: a client that starts from a snapshot and,
    after each write, re-reads the conversations its events name ends with exactly the
    state a fresh snapshot shows. A write that changes a side without an event fails it.
    """
    users = [await make_user("u"), await make_user("v"), await make_user("w")]
    followed = {u.id: await store.get_chat_state(u.id) for u in users}
    sent_ids: list[int] = []
    for kind, actor_index, other_index, pick in script:
        actor, other = users[actor_index], users[other_index]
        conversation = conversation_id(actor.id, other.id) if actor.id != other.id else "0-0"
        message_id = sent_ids[pick % len(sent_ids)] if sent_ids else 0
        flag = bool(pick % 2)
        try:
            if kind in ("send", "send_premoderated"):
                outcome = await send(actor, other, premoderate_first=kind == "send_premoderated")
                sent_ids.append(outcome.result.message.id)
                events = outcome.events
            elif kind == "read":
                events = (
                    await store.mark_conversation_read(
                        user_id=actor.id, conversation_id=conversation, up_to_message_id=None
                    )
                ).events
            elif kind == "read_up_to":
                events = (
                    await store.mark_conversation_read(
                        user_id=actor.id, conversation_id=conversation, up_to_message_id=message_id
                    )
                ).events
            elif kind in ("delete_for_me", "delete_for_everyone"):
                events = (
                    await store.delete_message(
                        user_id=actor.id,
                        message_id=message_id,
                        for_everyone=kind == "delete_for_everyone",
                    )
                ).events
            elif kind == "pin":
                events = (
                    await store.set_conversation_pinned(
                        user_id=actor.id, conversation_id=conversation, pinned=flag
                    )
                ).events
            elif kind == "archive":
                events = (
                    await store.set_conversation_archived(
                        user_id=actor.id, conversation_id=conversation, archived=flag
                    )
                ).events
            elif kind == "hide":
                events = (
                    await store.set_conversation_hidden(
                        user_id=actor.id, conversation_id=conversation, hidden=flag
                    )
                ).events
            elif kind == "block":
                events = (
                    await store.set_user_blocked(
                        user_id=actor.id, blocked_user_id=other.id, blocked=flag
                    )
                ).events
            elif kind == "sending_block":
                events = (
                    await store.set_sending_blocked(user_id=actor.id, blocked=flag, reason="test")
                ).events
            elif kind == "moderate":
                events = (
                    await store.set_moderation_status(
                        message_id=message_id, status=ModerationStatus(pick % 6), reason=""
                    )
                ).events
            else:
                events = (
                    await store.set_premoderation_status(
                        message_id=message_id, status=PreModerationStatus(pick % 4), reason=""
                    )
                ).events
        except ParleyError:
            continue
        touched: dict[int, set[str]] = {}
        for user_event in events:
            names = touched.setdefault(user_event.user_id, set())
            conversation_touched = conversation_of(user_event.event)
            if conversation_touched is not None:
                names.add(conversation_touched)
        for user_id, names in touched.items():
            piece = await store.get_conversations(user_id, sorted(names))
            followed[user_id] = apply_delta(
                followed[user_id],
                make_delta(
                    followed[user_id].version,
                    piece.version,
                    piece.conversations,
                    total=piece.total_unread,
                    sending_blocked=piece.sending_blocked,
                ),
            )

    for user in users:
        assert followed[user.id] == await store.get_chat_state(user.id)
