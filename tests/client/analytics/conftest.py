"""Fixtures for analytics: the shared sample exports, and a synthetic chat with a story.

The samples live in ../shared/datasets/chat-exports (PARLEY_SHARED_DIR overrides where
../shared is); tests that need them skip with the reason when they are absent. They are
read in place, never copied into the repository.
"""

from __future__ import annotations

import os
import random
from datetime import datetime, timedelta
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
SHARED = Path(os.environ.get("PARLEY_SHARED_DIR", REPO.parent / "shared"))
SAMPLES = SHARED / "datasets" / "chat-exports"


@pytest.fixture
def samples() -> Path:
    if not SAMPLES.is_dir():
        pytest.skip(f"sample exports not found at {SAMPLES} (set PARLEY_SHARED_DIR)")
    return SAMPLES


def write_story_chat(
    path: Path,
    *,
    others: tuple[str, ...] = ("Alex",),
    days: int = 150,
    reply_minutes: tuple[int, int] = (1, 9),
    seed: int = 3,
) -> None:
    """An Android export of Sam (the exporter) with ``others``, five months long.

    Sam answers within ``reply_minutes``; skips most weekday mornings and lunches (work);
    emojis turn from sad to happy halfway; Sam keeps talking about "climbing".
    """
    rng = random.Random(seed)
    start = datetime(2023, 1, 2)
    lines: list[str] = []
    happy, sad = ["😂", "😍", "🥳"], ["😢", "😭", "😞"]
    for day in range(days):
        base = start + timedelta(days=day)
        for hour in (9, 13, 19, 22):
            if base.weekday() < 5 and hour in (9, 13) and rng.random() < 0.7:
                continue
            moment = base + timedelta(hours=hour, minutes=rng.randrange(0, 30))
            other = others[(day + hour) % len(others)]
            lines.append(f"{moment:%d/%m/%Y, %H:%M} - {other}: how was your day?")
            moment += timedelta(minutes=rng.randrange(*reply_minutes))
            pool = sad if day < days // 2 else happy
            topic = "climbing gym tonight" if rng.random() < 0.5 else "fine, long day"
            lines.append(f"{moment:%d/%m/%Y, %H:%M} - Sam: {topic} {rng.choice(pool)}")
    lines.append(f"{start + timedelta(days=days):%d/%m/%Y, %H:%M} - Sam: You deleted this message")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture
def story_chat(tmp_path: Path) -> Path:
    path = tmp_path / "WhatsApp Chat with Alex.txt"
    write_story_chat(path)
    return path


@pytest.fixture
def story_exports(tmp_path: Path, story_chat: Path) -> list[Path]:
    """Sam's chat with Alex, a slower chat with Jordan that stops early, and a group."""
    jordan = tmp_path / "WhatsApp Chat with Jordan.txt"
    write_story_chat(jordan, others=("Jordan",), days=60, reply_minutes=(20, 90), seed=5)
    group = tmp_path / "WhatsApp Chat with Climbing crew.txt"
    write_story_chat(
        group, others=("Alex", "Jordan", "Kim"), days=120, reply_minutes=(5, 40), seed=9
    )
    return [story_chat, jordan, group]
