"""Training of the tier 2 heads (``parley moderation train``); needs the ``train`` extra.

Reproducible: the data order is fixed, the vocabulary is chosen deterministically and
L-BFGS logistic regression has no randomness, so the same data and encoder give the same
weights. Only sets whose license allows it (see :data:`datasets.DATASETS`) and the team's
handwritten examples are used; the operating threshold comes from a validation split
held out by a hash of the text, and the overall head is shifted so that it sits at 0.5.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import platformdirs

from parley.server.moderation import datasets, metrics
from parley.server.moderation.categories import CATEGORIES, OVERALL
from parley.server.moderation.datasets import Example
from parley.server.moderation.encoder import SentenceEncoder
from parley.server.moderation.features import NgramVocabulary
from parley.server.moderation.model import (
    CASCADE_FILE,
    ENCODER_FILE,
    METADATA_FILE,
    TOKENIZER_FILE,
    WEIGHTS_FILE,
    Cascade,
    Heads,
)

SPAM = "spam"
REVIEWED = "reviewed"
"""Source name of labels confirmed by reviewers (the learning loop's extra rows)."""

Step = Callable[[str, int], None]
"""Progress callback: (description, units of work done)."""


@dataclass(frozen=True, slots=True)
class TrainingConfig:
    max_terms: int = 100_000
    min_df: int = 3
    c: float = 4.0  # inverse L2 strength of the logistic regressions
    embedding_scale: float = 2.0  # weight of the dense embedding block against the n-grams
    balance_rows: float = 5000.0  # a public set of n rows weighs sqrt(balance_rows / n) per row
    # Per handwritten row. 10 when there were 313 of them; with 4,000+ rows that made
    # them over half the weight and cost 0.025 mean AP on the evaluation-only sets.
    handwritten_weight: float = 1.0
    # Per reviewed label in ``parley moderation retrain``: few, but from the traffic the
    # model is for.
    reviewed_weight: float = 10.0
    max_fpr: float = 0.04  # operating threshold: validation FPR at most this (target 5%)
    validation_share: int = 5  # one row in this many (by a hash of its text) validates
    max_iter: int = 3000
    cascade_alpha: float = 1.0  # L2 strength of the cascade's ridge regression
    # Cascade: the largest share of the validation rows the full model scores in the
    # uncertain band or above (>= 0.3) that the cheap stage may let skip the encoder.
    cascade_max_missed: float = 0.0002
    cascade_skip_cap: float = 0.05  # never skip above this cheap score


def trainable_names() -> list[str]:
    return [d.name for d in datasets.DATASETS if d.trainable] + [datasets.HANDWRITTEN.name]


def row_weight(name: str, rows: int, config: TrainingConfig) -> float:
    """Per-row weight: no single large set (Davidson's 25k tweets) may set the policy."""
    if name == datasets.HANDWRITTEN.name:
        return config.handwritten_weight
    if name == REVIEWED:
        return config.reviewed_weight
    return float(np.sqrt(config.balance_rows / max(rows, 1)))


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class EmbeddingCache:
    """Embeddings per (encoder, texts) on disk: re-training must not re-embed 80k texts."""

    def __init__(
        self, encoder: SentenceEncoder, encoder_digest: str, directory: Path | None = None
    ) -> None:
        self.encoder = encoder
        self.directory = directory or Path(platformdirs.user_cache_dir("parley")) / "moderation"
        self._prefix = f"{encoder_digest[:16]}-{encoder.max_tokens}"

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        digest = hashlib.sha256("\x00".join(texts).encode("utf-8")).hexdigest()[:24]
        path = self.directory / f"emb-{self._prefix}-{digest}.npy"
        if path.is_file():
            cached = np.load(path, allow_pickle=False)
            if cached.shape[0] == len(texts):
                return np.asarray(cached, np.float32)
        embeddings = self.encoder.embed(texts, batch_size=32)
        self.directory.mkdir(parents=True, exist_ok=True)
        np.save(path, embeddings, allow_pickle=False)
        return embeddings


@dataclass
class Corpus:
    """Examples of several sets with their embeddings, in a fixed order."""

    examples: list[Example]
    embeddings: npt.NDArray[np.float32]
    sources: npt.NDArray[np.str_]

    @classmethod
    def load(cls, names: Sequence[str], cache: EmbeddingCache, step: Step | None = None) -> Corpus:
        examples: list[Example] = []
        blocks: list[npt.NDArray[np.float32]] = []
        for name in names:
            rows = datasets.load(name)
            examples.extend(rows)
            blocks.append(cache.embed([r.text for r in rows]))
            if step:
                step(f"embedded {name}", 1)
        labels_sources: list[str] = []
        for name, block in zip(names, blocks, strict=True):
            # "handwritten/benign" is a slice of the handwritten set and weighs like it
            labels_sources.extend([datasets.dataset(name).name] * len(block))
        sources = np.array(labels_sources)
        return cls(
            examples, np.vstack(blocks) if blocks else np.zeros((0, 384), np.float32), sources
        )

    def subset(self, mask: npt.NDArray[np.bool_]) -> Corpus:
        indices = np.nonzero(mask)[0]
        return Corpus(
            [self.examples[i] for i in indices], self.embeddings[indices], self.sources[indices]
        )

    def weights(self, config: TrainingConfig) -> npt.NDArray[np.float64]:
        names, counts = np.unique(self.sources, return_counts=True)
        per_set = {
            str(n): row_weight(str(n), int(c), config) for n, c in zip(names, counts, strict=True)
        }
        return np.array([per_set[str(s)] for s in self.sources], np.float64)


def head_labels(
    examples: Sequence[Example], head: str
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.int64]]:
    """Rows usable for one head and their 0/1 labels.

    A toxic row with no categories is "unknown subtype": usable for the overall head, not
    for category heads (it may or may not be of that category). A row that is only spam
    trains the spam head, not the overall one: the overall score is a general-moderation
    policy, spam has its own head and rules, and an overall head taught that adverts are
    toxic scored held-out sets worse (docs/model-card.md).
    """
    if head == OVERALL:
        usable = np.array([set(e.categories) != {SPAM} for e in examples], bool)
        return usable, np.array([e.toxic for e in examples], np.int64)
    usable = np.array([e.toxic == 0 or bool(e.categories) for e in examples], bool)
    labels = np.array([int(head in e.categories) for e in examples], np.int64)
    return usable, labels


