"""Server settings: command-line flags > ``PARLEY_*`` environment > config file > defaults.

The config file is TOML at ``platformdirs.user_config_dir("parley")/config.toml`` (or the
path in ``PARLEY_CONFIG_FILE``); its keys are the field names below. One object carries
every knob so the server, the maintenance job and the CLI agree on what they run with.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import platformdirs
from pydantic import Field, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from parley.shared.conversations import MAX_TEXT_LENGTH


def config_file() -> Path:
    """Where the TOML config file is looked for (it need not exist)."""
    override = os.environ.get("PARLEY_CONFIG_FILE")
    if override:
        return Path(override)
    return Path(platformdirs.user_config_dir("parley")) / "config.toml"


def default_database_url() -> str:
    """The embedded default: a SQLite file in the user's data directory."""
    return f"sqlite:///{Path(platformdirs.user_data_dir('parley')) / 'parley.db'}"


class Settings(BaseSettings):
    """Everything ``parley serve`` and its maintenance job run with."""

    model_config = SettingsConfigDict(env_prefix="PARLEY_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(default=8765, ge=0, le=65535)
    database_url: str = Field(default_factory=default_database_url)
    tls_cert: Path | None = None
    tls_key: Path | None = None

    max_text_length: int = Field(default=MAX_TEXT_LENGTH, ge=1, le=MAX_TEXT_LENGTH)
    max_history_page: int = Field(default=100, ge=1, le=1000)
    max_find_users: int = Field(default=50, ge=1, le=500)
    premoderate_first: bool = False
    allow_registration: bool = True

    # Flooding: sends per user (all devices together), frames per connection.
    messages_per_minute: int = Field(default=120, ge=1)
    send_burst: int = Field(default=20, ge=1)
    frames_per_second: float = Field(default=50.0, gt=0)
    frame_burst: int = Field(default=200, ge=1)

    # Chat-state streaming: how long a burst is gathered before one read and one push.
    coalesce_ms: float = Field(default=5.0, ge=0)
    max_replay_events: int = Field(default=1000, ge=0)
    max_outbound_bytes: int = Field(default=8 * 1024 * 1024, ge=64 * 1024)
    # How often the event log is read for events other processes committed (a separate
    # moderation worker, `parley user`, another server on the database); 0 turns it off.
    event_tail_interval_ms: float = Field(default=200.0, ge=0)

    # Accounts. Lower argon2 costs only for tests and benchmarks.
    session_days: float = Field(default=30.0, gt=0)
    argon2_time_cost: int = Field(default=3, ge=1)
    argon2_memory_kib: int = Field(default=64 * 1024, ge=8)
    argon2_parallelism: int = Field(default=1, ge=1)

    # Maintenance: hot -> cold archiving and sequence-log pruning.
    archive_after_days: float = Field(default=30.0, gt=0)
    archive_batch_size: int = Field(default=1000, ge=1)
    event_retention_days: float = Field(default=30.0, gt=0)
    maintenance_interval_s: float = Field(default=3600.0, gt=0)

    # Moderation pipeline (the engine's own knobs are PARLEY_MODERATION_* in
    # parley.server.moderation.settings): the in-process worker, review votes and leases.
    moderation_enabled: bool = True
    moderation_votes_needed: int = Field(default=3, ge=1, le=15)
    moderation_lease_s: float = Field(default=300.0, gt=0)
    moderation_control_rate: float = Field(default=0.01, ge=0.0, le=1.0)
    moderation_poll_ms: float = Field(default=50.0, gt=0)

    use_uvloop: bool = True
    # How long the event loop may keep the interpreter while a store thread waits for it.
    switch_interval_ms: float = Field(default=0.25, gt=0, le=100)

    @model_validator(mode="after")
    def _tls_pair(self) -> Settings:
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ValueError("tls_cert and tls_key go together: give both or neither")
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (
            init_settings,
            env_settings,
            TomlConfigSettingsSource(settings_cls, toml_file=config_file()),
        )


def load_settings(**flags: Any) -> Settings:
    """Settings with the given flags on top; flags that are None were not given."""
    return Settings(**{key: value for key, value in flags.items() if value is not None})
