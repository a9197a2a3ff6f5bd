"""Helpers for the HubSpot emulator tests: constants, a fake clock, a webhook receiver."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import aiohttp
from aiohttp import web

T = TypeVar("T")
TOKEN = "emulator-token"
SECRET = "emulator-secret"
DEV_KEY = "emulator-dev-key"
APP_ID = 4242


class FakeClock:
    """An injectable clock that only moves when told to."""

    def __init__(self, start: float = 1_750_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


async def call(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a blocking hubspot-api-client call off the event loop."""
    return await asyncio.to_thread(fn, *args, **kwargs)


@dataclass
class Received:
    url: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A webhook receiver: records requests, answers ``statuses`` first, then 200."""

    base_url: str = ""
    requests: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.requests.append(Received(str(request.url), dict(request.headers), body))
        status = self.statuses.pop(0) if self.statuses else 200
        return web.Response(status=status)

    def to(self, path: str) -> list[Received]:
        return [r for r in self.requests if r.url.split("?")[0].endswith(path)]


async def make_channel(http: aiohttp.ClientSession, webhook_url: str | None,
                       threading: str = "INTEGRATION_THREAD_ID") -> tuple[str, str]:
    """Register a custom channel (developer key) and a channel account; -> (channel, account)."""
    caps = {"deliveryIdentifierTypes": ["HS_EMAIL_ADDRESS"], "threadingModel": threading,
            "allowOutgoingMessages": True, "richText": ["HYPERLINK", "BOLD"]}
    async with http.post("/conversations/v3/custom-channels",
                         params={"hapikey": DEV_KEY, "appId": str(APP_ID)},
                         json={"name": "OpenCX AI Email", "capabilities": caps,
                               "webhookUrl": webhook_url}) as resp:
        assert resp.status == 200, await resp.text()
        channel = (await resp.json())["id"]
    async with http.get("/conversations/v3/conversations/inboxes") as resp:
        inbox = (await resp.json())["results"][0]["id"]
    async with http.post(f"/conversations/v3/custom-channels/{channel}/channel-accounts",
                         json={"name": "support@ourco.test", "inboxId": inbox,
                               "authorized": True,
                               "deliveryIdentifier": {"type": "HS_EMAIL_ADDRESS",
                                                      "value": "support@ourco.test"}}) as resp:
        assert resp.status == 200, await resp.text()
        account = (await resp.json())["id"]
    return channel, account


def incoming(account: str, thread_key: str, idem: str, text: str = "Hello, I need help",
             email: str = "jane@example.test", timestamp: str = "2025-01-01T12:00:00Z"
             ) -> dict[str, Any]:
    """A publish body for a customer message."""
    return {"messageDirection": "INCOMING", "integrationThreadId": thread_key,
            "integrationIdempotencyId": idem, "channelAccountId": account,
            "senders": [{"name": "Jane Doe",
                         "deliveryIdentifier": {"type": "HS_EMAIL_ADDRESS", "value": email}}],
            "recipients": [{"name": "Support", "deliveryIdentifier": {
                "type": "HS_EMAIL_ADDRESS", "value": "support@ourco.test"}}],
            "text": text, "richText": f"<p>{text}</p>", "timestamp": timestamp,
            "attachments": []}
