"""``parley moderation score`` over stdin in a real subprocess: streaming, bad lines."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys

COMMAND = [
    sys.executable,
    "-c",
    "from parley.client.cli import main; main()",
    "moderation",
    "score",
]
TIMEOUT = 60.0


async def test_score_streams_one_line_out_per_line_in() -> None:
    process = await asyncio.create_subprocess_exec(
        *COMMAND, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert process.stdin is not None
    assert process.stdout is not None
    try:
        answers = []
        # Each answer is read before the next line is written: the command must not wait
        # for the end of its input.
        for row in ({"text": "see you at lunch", "id": 7}, {"text": "shut up you worthless idiot"}):
            process.stdin.write((json.dumps(row) + "\n").encode())
            await process.stdin.drain()
            line = await asyncio.wait_for(process.stdout.readline(), TIMEOUT)
            answers.append(json.loads(line))
    finally:
        process.stdin.close()
        await asyncio.wait_for(process.wait(), TIMEOUT)
    benign, rude = answers
    assert benign["id"] == 7
    assert benign["decision"] == "approve"
    assert benign["band"] == "ML_OK"
    assert rude["overall"] > benign["overall"]
    assert set(rude["categories"]) >= {
        "harassment",
        "hate",
        "threat",
        "sexual",
        "self_harm",
        "spam",
        "profanity",
    }
    assert process.returncode == 0


def test_bad_lines_get_an_error_object_and_the_rest_is_scored() -> None:
    lines = [
        '{"text": "hello there"}',
        "this is not json",
        '{"message": "no text field"}',
        "[1, 2]",
        '{"text": "I will kill you", "sender_id": "x"}',
        "",
        '{"text": "i want to kill myself"}',
    ]
    result = subprocess.run(
        COMMAND,
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o.get("error", {}).get("code") for o in out] == [
        None,
        "bad_json",
        "missing_text",
        "not_an_object",
        "invalid_field",
        None,
    ]
    assert [o["line"] for o in out] == [1, 2, 3, 4, 5, 7]
    assert out[-1]["decision"] == "review"
    assert out[-1]["rule"].startswith("self_harm.")
    assert "line 2 is not JSON" in result.stderr
    assert result.stderr.count("parley moderation score:") == 4
    assert result.returncode == 1
