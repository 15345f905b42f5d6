"""SendMessage throughput and latency of the SQL Server store (natively compiled).

    PARLEY_TEST_MSSQL_DSN='mssql://...' python -m bench.mssql_send_message --concurrency 64
    python -m bench.mssql_send_message --dsn 'mssql://...' --messages 20000 --users 1000

Closed loop: ``--concurrency`` senders each send as soon as the previous send was
answered (after SQL Server's commit), users sending in pairs. Users are named per run,
so a database may be reused. Needs a prepared database (docs/mssql.md); without one it
says so and prints ``skipped=1``.

Last line: ``backend=mssql delayed_durability=… sent=… seconds=… throughput=… p50_ms=…
p99_ms=… max_ms=…`` (or ``skipped=1 reason=…``).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import uuid
from datetime import UTC, datetime

from bench.percentiles import percentile
from parley.shared.models import Role


async def main(args: argparse.Namespace) -> str:
    from parley.server.store.mssql import MssqlStore

    store = MssqlStore(
        args.dsn, pool_size=args.concurrency, delayed_durability=args.delayed_durability
    )
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
        latencies: list[float] = []
        counter = iter(range(args.messages))

        async def sender() -> None:
            for n in counter:
                a, b = users[(2 * n) % len(users)], users[(2 * n + 1) % len(users)]
                started = time.perf_counter()
                await store.send_message(
                    sender_id=a.id,
                    receiver_id=b.id,
                    text=f"message {n}",
                    sent_at=datetime.now(UTC),
                    premoderate_first=False,
                    client_message_id=f"{run}-{n}",
                )
                latencies.append((time.perf_counter() - started) * 1000)

        began = time.perf_counter()
        await asyncio.gather(*(sender() for _ in range(args.concurrency)))
        seconds = time.perf_counter() - began
    finally:
        await store.close()
    return (
        f"backend=mssql delayed_durability={str(args.delayed_durability).lower()} "
        f"sent={len(latencies)} seconds={seconds:.2f} throughput={len(latencies) / seconds:.0f} "
        f"p50_ms={percentile(latencies, 0.5, empty=0.0):.2f} "
        f"p99_ms={percentile(latencies, 0.99, empty=0.0):.2f} "
        f"max_ms={max(latencies, default=0.0):.2f}"
    )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dsn", default=os.environ.get("PARLEY_TEST_MSSQL_DSN", ""))
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--delayed-durability", action="store_true")
    return parser.parse_args()


if __name__ == "__main__":
    arguments = parse_args()
    if not arguments.dsn:
        print("no SQL Server: give --dsn or set PARLEY_TEST_MSSQL_DSN")
        print("skipped=1 reason=no_sql_server")
    else:
        print(asyncio.run(main(arguments)))
