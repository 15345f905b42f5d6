"""Fixtures for the moderation tests: the shipped model (loaded once) and an LLM stand-in.

The stand-in is a real HTTP/1.1 server on 127.0.0.1 speaking the OpenAI wire format for
``/v1/moderations`` and ``/v1/chat/completions``; a test switches it between answering,
failing with 500 and hanging (which the client must cut short with its timeout).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from parley.server.moderation.model import ModerationModel


@pytest.fixture(scope="session")
def model() -> ModerationModel:
    return ModerationModel()


@dataclass
class LlmStandIn:
    """State of the stand-in: what to answer and what it was asked."""

    host: str = "127.0.0.1"
    port: int = 0
    mode: str = "ok"  # ok | error | hang
    flagged: bool = True
    chat_answer: str | None = None  # raw assistant content for chat mode
    requests: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    def moderation_body(self, model: str) -> dict[str, Any]:
        scores = {"harassment": 0.01, "hate": 0.02, "sexual": 0.97 if self.flagged else 0.01}
        return {
            "id": "modr-standin",
            "model": model,
            "results": [
                {
                    "flagged": self.flagged,
                    "categories": {k: v > 0.5 for k, v in scores.items()},
                    "category_scores": scores,
                }
            ],
        }

    def chat_body(self, model: str) -> dict[str, Any]:
        content = self.chat_answer
        if content is None:
            content = json.dumps(
                {
                    "flagged": self.flagged,
                    "category": "harassment",
                    "score": 0.9 if self.flagged else 0.1,
                }
            )
        return {
            "id": "chatcmpl-standin",
            "object": "chat.completion",
            "created": 0,
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {"role": "assistant", "content": content},
                }
            ],
        }

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, path, _ = lines[0].split(" ", 2)
            headers = {
                k.lower(): v.strip() for k, v in (h.split(":", 1) for h in lines[1:] if ":" in h)
            }
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            request = json.loads(body) if body else {}
            self.requests.append((path, request))
            if self.mode == "hang":
                await self.release.wait()
            if self.mode == "error":
                status, payload = "500 Internal Server Error", {"error": {"message": "boom"}}
            elif method == "POST" and path == "/v1/moderations":
                status, payload = "200 OK", self.moderation_body(request.get("model", ""))
            elif method == "POST" and path == "/v1/chat/completions":
                status, payload = "200 OK", self.chat_body(request.get("model", ""))
            else:
                status, payload = "404 Not Found", {"error": {"message": "no such route"}}
            data = json.dumps(payload).encode()
            writer.write(
                f"HTTP/1.1 {status}\r\ncontent-type: application/json\r\n"
                f"content-length: {len(data)}\r\nconnection: close\r\n\r\n".encode()
                + data
            )
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@pytest.fixture
async def llm_standin() -> AsyncIterator[LlmStandIn]:
    standin = LlmStandIn()
    server = await asyncio.start_server(standin.handle, standin.host, 0)
    standin.port = server.sockets[0].getsockname()[1]
    async with server:
        yield standin
        standin.release.set()
        server.close()
