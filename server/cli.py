"""``parley serve``, ``parley user …`` and ``parley db …``.

Every command reads the same :class:`~parley.server.settings.Settings` (flags >
``PARLEY_*`` environment > config file > defaults), so ``--database`` given to ``user
add`` names the same database ``serve`` would use. Commands log what they did in
sentences an operator can keep.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import click
from pydantic import ValidationError

from parley.shared.errors import ParleyError
from parley.shared.models import Role

from .settings import Settings, load_settings

log = logging.getLogger("parley.server")

T = TypeVar("T")
DURATION_RE = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw])")
DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_duration(text: str) -> timedelta:
    """``30d``, ``12h``, ``90m``, ``45s``, ``2w`` (or a sum such as ``1d12h``)."""
    compact = text.replace(" ", "").lower()
    parts = DURATION_RE.findall(compact)
    if not parts or "".join(n + u for n, u in parts) != compact:
        raise click.BadParameter(f"{text!r} is not a duration such as 30d, 12h or 90m.")
    return timedelta(seconds=sum(float(n) * DURATION_UNITS[u] for n, u in parts))


def _settings(**flags: Any) -> Settings:
    try:
        return load_settings(**flags)
    except ValidationError as exc:
        raise click.UsageError(f"invalid settings: {exc}") from None


def _run(coro: Coroutine[Any, Any, T]) -> T:
    """Run a command's coroutine; domain refusals become a clean one-line error."""
    try:
        return asyncio.run(coro)
    except ParleyError as exc:
        raise click.ClickException(f"{exc.message} ({exc.code.value})") from None


@asynccontextmanager
async def _opened_store(settings: Settings) -> AsyncIterator[Any]:
    from .store.factory import UnsupportedDatabaseUrl, open_store

    try:
        store = open_store(settings.database_url)
    except UnsupportedDatabaseUrl as exc:
        raise click.UsageError(str(exc)) from None
    await store.open()
    try:
        yield store
    finally:
        await store.close()


def database_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--database",
        "database_url",
        metavar="URL",
        help="Database URL (default: sqlite:///<user data dir>/parley/parley.db; "
        "env PARLEY_DATABASE_URL).",
    )(func)


# --- serve --------------------------------------------------------------------------


@click.command()
@click.option("--host", help="Address to listen on (default 127.0.0.1; env PARLEY_HOST).")
@click.option("--port", type=int, help="Port to listen on (default 8765; 0 picks one).")
@database_option
@click.option(
    "--tls-cert",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Certificate chain (PEM) to serve wss:// (needs --tls-key).",
)
@click.option(
    "--tls-key",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Private key (PEM) of --tls-cert.",
)
@click.option(
    "--premoderate-first/--no-premoderate-first",
    default=None,
    help="Hold the first message of each new conversation for a moderator.",
)
@click.option("--max-text-length", type=int, help="Longest message text (default 1024).")
@click.option("--messages-per-minute", type=int, help="Sends allowed per user per minute.")
@click.option("--coalesce-ms", type=float, help="Chat-state burst window in ms (default 5).")
@click.option("--uvloop/--no-uvloop", "use_uvloop", default=None, help="Use uvloop if installed.")
def serve(**flags: Any) -> None:
    """Run the chat server (ws://127.0.0.1:8765 on a local SQLite database by default)."""
    from .app import run

    settings = _settings(**flags)
    log.info(
        "starting Parley on %s:%d with %s", settings.host, settings.port, settings.database_url
    )
    run(settings)


# --- user ---------------------------------------------------------------------------


@click.group()
def user() -> None:
    """Manage accounts and roles."""


@user.command("add")
@click.argument("name")
@click.option(
    "--role",
    type=click.Choice([r.value for r in Role]),
    default=Role.USER.value,
    show_default=True,
    help="What the account may do.",
)
@click.option("--display-name", help="Name shown to others (default: NAME).")
@click.option(
    "--password",
    envvar="PARLEY_PASSWORD",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="Password (prompted when absent; env PARLEY_PASSWORD).",
)
@database_option
def user_add(
    name: str, role: str, display_name: str | None, password: str, database_url: str | None
) -> None:
    """Create the account NAME (for example a moderator: --role moderator)."""
    settings = _settings(database_url=database_url)

    async def add() -> None:
        from .app import build_services

        async with _opened_store(settings) as store:
            accounts = build_services(settings, store).accounts
            created = await accounts.create_user(
                username=name, password=password, display_name=display_name, role=Role(role)
            )
            log.info("created %s %r (id %d)", created.role.value, created.username, created.id)

    _run(add())


@user.command("set-role")
@click.argument("name")
@click.argument("role", type=click.Choice([r.value for r in Role]))
@database_option
def user_set_role(name: str, role: str, database_url: str | None) -> None:
    """Give the account NAME the role ROLE (user, moderator or admin)."""
    settings = _settings(database_url=database_url)

    async def set_role() -> None:
        async with _opened_store(settings) as store:
            credentials = await store.get_credentials(name)
            if credentials is None:
                raise click.ClickException(f"There is no account named {name!r}.")
            updated = await store.set_user_role(credentials.user.id, Role(role))
            log.info("%r is now %s", updated.username, updated.role.value)

    _run(set_role())


# --- db -----------------------------------------------------------------------------


@click.group()
def db() -> None:
    """Database maintenance: migrations, archiving."""


@db.command("upgrade")
@database_option
@click.option("--dsn", default=None, help="SQL Server URL or ODBC string (docs/mssql.md).")
@click.option("--dry-run", is_flag=True, help="Print the SQL Server script; change nothing.")
def db_upgrade(database_url: str | None, dsn: str | None, dry_run: bool) -> None:
    """Apply pending schema migrations (serve also does this on start)."""
    if dsn is not None or dry_run:
        from .store.mssql_migrations import upgrade as mssql_upgrade

        try:
            click.echo(mssql_upgrade(dsn, dry_run))
        except ParleyError as exc:
            raise click.ClickException(exc.message) from None
        return
    settings = _settings(database_url=database_url)

    async def upgrade() -> None:
        async with _opened_store(settings):
            log.info("database %s is at the latest schema", settings.database_url)

    _run(upgrade())


@db.command("archive")
@click.option(
    "--older-than",
    "older_than",
    default="30d",
    show_default=True,
    help="Move hot messages older than this (30d, 12h, 90m) to the cold table.",
)
@click.option("--batch-size", type=click.IntRange(min=1), default=1000, show_default=True)
@database_option
def db_archive(older_than: str, batch_size: int, database_url: str | None) -> None:
    """Move old messages from the hot table to the cold one, in batches."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from .maintenance import archive_messages

    age = parse_duration(older_than)
    settings = _settings(database_url=database_url)
    cutoff = datetime.now(UTC) - age

    async def archive() -> int:
        async with _opened_store(settings) as store:
            with Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                TextColumn("{task.completed} moved"),
                TimeElapsedColumn(),
                transient=True,
            ) as progress:
                task = progress.add_task(f"archiving messages older than {older_than}")
                return await archive_messages(
                    store,
                    older_than=cutoff,
                    batch_size=batch_size,
                    progress=lambda moved: progress.advance(task, moved),
                )

    moved = _run(archive())
    log.info(
        "archived %d messages older than %s (before %s)", moved, older_than, cutoff.isoformat()
    )
    click.echo(f"archived={moved}")
