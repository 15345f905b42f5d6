"""Whatever bytes a user drops in, the answer is chats or a clear ImportProblem."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from parley.client.analytics.importers import read_export, settle_me
from parley.client.analytics.model import Chat, ImportProblem, Message

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=12,
)
KEYS = st.sampled_from(
    ["type", "date", "date_unixtime", "from", "from_id", "text", "actor", "action", "photo", "poll"]
)


def read_bytes(data: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"export{suffix}"
        path.write_bytes(data)
        problem: ImportProblem | None = None
        try:
            read_export(path)
        except ImportProblem as caught:
            problem = caught
        if problem is not None:
            assert str(path) in str(problem)


@settings(max_examples=80, deadline=None)
@given(data=st.binary(max_size=300), suffix=st.sampled_from([".txt", ".json", ".zip"]))
def test_random_bytes_never_crash(data: bytes, suffix: str) -> None:
    read_bytes(data, suffix)


@settings(max_examples=80, deadline=None)
@given(fields=st.dictionaries(KEYS, JSON, max_size=6), chat_type=JSON)
def test_odd_telegram_messages_never_crash(fields: dict[str, Any], chat_type: Any) -> None:
    document = {"name": "x", "type": chat_type, "messages": [fields]}
    read_bytes(json.dumps(document).encode(), ".json")


@settings(max_examples=80, deadline=None)
@given(
    lines=st.lists(
        st.text(alphabet="0123456789/.-:,[] APMapm\u202f\n~é😂", max_size=40), max_size=8
    )
)
def test_header_like_noise_never_crashes(lines: list[str]) -> None:
    read_bytes("\n".join(["12/03/2021, 10:00 - Ana: hi", *lines]).encode(), ".txt")


def test_settle_me_prefers_the_name_present_in_most_chats() -> None:
    from datetime import datetime

    def chat(*authors: str) -> Chat:
        messages = [
            Message(time=datetime(2024, 1, 1, 9, i), author=a, text="x")
            for i, a in enumerate(authors)
        ]
        return Chat(platform="whatsapp", name="c", source="c", messages=messages)

    chats = [chat("Ann", "Sam", "Ann"), chat("Bob", "Sam", "Bob"), chat("Cy", "Cy")]
    settle_me(chats, None)
    assert [(c.me, c.me_source) for c in chats] == [
        ("Sam", "most-chats"),
        ("Sam", "most-chats"),
        ("Cy", "most-frequent"),
    ]
    assert "pass --me" in chats[0].notes[-1]
    settle_me(chats, "Sam")
    assert [(c.me, c.me_source) for c in chats] == [
        ("Sam", "option"),
        ("Sam", "option"),
        (None, ""),
    ]
