"""How fast the WhatsApp importer reads a big export.

Writes a synthetic Android-style export (default 1,000,000 messages: multi-line bodies,
media markers, emojis, system lines, a 12-hour clock with narrow no-break spaces) into
a temporary directory, parses it once, and prints
``messages=… seconds=… msgs_per_s=…`` (parse time only, generation excluded).

    .venv/bin/python -m bench.analytics_parse [--messages N]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from parley.client.analytics.whatsapp import read_whatsapp

NAMES = ["Ana María", "~ Bob", "Chen 🐼", "Dr. Who: Eleven", "Eve"]
TEXTS = [
    "ok",
    "see you tomorrow 😂",
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit.",
    "<Media omitted>",
    "This message was deleted",
    "Are we still on for dinner? 🍕❤️",
    "line one\nline two\nline three",
    "haha yes",
]


def write_synthetic_export(path: Path, messages: int, seed: int = 7) -> None:
    """Android format, day first, 12-hour clock: '31/12/2023, 9:41\u202fpm - Name: text'."""
    rng = random.Random(seed)
    moment = datetime(2019, 1, 1, 8, 0)
    with path.open("w", encoding="utf-8", newline="\r\n") as out:
        out.write("\ufeff")
        for index in range(messages):
            moment += timedelta(seconds=rng.randrange(5, 600))
            hour = moment.hour % 12 or 12
            stamp = (
                f"{moment.day:02d}/{moment.month:02d}/{moment.year}, "
                f"{hour}:{moment.minute:02d}\u202f{'pm' if moment.hour >= 12 else 'am'}"
            )
            if index % 5000 == 0:
                out.write(f"{stamp} - Messages and calls are end-to-end encrypted.\n")
                continue
            author = NAMES[rng.randrange(len(NAMES))].split(":")[0]
            out.write(f"{stamp} - {author}: {TEXTS[rng.randrange(len(TEXTS))]}\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "WhatsApp Chat with Bench.txt"
        write_synthetic_export(path, args.messages)
        size_mb = path.stat().st_size / 1e6
        started = time.perf_counter()
        chat = read_whatsapp(path)
        seconds = time.perf_counter() - started
    count = len(chat.messages)
    print(
        f"messages={count} size_mb={size_mb:.1f} seconds={seconds:.2f} "
        f"msgs_per_s={count / seconds:.0f}"
    )


if __name__ == "__main__":
    main()
