"""Tier 1, automations: rules for the obvious cases, configured per category in a TOML file.

The shipped ``rules/default.toml`` is package data; a user file given in settings
overrides it key by key per category (its ``allow`` phrases are added to the shipped
ones). Every hit names the rule that fired (``hate.word:…``, ``threat.pattern:2``,
``spam.link_flood_message``) so a decision can say why.
"""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass, field, fields
from datetime import datetime
from enum import IntEnum
from importlib import resources
from pathlib import Path
from typing import Any

from parley.server.moderation.categories import CATEGORIES, check_category
from parley.server.moderation.obfuscation import normalize, skeleton, word_pattern
from parley.server.moderation.spam import SpamSettings, SpamTracker


class Action(IntEnum):
    """What a rule hit asks for, ordered by strength (the strongest hit wins)."""

    FLAG = 1
    REVIEW = 2
    REMOVE = 3


class RulesError(ValueError):
    """A rules file is malformed; the message names the file and the key."""


@dataclass(frozen=True, slots=True)
class RuleHit:
    rule: str  # e.g. "hate.word:kike", "self_harm.pattern:0", "spam.excessive_caps"
    category: str
    action: Action
    score: float  # the category score this hit implies, 0–1


@dataclass(frozen=True, slots=True)
class CategoryRules:
    category: str
    action: Action
    score: float
    words: tuple[str, ...]
    patterns: tuple[str, ...]
    # Per word, its regex source and its skeleton (obfuscation.skeleton): a word whose
    # skeleton is absent from the text's cannot match, so only the words that pass that
    # test are searched, as one alternation (a group per word: the match names the rule).
    # Then the user's patterns one by one (their own groups must not clash with ours).
    word_sources: tuple[str, ...] = field(repr=False)
    word_keys: tuple[str, ...] = field(repr=False)
    compiled: tuple[tuple[str, re.Pattern[str]], ...] = field(repr=False)

    def first_match(self, text: str, text_skeleton: str | None = None) -> str | None:
        """The id of the first rule of this category that matches ``text``.

        Same answer as searching every word: within one alternation the leftmost match
        wins and, at one position, the first word in list order; words dropped by the
        skeleton test match nowhere, so leaving them out changes neither.
        """
        if self.words:
            if text_skeleton is None:
                text_skeleton = skeleton(text)
            present = tuple(i for i, key in enumerate(self.word_keys) if key in text_skeleton)
            if present:
                found = _alternation(self.word_sources, present).search(text)
                if found is not None and found.lastgroup is not None:
                    return self._word_rule(int(found.lastgroup[1:]))
        for rule_id, pattern in self.compiled:
            if pattern.search(text):
                return rule_id
        return None

    def _word_rule(self, index: int) -> str:
        return f"{self.category}.word:{self.words[index].strip('*')}"


@functools.lru_cache(maxsize=1024)
def _alternation(sources: tuple[str, ...], present: tuple[int, ...]) -> re.Pattern[str]:
    """The words ``present`` (indices into ``sources``) as one regex, group ``w<index>``
    each; few distinct subsets occur in practice, so each is compiled once."""
    return re.compile("|".join(f"(?P<w{i}>{sources[i]})" for i in present))


def _compile(category: str, table: dict[str, Any], source: str) -> CategoryRules:
    try:
        action = Action[str(table.get("action", "flag")).upper()]
    except KeyError:
        raise RulesError(
            f"{source}: categories.{category}.action must be flag, review or remove"
        ) from None
    score = float(table.get("score", 0.0))
    if not 0.0 <= score <= 1.0:
        raise RulesError(f"{source}: categories.{category}.score must be within 0–1")
    words = tuple(str(w).casefold() for w in table.get("words", []))
    patterns = tuple(str(p) for p in table.get("patterns", []))
    compiled: list[tuple[str, re.Pattern[str]]] = []
    sources = tuple(word_pattern(word) for word in words)  # escaped: always compiles
    keys = tuple(skeleton(word.strip("*")) for word in words)
    for number, pattern in enumerate(patterns):
        try:
            compiled.append((f"{category}.pattern:{number}", re.compile(pattern)))
        except re.error as exc:
            raise RulesError(
                f"{source}: categories.{category}.patterns[{number}] is not a regex: {exc}"
            ) from exc
    return CategoryRules(category, action, score, words, patterns, sources, keys, tuple(compiled))