def _design(corpus: Corpus, vocabulary: NgramVocabulary, config: TrainingConfig) -> Any:
    from scipy.sparse import csr_matrix, hstack  # type: ignore[import-untyped]

    dense = csr_matrix(corpus.embeddings * config.embedding_scale)
    return hstack([dense, vocabulary.transform([e.text for e in corpus.examples])]).tocsr()


def fit_heads(
    corpus: Corpus,
    config: TrainingConfig,
    heads: Sequence[str] = (OVERALL, *CATEGORIES),
    step: Step | None = None,
) -> Heads:
    """Fit one logistic regression per head on [embedding × scale, n-gram tf-idf]."""
    from sklearn.linear_model import LogisticRegression

    vocabulary = NgramVocabulary.fit(
        (e.text for e in corpus.examples), config.max_terms, config.min_df
    )
    design = _design(corpus, vocabulary, config)
    weights = corpus.weights(config)
    dimension = corpus.embeddings.shape[1]
    dense_rows: list[npt.NDArray[np.float32]] = []
    sparse_rows: list[npt.NDArray[np.float32]] = []
    bias: list[float] = []
    kept: list[str] = []
    for head in heads:
        usable, labels = head_labels(corpus.examples, head)
        if labels[usable].min(initial=1) == labels[usable].max(initial=0):
            if step:
                step(f"skipped head {head} (one class)", 1)
            continue
        model = LogisticRegression(C=config.c, max_iter=config.max_iter)
        model.fit(design[usable], labels[usable], sample_weight=weights[usable])
        coefficients = model.coef_[0].astype(np.float32)
        dense_rows.append(coefficients[:dimension])
        sparse_rows.append(coefficients[dimension:])
        bias.append(float(model.intercept_[0]))
        kept.append(head)
        if step:
            step(f"fitted head {head}", 1)
    return Heads(
        names=tuple(kept),
        vocabulary=vocabulary,
        dense=np.vstack(dense_rows).astype(np.float32),
        sparse_t=np.ascontiguousarray(np.vstack(sparse_rows).T, np.float32),
        bias=np.array(bias, np.float32),
        embedding_scale=config.embedding_scale,
    )


