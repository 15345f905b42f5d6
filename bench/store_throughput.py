"""SendMessage throughput and latency of the SQLite store, with group commit.

    python -m bench.store_throughput --rate 2000 --seconds 10
    python -m bench.store_throughput --concurrency 256 --messages 40000

With ``--rate`` the load is open-loop: sends are started on a fixed schedule whatever
the store's speed, and latency is measured from the scheduled start to the committed
answer, so a store that falls behind shows it in its percentiles (no coordinated
omission). Without it, ``--concurrency`` senders each send as fast as they are answered:
the maximum throughput. The store runs on a temporary file (or ``--path``) with the
real durability setting (``--synchronous full`` by default).

Last line: ``mode=… synchronous=… sent=… seconds=… throughput=… p50_ms=… p99_ms=…
max_ms=… commits=… writes_per_commit=… writer_cpu_us=… slice_reads_per_s=…
slice_p99_ms=…`` (``writer_cpu_us``: the writer thread's CPU time per send, SQL and
commit included; the last two: chat-state slice reads, measured after the sends).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.percentiles import percentile
from parley.server.store.sqlite import SqliteStore
from parley.server.store.sqlite_engine import Synchronous
from parley.shared.models import Role, User


async def make_users(store: SqliteStore, count: int) -> list[User]:
    return list(
        await asyncio.gather(
            *(
                store.create_user(
                    username=f"bench{i}",
                    display_name=f"Bench {i}",
                    password_hash="h",
                    role=Role.USER,
                )
                for i in range(count)
            )
        )
    )


class Load:
    def __init__(self, store: SqliteStore, users: list[User]) -> None:
        self.store = store
        self.users = users
        self.sent = 0
        self.latencies_ms: list[float] = []

    async def send_one(self, started: float) -> None:
        n = self.sent
        self.sent += 1
        pair = (2 * n) % len(self.users)
        sender, receiver = self.users[pair], self.users[pair + 1]
        if n % 2:
            sender, receiver = receiver, sender
        await self.store.send_message(
            sender_id=sender.id,
            receiver_id=receiver.id,
            text=f"benchmark message {n} with some ordinary length to it",
            sent_at=datetime.now(UTC),
            premoderate_first=False,
            client_message_id=f"b{n}",
        )
        self.latencies_ms.append((time.perf_counter() - started) * 1000)


async def open_loop(load: Load, rate: float, seconds: float) -> float:
    interval = 1.0 / rate
    total = int(rate * seconds)
    begin = time.perf_counter()
    tasks: list[asyncio.Task[None]] = []
    for i in range(total):
        due = begin + i * interval
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(load.send_one(due)))
    await asyncio.gather(*tasks)
    return time.perf_counter() - begin


async def closed_loop(load: Load, concurrency: int, messages: int) -> float:
    begin = time.perf_counter()

    async def sender() -> None:
        while load.sent < messages:
            await load.send_one(time.perf_counter())

    await asyncio.gather(*(sender() for _ in range(concurrency)))
    return time.perf_counter() - begin


async def slice_reads(
    store: SqliteStore, users: list[User], count: int
) -> tuple[float, list[float]]:
    """Closed-loop get_conversations calls, what the chat-state coalescer runs after events."""
    latencies: list[float] = []
    done = 0
    begin = time.perf_counter()

    async def reader() -> None:
        nonlocal done
        while done < count:
            n = done
            done += 1
            user = users[n % len(users)]
            partner = users[n % len(users) ^ 1]
            conversation = f"{min(user.id, partner.id)}-{max(user.id, partner.id)}"
            started = time.perf_counter()
            await store.get_conversations(user.id, [conversation])
            latencies.append((time.perf_counter() - started) * 1000)

    await asyncio.gather(*(reader() for _ in range(16)))
    return time.perf_counter() - begin, latencies


async def main(args: argparse.Namespace) -> str:
    with tempfile.TemporaryDirectory(prefix="parley-bench-") as tmp:
        path = Path(args.path) if args.path else Path(tmp) / "bench.db"
        store = SqliteStore(path, synchronous=Synchronous(args.synchronous.upper()))
        await store.open()
        try:
            users = await make_users(store, args.users)
            load = Load(store, users)
            commits_before = store.writer.batches
            writes_before = store.writer.writes
            cpu_before = store.writer.cpu_seconds
            if args.rate:
                mode = f"open_loop_rate_{args.rate:g}"
                elapsed = await open_loop(load, args.rate, args.seconds)
            else:
                mode = f"closed_loop_concurrency_{args.concurrency}"
                elapsed = await closed_loop(load, args.concurrency, args.messages)
            commits = store.writer.batches - commits_before
            writes = store.writer.writes - writes_before
            writer_cpu = store.writer.cpu_seconds - cpu_before
            read_seconds, read_latencies = await slice_reads(store, users, args.reads)
        finally:
            await store.close()
    lat = load.latencies_ms
    return (
        f"mode={mode} synchronous={args.synchronous.lower()} sent={load.sent} "
        f"seconds={elapsed:.2f} throughput={load.sent / elapsed:.0f} "
        f"p50_ms={statistics.median(lat):.2f} p99_ms={percentile(lat, 0.99):.2f} "
        f"max_ms={max(lat):.2f} commits={commits} "
        f"writes_per_commit={writes / max(commits, 1):.1f} "
        f"writer_cpu_us={writer_cpu / max(writes, 1) * 1e6:.0f} "
        f"slice_reads_per_s={len(read_latencies) / read_seconds:.0f} "
        f"slice_p99_ms={percentile(read_latencies, 0.99):.2f}"
    )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=0.0, help="open-loop sends per second")
    parser.add_argument("--seconds", type=float, default=10.0, help="open-loop duration")
    parser.add_argument("--concurrency", type=int, default=256, help="closed-loop senders")
    parser.add_argument("--messages", type=int, default=20_000, help="closed-loop total")
    parser.add_argument("--users", type=int, default=1000, help="users, sending in pairs")
    parser.add_argument("--reads", type=int, default=5000, help="get_conversations calls after")
    parser.add_argument("--synchronous", choices=["full", "normal"], default="full")
    parser.add_argument("--path", help="database file (default: a temporary one)")
    args = parser.parse_args()
    if args.users < 2 or args.users % 2:
        parser.error("--users must be an even number >= 2")
    return args


if __name__ == "__main__":
    print(asyncio.run(main(parse_args())))
