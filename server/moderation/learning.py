"""The learning loop: labels confirmed by reviewers → a new model version → evaluated →
activated only if it is not worse; every version kept, and the previous one restorable.

Only flagged or reviewed messages ever become training data (the original's privacy
rule): the store copies a text into its TrainingExample table when a review resolves, and
nothing else is read here. Reviewed items are split by message id into a training part and
a held-out part (every fifth id, so the split is stable as labels accumulate); the new
version trains on the base sets plus the training part, and both it and the active model
are scored on the held-out part. The operating threshold is picked from that per-threshold
table (the lowest threshold whose false-positive rate is within ``max_fpr``).

Versions live in the data directory, never in the package: ``<root>/<version>/`` holds a
complete model folder, ``<root>/active.json`` the active version and the activation
history that ``rollback`` walks back. Needs the ``train`` extra (scikit-learn, scipy).
"""

from __future__ import annotations

import json
import math
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import platformdirs

from parley.server.moderation import metrics
from parley.server.moderation.categories import CATEGORIES
from parley.server.moderation.model import (
    CASCADE_FILE,
    ENCODER_FILE,
    METADATA_FILE,
    TOKENIZER_FILE,
    WEIGHTS_FILE,
    Heads,
    ModerationModel,
    shipped_model_dir,
)
from parley.server.store.moderation import TrainingLabel

if TYPE_CHECKING:
    from parley.server.moderation.training import Corpus

ACTIVE_FILE = "active.json"
HELD_OUT_EVERY = 5  # message ids divisible by this are held out for evaluation
MIN_HELD_OUT = 10
DEFAULT_MAX_FPR = 0.05
NOT_WORSE_TOLERANCE = 0.005  # held-out sets are small: noise is not "worse"


class LearningError(RuntimeError):
    """Retraining cannot run (too few reviewed items, no data, unknown version)."""


def versions_root() -> Path:
    """``PARLEY_MODERATION_VERSIONS_DIR``, else ``<user data dir>/moderation-models``."""
    override = os.environ.get("PARLEY_MODERATION_VERSIONS_DIR")
    if override:
        return Path(override)
    return Path(platformdirs.user_data_dir("parley")) / "moderation-models"


class ModelRegistry:
    """Model versions on disk and which one is active."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or versions_root()

    def _state(self) -> dict[str, Any]:
        path = self.root / ACTIVE_FILE
        if not path.is_file():
            return {"active": None, "history": []}
        state: dict[str, Any] = json.loads(path.read_text("utf-8"))
        return state

    def _save(self, state: dict[str, Any]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        temporary = self.root / (ACTIVE_FILE + ".tmp")
        temporary.write_text(json.dumps(state, indent=2) + "\n", "utf-8")
        temporary.replace(self.root / ACTIVE_FILE)  # atomic: never a half-written pointer

    def versions(self) -> list[dict[str, Any]]:
        """Every kept version's metadata, oldest first."""
        found = []
        for folder in sorted(self.root.glob("*/")) if self.root.is_dir() else []:
            meta = folder / METADATA_FILE
            if meta.is_file():
                found.append(json.loads(meta.read_text("utf-8")))
        return sorted(found, key=lambda m: str(m.get("created_at", "")))

    def active(self) -> str | None:
        active = self._state()["active"]
        return None if active is None else str(active)

    def active_dir(self) -> Path | None:
        """The active version's folder; None means "the shipped model"."""
        active = self.active()
        return None if active is None else self.root / active

    def path(self, version: str) -> Path:
        folder = self.root / version
        if not (folder / METADATA_FILE).is_file():
            raise LearningError(f"no model version {version!r} in {self.root}")
        return folder

    def activate(self, version: str) -> None:
        self.path(version)
        state = self._state()
        if state["active"] != version:
            state["history"].append(state["active"])
            state["active"] = version
            self._save(state)

    def rollback(self) -> str | None:
        """Re-activate the version active before the current one (None: the shipped one)."""
        state = self._state()
        if not state["history"]:
            raise LearningError("nothing to roll back to: no earlier activation")
        state["active"] = state["history"].pop()
        self._save(state)
        return None if state["active"] is None else str(state["active"])


