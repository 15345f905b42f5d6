"""Periodic upkeep: move old messages from the hot table to the cold one, prune the log.

Archiving goes in batches so no single transaction holds the writer for long (the seed's
maintenance procedure does the same); history reads span both tables, so clients never
notice. Pruning the sequence log bounds its size: a client resuming from before the
pruned point gets a fresh snapshot instead of a replay.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from .settings import Settings
from .store.interface import Store

log = logging.getLogger(__name__)


async def archive_messages(
    store: Store,
    *,
    older_than: datetime,
    batch_size: int,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Archive every hot message older than a time, batch by batch; the total moved."""
    total = 0
    while True:
        moved = await store.archive_messages(older_than=older_than, batch_size=batch_size)
        if moved == 0:
            return total
        total += moved
        if progress is not None:
            progress(moved)
        await asyncio.sleep(0)  # let live traffic in between batches


async def run_once(store: Store, settings: Settings) -> tuple[int, int]:
    """One maintenance pass; returns (messages archived, log entries pruned)."""
    now = datetime.now(UTC)
    archived = await archive_messages(
        store,
        older_than=now - timedelta(days=settings.archive_after_days),
        batch_size=settings.archive_batch_size,
    )
    pruned = await store.prune_events(
        older_than=now - timedelta(days=settings.event_retention_days)
    )
    if archived or pruned:
        log.info("maintenance: archived %d messages, pruned %d log entries", archived, pruned)
    return archived, pruned


async def run_periodically(store: Store, settings: Settings) -> None:
    """Run :func:`run_once` every ``maintenance_interval_s`` until cancelled.

    A failed pass is logged and retried at the next interval: upkeep must never take the
    server down with it.
    """
    while True:
        try:
            await run_once(store, settings)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception(
                "maintenance pass failed; retrying in %.0f s", settings.maintenance_interval_s
            )
        await asyncio.sleep(settings.maintenance_interval_s)
