"""The ``parley`` command: the desktop app by default, and every subcommand beside it.

Subcommands live next to the code they drive (``parley.server.cli``,
``parley.server.moderation.cli``, ``parley.client.analytics.cli``) and are imported only
when invoked, following click's lazy-group pattern, so ``parley serve`` never loads Qt
and ``parley --help`` stays fast.
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

import click

# name -> "module:attribute" of a click command or group
SUBCOMMANDS: dict[str, str] = {
    "serve": "parley.server.cli:serve",
    "user": "parley.server.cli:user",
    "db": "parley.server.cli:db",
    "moderation": "parley.server.moderation.cli:moderation",
    "analytics": "parley.client.analytics.cli:analytics",
}

SUBCOMMAND_HELP: dict[str, str] = {
    "serve": "Run the chat server (websockets) for a team.",
    "user": "Manage accounts and roles.",
    "db": "Database maintenance: migrations, archiving.",
    "moderation": "Train, score with and run the moderation pipeline.",
    "analytics": "Wrapped-style reports over chat exports, computed locally.",
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(SUBCOMMANDS))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in SUBCOMMANDS:
            module_name, attribute = SUBCOMMANDS[cmd_name].split(":")
            command = getattr(importlib.import_module(module_name), attribute)
            assert isinstance(command, click.Command)
            return command
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, SUBCOMMAND_HELP.get(name, "")) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, invoke_without_command=True)
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.version_option(package_name="parley")
@click.pass_context
def main(ctx: click.Context, verbose: int) -> None:
    """Parley: self-hosted real-time chat.

    With no command, opens the desktop app; when no server is configured it starts the
    bundled server on an embedded SQLite database, so one command gives a working app.
    """
    logging.basicConfig(
        level=logging.WARNING - 10 * min(verbose, 2) if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if ctx.invoked_subcommand is None:
        _open_app(ctx)


def _open_app(ctx: click.Context) -> None:
    app: Any = importlib.import_module("parley.client.app")
    try:
        code = app.run()
    except app.NoDisplay as exc:
        # A machine without a display (a server, a container) still gets the main job.
        logging.getLogger("parley").warning("%s Starting the server instead.", exc)
        ctx.invoke(LazyGroup.get_command(main, ctx, "serve"))  # type: ignore[arg-type]
        return
    ctx.exit(code)
