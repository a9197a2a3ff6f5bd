"""Signed webhook delivery of the HubSpot emulator with HubSpot-like retries, and the settings API.

Two kinds, as HUBSPOT.md §0.3 describes:

* ``app``: Webhooks-API events (``conversation.newMessage``, ``ticket.propertyChange``, ...)
  POSTed as a JSON **array** to the app's target URL, signed v1 (``X-HubSpot-Signature``,
  ``X-HubSpot-Signature-Version: v1``) and v3.
* ``channel``: custom-channel events (``OUTGOING_CHANNEL_MESSAGE_CREATED``, ...) POSTed to the
  channel's ``webhookUrl`` as one JSON **object** (default) or a one-element **array**
  (``channel_webhook_shape``), signed v3 (default) or v1 (``channel_signature``) with the
  channel app's secret (``channel_client_secret``; UNCONFIRMED which HubSpot sends when).

Retries follow HubSpot's Webhooks API: on a connection error, a timeout or any status other
than 2xx, 400, 401, 403, 404 and 405, up to ``len(retry_delays)`` more tries, honouring
``Retry-After``. HubSpot spreads 10 retries over 24 hours with random jitter; the emulator
uses the fixed, configurable ``retry_delays``. Applying the same policy to custom-channel
webhooks is UNCONFIRMED.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import aiohttp
import yarl
from aiohttp import web

from gateway.hubspot.emulator.http import CTX, HubSpotHTTPError, api, json_response, read_json
from gateway.hubspot.emulator.state import EmulatorState, Json, iso
from gateway.hubspot.signatures import sign_v1, sign_v3

log = logging.getLogger(__name__)

NO_RETRY = frozenset({400, 401, 403, 404, 405})
USER_AGENT = ("HubSpot Connect 2.0 (http://dev.hubspot.com/) "
              "(namespace: webhooks-nio-http-client) - WebhooksExecutorDaemon-executor")
DEFAULT_RETRY_DELAYS = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0)
"""Delays before retries 1..9: ten tries in all, like HubSpot's maximum (but not 24 hours)."""

routes = web.RouteTableDef()


@dataclass
class Delivery:
    """One delivery attempt; ``status`` is None when no HTTP response came back."""

    kind: str
    url: str
    attempt: int
    status: int | None
    error: str | None
    events: list[str]


def _ms(ts: float) -> int:
    return int(ts * 1000)


