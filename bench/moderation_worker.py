"""Moderation worker throughput and commit→decision latency, end to end on SQLite.

    python -m bench.moderation_worker --messages 20000
    python -m bench.moderation_worker --messages 20000 --engine rules
    python -m bench.moderation_worker --rate 200 --seconds 10
    python -m bench.moderation_worker --messages 3000 --mix templates
    python -m bench.moderation_worker --messages 6000 --processes 2

Texts (``--mix``): ``chat`` (default) is the realistic mix of bench/moderation_latency.py —
65% short chat lines, 20% one to three sentences, 5% near the 1,024-character limit, 10%
abusive; short lines and abusive lines repeat, as they do in real traffic. ``templates``
cycles eight fixed lines, two of them abusive (25%), each made unique by a number suffix:
the older, harsher mix that defeats the cache of identical texts.

Throughput (default): ``--messages`` are committed first (a backlog, through the real
SendMessage), then the worker drains them — fetch, decide with the engine, apply through
ApplyModerationDecision (status, decision record, review item, events), in batches of
``--batch-size`` — and the rate is messages over the drain time. ``--engine full`` is the
server's engine (tier 1 rules + the shipped model; the active retrained version if any),
``--engine rules`` isolates the pipeline's own cost with tier 2 scoring nothing.

Scale-out (``--processes N``, N > 1): the same backlog is drained by N worker processes
on the same database, shard k taking the messages whose normalised text hashes to k
(mod N), as ``parley moderation worker --processes N`` runs them. Each loads its engine
first; the clock starts when all are ready and stops when the last is done.

Latency (``--rate``): a sender commits messages on a fixed schedule while the worker runs
as the server runs it (polling every ``--poll-ms``); the latency of each decision is the
store's record of commit → decision, the figure ``parley moderation stats`` reports.

Last line: ``mode=throughput engine=… mix=… processes=… messages=… seconds=… throughput=…
cpu_ms_per_msg=… …`` or ``mode=latency … p50_ms=… p99_ms=…``. ``cpu_ms_per_msg`` is the
CPU time of the worker process(es) — all threads — per message: the cost that does not
depend on what else the machine is running (throughput does).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import multiprocessing
import multiprocessing.synchronize
import queue
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.moderation_latency import text_mix
from parley.server.moderation.decision import Moderator
from parley.server.moderation.stats import compute
from parley.server.moderation.worker import (
    ModerationWorker,
    RulesOnlyModel,
    Shard,
    WorkerSettings,
    load_moderator,
)
from parley.server.store.sqlite import SqliteStore
from parley.shared.models import Role, User

TEXTS = (
    "see you at lunch tomorrow",
    "did you finish the report? the deadline is friday",
    "what the fuck is this",
    "haha that's hilarious, send me the video",
    "can you pick up milk on the way home",
    "you are such an idiot honestly",
    "meeting moved to 3pm, room 204",
    "happy birthday!! have a great one",
)


def engine(kind: str) -> Moderator:
    if kind == "full":
        return load_moderator()
    from parley.server.moderation.automations import RuleSet

    return Moderator(RulesOnlyModel(), RuleSet())


async def users(store: SqliteStore, count: int) -> list[User]:
    return [
        await store.create_user(
            username=f"bench{i}", display_name=f"Bench {i}", password_hash="x", role=Role.USER
        )
        for i in range(count)
    ]


def message_text(mix: str, n: int) -> str:
    if mix == "templates":
        return f"{TEXTS[n % len(TEXTS)]} {n}"
    return _CHAT_MIX[n % len(_CHAT_MIX)]


_CHAT_MIX = text_mix(20_000)


async def send_many(
    store: SqliteStore, people: list[User], count: int, start: int, mix: str = "chat"
) -> None:
    """Commit ``count`` messages, 256 at a time (group commit makes this quick)."""
    pairs = itertools.cycle(itertools.permutations(people, 2))
    for offset in range(0, count, 256):
        batch = []
        for n in range(start + offset, start + min(offset + 256, count)):
            sender, receiver = next(pairs)
            batch.append(
                store.send_message(
                    sender_id=sender.id,
                    receiver_id=receiver.id,
                    text=message_text(mix, n),
                    sent_at=datetime.now(UTC),
                    premoderate_first=False,
                    client_message_id=f"b{n}",
                )
            )
        await asyncio.gather(*batch)


def settings(args: argparse.Namespace, shard: Shard | None = None) -> WorkerSettings:
    return WorkerSettings(
        batch_size=args.batch_size,
        control_rate=0.01,
        decide_ahead=args.decide_ahead,
        shard=shard or Shard(),
    )


async def throughput(args: argparse.Namespace, store: SqliteStore) -> str:
    people = await users(store, 50)
    await send_many(store, people, args.messages, 0, args.mix)
    if args.processes > 1:
        drained, seconds, cpu = await asyncio.to_thread(in_processes, args, Path(store.path))
    else:
        worker = ModerationWorker(store, engine(args.engine), settings=settings(args))
        await worker.decider()
        started, cpu_started = time.perf_counter(), time.process_time()
        drained = await worker.drain()
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    assert drained == args.messages, (drained, args.messages)
    stats = compute(await store.get_moderation_stats_inputs(latency_window=args.messages))
    return (
        f"mode=throughput engine={args.engine} mix={args.mix} processes={args.processes} "
        f"messages={drained} seconds={seconds:.2f} "
        f"throughput={drained / seconds:.0f} cpu_ms_per_msg={1000 * cpu / drained:.3f} "
        f"batch_size={args.batch_size} "
        f"decide_ahead={args.decide_ahead} backlog_after={stats.backlog}"
    )


def in_processes(args: argparse.Namespace, path: Path) -> tuple[int, float, float]:
    """Drain with ``args.processes`` shard processes; (messages, seconds, CPU seconds)."""
    context = multiprocessing.get_context("spawn")  # no inherited threads or connections
    ready = context.Barrier(args.processes + 1)
    results: multiprocessing.Queue[tuple[int, float]] = context.Queue()
    workers = [
        context.Process(
            target=shard_process, args=(args, path, Shard(k, args.processes), ready, results)
        )
        for k in range(args.processes)
    ]
    for process in workers:
        process.start()
    try:
        ready.wait(timeout=120)  # every engine loaded (broken if a process died)
        started = time.perf_counter()
        drained, cpu = 0, 0.0
        for _ in workers:
            while True:
                try:
                    count, used = results.get(timeout=1.0)
                    drained, cpu = drained + count, cpu + used
                    break
                except queue.Empty:
                    if any(p.exitcode not in (None, 0) for p in workers):
                        raise RuntimeError("a worker process failed (see its traceback)") from None
        seconds = time.perf_counter() - started
    finally:
        for process in workers:
            process.join(timeout=60)
            if process.is_alive():
                process.terminate()
    return drained, seconds, cpu


def shard_process(
    args: argparse.Namespace,
    path: Path,
    shard: Shard,
    ready: multiprocessing.synchronize.Barrier,
    results: multiprocessing.Queue[tuple[int, float]],
) -> None:
    async def run() -> tuple[int, float]:
        store = SqliteStore(path)
        await store.open()
        try:
            worker = ModerationWorker(store, engine(args.engine), settings=settings(args, shard))
            await worker.decider()
            await asyncio.to_thread(ready.wait, 120)
            cpu_started = time.process_time()
            drained = await worker.drain()
            return drained, time.process_time() - cpu_started
        finally:
            await store.close()

    results.put(asyncio.run(run()))


async def latency(args: argparse.Namespace, store: SqliteStore) -> str:
    people = await users(store, 50)
    worker = ModerationWorker(
        store,
        engine(args.engine),
        settings=WorkerSettings(
            batch_size=args.batch_size,
            poll_interval_s=args.poll_ms / 1000,
            decide_ahead=args.decide_ahead,
        ),
    )
    await worker.decider()
    worker.start()
    total = int(args.rate * args.seconds)
    interval = 1.0 / args.rate
    started = time.perf_counter()
    for n in range(total):
        delay = started + n * interval - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        await send_many(store, people, 1, n, args.mix)
    await worker.stop()
    await worker.drain()  # what was still queued, decided at once as the running worker would
    stats = compute(await store.get_moderation_stats_inputs(latency_window=total))
    return (
        f"mode=latency engine={args.engine} mix={args.mix} messages={stats.decisions} "
        f"seconds={args.seconds} "
        f"rate={args.rate} poll_ms={args.poll_ms} p50_ms={stats.latency_p50_ms} "
        f"p99_ms={stats.latency_p99_ms}"
    )


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as folder:
        store = SqliteStore(Path(folder) / "bench.db")
        await store.open()
        try:
            line = await (latency(args, store) if args.rate else throughput(args, store))
        finally:
            await store.close()
    print(line)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--engine", choices=("full", "rules"), default="full")
    parser.add_argument("--mix", choices=("chat", "templates"), default="chat")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--decide-ahead", type=int, default=2)
    parser.add_argument("--processes", type=int, default=1, help="shard worker processes")
    parser.add_argument("--rate", type=float, default=0.0, help="messages/s (latency mode)")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--poll-ms", type=float, default=50.0)
    asyncio.run(main(parser.parse_args()))
