"""Tier 2: the local model — sentence embedding + n-gram features into linear heads.

Weights are portable arrays (``models/heads.npz``: vocabulary, idf, one row of
coefficients per head; ``models/model.json``: metadata and thresholds) read with numpy
``allow_pickle=False``; the encoder is an int8 ONNX file. Nothing is downloaded and
scikit-learn is not needed at run time.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from parley.server.moderation.categories import CATEGORIES, OVERALL
from parley.server.moderation.encoder import MAX_TOKENS, SentenceEncoder
from parley.server.moderation.features import NgramVocabulary

WEIGHTS_FILE = "heads.npz"
METADATA_FILE = "model.json"
ENCODER_FILE = "minilm-l6-int8.onnx"
TOKENIZER_FILE = "tokenizer.json"


def shipped_model_dir() -> Path:
    """The folder of the weights shipped as package data."""
    return Path(str(resources.files(__package__).joinpath("models")))


@dataclass(frozen=True, slots=True)
class Heads:
    """Linear heads over [embedding × scale, n-gram tf-idf]; one row per head name."""

    names: tuple[str, ...]
    vocabulary: NgramVocabulary
    dense: npt.NDArray[np.float32]  # (heads, embedding dimension)
    sparse_t: npt.NDArray[np.float32]  # (vocabulary, heads): rows gathered per text
    bias: npt.NDArray[np.float32]  # (heads,)
    embedding_scale: float
    # The overall score is a noisy-OR of the overall head and these category heads, then
    # shifted so the operating threshold sits at 0.5 (see :meth:`probabilities`).
    overall_from: tuple[str, ...] = ()
    overall_shift: float = 0.0

    def save(self, path: Path) -> None:
        np.savez_compressed(
            path,
            names=np.array(self.names),
            vocabulary=np.array(self.vocabulary.vocabulary),
            idf=self.vocabulary.idf,
            dense=self.dense.astype(np.float32),
            sparse_t=self.sparse_t.astype(np.float32),
            bias=self.bias.astype(np.float32),
            embedding_scale=np.array(self.embedding_scale, np.float32),
            overall_from=np.array(self.overall_from, dtype="<U32"),
            overall_shift=np.array(self.overall_shift, np.float64),
        )

    @classmethod
    def load(cls, path: Path) -> Heads:
        with np.load(path, allow_pickle=False) as data:
            names = tuple(str(n) for n in data["names"])
            vocabulary = NgramVocabulary([str(t) for t in data["vocabulary"]], data["idf"])
            return cls(
                names=names,
                vocabulary=vocabulary,
                dense=np.ascontiguousarray(data["dense"], np.float32),
                sparse_t=np.ascontiguousarray(data["sparse_t"], np.float32),
                bias=np.asarray(data["bias"], np.float32),
                embedding_scale=float(data["embedding_scale"]),
                overall_from=tuple(str(n) for n in data["overall_from"]),
                overall_shift=float(data["overall_shift"]),
            )

    def logits(
        self, embeddings: npt.NDArray[np.float32], texts: Sequence[str]
    ) -> npt.NDArray[np.float32]:
        """Head logits, one row per text."""
        out = (embeddings * self.embedding_scale) @ self.dense.T + self.bias
        for row, text in enumerate(texts):
            columns, values = self.vocabulary.transform_one(text)
            if len(columns):
                out[row] += values @ self.sparse_t[columns]
        return out.astype(np.float32)

    def probabilities(
        self, embeddings: npt.NDArray[np.float32], texts: Sequence[str]
    ) -> npt.NDArray[np.float64]:
        """Per-head probabilities; the overall column is the combined, shifted overall score.

        The overall head alone learns what the public sets call toxic (mostly hate and
        insults); the noisy-OR with the category heads adds what only a category head
        knows (threats, sexual content, self-harm) — a general-moderation policy.
        """
        logits = self.logits(embeddings, texts).astype(np.float64)
        p = 1.0 / (1.0 + np.exp(-np.clip(logits, -30.0, 30.0)))
        column = self.names.index(OVERALL)
        keep = 1.0 - p[:, column]
        for name in self.overall_from:
            keep = keep * (1.0 - p[:, self.names.index(name)])
        combined = np.clip(1.0 - keep, 1e-9, 1.0 - 1e-9)
        shifted = np.log(combined / (1.0 - combined)) - self.overall_shift
        p[:, column] = 1.0 / (1.0 + np.exp(-np.clip(shifted, -30.0, 30.0)))
        return p


@dataclass(frozen=True, slots=True)
class Scores:
    """Per-category scores and the overall score, each a probability in 0–1."""

    overall: float
    categories: dict[str, float]

    def top_category(self) -> str:
        return max(self.categories, key=lambda c: self.categories[c])


class ModerationModel:
    """Loads the shipped (or a given) model folder and scores texts."""

    def __init__(
        self, directory: Path | None = None, *, threads: int = 1, max_tokens: int = MAX_TOKENS
    ) -> None:
        self.directory = directory or shipped_model_dir()
        meta_path = self.directory / METADATA_FILE
        self.metadata: dict[str, Any] = (
            json.loads(meta_path.read_text("utf-8")) if meta_path.is_file() else {}
        )
        self.encoder = SentenceEncoder(
            self.directory / ENCODER_FILE,
            self.directory / TOKENIZER_FILE,
            threads=threads,
            max_tokens=max_tokens,
        )
        self.heads = Heads.load(self.directory / WEIGHTS_FILE)
        if OVERALL not in self.heads.names:
            raise ValueError(f"{self.directory / WEIGHTS_FILE} has no {OVERALL!r} head")
        self._overall = self.heads.names.index(OVERALL)
        self._categories = [
            (c, self.heads.names.index(c)) for c in CATEGORIES if c in self.heads.names
        ]

    @property
    def operating_threshold(self) -> float:
        return float(self.metadata.get("operating_threshold", 0.5))

    @property
    def version(self) -> str:
        return str(self.metadata.get("version", "unversioned"))

    def score_many(self, texts: Sequence[str]) -> list[Scores]:
        """Scores for a batch; batching amortises the encoder call (the worker drains backlogs)."""
        if not texts:
            return []
        probabilities = self.heads.probabilities(self.encoder.embed(texts), texts)
        return [
            Scores(
                overall=float(row[self._overall]),
                categories={c: float(row[i]) for c, i in self._categories},
            )
            for row in probabilities
        ]

    def score(self, text: str) -> Scores:
        return self.score_many([text])[0]
