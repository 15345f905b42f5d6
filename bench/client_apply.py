"""UI-thread cost of the desktop client applying what the server streams.

Not a test: run it and read the figures (docs/performance.md, "Desktop client").

    QT_QPA_PLATFORM=offscreen .venv/bin/python -m bench.client_apply

Measures, with the real models, delegates and views shown in an offscreen window:

- applying a chat-state snapshot of 5,000 conversations to the conversation list (first
  snapshot: one model reset), a fresh snapshot that differs in 10 conversations, and a
  delta of 10 conversations;
- appending 1,000 messages (one burst) to an open conversation with 100,000 messages
  loaded, and appending single messages one at a time.

Each figure is the wall time of the model update plus the event processing it causes
(layout, paint) on the UI thread, the median and worst of several runs. Target: 16 ms
(one frame at 60 Hz). The last line is ``key=value ...``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from parley.client.conversations.delegate import ConversationDelegate
from parley.client.conversations.model import ConversationListModel
from parley.client.conversations.view import ConversationListView
from parley.client.messages.model import MessageListModel
from parley.client.messages.view import MessageListView
from parley.client.qt import QtWidgets
from parley.shared.chat_state import ordered
from parley.shared.models import (
    ChatState,
    ChatStateDelta,
    ConversationSummary,
    Message,
    MessagePreview,
    User,
)

ME = 1
START = datetime(2026, 1, 1, tzinfo=UTC)


def summary(other: int, minute: int, unread: int = 0) -> ConversationSummary:
    return ConversationSummary(
        conversation_id=f"{ME}-{other}",
        other_user=User(id=other, username=f"user{other}", display_name=f"User Number {other}"),
        last_message=MessagePreview(
            id=minute,
            sender_id=other,
            text=f"The last thing user {other} said, long enough to be elided in the list",
            sent_at=START + timedelta(minutes=minute),
        ),
        unread_count=unread,
        pinned=other % 997 == 0,
        archived=other % 101 == 0,
        created_at=START,
    )


def message(message_id: int) -> Message:
    sender = ME if message_id % 3 == 0 else 2
    return Message(
        id=message_id,
        conversation_id=f"{ME}-2",
        sender_id=sender,
        receiver_id=3 - sender,
        text=f"Message {message_id}: " + "some words of a chat message " * (message_id % 4 + 1),
        sent_at=START + timedelta(seconds=message_id),
    )


def timed(app: QtWidgets.QApplication, action: Callable[[], object]) -> float:
    """Milliseconds for the action and the events it queued (layout, repaint)."""
    app.processEvents()
    began = time.perf_counter()
    action()
    app.processEvents()
    return (time.perf_counter() - began) * 1000


def bench_conversations(app: QtWidgets.QApplication, count: int, runs: int) -> dict[str, float]:
    first: list[float] = []
    update: list[float] = []
    deltas: list[float] = []
    for run in range(runs):
        model = ConversationListModel()
        view = ConversationListView()
        view.setItemDelegate(ConversationDelegate(ME, view))
        view.setModel(model)
        view.resize(340, 760)
        view.show()
        app.processEvents()
        items = [summary(other, other * 3, unread=other % 5) for other in range(2, count + 2)]
        state = ChatState(version=1, conversations=ordered(items), total_unread=0)
        first.append(timed(app, lambda s=state, m=model: m.apply_snapshot(s)))
        changed = {
            i.conversation_id: i
            for i in (summary(other, 10 * count + other + run) for other in range(2, 12))
        }
        fresh = [changed.get(i.conversation_id, i) for i in items]
        state2 = ChatState(version=2, conversations=ordered(fresh), total_unread=0)
        update.append(timed(app, lambda s=state2, m=model: m.apply_snapshot(s)))
        moved = [summary(other, 20 * count + other) for other in range(500, 510)]
        delta = ChatStateDelta(base_version=2, version=3, conversations=moved, total_unread=0)
        deltas.append(timed(app, lambda d=delta, m=model: m.apply_delta(d)))
        view.close()
        view.deleteLater()
        app.processEvents()
    return {
        "snapshot_ms": statistics.median(first),
        "snapshot_max_ms": max(first),
        "snapshot_update_ms": statistics.median(update),
        "delta_ms": statistics.median(deltas),
    }


def bench_messages(
    app: QtWidgets.QApplication, loaded: int, burst: int, runs: int
) -> dict[str, float]:
    bursts: list[float] = []
    singles: list[float] = []
    for _ in range(runs):
        model = MessageListModel(f"{ME}-2", ME)
        view = MessageListView()
        view.resize(840, 640)
        view.show()
        model.add_history_page([message(i) for i in range(loaded, 0, -1)], has_more=False)
        view.set_messages(model)
        app.processEvents()
        next_id = loaded + 1
        batch = [message(i) for i in range(next_id, next_id + burst)]
        bursts.append(timed(app, lambda b=batch, m=model: m.add_messages(b)))
        next_id += burst
        for i in range(next_id, next_id + 200):
            singles.append(timed(app, lambda i=i, m=model: m.add_messages([message(i)])))
        view.close()
        view.deleteLater()
        app.processEvents()
    singles.sort()
    return {
        "append_burst_ms": statistics.median(bursts),
        "append_burst_max_ms": max(bursts),
        "append_one_p50_ms": singles[len(singles) // 2],
        "append_one_p99_ms": singles[int(len(singles) * 0.99) - 1],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=5000)
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--burst", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    assert isinstance(app, QtWidgets.QApplication)
    figures = bench_conversations(app, args.conversations, args.runs)
    figures |= bench_messages(app, args.messages, args.burst, max(1, args.runs // 2))
    for key, value in figures.items():
        print(f"{key:>22}: {value:8.2f} ms")
    line = " ".join(f"{key}={value:.2f}" for key, value in figures.items())
    print(f"conversations={args.conversations} messages={args.messages} burst={args.burst} {line}")


if __name__ == "__main__":
    main()
