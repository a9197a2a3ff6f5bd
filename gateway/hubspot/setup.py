"""Idempotent HubSpot setup: ticket properties, custom channel and channel account; checks."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from typing import Any

from gateway.config import HubSpotConfig
from gateway.hubspot.auth import PRIVATE_APP as PRIVATE_APP_TOKEN
from gateway.hubspot.client import HubSpotClient
from gateway.hubspot.errors import (
    HubSpotAuthError,
    HubSpotConflict,
    HubSpotError,
    HubSpotNotFound,
)
from gateway.hubspot.models import Channel, Pipeline

log = logging.getLogger(__name__)

KEY_PROPERTY = "opencx_handoff_key"
"""Unique-value ticket property holding the handoff's idempotency key (double-create guard)."""

DEFAULT_UI_DOMAIN = "app.hubspot.com"
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
    pipeline: str | None = None  # the operator's choice (hubspot setup --pipeline/--stage, UI)
    stage: str | None = None
    accounts: dict[str, dict[str, str]] = field(default_factory=dict)  # address -> ids
    portal_id: int | None = None  # detected: GET /account-info/v3/details of the token
    ui_domain: str | None = None  # app.hubspot.com, app-eu1.hubspot.com, ...

    def account_for(self, address: str) -> tuple[str | None, str | None]:
        """(channel account id, inbox id) of a support address; the first one's otherwise."""
        found = self.accounts.get(address.lower())
        if found:
            return found["channel_account_id"], found["inbox_id"]
        return self.channel_account_id, self.inbox_id

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


def ticket_route(cfg: HubSpotConfig, state: SetupState | None, address: str
                 ) -> tuple[str, str]:
    """(pipeline, stage) for a handoff from `address`: the address's own configuration,
    else the choice stored by `hubspot setup`, else hubspot.pipeline / hubspot.stage."""
    own = cfg.for_address(address)
    if own is not None and own.pipeline and own.stage:
        return own.pipeline, own.stage
    if state is not None and state.pipeline and state.stage:
        return state.pipeline, state.stage
    return cfg.pipeline, cfg.stage


def routes_in_use(cfg: HubSpotConfig, state: SetupState | None,
                  addresses: list[str]) -> dict[str, tuple[str, str]]:
    """Every (pipeline, stage) the gateway may create tickets in, keyed by who uses it."""
    out = {"default": ticket_route(cfg, state, "")}
    for address in addresses:
        out[address] = ticket_route(cfg, state, address)
    return out


def route_problem(pipelines: list[Pipeline], pipeline: str, stage: str) -> str | None:
    """Why (pipeline, stage) cannot take a new ticket in this portal, or None."""
    found = next((p for p in pipelines if p.id == pipeline), None)
    if found is None:
        known = ", ".join(f"{p.id} ({p.label})" for p in pipelines) or "none"
        return f"ticket pipeline {pipeline!r} does not exist (the portal has: {known})"
    chosen = next((s for s in found.stages if s.id == stage), None)
    if chosen is None:
        known = ", ".join(f"{s.id} ({s.label})" for s in found.stages)
        return f"stage {stage!r} is not in pipeline {pipeline} {found.label!r} ({known})"
    if chosen.is_closed:
        return f"stage {stage} ({chosen.label}) of pipeline {pipeline} is a closed stage"
    return None


def portal_for_links(cfg: HubSpotConfig, state: SetupState | None
                     ) -> tuple[int | None, str]:
    """(portal id, UI domain) for app.hubspot.com links: hubspot.portal_id when set, else
    the one setup detected; the detected UI domain only when it is that same portal's."""
    detected = state.portal_id if state is not None else None
    portal = cfg.portal_id or detected
    domain = state.ui_domain if state is not None and portal == detected else None
    return portal, domain or DEFAULT_UI_DOMAIN


