"""Tier 2: the local model — sentence embedding + n-gram features into linear heads.

Weights are portable arrays (``models/heads.npz``: vocabulary, idf, one row of
coefficients per head; ``models/cascade.npz``: the cheap first stage; ``models/model.json``:
metadata and thresholds) read with numpy ``allow_pickle=False``; the encoder is an int8
ONNX file. Nothing is downloaded and scikit-learn is not needed at run time.

A cascade keeps the encoder off most traffic: a linear model over the same n-gram
features, distilled from the full model, scores every text first, and only texts it
cannot rule out (its score at or above ``skip_below``, chosen on a validation split so
that almost nothing the full model flags is skipped) are embedded.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
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
CASCADE_FILE = "cascade.npz"

Features = tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]


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
        return self.logits_of(embeddings, [self.vocabulary.transform_one(t) for t in texts])

    def logits_of(
        self, embeddings: npt.NDArray[np.float32], features: Sequence[Features]
    ) -> npt.NDArray[np.float32]:
        """Head logits from n-gram features already computed (the cascade shares them)."""
        out = (embeddings * self.embedding_scale) @ self.dense.T + self.bias
        for row, (columns, values) in enumerate(features):
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
        return self.probabilities_of(embeddings, [self.vocabulary.transform_one(t) for t in texts])

    def probabilities_of(
        self, embeddings: npt.NDArray[np.float32], features: Sequence[Features]
    ) -> npt.NDArray[np.float64]:
        """:meth:`probabilities` from n-gram features already computed."""
        logits = self.logits_of(embeddings, features).astype(np.float64)
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
class Cascade:
    """The cheap first stage: one linear score over the heads' n-gram features.

    Trained (ridge regression) to reproduce the full model's overall logit from the
    n-grams alone, so it ranks texts the way the full model would; texts scoring below
    ``skip_below`` skip the encoder and keep that score. Their category scores come from
    the heads with ``mean_embedding`` (the training mix's mean) in place of their own.
    """

    coef: npt.NDArray[np.float32]  # (vocabulary,)
    intercept: float
    mean_embedding: npt.NDArray[np.float32]  # (embedding dimension,)
    skip_below: float

    def save(self, path: Path) -> None:
        np.savez_compressed(
            path,
            coef=self.coef.astype(np.float32),
            intercept=np.array(self.intercept, np.float64),
            mean_embedding=self.mean_embedding.astype(np.float32),
            skip_below=np.array(self.skip_below, np.float64),
        )

    @classmethod
    def load(cls, path: Path) -> Cascade:
        with np.load(path, allow_pickle=False) as data:
            return cls(
                coef=np.ascontiguousarray(data["coef"], np.float32),
                intercept=float(data["intercept"]),
                mean_embedding=np.asarray(data["mean_embedding"], np.float32),
                skip_below=float(data["skip_below"]),
            )

    def scores(self, features: Sequence[Features]) -> npt.NDArray[np.float64]:
        """The cheap overall probability of each text."""
        logits = np.full(len(features), self.intercept, np.float64)
        for row, (columns, values) in enumerate(features):
            if len(columns):
                logits[row] += float(values @ self.coef[columns])
        return 1.0 / (1.0 + np.exp(-np.clip(logits, -30.0, 30.0)))


def cascade_probabilities(
    heads: Heads,
    cascade: Cascade | None,
    texts: Sequence[str],
    embed: Callable[[Sequence[str]], npt.NDArray[np.float32]],
) -> npt.NDArray[np.float64]:
    """Per-head probabilities, embedding only the texts the cheap stage keeps.

    A skipped text's overall score is its cheap score (below ``skip_below``, so in the
    approve band); with no cascade every text is embedded.
    """
    features = [heads.vocabulary.transform_one(t) for t in texts]
    if cascade is None:
        return heads.probabilities_of(embed(texts), features)
    cheap = cascade.scores(features)
    skipped = cheap < cascade.skip_below
    embeddings = np.tile(cascade.mean_embedding, (len(texts), 1))
    encode = np.nonzero(~skipped)[0]
    if len(encode):
        embeddings[encode] = embed([texts[int(i)] for i in encode])
    probabilities = heads.probabilities_of(embeddings, features)
    probabilities[skipped, heads.names.index(OVERALL)] = cheap[skipped]
    return probabilities


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
        self,
        directory: Path | None = None,
        *,
        threads: int = 1,
        max_tokens: int = MAX_TOKENS,
        cascade: bool = True,
        cache_size: int = 4096,
    ) -> None:
        """``cascade=False`` embeds every text even when the folder has a cascade;
        ``cache_size`` identical texts (spam repeats, "ok", "lol") are remembered."""
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
        cascade_path = self.directory / CASCADE_FILE
        self.cascade = Cascade.load(cascade_path) if cascade and cascade_path.is_file() else None
        if self.cascade is not None and len(self.cascade.coef) != len(self.heads.vocabulary):
            raise ValueError(f"{cascade_path} does not match the vocabulary of the heads")
        self._cache: OrderedDict[str, Scores] = OrderedDict()
        self._cache_size = cache_size
        self._cache_lock = threading.Lock()
        self.encoded = 0  # texts the encoder has embedded (the cascade's effect, measured)

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
        out: list[Scores | None] = [None] * len(texts)
        missing: dict[str, list[int]] = {}  # each distinct text is scored once
        with self._cache_lock:
            for i, text in enumerate(texts):
                hit = self._cache.get(text)
                if hit is None:
                    missing.setdefault(text, []).append(i)
                else:
                    self._cache.move_to_end(text)
                    out[i] = hit
        if missing:
            fresh = list(missing)
            probabilities = self.probabilities(fresh, self._embed)
            with self._cache_lock:
                for text, row in zip(fresh, probabilities, strict=True):
                    scores = Scores(
                        overall=float(row[self._overall]),
                        categories={c: float(row[j]) for c, j in self._categories},
                    )
                    for i in missing[text]:
                        out[i] = scores
                    if self._cache_size > 0:
                        self._cache[text] = scores
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        return [s for s in out if s is not None]

    def _embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        self.encoded += len(texts)
        return self.encoder.embed(texts)

    def probabilities(
        self,
        texts: Sequence[str],
        embed: Callable[[Sequence[str]], npt.NDArray[np.float32]],
    ) -> npt.NDArray[np.float64]:
        """Per-head probabilities through the cascade; ``embed`` sees only the texts the
        cheap stage could not rule out (evaluation passes cached embeddings instead)."""
        return cascade_probabilities(self.heads, self.cascade, texts, embed)

    def score(self, text: str) -> Scores:
        return self.score_many([text])[0]