@dataclass(frozen=True, slots=True)
class Evaluation:
    """A model on the held-out reviewed items."""

    version: str
    average_precision: float
    threshold: float
    at_threshold: metrics.AtThreshold
    table: tuple[metrics.AtThreshold, ...]

    @property
    def quality(self) -> float:
        """Ranking quality: average precision, or accuracy where AP is undefined."""
        if math.isnan(self.average_precision):
            return self.at_threshold.accuracy
        return self.average_precision

    def not_worse_than(self, other: Evaluation, tolerance: float = NOT_WORSE_TOLERANCE) -> bool:
        """Neither the ranking (AP) nor the decisions at the picked threshold (F1) got
        worse beyond ``tolerance``: a model that ranks as well but decides worse loses."""
        return (
            self.quality >= other.quality - tolerance
            and self.at_threshold.f1 >= other.at_threshold.f1 - tolerance
        )


@dataclass(frozen=True, slots=True)
class RetrainResult:
    candidate: Evaluation
    current: Evaluation
    activated: bool
    trained_rows: int
    held_out_rows: int


def split(labels: Sequence[TrainingLabel]) -> tuple[list[TrainingLabel], list[TrainingLabel]]:
    """(training part, held-out part), by message id so the split never reshuffles."""
    held = [label for label in labels if label.message_id % HELD_OUT_EVERY == 0]
    train = [label for label in labels if label.message_id % HELD_OUT_EVERY != 0]
    return train, held


def evaluate(
    model: ModerationModel, held_out: Sequence[TrainingLabel], max_fpr: float
) -> Evaluation:
    """Score the held-out items; pick the threshold from the per-threshold table."""
    labels = [int(label.toxic) for label in held_out]
    scores = [s.overall for s in model.score_many([label.text for label in held_out])]
    report = metrics.report(model.version, labels, scores, model.operating_threshold)
    fitting = [row for row in report.table if row.fpr <= max_fpr]
    chosen = fitting[0] if fitting else report.table[-1]
    return Evaluation(
        version=model.version,
        average_precision=report.average_precision,
        threshold=chosen.threshold,
        at_threshold=chosen,
        table=report.table,
    )


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def train_candidate(
    folder: Path,
    confirmed: Sequence[TrainingLabel],
    *,
    base_names: Sequence[str] | None,
    encoder_dir: Path,
    cache_dir: Path | None = None,
) -> tuple[Heads, Corpus]:
    """Fit new heads on the base sets plus confirmed labels into ``folder``.

    The overall score combines the heads as the shipped model's does. Returns the heads
    and the training corpus, from which :func:`add_cascade` distils the cheap stage once
    the operating threshold is known.
    """
    from parley.server.moderation import datasets, training
    from parley.server.moderation.encoder import SentenceEncoder

    names = list(base_names if base_names is not None else training.trainable_names())
    encoder = SentenceEncoder(encoder_dir / ENCODER_FILE, encoder_dir / TOKENIZER_FILE, threads=2)
    cache = training.EmbeddingCache(
        encoder, training.file_digest(encoder_dir / ENCODER_FILE), cache_dir
    )
    base = training.Corpus.load(names, cache)
    extra = [
        datasets.Example(
            label.text,
            int(label.toxic),
            (label.category,) if label.category in CATEGORIES else (),
            "reviewed",
        )
        for label in confirmed
    ]
    if extra:
        corpus = training.Corpus(
            base.examples + extra,
            np.vstack([base.embeddings, cache.embed([e.text for e in extra])]),
            np.concatenate([base.sources, np.array([training.REVIEWED] * len(extra))]),
        )  # reviewed labels weigh ``reviewed_weight``: few, but on-domain
    else:
        corpus = base
    heads = training.fit_combined(corpus, training.TrainingConfig())
    folder.mkdir(parents=True, exist_ok=True)
    heads.save(folder / WEIGHTS_FILE)
    for name in (ENCODER_FILE, TOKENIZER_FILE):
        _link_or_copy(encoder_dir / name, folder / name)
    return heads, corpus