async def detect_portal(client: HubSpotClient, state: SetupState,
                        previous: SetupState | None) -> None:
    """Store the token's portal id and UI domain; keep the earlier ones if HubSpot refuses."""
    try:
        account = await client.account_details()
    except (HubSpotAuthError, HubSpotNotFound) as exc:
        log.warning("hubspot setup: cannot read the portal id (%s); set hubspot.portal_id "
                    "for links", exc)
        if previous is not None:
            state.portal_id, state.ui_domain = previous.portal_id, previous.ui_domain
        return
    state.portal_id, state.ui_domain = account.portal_id, account.ui_domain
    log.info("hubspot setup: portal %s (%s)", account.portal_id, account.ui_domain)


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


def logo_url(cfg: HubSpotConfig, public_url: str) -> str:
    return cfg.channel_logo_url or f"{public_url.rstrip('/')}/static/favicon.svg"


async def _channel(client: HubSpotClient, cfg: HubSpotConfig, webhook_url: str,
                   known_id: str | None, logo: str) -> Channel:
    """Our custom channel, found by stored id or name, created if missing; kept current
    with a PATCH of the whole channel object (HubSpot refuses a partial one)."""
    channels = await client.list_custom_channels()
    found = next((c for c in channels if c.id == known_id), None) or next(
        (c for c in channels if c.name == cfg.channel_name), None)
    if found is None:
        channel = await client.create_custom_channel(
            cfg.channel_name, webhook_url, CAPABILITIES, description=cfg.channel_description,
            logo_url=logo)
        log.info("hubspot setup: registered custom channel id=%s", channel.id)
        return channel
    wanted = (webhook_url, cfg.channel_description, logo)
    if (found.webhook_url, found.description, found.logo_url) != wanted:
        found = await client.update_custom_channel(
            found.id, name=found.name, webhook_url=webhook_url,
            capabilities={**found.capabilities, **CAPABILITIES},
            description=cfg.channel_description, logo_url=logo, redirect_url=found.redirect_url)
        log.info("hubspot setup: channel id=%s updated (webhookUrl %s)", found.id, webhook_url)
    return found


async def _account(client: HubSpotClient, cfg: HubSpotConfig, channel_id: str,
                   support_address: str, inboxes: list[str]) -> tuple[str, str]:
    """(channel account id, inbox id): an existing account for the address, else a new one."""
    own = cfg.for_address(support_address)
    inbox_id = (own.inbox_id if own else None) or cfg.inbox_id
    if inbox_id is None:
        if not inboxes:
            raise HubSpotError("the portal has no conversations inbox for the channel account")
        inbox_id = inboxes[0]
    elif inbox_id not in inboxes:
        raise HubSpotError(f"inbox {inbox_id} for {support_address} does not exist in the "
                           f"portal (it has: {', '.join(inboxes) or 'none'})")
    for account in await client.list_channel_accounts(channel_id):
        if account.inbox_id == inbox_id and account.delivery_value == support_address:
            return account.id, inbox_id
    account = await client.create_channel_account(
        channel_id, f"{cfg.channel_name} ({support_address})", inbox_id, support_address)
    log.info("hubspot setup: channel account id=%s inbox=%s", account.id, inbox_id)
    return account.id, inbox_id


class SetupChoiceError(HubSpotError):
    """The pipeline/stage the operator chose does not fit the portal."""

    def __str__(self) -> str:
        return self.message


async def choose_route(client: HubSpotClient, state: SetupState, pipeline: str | None,
                       stage: str | None) -> None:
    """Store the operator's (pipeline, stage) after checking it against the portal; a
    pipeline alone takes its first open stage."""
    if pipeline is None and stage is None:
        return
    pipelines = await client.ticket_pipelines()
    pipeline = pipeline or state.pipeline
    if pipeline is None:
        raise SetupChoiceError("--stage needs --pipeline (or a pipeline chosen before)")
    found = next((p for p in pipelines if p.id == pipeline), None)
    if stage is None and found is not None:
        stage = next((s.id for s in found.stages if not s.is_closed), None)
    problem = route_problem(pipelines, pipeline, stage or "")
    if problem:
        raise SetupChoiceError(problem)
    state.pipeline, state.stage = pipeline, stage


