"""A headless end-to-end check of an installed or frozen build of the desktop app.

``python -m parley.client.smoke`` (or ``parley-bin --smoke-test`` in a PyInstaller
build) starts the app's real flow in a temporary home on the offscreen platform:
the bundled server on SQLite, account creation through the sign-in dialog, the main
window, a message sent to a second account and seen by it. It prints one line and
exits 0 when all of that worked, 1 otherwise, so a packaging job can run it on a
machine without a display (qutebrowser smoke-tests its frozen builds the same way).
"""

from __future__ import annotations

import asyncio
import itertools
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

TIMEOUT_S = 60.0
PASSWORD = "correct horse battery staple"


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    home = Path(tempfile.mkdtemp(prefix="parley-smoke-"))
    os.environ["PARLEY_CLIENT_HOME"] = str(home)
    import qasync

    from .app import make_application

    app = make_application()
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    began = time.monotonic()
    try:
        with loop:
            detail = loop.run_until_complete(asyncio.wait_for(_check(home), TIMEOUT_S))
    except Exception as exc:  # the one line a packaging job reads
        print(f"smoke=failed error={type(exc).__name__}: {exc}")
        return 1
    print(f"smoke=ok seconds={time.monotonic() - began:.1f} {detail}")
    return 0


async def _check(home: Path) -> str:
    from .app import ParleyApp
    from .connection import Connection, PasswordAuth
    from .credentials import TokenStore
    from .settings import ClientSettings

    tokens = TokenStore(fallback_file=home / "tokens.json", use_keyring=False)
    parley = ParleyApp(ClientSettings(), tokens=tokens)
    await parley.start()
    try:
        login = parley.login
        if login is None:
            raise RuntimeError("the sign-in dialog did not open")
        login.set_registering(True)
        login.username.setText("smoke")
        login.password.setText(PASSWORD)
        login.submit()
        await _until(lambda: parley.window is not None or login.error.isVisible())
        window = parley.window
        if window is None:
            raise RuntimeError(f"sign-up refused: {login.error.text()}")
        peer_connection = Connection(parley.url)
        peer = await peer_connection.open(
            PasswordAuth(username="peer", password=PASSWORD, register=True)
        )
        window.start_conversation(peer)
        conversation = window.conversation.conversation_id
        assert conversation is not None
        window.conversation.composer.edit.setPlainText("hello from the smoke test")
        window.conversation.composer.submit()
        session = window.session
        await _until(lambda: not session.outbox.pending() and len(session.outbox) == 0)
        await peer_connection.close()
        return f"server={parley.url} user={session.me.username} sent=1"
    finally:
        await parley.shutdown()


async def _until(condition: Callable[[], bool]) -> None:
    """Poll: the conditions are widget states with no signal of their own."""
    for _ in itertools.count():
        if condition():
            return
        await asyncio.sleep(0.02)


if __name__ == "__main__":
    sys.exit(main())
