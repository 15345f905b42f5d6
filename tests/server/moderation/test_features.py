"""The n-gram features: the per-word cache must give exactly the features of the terms."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parley.server.moderation import features
from parley.server.moderation.features import NgramVocabulary, terms

CORPUS = [
    "you are a total idiot",
    "send me the slides please",
    "k1ll yourself loser",
    "meet @bob at http://example.com at 10",
    "idiot idiot idiot",
    "héllo wörld 😀",
]


def reference(vocabulary: NgramVocabulary, text: str) -> tuple[list[int], list[float]]:
    """The row computed term by term, as training defined it before the cache."""
    counts: Counter[int] = Counter()
    for term in terms(text):
        column = vocabulary.index.get(term)
        if column is not None:
            counts[column] += 1
    columns = list(counts)
    tf = np.array([counts[c] for c in columns], np.float32)
    values = (1.0 + np.log(tf)) * vocabulary.idf[columns]
    if len(columns):
        values /= np.float32(np.linalg.norm(values))
    return columns, [float(x) for x in values.astype(np.float32)]


@pytest.fixture(scope="module")
def vocabulary() -> NgramVocabulary:
    return NgramVocabulary.fit(CORPUS, max_terms=500, min_df=1)


words = st.sampled_from(["you", "idiot", "k1ll", "slides", "zzz", "héllo", "@x", "42", ""])


@settings(max_examples=200, deadline=None)
@given(st.lists(words, max_size=12).map(" ".join))
def test_cached_rows_equal_the_term_by_term_rows(vocabulary: NgramVocabulary, text: str) -> None:
    columns, values = vocabulary.transform_one(text)
    expected_columns, expected_values = reference(vocabulary, text)
    assert columns.tolist() == expected_columns
    assert values.tolist() == expected_values


def test_the_word_cache_is_bounded(
    vocabulary: NgramVocabulary, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(features, "WORD_CACHE_SIZE", 3)
    fresh = NgramVocabulary(vocabulary.vocabulary, vocabulary.idf)
    for i in range(20):
        text = f"idiot word{i} you"
        columns, _ = fresh.transform_one(text)
        assert columns.tolist() == reference(fresh, text)[0]
    assert len(fresh._word_columns) <= 3
