"""Inboxes, custom channels, publishing, threads and comments against the emulator."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from gateway.hubspot.client import HubSpotClient
from gateway.hubspot.emulator import HubSpotEmulator
from gateway.hubspot.models import ChannelAccount

Statuses = Callable[[str, str], list[int]]
CAPABILITIES = {"deliveryIdentifierTypes": ["HS_EMAIL_ADDRESS"],
                "threadingModel": "INTEGRATION_THREAD_ID",
                "richText": ["HYPERLINK", "BOLD", "ITALIC", "LISTS"],
                "allowInlineImages": False, "allowOutgoingMessages": True,
                "allowConversationStart": False, "allowMultipleRecipients": False}
WHEN = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
async def account(client: HubSpotClient) -> ChannelAccount:
    [inbox] = await client.list_inboxes()
    channel = await client.create_custom_channel("OpenCX AI Email", "http://127.0.0.1:9/hook",
                                                 CAPABILITIES)
    return await client.create_channel_account(channel.id, "support@example.com", inbox.id,
                                               "support@example.com")


def turn(account: ChannelAccount, idem: str, **over: object) -> dict[str, object]:
    kw: dict[str, object] = {
        "channel_account_id": account.id, "integration_thread_id": "gw-1",
        "idempotency_id": idem, "direction": "INCOMING", "sender_name": "Jane Doe",
        "sender_email": "jane@x.com", "recipient_name": "Support",
        "recipient_email": "support@example.com", "text": "Where is my refund?",
        "rich_text": "<p>Where is my refund?</p>", "timestamp": WHEN,
    }
    kw.update(over)
    return kw


async def test_channel_setup_round_trip(client: HubSpotClient) -> None:
    [inbox] = await client.list_inboxes()
    assert inbox.name
    channel = await client.create_custom_channel("Chan", "http://127.0.0.1:9/a", CAPABILITIES)
    assert channel.webhook_url == "http://127.0.0.1:9/a"
    assert channel.capabilities["threadingModel"] == "INTEGRATION_THREAD_ID"
    assert [c.id for c in await client.list_custom_channels()] == [channel.id]
    moved = await client.update_custom_channel(
        channel.id, name="Chan", webhook_url="http://127.0.0.1:9/b", capabilities=CAPABILITIES,
        description="AI email", logo_url="http://127.0.0.1:9/logo.svg")
    assert moved.webhook_url == "http://127.0.0.1:9/b"
    assert (moved.description, moved.logo_url) == ("AI email", "http://127.0.0.1:9/logo.svg")
    made = await client.create_channel_account(channel.id, "Support", inbox.id, "s@example.com")
    assert (made.inbox_id, made.authorized, made.delivery_value) == (inbox.id, True,
                                                                    "s@example.com")
    assert [a.id for a in await client.list_channel_accounts(channel.id)] == [made.id]


async def test_channel_setup_needs_developer_key(make_client: Callable[..., HubSpotClient]
                                                 ) -> None:
    from gateway.hubspot.errors import HubSpotAuthError, HubSpotError

    with pytest.raises(HubSpotError, match="developer_api_key"):
        await make_client(developer_api_key=None).list_custom_channels()
    with pytest.raises(HubSpotAuthError) as info:
        await make_client(developer_api_key="wrong").list_custom_channels()
    assert info.value.status == 401


async def test_publish_creates_then_extends_thread(
    client: HubSpotClient, account: ChannelAccount, emulator: HubSpotEmulator
) -> None:
    channel_id = str(account.channel_id)
    first = await client.publish_message(channel_id, **turn(account, "m-1"))
    assert first.thread_id and first.direction == "INCOMING" and first.type == "MESSAGE"
    assert first.created_at == WHEN
    reply = await client.publish_message(channel_id, **turn(
        account, "m-2", direction="OUTGOING", sender_name="AI", sender_email="support@example.com",
        recipient_name="Jane Doe", recipient_email="jane@x.com", text="On its way.",
        rich_text=None, in_reply_to_id=first.id))
    assert reply.thread_id == first.thread_id and reply.direction == "OUTGOING"
    assert reply.client_type == "INTEGRATION" and reply.integration_app_id == 4242
    assert not reply.is_agent_reply(4242)
    assert len(emulator.threads[first.thread_id].message_ids) == 2


async def test_publish_idempotency_passes_through(
    client: HubSpotClient, account: ChannelAccount, emulator: HubSpotEmulator,
    statuses: Statuses,
) -> None:
    channel_id = str(account.channel_id)
    first = await client.publish_message(channel_id, **turn(account, "same"))
    again = await client.publish_message(channel_id, **turn(account, "same"))
    assert again.id == first.id
    assert statuses("POST", f"/custom-channels/{channel_id}/messages") == [200, 200]
    assert len(emulator.threads[str(first.thread_id)].message_ids) == 1


async def test_thread_message_and_comment(
    client: HubSpotClient, account: ChannelAccount, emulator: HubSpotEmulator
) -> None:
    published = await client.publish_message(str(account.channel_id), **turn(account, "x"))
    thread_id = str(published.thread_id)
    thread = await client.get_thread(thread_id)
    assert (thread.id, thread.status, thread.original_channel_id) == (thread_id, "OPEN",
                                                                      account.channel_id)
    assert thread.associated_contact_id == emulator.state.contact_by_email("jane@x.com").id
    got = await client.get_message(thread_id, published.id)
    assert (got.text, got.senders[0].delivery_value) == ("Where is my refund?", "jane@x.com")
    comment = await client.post_comment(thread_id, "Escalated: refund", "<p>Escalated</p>")
    assert comment.type == "COMMENT" and comment.direction is None
    assert emulator.messages[comment.id]["type"] == "COMMENT"


async def test_agent_reply_is_recognised(
    client: HubSpotClient, account: ChannelAccount, emulator: HubSpotEmulator
) -> None:
    published = await client.publish_message(str(account.channel_id), **turn(account, "y"))
    thread_id = str(published.thread_id)
    raw = await emulator.rep_reply(thread_id, "Refund sent.", "<p>Refund sent.</p>")
    reply = await client.get_message(thread_id, raw["id"])
    assert reply.is_agent_reply(4242) and reply.rich_text == "<p>Refund sent.</p>"
    raw_comment = await emulator.rep_comment(thread_id, "internal only")
    assert not (await client.get_message(thread_id, raw_comment["id"])).is_agent_reply(4242)


async def test_truncated_message_fetches_original_content(
    client: HubSpotClient, account: ChannelAccount, emulator: HubSpotEmulator,
    statuses: Statuses,
) -> None:
    long_text = "refund " * 1000  # beyond the emulator's truncate_at (4096)
    published = await client.publish_message(
        str(account.channel_id), **turn(account, "long", text=long_text, rich_text=None))
    thread_id = str(published.thread_id)
    got = await client.get_message(thread_id, published.id)
    assert got.text == long_text and got.truncated
    assert statuses("GET", f"/messages/{published.id}/original-content") == [200]
