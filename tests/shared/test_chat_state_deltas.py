"""Chat-state rules and Zulip's verify_action: snapshot + deltas == fresh snapshot."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from parley.shared.chat_state import (
    DeltaGap,
    after_message_received,
    after_message_sent,
    apply_delta,
    build_state,
    make_delta,
    ordered,
    preview_of,
)
from parley.shared.conversations import PREVIEW_LENGTH
from parley.shared.models import (
    ConversationSummary,
    Message,
    MessagePreview,
    ModerationStatus,
    PreModerationStatus,
    User,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def summary(
    n: int, *, minutes: int = 0, pinned: bool = False, unread: int = 0, hidden: bool = False
) -> ConversationSummary:
    return ConversationSummary(
        conversation_id=f"1-{n + 1}",
        other_user=User(id=n + 1, username=f"u{n + 1}", display_name=f"U{n + 1}"),
        last_message=MessagePreview(
            id=minutes + 1, sender_id=1, text="hi", sent_at=T0 + timedelta(minutes=minutes)
        ),
        unread_count=unread,
        pinned=pinned,
        hidden=hidden,
        created_at=T0,
    )


def test_pinned_first_then_latest_message_first() -> None:
    old_pinned = summary(1, minutes=1, pinned=True)
    new = summary(2, minutes=9)
    older = summary(3, minutes=5)
    assert ordered([older, new, old_pinned]) == [old_pinned, new, older]


def test_a_conversation_without_messages_sorts_by_creation() -> None:
    empty = msgspec.structs.replace(
        summary(1), last_message=None, created_at=T0 + timedelta(hours=1)
    )
    assert ordered([summary(2, minutes=1), empty])[0] is empty


def test_total_unread_leaves_out_hidden_conversations() -> None:
    state = build_state(1, [summary(1, unread=2), summary(2, unread=5, hidden=True)])
    assert state.total_unread == 2


def test_a_delta_off_the_current_version_is_a_gap() -> None:
    state = build_state(4, [summary(1)])
    with pytest.raises(DeltaGap):
        apply_delta(state, make_delta(3, 5, [], total=0))


def test_delta_replaces_changed_conversations_and_reorders() -> None:
    state = build_state(1, [summary(1, minutes=1), summary(2, minutes=2)])
    bumped = summary(1, minutes=3, unread=1)
    after = apply_delta(state, make_delta(1, 2, [bumped], total=1))
    assert [c.conversation_id for c in after.conversations] == ["1-2", "1-3"]
    assert after.version == 2
    assert after.total_unread == 1


# --- verify_action over random operations ----------------------------------------------

operations = st.lists(
    st.tuples(
        st.sampled_from(["message", "read", "pin", "unpin", "hide", "archive"]),
        st.integers(min_value=0, max_value=5),
    ),
    max_size=40,
)


@given(operations, st.integers(min_value=1, max_value=5))
def test_snapshot_plus_coalesced_deltas_equals_a_fresh_snapshot(
    ops: list[tuple[str, int]], burst: int
) -> None:
    """A model server: each op bumps the version; every ``burst`` ops it pushes one delta
    of the touched conversations, as the coalescing stream does."""
    server: dict[str, ConversationSummary] = {
        s.conversation_id: s for s in (summary(0), summary(1))
    }
    version = 0
    client = build_state(version, server.values())
    touched: set[str] = set()
    clock = 10
    for i, (op, n) in enumerate(ops):
        key = f"1-{n + 1}"
        current = server.get(key) or summary(n)
        clock += 1
        if op == "message":
            current = msgspec.structs.replace(
                current,
                unread_count=current.unread_count + 1,
                archived=False,
                last_message=MessagePreview(
                    id=clock, sender_id=n + 1, text="m", sent_at=T0 + timedelta(minutes=clock)
                ),
            )
        elif op == "read":
            current = msgspec.structs.replace(current, unread_count=0)
        elif op in ("pin", "unpin"):
            current = msgspec.structs.replace(current, pinned=op == "pin")
        elif op == "hide":
            current = msgspec.structs.replace(current, hidden=not current.hidden)
        else:
            current = msgspec.structs.replace(current, archived=not current.archived)
        server[key] = current
        version += 1
        touched.add(key)
        if (i + 1) % burst == 0 or i == len(ops) - 1:
            fresh = build_state(version, server.values())
            delta = make_delta(
                client.version, version, [server[k] for k in touched], total=fresh.total_unread
            )
            touched.clear()
            client = apply_delta(client, delta)
    assert client == build_state(version, server.values())


# --- deltas derived from a new message (the seed's SendMessage rules) ----------------------


def message(n: int, *, sender: int, receiver: int, **changes: object) -> Message:
    fields: dict[str, object] = {
        "id": n,
        "conversation_id": "1-2",
        "sender_id": sender,
        "receiver_id": receiver,
        "text": f"message {n}",
        "sent_at": T0 + timedelta(hours=n),
    }
    fields.update(changes)
    return Message(**fields)  # type: ignore[arg-type]


def side(
    *, me: int, unread: int = 0, archived: bool = True, hidden: bool = True
) -> ConversationSummary:
    other = 2 if me == 1 else 1
    return ConversationSummary(
        conversation_id="1-2",
        other_user=User(id=other, username=f"u{other}", display_name=f"U{other}"),
        last_message=MessagePreview(id=5, sender_id=other, text="old", sent_at=T0),
        unread_count=unread,
        archived=archived,
        hidden=hidden,
        created_at=T0,
    )


def test_preview_is_cut_and_redacted() -> None:
    long = message(9, sender=1, receiver=2, text="x" * 500)
    assert len(preview_of(long).text) == PREVIEW_LENGTH
    assert preview_of(message(9, sender=1, receiver=2, deleted=True)).text == ""


def test_new_outgoing_message_unarchives_sender_side_and_keeps_unread() -> None:
    after = after_message_sent(side(me=1, unread=3), message(6, sender=1, receiver=2))
    assert after is not None
    assert (after.unread_count, after.archived, after.hidden) == (3, False, True)
    assert after.last_message == preview_of(message(6, sender=1, receiver=2))


def test_new_incoming_message_unarchives_unhides_and_counts_unread() -> None:
    after = after_message_received(side(me=2, unread=3), message(6, sender=1, receiver=2))
    assert after is not None
    assert (after.unread_count, after.archived, after.hidden) == (4, False, False)


@pytest.mark.parametrize(
    "changes",
    [
        {"id": 5},  # not newer than what the side shows
        {"premoderation_status": PreModerationStatus.APPROVED},  # a released held message
        {"moderation_status": ModerationStatus.FLAGGED},
        {"deleted": True},
    ],
)
def test_anything_but_a_fresh_newer_message_needs_a_read(changes: dict[str, object]) -> None:
    fields = {"id": 6, **changes}
    incoming = message(fields.pop("id"), sender=1, receiver=2, **fields)  # type: ignore[arg-type]
    assert after_message_received(side(me=2), incoming) is None


def test_a_message_from_the_wrong_side_needs_a_read() -> None:
    assert after_message_received(side(me=2), message(6, sender=2, receiver=1)) is None
    assert after_message_sent(side(me=1), message(6, sender=2, receiver=1)) is None
