"""What a pyodbc error from SQL Server means, and the one retry loop that acts on it.

Synapse's engines each supply ``is_deadlock``; this is SQL Server's version, widened to
everything worth a retry. Four outcomes:

- RETRY: the transaction lost a race and was rolled back whole (in-memory OLTP write
  conflicts and validation failures 41302, 41305, 41325, 41301; deadlock victim 1205):
  run it again on the same connection after a short, growing, jittered pause.
- RECONNECT: the connection broke or timed out (SQLSTATE 08xxx, HYT00; Azure's
  throttling and failover errors): drop the connection and run again on a new one.
- DOMAIN: a procedure refused on purpose with ``THROW 51xxx``: a ParleyError.
- UNAVAILABLE: the environment is wrong and waiting will not fix it (login failed, no
  driver, no database): StorageUnavailable with a sentence an operator can act on.
Anything else is a bug and propagates as it is.
"""

from __future__ import annotations

import logging
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import TypeVar

from parley.shared.errors import ErrorCode, ParleyError, StorageUnavailable

log = logging.getLogger(__name__)

T = TypeVar("T")

# In-memory OLTP: 41302 write conflict, 41305 repeatable-read validation failure,
# 41325 serializable validation failure, 41301 commit dependency on an aborted
# transaction; 1205 deadlock victim. The transaction was rolled back: run it again.
RETRY_ERRORS = frozenset({41302, 41305, 41325, 41301, 1205})

# Connection-level trouble worth a new connection: broken links, failovers and Azure
# throttling (40613 database unavailable, 40501 busy, 40197 failover, 10928/10929
# resource limits, 49918-49920 cannot process, 233/10053/10054/10060 transport errors).
RECONNECT_ERRORS = frozenset(
    {40613, 40501, 40197, 10928, 10929, 49918, 49919, 49920, 233, 10053, 10054, 10060, 64, 121}
)
RECONNECT_SQLSTATES = frozenset({"08S01", "08001", "08003", "08004", "08007", "HYT00", "HYT01"})

# Environment failures that waiting will not fix.
UNAVAILABLE_SQLSTATES = frozenset({"28000", "IM002", "IM003", "IM004", "IM001"})
UNAVAILABLE_ERRORS = frozenset({18456, 4060, 4064, 18452, 701, 41805, 41822, 1105, 9002})

# THROW numbers of sql/mssql/procedures -> the protocol's error codes.
DOMAIN_ERRORS: dict[int, ErrorCode] = {
    51000: ErrorCode.NOT_FOUND,
    51001: ErrorCode.USERNAME_TAKEN,
    51002: ErrorCode.SENDING_BLOCKED,
    51003: ErrorCode.BLOCKED_BY_RECEIVER,
    51004: ErrorCode.SEND_TO_SELF,
    51005: ErrorCode.FORBIDDEN,
    51006: ErrorCode.CONFLICT,
}

_FRIENDLY: dict[str, str] = {
    "28000": "SQL Server refused the login; check the user and password in the database URL.",
    "IM002": "The ODBC data source or driver named in the database URL is not installed.",
    "IM003": "The ODBC driver named in the database URL cannot be loaded; install it "
    "(see docs/mssql.md) or name an installed one with ?driver=...",
}
_FRIENDLY_NUMBERS: dict[int, str] = {
    18456: "SQL Server refused the login; check the user and password in the database URL.",
    4060: "SQL Server cannot open the database named in the database URL.",
    701: "SQL Server is out of memory.",
    41805: "SQL Server's memory for memory-optimized tables is exhausted.",
    41822: "SQL Server's memory for memory-optimized tables is exhausted.",
    1105: "The SQL Server database is full.",
    9002: "The SQL Server transaction log is full.",
}

# unixODBC reports a driver it cannot load with SQLSTATE 01000 and this text.
_DRIVER_MISSING = re.compile(r"can't open lib", re.IGNORECASE)

_NATIVE_NUMBER = re.compile(r"\((\d{2,6})\)")
_SERVER_TEXT = re.compile(r"\[SQL Server\]([^\[]*?)\s*\(\d+\)")


class Outcome(Enum):
    RETRY = "retry"
    RECONNECT = "reconnect"
    DOMAIN = "domain"
    UNAVAILABLE = "unavailable"
    BUG = "bug"


@dataclass(frozen=True)
class Diagnosis:
    outcome: Outcome
    sqlstate: str
    numbers: tuple[int, ...]
    text: str  # the server's own sentence, when there is one


