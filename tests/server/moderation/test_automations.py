"""Tier 1: word lists with obfuscation and boundaries, patterns, allow-lists, user overrides."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parley.server.moderation.automations import (
    Action,
    CategoryRules,
    RuleHit,
    RulesError,
    RuleSet,
    _compile,
    strongest,
)
from parley.server.moderation.obfuscation import normalize, skeleton, word_pattern


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return RuleSet()


def rule_ids(rules: RuleSet, text: str) -> list[str]:
    return [hit.rule for hit in rules.match_text(text)]


@pytest.mark.parametrize(
    "text",
    ["fuck you", "f.u.c.k you", "F U C K this", "fuuuuuck", "f*ck off", "what the FUCKING hell",
     "ffffuuuuccckkk", "f-u-c-k"],
)  # fmt: skip
def test_obfuscated_profanity_meets_the_word_list(rules: RuleSet, text: str) -> None:
    assert rule_ids(rules, text) == ["profanity.word:fuck"]


@pytest.mark.parametrize("text", ["sh1t happens", "$hit", "this is SHIT!", "sh.i.t"])
def test_leetspeak_and_punctuation_are_undone(rules: RuleSet, text: str) -> None:
    assert rule_ids(rules, text) == ["profanity.word:shit"]


@pytest.mark.parametrize(
    "text",
    ["I grew up in Scunthorpe", "please assess the class", "a cocktail at the peacock bar",
     "as i said", "the analyst was at Hancock's", "shiitake mushrooms", "cumulative sum",
     "he hit the ball", "this hit song", "kill the python process"],
)  # fmt: skip
def test_words_inside_other_words_do_not_match(rules: RuleSet, text: str) -> None:
    assert rule_ids(rules, text) == []


def test_normalize_joins_spaced_letters_and_decodes_leet() -> None:
    assert normalize("F U C K  th1s") == "fuck this"
    assert normalize("h3ll0 w0rld 2024") == "hello world 2024"


def test_each_hit_names_its_rule_category_and_action(rules: RuleSet) -> None:
    [hit] = rules.match_text("I want to kill myself")
    assert hit.rule.startswith("self_harm.pattern:")
    assert hit.category == "self_harm"
    assert hit.action is Action.REVIEW
    [threat] = rules.match_text("I'm going to kill you tomorrow")
    assert threat.category == "threat"
    assert [h.category for h in rules.match_text("you are a f4gg0t")] == ["hate"]


def test_user_file_overrides_action_and_extends_allow_list(tmp_path: Path) -> None:
    user = tmp_path / "rules.toml"
    user.write_text(
        '[allow]\nphrases = ["shitstorm"]\n\n'
        '[categories.profanity]\naction = "remove"\nwords = ["shit*", "darn"]\n',
        "utf-8",
    )
    rules = RuleSet(user)
    assert [h.action for h in rules.match_text("oh darn")] == [Action.REMOVE]
    assert rules.match_text("what a shitstorm") == []
    assert rules.match_text("shitty day") != []
    # Keys the user file does not set keep the shipped values.
    assert rules.categories["profanity"].score == RuleSet().categories["profanity"].score


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('[categories.gore]\nwords = ["x"]\n', "unknown moderation category 'gore'"),
        ('[categories.hate]\naction = "ban"\n', "categories.hate.action"),
        ('[categories.hate]\npatterns = ["(unclosed"]\n', "patterns[0] is not a regex"),
        ("[spam]\nwindow = 3\n", "unknown spam settings"),
        ("not toml at all [", "cannot read rules"),
    ],
)
def test_malformed_user_rules_are_refused_with_file_and_key(
    tmp_path: Path, content: str, message: str
) -> None:
    user = tmp_path / "bad.toml"
    user.write_text(content, "utf-8")
    with pytest.raises(RulesError, match=r"bad\.toml") as error:
        RuleSet(user)
    assert message in str(error.value)


def test_strongest_hit_decides() -> None:
    flag = RuleHit("profanity.word:fuck", "profanity", Action.FLAG, 0.0)
    review = RuleHit("threat.pattern:0", "threat", Action.REVIEW, 0.85)
    assert strongest([flag, review]) is review
    assert strongest([]) is None


# --- the skeleton pre-test: a speed-up that must never change an answer ------------------

_SHIPPED = RuleSet()
_FRAGMENTS = sorted(
    {word.strip("*") for rules in _SHIPPED.categories.values() for word in rules.words}
    | {"assess", "cocktail", "scunthorpe", "raccoon", "spicy", "hello", "class", "titan"}
)
_obfuscated = st.builds(
    lambda word, joiner, stretch, mask: joiner.join(
        (c * stretch if i == 1 else ("*" if mask and c in "aeiou" else c))
        for i, c in enumerate(word)
    ),
    st.sampled_from(_FRAGMENTS),
    st.sampled_from(["", ".", "-", " ", "'", "_", "~"]),
    st.integers(1, 3),
    st.booleans(),
)
_texts = st.lists(
    st.one_of(_obfuscated, st.text("abcdefghijklmnopqrstuvwxyz*.-' 013$@", max_size=12)),
    max_size=8,
).map(" ".join)


def _full_alternation(rules: CategoryRules, text: str) -> str | None:
    """The word rules as they were before the pre-test: one search over every word."""
    regex = re.compile("|".join(f"(?P<w{i}>{s})" for i, s in enumerate(rules.word_sources)))
    found = regex.search(text)
    if found is None or found.lastgroup is None:
        return None
    return f"{rules.category}.word:{rules.words[int(found.lastgroup[1:])].strip('*')}"


@settings(max_examples=300, deadline=None)
@given(_texts)
def test_the_skeleton_pre_test_finds_what_searching_every_word_finds(raw: str) -> None:
    text = normalize(raw)
    for name, shipped in _SHIPPED.categories.items():
        if not shipped.words:
            continue
        words_only = _compile(name, {"words": list(shipped.words)}, "test")
        assert words_only.first_match(text) == _full_alternation(words_only, text), name


@pytest.mark.parametrize(
    ("entry", "text"),
    [("fuck", "ffuuu-c.k"), ("fuck", "f*ck"), ("piss off", "piiss   off"), ("boobies", "b0obiies")],
)
def test_an_entry_skeleton_is_found_in_every_text_its_pattern_matches(
    entry: str, text: str
) -> None:
    normalized = normalize(text)
    assert re.search(word_pattern(entry), normalized)
    assert skeleton(entry) in skeleton(normalized)


def test_allowed_phrases_mask_only_when_present(rules: RuleSet) -> None:
    assert rules.match_text("a cocktail with a cock") == [
        RuleHit("sexual.word:cock", "sexual", Action.FLAG, rules.categories["sexual"].score)
    ]
    assert rules.match_text("cocktail hour at the peacock") == []
