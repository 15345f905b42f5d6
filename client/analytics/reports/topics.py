"""Favourite topics: words you use much more than the people you talk with, offline.

Score of a word w: ``c_me(w) * log(p_me(w) / p_others(w))`` with add-one smoothing
(p = (count + 1) / (total + vocabulary)): frequent for you *and* distinctive of you. A
word needs MIN_COUNT uses by you; stop-words of English, Spanish, Portuguese, German,
French, Italian and Dutch, links, numbers and words under three letters are skipped.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from typing import Any

from parley.client.analytics.model import Message, MessageKind

MIN_COUNT = 2
TOP = 10

_LINK = re.compile(r"https?://\S+|www\.\S+")
_WORD = re.compile(r"[^\W\d_]{3,}")

STOP_WORDS = frozenset(
    """
    the and for are but not you your yours all any can had her was one our out has him his
    how its may new now see two way who did get got let say she too use this that with have
    from they will would there their what about which when make like time just know take
    into year them some could than then look only come over also back after work first
    well even want because these give most yes yeah okay haha lol its i'm it's don't
    que los las del por con una para como pero sus más mas este esta eso esto son fue hay
    muy sin sobre también tambien hasta donde quien desde todo nos durante todos uno les
    ese eso mis tus era ser tiene jaja jajaja
    não nao com uma para por mais das dos como mas foi ele ela seu sua ou quando muito
    nos já ja eu também tambem pelo pela até isso entre depois sem mesmo aos seus quem
    nas esse eles você voce vc tem kkk kkkk
    der die das und ist nicht ein eine mit den dem des sich auf für fur ich sie auch
    als wie bei oder wird sind noch nur vom zum zur aus dass hat war haben kann mir
    les des une pour dans par sur pas qui est plus avec tout mais comme elle ont aux
    son ses été etre être ces nous vous leur sont fait bien aussi très tres
    che non per una con del della sono alla anche come più piu gli nel dei questo
    hai perché perche cosa sei mio tuo
    het een van dat niet zijn voor met ook maar als dan bij nog wel naar kan
    """.split()  # noqa: SIM905 - a word list reads better as text
)


def words(text: str) -> list[str]:
    text = _LINK.sub(" ", text.lower())
    return [word for word in _WORD.findall(text) if word not in STOP_WORDS]


def _count(messages: Iterable[Message]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for message in messages:
        if message.kind is MessageKind.TEXT:
            counts.update(words(message.text))
    return counts


def favourite_topics(mine: Iterable[Message], others: Iterable[Message]) -> list[dict[str, Any]]:
    my_counts = _count(mine)
    other_counts = _count(others)
    vocabulary = len(my_counts.keys() | other_counts.keys()) or 1
    my_total = sum(my_counts.values())
    other_total = sum(other_counts.values())
    scored: list[dict[str, Any]] = []
    for word, count in my_counts.items():
        if count < MIN_COUNT:
            continue
        p_me = (count + 1) / (my_total + vocabulary)
        p_other = (other_counts.get(word, 0) + 1) / (other_total + vocabulary)
        score = count * math.log(p_me / p_other)
        if score > 0:
            scored.append({"word": word, "count": count, "score": round(score, 3)})
    scored.sort(key=lambda row: (-row["score"], row["word"]))
    return scored[:TOP]
