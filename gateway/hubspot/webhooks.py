"""HubSpot webhook endpoints: verify the signature, persist each event once, answer 200 fast.

POST /webhooks/hubspot/app      Webhooks-API events: a JSON array, signed v3 (v1 accepted
                                when no v3 header is present; H§1, H§2)
POST /webhooks/hubspot/channel  custom-channel events: one JSON object or an array of them,
                                signed v3 or v1 (H§3.3) with the channel app's secret

Each stream is verified with its own secret: the app webhooks with the client secret of the
app that subscribed (OPENCX_GATEWAY_HUBSPOT_CLIENT_SECRET), the channel webhooks with the
secret of the app that owns the channel (OPENCX_GATEWAY_HUBSPOT_CHANNEL_CLIENT_SECRET,
defaulting to the former).

The handler never calls HubSpot: events are stored (deduplicated) together with a
`webhook` job in one commit, and the WebhookWorker (inbound.py) does the rest.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

from aiohttp import web

from gateway.hubspot.signatures import timestamp_fresh, verify_v1, verify_v3
from gateway.storage import hubspot as hs
from gateway.storage.db import Database, WriteConnection

log = logging.getLogger(__name__)

APP_PATH = "/webhooks/hubspot/app"
CHANNEL_PATH = "/webhooks/hubspot/channel"
PERSIST_FAILURE_EVERY = 10.0  # seconds between stored verification failures (flood guard)


class BadPayload(ValueError):
    """The body is JSON but not the shape this endpoint receives."""


def verify(kind: str, method: str, uri: str, body: bytes, headers: Mapping[str, str],
           secret: str, now: float) -> str | None:
    """None if the request is HubSpot's, else why not (v3 first, then v1)."""
    if not secret:
        return "no client secret configured"
    v3 = headers.get("X-HubSpot-Signature-v3")
    if v3:
        timestamp = headers.get("X-HubSpot-Request-Timestamp", "")
        if not timestamp:
            return "missing X-HubSpot-Request-Timestamp"
        if not timestamp_fresh(timestamp, now):
            return "timestamp outside the 5 minute window"
        valid = verify_v3(secret, method, uri, body, v3, timestamp, now)
        return None if valid else "bad v3 signature"
    v1 = headers.get("X-HubSpot-Signature")
    version = headers.get("X-HubSpot-Signature-Version", "v1").lower()
    if v1 and version == "v1":
        return None if verify_v1(secret, body, v1) else "bad v1 signature"
    return "missing signature"


def _digest(event: Any) -> str:
    return hashlib.sha256(json.dumps(event, sort_keys=True).encode()).hexdigest()[:32]


def app_events(data: Any) -> list[tuple[str, str, Any]]:
    """(dedupe key, type, event) per array element; HubSpot retries keep the eventId (H§2.1)."""
    if not isinstance(data, list) or not all(isinstance(e, dict) for e in data):
        raise BadPayload("expected a JSON array of event objects")
    out = []
    for event in data:
        kind = str(event.get("subscriptionType") or "unknown")
        if event.get("eventId") is not None:
            key = f"app:{event.get('portalId')}:{event['eventId']}"
        else:
            key = f"app:sha256:{_digest({k: v for k, v in event.items() if k != 'attemptNumber'})}"
        out.append((key, kind, event))
    return out


def channel_events(data: Any) -> list[tuple[str, str, Any]]:
    """One event object, or an array of them; message events dedupe on the message id."""
    if isinstance(data, list):
        if not data or not all(isinstance(e, dict) for e in data):
            raise BadPayload("expected a JSON object or an array of objects")
        return [row for event in data for row in channel_events(event)]
    if not isinstance(data, dict):
        raise BadPayload("expected a JSON object")
    kind = str(data.get("type") or "unknown")
    message = data.get("message") if isinstance(data.get("message"), dict) else {}
    if message.get("id"):
        key = f"channel:message:{message['id']}"
    elif data.get("eventId"):
        key = f"channel:event:{data['eventId']}"
    else:
        key = f"channel:sha256:{_digest(data)}"
    return [(key, kind, data)]