def validation_mask(corpus: Corpus, share: int) -> npt.NDArray[np.bool_]:
    """Rows held out to choose the threshold: a stable hash of the text, not a random draw."""
    digests = (hashlib.blake2b(e.text.encode(), digest_size=4).digest() for e in corpus.examples)
    return np.array([int.from_bytes(d, "big") % share == 0 for d in digests], bool)


@dataclass(frozen=True, slots=True)
class Validation:
    """The 1-in-5 validation split of the training mix, scored by a model fitted without it."""

    threshold: float  # raw overall score at the operating point
    report: metrics.Report  # the whole split, weighted threshold rule
    handwritten: metrics.Report | None  # the team's rows alone: the in-distribution check


def pick_threshold(corpus: Corpus, config: TrainingConfig) -> Validation:
    """Operating threshold from a validation split of the training mix.

    Weighted like training, so each set counts about as much as it does in the fit. (The
    leave-one-dataset-out folds measure generalisation but make a poor threshold rule:
    each held-out set is calibrated differently, and one set's negatives dominate.) The
    same fit scores the held-out handwritten rows apart: chat-like text of every category,
    the closest thing here to general-moderation traffic (spam rows left out, as the
    overall score leaves spam to its own head and rules).
    """
    held = validation_mask(corpus, config.validation_share)
    heads = fit_combined(corpus.subset(~held), config)
    validation = corpus.subset(held)
    labels = np.array([e.toxic for e in validation.examples], np.int64)
    scores = overall_scores(heads, validation)
    weights = validation.weights(config)
    negatives = labels == 0
    order = np.argsort(scores[negatives], kind="mergesort")
    sorted_scores = scores[negatives][order]
    cumulative = np.cumsum(weights[negatives][order]) / weights[negatives].sum()
    # The score below which (1 - max_fpr) of the negative weight lies.
    index = int(np.searchsorted(cumulative, 1.0 - config.max_fpr, side="left"))
    threshold = float(sorted_scores[min(index + 1, len(sorted_scores) - 1)])
    threshold = min(max(threshold, 1e-4), 1 - 1e-4)
    mine = np.array(
        [
            source == datasets.HANDWRITTEN.name and SPAM not in e.categories
            for source, e in zip(validation.sources, validation.examples, strict=True)
        ],
        bool,
    )
    handwritten = None
    if len(np.unique(labels[mine])) == 2:
        handwritten = metrics.report("handwritten", labels[mine], scores[mine], threshold)
    return Validation(
        threshold, metrics.report("validation", labels, scores, threshold), handwritten
    )


def centre_overall(heads: Heads, threshold: float) -> Heads:
    """Shift the overall score so its operating threshold is 0.5.

    The training mix is over half toxic (Davidson alone is 83%), so raw probabilities run
    high; the shift is monotone (ROC-AUC and AP are unchanged) and makes the bands (flag
    at 0.5, high at 0.9) mean the same for every trained version.
    """
    return dataclasses.replace(heads, overall_shift=float(np.log(threshold / (1.0 - threshold))))


def overall_scores(heads: Heads, corpus: Corpus) -> npt.NDArray[np.float64]:
    probabilities = heads.probabilities(corpus.embeddings, [e.text for e in corpus.examples])
    return probabilities[:, heads.names.index(OVERALL)]


