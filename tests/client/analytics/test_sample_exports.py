"""Every shared sample export parses with the counts and details SOURCES.md asserts.

Where the sources disagree, the rules in docs/analytics.md decide (noted per case).
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from parley.client.analytics.importers import read_export
from parley.client.analytics.model import Chat, ImportProblem, MessageKind
from parley.client.analytics.reports.replies import runs


def people(chat: Chat) -> list[tuple[datetime, str | None, str]]:
    return [(m.time, m.author, m.text) for m in chat.messages if m.by_person]


def only_chat(path: Path) -> Chat:
    chats = read_export(path)
    assert len(chats) == 1
    return chats[0]


# file -> (messages written by people, system messages, distinct authors)
COUNTS = {
    "Chatistics/whatsapp/_chat 2.txt": (4, 0, 2),
    "Chatistics/whatsapp/_chat 3.txt": (9, 2, 5),
    "Chatistics/whatsapp/_chat 4.txt": (3, 0, 1),
    "Chatistics/whatsapp/_chat.txt": (20, 1, 2),
    "chat-miner/whatsapp/test_[mmddyy]_24hrs.txt": (6, 3, 5),
    "chat-miner/whatsapp/test_ddmmyy_24hrs.txt": (6, 3, 5),
    "chat-miner/whatsapp/test_mmddyy_24hrs.txt": (6, 3, 5),
    "chat-miner/whatsapp/test_mmddyyyy_12hrs.txt": (6, 3, 5),
    "chat-miner/whatsapp/test_yyyymmdd_24hrs.txt": (6, 3, 5),
    "langchain/document_loaders_whatsapp_chat_mixed.txt": (8, 0, 6),
    "whatstk/whatsapp/lorem-2000.txt": (2000, 0, 4),
    "whatstk/whatsapp/lorem-merge-part1.txt": (300, 0, 4),
    "whatstk/whatsapp/lorem-merge-part2.txt": (300, 0, 5),
    "whatstk/whatsapp/lorem.txt": (500, 0, 4),
    "whatstk/whatsapp/pokemon.txt": (18, 2, 8),
    "chat-miner/telegram/test_single_export.json": (2, 0, 2),
    "langchain/chat_loaders_telegram_result.json": (4, 0, 2),
    "telegram-chat-parser/saved.json": (20, 1, 2),
    "telegram-chat-parser/users_test.json": (8, 1, 3),
    "telegram-chat-parser/private_channel.json": (5, 2, 1),
    "telegram-chat-parser/public_channel.json": (5, 2, 1),
    "telegram-chat-parser/public_supergroup.json": (1, 3, 1),
    "telegram-chat-parser/private_group.json": (1, 1, 1),
    "telegram-chat-parser/bot.json": (2, 0, 2),
    "telegram-chat-parser/personal.json": (0, 0, 0),
}


@pytest.mark.parametrize("name", sorted(COUNTS))
def test_sample_counts(samples: Path, name: str) -> None:
    chat = only_chat(samples / name)
    expected_people, expected_system, expected_authors = COUNTS[name]
    written = [m for m in chat.messages if m.by_person]
    assert len(written) == expected_people
    assert len(chat.messages) - len(written) == expected_system
    assert len({m.author for m in written}) == expected_authors


def test_chat_miner_whatsapp_files_match_target(samples: Path) -> None:
    target = json.loads((samples / "chat-miner/whatsapp/target.json").read_text("utf-8"))
    # chat-miner lists newest first and joins lines with a space; we keep file order and
    # the line break, so compare after the same normalisation.
    expected = [
        (datetime.fromisoformat(row["timestamp"]), row["author"], row["message"])
        for row in reversed(target)
    ]
    for path in sorted((samples / "chat-miner/whatsapp").glob("test_*.txt")):
        got = [(t, a, text.replace("\n", " ")) for t, a, text in people(only_chat(path))]
        assert got == expected, path.name


def test_chatistics_chat_first_20_messages(samples: Path) -> None:
    chat = only_chat(samples / "Chatistics/whatsapp/_chat.txt")
    written = [m for m in chat.messages if m.by_person]
    senders = ["Alice Placeholder"] * 2 + ["John Doe"] * 2 + ["Alice Placeholder"]
    senders += ["John Doe"] * 3 + ["Alice Placeholder"] + ["John Doe"]
    senders += ["Alice Placeholder"] * 5 + ["John Doe"] * 4 + ["Alice Placeholder"]
    assert [m.author for m in written] == senders
    assert written[0].text == "This is a test message"
    assert written[7].text.startswith("בְּרֵאשִׁית")
    # The 4-digit-year header and the dash-less line are text of the message before them.
    assert written[16].text.endswith(
        "\n[1.2.2019, 00:00:00] John Doe: this line is not a message on its own"
    )
    assert (
        written[18].text
        == "What is that?\n2/11/19, 14:48 Alice Placeholder: this is a message from another chat!"
    )
    assert written[19].text == "This is the last message of this test file."


def test_chatistics_chat_2_is_day_first_with_a_pasted_header(samples: Path) -> None:
    chat = only_chat(samples / "Chatistics/whatsapp/_chat 2.txt")
    assert [t for t, _, _ in people(chat)] == [
        datetime(2019, 9, 17, 16, 37, 47),
        datetime(2019, 9, 17, 16, 38, 6),
        datetime(2019, 9, 17, 16, 38, 59),
        datetime(2019, 9, 17, 16, 39, 52),
    ]


def test_chatistics_chat_3_is_month_first_and_keeps_odd_names(samples: Path) -> None:
    chat = only_chat(samples / "Chatistics/whatsapp/_chat 3.txt")
    times = [t for t, _, _ in people(chat)]
    assert times[0] == datetime(2019, 2, 11, 14, 18)
    assert times[5] == datetime(2019, 10, 11, 14, 25)
    assert times[-1] == datetime(2019, 2, 11, 14, 51)
    assert "Even longer username with emoticons! 🙈 🙈" in chat.participants
    assert "The final test" in chat.participants
    assert people(chat)[-1][2].endswith("2/11/19: Arrival\n12/12/19: Departure")


def test_chatistics_chat_4_en_dash_and_lowercase_pm(samples: Path) -> None:
    chat = only_chat(samples / "Chatistics/whatsapp/_chat 4.txt")
    assert people(chat) == [
        (datetime(2019, 9, 17, 8, 30, 52), "John Doe", "US datetime format"),
        (datetime(2019, 9, 17, 16, 30, 10), "John Doe", "US datetime format"),
        (datetime(2019, 9, 18, 16, 50, 32), "John Doe", "US datetime format"),
    ]


def test_langchain_mixed_headers_in_file_order(samples: Path) -> None:
    chat = only_chat(samples / "langchain/document_loaders_whatsapp_chat_mixed.txt")
    assert [a for _, a, _ in people(chat)] == [
        "James", "User name", "User 2", "User 1", "~ User name 2", "~ User 2", "User 1", "User 2",
    ]  # fmt: skip
    assert people(chat)[3][2] == "And let me know if anything changes"  # "3:22_AM"


def test_whatstk_pokemon_group_name_lines_are_system(samples: Path) -> None:
    chat = only_chat(samples / "whatstk/whatsapp/pokemon.txt")
    by_group = [m for m in chat.messages if m.author == "Pokemon Chat"]
    assert by_group
    assert all(m.kind is MessageKind.SYSTEM for m in by_group)
    assert chat.messages[2].time == datetime(2016, 8, 6, 13, 23)


def test_whatstk_merge_parts_continue_with_a_new_author(samples: Path) -> None:
    part1 = only_chat(samples / "whatstk/whatsapp/lorem-merge-part1.txt")
    part2 = only_chat(samples / "whatstk/whatsapp/lorem-merge-part2.txt")
    assert part1.messages[-1].time < part2.messages[0].time
    assert "Maria" in part2.participants
    assert "Maria" not in part1.participants
    lorem = only_chat(samples / "whatstk/whatsapp/lorem.txt")
    assert lorem.messages[0].time == datetime(2020, 1, 15, 2, 22, 56)


@pytest.mark.parametrize(
    "name",
    ["chat-miner/telegram/test_single_export.json", "chat-miner/telegram/test_batch_export.json"],
)
def test_chat_miner_telegram_target(samples: Path, name: str) -> None:
    chats = read_export(samples / name)
    chat = next(c for c in chats if c.name in ("Chatname", "test_single_export"))
    # chat-miner joins entity texts with a space; Telegram's text is their concatenation.
    assert people(chat) == [
        (datetime(2018, 12, 5, 10, 39, 10), "Author 1", "Minimal Message"),
        (datetime(2018, 12, 5, 10, 49, 24), "Author 2", "Link:https://telegram.org/"),
    ]


def test_langchain_telegram_three_runs(samples: Path) -> None:
    chat = only_chat(samples / "langchain/chat_loaders_telegram_result.json")
    merged = [(run[0].author, "\n\n".join(m.text for m in run)) for run in runs(chat.messages)]
    assert merged == [
        ("Jimmeny Marvelton", "i refuse to converse with you"),
        ("Batman & Robin", "Hi nemesis"),
        ("Jimmeny Marvelton", "we meet again\n\nyou will not trick me this time"),
    ]


def test_telegram_chat_parser_users_and_saved(samples: Path) -> None:
    users = only_chat(samples / "telegram-chat-parser/users_test.json")
    assert users.participants == ["User1", "User2", "User4", "User3"]  # 4 users with ids
    saved = only_chat(samples / "telegram-chat-parser/saved.json")
    kinds = {m.kind for m in saved.messages}
    assert {MessageKind.TEXT, MessageKind.MEDIA, MessageKind.POLL, MessageKind.SYSTEM} <= kinds
    assert saved.messages[1].text == (
        "bold italic strikethrough underline @person http://google.com monospace "
        "http://mystery.knightlab.com/"
    )


def test_telegram_chat_parser_error_files_are_clear(samples: Path) -> None:
    with pytest.raises(ImportProblem) as invalid:
        read_export(samples / "telegram-chat-parser/error.json")
    assert invalid.value.where == "line 5, column 3"
    with pytest.raises(ImportProblem) as unexpected:
        read_export(samples / "telegram-chat-parser/error-unexpected.json")
    assert unexpected.value.where == "$.messages[0].type"
    assert "ERROR:wrong_type" in unexpected.value.reason