class WebhookReceiver:
    """The two aiohttp handlers plus what `status` shows about the latest deliveries."""

    def __init__(self, db: Database, *, secret: Callable[[], str], public_url: Callable[[], str],
                 max_bytes: int, max_attempts: int, clock: Callable[[], float] = time.time,
                 channel_secret: Callable[[], str] | None = None) -> None:
        self.db = db
        self.secret = secret
        self.channel_secret = channel_secret or secret
        self.public_url = public_url
        self.max_bytes = max_bytes
        self.max_attempts = max_attempts
        self.clock = clock
        self.results: Counter[str] = Counter()
        self.last: dict[str, Any] | None = None
        self._last_persisted_failure = 0.0

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post(APP_PATH, self.app_hook)
        app.router.add_post(CHANNEL_PATH, self.channel_hook)

    async def app_hook(self, request: web.Request) -> web.Response:
        return await self._receive(request, "app")

    async def channel_hook(self, request: web.Request) -> web.Response:
        return await self._receive(request, "channel")

    async def _receive(self, request: web.Request, kind: str) -> web.Response:
        body = await self._read(request)
        if body is None:
            return await self._reject(kind, 413, "body too large")
        now = self.clock()
        uri = self.public_url().rstrip("/") + request.raw_path
        secret = self.secret() if kind == "app" else self.channel_secret()
        why = verify(kind, request.method, uri, body, request.headers, secret, now)
        if why is not None:
            return await self._reject(kind, 401, why)
        try:
            data = json.loads(body)
            events = app_events(data) if kind == "app" else channel_events(data)
        except (UnicodeDecodeError, json.JSONDecodeError, BadPayload) as exc:
            return await self._reject(kind, 400, f"malformed body: {type(exc).__name__}")
        summary = self._result(kind, 200, "ok", now, len(events))
        summary.update(shape="array" if isinstance(data, list) else "object",  # verify-live
                       signature="v3" if request.headers.get("X-HubSpot-Signature-v3") else "v1")

        def fn(conn: WriteConnection) -> tuple[int, int]:
            counts = hs.store_events(conn, kind, events, now=now, max_attempts=self.max_attempts)
            hs.set_setup_values(conn, {"last_webhook": summary, f"last_webhook_{kind}": summary},
                                now)
            return counts

        accepted, duplicates = await self.db.write(fn)
        log.info("webhook kind=%s events=%d accepted=%d duplicates=%d",
                 kind, len(events), accepted, duplicates)
        return web.json_response({"accepted": accepted, "duplicates": duplicates})

    async def _read(self, request: web.Request) -> bytes | None:
        """The raw body, or None past max_bytes (checked before and while reading)."""
        if request.content_length is not None and request.content_length > self.max_bytes:
            return None
        chunks, size = [], 0
        async for chunk in request.content.iter_chunked(65536):
            size += len(chunk)
            if size > self.max_bytes:
                return None
            chunks.append(chunk)
        return b"".join(chunks)

    def _result(self, kind: str, status: int, reason: str, now: float,
                events: int = 0) -> dict[str, Any]:
        self.results[reason if status != 200 else "ok"] += 1
        self.last = {"kind": kind, "at": now, "status": status, "result": reason,
                     "events": events}
        return self.last

    async def _reject(self, kind: str, status: int, reason: str) -> web.Response:
        now = self.clock()
        summary = self._result(kind, status, reason, now)
        log.warning("webhook rejected kind=%s status=%d: %s", kind, status, reason)
        if now - self._last_persisted_failure >= PERSIST_FAILURE_EVERY:
            self._last_persisted_failure = now
            await self.db.write(lambda c: hs.set_setup_values(
                c, {"last_webhook_failure": summary}, now))
        return web.json_response({"status": "error", "message": reason}, status=status)

    def snapshot(self) -> dict[str, Any]:
        return {"last": self.last, "results": dict(self.results)}
