"""Telegram Desktop JSON: both shapes, old and new schemas, repairs and clear errors."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from parley.client.analytics.model import ImportProblem, MessageKind
from parley.client.analytics.telegram import read_telegram, repair_escapes


def write(tmp_path: Path, document: Any, name: str = "result.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(document, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def test_single_chat_new_schema_with_entities_and_call(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        {
            "name": "Alex",
            "type": "personal_chat",
            "id": 42,
            "messages": [
                {
                    "id": 1,
                    "type": "message",
                    "date": "2023-08-23T13:11:23",
                    "date_unixtime": "1692796283",
                    "from": "Alex",
                    "from_id": "user42",
                    "text": ["see ", {"type": "link", "text": "https://x.org"}, " ok"],
                },
                {
                    "id": 2,
                    "type": "service",
                    "date": "2023-08-23T13:20:00",
                    "actor": "Sam",
                    "actor_id": "user7",
                    "action": "phone_call",
                    "duration_seconds": 65,
                    "text": "",
                },
                {
                    "id": 3,
                    "type": "message",
                    "date": "2023-08-23T13:21:00",
                    "from": "Sam",
                    "from_id": "user7",
                    "photo": "photos/1.jpg",
                    "text": "",
                },
            ],
        },
    )
    (chat,) = read_telegram(path)
    first, call, photo = chat.messages
    # Local wall-clock "date" wins over the UTC instant: no zone is invented.
    assert first.time == datetime(2023, 8, 23, 13, 11, 23)
    assert first.text == "see https://x.org ok"
    assert call.kind is MessageKind.CALL
    assert call.duration_seconds == 65
    assert photo.kind is MessageKind.MEDIA
    assert chat.participants == ["Alex", "Sam"]
    assert (chat.me, chat.me_source) == ("Sam", "chat-name")


def test_full_account_export_with_old_integer_ids_finds_me_by_id(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        {
            "personal_information": {"user_id": 7, "first_name": "Sam", "last_name": "Lee"},
            "chats": {
                "about": "...",
                "list": [
                    {
                        "name": "Climbers",
                        "type": "private_supergroup",
                        "id": 1,
                        "messages": [
                            {"id": 1, "type": "message", "date": "2020-10-13T23:31:04",
                             "from": "Sam L.", "from_id": 7, "text": "hi"},
                            {"id": 2, "type": "message", "date": "2020-10-13T23:32:00",
                             "from": "Bo", "from_id": 8, "text": "hey"},
                        ],
                    },
                    {"name": "Empty", "type": "personal_chat", "id": 2, "messages": []},
                ],
            },
        },
    )  # fmt: skip
    group, empty = read_telegram(path)
    assert group.is_group
    assert (group.me, group.me_source) == ("Sam L.", "export")
    assert group.source.endswith("#$.chats.list[0]")
    assert empty.messages == []


def test_only_unix_time_is_shown_in_utc(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        {
            "messages": [
                {"type": "message", "date_unixtime": "1544006350", "from": "A", "text": "x"}
            ]
        },
    )
    (chat,) = read_telegram(path)
    assert chat.messages[0].time == datetime(2018, 12, 5, 10, 39, 10)


def test_x_escapes_are_repaired_and_reported(tmp_path: Path) -> None:
    raw = (
        b'{"name": "A", "type": "personal_chat", "messages": [{"type": "message", '
        b'"date": "2020-01-01T10:00:00", "from": "A", "text": "bell\\x07 and \\\\x41"}]}'
    )
    path = tmp_path / "result.json"
    path.write_bytes(raw)
    (chat,) = read_telegram(path)
    assert chat.messages[0].text == "bell\x07 and \\x41"  # an escaped backslash is left alone
    assert any("repaired 1" in note for note in chat.notes)


def test_repair_escapes_counts_raw_control_bytes() -> None:
    repaired, count = repair_escapes(b'{"t": "a\x01b\\x1f"}')
    assert json.loads(repaired) == {"t": "a\x01b\x1f"}
    assert count == 2


def test_malformed_json_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "result.json"
    path.write_text('{\n "name": "A"\n "messages": []\n}', encoding="utf-8")
    with pytest.raises(ImportProblem) as raised:
        read_telegram(path)
    assert raised.value.code == "bad-json"
    assert raised.value.where == "line 3, column 2"


def test_wrong_field_names_its_json_path(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        {"messages": [{"type": "message", "date": "2020-01-01T00:00:00", "text": {"x": 1}}]},
    )
    with pytest.raises(ImportProblem) as raised:
        read_telegram(path)
    assert raised.value.where == "$.messages[0].text"


def test_not_a_telegram_export(tmp_path: Path) -> None:
    path = write(tmp_path, {"hello": "world"})
    with pytest.raises(ImportProblem, match=r"chats\.list"):
        read_telegram(path)


def test_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "result.json"
    document = {
        "messages": [{"type": "message", "date": "2020-01-01T10:00:00", "from": "A", "text": "x"}]
    }
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(document).encode())
    (chat,) = read_telegram(path)
    assert chat.messages[0].text == "x"
