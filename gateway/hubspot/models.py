"""Small typed records the HubSpot client returns, each built from HubSpot's raw JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


def parse_time(value: Any) -> datetime | None:
    """HubSpot timestamps: ISO 8601 strings (with Z) or epoch milliseconds; None if absent."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float) or (isinstance(value, str) and value.isdigit()):
        return datetime.fromtimestamp(int(value) / 1000, tz=UTC)
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def format_time(value: datetime) -> str:
    """UTC ISO 8601 with milliseconds and a Z, the form HubSpot itself returns."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


@dataclass(frozen=True, slots=True)
class Contact:
    id: str
    email: str | None
    firstname: str | None
    lastname: str | None
    company: str | None
    properties: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Contact:
        props = data.get("properties") or {}
        return cls(
            id=str(data["id"]),
            email=props.get("email"),
            firstname=props.get("firstname"),
            lastname=props.get("lastname"),
            company=props.get("company"),
            properties=dict(props),
        )


@dataclass(frozen=True, slots=True)
class Ticket:
    id: str
    properties: dict[str, Any] = field(default_factory=dict)
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def subject(self) -> str | None:
        return self.properties.get("subject")

    @property
    def pipeline(self) -> str | None:
        return self.properties.get("hs_pipeline")

    @property
    def stage(self) -> str | None:
        return self.properties.get("hs_pipeline_stage")

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Ticket:
        return cls(
            id=str(data["id"]),
            properties=dict(data.get("properties") or {}),
            created_at=parse_time(data.get("createdAt")),
            updated_at=parse_time(data.get("updatedAt")),
        )


@dataclass(frozen=True, slots=True)
class Stage:
    id: str
    label: str
    display_order: int
    ticket_state: str | None  # "OPEN" | "CLOSED" (metadata.ticketState)

    @property
    def is_closed(self) -> bool:
        return self.ticket_state == "CLOSED"

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Stage:
        meta = data.get("metadata") or {}
        state = meta.get("ticketState")
        if state is None and "isClosed" in meta:  # seen in real responses, as a string
            state = "CLOSED" if str(meta["isClosed"]).lower() == "true" else "OPEN"
        return cls(
            id=str(data["id"]),
            label=str(data.get("label") or ""),
            display_order=int(data.get("displayOrder") or 0),
            ticket_state=state,
        )


@dataclass(frozen=True, slots=True)
class Pipeline:
    id: str
    label: str
    stages: tuple[Stage, ...]

    def closed_stage_ids(self) -> set[str]:
        return {s.id for s in self.stages if s.is_closed}

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Pipeline:
        stages = sorted((Stage.from_api(s) for s in data.get("stages") or []),
                        key=lambda s: s.display_order)
        return cls(id=str(data["id"]), label=str(data.get("label") or ""), stages=tuple(stages))


@dataclass(frozen=True, slots=True)
class Note:
    id: str
    properties: dict[str, Any] = field(default_factory=dict)
    created_at: datetime | None = None

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Note:
        return cls(
            id=str(data["id"]),
            properties=dict(data.get("properties") or {}),
            created_at=parse_time(data.get("createdAt")),
        )


@dataclass(frozen=True, slots=True)
class Participant:
    """A message sender or recipient: an actor id (A-/V-/I-...) and/or a delivery identifier."""

    actor_id: str | None
    name: str | None
    delivery_type: str | None
    delivery_value: str | None

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Participant:
        ident = data.get("deliveryIdentifier") or {}
        if not ident and data.get("deliveryIdentifiers"):
            ident = data["deliveryIdentifiers"][0] or {}
        return cls(
            actor_id=_str(data.get("actorId")),
            name=data.get("name"),
            delivery_type=ident.get("type"),
            delivery_value=ident.get("value"),
        )


@dataclass(frozen=True, slots=True)
class Message:
    id: str
    type: str  # MESSAGE | COMMENT | WELCOME_MESSAGE | ...
    direction: str | None  # INCOMING | OUTGOING; None on comments
    text: str | None
    rich_text: str | None
    senders: tuple[Participant, ...]
    recipients: tuple[Participant, ...]
    client_type: str | None  # HUBSPOT | SYSTEM | INTEGRATION | UNKNOWN
    integration_app_id: int | None
    thread_id: str | None
    truncation_status: str | None
    created_at: datetime | None
    channel_id: str | None = None
    channel_account_id: str | None = None
    in_reply_to_id: str | None = None
    attachments: tuple[dict[str, Any], ...] = ()

    @property
    def truncated(self) -> bool:
        return self.truncation_status not in (None, "NOT_TRUNCATED")

    def is_agent_reply(self, our_app_id: int | None) -> bool:
        """Customer-visible reply by a HubSpot user, not an echo of our own integration."""
        if self.type != "MESSAGE" or self.direction != "OUTGOING":
            return False
        if not self.senders or not (self.senders[0].actor_id or "").startswith("A-"):
            return False
        ours = self.client_type == "INTEGRATION" and self.integration_app_id == our_app_id
        return not ours

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Message:
        client = data.get("client") or {}
        app_id = client.get("integrationAppId")
        return cls(
            id=str(data["id"]),
            type=str(data.get("type") or "MESSAGE"),
            direction=data.get("direction"),
            text=data.get("text"),
            rich_text=data.get("richText"),
            senders=tuple(Participant.from_api(p) for p in data.get("senders") or []),
            recipients=tuple(Participant.from_api(p) for p in data.get("recipients") or []),
            client_type=client.get("clientType"),
            integration_app_id=int(app_id) if app_id is not None else None,
            thread_id=_str(data.get("conversationsThreadId")),
            truncation_status=data.get("truncationStatus"),
            created_at=parse_time(data.get("createdAt")),
            channel_id=_str(data.get("channelId")),
            channel_account_id=_str(data.get("channelAccountId")),
            in_reply_to_id=_str(data.get("inReplyToId")),
            attachments=tuple(a for a in data.get("attachments") or [] if isinstance(a, dict)),
        )


@dataclass(frozen=True, slots=True)
class Thread:
    id: str
    status: str | None  # OPEN | CLOSED
    inbox_id: str | None
    associated_contact_id: str | None
    associated_ticket_id: str | None
    original_channel_id: str | None
    original_channel_account_id: str | None
    archived: bool
    created_at: datetime | None
    closed_at: datetime | None

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Thread:
        assoc = data.get("threadAssociations") or {}
        return cls(
            id=str(data["id"]),
            status=data.get("status"),
            inbox_id=_str(data.get("inboxId")),
            associated_contact_id=_str(data.get("associatedContactId")),
            associated_ticket_id=_str(assoc.get("associatedTicketId")),
            original_channel_id=_str(data.get("originalChannelId")),
            original_channel_account_id=_str(data.get("originalChannelAccountId")),
            archived=bool(data.get("archived", False)),
            created_at=parse_time(data.get("createdAt")),
            closed_at=parse_time(data.get("closedAt")),
        )


@dataclass(frozen=True, slots=True)
class Inbox:
    id: str
    name: str
    type: str | None
    created_at: datetime | None

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Inbox:
        return cls(
            id=str(data["id"]),
            name=str(data.get("name") or ""),
            type=data.get("type"),
            created_at=parse_time(data.get("createdAt")),
        )


@dataclass(frozen=True, slots=True)
class Channel:
    id: str
    name: str
    webhook_url: str | None
    capabilities: dict[str, Any]
    created_at: datetime | None
    description: str | None = None
    logo_url: str | None = None
    redirect_url: str | None = None

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Channel:
        return cls(
            id=str(data["id"]),
            name=str(data.get("name") or ""),
            webhook_url=data.get("webhookUrl"),
            capabilities=dict(data.get("capabilities") or {}),
            created_at=parse_time(data.get("createdAt")),
            description=data.get("channelDescription"),
            logo_url=data.get("channelLogoUrl"),
            redirect_url=data.get("channelAccountConnectionRedirectUrl"),
        )


@dataclass(frozen=True, slots=True)
class ChannelAccount:
    id: str
    channel_id: str | None
    name: str
    inbox_id: str | None
    authorized: bool
    delivery_type: str | None
    delivery_value: str | None

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> ChannelAccount:
        ident = data.get("deliveryIdentifier") or {}
        return cls(
            id=str(data["id"]),
            channel_id=_str(data.get("channelId")),
            name=str(data.get("name") or ""),
            inbox_id=_str(data.get("inboxId")),
            authorized=bool(data.get("authorized", False)),
            delivery_type=ident.get("type"),
            delivery_value=ident.get("value"),
        )


@dataclass(frozen=True, slots=True)
class Account:
    """GET /account-info/v3/details: which portal the token belongs to, and its UI domain."""

    portal_id: int
    ui_domain: str | None
    account_type: str | None

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Account:
        return cls(portal_id=int(data["portalId"]), ui_domain=data.get("uiDomain") or None,
                   account_type=data.get("accountType"))