OVERALL_FROM = ("harassment", "hate", "threat", "violence", "sexual", "self_harm")
"""Category heads folded into the overall score (profanity and spam are not: casual
swearing is not what a general-moderation policy removes, and spam has its own rules)."""


def fit_combined(corpus: Corpus, config: TrainingConfig, step: Step | None = None) -> Heads:
    """All heads, with the overall score combined from the overall and category heads."""
    heads = fit_heads(corpus, config, step=step)
    return dataclasses.replace(
        heads, overall_from=tuple(n for n in OVERALL_FROM if n in heads.names)
    )


UNCERTAIN_RATIO = 0.6
"""The uncertain band starts at this share of the operating threshold (the default of
``ModerationSettings.uncertain_ratio``)."""
CASCADE_WATCH = UNCERTAIN_RATIO * 0.5
"""Full-model scores from here up (the uncertain band of a model whose operating threshold
is 0.5) are what the cascade must (almost) never skip."""


def fit_cascade(
    heads: Heads, corpus: Corpus, config: TrainingConfig, watch: float = CASCADE_WATCH
) -> Cascade:
    """Distil the full model's overall logit into a ridge regression over its n-grams.

    The skip threshold comes from a fit without the validation split: the cheap score
    below which at most ``cascade_max_missed`` of the validation rows the full model puts
    at ``watch`` or above fall (capped at ``cascade_skip_cap``). ``watch`` is where the
    uncertain band starts: 0.3 for a model centred on 0.5, ``UNCERTAIN_RATIO`` × its
    threshold for a retrained version. Deterministic like the heads.
    """
    from sklearn.linear_model import Ridge

    features = heads.vocabulary.transform([e.text for e in corpus.examples])
    full = np.clip(overall_scores(heads, corpus), 1e-6, 1 - 1e-6)
    target = np.log(full / (1.0 - full))
    held = validation_mask(corpus, config.validation_share)
    probe = Ridge(alpha=config.cascade_alpha).fit(features[~held], target[~held])
    cheap = 1.0 / (1.0 + np.exp(-probe.predict(features[held])))
    watched = np.sort(cheap[full[held] >= watch])
    index = int(np.floor(config.cascade_max_missed * len(watched)))
    skip_below = float(watched[index]) if len(watched) else 0.0
    skip_below = min(skip_below, config.cascade_skip_cap)
    final = Ridge(alpha=config.cascade_alpha).fit(features, target)
    return Cascade(
        coef=np.asarray(final.coef_, np.float32),
        intercept=float(final.intercept_),
        mean_embedding=corpus.embeddings.mean(axis=0).astype(np.float32),
        skip_below=round(skip_below, 6),
    )


def cascade_metadata(
    cascade: Cascade, config: TrainingConfig, watch: float = CASCADE_WATCH
) -> dict[str, Any]:
    return {
        "file": CASCADE_FILE,
        "skip_below": cascade.skip_below,
        "rule": (
            "ridge regression of the full model's overall logit on the n-gram features; "
            f"encoder skipped below the cheap score that lets at most {config.cascade_max_missed}"
            f" of the validation rows the full model scores >= {round(watch, 6)} through"
            f" (capped at {config.cascade_skip_cap})"
        ),
    }


def leave_one_dataset_out(
    corpus: Corpus, config: TrainingConfig, step: Step | None = None
) -> dict[str, tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]]:
    """Per public trainable set: labels and overall scores of a model trained without it."""
    out: dict[str, tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]] = {}
    for name in trainable_names():
        if name == datasets.HANDWRITTEN.name:
            continue
        held = corpus.sources == name
        heads = fit_combined(corpus.subset(~held), config)
        test = corpus.subset(held)
        out[name] = (
            np.array([e.toxic for e in test.examples], np.int64),
            overall_scores(heads, test),
        )
        if step:
            step(f"held out {name}", 1)
    return out


