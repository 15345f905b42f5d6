"""The procedures in sql/mssql/procedures agree with what the Python side binds.

Each Store operation has a procedure; the procedure's CREATE header declares the
parameters the store passes, in the same order, with OUTPUT exactly where the store
reads outputs; natively compiled ones carry the atomic-block options the design asks
for and touch no disk-based table (a native module cannot, so that would fail to
compile on a real server long after the tests ran).
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from parley.server.store.interface import Store
from parley.server.store.moderation import ModerationStore
from parley.server.store.mssql_migrations import load_procedures
from parley.server.store.mssql_procedures import MODERATION_OPERATIONS, STORE_OPERATIONS, Procedure

PROCEDURES_DIR = Path(__file__).parents[3] / "sql" / "mssql" / "procedures"

# Store and ModerationStore operations: the same rules hold for both tables.
OPERATIONS: dict[str, Procedure] = {**STORE_OPERATIONS, **MODERATION_OPERATIONS}

# Disk-based objects: out of bounds for natively compiled modules.
DISK_OBJECTS = ("ChatMessageCold", "ChatMessageAll", "MessageFlag", "MessageDeletedForUser")

_HEADER = re.compile(
    r"CREATE\s+OR\s+ALTER\s+PROCEDURE\s+dbo\.(\w+)(.*?)\n(?:WITH\b|AS\b)", re.DOTALL | re.I
)
_PARAM = re.compile(r"@(\w+)\s+[\w() ,]+?(\s+OUTPUT)?\s*(?:,|$)", re.I)


@dataclass(frozen=True)
class Header:
    name: str
    params: tuple[tuple[str, bool], ...]  # (name, is OUTPUT)
    native: bool
    body: str


def read_header(path: Path) -> Header:
    text = "\n".join(
        line
        for line in path.read_text(encoding="utf-8").splitlines()
        if not line.lstrip().startswith("--")
    )
    match = _HEADER.search(text)
    assert match is not None, f"{path.name} has no CREATE OR ALTER PROCEDURE header"
    params = tuple(
        (m.group(1), m.group(2) is not None)
        for m in _PARAM.finditer(" ".join(match.group(2).split()))
    )
    after = text[match.end(2) :]
    native = re.match(r"\s*WITH\s+NATIVE_COMPILATION\s*,\s*SCHEMABINDING", after, re.I) is not None
    return Header(match.group(1), params, native, after)


def expected_params(procedure: Procedure) -> tuple[tuple[str, bool], ...]:
    return tuple((p, False) for p in procedure.params) + tuple(
        (name, True) for name, _ in procedure.outputs
    )


def store_operations(protocol: type = Store) -> list[str]:
    return sorted(
        name
        for name, member in inspect.getmembers(protocol)
        if inspect.iscoroutinefunction(member) and name not in ("open", "close")
    )


def test_every_store_operation_has_a_procedure() -> None:
    assert store_operations() == sorted(STORE_OPERATIONS)
    for procedure in STORE_OPERATIONS.values():
        assert (PROCEDURES_DIR / f"{procedure.name}.sql").is_file(), procedure.name


def test_every_moderation_operation_has_a_procedure() -> None:
    assert store_operations(ModerationStore) == sorted(MODERATION_OPERATIONS)
    assert not set(MODERATION_OPERATIONS) & set(STORE_OPERATIONS)
    for procedure in MODERATION_OPERATIONS.values():
        assert (PROCEDURES_DIR / f"{procedure.name}.sql").is_file(), procedure.name


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_procedure_parameters_match_what_the_store_binds(operation: str) -> None:
    procedure = OPERATIONS[operation]
    header = read_header(PROCEDURES_DIR / f"{procedure.name}.sql")
    assert header.name == procedure.name
    assert header.params == expected_params(procedure)
    assert header.native == procedure.native


@pytest.mark.parametrize("operation", sorted(op for op, p in OPERATIONS.items() if p.native))
def test_natively_compiled_procedures_use_the_designed_atomic_block(operation: str) -> None:
    header = read_header(PROCEDURES_DIR / f"{OPERATIONS[operation].name}.sql")
    atomic = re.search(r"BEGIN\s+ATOMIC\s+WITH\s*\((.*?)\)", header.body, re.DOTALL | re.I)
    assert atomic is not None
    options = " ".join(atomic.group(1).split())
    assert "TRANSACTION ISOLATION LEVEL = SNAPSHOT" in options
    assert "LANGUAGE = N'us_english'" in options
    assert "DELAYED_DURABILITY = OFF" in options
    for disk_object in DISK_OBJECTS:
        assert not re.search(rf"\b{disk_object}\b", header.body), disk_object


# Built-ins this code uses that natively compiled modules support (SQL Server 2017+:
# "Supported Features for Natively Compiled T-SQL Modules"); anything else, REPLACE or
# CHARINDEX or LOWER say, would fail CREATE PROCEDURE on the server.
NATIVE_FUNCTIONS = {"CAST", "TRANSLATE", "JSON_MODIFY", "SCOPE_IDENTITY", "ISNULL", "LEN", "MAX"}
NATIVE_FORBIDDEN = ("MERGE", "OPENJSON", "FOR JSON", " LIKE ", "CURSOR", "#", "COALESCE")


@pytest.mark.parametrize("operation", sorted(op for op, p in OPERATIONS.items() if p.native))
def test_natively_compiled_procedures_use_only_supported_built_ins(operation: str) -> None:
    header = read_header(PROCEDURES_DIR / f"{OPERATIONS[operation].name}.sql")
    code = re.sub(r"N?'(?:[^']|'')*'", "''", header.body)  # string literals say anything
    assert set(re.findall(r"\b([A-Z][A-Z_0-9]*)\(", code)) <= NATIVE_FUNCTIONS
    for construct in NATIVE_FORBIDDEN:
        assert construct not in code.upper(), construct


@pytest.mark.parametrize("operation", sorted(op for op, p in OPERATIONS.items() if not p.native))
def test_interpreted_procedures_say_why_they_are_not_native(operation: str) -> None:
    text = (PROCEDURES_DIR / f"{OPERATIONS[operation].name}.sql").read_text()
    assert re.search(r"^-- Interpreted", text, re.M), "say why it cannot be natively compiled"


def test_every_procedure_file_is_applied_in_the_order_file() -> None:
    applied = [p.name for p in load_procedures()]
    assert sorted(applied) == sorted(p.name for p in PROCEDURES_DIR.glob("*.sql"))
    # Shared objects come before the procedures that use them.
    assert applied.index("ChatMessageAll.sql") < applied.index("SidePreview.sql")
    assert applied.index("SidePreview.sql") < applied.index("GetChatState.sql")
    assert applied.index("AppendUserEvent.sql") < applied.index("DeleteMessage.sql")
    assert applied.index("ApplyModerationChange.sql") < applied.index("SetPreModerationStatus.sql")
    for shared in ("EnqueueReviewItem.sql", "ReviewItemRows.sql"):
        for user in ("ApplyModerationDecisions.sql", "FlagMessageForReview.sql"):
            assert applied.index(shared) < applied.index(user)
        assert applied.index(shared) < applied.index("CastReviewVote.sql")


def test_the_header_reader_sees_a_renamed_parameter(tmp_path: Path) -> None:
    """The check can fail: a header that drifted from the binding is noticed."""
    original = (PROCEDURES_DIR / "SendMessage.sql").read_text()
    drifted = tmp_path / "SendMessage.sql"
    drifted.write_text(original.replace("@ReceiverId bigint,", "@RecipientId bigint,", 1))
    header = read_header(drifted)
    assert header.params != expected_params(STORE_OPERATIONS["send_message"])
    assert ("RecipientId", False) in header.params


def test_send_message_batch_reads_its_outputs_last() -> None:
    batch = STORE_OPERATIONS["send_message"].batch()
    assert batch.startswith("SET NOCOUNT ON; DECLARE @o_ConversationId varchar(41), ")
    assert "@Duplicate = @o_Duplicate OUTPUT" in batch
    assert batch.endswith(
        "SELECT @o_ConversationId, @o_MessageId, @o_IsFirst, @o_PreModerationStatus, @o_Duplicate;"
    )
    assert batch.count("?") == len(STORE_OPERATIONS["send_message"].params)


def test_none_arguments_become_null_literals_not_untyped_markers() -> None:
    procedure = STORE_OPERATIONS["get_history_page"]
    batch, values = procedure.bind((7, "3-7", None, 11))
    assert "@BeforeMessageId = NULL" in batch
    assert batch.count("?") == len(values) == 3
    assert values == [7, "3-7", 11]
    with pytest.raises(TypeError, match="takes 4 arguments"):
        procedure.bind((7,))
