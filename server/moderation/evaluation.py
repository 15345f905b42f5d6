"""``parley moderation evaluate``: how the shipped model does on data it never saw.

Two kinds of held-out data: the sets that may not train shipped weights (non-commercial,
GPL, unlicensed) are scored by the shipped model as they are; each trainable public set is
scored by a model re-trained without it (leave-one-dataset-out), which is the honest
measure of generalisation to text unlike the training data. Every figure is shown beside
two references on the same rows: alt-profanity-check (a word-list-style baseline) and a
TF-IDF word + character n-gram logistic regression trained on the same rows as Parley's
model (unweighted).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from parley.server.moderation import datasets, metrics
from parley.server.moderation.automations import RuleSet
from parley.server.moderation.categories import OVERALL
from parley.server.moderation.encoder import MAX_TOKENS
from parley.server.moderation.model import (
    ENCODER_FILE,
    Cascade,
    Heads,
    ModerationModel,
    cascade_probabilities,
)
from parley.server.moderation.training import (
    Corpus,
    EmbeddingCache,
    Step,
    TrainingConfig,
    centre_overall,
    file_digest,
    fit_cascade,
    fit_combined,
    overall_scores,
    trainable_names,
)


@dataclass(frozen=True, slots=True)
class Row:
    """One held-out set scored by several systems."""

    held_out: str
    how: str  # "evaluation-only" or "leave-one-dataset-out"
    reports: dict[str, metrics.Report]  # system name -> report


def profanity_check_scores(texts: Sequence[str]) -> npt.NDArray[np.float64]:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from profanity_check import predict_prob

        return np.asarray(predict_prob(list(texts)), np.float64)


class TfidfReference:
    """The reference of the issue: TF-IDF word 1–2-grams + char 2–5-grams, logistic regression."""

    def __init__(self, train: Corpus) -> None:
        from scipy.sparse import hstack  # type: ignore[import-untyped]
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        texts = [e.text for e in train.examples]
        labels = np.array([e.toxic for e in train.examples])
        self._words = TfidfVectorizer(
            ngram_range=(1, 2), min_df=2, sublinear_tf=True, max_features=200_000
        )
        self._chars = TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=(2, 5),
            min_df=3,
            sublinear_tf=True,
            max_features=200_000,
        )
        design = hstack([self._words.fit_transform(texts), self._chars.fit_transform(texts)])
        self._model = LogisticRegression(C=4.0, max_iter=3000).fit(design.tocsr(), labels)
        self._hstack = hstack

    def scores(self, texts: Sequence[str]) -> npt.NDArray[np.float64]:
        test = self._hstack([self._words.transform(texts), self._chars.transform(texts)]).tocsr()
        return np.asarray(self._model.predict_proba(test)[:, 1], np.float64)


def cascade_scores(
    heads: Heads, cascade: Cascade | None, corpus: Corpus
) -> npt.NDArray[np.float64]:
    """Overall scores as the running model gives them (cheap stage first), with the
    corpus's cached embeddings standing in for the encoder."""
    texts = [e.text for e in corpus.examples]
    row_of = {text: i for i, text in reversed(list(enumerate(texts)))}

    def embed(chosen: Sequence[str]) -> npt.NDArray[np.float32]:
        return corpus.embeddings[[row_of[t] for t in chosen]]

    probabilities = cascade_probabilities(heads, cascade, texts, embed)
    return probabilities[:, heads.names.index(OVERALL)]


def with_rules(
    scores: npt.NDArray[np.float64], texts: Sequence[str], rules: RuleSet
) -> npt.NDArray[np.float64]:
    """Tiers 1–2 together, as ``parley moderation score`` reports the overall score."""
    out = scores.copy()
    for i, text in enumerate(texts):
        for hit in rules.match_text(text):
            out[i] = max(out[i], hit.score)
    return out


