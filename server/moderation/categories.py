"""The moderation categories, shared by rules, model heads, bands and the data loader."""

from __future__ import annotations

from typing import Final

CATEGORIES: Final[tuple[str, ...]] = (
    "harassment",
    "hate",
    "threat",
    "violence",
    "sexual",
    "self_harm",
    "spam",
    "profanity",
)
"""Every category a rule or the model may report; ``violence`` is kept apart from
``threat`` because the public data labels both (HateCheck, ETHOS, XSTest)."""

OVERALL: Final = "toxic"
"""Name of the model head that gives the overall score (any category, or unknown)."""


def check_category(name: str) -> str:
    """``name`` if it is a known category; else ``ValueError`` naming the valid ones."""
    if name not in CATEGORIES:
        raise ValueError(f"unknown moderation category {name!r}; known: {', '.join(CATEGORIES)}")
    return name
