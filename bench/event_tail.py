"""What the event tail costs and how fast another process's events reach the event store.

Two :class:`SqliteStore` instances on one temporary file stand for the server and
another process (a separate moderation worker, say). Three measurements:

* idle: one empty ``get_events_after`` at the log's end, what the tail costs per
  interval when nothing happens, on a log of ``--log-events`` events;
* backlog: the other store commits ``--backlog`` messages (4 events each) while the
  tail is not polling, then one ``poll`` reads and publishes them all;
* delivery: the tail runs at ``--interval-ms``; the other store commits a message at
  random moments, and the time from its commit to the tail's publish is recorded.

The last line is ``key=value`` pairs.

    .venv/bin/python -m bench.event_tail [--log-events N] [--backlog N] [--samples N]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import statistics
import tempfile
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from bench.percentiles import percentile
from parley.server.event_tail import EventTail
from parley.server.store.sqlite import SqliteStore
from parley.shared.events import MessageReceived, UserEvent
from parley.shared.models import Role, User


async def send(store: SqliteStore, sender: User, receiver: User, n: int) -> None:
    await store.send_message(
        sender_id=sender.id,
        receiver_id=receiver.id,
        text=f"message number {n}",
        sent_at=datetime.now(UTC),
        premoderate_first=False,
        client_message_id=f"b{n}",
    )


async def run(args: argparse.Namespace) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "parley.db"
        server, other = SqliteStore(path), SqliteStore(path)
        await server.open()
        await other.open()
        try:
            users = [
                await other.create_user(
                    username=f"u{i}", display_name=f"U{i}", password_hash="x", role=Role.USER
                )
                for i in range(20)
            ]
            counter = iter(range(10**9))

            async def send_some(count: int) -> None:
                """Concurrently, 100 at a time: the writer group-commits them."""
                for start in range(0, count, 100):
                    pairs = [random.sample(users, 2) for _ in range(min(100, count - start))]
                    await asyncio.gather(*(send(other, a, b, next(counter)) for a, b in pairs))

            await send_some(args.log_events // 4)

            # idle: an empty read at the end of the log
            head = (await server.get_events_after(None, limit=0)).head
            idle: list[float] = []
            for _ in range(args.idle_reads):
                started = time.perf_counter()
                await server.get_events_after(head, limit=1000)
                idle.append((time.perf_counter() - started) * 1e6)

            # backlog: one poll reads and publishes everything committed since
            published: list[UserEvent] = []
            tail = EventTail(server, published.extend, interval_s=3600.0)
            await tail.start()
            await tail.stop()  # polled by hand below
            await send_some(args.backlog)
            started = time.perf_counter()
            count = await tail.poll()
            backlog_s = time.perf_counter() - started

            # delivery: commit in the other store -> publish by the running tail
            arrived: dict[int, float] = {}
            all_arrived = asyncio.Event()

            def publish(events: Iterable[UserEvent]) -> None:
                now = time.perf_counter()
                for e in events:
                    if isinstance(e.event, MessageReceived):
                        arrived[e.event.message.id] = now
                if len(arrived) >= args.samples:
                    all_arrived.set()

            running = EventTail(server, publish, interval_s=args.interval_ms / 1000.0)
            await running.start()
            committed: dict[int, float] = {}
            for n in range(args.samples):
                await asyncio.sleep(random.uniform(0, 2 * args.gap_ms / 1000.0))
                a, b = random.sample(users, 2)
                outcome = await other.send_message(
                    sender_id=a.id,
                    receiver_id=b.id,
                    text="timed",
                    sent_at=datetime.now(UTC),
                    premoderate_first=False,
                    client_message_id=f"t{n}",
                )
                committed[outcome.result.message.id] = time.perf_counter()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(5.0):
                    await all_arrived.wait()
            await running.stop()
            delivery = [(arrived[i] - t) * 1000.0 for i, t in committed.items() if i in arrived]
        finally:
            await other.close()
            await server.close()
    return {
        "log_events": args.log_events,
        "idle_read_us_p50": round(statistics.median(idle), 1),
        "idle_read_us_p99": round(percentile(idle, 0.99), 1),
        "backlog_events": count,
        "backlog_s": round(backlog_s, 3),
        "backlog_events_per_s": round(count / backlog_s),
        "interval_ms": args.interval_ms,
        "delivered": f"{len(delivery)}/{len(committed)}",
        "delivery_ms_p50": round(statistics.median(delivery), 1),
        "delivery_ms_p99": round(percentile(delivery, 0.99), 1),
        "delivery_ms_max": round(max(delivery), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--log-events", type=int, default=100_000, help="log size for idle")
    parser.add_argument("--idle-reads", type=int, default=2000)
    parser.add_argument("--backlog", type=int, default=5000, help="messages (4 events each)")
    parser.add_argument("--interval-ms", type=float, default=200.0, help="the tail's interval")
    parser.add_argument("--samples", type=int, default=100, help="timed deliveries")
    parser.add_argument("--gap-ms", type=float, default=50.0, help="mean gap between them")
    args = parser.parse_args()
    random.seed(7)
    figures = asyncio.run(run(args))
    print(" ".join(f"{key}={value}" for key, value in figures.items()))


if __name__ == "__main__":
    main()