def evaluate(
    model_dir: Path | None = None,
    *,
    lodo: bool = True,
    baselines: bool = True,
    step: Step | None = None,
    cache_dir: Path | None = None,
    max_tokens: int = MAX_TOKENS,
) -> tuple[float, list[Row]]:
    """Reports per held-out set; returns (operating threshold, rows)."""
    model = ModerationModel(model_dir, threads=2, max_tokens=max_tokens)
    threshold = model.operating_threshold
    cache = EmbeddingCache(model.encoder, file_digest(model.directory / ENCODER_FILE), cache_dir)
    rules = RuleSet()
    trainable = trainable_names()
    train_corpus: Corpus | None = None
    if lodo or baselines:
        train_corpus = Corpus.load(trainable, cache, step)
    rows: list[Row] = []

    def systems(
        texts: Sequence[str],
        labels: npt.NDArray[np.int64],
        parley: npt.NDArray[np.float64],
        reference: TfidfReference | None,
        everything: npt.NDArray[np.float64] | None = None,
    ) -> dict[str, metrics.Report]:
        reports = {
            "parley tier 2": metrics.report("parley tier 2", labels, parley, threshold),
            "parley tiers 1+2": metrics.report(
                "parley tiers 1+2", labels, with_rules(parley, texts, rules), threshold
            ),
        }
        if everything is not None:  # the same heads with the encoder on every text
            reports["parley tier 2, no cascade"] = metrics.report(
                "parley tier 2, no cascade", labels, everything, threshold
            )
        if baselines:
            reports["alt-profanity-check"] = metrics.report(
                "alt-profanity-check", labels, profanity_check_scores(texts), 0.5
            )
            if reference is not None:
                reports["tf-idf lr"] = metrics.report(
                    "tf-idf lr", labels, reference.scores(texts), 0.5
                )
        return reports

    reference = TfidfReference(train_corpus) if baselines and train_corpus is not None else None
    for item in datasets.DATASETS:
        if item.trainable:
            continue
        corpus = Corpus.load([item.name], cache)
        texts = [e.text for e in corpus.examples]
        labels = np.array([e.toxic for e in corpus.examples], np.int64)
        overall = cascade_scores(model.heads, model.cascade, corpus)
        everything = overall_scores(model.heads, corpus) if model.cascade is not None else None
        rows.append(
            Row(
                item.name,
                "evaluation-only",
                systems(texts, labels, overall, reference, everything),
            )
        )
        if step:
            step(f"scored {item.name}", 1)

    if lodo and train_corpus is not None:
        config = TrainingConfig(**_config(model.metadata))
        for name in trainable:
            if name == datasets.HANDWRITTEN.name:
                continue
            held = train_corpus.sources == name
            heads = fit_combined(train_corpus.subset(~held), config)
            # Fold models take the shipped model's threshold rule value, so 0.5 is their
            # operating threshold too (re-picking it per fold would double the cost).
            heads = centre_overall(heads, float(model.metadata.get("raw_threshold", 0.5)))
            test = train_corpus.subset(held)
            texts = [e.text for e in test.examples]
            labels = np.array([e.toxic for e in test.examples], np.int64)
            fold_reference = TfidfReference(train_corpus.subset(~held)) if baselines else None
            everything = overall_scores(heads, test)
            scores, plain = everything, None
            if model.cascade is not None:  # a fold cascade, distilled from the fold model
                fold_cascade = fit_cascade(heads, train_corpus.subset(~held), config)
                scores, plain = cascade_scores(heads, fold_cascade, test), everything
            rows.append(
                Row(
                    name,
                    "leave-one-dataset-out",
                    systems(texts, labels, scores, fold_reference, plain),
                )
            )
            if step:
                step(f"held out {name}", 1)
    return threshold, rows


def _config(metadata: dict[str, Any]) -> dict[str, Any]:
    known = set(TrainingConfig.__dataclass_fields__)
    return {k: v for k, v in metadata.get("config", {}).items() if k in known}


def steps(lodo: bool, baselines: bool) -> int:
    evaluation_only = sum(1 for d in datasets.DATASETS if not d.trainable)
    loaded = len(trainable_names()) if (lodo or baselines) else 0
    held = len(trainable_names()) - 1 if lodo else 0
    return evaluation_only + loaded + held


def markdown(threshold: float, rows: Sequence[Row]) -> str:
    """The report as Markdown tables (pasted into docs/model-card.md as printed)."""
    lines = [
        f"Operating threshold of the shipped model: {threshold:.2f} (baselines at 0.50).",
        "",
        "| held-out set | how | system | rows | positives | ROC-AUC | AP"
        " | precision | recall | F1 | FPR |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        for system, r in row.reports.items():
            o = r.operating
            lines.append(
                f"| {row.held_out} | {row.how} | {system} | {r.rows} | {r.positives}"
                f" | {r.roc_auc:.3f} | {r.average_precision:.3f} | {o.precision:.3f}"
                f" | {o.recall:.3f} | {o.f1:.3f} | {o.fpr:.3f} |"
            )
    lines += ["", "Per-threshold table of Parley tier 2 (precision / recall / accuracy / FPR):", ""]
    header = " | ".join(f"{t:.1f}" for t in metrics.THRESHOLDS)
    lines += [f"| held-out set | {header} |", "|---|" + "---|" * len(metrics.THRESHOLDS)]
    for row in rows:
        r = row.reports["parley tier 2"]
        cells = " | ".join(
            f"{a.precision:.2f} / {a.recall:.2f} / {a.accuracy:.2f} / {a.fpr:.2f}" for a in r.table
        )
        lines.append(f"| {row.held_out} | {cells} |")
    means = {}
    for system in rows[0].reports if rows else []:
        values = [row.reports[system].average_precision for row in rows if system in row.reports]
        means[system] = float(np.mean(values))
    if means:
        lines += [
            "",
            "Mean average precision over the held-out sets: "
            + ", ".join(f"{s} {v:.3f}" for s, v in means.items())
            + ".",
        ]
    return "\n".join(lines)