def _read(path: Path | None) -> tuple[dict[str, Any], str]:
    if path is None:
        text = resources.files(__package__).joinpath("rules/default.toml").read_text("utf-8")
        return tomllib.loads(text), "rules/default.toml"
    try:
        return tomllib.loads(path.read_text("utf-8")), str(path)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise RulesError(f"{path}: cannot read rules ({exc})") from exc


class RuleSet:
    """Compiled rules plus the spam tracker's state; one instance per moderator."""

    def __init__(self, user_file: Path | None = None) -> None:
        config, source = _read(None)
        categories: dict[str, dict[str, Any]] = dict(config.get("categories", {}))
        allow = [str(p) for p in config.get("allow", {}).get("phrases", [])]
        spam_table: dict[str, Any] = dict(config.get("spam", {}))
        if user_file is not None:
            user, source = _read(user_file)
            for name, table in user.get("categories", {}).items():
                categories[name] = {**categories.get(name, {}), **table}
            allow += [str(p) for p in user.get("allow", {}).get("phrases", [])]
            spam_table.update(user.get("spam", {}))
        self.categories: dict[str, CategoryRules] = {}
        for name, table in categories.items():
            try:
                check_category(name)
            except ValueError as exc:
                raise RulesError(f"{source}: {exc}") from exc
            self.categories[name] = _compile(name, table, source)
        # Longest first, so that at one position the longest allowed phrase is masked.
        self._allow_phrases = tuple(
            sorted({normalize(p) for p in allow if p.strip()}, key=len, reverse=True)
        )
        known = {f.name for f in fields(SpamSettings)}
        unknown = set(spam_table) - known - {"action", "score"}
        if unknown:
            raise RulesError(f"{source}: unknown spam settings {sorted(unknown)}")
        self.spam_action = Action[str(spam_table.pop("action", "flag")).upper()]
        self.spam_score = float(spam_table.pop("score", 0.7))
        self.spam = SpamTracker(SpamSettings(**spam_table))
        # The word and pattern rules are stateless: repeated texts ("ok", "lol", a spam
        # campaign) are normalised and searched once (the spam heuristics still see each).
        self._match_cached = functools.lru_cache(maxsize=4096)(self._match)

    def match_text(self, text: str) -> list[RuleHit]:
        """Hits of the stateless word and pattern rules, in category order."""
        return list(self._match_cached(text))

    def _match(self, text: str) -> tuple[RuleHit, ...]:
        normalized = self._mask_allowed(normalize(text))
        text_skeleton = skeleton(normalized)
        hits: list[RuleHit] = []
        for name in CATEGORIES:
            rules = self.categories.get(name)
            if rules is None:
                continue
            rule_id = rules.first_match(normalized, text_skeleton)
            if rule_id is not None:
                hits.append(RuleHit(rule_id, name, rules.action, rules.score))
        return tuple(hits)

    def _mask_allowed(self, normalized: str) -> str:
        """Blank out whole words around an allowed phrase; only the phrases that occur in
        the text go into the regex (most texts contain none, and the full alternation
        costs more than the word rules on a long text)."""
        present = tuple(p for p in self._allow_phrases if p in normalized)
        if not present:
            return normalized
        return _allow_regex(present).sub(lambda m: " " * len(m.group(0)), normalized)

    def check(
        self, text: str, *, sender_id: int, receiver_id: int, sent_at: datetime
    ) -> list[RuleHit]:
        """All hits for one message, spam heuristics included (this records the message)."""
        hits = self.match_text(text)
        spam = self.spam.check(text, sender_id=sender_id, receiver_id=receiver_id, sent_at=sent_at)
        if spam is not None:
            hits.append(RuleHit(spam, "spam", self.spam_action, self.spam_score))
        return hits


@functools.lru_cache(maxsize=256)
def _allow_regex(phrases: tuple[str, ...]) -> re.Pattern[str]:
    # The lookbehind keeps the search from re-scanning a word from each of its letters.
    return re.compile("|".join(r"(?<![a-z])[a-z]*?" + re.escape(p) + r"[a-z]*" for p in phrases))


def strongest(hits: list[RuleHit]) -> RuleHit | None:
    """The hit that decides: strongest action, then highest score, then first."""
    if not hits:
        return None
    return max(hits, key=lambda h: (h.action, h.score))