async def run_setup(client: HubSpotClient, cfg: HubSpotConfig, *,
                    support_address: str | None = None, support_addresses: list[str] | None = None,
                    public_url: str, previous: SetupState | None = None,
                    pipeline: str | None = None, stage: str | None = None) -> SetupState:
    """Create what is missing; every call is safe to repeat. Raises HubSpotError on failures
    that are not a matter of permissions (the caller retries or reports them); a chosen
    pipeline/stage that the portal lacks raises SetupChoiceError before anything changes."""
    addresses = list(dict.fromkeys(
        a.lower() for a in ([support_address] if support_address else [])
        + (support_addresses or [])))
    state = SetupState(webhook_urls=webhook_urls(public_url))
    if previous is not None:
        state.pipeline, state.stage = previous.pipeline, previous.stage
    await choose_route(client, state, pipeline, stage)
    await detect_portal(client, state, previous)
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
        channel = await _channel(client, cfg, state.webhook_urls["channel"], known,
                                 logo_url(cfg, public_url))
        inboxes = [i.id for i in await client.list_inboxes()]
        for address in addresses:
            account_id, inbox_id = await _account(client, cfg, channel.id, address, inboxes)
            state.accounts[address] = {"channel_account_id": account_id, "inbox_id": inbox_id}
    except HubSpotAuthError as exc:
        state.reason = channel_refused_reason(client.token_kind, exc)
        log.warning("hubspot setup: %s", state.reason)
        state.accounts = {}
        return state
    first = state.accounts[addresses[0]] if addresses else {}
    state.integration, state.reason = CHANNEL, "custom channel registered"
    state.channel_id = channel.id
    state.channel_account_id, state.inbox_id = first.get("channel_account_id"), first.get(
        "inbox_id")
    return state


async def check_routes(client: HubSpotClient, cfg: HubSpotConfig, stored: SetupState | None,
                       addresses: list[str]) -> dict[str, Any]:
    """Every pipeline/stage in use checked against the portal's ticket pipelines."""
    pipelines = await client.ticket_pipelines()
    routes: dict[str, Any] = {}
    for who, (pipeline, stage) in routes_in_use(cfg, stored, addresses).items():
        routes[who] = {"pipeline": pipeline, "stage": stage,
                       "problem": route_problem(pipelines, pipeline, stage)}
    return {"routes": routes, "pipelines": [
        {"id": p.id, "label": p.label, "stages": [
            {"id": s.id, "label": s.label, "closed": s.is_closed} for s in p.stages]}
        for p in pipelines]}


async def check_setup(client: HubSpotClient, cfg: HubSpotConfig,
                      stored: SetupState | None, addresses: list[str] | None = None
                      ) -> dict[str, Any]:
    """Read-only checks for status/doctor: properties present, pipelines and stages valid,
    channel and accounts alive."""
    report: dict[str, Any] = {"problems": []}
    problems: list[str] = report["problems"]
    report.update(await check_routes(client, cfg, stored, addresses or []))
    for who, route in report["routes"].items():
        if route["problem"]:
            problems.append(f"{who}: {route['problem']}: choose one with `opencx-gateway "
                            "hubspot setup --pipeline ID --stage ID`")
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
    covered = set(stored.accounts) or {a.lower() for a in (addresses or [])[:1]}
    missing = [a for a in addresses or [] if a.lower() not in covered]
    if missing:  # e.g. an address added since, or a setup from before per-address accounts
        problems.append(f"no channel account for {', '.join(missing)} (its threads would go "
                        "through the first address's account): run hubspot setup")
    return report


async def _channel_alive(client: HubSpotClient, stored: SetupState) -> bool | None:
    """None when it cannot be checked (no developer key)."""
    if not client.has_developer_key or client.app_id is None:
        return None
    channels = await client.list_custom_channels()
    return any(c.id == stored.channel_id for c in channels)
