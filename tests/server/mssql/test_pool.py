"""The connection pool: bounded, warm connections first, broken ones replaced."""

from __future__ import annotations

import threading

import pytest

from parley.server.store.mssql_pool import ConnectionPool
from parley.shared.errors import StorageUnavailable


class Conn:
    opened = 0

    def __init__(self) -> None:
        Conn.opened += 1
        self.number = Conn.opened
        self.closed = False

    def close(self) -> None:
        self.closed = True


@pytest.fixture(autouse=True)
def _count_from_zero() -> None:
    Conn.opened = 0


def test_connections_are_reused_last_in_first_out() -> None:
    pool = ConnectionPool(Conn, size=2)
    a, b = pool.acquire(), pool.acquire()
    pool.release(a)
    pool.release(b)
    assert pool.acquire() is b
    assert Conn.opened == 2


def test_a_full_pool_makes_the_next_caller_wait_for_a_release() -> None:
    pool = ConnectionPool(Conn, size=1)
    held = pool.acquire()
    got: list[Conn] = []
    waiter = threading.Thread(target=lambda: got.append(pool.acquire()))
    waiter.start()
    waiter.join(timeout=0.2)
    assert waiter.is_alive()
    assert got == []
    pool.release(held)
    waiter.join(timeout=5)
    assert got == [held]


def test_a_discarded_connection_is_closed_and_replaced() -> None:
    pool = ConnectionPool(Conn, size=1)
    broken = pool.acquire()
    pool.discard(broken)
    assert broken.closed
    fresh = pool.acquire()
    assert fresh is not broken
    assert pool.open_connections == 1


def test_a_failed_connect_frees_its_slot() -> None:
    attempts = []

    def refuse() -> Conn:
        attempts.append(1)
        raise OSError("server unreachable")

    pool = ConnectionPool(refuse, size=1)
    for _ in range(3):
        with pytest.raises(OSError, match="unreachable"):
            pool.acquire()
    assert len(attempts) == 3
    assert pool.open_connections == 0


def test_closing_closes_idle_connections_and_refuses_new_borrowers() -> None:
    pool = ConnectionPool(Conn, size=2)
    idle, busy = pool.acquire(), pool.acquire()
    pool.release(idle)
    pool.close()
    assert idle.closed
    pool.release(busy)  # returned after close: closed, not kept
    assert busy.closed
    assert pool.open_connections == 0
    with pytest.raises(StorageUnavailable):
        pool.acquire()
