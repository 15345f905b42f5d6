"""What the client keeps on disk: outbox, tokens, settings; and its reconnect timing."""

from __future__ import annotations

from pathlib import Path

import pytest

from parley.client.connection import backoff_delay
from parley.client.credentials import TokenStore
from parley.client.outbox import DeliveryState, Outbox
from parley.client.settings import (
    ClientSettings,
    load_settings,
    save_settings,
    validate_server_url,
)


def test_outbox_survives_a_restart_with_the_same_ids(tmp_path: Path) -> None:
    path = tmp_path / "outbox.json"
    outbox = Outbox(path)
    first = outbox.add(conversation_id="1-2", to=2, text="one")
    second = outbox.add(conversation_id="1-2", to=2, text="two")
    outbox.mark_failed(second.client_message_id, "text_too_long", "Too long.")
    reopened = Outbox(path)
    assert [e.client_message_id for e in reopened.entries()] == [
        first.client_message_id,
        second.client_message_id,
    ]
    assert [e.text for e in reopened.pending()] == ["one"]
    failed = reopened.get(second.client_message_id)
    assert failed is not None
    assert failed.state is DeliveryState.FAILED
    reopened.retry(second.client_message_id)
    reopened.acknowledge(first.client_message_id)
    assert [e.text for e in Outbox(path).pending()] == ["two"]
    assert path.stat().st_mode & 0o077 == 0


def test_an_unreadable_outbox_is_kept_aside_not_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "outbox.json"
    path.write_text("{not json")
    assert len(Outbox(path)) == 0
    assert path.with_suffix(".broken").read_text() == "{not json"


def test_tokens_fall_back_to_a_private_file_and_say_so(tmp_path: Path) -> None:
    store = TokenStore(fallback_file=tmp_path / "tokens.json", use_keyring=False)
    assert store.fallback_warning is not None
    assert "private file" in store.fallback_warning
    store.save("wss://chat.example.com", "maya", "secret-token")
    assert (tmp_path / "tokens.json").stat().st_mode & 0o777 == 0o600
    assert store.load("wss://chat.example.com") == ("maya", "secret-token")
    store.delete("wss://chat.example.com")
    assert store.load("wss://chat.example.com") is None


def test_settings_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "client.json"
    assert load_settings(path).uses_bundled_server
    save_settings(ClientSettings(server_url="wss://chat.example.com", last_username="maya"), path)
    loaded = load_settings(path)
    assert loaded.server_url == "wss://chat.example.com"
    assert not loaded.uses_bundled_server
    path.write_text("[]")
    assert load_settings(path) == ClientSettings()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("  wss://chat.example.com ", "wss://chat.example.com"),
        ("WS://127.0.0.1:8765", "ws://127.0.0.1:8765"),
    ],
)
def test_server_urls_are_ws_or_wss(url: str, expected: str) -> None:
    assert validate_server_url(url) == expected


@pytest.mark.parametrize(
    "url", ["http://chat.example.com", "chat.example.com", "wss://", "ws://:80"]
)
def test_bad_server_urls_are_refused_with_a_sentence(url: str) -> None:
    with pytest.raises(ValueError, match=r"ws://|host"):
        validate_server_url(url)


def test_backoff_grows_is_capped_and_jittered() -> None:
    assert backoff_delay(0, rand=lambda: 0.0) == pytest.approx(0.25)
    assert backoff_delay(0, rand=lambda: 1.0) == pytest.approx(0.5)
    assert backoff_delay(3, rand=lambda: 1.0) == pytest.approx(4.0)
    assert backoff_delay(50, cap=15.0, rand=lambda: 1.0) == pytest.approx(15.0)
    assert backoff_delay(50, cap=15.0, rand=lambda: 0.0) == pytest.approx(7.5)
