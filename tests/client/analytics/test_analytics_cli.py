"""``parley analytics``: JSON and HTML output, figures in and out, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from parley.client.cli import main


def test_json_output_per_chat(story_chat: Path) -> None:
    result = CliRunner().invoke(main, ["analytics", str(story_chat), "--format", "json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    (chat,) = document["chats"]
    assert chat["platform"] == "whatsapp"
    assert chat["participants"] == ["Alex", "Sam"]
    lines = story_chat.read_text("utf-8").splitlines()  # one header per line here
    assert chat["messages"] + chat["system_messages"] == len(lines)
    assert chat["first"].startswith("2023-01-02T")
    assert chat["last"].startswith("2023-06-01T")
    assert (chat["me"], chat["me_source"]) == ("Sam", "deleted-marker")
    you = document["you"]
    assert you["replies"]["fastest_replied"] == ["Alex"]
    assert you["mood"]["trend"] == "rising"
    assert you["topics"][0]["word"] == "climbing"
    assert document["comparison"]["baseline"] == "own-chats"
    assert "nothing was sent" in document["computed_locally"]


def test_me_option_and_date_order_option(story_chat: Path) -> None:
    result = CliRunner().invoke(
        main, ["analytics", str(story_chat), "--me", "Alex", "--date-order", "dmy"]
    )
    assert result.exit_code == 0, result.output
    chat = json.loads(result.output)["chats"][0]
    assert (chat["me"], chat["me_source"]) == ("Alex", "option")


def test_html_report_is_self_contained(story_chat: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = CliRunner().invoke(
        main, ["analytics", str(story_chat), "--format", "html", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    html = out.read_text("utf-8")
    assert html.startswith("<!doctype html>")
    assert "Computed on this machine" in html
    assert "climbing" in html
    assert "<script" not in html
    assert "http" not in html


def test_figures_out_then_compare_with_aggregate(story_chat: Path, tmp_path: Path) -> None:
    figures = tmp_path / "figures.json"
    runner = CliRunner()
    first = runner.invoke(main, ["analytics", str(story_chat), "--figures-out", str(figures)])
    assert first.exit_code == 0, first.output
    assert "Alex" not in figures.read_text("utf-8")
    assert "climbing" not in figures.read_text("utf-8")
    second = runner.invoke(main, ["analytics", str(story_chat), "--aggregate", str(figures)])
    comparison = json.loads(second.output)["comparison"]
    assert comparison["baseline"] == "aggregate"
    assert comparison["contributors"] == 1
    assert comparison["length_ratio"] == 1.0


def test_malformed_file_is_one_clear_line_not_a_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "result.json"
    bad.write_text('{"messages": [{"type": "message", "date": 5}]}', encoding="utf-8")
    result = CliRunner().invoke(main, ["analytics", str(bad)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert f"Error: {bad}, $.messages[0].date: Expected `str | null`, got `int`" in result.output


def test_missing_file_and_no_file(tmp_path: Path) -> None:
    missing = CliRunner().invoke(main, ["analytics", str(tmp_path / "nope.txt")])
    assert missing.exit_code == 1
    assert "cannot be read" in missing.output
    nothing = CliRunner().invoke(main, ["analytics"])
    assert nothing.exit_code == 2
    assert "at least one export" in nothing.output
