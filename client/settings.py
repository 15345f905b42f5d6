"""Client settings: which server to talk to and where the client keeps its files.

A JSON file in the platform's config folder (platformdirs). ``PARLEY_CLIENT_HOME``
moves every client file (settings, fallback token file, outbox, bundled database)
under one folder: tests, the screenshot script and a second instance on one machine
use it to stay apart from the user's own data.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import msgspec
import platformdirs

log = logging.getLogger(__name__)

APP_NAME = "parley"


def config_dir() -> Path:
    home = os.environ.get("PARLEY_CLIENT_HOME")
    if home:
        return Path(home) / "config"
    return Path(platformdirs.user_config_dir(APP_NAME))


def data_dir() -> Path:
    """Outbox, fallback token file and the bundled server's database live here."""
    home = os.environ.get("PARLEY_CLIENT_HOME")
    if home:
        return Path(home) / "data"
    return Path(platformdirs.user_data_dir(APP_NAME))


class ClientSettings(msgspec.Struct, kw_only=True):
    """What the client remembers between runs.

    ``server_url`` None means "the bundled server": started in-process on SQLite in
    :func:`data_dir`, so one command gives a working app.
    """

    server_url: str | None = None
    last_username: str = ""
    bundled_port: int = 0  # 0: any free port, chosen at start

    @property
    def uses_bundled_server(self) -> bool:
        return self.server_url is None


def settings_path() -> Path:
    return config_dir() / "client.json"


def load_settings(path: Path | None = None) -> ClientSettings:
    """The saved settings, or defaults when the file is missing or unreadable."""
    path = path or settings_path()
    try:
        return msgspec.json.decode(path.read_bytes(), type=ClientSettings)
    except FileNotFoundError:
        return ClientSettings()
    except (OSError, msgspec.DecodeError, msgspec.ValidationError) as exc:
        log.warning("Ignoring unreadable client settings %s: %s", path, exc)
        return ClientSettings()


def save_settings(settings: ClientSettings, path: Path | None = None) -> None:
    """Write atomically so a crash never leaves half a file behind."""
    path = path or settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(msgspec.json.format(msgspec.json.encode(settings)))
    os.replace(tmp, path)


def validate_server_url(url: str) -> str:
    """A ws:// or wss:// URL with a host, stripped; ValueError with a sentence otherwise."""
    url = url.strip()
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.lower() not in ("ws", "wss"):
        raise ValueError("The address must start with ws:// or wss://.")
    if not rest or rest.startswith(("/", ":")):
        raise ValueError("The address needs a host name, e.g. wss://chat.example.com.")
    return f"{scheme.lower()}://{rest}"
