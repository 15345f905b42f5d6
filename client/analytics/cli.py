"""``parley analytics FILE... --format json|html``: reports for scripts, or the window."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
import msgspec

from parley.client.analytics.importers import read_exports
from parley.client.analytics.model import ImportProblem
from parley.client.analytics.reports.comparative import (
    Figures,
    anonymized_figures,
    merge_figures,
    my_messages,
)
from parley.client.analytics.reports.document import build_document
from parley.client.analytics.whatsapp import DATE_ORDERS


def _load_aggregate(paths: tuple[Path, ...]) -> Figures | None:
    parts: list[Figures] = []
    for path in paths:
        try:
            parts.append(msgspec.json.decode(path.read_bytes(), type=Figures))
        except OSError as error:
            raise click.ClickException(f"{path}: cannot be read ({error.strerror})") from None
        except (msgspec.ValidationError, msgspec.DecodeError) as error:
            raise click.ClickException(f"{path}: not an analytics figures file ({error})") from None
    return merge_figures(parts) if parts else None


@click.command("analytics")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["json", "html"]),
    default="json",
    show_default=True,
)
@click.option(
    "--date-order",
    type=click.Choice(DATE_ORDERS),
    help="Read WhatsApp dates in this order instead of detecting it.",
)
@click.option("--me", help="Your name as written in the exports (default: inferred).")
@click.option(
    "-o", "--output", type=click.Path(path_type=Path), help="Write here instead of stdout."
)
@click.option(
    "--aggregate",
    type=click.Path(path_type=Path),
    multiple=True,
    help="Anonymized figures file(s) to compare with (merged when several).",
)
@click.option(
    "--figures-out",
    type=click.Path(path_type=Path),
    help="Also write your anonymized figures (no text, no names) to this file.",
)
@click.option("--window", is_flag=True, help="Open the analytics window instead.")
def analytics(
    files: tuple[Path, ...],
    output_format: str,
    date_order: str | None,
    me: str | None,
    output: Path | None,
    aggregate: tuple[Path, ...],
    figures_out: Path | None,
    window: bool,
) -> None:
    """Wrapped-style reports over WhatsApp, Telegram and Parley exports.

    Everything is computed on this machine; nothing is sent anywhere.
    """
    if window:
        from parley.client.analytics.window import run_window

        sys.exit(run_window(list(files), date_order=date_order, me=me))  # type: ignore[arg-type]
    if not files:
        raise click.UsageError("give at least one export file (or --window)")
    baseline = _load_aggregate(aggregate)
    try:
        chats = read_exports(list(files), date_order=date_order, me=me)  # type: ignore[arg-type]
    except ImportProblem as problem:
        raise click.ClickException(f"{problem} [{problem.code}]") from None
    document = build_document(chats, baseline)
    if output_format == "html":
        from parley.client.analytics.html_report import render_html

        text = render_html(document)
    else:
        text = json.dumps(document, ensure_ascii=False, indent=2)
    if figures_out is not None:
        figures_out.write_bytes(msgspec.json.encode(anonymized_figures(my_messages(chats))))
    if output is not None:
        output.write_text(text, encoding="utf-8")
    else:
        click.echo(text)
