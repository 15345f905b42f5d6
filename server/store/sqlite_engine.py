"""SQLite connections for the store: one group-committing writer, parallel readers.

SQLite allows one writer at a time and a disk sync per commit is what limits a naive
store to a few hundred messages a second. So every write is a named function (Synapse's
``runInteraction``) queued to a single writer thread, which takes everything queued,
runs each function inside its own SAVEPOINT of one transaction (one failing operation
does not undo the others), commits once, and only then answers the callers: a caller
never hears "done" for something that is not durable, and a burst of N writes costs
one sync instead of N. In WAL mode readers see the last commit without waiting for the
writer, so reads run on a small pool of their own connections, and WAL checkpoints run on
a thread of their own so that no commit pays for one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

from parley.shared.errors import StorageUnavailable

log = logging.getLogger(__name__)

T = TypeVar("T")

Interaction = Callable[[sqlite3.Connection], T]


class Synchronous(StrEnum):
    """How hard a commit waits for the disk (SQLite's ``PRAGMA synchronous``).

    FULL (the default) syncs the WAL on every commit: an acknowledged message survives a
    power cut. NORMAL skips that sync: much faster on slow disks, but the last
    acknowledged commits can be lost on a power cut or OS crash (never on a process
    crash). This is the seed's "delayed durability", made an explicit choice.
    """

    FULL = "FULL"
    NORMAL = "NORMAL"


# SQLite primary result codes that mean "the environment failed", not "the code is wrong":
# BUSY, LOCKED, NOMEM, READONLY, IOERR, CORRUPT, FULL, CANTOPEN, PROTOCOL, NOTADB.
_ENVIRONMENT_CODES = frozenset({5, 6, 7, 8, 10, 11, 13, 14, 15, 26})

_FRIENDLY = {
    5: "The database is busy (locked by another process); try again.",
    6: "The database is busy (locked by another process); try again.",
    7: "The server ran out of memory while using the database; try again.",
    8: "The database is read-only; the server cannot store anything.",
    10: "The database disk failed to read or write; try again later.",
    11: "The database file is damaged; an operator must restore it.",
    13: "The database disk is full; nothing more can be stored until space is freed.",
    14: "The database file cannot be opened.",
    26: "The database file is not a Parley database.",
}


def is_environment_error(exc: BaseException) -> bool:
    """Whether a sqlite3 error is the disk's or another process's fault (qutebrowser's split)."""
    if not isinstance(exc, sqlite3.OperationalError | sqlite3.DatabaseError):
        return False
    code = getattr(exc, "sqlite_errorcode", None)
    if code is None:
        return isinstance(exc, sqlite3.OperationalError)
    return (int(code) & 0xFF) in _ENVIRONMENT_CODES


def storage_unavailable(exc: BaseException) -> StorageUnavailable:
    code = int(getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF
    return StorageUnavailable(_FRIENDLY.get(code, "Storage is unavailable right now; try again."))


def connect(
    path: str, *, uri: bool = False, synchronous: Synchronous, readonly: bool = False
) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit) with Parley's pragmas."""
    try:
        conn = sqlite3.connect(
            path, isolation_level=None, check_same_thread=False, timeout=10.0, uri=uri
        )
        conn.execute(f"PRAGMA synchronous = {synchronous.value}")
        conn.execute("PRAGMA cache_size = -16000")  # 16 MB per connection
        conn.execute("PRAGMA temp_store = MEMORY")
        if readonly:
            conn.execute("PRAGMA query_only = 1")
    except sqlite3.Error as exc:
        if is_environment_error(exc):
            raise storage_unavailable(exc) from exc
        raise
    return conn


@dataclass
class _Job:
    name: str
    fn: Interaction[Any]
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Any]
    outcome: tuple[bool, Any] = field(default=(False, None))


def _settle(jobs: list[_Job]) -> None:
    """Answer every caller of a committed (or failed) batch, on their event loop."""
    for job in jobs:
        if job.future.done():  # the caller gave up waiting; the write still happened
            continue
        ok, value = job.outcome
        if ok:
            job.future.set_result(value)
        else:
            job.future.set_exception(value)


_STOP = object()


class GroupCommitWriter:
    """The one writer thread: queued interactions, one transaction and one commit per batch."""

    def __init__(self, conn: sqlite3.Connection, *, max_batch: int = 512) -> None:
        self._conn = conn
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[_Job | object] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="parley-sqlite-writer", daemon=True)
        self._closed = False
        self.batches = 0  # committed batches, for the benchmark and the group-commit test
        self.writes = 0
        self.cpu_seconds = 0.0  # the writer thread's CPU time, for the benchmark

    def start(self) -> None:
        self._thread.start()

    async def run(self, name: str, fn: Interaction[T]) -> T:
        """Run ``fn(connection)`` in the next batch; returns after its batch committed."""
        if self._closed:
            raise StorageUnavailable("The store is closed.")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._queue.put(_Job(name, fn, loop, future))
        return await future

    async def stop(self) -> None:
        """Finish what is queued, then stop the thread."""
        if self._closed:
            return
        self._closed = True
        self._queue.put(_STOP)
        await asyncio.to_thread(self._thread.join)

    def _run(self) -> None:
        stopping = False
        while not stopping:
            first = self._queue.get()
            if first is _STOP:
                break
            batch: list[_Job] = [first]  # type: ignore[list-item]
            while len(batch) < self._max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    stopping = True
                    break
                batch.append(item)  # type: ignore[arg-type]
            self._commit_batch(batch)

    def _commit_batch(self, batch: list[_Job]) -> None:
        conn = self._conn
        started = time.thread_time()
        try:
            conn.execute("BEGIN IMMEDIATE")
            for job in batch:
                conn.execute("SAVEPOINT op")
                try:
                    job.outcome = (True, job.fn(conn))
                except Exception as exc:
                    if not conn.in_transaction:
                        # SQLite rolled the whole transaction back (disk full, I/O error):
                        # nothing of this batch is durable, so nobody may hear "done".
                        raise
                    conn.execute("ROLLBACK TO op")
                    job.outcome = (False, self._translate(job, exc))
                conn.execute("RELEASE op")
            conn.execute("COMMIT")
            self.batches += 1
            self.writes += len(batch)
        except Exception as exc:
            if conn.in_transaction:
                try:
                    conn.execute("ROLLBACK")
                except sqlite3.Error:
                    log.exception("rollback after a failed batch failed too")
            log.error("a write batch of %d failed: %r", len(batch), exc)
            failure: BaseException = storage_unavailable(exc) if is_environment_error(exc) else exc
            for job in batch:
                job.outcome = (False, failure)
        self.cpu_seconds += time.thread_time() - started
        by_loop: dict[asyncio.AbstractEventLoop, list[_Job]] = {}
        for job in batch:
            by_loop.setdefault(job.loop, []).append(job)
        for loop, jobs in by_loop.items():
            # A closed loop raises RuntimeError: that caller is gone, nobody is waiting.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_settle, jobs)

    @staticmethod
    def _translate(job: _Job, exc: Exception) -> BaseException:
        if is_environment_error(exc):
            log.error("write %s failed: %r", job.name, exc)
            return storage_unavailable(exc)
        return exc


