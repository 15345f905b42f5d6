"""Fixtures for the desktop client: a real server, a qasync loop, real widgets offscreen.

The server is Parley's own, started by :class:`parley.client.bundled_server.BundledServer`
on 127.0.0.1 (a free port) over a temporary SQLite file, on its own thread, exactly as
the app bundles it. The client side runs on a qasync loop marked as running while the
test's Qt event processing (``qtbot.waitUntil``/``wait_signal``) drives it, so tests
wait on conditions, never for a fixed time.

Every test here fails on a Qt warning it did not expect (pytest-qt's
``qt_log_level_fail``), scoped to these tests: analytics tests under
``tests/client/analytics`` keep their own rules.
"""

from __future__ import annotations

import asyncio
import itertools
import os
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
import qasync

from parley.client.bundled_server import BundledServer

T = TypeVar("T")
HERE = Path(__file__).parent
PASSWORD = "correct horse battery staple"
_names = itertools.count(1)

# Messages the offscreen platform prints for every top-level window: not our bugs.
IGNORED_QT_MESSAGES = ("propagateSizeHints", "This plugin does not support")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        path = Path(str(item.fspath))
        if HERE in path.parents and HERE / "analytics" not in path.parents:
            item.add_marker(pytest.mark.qt_log_level_fail("WARNING"))
            item.add_marker(pytest.mark.qt_log_ignore(*IGNORED_QT_MESSAGES))


@pytest.fixture
def client_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every client file (settings, tokens, outbox) under the test's temporary folder."""
    home = tmp_path / "client-home"
    monkeypatch.setenv("PARLEY_CLIENT_HOME", str(home))
    return home


@pytest.fixture(scope="session")
def _session_loop(qapp: Any) -> Iterator[asyncio.AbstractEventLoop]:
    """One qasync loop for the run, made the running loop only inside client tests.

    Stopping a qasync loop calls ``QApplication.exit()``, which would end the next
    test's waits early, so the loop lives as long as the QApplication does. Its
    executor is a plain thread pool: qasync's default one uses QThreads, which abort
    the interpreter if still alive at exit.
    """
    loop = qasync.QEventLoop(qapp, already_running=True)
    asyncio.events._set_running_loop(None)  # only while a client test runs (qloop)
    executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="client-tests")
    loop.set_default_executor(executor)
    yield loop
    executor.shutdown(wait=True)


@pytest.fixture
def qloop(
    qapp: Any, _session_loop: asyncio.AbstractEventLoop
) -> Iterator[asyncio.AbstractEventLoop]:
    """The qasync loop as the running loop for one test; its leftover tasks cancelled.

    It is unset again afterwards, so pytest-asyncio tests elsewhere in the run (the
    server's) start their own loops as usual.
    """
    loop = _session_loop
    asyncio.events._set_running_loop(loop)
    asyncio.set_event_loop(loop)
    try:
        yield loop
        pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for task in pending:
            task.cancel()
        deadline = loop.time() + 5
        while any(not t.done() for t in pending) and loop.time() < deadline:
            qapp.processEvents()
    finally:
        asyncio.events._set_running_loop(None)
        asyncio.set_event_loop(None)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[BundledServer]:
    """Parley's server on 127.0.0.1 with a temporary database; cheap password hashing."""
    bundled = BundledServer(
        tmp_path / "server" / "parley.db",
        argon2_time_cost=1,
        argon2_memory_kib=1024,
        use_uvloop=False,
    )
    bundled.start()
    yield bundled
    bundled.stop()


@pytest.fixture
def run(qtbot: Any, qloop: asyncio.AbstractEventLoop) -> Callable[..., Any]:
    """Run a coroutine on the qasync loop to completion while Qt keeps processing."""

    def runner(coroutine: Coroutine[Any, Any, T], timeout: float = 10.0) -> T:
        task = qloop.create_task(coroutine)
        qtbot.waitUntil(task.done, timeout=int(timeout * 1000))
        return task.result()

    return runner


@pytest.fixture
def unique_name() -> Callable[[str], str]:
    """Usernames unique within the run (the server keeps them per database anyway)."""
    return lambda prefix: f"{prefix}{next(_names)}"