class Webhooks:
    """Builds, signs and delivers webhooks in background tasks; keeps a delivery log."""

    def __init__(self, state: EmulatorState, retry_delays: Sequence[float] = DEFAULT_RETRY_DELAYS,
                 timeout: float = 10.0) -> None:
        self.state = state
        self.retry_delays = tuple(retry_delays)
        self.timeout = timeout
        self.deliveries: list[Delivery] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._session: aiohttp.ClientSession | None = None

    # -- event builders ------------------------------------------------------------------
    def app_event(self, subscription_type: str, object_id: str, **fields: object) -> Json:
        """One Webhooks-API event (``attemptNumber`` is set per delivery attempt)."""
        return {
            "eventId": int(self.state.next_id("events")),
            "subscriptionId": self.state.subscription_id(subscription_type),
            "portalId": self.state.settings.portal_id,
            "appId": self.state.settings.app_id,
            "occurredAt": _ms(self.state.now()),
            "subscriptionType": subscription_type,
            "attemptNumber": 0,
            "objectId": int(object_id),
            **fields,
        }

    def new_message(self, message: Json) -> None:
        """``conversation.newMessage`` for a MESSAGE or COMMENT, if subscribed."""
        if self.state.subscribed("conversation.newMessage"):
            event = self.app_event("conversation.newMessage", message["conversationsThreadId"],
                                   messageId=message["id"], messageType=message["type"],
                                   changeFlag="NEW_MESSAGE")
            self.send_app_events([event])

    def creation(self, object_type: str, object_id: str) -> None:
        """``<object>.creation`` (``changeFlag: NEW``), if the app subscribed to it."""
        event_type = {"tickets": "ticket", "contacts": "contact"}.get(object_type, "")
        if event_type and self.state.subscribed(f"{event_type}.creation"):
            self.send_app_events([self.app_event(f"{event_type}.creation", object_id,
                                                 changeFlag="NEW", changeSource="INTEGRATION")])

    def property_change(self, object_type: str, object_id: str, changes: dict[str, str | None],
                        source: str, source_id: str | None = None) -> None:
        """``<object>.propertyChange`` events, one per subscribed changed property."""
        event_type = {"tickets": "ticket", "contacts": "contact"}.get(object_type)
        if event_type is None:
            return
        event_type += ".propertyChange"
        extra = {"sourceId": source_id} if source_id else {}
        events = [
            self.app_event(event_type, object_id, propertyName=name, propertyValue=value or "",
                           changeSource=source, **extra)
            for name, value in changes.items() if self.state.subscribed(event_type, name)
        ]
        self.send_app_events(events)

    def conversation_change(self, thread_id: str, name: str, value: str) -> None:
        """``conversation.propertyChange`` (e.g. ``status`` -> ``CLOSED``), if subscribed."""
        if self.state.subscribed("conversation.propertyChange", name):
            event = self.app_event("conversation.propertyChange", thread_id,
                                   propertyName=name, propertyValue=value)
            self.send_app_events([event])

    def channel_event(self, channel: Json, event_type: str, **fields: object) -> None:
        """A custom-channel event object to the channel's ``webhookUrl``, if it has one.

        UNCONFIRMED shape (HUBSPOT.md §3.3): assembled from public integrations.
        """
        url = channel.get("webhookUrl")
        if not url:
            return
        payload = {"type": event_type, "portalId": str(self.state.settings.portal_id),
                   "channelId": channel["id"], "eventTimestamp": iso(self.state.now()),
                   "eventId": str(uuid.uuid4()), **fields}
        shaped = [payload] if self.state.settings.channel_webhook_shape == "array" else payload
        body = json.dumps(shaped, separators=(",", ":")).encode()
        self._spawn("channel", url, lambda _attempt: body, [payload["eventId"]])

    def send_app_events(self, events: list[Json]) -> None:
        """POST ``events`` as one JSON array to the app's target URL (if set)."""
        url = self.state.settings.webhook_target_url
        if not url or not events:
            return

        def build(attempt: int) -> bytes:
            batch = [{**event, "attemptNumber": attempt} for event in events]
            return json.dumps(batch, separators=(",", ":")).encode()

        self._spawn("app", url, build, [str(e["eventId"]) for e in events])

    # -- delivery ------------------------------------------------------------------------
    def _spawn(self, kind: str, url: str, build: Callable[[int], bytes], ids: list[str]) -> None:
        task = asyncio.get_running_loop().create_task(self._deliver(kind, url, build, ids))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, kind: str, url: str, build: Callable[[int], bytes],
                       ids: list[str]) -> None:
        tries = len(self.retry_delays) + 1
        for attempt in range(tries):
            status, error, retry_after = await self._post(kind, url, build(attempt))
            self.deliveries.append(Delivery(kind, url, attempt, status, error, ids))
            if status is not None and (200 <= status < 300 or status in NO_RETRY):
                return
            if attempt + 1 == tries:
                log.warning("webhook gave up kind=%s events=%s tries=%d", kind, ids, tries)
                return
            delay = self.retry_delays[attempt]
            await asyncio.sleep(max(delay, retry_after or 0.0))

    def headers(self, kind: str, url: str, body: bytes) -> dict[str, str]:
        """The signed headers HubSpot sends with ``body`` to ``url``."""
        settings = self.state.settings
        secret = settings.client_secret if kind == "app" else settings.channel_secret
        timestamp = str(_ms(self.state.now()))
        headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT,
                   "X-HubSpot-Timeout-Millis": str(int(self.timeout * 1000))}
        if kind == "app" or settings.channel_signature == "v3":
            headers |= {"X-HubSpot-Signature-v3": sign_v3(secret, "POST", url, body, timestamp),
                        "X-HubSpot-Request-Timestamp": timestamp}
        if kind == "app" or settings.channel_signature == "v1":
            headers |= {"X-HubSpot-Signature": sign_v1(secret, body),
                        "X-HubSpot-Signature-Version": "v1"}
        return headers

    async def _post(self, kind: str, url: str, body: bytes
                    ) -> tuple[int | None, str | None, float | None]:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        try:
            async with self._session.post(yarl.URL(url, encoded=True), data=body,
                                          headers=self.headers(kind, url, body),
                                          timeout=timeout) as response:
                await response.read()
                return response.status, None, _retry_after(response)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            return None, type(exc).__name__, None

    async def wait(self) -> None:
        """Return once every delivery (including its retries) has finished."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        """Cancel pending deliveries and close the HTTP session."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)
        if self._session is not None:
            await self._session.close()
            self._session = None

    def log_json(self) -> list[Json]:
        """The delivery log as JSON rows."""
        return [asdict(d) for d in self.deliveries]