class Checkpointer:
    """Copies the WAL back into the database file from a thread of its own.

    SQLite's automatic checkpoint runs inside whichever commit crosses the threshold,
    so one acknowledgement in a few hundred would wait for thousands of page copies and
    a sync of the main file. The writer turns that off (``wal_autocheckpoint = 0``) and
    this thread runs PASSIVE checkpoints, which never block the writer or readers.
    """

    def __init__(self, open_connection: Callable[[], sqlite3.Connection], interval: float) -> None:
        self._open_connection = open_connection
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="parley-sqlite-checkpoint", daemon=True
        )
        self.checkpoints = 0

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        conn = self._open_connection()
        try:
            while not self._stop.wait(self._interval):
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                    self.checkpoints += 1
                except sqlite3.Error as exc:  # retried next interval; the WAL just grows
                    log.warning("WAL checkpoint failed: %r", exc)
        finally:
            conn.close()

    async def stop(self) -> None:
        self._stop.set()
        await asyncio.to_thread(self._thread.join)


class ReaderPool:
    """Read-only connections on a few threads: reads never queue behind the writer.

    Each read function runs in one read transaction, so everything it reads (a chat
    state and its version, for instance) comes from a single commit.
    """

    def __init__(self, open_connection: Callable[[], sqlite3.Connection], size: int) -> None:
        self._open_connection = open_connection
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._executor = ThreadPoolExecutor(
            max_workers=size, thread_name_prefix="parley-sqlite-read"
        )

    async def run(self, name: str, fn: Interaction[T]) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._read, name, fn)

    def _read(self, name: str, fn: Interaction[T]) -> T:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        try:
            if conn is None:
                conn = self._open_connection()
                self._local.conn = conn
                with self._lock:
                    self._connections.append(conn)
            conn.execute("BEGIN")
            try:
                return fn(conn)
            finally:
                if conn.in_transaction:
                    conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if is_environment_error(exc):
                log.error("read %s failed: %r", name, exc)
                raise storage_unavailable(exc) from exc
            raise

    async def stop(self) -> None:
        await asyncio.to_thread(self._executor.shutdown, wait=True)
        with self._lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
