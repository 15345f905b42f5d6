"""The conversation list model against the shared ordering rules, without a server.

The invariant (Zulip's verify_action, for the list): after any snapshot and any chain
of deltas the rows are exactly what the shared rules say the state looks like, and a
delta moves rows instead of resetting, so a selected row stays selected.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from parley.client.conversations.model import ConversationListModel, Role, RowKind
from parley.shared.chat_state import ordered
from parley.shared.models import (
    ChatState,
    ChatStateDelta,
    ConversationSummary,
    MessagePreview,
    User,
)

START = datetime(2026, 1, 1, tzinfo=UTC)


def summary(
    other: int,
    minute: int,
    *,
    unread: int = 0,
    pinned: bool = False,
    archived: bool = False,
    hidden: bool = False,
) -> ConversationSummary:
    return ConversationSummary(
        conversation_id=f"1-{other}",
        other_user=User(id=other, username=f"user{other}", display_name=f"User {other}"),
        last_message=MessagePreview(
            id=minute + 1,
            sender_id=other,
            text=f"hi {minute}",
            sent_at=START + timedelta(minutes=minute),
        ),
        unread_count=unread,
        pinned=pinned,
        archived=archived,
        hidden=hidden,
        created_at=START,
    )


def state(version: int, items: list[ConversationSummary]) -> ChatState:
    return ChatState(
        version=version,
        conversations=ordered(items),
        total_unread=sum(s.unread_count for s in items if not s.hidden),
    )


def delta(base: int, items: list[ConversationSummary], total: int = 0) -> ChatStateDelta:
    return ChatStateDelta(
        base_version=base, version=base + 1, conversations=items, total_unread=total
    )


def expected_rows(items: dict[str, ConversationSummary], expanded: bool) -> list[str]:
    visible = [s for s in items.values() if not s.hidden]
    main = [s.conversation_id for s in ordered(s for s in visible if not s.archived)]
    archived = [s.conversation_id for s in ordered(s for s in visible if s.archived)]
    if not archived:
        return main
    return [*main, "<archived>", *(archived if expanded else [])]


def rows(model: ConversationListModel) -> list[str]:
    result = []
    for row in range(model.rowCount()):
        index = model.index(row)
        if index.data(Role.KIND) == RowKind.ARCHIVED_HEADER:
            result.append("<archived>")
        else:
            result.append(index.data(Role.CONVERSATION_ID))
    return result


def test_snapshot_orders_pinned_first_then_latest(qtmodeltester: Any) -> None:
    model = ConversationListModel()
    model.apply_snapshot(
        state(
            3,
            [
                summary(2, 10),
                summary(3, 30),
                summary(4, 5, pinned=True),
                summary(5, 1, hidden=True),
            ],
        )
    )
    qtmodeltester.check(model)
    assert rows(model) == ["1-4", "1-3", "1-2"]
    assert model.version == 3


def test_delta_changes_only_the_rows_between_old_and_new_place(qtbot: Any) -> None:
    model = ConversationListModel()
    model.apply_snapshot(state(1, [summary(n, n * 10) for n in range(2, 8)]))
    assert rows(model) == ["1-7", "1-6", "1-5", "1-4", "1-3", "1-2"]
    with (
        qtbot.assertNotEmitted(model.modelReset),
        qtbot.assertNotEmitted(model.layoutChanged),
        qtbot.waitSignal(model.dataChanged) as changed,
    ):
        assert model.apply_delta(delta(1, [summary(4, 100, unread=1)], total=1))
    assert rows(model) == ["1-4", "1-7", "1-6", "1-5", "1-3", "1-2"]
    assert [changed.args[0].row(), changed.args[1].row()] == [0, 3]
    assert model.total_unread == 1


def test_a_delta_that_does_not_chain_is_refused() -> None:
    model = ConversationListModel()
    model.apply_snapshot(state(5, [summary(2, 10)]))
    assert not model.apply_delta(delta(7, [summary(3, 20)]))
    assert rows(model) == ["1-2"]
    assert model.version == 5


def test_archiving_makes_an_archived_section_that_expands(qtmodeltester: Any) -> None:
    model = ConversationListModel()
    model.apply_snapshot(state(1, [summary(2, 10), summary(3, 20)]))
    model.apply_delta(delta(1, [summary(3, 20, archived=True)]))
    assert rows(model) == ["1-2", "<archived>"]
    header = model.index(1)
    assert header.data(Role.ARCHIVED_COUNT) == 1
    model.set_archived_expanded(True)
    assert rows(model) == ["1-2", "<archived>", "1-3"]
    qtmodeltester.check(model)
    model.apply_delta(delta(2, [summary(3, 50)]))  # a new message unarchives it
    assert rows(model) == ["1-3", "1-2"]
    assert model.header_row() is None


conversation_change = st.fixed_dictionaries(
    {
        "other": st.integers(2, 9),
        "minute": st.integers(0, 500),
        "unread": st.integers(0, 3),
        "pinned": st.booleans(),
        "archived": st.booleans(),
        "hidden": st.booleans(),
    }
)


@settings(max_examples=60, deadline=None)
@given(
    initial=st.lists(conversation_change, max_size=6),
    steps=st.lists(
        st.tuples(st.lists(conversation_change, min_size=1, max_size=3), st.booleans()),
        max_size=12,
    ),
)
def test_any_chain_of_deltas_shows_what_the_rules_say(
    qapp: Any, initial: list[dict[str, Any]], steps: list[tuple[list[dict[str, Any]], bool]]
) -> None:
    model = ConversationListModel()
    items = {s.conversation_id: s for s in (summary(**c) for c in initial)}
    model.apply_snapshot(state(0, list(items.values())))
    version = 0
    for changes, expand in steps:
        changed = {s.conversation_id: s for s in (summary(**c) for c in changes)}
        items.update(changed)
        assert model.apply_delta(delta(version, list(changed.values())))
        version += 1
        model.set_archived_expanded(expand)
        assert rows(model) == expected_rows(items, model.archived_expanded)
    # A fresh snapshot of the same state changes nothing.
    before = rows(model)
    model.apply_snapshot(state(version, list(items.values())))
    assert rows(model) == before
    assert msgspec.json.encode(sorted(model.conversation_ids())) == msgspec.json.encode(
        sorted(r for r in before if r != "<archived>")
    )
