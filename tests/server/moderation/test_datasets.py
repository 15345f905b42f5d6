"""The labeled-data loader: every handwritten file, one file by name, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from parley.server.moderation import datasets
from parley.server.moderation.categories import CATEGORIES


def test_the_handwritten_set_is_every_file_in_the_folder() -> None:
    files = datasets.handwritten_files()
    assert {"hate", "long_posts", "benign_sexual_spam"} <= {p.stem for p in files}
    whole = datasets.load("handwritten")
    assert len(whole) == sum(len(datasets.load(f"handwritten/{p.stem}")) for p in files)
    assert {e.source for e in whole} == {"handwritten"}
    for example in whole:
        assert example.toxic in (0, 1)
        assert set(example.categories) <= set(CATEGORIES)
        assert example.toxic or not example.categories, example.text  # benign has none


def test_the_readme_lists_every_handwritten_file() -> None:
    readme = (datasets.HANDWRITTEN_DIR.parent / "README.md").read_text("utf-8")
    for path in datasets.handwritten_files():
        assert f"`{path.name}`" in readme, path.name


def test_one_handwritten_file_is_a_slice_of_the_handwritten_set() -> None:
    assert datasets.dataset("handwritten/benign") is datasets.HANDWRITTEN
    benign = datasets.load("handwritten/benign")
    assert benign
    assert all(e.toxic == 0 and e.source == "handwritten" for e in benign)


def test_an_unknown_handwritten_file_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"unknown handwritten file .*handwritten/hate"):
        datasets.dataset("handwritten/nope")
    with pytest.raises(ValueError, match="unknown data set"):
        datasets.load("reddit")


def test_a_malformed_line_names_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_text(json.dumps({"text": "hi", "toxic": 0}) + "\n" + '{"text": "no label"}\n')
    with pytest.raises(ValueError, match=r"rows\.jsonl:2: not a labeled example"):
        datasets.read_jsonl(path, "x")
