"""The moderation worker's store half on SQL Server: the queue read and applied decisions.

    PARLEY_TEST_MSSQL_DSN='mssql://...' python -m bench.mssql_moderation --messages 20000
    python -m bench.mssql_moderation --dsn 'mssql://...' --batch-size 256 --review-share 0.1

Sends ``--messages`` messages first (not timed), then drains them the way
``ModerationWorker`` does, without the engine: GetUnmoderatedMessages for the next
batch after the cursor, then ApplyModerationDecisions for all of it (every message
approved, except ``--review-share`` of them sent to review, which also queues a review
item). What is timed is the store's share of the worker's throughput, the part that
differs between SQLite and SQL Server; the engine's share is bench.moderation_worker's.
Users are named per run, so a database may be reused (the queue may hold other runs'
undecided messages: they are drained too and counted). Needs a prepared database
(docs/mssql.md); without one it says so and prints ``skipped=1``.

Last line: ``backend=mssql batch=… decided=… seconds=… throughput=… p50_batch_ms=…
p99_batch_ms=…`` (or ``skipped=1 reason=…``).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import time
import uuid
from datetime import UTC, datetime

from bench.percentiles import percentile
from parley.server.store.moderation import DecisionRecord
from parley.shared.models import Message, ModerationStatus, Role
from parley.shared.moderation import ReviewSource


def decide(message: Message, review: bool) -> DecisionRecord:
    if review:
        return DecisionRecord(
            message_id=message.id,
            status=ModerationStatus.IN_REVIEW,
            verdict="review",
            band="ML_BAD_HIGH",
            overall=0.9,
            category="harassment",
            tier=2,
            reason="harassment",
            model_version="bench",
            review_source=ReviewSource.MODEL,
            review_priority=20,
        )
    return DecisionRecord(
        message_id=message.id,
        status=ModerationStatus.APPROVED,
        verdict="approve",
        band="ML_OK",
        overall=0.01,
        tier=2,
        model_version="bench",
    )


async def main(args: argparse.Namespace) -> str:
    from parley.server.store.mssql import MssqlStore

    store = MssqlStore(args.dsn, pool_size=4)
    await store.open()
    try:
        run = uuid.uuid4().hex[:8]
        users = [
            await store.create_user(
                username=f"bench_{run}_{i}", display_name=f"Bench {i}", password_hash="h",
                role=Role.USER,
            )
            for i in range(args.users)
        ]  # fmt: skip
        for n in range(args.messages):
            a, b = users[(2 * n) % len(users)], users[(2 * n + 1) % len(users)]
            await store.send_message(
                sender_id=a.id,
                receiver_id=b.id,
                text=f"message {n}",
                sent_at=datetime.now(UTC),
                premoderate_first=False,
                client_message_id=f"{run}-{n}",
            )
        chance = random.Random(7)
        batches: list[float] = []
        decided = 0
        cursor = 0
        began = time.perf_counter()
        while True:
            started = time.perf_counter()
            batch = await store.get_unmoderated_messages(after_id=cursor, limit=args.batch_size)
            if not batch:
                break
            outcome = await store.apply_moderation_decisions(
                [decide(m, chance.random() < args.review_share) for m in batch], votes_needed=3
            )
            batches.append((time.perf_counter() - started) * 1000)
            decided += len(outcome.applied)
            cursor = batch[-1].id
        seconds = time.perf_counter() - began
    finally:
        await store.close()
    return (
        f"backend=mssql batch={args.batch_size} decided={decided} seconds={seconds:.2f} "
        f"throughput={decided / seconds if seconds else 0.0:.0f} "
        f"p50_batch_ms={percentile(batches, 0.5, empty=0.0):.2f} "
        f"p99_batch_ms={percentile(batches, 0.99, empty=0.0):.2f}"
    )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dsn", default=os.environ.get("PARLEY_TEST_MSSQL_DSN", ""))
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--review-share", type=float, default=0.05)
    return parser.parse_args()


if __name__ == "__main__":
    arguments = parse_args()
    if not arguments.dsn:
        print("no SQL Server: give --dsn or set PARLEY_TEST_MSSQL_DSN")
        print("skipped=1 reason=no_sql_server")
    else:
        print(asyncio.run(main(arguments)))
