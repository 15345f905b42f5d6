"""How fast the importers read big exports: WhatsApp text and Telegram JSON.

Writes synthetic exports into a temporary directory (default 1,000,000 messages each)
and parses each once, timing the parse only (generation excluded):

* WhatsApp: an Android-style export with multi-line bodies, media markers, emojis,
  system lines, a 12-hour clock with narrow no-break spaces, CRLF and a BOM;
* Telegram: a single-chat ``result.json`` in the current schema (``date`` and
  ``date_unixtime``, ``user…`` ids, text as a string or a list of entities).

Prints one line per importer and a final summary line
``messages=… seconds=… cpu_seconds=… msgs_per_s=… peak_rss_mb=… telegram_…``
(``seconds`` is wall-clock, ``cpu_seconds`` this process's CPU time; they differ when
other work shares the cores).

    .venv/bin/python -m bench.analytics_parse [--messages N] [--telegram-messages N]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from parley.client.analytics.telegram import read_telegram
from parley.client.analytics.whatsapp import read_whatsapp

NAMES = ["Ana María", "~ Bob", "Chen 🐼", "Dr. Who", "Eve"]
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
            out.write(f"{stamp} - {rng.choice(NAMES)}: {rng.choice(TEXTS)}\n")


def write_synthetic_telegram(path: Path, messages: int, seed: int = 7) -> None:
    """One personal chat, written message by message (no document held in memory)."""
    rng = random.Random(seed)
    moment = datetime(2019, 1, 1, 8, 0)
    with path.open("w", encoding="utf-8") as out:
        out.write('{\n "name": "Ana",\n "type": "personal_chat",\n "id": 1,\n "messages": [\n')
        for index in range(messages):
            moment += timedelta(seconds=rng.randrange(5, 600))
            who = rng.randrange(2)
            text: object = rng.choice(TEXTS)
            if index % 7 == 0:
                text = ["see ", {"type": "link", "text": "https://telegram.org/"}, " 👍"]
            message = {
                "id": index,
                "type": "message",
                "date": moment.isoformat(),
                "date_unixtime": str(int(moment.timestamp())),
                "from": ("Ana", "Bo")[who],
                "from_id": f"user{who + 1}",
                "text": text,
            }
            out.write(("  " if index == 0 else ",\n  ") + json.dumps(message, ensure_ascii=False))
        out.write("\n ]\n}\n")


def timed(parse: Callable[[], int]) -> tuple[int, float, float]:
    started, cpu_started = time.perf_counter(), time.process_time()
    count = parse()
    return count, time.perf_counter() - started, time.process_time() - cpu_started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--telegram-messages", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        chat_txt = Path(folder) / "WhatsApp Chat with Bench.txt"
        write_synthetic_export(chat_txt, args.messages)
        size_mb = chat_txt.stat().st_size / 1e6
        count, seconds, cpu = timed(lambda: len(read_whatsapp(chat_txt).messages))
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"whatsapp messages={count} size_mb={size_mb:.1f} seconds={seconds:.2f} "
            f"cpu_seconds={cpu:.2f} msgs_per_s={count / seconds:.0f} peak_rss_mb={peak:.0f}"
        )
        chat_txt.unlink()
        result = Path(folder) / "result.json"
        write_synthetic_telegram(result, args.telegram_messages)
        tg_size_mb = result.stat().st_size / 1e6
        tg_count, tg_seconds, tg_cpu = timed(
            lambda: sum(len(chat.messages) for chat in read_telegram(result))
        )
        print(
            f"telegram messages={tg_count} size_mb={tg_size_mb:.1f} seconds={tg_seconds:.2f} "
            f"cpu_seconds={tg_cpu:.2f} msgs_per_s={tg_count / tg_seconds:.0f}"
        )
    print(
        f"messages={count} seconds={seconds:.2f} cpu_seconds={cpu:.2f} "
        f"msgs_per_s={count / seconds:.0f} peak_rss_mb={peak:.0f} "
        f"telegram_messages={tg_count} telegram_seconds={tg_seconds:.2f} "
        f"telegram_msgs_per_s={tg_count / tg_seconds:.0f}"
    )


if __name__ == "__main__":
    main()
