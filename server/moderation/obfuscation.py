"""Undo the usual tricks that hide a word from a naive filter.

``f.u.c.k``, ``f u c k``, ``sh1t``, ``a$$``, ``fuuuuck`` and ``f*ck`` should all meet the
word list, while ``Scunthorpe``, ``class`` and ``assess`` must not. Normalisation here
handles what is local to characters (case, width, leetspeak, spaced or dotted letters);
the word patterns in :mod:`rules` handle repeated letters, masked vowels and boundaries.
"""

from __future__ import annotations

import re
import unicodedata

_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t",
                       "@": "a", "$": "s", "!": "i", "|": "l", "€": "e"})  # fmt: skip
# A whole token (a maximal run of these characters) with at least one leetspeak character
# in it: the others are left as they are, so only these need the Python callback.
_LEET_TOKEN = re.compile(r"(?<![\w@$!|€*])[\w@$!|€*]*?[013457@$!|€][\w@$!|€*]*")
_SPACED_LETTERS = re.compile(r"(?<![a-z])(?:[a-z][ ._\-~+]){2,}[a-z](?![a-z])")
_SEPARATORS = re.compile(r"[ ._\-~+]")
_SPACE = re.compile(r"\s+")
# Characters a mixed-script spoof uses in place of Latin letters.
_CONFUSABLES = str.maketrans(dict(zip("аеорсхуіѕοαι", "aeopcxyisoai", strict=True)))


def _deleet(token: re.Match[str]) -> str:
    word = token.group(0)
    core = word.rstrip("!")
    if not any(c.isalpha() for c in core) or core.isdigit():
        return word
    return core.translate(_LEET) + word[len(core) :]


def normalize(text: str) -> str:
    """Lower-case ASCII-ish text with leetspeak decoded and spaced-out letters joined."""
    if text.isascii():  # the common case: Unicode normalisation would change nothing
        text = text.lower()
    else:
        text = unicodedata.normalize("NFKC", text).casefold().translate(_CONFUSABLES)
        text = "".join(
            c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)
        )
    text = _LEET_TOKEN.sub(_deleet, text)
    text = _SPACED_LETTERS.sub(lambda m: _SEPARATORS.sub("", m.group(0)), text)
    return _SPACE.sub(" ", text).strip()


_VOWEL_CLASS = "[aeiou*]"


def word_pattern(entry: str) -> str:
    """Regex source for one word-list entry matched on :func:`normalize` output.

    Each letter may repeat (``fuuuck``) and be followed by separators (``f-u-c-k``); a vowel
    may be masked with ``*``. A leading or trailing ``*`` in the entry allows any prefix or
    suffix (``fuck*`` matches ``fucking``); otherwise the entry must stand as a whole word.
    """
    prefix = entry.startswith("*")
    suffix = entry.endswith("*")
    core = entry.strip("*")
    parts: list[str] = []
    for char in core:
        if char == " ":
            parts.append(r"\s+")
            continue
        letter = re.escape(char)
        cls = f"(?:{letter}|\\*)" if char in "aeiou" else letter
        parts.append(f"{cls}+")
    body = r"[._\-~+']*".join(parts)
    # An open end needs no pattern at all (search only asks whether the word is there); a
    # leading [a-z]* would make the search backtrack at every position of a long text.
    head = "" if prefix else r"(?<![a-z])"
    tail = "" if suffix else r"(?![a-z])"
    return head + body + tail


_SKELETON_DROP = re.compile(r"[._\-~+']")
_SKELETON_VOWELS = str.maketrans(dict.fromkeys("aeiou", "*"))
_RUNS = re.compile(r"(.)\1+", re.DOTALL)


def skeleton(text: str) -> str:
    """A lossy key of :func:`normalize` output (or of a word-list entry's core) for a cheap
    necessary test before the word regexes: separators dropped, vowels and ``*`` merged
    into ``*``, runs of one character collapsed.

    Whatever :func:`word_pattern` matches in a text is, mapped this way, the entry's
    skeleton; so an entry whose skeleton is not a substring of the text's skeleton cannot
    match, and the regex search (the costly part of tier 1 on long texts) can be skipped.
    """
    return _RUNS.sub(r"\1", _SKELETON_DROP.sub("", text).translate(_SKELETON_VOWELS))
