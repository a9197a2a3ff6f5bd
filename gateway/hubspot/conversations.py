"""Conversations v3 and Custom Channels calls over aiohttp (hubspot-api-client lacks them)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import aiohttp

from gateway.hubspot.auth import FixedToken, TokenSource, unauthorized
from gateway.hubspot.errors import (
    HubSpotConnectionError,
    HubSpotError,
    error_from_response,
    json_body,
)
from gateway.hubspot.models import Channel, ChannelAccount, Inbox, Message, Thread, format_time
from gateway.hubspot.policy import CallStats, RetryPolicy

log = logging.getLogger(__name__)

CONV = "/conversations/v3/conversations"
CHANNELS = "/conversations/v3/custom-channels"
USER_AGENT = "opencx-gateway (aiohttp)"


class ConversationsClient:
    """Inbox threads, messages and custom channels; the base of HubSpotClient."""

    def __init__(
        self,
        access_token: str | TokenSource,
        *,
        base_url: str = "https://api.hubapi.com",
        developer_api_key: str | None = None,
        app_id: int | None = None,
        timeout: float = 15.0,
        session: aiohttp.ClientSession | None = None,
        retry: RetryPolicy | None = None,
        stats: CallStats | None = None,
    ) -> None:
        self.tokens: TokenSource = (FixedToken(access_token) if isinstance(access_token, str)
                                    else access_token)
        self.base_url = base_url.rstrip("/")
        self._dev_key = developer_api_key
        self.app_id = app_id
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self.stats = stats or CallStats()
        self._session = session
        self._own_session = session is None

    @property
    def token_kind(self) -> str:
        """"private_app", "static" or "oauth" (gateway.hubspot.auth)."""
        return self.tokens.kind

    @property
    def has_developer_key(self) -> bool:
        """True when custom-channel management (developer API key) is possible."""
        return bool(self._dev_key)

    async def close(self) -> None:
        """Close the aiohttp session if this client opened it."""
        if self._own_session and self._session is not None:
            await self._session.close()
            self._session = None

    # -- transport ----------------------------------------------------------------------

    def _http_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(headers={"User-Agent": USER_AGENT})
        return self._session

    def _auth(self, token: str | None, params: dict[str, Any]) -> dict[str, str]:
        if token is not None:
            return {"Authorization": f"Bearer {token}"}
        if not self._dev_key or self.app_id is None:
            raise HubSpotError("custom channel setup needs developer_api_key and app_id")
        params.update(hapikey=self._dev_key, appId=str(self.app_id))
        return {}

    async def _send(
        self, method: str, path: str, params: dict[str, Any], body: Any, token: str | None
    ) -> tuple[int, Mapping[str, str], bytes]:
        """One HTTP attempt (token None: developer key); network trouble -> ConnectionError."""
        query = dict(params)
        headers = self._auth(token, query)
        if body is not None:
            headers["Content-Type"] = "application/json"
        data = None if body is None else json.dumps(body).encode()
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        try:
            async with self._http_session().request(
                method, self.base_url + path, params=query, data=data, headers=headers,
                timeout=timeout, allow_redirects=False,
            ) as resp:
                return resp.status, resp.headers, await resp.read()
        except TimeoutError as exc:
            raise HubSpotConnectionError(f"timed out after {self.timeout:g}s") from exc
        except aiohttp.ClientError as exc:  # never put the URL in the message: it may hold hapikey
            raise HubSpotConnectionError(f"{type(exc).__name__}: connection failed") from exc

    async def _call(
        self, method: str, template: str, path: str, *, params: dict[str, Any] | None = None,
        body: Any = None, developer: bool = False,
    ) -> Any:
        """One logical call (counted under `template`); returns the decoded JSON or None."""
        self.stats.call(method, template)
        try:
            return await self._retrying(method, path, params or {}, body, developer)
        except HubSpotError as exc:
            self.stats.error(method, template, exc)
            raise

    async def _retrying(
        self, method: str, path: str, params: dict[str, Any], body: Any, developer: bool
    ) -> Any:
        """Send, retrying as `RetryPolicy.wait_for` allows (429 any method, 5xx idempotent);
        an expired OAuth token is renewed once and the call repeated."""
        attempt, renewed = 0, False
        token = None if developer else await self.tokens.token()
        while True:
            status, headers, raw = await self._send(method, path, params, body, token)
            if status < 300:
                return json_body(raw, status)
            wait = self.retry.wait_for(method, status, headers.get("Retry-After"), attempt)
            if wait is None:
                error = error_from_response(status, raw, headers)
                if token is not None and not renewed and unauthorized(error):
                    fresh = await self.tokens.renew(token, error.category)
                    if fresh is not None:
                        token, renewed = fresh, True
                        continue
                raise error
            self.stats.retry(status)
            log.warning("hubspot retry status=%d method=%s wait=%.1fs", status, method, wait)
            attempt += 1
            await asyncio.sleep(wait)

    async def _pages(self, template: str, path: str, params: dict[str, Any] | None = None,
                     *, developer: bool = False) -> list[dict[str, Any]]:
        """All `results` of a paged GET, following `paging.next.after`."""
        query, out = dict(params or {}), []
        while True:
            data = await self._call("GET", template, path, params=query, developer=developer) or {}
            out += data.get("results") or []
            after = ((data.get("paging") or {}).get("next") or {}).get("after")
            if not after:
                return out
            query["after"] = after

    # -- inboxes and custom channels ------------------------------------------------------

    async def list_inboxes(self) -> list[Inbox]:
        rows = await self._pages(f"{CONV}/inboxes", f"{CONV}/inboxes")
        return [Inbox.from_api(r) for r in rows]

    async def list_custom_channels(self) -> list[Channel]:
        rows = await self._pages(f"{CHANNELS}/", f"{CHANNELS}/", developer=True)
        return [Channel.from_api(r) for r in rows]

    async def create_custom_channel(
        self, name: str, webhook_url: str, capabilities: dict[str, Any], *,
        description: str | None = None, logo_url: str | None = None,
    ) -> Channel:
        body = {"name": name, "webhookUrl": webhook_url, "capabilities": capabilities,
                **_described(description, logo_url)}
        data = await self._call("POST", CHANNELS, CHANNELS, body=body, developer=True)
        return Channel.from_api(data)

    async def update_custom_channel(
        self, channel_id: str, *, name: str, webhook_url: str, capabilities: dict[str, Any],
        description: str, logo_url: str, redirect_url: str | None = None,
    ) -> Channel:
        """PATCH the whole channel object: HubSpot's schema requires capabilities,
        channelDescription and channelLogoUrl in every update (a partial one gets 400)."""
        body: dict[str, Any] = {"name": name, "webhookUrl": webhook_url,
                                "capabilities": capabilities, "channelDescription": description,
                                "channelLogoUrl": logo_url}
        if redirect_url:
            body["channelAccountConnectionRedirectUrl"] = redirect_url
        path = f"{CHANNELS}/{channel_id}"
        data = await self._call("PATCH", f"{CHANNELS}/{{channelId}}", path, body=body,
                                developer=True)
        return Channel.from_api(data)

    async def list_channel_accounts(self, channel_id: str) -> list[ChannelAccount]:
        template = f"{CHANNELS}/{{channelId}}/channel-accounts"
        rows = await self._pages(template, f"{CHANNELS}/{channel_id}/channel-accounts")
        return [ChannelAccount.from_api(r) for r in rows]

    async def create_channel_account(
        self, channel_id: str, name: str, inbox_id: str, delivery_identifier_value: str,
        delivery_identifier_type: str = "HS_EMAIL_ADDRESS",
    ) -> ChannelAccount:
        body = {
            "name": name, "inboxId": inbox_id, "authorized": True,
            "deliveryIdentifier": {"type": delivery_identifier_type,
                                   "value": delivery_identifier_value},
        }
        template = f"{CHANNELS}/{{channelId}}/channel-accounts"
        path = f"{CHANNELS}/{channel_id}/channel-accounts"
        return ChannelAccount.from_api(await self._call("POST", template, path, body=body))

    # -- messages and threads ---------------------------------------------------------------

    async def publish_message(
        self, channel_id: str, *, channel_account_id: str, integration_thread_id: str,
        idempotency_id: str, direction: str, sender_name: str, sender_email: str,
        recipient_name: str, recipient_email: str, text: str, rich_text: str | None,
        timestamp: datetime, in_reply_to_id: str | None = None,
        file_ids: list[str] | None = None,
    ) -> Message:
        """Publish one transcript turn; creates the inbox thread on the first turn.
        `file_ids`: HubSpot Files ids attached to the message."""
        body: dict[str, Any] = {
            "messageDirection": direction, "integrationThreadId": integration_thread_id,
            "integrationIdempotencyId": idempotency_id, "channelAccountId": channel_account_id,
            "senders": [_party(sender_name, sender_email)],
            "recipients": [_party(recipient_name, recipient_email)],
            "text": text, "timestamp": format_time(timestamp),
            "attachments": [{"type": "FILE", "fileId": f} for f in file_ids or []],
        }
        if rich_text:
            body["richText"] = rich_text
        if in_reply_to_id:
            body["inReplyToId"] = in_reply_to_id
        template = f"{CHANNELS}/{{channelId}}/messages"
        path = f"{CHANNELS}/{channel_id}/messages"
        return Message.from_api(await self._call("POST", template, path, body=body))

    async def get_thread(self, thread_id: str, association_ticket: bool = True) -> Thread:
        params = {"association": "TICKET"} if association_ticket else None
        data = await self._call("GET", f"{CONV}/threads/{{threadId}}",
                                f"{CONV}/threads/{thread_id}", params=params)
        return Thread.from_api(data)

    async def get_message(self, thread_id: str, message_id: str) -> Message:
        """One thread message; the full text is fetched when HubSpot truncated it."""
        path = f"{CONV}/threads/{thread_id}/messages/{message_id}"
        template = f"{CONV}/threads/{{threadId}}/messages/{{messageId}}"
        data = await self._call("GET", template, path)
        if data.get("truncationStatus") not in (None, "NOT_TRUNCATED"):
            full = await self._call("GET", f"{template}/original-content",
                                    f"{path}/original-content") or {}
            data = {**data, **{k: full[k] for k in ("text", "richText") if k in full}}
        return Message.from_api(data)

    async def list_thread_messages(self, thread_id: str, limit: int = 100) -> list[Message]:
        """A thread's messages and comments, oldest first (all pages)."""
        template = f"{CONV}/threads/{{threadId}}/messages"
        rows = await self._pages(template, f"{CONV}/threads/{thread_id}/messages",
                                 {"limit": limit, "sort": "createdAt"})
        return [Message.from_api(r) for r in rows]

    async def archive_thread(self, thread_id: str) -> None:
        """Archive an inbox thread (moved to the trash)."""
        await self._call("DELETE", f"{CONV}/threads/{{threadId}}", f"{CONV}/threads/{thread_id}")

    async def delete_custom_channel(self, channel_id: str) -> None:
        """Delete a custom channel (developer key)."""
        await self._call("DELETE", f"{CHANNELS}/{{channelId}}", f"{CHANNELS}/{channel_id}",
                         developer=True)

    async def get_actor(self, actor_id: str) -> dict[str, Any]:
        """An actor (A- agent, V- visitor, I- integration, ...): {type, id, name, email}."""
        return await self._call("GET", f"{CONV}/actors/{{actorId}}",
                                f"{CONV}/actors/{actor_id}") or {}

    async def post_comment(
        self, thread_id: str, text: str, rich_text: str | None = None
    ) -> Message:
        """An internal COMMENT on a thread: visible to reps, never delivered to the customer."""
        body: dict[str, Any] = {"type": "COMMENT", "text": text, "attachments": []}
        if rich_text:
            body["richText"] = rich_text
        data = await self._call("POST", f"{CONV}/threads/{{threadId}}/messages",
                                f"{CONV}/threads/{thread_id}/messages", body=body)
        return Message.from_api(data)


def _described(description: str | None, logo_url: str | None) -> dict[str, str]:
    out = {"channelDescription": description, "channelLogoUrl": logo_url}
    return {k: v for k, v in out.items() if v}


def _party(name: str, email: str) -> dict[str, Any]:
    return {"name": name, "deliveryIdentifier": {"type": "HS_EMAIL_ADDRESS", "value": email}}
