"""Idempotent HubSpot setup: ticket properties, custom channel and channel account; checks."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from typing import Any

from gateway.config import HubSpotConfig
from gateway.hubspot.auth import PRIVATE_APP as PRIVATE_APP_TOKEN
from gateway.hubspot.client import HubSpotClient
from gateway.hubspot.errors import HubSpotAuthError, HubSpotConflict, HubSpotError
from gateway.hubspot.models import Channel

log = logging.getLogger(__name__)

KEY_PROPERTY = "opencx_handoff_key"
"""Unique-value ticket property holding the handoff's idempotency key (double-create guard)."""

CHANNEL = "channel"
PRIVATE = "private"

CAPABILITIES: dict[str, Any] = {
    "deliveryIdentifierTypes": ["HS_EMAIL_ADDRESS"],
    "threadingModel": "INTEGRATION_THREAD_ID",
    "richText": ["HYPERLINK", "BOLD", "ITALIC", "LISTS", "BLOCKQUOTE"],
    "allowInlineImages": False,
    "allowOutgoingMessages": True,
    "allowConversationStart": False,
    "allowMultipleRecipients": False,
}


def tag_property_spec(name: str) -> dict[str, Any]:
    """The bool ticket property set to "true" on every ticket the gateway creates (H§4.6)."""
    return {"name": name, "label": "OpenCX handed off", "type": "bool",
            "fieldType": "booleancheckbox", "groupName": "ticketinformation",
            "description": "Set by opencx-gateway when the AI hands a conversation to a human",
            "options": [{"label": "Yes", "value": "true", "displayOrder": 0},
                        {"label": "No", "value": "false", "displayOrder": 1}]}


def key_property_spec() -> dict[str, Any]:
    return {"name": KEY_PROPERTY, "label": "OpenCX handoff key", "type": "string",
            "fieldType": "text", "groupName": "ticketinformation", "hasUniqueValue": True,
            "description": "Idempotency key of the opencx-gateway handoff that created the ticket"}


@dataclass
class SetupState:
    """What setup established; stored in the database (hubspot_setup) between runs."""

    integration: str = PRIVATE  # "channel": Custom Channels thread; "private": note only
    channel_id: str | None = None
    channel_account_id: str | None = None
    inbox_id: str | None = None
    tag_property: bool = False
    key_property: bool = False
    reason: str = "setup has not run"
    webhook_urls: dict[str, str] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        if not self.tag_property:
            return False
        return self.integration == PRIVATE or bool(self.channel_id and self.channel_account_id)

    def to_values(self) -> dict[str, Any]:
        return {"setup": asdict(self)}

    @classmethod
    def from_values(cls, values: dict[str, Any]) -> SetupState | None:
        data = values.get("setup")
        if not isinstance(data, dict):
            return None
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


def channel_refused_reason(kind: str, exc: HubSpotError) -> str:
    """Why inbox threads are off after HubSpot refused a custom-channel call, and the fix."""
    if kind == PRIVATE_APP_TOKEN:
        return ("inbox threads need the app's token: custom channels are not supported for a "
                f"legacy private app's token (HubSpot: {exc.message}); tickets, contacts and "
                "notes still work. Install hubspot-app/ and use its OAuth or static token "
                "(docs/hubspot.md)")
    return (f"custom channel registration forbidden ({exc}): ticket and note only, no inbox "
            "thread")


def webhook_urls(public_url: str) -> dict[str, str]:
    """Where HubSpot must send webhooks: the app's target URL and the channel's webhookUrl."""
    base = public_url.rstrip("/")
    return {"app": f"{base}/webhooks/hubspot/app", "channel": f"{base}/webhooks/hubspot/channel"}


async def ensure_property(client: HubSpotClient, spec: dict[str, Any]) -> bool:
    """Create the ticket property unless it exists; False if we may not (logged)."""
    if await client.get_property("tickets", spec["name"]) is not None:
        return True
    try:
        await client.create_property("tickets", spec)
    except HubSpotConflict:
        return True
    except HubSpotAuthError as exc:
        log.error("hubspot setup: cannot create ticket property %s: %s", spec["name"], exc)
        return False
    log.info("hubspot setup: created ticket property %s", spec["name"])
    return True


