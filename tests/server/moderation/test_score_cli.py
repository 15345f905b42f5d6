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
        b'{"text": "hello there"}',
        b"this is not json",
        b'{"message": "no text field"}',
        b"[1, 2]",
        b'{"text": "I will kill you", "sender_id": "x"}',
        b"",
        b'{"text": "i want to kill myself"}',
        b'{"text": "caf\xe9"}',  # Latin-1, not UTF-8
    ]
    result = subprocess.run(
        COMMAND, input=b"\n".join(lines) + b"\n", capture_output=True, timeout=TIMEOUT, check=False
    )
    stdout, stderr = result.stdout.decode(), result.stderr.decode()
    out = [json.loads(line) for line in stdout.splitlines()]
    assert [o.get("error", {}).get("code") for o in out] == [
        None,
        "bad_json",
        "missing_text",
        "not_an_object",
        "invalid_field",
        None,
        "bad_encoding",
    ]
    assert [o["line"] for o in out] == [1, 2, 3, 4, 5, 7, 8]
    assert out[-2]["decision"] == "review"
    assert out[-2]["rule"].startswith("self_harm.")
    assert "line 2 is not JSON" in stderr
    assert "line 8 is not UTF-8" in stderr
    assert stderr.count("parley moderation score:") == 5
    assert result.returncode == 1
