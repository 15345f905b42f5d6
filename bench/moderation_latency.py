"""Tiers 1–2 of moderation: per-message decision latency and single-process throughput.

    .venv/bin/python -m bench.moderation_latency [--messages 3000] [--threads 1] [--max-tokens 128]
        [--no-cascade] [--cache-size 4096]

Latency: ``Moderator.decide`` one message at a time (as the worker does when it keeps up),
p50/p99 over a realistic mix: mostly short chat lines, some paragraphs, a few messages
near the 1024-character limit, about one in ten abusive. Throughput: ``decide_many`` in
batches of 64 (as the worker drains a backlog). The LLM tier is off: it only sees the
uncertain band and is bounded by its own timeout. ``--no-cascade`` embeds every message
(the model before the cascade); ``--cache-size 0`` turns off the cache of identical texts
(the short chat lines of the mix repeat, as "ok" and "lol" do in real traffic).
``encoded_share`` is the share of scored texts the encoder saw. Prints a final
``key=value`` line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import time
from datetime import UTC, datetime, timedelta

from parley.server.moderation.datasets import HANDWRITTEN_DIR
from parley.server.moderation.decision import Message, Moderator
from parley.server.moderation.settings import ModerationSettings

CHAT = [
    "ok", "lol", "thanks!", "see you tomorrow", "on my way", "can you send me the file?",
    "haha that's hilarious", "did you finish the report", "running late, sorry",
    "what time is the meeting", "happy friday everyone", "I'll call you after lunch",
    "the build is green again", "where should we go for dinner tonight?",
    "I think we should move the release to next week because QA found two blockers",
]  # fmt: skip
WORDS = [
    "the", "project", "meeting", "today", "went", "well", "and", "we", "agreed", "to", "ship",
    "new", "feature", "after", "another", "round", "of", "testing", "with", "customers", "who",
    "asked", "for", "it", "last", "month", "release", "notes", "budget", "review", "plan",
]  # fmt: skip


def text_mix(count: int, seed: int = 1) -> list[str]:
    rng = random.Random(seed)
    rows = [
        json.loads(line)
        for path in sorted(HANDWRITTEN_DIR.glob("*.jsonl"))
        for line in path.read_text("utf-8").splitlines()
        if line.strip()
    ]
    abusive = [row["text"] for row in rows if row["toxic"]]  # benign_*.jsonl are not
    texts: list[str] = []
    for _ in range(count):
        roll = rng.random()
        if roll < 0.10:
            texts.append(rng.choice(abusive))
        elif roll < 0.75:
            texts.append(rng.choice(CHAT))
        elif roll < 0.95:
            texts.append(" ".join(rng.choices(WORDS, k=rng.randint(15, 60))))
        else:
            texts.append(" ".join(rng.choices(WORDS, k=200))[:1024])
    return texts


async def run(
    messages: int, threads: int, max_tokens: int, cascade: bool, cache_size: int
) -> dict[str, float]:
    settings = ModerationSettings(
        model_threads=threads,
        model_max_tokens=max_tokens,
        model_cascade=cascade,
        model_cache_size=cache_size,
    )
    moderator = Moderator.from_settings(settings)
    texts = text_mix(messages)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    batch = [
        Message(t, i % 50, 1000 + i % 300, start + timedelta(milliseconds=i))
        for i, t in enumerate(texts)
    ]
    for message in batch[:50]:  # warm-up: onnxruntime allocations, regex caches
        await moderator.decide(message.text, sender_id=1, receiver_id=2, sent_at=message.sent_at)
    latencies: list[float] = []
    encoded_before = moderator.model.encoded
    for message in batch:
        began = time.perf_counter()
        await moderator.decide(
            message.text,
            sender_id=message.sender_id,
            receiver_id=message.receiver_id,
            sent_at=message.sent_at,
        )
        latencies.append((time.perf_counter() - began) * 1000)
    encoded = moderator.model.encoded - encoded_before
    latencies.sort()
    # A fresh draw for the batched pass, so the cache holds only what it would in traffic
    # (the repeated chat lines and abusive lines), not the texts just scored one by one.
    backlog = [
        Message(t, i % 50, 1000 + i % 300, start + timedelta(seconds=10, milliseconds=i))
        for i, t in enumerate(text_mix(messages, seed=2))
    ]
    began = time.perf_counter()
    for i in range(0, len(backlog), 64):
        await moderator.decide_many(backlog[i : i + 64])
    batched = len(backlog) / (time.perf_counter() - began)
    return {
        "messages": messages,
        "threads": threads,
        "max_tokens": max_tokens,
        "cascade": int(cascade and moderator.model.cascade is not None),
        "cache_size": cache_size,
        "encoded_share": encoded / len(batch),
        "p50_ms": statistics.median(latencies),
        "p99_ms": latencies[int(0.99 * (len(latencies) - 1))],
        "max_ms": latencies[-1],
        "single_msgs_per_s": len(latencies) / (sum(latencies) / 1000),
        "batched_msgs_per_s": batched,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--no-cascade", action="store_true", help="embed every message")
    parser.add_argument("--cache-size", type=int, default=4096)
    args = parser.parse_args()
    result = asyncio.run(
        run(args.messages, args.threads, args.max_tokens, not args.no_cascade, args.cache_size)
    )
    print(
        " ".join(f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}" for k, v in result.items())
    )


if __name__ == "__main__":
    main()