def train(
    output_dir: Path,
    encoder_dir: Path,
    config: TrainingConfig | None = None,
    *,
    step: Step | None = None,
    cache_dir: Path | None = None,
    names: Sequence[str] | None = None,
    lodo: bool = False,
) -> dict[str, Any]:
    """Train the shipped heads into ``output_dir`` and return the metadata written."""
    config = config or TrainingConfig()
    names = list(names or trainable_names())
    for name in names:
        if not datasets.dataset(name).trainable:
            raise ValueError(
                f"{name} may not train shipped weights ({datasets.dataset(name).license})"
            )
    encoder_path = encoder_dir / ENCODER_FILE
    encoder = SentenceEncoder(encoder_path, encoder_dir / TOKENIZER_FILE, threads=2)
    cache = EmbeddingCache(encoder, file_digest(encoder_path), cache_dir)
    corpus = Corpus.load(names, cache, step)
    checked = pick_threshold(corpus, config)
    raw_threshold, validation = checked.threshold, checked.report
    if step:
        step(f"threshold {raw_threshold:.3f} from the validation split", 1)
    held_out: dict[str, dict[str, float]] = {}
    if lodo:
        folds = leave_one_dataset_out(corpus, config, step)
        for name, (y, s) in folds.items():
            r = metrics.report(name, y, s, raw_threshold)
            held_out[name] = {
                "roc_auc": round(r.roc_auc, 4),
                "average_precision": round(r.average_precision, 4),
                "fpr": round(r.operating.fpr, 4),
                "recall": round(r.operating.recall, 4),
            }
    heads = centre_overall(fit_combined(corpus, config, step=step), raw_threshold)
    cascade = fit_cascade(heads, corpus, config)
    if step:
        step(f"cascade skips the encoder below {cascade.skip_below:.4f}", 1)
    output_dir.mkdir(parents=True, exist_ok=True)
    heads.save(output_dir / WEIGHTS_FILE)
    cascade.save(output_dir / CASCADE_FILE)
    for file in (ENCODER_FILE, TOKENIZER_FILE):
        if (encoder_dir / file).resolve() != (output_dir / file).resolve():
            shutil.copyfile(encoder_dir / file, output_dir / file)
    metadata: dict[str, Any] = {
        "version": "minilm-heads-" + file_digest(output_dir / WEIGHTS_FILE)[:12],
        "encoder": "sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0), int8 ONNX",
        "encoder_sha256": file_digest(output_dir / ENCODER_FILE),
        "heads": list(heads.names),
        "operating_threshold": 0.5,
        "raw_threshold": round(raw_threshold, 6),
        "threshold_rule": (
            f"lowest threshold with weighted FPR <= {config.max_fpr} on a 1-in-"
            f"{config.validation_share} validation split of the training mix"
        ),
        "validation": {
            "roc_auc": round(validation.roc_auc, 4),
            "average_precision": round(validation.average_precision, 4),
            "precision": round(validation.operating.precision, 4),
            "recall": round(validation.operating.recall, 4),
            "fpr_unweighted": round(validation.operating.fpr, 4),
        },
        "handwritten_check": _summary(checked.handwritten),
        "trained_on": {
            name: {
                "rows": int(np.sum(corpus.sources == name)),
                "license": datasets.dataset(name).license,
            }
            for name in names
        },
        "leave_one_dataset_out": held_out,
        "cascade": cascade_metadata(cascade, config),
        "config": asdict(config),
    }
    (output_dir / METADATA_FILE).write_text(json.dumps(metadata, indent=2) + "\n", "utf-8")
    return metadata


def _summary(report: metrics.Report | None) -> dict[str, float] | None:
    """Figures of one held-out check for ``model.json`` (None: too few rows to say)."""
    if report is None:
        return None
    return {
        "rows": report.rows,
        "positives": report.positives,
        "roc_auc": round(report.roc_auc, 4),
        "average_precision": round(report.average_precision, 4),
        "precision": round(report.operating.precision, 4),
        "recall": round(report.operating.recall, 4),
        "fpr": round(report.operating.fpr, 4),
    }
