"""The training code path on a handful of rows, and its license guard."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from parley.server.moderation import datasets, training
from parley.server.moderation.categories import OVERALL
from parley.server.moderation.datasets import Example
from parley.server.moderation.model import (
    ENCODER_FILE,
    TOKENIZER_FILE,
    WEIGHTS_FILE,
    ModerationModel,
    shipped_model_dir,
)

pytest.importorskip("sklearn")

ROWS = [
    ("you are a disgusting idiot", 1, ("harassment",)),
    ("shut up you stupid loser", 1, ("harassment",)),
    ("everyone hates you, moron", 1, ("harassment",)),
    ("I will hurt you badly", 1, ("threat",)),
    ("send me naked pictures", 1, ("sexual",)),
    ("thanks for the lovely dinner", 0, ()),
    ("see you at the meeting at noon", 0, ()),
    ("the weather is nice today", 0, ()),
    ("can you review my code please", 0, ()),
    ("happy birthday to my best friend", 0, ()),
]


def tiny_corpus(model: ModerationModel) -> training.Corpus:
    examples = [Example(t, y, c, "handwritten") for t, y, c in ROWS]
    embeddings = model.encoder.embed([t for t, _, _ in ROWS])
    return training.Corpus(examples, embeddings, np.array(["handwritten"] * len(ROWS)))


def test_tiny_training_run_gives_a_loadable_model(model: ModerationModel, tmp_path: Path) -> None:
    config = training.TrainingConfig(max_terms=500, min_df=1, c=10.0)
    heads = training.fit_heads(tiny_corpus(model), config, heads=(OVERALL, "harassment", "spam"))
    assert heads.names == (OVERALL, "harassment")  # spam has no positives: skipped
    heads.save(tmp_path / WEIGHTS_FILE)
    for name in (ENCODER_FILE, TOKENIZER_FILE):
        os.symlink(shipped_model_dir() / name, tmp_path / name)
    tiny = ModerationModel(tmp_path)
    rude, kind = tiny.score_many(["you stupid idiot", "thanks for the dinner"])
    assert rude.overall > kind.overall
    assert rude.categories["harassment"] > kind.categories["harassment"]


def test_unknown_subtype_rows_train_only_the_overall_head() -> None:
    rows = [
        Example("x", 1, (), "toxicchat"),
        Example("y", 1, ("hate",), "a"),
        Example("z", 0, (), "a"),
    ]
    usable, labels = training.head_labels(rows, "hate")
    assert usable.tolist() == [False, True, True]
    assert labels.tolist() == [0, 1, 0]
    usable, labels = training.head_labels(rows, OVERALL)
    assert usable.all()
    assert labels.tolist() == [1, 1, 0]


def test_sets_without_a_training_license_are_refused(tmp_path: Path) -> None:
    for name in ("toxicchat", "ethos", "tweeteval_hate"):
        with pytest.raises(ValueError, match="may not train shipped weights"):
            training.train(tmp_path, shipped_model_dir(), names=[name], lodo=False)


def test_small_sets_are_not_drowned_by_large_ones() -> None:
    config = training.TrainingConfig()
    big = training.row_weight("davidson2017", 24_759, config) * 24_759
    small = training.row_weight("xstest", 450, config) * 450
    assert big / small < 24_759 / 450 / 5


def test_spam_only_rows_train_the_spam_head_not_the_overall_one() -> None:
    rows = [
        Example("win a free phone at prizes.example", 1, ("spam",), "handwritten"),
        Example("hot singles, pics at example.com", 1, ("spam", "sexual"), "handwritten"),
        Example("see you at noon", 0, (), "handwritten"),
    ]
    usable, labels = training.head_labels(rows, OVERALL)
    assert usable.tolist() == [False, True, True]
    assert labels[usable].tolist() == [1, 0]
    usable, labels = training.head_labels(rows, "spam")
    assert usable.all()
    assert labels.tolist() == [1, 1, 0]


def test_reviewed_labels_weigh_more_than_the_teams_rows() -> None:
    config = training.TrainingConfig()
    reviewed = training.row_weight(training.REVIEWED, 50, config)
    handwritten = training.row_weight("handwritten", 4000, config)
    assert reviewed == config.reviewed_weight > handwritten == config.handwritten_weight


def test_a_handwritten_file_weighs_like_the_handwritten_set(
    model: ModerationModel, tmp_path: Path
) -> None:
    cache = training.EmbeddingCache(model.encoder, "test-encoder", tmp_path)
    corpus = training.Corpus.load(["handwritten/spam"], cache)
    assert set(corpus.sources.tolist()) == {"handwritten"}
    config = training.TrainingConfig()
    assert (corpus.weights(config) == config.handwritten_weight).all()


def test_the_validation_fit_reports_the_handwritten_rows_apart(model: ModerationModel) -> None:
    rows = [
        *datasets.load("handwritten/harassment")[:60],
        *datasets.load("handwritten/benign")[:60],
        *datasets.load("handwritten/spam")[:20],
    ]
    corpus = training.Corpus(
        rows, model.encoder.embed([e.text for e in rows]), np.array(["handwritten"] * len(rows))
    )
    config = training.TrainingConfig(max_terms=2000, min_df=1)
    checked = training.pick_threshold(corpus, config)
    held = training.validation_mask(corpus, config.validation_share)
    spam = np.array(["spam" in e.categories for e in rows])
    assert checked.handwritten is not None
    assert checked.handwritten.rows == int((held & ~spam).sum())  # spam rows left out
    assert checked.report.rows == int(held.sum())
    assert checked.handwritten.average_precision > 0.8
    assert 0.0 < checked.threshold < 1.0
