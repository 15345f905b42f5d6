"""Sparse n-gram features computed the same way at training and at run time.

Character n-grams within word boundaries catch slurs, obfuscations and spellings the
sentence encoder has never seen; word unigrams add whole-word evidence. The vocabulary and
inverse document frequencies are plain arrays saved in the weights file, so run time needs
numpy only (no scikit-learn, no pickle).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from scipy.sparse import csr_matrix  # type: ignore[import-untyped]

_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_MENTION = re.compile(r"@\w+|<user>")
_NUMBER = re.compile(r"\d+|<number>")
_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"[a-z0-9']+")
CHAR_MIN, CHAR_MAX = 2, 5
WORD_CACHE_SIZE = 50_000


def clean(text: str) -> str:
    """Lower-case and replace the placeholders each data set spells its own way."""
    text = _URL.sub(" url ", text.lower())
    text = _MENTION.sub(" @user ", text)
    text = _NUMBER.sub("0", text)
    return _SPACE.sub(" ", text).strip()


def word_grams(word: str) -> list[str]:
    """The padded character 2–5-grams of one word (a word of the cleaned text)."""
    padded = f" {word} "
    length = len(padded)
    out: list[str] = []
    for n in range(CHAR_MIN, CHAR_MAX + 1):
        if n > length:
            break
        out.extend(padded[i : i + n] for i in range(length - n + 1))
    return out


def split(text: str) -> tuple[list[str], list[str]]:
    """The text's space-separated words (for character n-grams) and its word tokens.

    Training (:func:`terms`) and run time (:meth:`NgramVocabulary.transform_one`) both
    start here, so the two cannot cut a text differently.
    """
    cleaned = clean(text)
    return [word for word in cleaned.split(" ") if word], _WORD.findall(cleaned)


def terms(text: str) -> list[str]:
    """The n-gram terms of one text: padded character 2–5-grams per word, and ``w:`` words."""
    words, tokens = split(text)
    out: list[str] = []
    for word in words:
        out.extend(word_grams(word))
    out.extend("w:" + token for token in tokens)
    return out


class NgramVocabulary:
    """A fixed term → column map with idf weights; sublinear tf-idf, L2-normalised rows."""

    def __init__(self, vocabulary: Sequence[str], idf: npt.NDArray[np.float32]) -> None:
        if len(vocabulary) != len(idf):
            raise ValueError("vocabulary and idf lengths differ")
        self.vocabulary = list(vocabulary)
        self.index: dict[str, int] = {term: i for i, term in enumerate(self.vocabulary)}
        self.idf = idf.astype(np.float32)
        # Chat repeats its words far more than its texts, and a word's character n-grams
        # are most of the stage's cost: remember each word's columns (bounded, cleared
        # when full, so a flood of unique junk words cannot grow it without limit).
        self._word_columns: dict[str, tuple[int, ...]] = {}

    def __len__(self) -> int:
        return len(self.vocabulary)

    @classmethod
    def fit(cls, texts: Iterable[str], max_terms: int, min_df: int = 3) -> NgramVocabulary:
        """Keep the ``max_terms`` terms found in most documents (ties broken by the term)."""
        df: Counter[str] = Counter()
        documents = 0
        for text in texts:
            documents += 1
            df.update(set(terms(text)))
        kept = sorted((t for t, c in df.items() if c >= min_df), key=lambda t: (-df[t], t))
        kept = sorted(kept[:max_terms])
        idf = np.array([math.log((1 + documents) / (1 + df[t])) + 1.0 for t in kept], np.float32)
        return cls(kept, idf)

    def transform_one(self, text: str) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        """Column indices and values of one text's feature row."""
        counts: Counter[int] = Counter()
        index = self.index
        cache = self._word_columns
        words, tokens = split(text)
        for word in words:
            word_columns = cache.get(word)
            if word_columns is None:
                found = (index.get(term) for term in word_grams(word))
                word_columns = tuple(column for column in found if column is not None)
                if len(cache) >= WORD_CACHE_SIZE:
                    cache.clear()
                cache[word] = word_columns
            counts.update(word_columns)
        for token in tokens:
            column = index.get("w:" + token)
            if column is not None:
                counts[column] += 1
        if not counts:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        columns = np.fromiter(counts.keys(), np.int64, len(counts))
        tf = np.fromiter(counts.values(), np.float32, len(counts))
        values = (1.0 + np.log(tf)) * self.idf[columns]
        values /= np.float32(np.linalg.norm(values))
        return columns, values.astype(np.float32)

    def transform(self, texts: Sequence[str]) -> csr_matrix:
        """A sparse matrix of many rows (training and evaluation; needs scipy)."""
        from scipy.sparse import csr_matrix

        indptr = [0]
        indices: list[Any] = []
        data: list[Any] = []
        for text in texts:
            columns, values = self.transform_one(text)
            indices.append(columns)
            data.append(values)
            indptr.append(indptr[-1] + len(columns))
        return csr_matrix(
            (
                np.concatenate(data) if data else np.zeros(0, np.float32),
                np.concatenate(indices) if indices else np.zeros(0, np.int64),
                np.array(indptr, np.int64),
            ),
            shape=(len(texts), len(self)),
            dtype=np.float32,
        )
