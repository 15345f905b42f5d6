"""SQL Server errors are classified from pyodbc's (sqlstate, message) and retried once.

The errors are real ``pyodbc.Error`` instances carrying the texts Microsoft's driver and
FreeTDS produce; only the server that would raise them is absent.
"""

from __future__ import annotations

from collections.abc import Callable

import pyodbc
import pytest

from parley.server.store.mssql_errors import (
    Outcome,
    RetryPolicy,
    diagnose,
    run_with_retries,
)
from parley.shared.errors import ErrorCode, ParleyError, StorageUnavailable

MS = "[Microsoft][ODBC Driver 18 for SQL Server][SQL Server]"


def ms_error(sqlstate: str, text: str, number: int) -> pyodbc.Error:
    return pyodbc.ProgrammingError(sqlstate, f"[{sqlstate}] {MS}{text} ({number}) (SQLExecDirectW)")


WRITE_CONFLICT = ms_error(
    "42000",
    "The current transaction attempted to update a record that has been updated since "
    "this transaction started. The transaction was aborted.",
    41302,
)
DEADLOCK = pyodbc.OperationalError(
    "40001",
    f"[40001] {MS}Transaction (Process ID 57) was deadlocked on lock resources with another "
    "process and has been chosen as the deadlock victim. Rerun the transaction. (1205) "
    "(SQLExecDirectW)",
)
LINK_FAILURE = pyodbc.OperationalError(
    "08S01", "[08S01] [Microsoft][ODBC Driver 18 for SQL Server]Communication link failure (0)"
)
LOGIN_FAILED = pyodbc.InterfaceError(
    "28000", f"[28000] {MS}Login failed for user 'parley'. (18456) (SQLDriverConnect)"
)
NO_DRIVER = pyodbc.InterfaceError(
    "IM002",
    "[IM002] [unixODBC][Driver Manager]Data source name not found and no default driver "
    "specified (0) (SQLDriverConnect)",
)
FREETDS_BLOCKED = pyodbc.ProgrammingError(
    "42000",
    "[42000] [FreeTDS][SQL Server]This user has blocked you; the message was not sent. "
    "(51003) (SQLExecDirectW)",
)
SYNTAX = ms_error("42000", "Incorrect syntax near 'SELEC'.", 102)


@pytest.mark.parametrize(
    ("error", "outcome"),
    [
        (WRITE_CONFLICT, Outcome.RETRY),
        (ms_error("42000", "validation failure", 41305), Outcome.RETRY),
        (ms_error("42000", "serializable validation failure", 41325), Outcome.RETRY),
        (ms_error("42000", "commit dependency failed", 41301), Outcome.RETRY),
        (DEADLOCK, Outcome.RETRY),
        (LINK_FAILURE, Outcome.RECONNECT),
        (pyodbc.OperationalError("HYT00", "[HYT00] Query timeout expired (0)"), Outcome.RECONNECT),
        (
            ms_error("42000", "Database 'chat' is not currently available.", 40613),
            Outcome.RECONNECT,
        ),
        (LOGIN_FAILED, Outcome.UNAVAILABLE),
        (NO_DRIVER, Outcome.UNAVAILABLE),
        (ms_error("42000", "insufficient memory in resource pool", 41805), Outcome.UNAVAILABLE),
        (FREETDS_BLOCKED, Outcome.DOMAIN),
        (SYNTAX, Outcome.BUG),
    ],
)
def test_errors_are_classified(error: pyodbc.Error, outcome: Outcome) -> None:
    assert diagnose(error).outcome is outcome


def test_the_servers_sentence_is_read_from_both_drivers() -> None:
    assert diagnose(FREETDS_BLOCKED).text == "This user has blocked you; the message was not sent."
    assert diagnose(LOGIN_FAILED).text == "Login failed for user 'parley'."


class Flaky:
    """A transaction that fails with the given errors first, then succeeds."""

    def __init__(self, *errors: BaseException) -> None:
        self.errors = list(errors)
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "committed"


def run(attempt: Callable[[], str], reconnects: list[int], **policy: int) -> str:
    return run_with_retries(
        attempt,
        is_driver_error=lambda exc: isinstance(exc, pyodbc.Error),
        on_reconnect=lambda: reconnects.append(1),
        policy=RetryPolicy(**policy),
        sleep=lambda _seconds: None,
    )


def test_write_conflicts_and_deadlocks_are_retried_on_the_same_connection() -> None:
    reconnects: list[int] = []
    attempt = Flaky(WRITE_CONFLICT, DEADLOCK, WRITE_CONFLICT)
    assert run(attempt, reconnects) == "committed"
    assert attempt.calls == 4
    assert reconnects == []


def test_a_broken_connection_is_replaced_then_retried() -> None:
    reconnects: list[int] = []
    attempt = Flaky(LINK_FAILURE)
    assert run(attempt, reconnects) == "committed"
    assert reconnects == [1]


def test_endless_conflicts_end_as_storage_unavailable() -> None:
    attempt = Flaky(*[WRITE_CONFLICT] * 10)
    with pytest.raises(StorageUnavailable):
        run(attempt, [], conflict_attempts=3)
    assert attempt.calls == 3


def test_an_unreachable_server_ends_as_storage_unavailable() -> None:
    reconnects: list[int] = []
    with pytest.raises(StorageUnavailable, match="unreachable"):
        run(Flaky(*[LINK_FAILURE] * 10), reconnects, reconnect_attempts=2)
    assert reconnects == [1, 1]


def test_environment_failures_are_not_retried_and_say_what_to_fix() -> None:
    attempt = Flaky(LOGIN_FAILED)
    with pytest.raises(StorageUnavailable, match="user and password") as failed:
        run(attempt, [])
    assert attempt.calls == 1
    assert failed.value.code == ErrorCode.UNAVAILABLE


def test_procedure_refusals_become_parley_errors() -> None:
    with pytest.raises(ParleyError) as refused:
        run(Flaky(FREETDS_BLOCKED), [])
    assert refused.value.code == ErrorCode.BLOCKED_BY_RECEIVER
    assert "blocked you" in refused.value.message


def test_bugs_propagate_unchanged() -> None:
    with pytest.raises(pyodbc.ProgrammingError) as raised:
        run(Flaky(SYNTAX), [])
    assert raised.value is SYNTAX
    with pytest.raises(KeyError):
        run(Flaky(KeyError("not a driver error")), [])


def test_backoff_grows_and_stays_under_its_ceiling() -> None:
    policy = RetryPolicy(first_delay_s=0.01, max_delay_s=0.05)
    for attempt in range(1, 12):
        assert 0 <= policy.delay(attempt) <= min(0.05, 0.01 * 2**attempt)