async def _channel(client: HubSpotClient, cfg: HubSpotConfig, webhook_url: str,
                   known_id: str | None) -> Channel:
    """Our custom channel, found by stored id or name, created if missing; webhookUrl current."""
    channels = await client.list_custom_channels()
    found = next((c for c in channels if c.id == known_id), None) or next(
        (c for c in channels if c.name == cfg.channel_name), None)
    if found is None:
        channel = await client.create_custom_channel(cfg.channel_name, webhook_url, CAPABILITIES)
        log.info("hubspot setup: registered custom channel id=%s", channel.id)
        return channel
    if found.webhook_url != webhook_url:
        found = await client.update_custom_channel(found.id, {"webhookUrl": webhook_url})
        log.info("hubspot setup: channel id=%s webhookUrl updated", found.id)
    return found


async def _account(client: HubSpotClient, cfg: HubSpotConfig, channel_id: str,
                   support_address: str) -> tuple[str, str]:
    """(channel account id, inbox id): an existing account for the address, else a new one."""
    inbox_id = cfg.inbox_id
    if inbox_id is None:
        inboxes = await client.list_inboxes()
        if not inboxes:
            raise HubSpotError("the portal has no conversations inbox for the channel account")
        inbox_id = inboxes[0].id
    for account in await client.list_channel_accounts(channel_id):
        if account.inbox_id == inbox_id and account.delivery_value == support_address:
            return account.id, inbox_id
    account = await client.create_channel_account(
        channel_id, f"{cfg.channel_name} ({support_address})", inbox_id, support_address)
    log.info("hubspot setup: channel account id=%s inbox=%s", account.id, inbox_id)
    return account.id, inbox_id


async def run_setup(client: HubSpotClient, cfg: HubSpotConfig, *, support_address: str,
                    public_url: str, previous: SetupState | None = None) -> SetupState:
    """Create what is missing; every call is safe to repeat. Raises HubSpotError on failures
    that are not a matter of permissions (the caller retries or reports them)."""
    state = SetupState(webhook_urls=webhook_urls(public_url))
    state.tag_property = await ensure_property(client, tag_property_spec(cfg.tag_property))
    state.key_property = await ensure_property(client, key_property_spec())
    if not cfg.custom_channel:
        state.reason = "hubspot.custom_channel is false (private-app mode)"
        return state
    if client.app_id is None or not client.has_developer_key:
        state.reason = "no developer API key or app id: custom channels unavailable"
        return state
    known = previous.channel_id if previous else None
    try:
        channel = await _channel(client, cfg, state.webhook_urls["channel"], known)
        account_id, inbox_id = await _account(client, cfg, channel.id, support_address)
    except HubSpotAuthError as exc:
        state.reason = channel_refused_reason(client.token_kind, exc)
        log.warning("hubspot setup: %s", state.reason)
        return state
    state.integration, state.reason = CHANNEL, "custom channel registered"
    state.channel_id, state.channel_account_id, state.inbox_id = channel.id, account_id, inbox_id
    return state


async def check_setup(client: HubSpotClient, cfg: HubSpotConfig,
                      stored: SetupState | None) -> dict[str, Any]:
    """Read-only checks for status/doctor: properties present, channel and account alive."""
    report: dict[str, Any] = {"problems": []}
    problems: list[str] = report["problems"]
    report["tag_property"] = await client.get_property("tickets", cfg.tag_property) is not None
    report["key_property"] = await client.get_property("tickets", KEY_PROPERTY) is not None
    if not report["tag_property"]:
        problems.append(f"ticket property {cfg.tag_property} is missing: run hubspot setup")
    if not report["key_property"]:
        problems.append(f"ticket property {KEY_PROPERTY} is missing (double-create guard)")
    if stored is None:
        problems.append("setup has never run: run `opencx-gateway hubspot setup`")
        return report
    if stored.integration != CHANNEL:
        problems.append(f"private-app mode: {stored.reason}")
        return report
    report["channel"] = await _channel_alive(client, stored)
    if not report["channel"]:
        problems.append(f"custom channel {stored.channel_id} not found: run hubspot setup")
    return report


async def _channel_alive(client: HubSpotClient, stored: SetupState) -> bool | None:
    """None when it cannot be checked (no developer key)."""
    if not client.has_developer_key or client.app_id is None:
        return None
    channels = await client.list_custom_channels()
    return any(c.id == stored.channel_id for c in channels)