def diagnose(exc: BaseException) -> Diagnosis:
    """Classify a pyodbc error by its SQLSTATE and the native error numbers in its text.

    pyodbc puts ``(sqlstate, message)`` in ``args``; the message carries one
    ``[SQL Server]text (number)`` part per server error, in the form both Microsoft's
    driver and FreeTDS write.
    """
    args: tuple[object, ...] = tuple(getattr(exc, "args", ()))
    sqlstate = str(args[0]) if len(args) >= 2 else ""
    message = str(args[1]) if len(args) >= 2 else str(exc)
    numbers = tuple(int(n) for n in _NATIVE_NUMBER.findall(message))
    texts = _SERVER_TEXT.findall(message)
    text = texts[0].strip() if texts else ""
    found = set(numbers)
    if _DRIVER_MISSING.search(message):
        sqlstate = "IM003"
    if any(n in DOMAIN_ERRORS for n in found):
        outcome = Outcome.DOMAIN
    elif found & RETRY_ERRORS or sqlstate == "40001":
        outcome = Outcome.RETRY
    elif found & UNAVAILABLE_ERRORS or sqlstate in UNAVAILABLE_SQLSTATES:
        outcome = Outcome.UNAVAILABLE
    elif found & RECONNECT_ERRORS or sqlstate in RECONNECT_SQLSTATES:
        outcome = Outcome.RECONNECT
    else:
        outcome = Outcome.BUG
    return Diagnosis(outcome, sqlstate, numbers, text)


def domain_error(diagnosis: Diagnosis) -> ParleyError:
    """The ParleyError a procedure's THROW 51xxx stands for, with the server's sentence."""
    number = next(n for n in diagnosis.numbers if n in DOMAIN_ERRORS)
    code = DOMAIN_ERRORS[number]
    return ParleyError(code, diagnosis.text or "The request was refused.")


def unavailable_error(diagnosis: Diagnosis) -> StorageUnavailable:
    for number in diagnosis.numbers:
        if number in _FRIENDLY_NUMBERS:
            return StorageUnavailable(_FRIENDLY_NUMBERS[number])
    if diagnosis.sqlstate in _FRIENDLY:
        return StorageUnavailable(_FRIENDLY[diagnosis.sqlstate])
    return StorageUnavailable("SQL Server is unreachable right now; try again.")


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry; conflicts are cheap to retry, reconnects less so."""

    conflict_attempts: int = 8
    reconnect_attempts: int = 4
    first_delay_s: float = 0.005
    max_delay_s: float = 1.0

    def delay(self, attempt: int) -> float:
        """Exponential backoff with full jitter: colliding writers spread out."""
        ceiling = min(self.max_delay_s, self.first_delay_s * (2**attempt))
        return random.uniform(0, ceiling)


DEFAULT_RETRY = RetryPolicy()


def run_with_retries(
    attempt: Callable[[], T],
    *,
    is_driver_error: Callable[[BaseException], bool],
    on_reconnect: Callable[[], None],
    policy: RetryPolicy = DEFAULT_RETRY,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run one transaction, retrying what SQL Server says may succeed next time.

    The one retry loop of the SQL Server store: every procedure call goes through it.
    ``attempt`` must be a whole transaction (one procedure call), so running it again is
    safe; SendMessage is also idempotent, so a send whose acknowledgement was lost with
    the connection comes back as a duplicate instead of a second message.
    """
    conflicts = reconnects = 0
    while True:
        try:
            return attempt()
        except Exception as exc:
            if not is_driver_error(exc):
                raise
            diagnosis = diagnose(exc)
            if diagnosis.outcome is Outcome.DOMAIN:
                raise domain_error(diagnosis) from None
            if diagnosis.outcome is Outcome.UNAVAILABLE:
                log.warning("SQL Server environment failure: %s", exc)
                raise unavailable_error(diagnosis) from exc
            if diagnosis.outcome is Outcome.RETRY:
                conflicts += 1
                if conflicts >= policy.conflict_attempts:
                    raise StorageUnavailable(
                        "The database is too busy right now (write conflicts); try again."
                    ) from exc
                sleep(policy.delay(conflicts))
                continue
            if diagnosis.outcome is Outcome.RECONNECT:
                reconnects += 1
                on_reconnect()
                if reconnects >= policy.reconnect_attempts:
                    raise StorageUnavailable(
                        "SQL Server is unreachable right now; try again."
                    ) from exc
                sleep(policy.delay(reconnects + 3))
                continue
            raise
