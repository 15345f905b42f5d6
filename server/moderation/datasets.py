"""Labeled moderation data: the public sets in ../shared and the team's handwritten examples.

The public files are only read from the shared folder (``PARLEY_SHARED_DIR``, default
``<repo>/../shared``) and never copied into the repository. Each set carries its license
and whether it may train shipped weights: MIT, CC BY and CDLA-Permissive sets may; the
non-commercial, GPL and unlicensed ones serve for evaluation only.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from parley.server.moderation.categories import CATEGORIES

HANDWRITTEN_DIR = Path(__file__).parent / "training_data" / "handwritten"


@dataclass(frozen=True, slots=True)
class DataSet:
    name: str
    license: str
    trainable: bool
    domain: str


DATASETS: tuple[DataSet, ...] = (
    DataSet("davidson2017", "MIT", True, "tweets"),
    DataSet("hatexplain", "MIT", True, "tweets + Gab posts"),
    DataSet("convabuse", "CC BY 4.0", True, "user turns in chats with bots"),
    DataSet("hatecheck", "CC BY 4.0", True, "templated test sentences"),
    DataSet("xstest", "CC BY 4.0", True, "chatbot prompts"),
    DataSet("toxigen_seeds", "MIT + CDLA-Permissive-2.0", True, "statements about groups"),
    DataSet("tweeteval_hate", "unclear (no license file)", False, "tweets"),
    DataSet("tweeteval_offensive", "unclear (no license file)", False, "tweets"),
    DataSet("toxicchat", "CC BY-NC 4.0", False, "user prompts to a chatbot"),
    DataSet("ethos", "GPL-3.0", False, "YouTube / Reddit comments"),
)
HANDWRITTEN = DataSet("handwritten", "written by the Parley team (MIT)", True, "chat messages")


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    toxic: int
    categories: tuple[str, ...]
    source: str


class DataMissing(RuntimeError):
    """The shared data folder is not where training or evaluation looks for it."""


def shared_dir() -> Path:
    """The shared folder beside the repository, or ``PARLEY_SHARED_DIR``."""
    env = os.environ.get("PARLEY_SHARED_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[3] / "shared"


def datasets_dir() -> Path:
    return shared_dir() / "datasets" / "moderation"


def dataset(name: str) -> DataSet:
    """The set called ``name``; ``handwritten/<file>`` is one file of the handwritten set."""
    if name.startswith(HANDWRITTEN.name + "/"):
        _handwritten_file(name)
        return HANDWRITTEN
    for item in (*DATASETS, HANDWRITTEN):
        if item.name == name:
            return item
    known = ", ".join(d.name for d in (*DATASETS, HANDWRITTEN))
    raise ValueError(f"unknown data set {name!r}; known: {known}")


def read_jsonl(path: Path, source: str) -> list[Example]:
    """Read one labeled JSONL file; a malformed line is an error naming the file and line."""
    examples: list[Example] = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                text = str(row["text"])
                toxic = int(row["toxic"])
                categories = tuple(c for c in row.get("categories", []) if c in CATEGORIES)
            except (ValueError, KeyError, TypeError) as exc:
                raise ValueError(f"{path}:{number}: not a labeled example ({exc})") from exc
            examples.append(Example(text, toxic, categories, str(row.get("source", source))))
    return examples


def handwritten_files() -> list[Path]:
    """Every file of the handwritten set, in a fixed order (training must be reproducible)."""
    return sorted(HANDWRITTEN_DIR.glob("*.jsonl"))


def _handwritten_file(name: str) -> Path:
    stem = name.split("/", 1)[1]
    path = HANDWRITTEN_DIR / f"{stem}.jsonl"
    if not path.is_file():
        known = ", ".join(f"{HANDWRITTEN.name}/{p.stem}" for p in handwritten_files())
        raise ValueError(f"unknown handwritten file {name!r}; known: {known}")
    return path


def load(name: str) -> list[Example]:
    """All examples of one data set (public or ``handwritten``), or of one handwritten file
    (``handwritten/benign``: tests train on a slice instead of the whole set)."""
    dataset(name)
    if name.startswith(HANDWRITTEN.name + "/"):
        return read_jsonl(_handwritten_file(name), HANDWRITTEN.name)
    if name == HANDWRITTEN.name:
        examples: list[Example] = []
        for path in handwritten_files():
            examples.extend(read_jsonl(path, HANDWRITTEN.name))
        return examples
    path = datasets_dir() / f"{name}.jsonl"
    if not path.is_file():
        raise DataMissing(
            f"{path} not found: set PARLEY_SHARED_DIR to the folder holding datasets/moderation"
        )
    return read_jsonl(path, name)
