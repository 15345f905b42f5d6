"""Tier 2: the shipped model loads from package data and its weights are portable arrays."""

from __future__ import annotations

import json
import zipfile
from importlib import resources
from pathlib import Path

import numpy as np

from parley.server.moderation import datasets
from parley.server.moderation.categories import CATEGORIES, OVERALL
from parley.server.moderation.features import NgramVocabulary
from parley.server.moderation.model import (
    METADATA_FILE,
    WEIGHTS_FILE,
    Heads,
    ModerationModel,
    shipped_model_dir,
)


def test_shipped_model_is_package_data() -> None:
    folder = resources.files("parley.server.moderation").joinpath("models")
    names = {entry.name for entry in folder.iterdir()}
    assert {WEIGHTS_FILE, METADATA_FILE, "minilm-l6-int8.onnx", "tokenizer.json"} <= names


def test_toxic_text_scores_above_benign(model: ModerationModel) -> None:
    toxic, benign = model.score_many(
        ["you are a worthless idiot and everyone hates you", "are we still on for lunch tomorrow?"]
    )
    assert toxic.overall > model.operating_threshold > benign.overall
    assert toxic.categories["harassment"] > benign.categories["harassment"]
    assert set(toxic.categories) == set(CATEGORIES)
    assert all(0.0 <= v <= 1.0 for v in [toxic.overall, *toxic.categories.values()])


def test_categories_follow_the_content(model: ModerationModel) -> None:
    sexual = model.score("send me nudes, I want to see you naked")
    self_harm = model.score("I can't go on, I'm going to end my life tonight")
    assert sexual.top_category() == "sexual"
    assert self_harm.top_category() == "self_harm"


def test_batch_and_single_scores_agree(model: ModerationModel) -> None:
    # Dynamic int8 quantisation scales activations per batch, so batch-mates move a score
    # a little; never by enough to change a decision.
    texts = ["hello there", "shut up you moron", "a much longer message " * 10]
    batch = model.score_many(texts)
    for text, scored in zip(texts, batch, strict=True):
        assert abs(model.score(text).overall - scored.overall) < 0.03


def test_metadata_names_only_trainable_sets() -> None:
    metadata = json.loads((shipped_model_dir() / METADATA_FILE).read_text("utf-8"))
    for name in metadata["trained_on"]:
        assert datasets.dataset(name).trainable, name
    assert 0.0 < metadata["operating_threshold"] < 1.0
    assert metadata["heads"][0] == OVERALL


def test_weights_are_plain_arrays_without_pickle(tmp_path: Path) -> None:
    path = shipped_model_dir() / WEIGHTS_FILE
    with zipfile.ZipFile(path) as archive:
        assert all(name.endswith(".npy") for name in archive.namelist())
    with np.load(path, allow_pickle=False) as data:
        assert all(data[key].dtype != object for key in data.files)
    heads = Heads.load(path)
    copy = tmp_path / WEIGHTS_FILE
    heads.save(copy)
    again = Heads.load(copy)
    assert again.names == heads.names
    assert again.vocabulary.vocabulary == heads.vocabulary.vocabulary
    np.testing.assert_array_equal(again.sparse_t, heads.sparse_t)
    np.testing.assert_array_equal(again.dense, heads.dense)


def test_features_are_the_same_one_by_one_and_in_bulk() -> None:
    texts = ["F*ck this", "hello @bob see https://x.example", "", "the the the"]
    vocabulary = NgramVocabulary.fit(texts, max_terms=200, min_df=1)
    matrix = vocabulary.transform(texts).toarray()
    for row, text in enumerate(texts):
        columns, values = vocabulary.transform_one(text)
        dense = np.zeros(len(vocabulary), np.float32)
        dense[columns] = values
        np.testing.assert_allclose(matrix[row], dense, rtol=1e-6)
        if len(columns):
            assert abs(float(np.linalg.norm(values)) - 1.0) < 1e-5
