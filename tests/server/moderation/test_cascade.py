"""The cascade: the cheap n-gram stage keeps the encoder off texts it can rule out, without
changing what the full model would flag; the cache of identical texts."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest

from parley.server.moderation import training
from parley.server.moderation.categories import CATEGORIES
from parley.server.moderation.datasets import Example
from parley.server.moderation.model import (
    CASCADE_FILE,
    ENCODER_FILE,
    METADATA_FILE,
    TOKENIZER_FILE,
    WEIGHTS_FILE,
    Cascade,
    ModerationModel,
    shipped_model_dir,
)

BENIGN = ["ok", "thanks!", "did you finish the report", "meeting moved to 3pm, room 204"]
ABUSIVE = [
    "you are a worthless idiot and everyone hates you",
    "I will find where you live and hurt you",
    "shut up you stupid loser",
]


def test_shipped_cascade_is_plain_arrays_matching_the_heads(model: ModerationModel) -> None:
    path = shipped_model_dir() / CASCADE_FILE
    with zipfile.ZipFile(path) as archive:
        assert all(name.endswith(".npy") for name in archive.namelist())
    cascade = Cascade.load(path)
    assert len(cascade.coef) == len(model.heads.vocabulary)
    assert cascade.mean_embedding.shape == (model.heads.dense.shape[1],)
    metadata = json.loads((shipped_model_dir() / METADATA_FILE).read_text("utf-8"))
    assert metadata["cascade"]["skip_below"] == pytest.approx(cascade.skip_below)
    # skipped texts must land in the approve band, below the uncertain band (0.6 × 0.5)
    assert 0.0 < cascade.skip_below < 0.3


def test_benign_chat_skips_the_encoder_and_abuse_does_not() -> None:
    model = ModerationModel(cache_size=0)
    assert model.cascade is not None
    benign = model.score_many(BENIGN)
    assert model.encoded == 0
    assert all(s.overall < model.cascade.skip_below for s in benign)
    assert all(set(s.categories) == set(CATEGORIES) for s in benign)
    abusive = model.score_many(ABUSIVE)
    assert model.encoded == len(ABUSIVE)
    assert all(s.overall > model.operating_threshold for s in abusive)


def test_cascade_gives_the_full_models_decisions() -> None:
    cascaded = ModerationModel(cache_size=0)
    full = ModerationModel(cascade=False, cache_size=0)
    assert full.cascade is None
    texts = BENIGN + ABUSIVE + ["lol", "send me nudes", "the build is green again"]
    for a, b in zip(cascaded.score_many(texts), full.score_many(texts), strict=True):
        threshold = cascaded.operating_threshold
        assert (a.overall >= threshold) == (b.overall >= threshold)
    assert full.encoded == len(texts)
    assert cascaded.encoded < len(texts)


def test_identical_texts_are_scored_once_and_the_cache_is_bounded() -> None:
    model = ModerationModel(cascade=False, cache_size=2)
    first = model.score_many(["spam spam", "spam spam", "other"])
    assert model.encoded == 2  # the repeat within the batch is embedded once
    assert first[0] == first[1]
    again = model.score("spam spam")
    assert again == first[0]
    assert model.encoded == 2
    model.score_many(["third", "fourth"])  # pushes the older texts out
    model.score("spam spam")
    assert model.encoded == 5


def test_a_cascade_for_other_heads_is_refused(tmp_path: Path) -> None:
    for name in (ENCODER_FILE, TOKENIZER_FILE, WEIGHTS_FILE, METADATA_FILE):
        os.symlink(shipped_model_dir() / name, tmp_path / name)
    Cascade(np.zeros(3, np.float32), 0.0, np.zeros(384, np.float32), 0.02).save(
        tmp_path / CASCADE_FILE
    )
    with pytest.raises(ValueError, match="does not match the vocabulary"):
        ModerationModel(tmp_path)


def test_fitted_cascade_ranks_like_the_model_and_skips_only_the_benign(
    model: ModerationModel,
) -> None:
    pytest.importorskip("sklearn")
    texts = BENIGN * 3 + ABUSIVE * 3 + ["have a nice weekend", "you disgusting moron"] * 3
    examples = [Example(t, int(t in ABUSIVE), (), "handwritten") for t in texts]
    corpus = training.Corpus(
        examples, model.encoder.embed(texts), np.array(["handwritten"] * len(texts))
    )
    config = training.TrainingConfig(validation_share=2)
    cascade = training.fit_cascade(model.heads, corpus, config)
    assert 0.0 <= cascade.skip_below <= config.cascade_skip_cap
    features = [model.heads.vocabulary.transform_one(t) for t in texts]
    cheap = cascade.scores(features)
    full = training.overall_scores(model.heads, corpus)
    assert np.corrcoef(cheap, full)[0, 1] > 0.9
    assert not np.any((cheap < cascade.skip_below) & (full >= training.CASCADE_WATCH))