def add_cascade(folder: Path, heads: Heads, corpus: Corpus, threshold: float) -> dict[str, Any]:
    """Distil the cheap first stage for a version, by the shipped model's rule.

    What it must (almost) never skip starts where this version's uncertain band starts:
    ``UNCERTAIN_RATIO`` × its operating threshold (0.3 for the shipped model's 0.5).
    Returns the cascade's metadata.
    """
    from parley.server.moderation import training

    config = training.TrainingConfig()
    watch = training.UNCERTAIN_RATIO * threshold
    cascade = training.fit_cascade(heads, corpus, config, watch=watch)
    cascade.save(folder / CASCADE_FILE)
    return training.cascade_metadata(cascade, config, watch)


def retrain(
    labels: Sequence[TrainingLabel],
    registry: ModelRegistry,
    *,
    base_names: Sequence[str] | None = None,
    max_fpr: float = DEFAULT_MAX_FPR,
    now: datetime | None = None,
    cache_dir: Path | None = None,
) -> RetrainResult:
    """Train, evaluate against the active model, keep the version, activate if not worse."""
    train, held_out = split(labels)
    if len(held_out) < MIN_HELD_OUT:
        raise LearningError(
            f"{len(held_out)} held-out reviewed items; at least {MIN_HELD_OUT} are needed "
            f"(every {HELD_OUT_EVERY}th reviewed message is held out, {len(labels)} so far)"
        )
    now = now or datetime.now(UTC)
    version = "r" + now.strftime("%Y%m%dT%H%M%S%fZ")
    current_dir = registry.active_dir()
    current = _load(current_dir)
    encoder_dir = current_dir or shipped_model_dir()
    folder = registry.root / version
    heads, corpus = train_candidate(
        folder, train, base_names=base_names, encoder_dir=encoder_dir, cache_dir=cache_dir
    )
    provisional = {"version": version, "operating_threshold": 0.5}
    (folder / METADATA_FILE).write_text(json.dumps(provisional), "utf-8")
    # The threshold from the heads alone decides where the cascade must not skip; then
    # the version is judged as it will run, cheap stage included.
    threshold = evaluate(ModerationModel(folder, cascade=False), held_out, max_fpr).threshold
    cascade = add_cascade(folder, heads, corpus, threshold)
    candidate_eval = evaluate(ModerationModel(folder), held_out, max_fpr)
    current_eval = evaluate(current, held_out, max_fpr)
    activated = candidate_eval.not_worse_than(current_eval)
    metadata = {
        "version": version,
        "created_at": now.isoformat(),
        "operating_threshold": candidate_eval.threshold,
        "threshold_rule": f"lowest table threshold with held-out reviewed FPR <= {max_fpr}",
        "trained_on": {
            "base": list(base_names) if base_names is not None else "trainable sets",
            "reviewed_labels": len(train),
        },
        "held_out_reviewed": len(held_out),
        "cascade": cascade,
        "average_precision": _finite(candidate_eval.average_precision),
        "compared_with": {
            "version": current_eval.version,
            "average_precision": _finite(current_eval.average_precision),
        },
        "table": [
            {
                "threshold": r.threshold,
                "precision": round(r.precision, 4),
                "recall": round(r.recall, 4),
                "accuracy": round(r.accuracy, 4),
                "fpr": round(r.fpr, 4),
            }
            for r in candidate_eval.table
        ],
        "activated": activated,
    }
    (folder / METADATA_FILE).write_text(json.dumps(metadata, indent=2) + "\n", "utf-8")
    if activated:
        registry.activate(version)
    return RetrainResult(
        candidate=candidate_eval,
        current=current_eval,
        activated=activated,
        trained_rows=len(corpus.examples),
        held_out_rows=len(held_out),
    )


def _finite(value: float) -> float | None:
    return None if math.isnan(value) else round(value, 4)


def _load(folder: Path | None) -> ModerationModel:
    """The model to beat; rules only (all scores 0) when none can be loaded."""
    try:
        return ModerationModel(folder)
    except (OSError, ValueError, KeyError):
        from parley.server.moderation.worker import RulesOnlyModel

        return RulesOnlyModel()
