"""Static HubSpot schema for the emulator: built-in properties, pipelines, association types."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

Json = dict[str, Any]

OBJECT_ALIASES: dict[str, str] = {
    "contacts": "contacts", "contact": "contacts", "0-1": "contacts",
    "tickets": "tickets", "ticket": "tickets", "0-5": "tickets",
    "notes": "notes", "note": "notes", "0-46": "notes",
}
"""URL spellings of the emulated CRM object types -> canonical plural name."""

OBJECT_TYPE_IDS: dict[str, str] = {"contacts": "0-1", "tickets": "0-5", "notes": "0-46"}

SINGULAR: dict[str, str] = {"contacts": "contact", "tickets": "ticket", "notes": "note"}

ASSOCIATION_TYPES: dict[tuple[str, str], int] = {
    ("contacts", "tickets"): 15,
    ("tickets", "contacts"): 16,
    ("contacts", "notes"): 201,
    ("notes", "contacts"): 202,
    ("tickets", "notes"): 227,
    ("notes", "tickets"): 228,
}
"""HUBSPOT_DEFINED default type ids (HUBSPOT.md §4.5, from hubspot.crm.association_type)."""

THREAD_OBJECT_TYPES = frozenset({"conversations", "conversation", "threads", "thread"})
"""UNCONFIRMED: CRM object-type names accepted for a ticket -> conversation thread link."""

THREAD_ASSOCIATION_TYPES = frozenset({32, 278})
"""TICKET_TO_THREAD (32) and TICKET_TO_CONVERSATION (278); which one HubSpot uses is UNCONFIRMED."""

DEFAULT_PROPERTIES: dict[str, tuple[str, ...]] = {
    "contacts": ("createdate", "email", "firstname", "hs_object_id", "lastmodifieddate",
                 "lastname"),
    "tickets": ("content", "createdate", "hs_lastmodifieddate", "hs_object_id", "hs_pipeline",
                "hs_pipeline_stage", "hs_ticket_category", "hs_ticket_priority", "subject"),
    "notes": ("hs_createdate", "hs_lastmodifieddate", "hs_object_id"),
}
"""Properties returned when a read or search names none (HubSpot's documented defaults)."""

READ_ONLY = frozenset({"hs_object_id", "hs_lastmodifieddate", "lastmodifieddate", "hs_createdate"})

MODIFIED_PROPERTY = {"contacts": "lastmodifieddate", "tickets": "hs_lastmodifieddate",
                     "notes": "hs_lastmodifieddate"}
CREATED_PROPERTY = {"contacts": "createdate", "tickets": "createdate", "notes": "hs_createdate"}

NOTE_BODY_MAX = 65_536

_GROUPS = {"contacts": "contactinformation", "tickets": "ticketinformation",
           "notes": "engagement"}

# name, label, type, fieldType, options (values)
_BUILTIN: dict[str, tuple[tuple[str, str, str, str, tuple[str, ...]], ...]] = {
    "contacts": (
        ("email", "Email", "string", "text", ()),
        ("firstname", "First Name", "string", "text", ()),
        ("lastname", "Last Name", "string", "text", ()),
        ("company", "Company Name", "string", "text", ()),
        ("phone", "Phone Number", "string", "phonenumber", ()),
        ("website", "Website URL", "string", "text", ()),
        ("jobtitle", "Job Title", "string", "text", ()),
        ("city", "City", "string", "text", ()),
        ("country", "Country/Region", "string", "text", ()),
        ("hubspot_owner_id", "Contact owner", "enumeration", "select", ()),
        ("createdate", "Create Date", "datetime", "date", ()),
        ("lastmodifieddate", "Last Modified Date", "datetime", "date", ()),
        ("hs_object_id", "Record ID", "number", "number", ()),
    ),
    "tickets": (
        ("subject", "Ticket name", "string", "text", ()),
        ("content", "Ticket description", "string", "textarea", ()),
        ("hs_pipeline", "Pipeline", "enumeration", "select", ()),
        ("hs_pipeline_stage", "Ticket status", "enumeration", "select", ()),
        ("hs_ticket_priority", "Priority", "enumeration", "select",
         ("LOW", "MEDIUM", "HIGH", "URGENT")),
        ("hs_ticket_category", "Category", "enumeration", "checkbox",
         ("PRODUCT_ISSUE", "BILLING_ISSUE", "FEATURE_REQUEST", "GENERAL_INQUIRY")),
        ("source_type", "Source", "enumeration", "select", ("CHAT", "EMAIL", "FORM", "PHONE")),
        ("hubspot_owner_id", "Ticket owner", "enumeration", "select", ()),
        ("closed_date", "Close date", "datetime", "date", ()),
        ("hs_file_upload", "File upload", "string", "file", ()),
        ("createdate", "Create date", "datetime", "date", ()),
        ("hs_lastmodifieddate", "Last modified date", "datetime", "date", ()),
        ("hs_object_id", "Record ID", "number", "number", ()),
    ),
    "notes": (
        ("hs_timestamp", "Activity date", "datetime", "date", ()),
        ("hs_note_body", "Note body", "string", "html", ()),
        ("hubspot_owner_id", "Activity assigned to", "enumeration", "select", ()),
        ("hs_attachment_ids", "Attached file IDs", "enumeration", "checkbox", ()),
        ("hs_createdate", "Create date", "datetime", "date", ()),
        ("hs_lastmodifieddate", "Last modified date", "datetime", "date", ()),
        ("hs_object_id", "Record ID", "number", "number", ()),
    ),
}


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def option(label: str, value: str, order: int) -> Json:
    """A property option as HubSpot returns it."""
    return {"label": label, "value": value, "displayOrder": order, "hidden": False}


def property_definition(body: Json, *, hubspot_defined: bool, now: float) -> Json:
    """A full property definition (the ``Property`` response shape) from a create body."""
    stamp = _iso(now)
    options = [
        {"label": o.get("label", ""), "value": o.get("value", ""),
         "displayOrder": o.get("displayOrder", i), "hidden": bool(o.get("hidden", False)),
         **({"description": o["description"]} if "description" in o else {})}
        for i, o in enumerate(body.get("options") or [])
    ]
    return {
        "name": body["name"], "label": body["label"], "type": body["type"],
        "fieldType": body["fieldType"], "groupName": body["groupName"],
        "description": body.get("description", ""), "options": options,
        "displayOrder": body.get("displayOrder", -1), "calculated": False,
        "externalOptions": False, "hasUniqueValue": bool(body.get("hasUniqueValue", False)),
        "hidden": bool(body.get("hidden", False)), "hubspotDefined": hubspot_defined,
        "formField": bool(body.get("formField", True)),
        "modificationMetadata": {"archivable": not hubspot_defined,
                                 "readOnlyDefinition": hubspot_defined,
                                 "readOnlyValue": body["name"] in READ_ONLY},
        "createdAt": stamp, "updatedAt": stamp, "archived": False,
    }


def builtin_properties(now: float) -> dict[str, dict[str, Json]]:
    """Built-in property definitions per object type, keyed by property name."""
    defs: dict[str, dict[str, Json]] = {}
    for object_type, rows in _BUILTIN.items():
        defs[object_type] = {}
        for name, label, kind, field_type, values in rows:
            body = {"name": name, "label": label, "type": kind, "fieldType": field_type,
                    "groupName": _GROUPS[object_type],
                    "options": [option(v.title(), v, i) for i, v in enumerate(values)]}
            defs[object_type][name] = property_definition(body, hubspot_defined=True, now=now)
    return defs


def _stage(stage_id: str, label: str, order: int, closed: bool, now: float) -> Json:
    return {
        "id": stage_id, "label": label, "displayOrder": order,
        "metadata": {"ticketState": "CLOSED" if closed else "OPEN",
                     "isClosed": "true" if closed else "false"},
        "createdAt": _iso(now), "updatedAt": _iso(now), "archived": False,
        "writePermissions": "CRM_PERMISSIONS_ENFORCEMENT",
    }


def default_pipelines(now: float) -> dict[str, list[Json]]:
    """HubSpot's default ticket pipeline ``0``: stages 1, 2, 3 open and 4 closed.

    ``metadata.isClosed`` as a string is observed in real responses, not in the docs.
    """
    stages = [
        _stage("1", "New", 0, False, now),
        _stage("2", "Waiting on contact", 1, False, now),
        _stage("3", "Waiting on us", 2, False, now),
        _stage("4", "Closed", 3, True, now),
    ]
    pipeline = {"id": "0", "label": "Support Pipeline", "displayOrder": 0, "stages": stages,
                "createdAt": _iso(now), "updatedAt": _iso(now), "archived": False}
    return {"tickets": [pipeline]}


def default_inbox(now: float) -> Json:
    """The portal's one inbox. UNCONFIRMED: the ``type`` value of a help-desk inbox."""
    return {"id": "147959634", "name": "Support Inbox", "type": "INBOX",
            "createdAt": _iso(now), "updatedAt": _iso(now), "archived": False}
