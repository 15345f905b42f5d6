"""Render the real desktop app with a populated demo account and save screenshots.

Starts the bundled server on a temporary database, creates a handful of users and a
few days of realistic conversation (with past timestamps, written through the store
as the server would), signs in as the demo user through the real ChatSession and
MainWindow, and grabs the windows into ``docs/screenshots/``. Run it under a display,
for example a virtual one:

    xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python packaging/screenshots.py
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"
PASSWORD = "demo password 123"

# (username, display name)
PEOPLE = [
    ("maya", "Maya Chen"),
    ("alex", "Alex Rivera"),
    ("priya", "Priya Natarajan"),
    ("jonas", "Jonas Berg"),
    ("sam", "Sam Okafor"),
    ("lena", "Lena Fischer"),
    ("tomas", "Tomás Silva"),
    ("noor", "Noor Haddad"),
    ("ravi", "Ravi Kapoor"),
]

# (other, minutes ago, from_me, text)
SCRIPT = [
    ("jonas", 4320, False, "Are we still on for the climbing gym on Thursday?"),
    ("jonas", 4310, True, "Yes! 7pm works. I'll bring the spare harness."),
    ("jonas", 50, False, "Did you watch the match last night?"),
    ("jonas", 48, True, "Sorry, wrong chat — ignore that"),
    ("jonas", 47, True, "Yes! What a finish. That referee was a complete idiot though"),
    ("jonas", 45, False, "Ha, agreed. Climbing on Thursday still on?"),
    ("ravi", 3000, False, "Thanks for the intro to your team, really appreciated."),
    ("noor", 2950, True, "Sending you the slides from today's workshop."),
    ("noor", 2900, False, "Got them, thank you 🙏"),
    ("lena", 1600, False, "Happy birthday!! 🎉 Hope you have an amazing day"),
    ("lena", 1590, True, "Thank you Lena! Drinks on Friday?"),
    (
        "tomas",
        1500,
        False,
        "Can you review my pull request when you get a chance? It's the one "
        "that moves the history reads onto the cold table.",
    ),
    ("tomas", 1440, True, "Looking at it now."),
    ("sam", 300, False, "Reminder: quarterly planning doc is due end of day tomorrow."),
    ("sam", 290, True, "On it — I'll share a draft this afternoon."),
    ("priya", 200, False, "Did you see the benchmark numbers? p99 is down to 9 ms at 500 msg/s"),
    ("priya", 198, True, "That's fantastic. Group commit made the difference?"),
    ("priya", 196, False, "Mostly that, plus coalescing the chat-state pushes."),
    ("priya", 60, False, "Let's write it up for the blog on Monday."),
    ("alex", 95, False, "Hey Maya! Are you around this weekend?"),
    ("alex", 93, True, "Hi Alex! Yes, mostly free on Saturday. What's up?"),
    (
        "alex",
        90,
        False,
        "A few of us are going hiking up at Eagle Ridge. Want to come along? "
        "We'd leave around 8 and be back by mid-afternoon.",
    ),
    ("alex", 88, True, "I'd love to! Should I bring anything?"),
    ("alex", 85, False, "Just water, snacks and good shoes. The trail gets muddy after the rain."),
    ("alex", 80, True, "Perfect. I'll make my famous trail mix 😄"),
    ("alex", 12, False, "Great! I'll pick you up at 7:45"),
    ("alex", 11, False, "Also, Jonas might join us"),
]


def main() -> int:
    home = Path(tempfile.mkdtemp(prefix="parley-screens-"))
    os.environ["PARLEY_CLIENT_HOME"] = str(home)
    from parley.client.app import make_application

    app = make_application()
    import qasync

    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        loop.run_until_complete(render(home))
    return 0


async def render(home: Path) -> None:
    from parley.client.bundled_server import BundledServer
    from parley.client.chat_session import ChatSession
    from parley.client.connection import Connection, PasswordAuth
    from parley.client.credentials import TokenStore
    from parley.client.login_dialog import LoginDialog
    from parley.client.main_window import MainWindow
    from parley.client.outbox import Outbox
    from parley.client.qt import QtWidgets
    from parley.shared.models import ModerationStatus

    server = BundledServer(home / "server.db", argon2_time_cost=1, argon2_memory_kib=1024)
    await asyncio.to_thread(server.start)
    ids: dict[str, int] = {}
    for username, display in PEOPLE:
        connection = Connection(server.url)
        user = await connection.open(
            PasswordAuth(username=username, password=PASSWORD, register=True, display_name=display)
        )
        ids[username] = user.id
        await connection.close()

    now = datetime.now(UTC)
    sent: list[Any] = []

    def store_call(operation: Callable[[Any], Awaitable[Any]]) -> Any:
        return server.call(operation)

    for other, minutes, from_me, text in SCRIPT:
        sender, receiver = (ids["maya"], ids[other]) if from_me else (ids[other], ids["maya"])

        async def send(
            parley: Any, s: int = sender, r: int = receiver, t: str = text, m: int = minutes
        ) -> Any:
            outcome = await parley.services.store.send_message(
                sender_id=s,
                receiver_id=r,
                text=t,
                sent_at=now - timedelta(minutes=m),
                premoderate_first=False,
                client_message_id=uuid.uuid4().hex,
            )
            return outcome.result.message

        sent.append(await asyncio.to_thread(store_call, send))

    maya = ids["maya"]

    async def read(parley: Any, other: str) -> None:
        conversation = f"{min(maya, ids[other])}-{max(maya, ids[other])}"
        await parley.services.store.mark_conversation_read(
            user_id=maya, conversation_id=conversation, up_to_message_id=None
        )

    for other in ("jonas", "ravi", "noor", "lena", "tomas", "sam"):
        await asyncio.to_thread(store_call, lambda p, o=other: read(p, o))

    def conversation_with(other: str) -> str:
        return f"{min(maya, ids[other])}-{max(maya, ids[other])}"

    async def organise(parley: Any) -> None:
        store = parley.services.store
        await store.set_conversation_pinned(
            user_id=maya, conversation_id=conversation_with("sam"), pinned=True
        )
        await store.set_conversation_pinned(
            user_id=maya, conversation_id=conversation_with("priya"), pinned=True
        )
        await store.set_conversation_archived(
            user_id=maya, conversation_id=conversation_with("ravi"), archived=True
        )
        wrong_chat = next(m for m in sent if m.text.startswith("Sorry, wrong chat"))
        await store.delete_message(user_id=maya, message_id=wrong_chat.id, for_everyone=True)
        referee = next(m for m in sent if "referee" in m.text)
        await store.set_moderation_status(
            message_id=referee.id, status=ModerationStatus.FLAGGED, reason="insult"
        )
        trail_mix = next(m for m in sent if m.text.startswith("Perfect. I'll make"))
        await store.set_moderation_status(
            message_id=trail_mix.id, status=ModerationStatus.APPROVED, reason=""
        )

    await asyncio.to_thread(store_call, organise)

    connection = Connection(server.url)
    me = await connection.open(PasswordAuth(username="maya", password=PASSWORD))
    session = ChatSession(connection, Outbox(home / "outbox.json"), me)
    window = MainWindow(session, server_label="Parley's built-in server on this computer")
    window.resize(1180, 760)
    window.show()
    await until(lambda: len(session.conversations.conversation_ids()) >= 7)
    window.open_conversation(conversation_with("alex"))
    messages = session.messages(conversation_with("alex"))
    await until(lambda: len(messages.messages()) == 8)
    # Without a window manager the window never becomes active, so read it explicitly.
    await session.mark_read(conversation_with("alex"))
    await until(lambda: session.conversations.summary(conversation_with("alex")).unread_count == 0)
    window.conversation.composer.edit.setPlainText("Sounds great, see you then!")
    await settle()
    OUT.mkdir(parents=True, exist_ok=True)
    window.grab().save(str(OUT / "main.png"))

    # The conversation list with the archive open and the context menu of a chat.
    session.conversations.set_archived_expanded(True)
    window.conversation.composer.edit.clear()
    window.open_conversation(conversation_with("priya"))
    await until(lambda: len(session.messages(conversation_with("priya")).messages()) == 4)
    await session.mark_read(conversation_with("priya"))
    await until(lambda: session.conversations.summary(conversation_with("priya")).unread_count == 0)
    await settle()
    window.grab().save(str(OUT / "archive.png"))

    # A conversation with a deleted message, a flagged one and a message that failed.
    with_jonas = conversation_with("jonas")
    session.conversations.set_archived_expanded(False)
    window.open_conversation(with_jonas)
    await until(lambda: len(session.messages(with_jonas).messages()) >= 6)
    await session.mark_read(with_jonas)
    window.resize(1180, 640)
    await connection.close()  # offline: the next message waits in the outbox
    window.conversation.composer.edit.setPlainText("See you at 7!")
    window.conversation.composer.submit()
    await settle()
    window.grab().save(str(OUT / "conversation.png"))
    window.resize(1180, 760)

    tokens = TokenStore(fallback_file=home / "tokens.json", use_keyring=True)
    login = LoginDialog(server.url, "Parley's built-in server on this computer", "bundled", tokens)
    login.username.setText("maya")
    login.show()
    await settle()
    login.grab().save(str(OUT / "login.png"))
    login.close()

    await session.aclose()
    await connection.close()
    window.close()
    QtWidgets.QApplication.processEvents()
    await asyncio.to_thread(server.stop)
    print(f"saved {', '.join(sorted(p.name for p in OUT.glob('*.png')))} to {OUT}")


async def until(condition: Callable[[], bool], within: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"the demo window did not reach the expected state: {condition}")
        await asyncio.sleep(0.02)


async def settle() -> None:
    """Let layouts, deferred scrolls and paints run before grabbing."""
    for _ in range(10):
        await asyncio.sleep(0.03)


if __name__ == "__main__":
    sys.exit(main())
