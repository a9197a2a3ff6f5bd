"""Models built from HubSpot's documented JSON shapes (HUBSPOT.md §3, §4)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from gateway.hubspot.models import Message, Pipeline, Thread, format_time, parse_time


def agent_message(**over: object) -> dict:
    data = {
        "id": "m1", "type": "MESSAGE", "direction": "OUTGOING", "createdAt": "2025-01-01T12:00:00Z",
        "conversationsThreadId": "77", "channelId": "c", "channelAccountId": "ca",
        "senders": [{"actorId": "A-123", "name": "Rep"}],
        "recipients": [{"actorId": "V-456", "deliveryIdentifier":
                        {"type": "HS_EMAIL_ADDRESS", "value": "jane@x.com"}}],
        "text": "hi", "richText": "<p>hi</p>", "truncationStatus": "NOT_TRUNCATED",
        "client": {"clientType": "HUBSPOT"},
    }
    return {**data, **over}


def test_message_fields() -> None:
    msg = Message.from_api(agent_message())
    assert (msg.id, msg.thread_id, msg.direction, msg.rich_text) == ("m1", "77", "OUTGOING",
                                                                     "<p>hi</p>")
    assert msg.recipients[0].delivery_value == "jane@x.com"
    assert msg.senders[0].actor_id == "A-123"
    assert msg.created_at == datetime(2025, 1, 1, 12, tzinfo=UTC)
    assert not msg.truncated


def test_is_agent_reply_rules() -> None:
    assert Message.from_api(agent_message()).is_agent_reply(4242)
    comment = agent_message(type="COMMENT")
    del comment["direction"]
    assert not Message.from_api(comment).is_agent_reply(4242)
    assert not Message.from_api(agent_message(direction="INCOMING")).is_agent_reply(4242)
    visitor = agent_message(senders=[{"actorId": "V-1"}])
    assert not Message.from_api(visitor).is_agent_reply(4242)
    ours = agent_message(client={"clientType": "INTEGRATION", "integrationAppId": 4242})
    assert not Message.from_api(ours).is_agent_reply(4242)
    other_app = agent_message(client={"clientType": "INTEGRATION", "integrationAppId": 9})
    assert Message.from_api(other_app).is_agent_reply(4242)


def test_pipeline_closed_stages_from_ticket_state_or_is_closed() -> None:
    pipeline = Pipeline.from_api({"id": "0", "label": "Support", "stages": [
        {"id": "4", "label": "Closed", "displayOrder": 3, "metadata": {"ticketState": "CLOSED"}},
        {"id": "1", "label": "New", "displayOrder": 0, "metadata": {"ticketState": "OPEN"}},
        {"id": "9", "label": "Done", "displayOrder": 4, "metadata": {"isClosed": "true"}},
    ]})
    assert [s.id for s in pipeline.stages] == ["1", "4", "9"]
    assert pipeline.closed_stage_ids() == {"4", "9"}


def test_thread_ticket_association() -> None:
    thread = Thread.from_api({"id": 5, "status": "OPEN", "inboxId": 1, "archived": False,
                              "threadAssociations": {"associatedTicketId": 200001}})
    assert (thread.id, thread.inbox_id, thread.associated_ticket_id) == ("5", "1", "200001")


def test_time_round_trip() -> None:
    moment = datetime(2025, 3, 4, 5, 6, 7, 891000, tzinfo=timezone(timedelta(hours=2)))
    assert format_time(moment) == "2025-03-04T03:06:07.891Z"
    assert parse_time(format_time(moment)) == moment
    assert parse_time(1735732800000) == datetime(2025, 1, 1, 12, tzinfo=UTC)
    assert parse_time("not a time") is None and parse_time(None) is None
