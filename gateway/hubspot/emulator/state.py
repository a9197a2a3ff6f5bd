"""In-memory state of the HubSpot emulator: CRM objects, threads, channels, ids and time."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple

from gateway.hubspot.emulator.schema import (
    ASSOCIATION_TYPES,
    OBJECT_TYPE_IDS,
    THREAD_OBJECT_TYPES,
    builtin_properties,
    default_inbox,
    default_pipelines,
)

Json = dict[str, Any]

FULL_SCOPES: frozenset[str] = frozenset(
    {
        "crm.objects.contacts.read",
        "crm.objects.contacts.write",
        "tickets",
        "conversations.read",
        "conversations.write",
        "conversations.custom_channels.read",
        "conversations.custom_channels.write",
        "files",
    }
)
"""Every scope an emulated call can require; the default grant."""

DEFAULT_SUBSCRIPTIONS: tuple[tuple[str, str | None], ...] = (
    ("conversation.newMessage", None),
    ("ticket.propertyChange", "hs_pipeline_stage"),
)
"""App webhook subscriptions active by default: (eventType, propertyName)."""

_ID_BASES = {
    "contacts": 100_001,
    "tickets": 200_001,
    "notes": 300_001,
    "threads": 400_001,
    "channels": 500_001,
    "accounts": 600_001,
    "subscriptions": 700_001,
    "files": 800_001,
    "events": 9_000_000_001,
}


def iso(ts: float) -> str:
    """Unix seconds -> HubSpot's ISO-8601 UTC form with milliseconds (``...T12:00:00.123Z``)."""
    moment = datetime.fromtimestamp(ts, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_time(value: Any) -> float | None:
    """Epoch milliseconds (int or digit string) or ISO-8601 -> Unix seconds; None if invalid."""
    text = str(value).strip()
    if text.lstrip("-").isdigit():
        return int(text) / 1000.0
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


class Assoc(NamedTuple):
    """One directed association edge, as HubSpot stores it (each link has two edges)."""

    from_type: str
    from_id: str
    to_type: str
    to_id: str
    category: str
    type_id: int


@dataclass
class CrmObject:
    """A contact, ticket or note: string properties plus a search-index history."""

    object_type: str
    id: str
    properties: dict[str, str | None]
    created_at: float
    updated_at: float
    archived: bool = False
    index: list[tuple[float, dict[str, str | None]]] = field(default_factory=list)

    def indexed(self, now: float) -> dict[str, str | None] | None:
        """The properties as the search index sees them at ``now`` (None: not indexed yet)."""
        seen = None
        for visible_at, snapshot in self.index:
            if visible_at <= now:
                seen = snapshot
        return seen

    def reindex(self, visible_at: float, now: float) -> None:
        """Queue the current properties for the search index; drop superseded snapshots."""
        self.index.append((visible_at, dict(self.properties)))
        while len(self.index) > 1 and self.index[1][0] <= now:
            self.index.pop(0)


@dataclass
class Thread:
    """A conversations inbox thread."""

    id: str
    inbox_id: str
    channel_id: str
    channel_account_id: str
    created_at: float
    associated_contact_id: str | None = None
    integration_thread_id: str | None = None
    status: str = "OPEN"
    closed_at: float | None = None
    archived: bool = False
    spam: bool = False
    assigned_to: str | None = None
    ticket_id: str | None = None
    message_ids: list[str] = field(default_factory=list)


@dataclass
class Settings:
    """Constructor options of the emulator that handlers read at request time."""

    token: str
    client_secret: str
    developer_api_key: str
    app_id: int
    portal_id: int
    scopes: set[str]
    search_lag: float
    rate_limit_per_10s: int
    search_per_second: int
    truncate_at: int
    webhook_target_url: str | None
    idempotency_dedupe: bool = True  # UNCONFIRMED: HubSpot dedupes integrationIdempotencyId
    thread_object_types: set[str] = field(  # UNCONFIRMED: names for a ticket-thread link
        default_factory=lambda: set(THREAD_OBJECT_TYPES))
    channel_client_secret: str | None = None  # the channel app's secret (default: client_secret)
    channel_webhook_shape: str = "object"  # "object" or "array" (both seen at HubSpot)
    channel_signature: str = "v3"  # "v3" or "v1"
    helpdesk_auto_ticket: bool = False  # a help-desk inbox makes a ticket for each new thread
    strict_channel_patch: bool = True  # PATCH channel without the required fields -> 400
    ui_domain: str = "app.hubspot.com"  # account-info uiDomain (EU portals: app-eu1...)

    @property
    def channel_secret(self) -> str:
        """The secret channel webhooks are signed with."""
        return self.channel_client_secret or self.client_secret


class EmulatorState:
    """All dicts the emulator serves from, the clock and the id counters."""

    def __init__(self, settings: Settings, clock: Callable[[], float]) -> None:
        self.settings = settings
        self._clock = clock
        self.clock_offset = 0.0
        self._ids = {kind: itertools.count(base) for kind, base in _ID_BASES.items()}
        self.contacts: dict[str, CrmObject] = {}
        self.tickets: dict[str, CrmObject] = {}
        self.notes: dict[str, CrmObject] = {}
        self.associations: set[Assoc] = set()
        self.property_defs: dict[str, dict[str, Json]] = builtin_properties(clock())
        self.pipelines: dict[str, list[Json]] = default_pipelines(clock())
        inbox = default_inbox(clock())
        self.inboxes: dict[str, Json] = {inbox["id"]: inbox}
        self.threads: dict[str, Thread] = {}
        self.messages: dict[str, Json] = {}
        self.channels: dict[str, Json] = {}
        self.accounts: dict[str, Json] = {}
        self.thread_keys: dict[tuple[str, str], str] = {}
        self.publish_keys: dict[tuple[str, str], str] = {}
        self.files: dict[str, Any] = {}  # id -> emulator.files.StoredFile
        self.agents: dict[str, Json] = {
            "A-1001": {"id": "A-1001", "type": "AGENT", "name": "Riley Rep",
                       "email": "riley.rep@emulator.test", "avatar": None},
        }
        self.subscriptions: list[Json] = [
            self._subscription(event, prop) for event, prop in DEFAULT_SUBSCRIPTIONS
        ]

    def now(self) -> float:
        """Current emulated time, Unix seconds (the injected clock plus any advance)."""
        return self._clock() + self.clock_offset

    def next_id(self, kind: str) -> str:
        """A fresh numeric id (as a string) from the counter for ``kind``."""
        return str(next(self._ids[kind]))

    def store(self, object_type: str) -> dict[str, CrmObject]:
        """The dict holding objects of ``object_type`` (contacts, tickets, notes)."""
        stores = {"contacts": self.contacts, "tickets": self.tickets, "notes": self.notes}
        return stores[object_type]

    def _subscription(self, event_type: str, property_name: str | None) -> Json:
        now = iso(self.now())
        sub: Json = {"id": self.next_id("subscriptions"), "eventType": event_type,
                     "active": True, "createdAt": now, "updatedAt": now}
        if property_name:
            sub["propertyName"] = property_name
        return sub

    def add_subscription(self, event_type: str, property_name: str | None = None) -> Json:
        """Subscribe the app to ``event_type`` (and for propertyChange, ``property_name``)."""
        sub = self._subscription(event_type, property_name)
        self.subscriptions.append(sub)
        return sub

    def subscribed(self, event_type: str, property_name: str | None = None) -> bool:
        """True if an active subscription covers this event."""
        return any(
            s["active"] and s["eventType"] == event_type
            and (property_name is None or s.get("propertyName") in (None, property_name))
            for s in self.subscriptions
        )

    def subscription_id(self, event_type: str) -> int:
        """The id of the first subscription for ``event_type`` (0 if none)."""
        ids = [int(s["id"]) for s in self.subscriptions if s["eventType"] == event_type]
        return ids[0] if ids else 0

    def associate(
        self, a_type: str, a_id: str, b_type: str, b_id: str,
        type_id: int | None = None, category: str = "HUBSPOT_DEFINED",
    ) -> Assoc:
        """Link two objects in both directions; ``type_id`` defaults to the HubSpot default."""
        forward = ASSOCIATION_TYPES.get((a_type, b_type))
        backward = ASSOCIATION_TYPES.get((b_type, a_type))
        if forward is None or backward is None:
            raise KeyError(f"no association between {a_type} and {b_type}")
        chosen = forward if type_id is None else type_id
        back = backward if chosen == forward else chosen
        edge = Assoc(a_type, a_id, b_type, b_id, category, chosen)
        self.associations.add(edge)
        self.associations.add(Assoc(b_type, b_id, a_type, a_id, category, back))
        return edge

    def associated(self, from_type: str, from_id: str, to_type: str) -> dict[str, list[Assoc]]:
        """Edges from one object to objects of ``to_type``, grouped by target id (sorted)."""
        found: dict[str, list[Assoc]] = {}
        for edge in sorted(self.associations, key=lambda e: (int(e.to_id), e.type_id)):
            if (edge.from_type, edge.from_id, edge.to_type) == (from_type, from_id, to_type):
                found.setdefault(edge.to_id, []).append(edge)
        return found

    def contact_by_email(self, email: str) -> CrmObject | None:
        """The live contact whose email matches case-insensitively (no search lag)."""
        wanted = email.strip().casefold()
        for contact in self.contacts.values():
            if (contact.properties.get("email") or "").casefold() == wanted:
                return contact
        return None

    def thread_messages(self, thread: Thread) -> Iterable[Json]:
        """The thread's messages in creation-time order."""
        found = [self.messages[mid] for mid in thread.message_ids]
        return sorted(found, key=lambda m: m["createdAt"])  # stable: ties keep arrival order

    def object_type_id(self, object_type: str) -> str:
        """HubSpot's numeric object type id (``0-1`` contacts, ``0-5`` tickets, ...)."""
        return OBJECT_TYPE_IDS[object_type]
