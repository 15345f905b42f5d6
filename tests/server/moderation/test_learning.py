"""The learning loop: reviewed labels -> a new version -> held-out evaluation -> activation.

Trains for real (the shipped encoder, scikit-learn heads) on two files of the team's
handwritten set plus labels made here, so it runs without ../shared and stays quick as the
handwritten set grows; the embedding cache goes to tmp.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from parley.server.moderation.cli import moderation
from parley.server.moderation.datasets import load
from parley.server.moderation.learning import (
    LearningError,
    ModelRegistry,
    retrain,
    split,
)
from parley.server.moderation.model import CASCADE_FILE, METADATA_FILE, ModerationModel
from parley.server.store.moderation import TrainingLabel
from parley.shared.moderation import ReviewSource

pytest.importorskip("sklearn", reason="retraining needs the train extra")

T0 = datetime(2026, 3, 1, tzinfo=UTC)
BASE = ["handwritten/harassment", "handwritten/benign"]
ABUSE = [
    "you are a worthless pathetic loser",
    "shut up you disgusting idiot",
    "nobody wants you here, get lost freak",
    "you stupid ugly moron",
    "go away you pathetic clown",
]
KIND = [
    "see you at lunch tomorrow",
    "thanks for the notes from class",
    "the train is late again, sorry",
    "happy birthday, have a great day",
    "can you send me the photos later",
]


def labels(count: int, *, flip_training: bool = False) -> list[TrainingLabel]:
    """Reviewed items; ``flip_training`` mislabels the training part (bad reviewers)."""
    made = []
    for n in range(1, count + 1):
        toxic = n % 2 == 0
        text = (ABUSE if toxic else KIND)[random.Random(n).randrange(5)] + f" #{n}"
        label = toxic
        if flip_training and n % 5 != 0:
            label = not toxic
        made.append(
            TrainingLabel(
                message_id=n,
                text=text,
                toxic=label,
                category="harassment" if label else None,
                source=ReviewSource.FLAG,
                created_at=T0,
            )
        )
    return made


def test_the_split_holds_out_every_fifth_message_and_never_reshuffles() -> None:
    _train, held = split(labels(20))
    assert [label.message_id for label in held] == [5, 10, 15, 20]
    assert split(labels(25))[1][:4] == held


def test_too_few_reviewed_items_refuse_to_retrain(tmp_path: Path) -> None:
    with pytest.raises(LearningError, match="at least"):
        retrain(labels(20), ModelRegistry(tmp_path))


def test_registry_activates_and_rolls_back(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path)
    for version in ("v1", "v2"):
        (tmp_path / version).mkdir()
        (tmp_path / version / METADATA_FILE).write_text(json.dumps({"version": version}))
    assert registry.active() is None
    registry.activate("v1")
    registry.activate("v2")
    assert registry.active_dir() == tmp_path / "v2"
    assert registry.rollback() == "v1"
    assert registry.rollback() is None  # back to the shipped model
    with pytest.raises(LearningError):
        registry.rollback()
    with pytest.raises(LearningError):
        registry.activate("v9")


def test_retrain_activates_a_better_version_and_keeps_a_worse_one_inactive(
    tmp_path: Path,
) -> None:
    registry = ModelRegistry(tmp_path / "versions")
    cache = tmp_path / "cache"
    good = retrain(labels(100), registry, base_names=BASE, now=T0, cache_dir=cache)
    assert good.activated
    assert registry.active() == good.candidate.version
    assert good.held_out_rows == 20
    assert good.candidate.average_precision > 0.9
    meta = json.loads((registry.path(good.candidate.version) / METADATA_FILE).read_text())
    assert meta["operating_threshold"] == good.candidate.threshold
    assert len(meta["table"]) == 9
    assert meta["activated"] is True
    active = ModerationModel(registry.active_dir())
    assert active.score(ABUSE[0]).overall > active.score(KIND[0]).overall
    assert good.trained_rows == len(load("handwritten/harassment")) + len(
        load("handwritten/benign")
    ) + len(split(labels(100))[0])

    bad = retrain(
        labels(300, flip_training=True),
        registry,
        base_names=BASE,
        now=T0 + timedelta(hours=1),
        cache_dir=cache,
    )
    assert not bad.candidate.not_worse_than(bad.current)
    assert not bad.activated
    assert bad.current.version == good.candidate.version
    assert registry.active() == good.candidate.version
    assert [m["version"] for m in registry.versions()] == [
        good.candidate.version,
        bad.candidate.version,
    ]

    runner = CliRunner()
    listed = runner.invoke(moderation, ["versions", "--versions-dir", str(registry.root)])
    assert listed.exit_code == 0
    assert f"* {good.candidate.version}" in listed.output
    rolled = runner.invoke(moderation, ["rollback", "--versions-dir", str(registry.root)])
    assert rolled.exit_code == 0
    assert "shipped model" in rolled.output
    assert registry.active() is None


def test_a_retrained_version_gets_a_cascade_distilled_by_the_shipped_rule(
    tmp_path: Path,
) -> None:
    registry = ModelRegistry(tmp_path / "versions")
    result = retrain(labels(100), registry, base_names=BASE, now=T0, cache_dir=tmp_path / "cache")
    folder = registry.path(result.candidate.version)
    meta = json.loads((folder / METADATA_FILE).read_text())
    assert meta["cascade"]["file"] == CASCADE_FILE
    # the uncertain band of this version starts at 0.6 × its threshold, not at 0.3
    assert f">= {round(0.6 * meta['operating_threshold'], 6)}" in meta["cascade"]["rule"]
    with_cascade = ModerationModel(folder)
    assert with_cascade.cascade is not None
    assert with_cascade.cascade.skip_below == meta["cascade"]["skip_below"]
    assert 0.0 < with_cascade.cascade.skip_below <= 0.05
    everything = ModerationModel(folder, cascade=False)
    kind = [f"{text}, talk soon" for text in KIND]
    abuse = [f"{text}!!" for text in ABUSE]
    cheap = with_cascade.score_many(kind + abuse)
    full = everything.score_many(kind + abuse)
    assert with_cascade.encoded < everything.encoded == len(kind + abuse)
    for fast, slow in zip(cheap, full, strict=True):  # the same decisions at the threshold
        threshold = with_cascade.operating_threshold
        assert (fast.overall >= threshold) == (slow.overall >= threshold)
