"""Stateful spam heuristics with bounded memory.

The same text sent to many receivers and link floods are properties of traffic, not of
one message, so they need state; a chat server runs for months, so every structure here
is bounded twice: by a time window (old entries are dropped) and by a maximum number of
keys (least recently used first).
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections import Counter, OrderedDict, deque
from dataclasses import dataclass
from datetime import datetime

from parley.server.moderation.obfuscation import normalize

URL = re.compile(r"(?:https?://|www\.)\S+|\b[\w-]+\.(?:com|net|org|io|ru|xyz|biz|info|top|co)\b\S*")
_LETTER = re.compile(r"[^\W\d_]")
_WORD = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class _TextFacts:
    """What the heuristics need from a text alone, computed once per distinct text."""

    links: int
    digest: str | None  # of the normalised text, when long enough to be a campaign
    single_hit: str | None  # the first single-message heuristic it trips


@dataclass(frozen=True, slots=True)
class SpamSettings:
    window_seconds: float = 600.0
    same_text_receivers: int = 5  # distinct receivers of one text in the window
    same_text_min_chars: int = 16  # "hi" and "ok" are not a campaign
    links_per_message: int = 4
    links_per_sender: int = 10  # links sent by one user in the window
    caps_min_letters: int = 24
    caps_ratio: float = 0.85
    repeated_char_run: int = 16
    repeated_word_min: int = 10
    repeated_word_ratio: float = 0.6
    max_tracked_keys: int = 50_000


class _WindowedCounter:
    """Per key, the (time, value) events of the last window; LRU-bounded in keys."""

    def __init__(self, window: float, max_keys: int) -> None:
        self._window = window
        self._max_keys = max_keys
        self._events: OrderedDict[str, deque[tuple[float, int]]] = OrderedDict()

    def add(self, key: str, at: float, value: int) -> deque[tuple[float, int]]:
        events = self._events.pop(key, None)
        if events is None:
            events = deque()
        events.append((at, value))
        while events and events[0][0] <= at - self._window:
            events.popleft()
        self._events[key] = events
        while len(self._events) > self._max_keys:
            self._events.popitem(last=False)
        return events

    def __len__(self) -> int:
        return len(self._events)


class SpamTracker:
    """Remembers recent traffic and names the spam heuristic a message trips, if any."""

    def __init__(self, settings: SpamSettings | None = None) -> None:
        self.settings = settings or SpamSettings()
        window, keys = self.settings.window_seconds, self.settings.max_tracked_keys
        self._texts = _WindowedCounter(window, keys)
        self._links = _WindowedCounter(window, keys)
        self._repeated_char = re.compile(rf"(.)\1{{{self.settings.repeated_char_run - 1},}}")
        # Spam and chatter repeat texts; only the windowed counters need each message.
        self._facts = functools.lru_cache(maxsize=4096)(self._text_facts)

    @property
    def tracked_keys(self) -> int:
        return len(self._texts) + len(self._links)

    def check(
        self, text: str, *, sender_id: int, receiver_id: int, sent_at: datetime
    ) -> str | None:
        """Record the message and return the id of the first heuristic it trips, or None."""
        s = self.settings
        at = sent_at.timestamp()
        facts = self._facts(text)
        hit: str | None = None
        if facts.digest is not None:
            events = self._texts.add(facts.digest, at, receiver_id)
            if len({receiver for _, receiver in events}) >= s.same_text_receivers:
                hit = "spam.same_text_many_receivers"
        if facts.links:
            sent = self._links.add(str(sender_id), at, facts.links)
            if hit is None and sum(count for _, count in sent) >= s.links_per_sender:
                hit = "spam.link_flood_sender"
        return hit or facts.single_hit

    def _text_facts(self, text: str) -> _TextFacts:
        links = len(URL.findall(text))
        skeleton = normalize(text)
        digest = None
        if len(skeleton) >= self.settings.same_text_min_chars:
            digest = hashlib.blake2b(skeleton.encode(), digest_size=12).hexdigest()
        return _TextFacts(links, digest, self._single_message(text, links))

    def _single_message(self, text: str, links: int) -> str | None:
        s = self.settings
        if links >= s.links_per_message:
            return "spam.link_flood_message"
        letters = _LETTER.findall(text)
        if len(letters) >= s.caps_min_letters:
            upper = sum(map(str.isupper, letters))
            if upper / len(letters) >= s.caps_ratio:
                return "spam.excessive_caps"
        if self._repeated_char.search(text):
            return "spam.repeated_characters"
        words = [w.lower() for w in _WORD.findall(text)]
        if len(words) >= s.repeated_word_min:
            most = max(Counter(words).values())
            if most / len(words) >= s.repeated_word_ratio:
                return "spam.repeated_words"
        return None