def _retry_after(response: aiohttp.ClientResponse) -> float | None:
    try:
        return float(response.headers.get("Retry-After", ""))
    except ValueError:
        return None


# -- Webhooks API settings (developer key) -----------------------------------------------

def _app(request: web.Request) -> EmulatorState:
    state = request.app[CTX].state
    if request.match_info["app_id"] != str(state.settings.app_id):
        raise HubSpotHTTPError(404, f"App {request.match_info['app_id']} not found")
    return state


def _settings_json(state: EmulatorState) -> Json:
    stamp = iso(state.now())
    return {"targetUrl": state.settings.webhook_target_url or "",
            "throttling": {"maxConcurrentRequests": 10, "period": "SECONDLY"},
            "createdAt": stamp, "updatedAt": stamp}


@routes.get("/webhooks/v3/{app_id}/settings")
@api(auth="hapikey")
async def get_settings(request: web.Request) -> web.Response:
    state = _app(request)
    if not state.settings.webhook_target_url:
        raise HubSpotHTTPError(404, "No webhook settings for this app")
    return json_response(_settings_json(state))


@routes.put("/webhooks/v3/{app_id}/settings")
@api(auth="hapikey")
async def put_settings(request: web.Request) -> web.Response:
    state = _app(request)
    body = await read_json(request)
    target = body.get("targetUrl") if isinstance(body, dict) else None
    if not isinstance(target, str) or not target.startswith(("http://", "https://")):
        raise HubSpotHTTPError(400, "targetUrl must be an http(s) URL")
    state.settings.webhook_target_url = target
    return json_response(_settings_json(state))


@routes.delete("/webhooks/v3/{app_id}/settings")
@api(auth="hapikey")
async def delete_settings(request: web.Request) -> web.Response:
    _app(request).settings.webhook_target_url = None
    return web.Response(status=204)


@routes.get("/webhooks/v3/{app_id}/subscriptions")
@api(auth="hapikey")
async def list_subscriptions(request: web.Request) -> web.Response:
    return json_response({"results": _app(request).subscriptions})


@routes.post("/webhooks/v3/{app_id}/subscriptions")
@api(auth="hapikey")
async def create_subscription(request: web.Request) -> web.Response:
    state = _app(request)
    body = await read_json(request)
    if not isinstance(body, dict) or not isinstance(body.get("eventType"), str):
        raise HubSpotHTTPError(400, "eventType is required")
    sub = state.add_subscription(body["eventType"], body.get("propertyName"))
    sub["active"] = bool(body.get("active", True))
    return json_response(sub, status=201)
