"""A fake OpenAI-compatible server: an aiohttp app on 127.0.0.1:0 whose replies tests script.

    fake = FakeOpenAI(); await fake.start()      # fake.base_url -> http://127.0.0.1:PORT/v1
    fake.content("Hi Anna, ...")                 # next reply: plain assistant content
    fake.tool_call("missing_knowledge", "...")   # next reply: an escalate_to_human tool call
    fake.json({"action": "reply", ...})          # next reply: strict JSON as content
    fake.status(500)                             # next reply: HTTP 500 with an error body
    fake.hang()                                  # next request never gets an answer
    fake.raw("{not json")                        # next reply: 200 with a malformed body
    await fake.close()

Every request is recorded (headers and JSON body) in ``fake.requests``. A request with no
scripted reply left gets HTTP 599 "unscripted", so a test that sends more than it expected
fails loudly.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

Step = Callable[[], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Recorded:
    path: str
    headers: dict[str, str]
    body: Any


def completion(message: dict[str, Any], finish_reason: str = "stop") -> dict[str, Any]:
    """A chat.completion object shaped like OpenAI's."""
    return {
        "id": "chatcmpl-fake", "object": "chat.completion", "created": 1736150400,
        "model": "fake-model",
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
    }


class FakeOpenAI:
    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self._script: deque[Step] = deque()
        self._release = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._handle)
        self._runner = web.AppRunner(app, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.base_url = f"http://{host}:{port}/v1"
        return self.base_url

    async def close(self) -> None:
        self._release.set()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        try:
            body = await request.json()
        except json.JSONDecodeError:
            body = None
        self.requests.append(Recorded(request.path, dict(request.headers), body))
        if not self._script:
            return web.json_response({"error": {"message": "unscripted"}}, status=599)
        return await self._script.popleft()()

    # -- scripting -----------------------------------------------------------------------

    def _then(self, step: Step) -> None:
        self._script.append(step)

    def message(self, message: dict[str, Any], finish_reason: str = "stop") -> None:
        async def step() -> web.StreamResponse:
            return web.json_response(completion(message, finish_reason))
        self._then(step)

    def content(self, text: str | None) -> None:
        self.message({"role": "assistant", "content": text})

    def tool_call(self, reason: str, summary: str, *, name: str = "escalate_to_human",
                  arguments: str | None = None) -> None:
        args = arguments if arguments is not None else json.dumps(
            {"reason": reason, "summary": summary})
        self.message({
            "role": "assistant", "content": None,
            "tool_calls": [{"id": "call_1", "type": "function",
                            "function": {"name": name, "arguments": args}}],
        }, finish_reason="tool_calls")

    def json(self, obj: Any) -> None:
        self.content(json.dumps(obj))

    def status(self, status: int, error: str = "server error") -> None:
        async def step() -> web.StreamResponse:
            return web.json_response({"error": {"message": error, "type": "server_error"}},
                                     status=status)
        self._then(step)

    def hang(self) -> None:
        async def step() -> web.StreamResponse:
            await self._release.wait()
            return web.json_response(completion({"role": "assistant", "content": "too late"}))
        self._then(step)

    def raw(self, body: str, content_type: str = "application/json") -> None:
        async def step() -> web.StreamResponse:
            return web.Response(text=body, content_type=content_type)
        self._then(step)
