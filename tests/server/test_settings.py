"""Settings precedence: flags > PARLEY_* environment > config file > defaults."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from parley.server.settings import Settings, load_settings


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "config.toml"
    monkeypatch.setenv("PARLEY_CONFIG_FILE", str(path))
    return path


def test_defaults(config: Path) -> None:
    settings = Settings()
    assert (settings.host, settings.port, settings.max_text_length) == ("127.0.0.1", 8765, 1024)
    assert settings.database_url.startswith("sqlite:///")
    assert settings.database_url.endswith("parley.db")
    assert settings.tls_cert is None


def test_flags_beat_environment_beat_config_file(config: Path, monkeypatch) -> None:
    config.write_text('port = 9000\nhost = "0.0.0.0"\ncoalesce_ms = 7.5\n')
    assert Settings().port == 9000
    monkeypatch.setenv("PARLEY_PORT", "9100")
    settings = Settings()
    assert (settings.port, settings.host, settings.coalesce_ms) == (9100, "0.0.0.0", 7.5)
    assert load_settings(port=9200, host=None).port == 9200
    assert load_settings(port=9200, host=None).host == "0.0.0.0"


def test_bad_values_are_refused(config: Path, monkeypatch) -> None:
    monkeypatch.setenv("PARLEY_PORT", "not-a-port")
    with pytest.raises(ValidationError):
        Settings()
    monkeypatch.delenv("PARLEY_PORT")
    with pytest.raises(ValidationError, match="tls_cert and tls_key"):
        Settings(tls_cert=Path("cert.pem"))
    with pytest.raises(ValidationError):
        Settings(max_text_length=5000)
