"""The Parley "download my data" document: round trip, local times, and refusals."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from parley.client.analytics.importers import read_export
from parley.client.analytics.model import ImportProblem, MessageKind
from parley.shared.data_export import (
    DataExport,
    ExportedConversation,
    ExportedMessage,
    ExportedUser,
    encode_data_export,
)

ME = ExportedUser(id=1, username="sam", display_name="Sam")
ALEX = ExportedUser(id=2, username="alex", display_name="Alex")


def export(time_zone: str | None = "Europe/Madrid") -> DataExport:
    return DataExport(
        exported_at=datetime(2024, 7, 1, tzinfo=UTC),
        user=ME,
        time_zone=time_zone,
        conversations=[
            ExportedConversation(
                conversation_id="c1",
                other_user=ALEX,
                created_at=datetime(2024, 6, 1, tzinfo=UTC),
                messages=[
                    ExportedMessage(
                        id=1,
                        sender_id=2,
                        sent_at=datetime(2024, 6, 1, 20, 0, tzinfo=UTC),
                        text="hi",
                    ),
                    ExportedMessage(
                        id=2,
                        sender_id=1,
                        sent_at=datetime(2024, 6, 1, 20, 3, tzinfo=UTC),
                        text="",
                        deleted=True,
                    ),
                ],
            )
        ],
    )


def test_round_trip_into_one_chat_per_conversation_in_the_users_zone(tmp_path: Path) -> None:
    path = tmp_path / "parley-data.json"
    path.write_bytes(encode_data_export(export()))
    (chat,) = read_export(path)
    assert chat.platform == "parley"
    assert (chat.me, chat.me_source) == ("Sam", "export")
    assert chat.participants == ["Alex", "Sam"]
    assert chat.messages[0].time == datetime(2024, 6, 1, 22, 0)  # CEST is UTC+2 in June
    assert chat.messages[1].kind is MessageKind.DELETED


def test_without_zone_times_stay_utc(tmp_path: Path) -> None:
    path = tmp_path / "parley-data.json"
    path.write_bytes(encode_data_export(export(time_zone=None)))
    (chat,) = read_export(path)
    assert chat.messages[0].time == datetime(2024, 6, 1, 20, 0)


def test_unknown_version_is_refused_with_its_path(tmp_path: Path) -> None:
    path = tmp_path / "parley-data.json"
    path.write_bytes(encode_data_export(export()).replace(b'"version":1', b'"version":9'))
    with pytest.raises(ImportProblem) as raised:
        read_export(path)
    assert raised.value.where == "$.version"


def test_unexpected_field_is_refused_with_its_path(tmp_path: Path) -> None:
    path = tmp_path / "parley-data.json"
    path.write_bytes(encode_data_export(export()).replace(b'"text":"hi"', b'"text":"hi","x":1'))
    with pytest.raises(ImportProblem) as raised:
        read_export(path)
    assert raised.value.where.startswith("$.conversations[0].messages[0]")
