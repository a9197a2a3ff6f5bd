"""`hubspot verify-live`: try every UNCONFIRMED HubSpot behaviour on a (test) portal.

It makes throw-away objects (a contact, a ticket, an inbox thread; a channel and channel
account only when setup has none), records what HubSpot answered per point, and deletes
what it made, even when a step fails. Points (docs/hubspot.md, "UNCONFIRMED"):
token-kind, idempotency, helpdesk-ticket, association, webhooks.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from gateway.hubspot.auth import PRIVATE_APP
from gateway.hubspot.client import HubSpotClient
from gateway.hubspot.errors import HubSpotError

log = logging.getLogger(__name__)

THREAD_LINKS = (("conversations", None), ("Conversation", 32), ("Thread", 32))
"""(object type name, association type id; None: the default association) to try."""
CAPABILITIES = {"deliveryIdentifierTypes": ["HS_EMAIL_ADDRESS"],
                "threadingModel": "INTEGRATION_THREAD_ID", "allowOutgoingMessages": True}


@dataclass
class Finding:
    point: str
    outcome: str  # confirmed | differs | refused | observed | not observable | skipped | error
    detail: str


@dataclass
class Run:
    """One verify-live run: findings, and the clean-ups of what it made (run newest first)."""

    client: HubSpotClient
    tag: str
    findings: list[Finding] = field(default_factory=list)
    cleanups: list[tuple[str, Callable[[], Awaitable[Any]]]] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    leftovers: list[str] = field(default_factory=list)

    def found(self, point: str, outcome: str, detail: str) -> None:
        self.findings.append(Finding(point, outcome, detail))

    def made(self, what: str, undo: Callable[[], Awaitable[Any]]) -> None:
        self.cleanups.append((what, undo))

    async def clean(self) -> None:
        for what, undo in reversed(self.cleanups):
            try:
                await undo()
                self.deleted.append(what)
            except HubSpotError as exc:
                self.leftovers.append(f"{what} ({exc})")
        self.cleanups.clear()


async def verify_live(client: HubSpotClient, *, pipeline: str, stage: str,
                      channel_id: str | None = None, account_id: str | None = None,
                      inbox_id: str | None = None, webhook_url: str = "",
                      webhooks_seen: dict[str, Any] | None = None,
                      settle: float = 5.0) -> Run:
    """Run every point; always clean up. `settle`: seconds to wait for a help-desk ticket."""
    run = Run(client, "opencx-verify-" + secrets.token_hex(4))
    try:
        channel, account = await _channel(run, channel_id, account_id, inbox_id, webhook_url)
        thread_id = await _idempotency(run, channel, account) if account else None
        if not account:
            run.found("idempotency", "skipped", "needs custom channel access (see token-kind)")
        if thread_id:
            await _helpdesk(run, thread_id, settle)
        else:
            run.found("helpdesk-ticket", "skipped", "needs a published thread (see above)")
        await _association(run, thread_id, pipeline, stage)
    except HubSpotError as exc:
        run.found("run", "error", f"stopped: {exc}")
    finally:
        await run.clean()
    _webhooks(run, webhooks_seen or {})
    return run


async def _channel(run: Run, channel_id: str | None, account_id: str | None,
                   inbox_id: str | None, webhook_url: str) -> tuple[str | None, str | None]:
    """token-kind: may this token use custom channels? Returns (channel, account) to use."""
    client, kind = run.client, run.client.token_kind
    if channel_id is None:
        if not client.has_developer_key or client.app_id is None:
            run.found("token-kind", "skipped", f"{kind} token; no custom channel set up and no "
                      "developer key/app id to register a throw-away one")
            return None, None
        made = await client.create_custom_channel(run.tag, webhook_url or
                                                  "https://example.invalid/hook", CAPABILITIES)
        channel_id = made.id
        run.made(f"custom channel {made.id}", lambda: client.delete_custom_channel(made.id))
    try:
        accounts = await client.list_channel_accounts(channel_id)
        if account_id is None or account_id not in {a.id for a in accounts}:
            inbox = inbox_id or (await client.list_inboxes())[0].id
            account = await client.create_channel_account(
                channel_id, run.tag, inbox, f"{run.tag}@example.invalid")
            account_id = account.id  # channel accounts cannot be deleted: named after the run
    except HubSpotError as exc:
        if exc.status != 403:
            raise
        outcome = "confirmed" if kind == PRIVATE_APP else "refused"
        run.found("token-kind", outcome, f"{kind} token: custom channel calls refused "
                  f"(HTTP 403: {exc.message})")
        return channel_id, None
    outcome = "differs" if kind == PRIVATE_APP else "confirmed"
    run.found("token-kind", outcome, f"{kind} token: custom channel calls allowed "
              f"(channel {channel_id}, account {account_id})")
    return channel_id, account_id


async def _idempotency(run: Run, channel: str | None, account: str) -> str | None:
    """idempotency: the same integrationIdempotencyId published twice -> one message?"""
    assert channel is not None
    client, key = run.client, f"{run.tag}-m1"

    async def publish() -> Any:
        return await client.publish_message(
            channel, channel_account_id=account, integration_thread_id=run.tag,
            idempotency_id=key, direction="INCOMING", sender_name="verify-live",
            sender_email=f"{run.tag}@example.invalid", recipient_name="Support",
            recipient_email=f"{run.tag}-support@example.invalid",
            text="opencx-gateway verify-live: throw-away message", rich_text=None,
            timestamp=datetime.now(UTC))

    first = await publish()
    if first.thread_id:
        thread = first.thread_id
        run.made(f"thread {thread}", lambda: client.archive_thread(thread))
    second = await publish()
    if second.id == first.id:
        run.found("idempotency", "confirmed", f"republishing id {key} returned the same "
                  f"message {first.id}")
    else:
        count = len(await client.list_thread_messages(first.thread_id)) if first.thread_id else 0
        run.found("idempotency", "differs", f"republishing id {key} made a second message "
                  f"({first.id}, {second.id}; {count} in the thread): retries duplicate")
    return first.thread_id


async def _helpdesk(run: Run, thread_id: str, settle: float) -> None:
    """helpdesk-ticket: does the portal create a ticket for a new thread by itself?"""
    deadline = asyncio.get_running_loop().time() + settle
    while True:
        thread = await run.client.get_thread(thread_id)
        ticket = thread.associated_ticket_id
        if ticket or asyncio.get_running_loop().time() >= deadline:
            break
        await asyncio.sleep(1.0)
    if ticket:
        run.made(f"auto-created ticket {ticket}", lambda: run.client.archive("tickets", ticket))
        run.found("helpdesk-ticket", "observed", f"the portal created ticket {ticket} for the "
                  "new thread (help-desk inbox): adopt it instead of creating a second one")
    else:
        run.found("helpdesk-ticket", "observed", f"no ticket was created for the new thread "
                  f"within {settle:g}s: the gateway's own ticket is the only one")


async def _association(run: Run, thread_id: str | None, pipeline: str, stage: str) -> None:
    """association: which object-type name links a ticket to a thread?"""
    client = run.client
    if not thread_id:
        run.found("association", "skipped", "needs a published thread (see token-kind)")
        return
    # publishing an INCOMING message may already have made the sender a contact
    contact = await client.find_or_create_contact(f"{run.tag}@example.invalid", "verify", "live")
    run.made(f"contact {contact.id}", lambda: client.archive("contacts", contact.id))
    ticket = await client.create_ticket({"subject": run.tag, "hs_pipeline": pipeline,
                                         "hs_pipeline_stage": stage}, contact.id)
    run.made(f"ticket {ticket.id}", lambda: client.archive("tickets", ticket.id))
    results = []
    for name, type_id in THREAD_LINKS:
        try:
            if type_id is None:
                await client.associate_default("tickets", ticket.id, name, thread_id)
            else:
                await client.associate("tickets", ticket.id, name, thread_id, type_id)
            results.append(f"{name}{'' if type_id is None else f'/{type_id}'} accepted")
        except HubSpotError as exc:
            results.append(f"{name}{'' if type_id is None else f'/{type_id}'} refused "
                           f"(HTTP {exc.status})")
    ours = "conversations accepted" in results[0]
    run.found("association", "confirmed" if ours else "differs",
              "; ".join(results) + ("" if ours else ": the gateway's `conversations` link "
                                    "fails here"))


def _webhooks(run: Run, seen: dict[str, Any]) -> None:
    """webhooks: shapes and signatures, as the daemon's receiver last saw each stream."""
    lines = [f"{kind}: {last.get('shape', '?')} signed {last.get('signature', '?')}"
             for kind in ("app", "channel") if (last := seen.get(kind))]
    if lines:
        run.found("webhooks", "observed", "last accepted " + "; ".join(lines) + " (reply on "
                  "the thread in HubSpot to see a channel webhook)")
    else:
        run.found("webhooks", "not observable", "no webhook has reached the daemon yet: "
                  "shape (array/object) and signature (v1/v3) show once HubSpot delivers")
