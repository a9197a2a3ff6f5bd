"""CRM v3 object endpoints of the HubSpot emulator: contacts, tickets and notes.

Search lives in ``emulator.search``; pipelines, properties and v4 associations in
``emulator.schema_api``. UNCONFIRMED details: the 404 body (HubSpot may send an empty
body), the notes scopes (modelled as the contacts scopes), and the exact wording of
validation errors other than "Property values were not valid".
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from aiohttp import web

from gateway.hubspot.emulator.http import (
    CTX,
    Context,
    HubSpotHTTPError,
    api,
    json_response,
    read_json,
)
from gateway.hubspot.emulator.portal import default_pipeline_id
from gateway.hubspot.emulator.schema import (
    ASSOCIATION_TYPES,
    CREATED_PROPERTY,
    DEFAULT_PROPERTIES,
    MODIFIED_PROPERTY,
    NOTE_BODY_MAX,
    OBJECT_ALIASES,
    READ_ONLY,
    SINGULAR,
)
from gateway.hubspot.emulator.state import CrmObject, EmulatorState, Json, iso, parse_time

routes = web.RouteTableDef()
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def object_type(request: web.Request) -> str:
    """Canonical object type from the URL, or 400 like HubSpot's unknown-type answer."""
    raw = request.match_info["object_type"]
    found = OBJECT_ALIASES.get(raw.lower())
    if found is None:
        raise HubSpotHTTPError(400, f"Unable to infer object type from: {raw}")
    return found


def object_scopes(write: bool) -> Callable[[web.Request], tuple[str, ...]]:
    """Scopes for the object type in the URL: ``tickets`` or the contacts scopes."""

    def needed(request: web.Request) -> tuple[str, ...]:
        kind = OBJECT_ALIASES.get(request.match_info.get("object_type", "").lower())
        if kind == "tickets":
            return ("tickets",)
        if kind in ("contacts", "notes"):
            return (f"crm.objects.contacts.{'write' if write else 'read'}",)
        return ()

    return needed


def query_list(request: web.Request, name: str) -> list[str]:
    """A list query parameter, given repeated (``a=1&a=2``) or comma-separated."""
    return [part for value in request.query.getall(name, []) for part in value.split(",") if part]


def not_found() -> HubSpotHTTPError:
    return HubSpotHTTPError(404, "resource not found", "OBJECT_NOT_FOUND")


def invalid(portal_id: int, problems: list[tuple[str, str, str]]) -> HubSpotHTTPError:
    """HubSpot's 400 ``Property values were not valid: [...]`` (problems: name, code, text)."""
    rows = [{"isValid": False, "message": text, "error": code, "name": name,
             "localizedErrorMessage": text, "portalId": portal_id}
            for name, code, text in problems]
    message = "Property values were not valid: " + json.dumps(rows, separators=(",", ":"))
    return HubSpotHTTPError(400, message, "VALIDATION_ERROR")


# -- property validation ------------------------------------------------------------------

def _check_value(state: EmulatorState, kind: str, name: str, value: str,
                 merged: dict[str, str | None]) -> tuple[str, str | None]:
    """Normalised value or (name-coded) problem text for one property."""
    definition = state.property_defs[kind][name]
    ptype = definition["type"]
    if value == "":
        return value, None
    if ptype == "bool":
        if value.lower() not in ("true", "false"):
            return value, f"{value} is not a valid boolean; use true or false"
        return value.lower(), None
    if ptype == "number":
        try:
            float(value)
        except ValueError:
            return value, f"{value} is not a valid number"
        return value, None
    if ptype in ("datetime", "date"):
        moment = parse_time(value)
        if moment is None:
            return value, f"{value} is not a valid date"
        return iso(moment), None
    allowed = _allowed_options(state, kind, name, merged)
    if allowed is not None:
        values = value.split(";") if definition["fieldType"] == "checkbox" else [value]
        if any(v not in allowed for v in values):
            return value, f'"{value}" was not one of the allowed options: {sorted(allowed)}'
    return value, None


def _allowed_options(state: EmulatorState, kind: str, name: str,
                     merged: dict[str, str | None]) -> set[str] | None:
    if kind == "tickets" and name == "hs_pipeline":
        return {p["id"] for p in state.pipelines["tickets"]}
    if kind == "tickets" and name == "hs_pipeline_stage":
        pipeline = merged.get("hs_pipeline") or default_pipeline_id(state)
        return {s["id"] for p in state.pipelines["tickets"] if p["id"] == pipeline
                for s in p["stages"]}
    options = state.property_defs[kind][name]["options"]
    return {o["value"] for o in options} if options else None


def _code_for(ptype: str, text: str) -> str:
    if "allowed options" in text:
        return "INVALID_OPTION"
    return {"bool": "INVALID_BOOLEAN", "number": "INVALID_NUMBER", "datetime": "INVALID_DATE",
            "date": "INVALID_DATE"}.get(ptype, "INVALID_VALUE")


def validate(state: EmulatorState, kind: str, given: Any, current: dict[str, str | None],
             creating: bool) -> dict[str, str | None]:
    """Normalise ``given`` properties (values become strings) or raise HubSpot's 400."""
    if not isinstance(given, dict):
        raise HubSpotHTTPError(400, "properties must be an object")
    props = {str(k): _stringify(v) for k, v in given.items()}
    merged = {**current, **props}
    problems: list[tuple[str, str, str]] = []
    out: dict[str, str | None] = {}
    for name, value in props.items():
        if name not in state.property_defs[kind]:
            problems.append((name, "PROPERTY_DOESNT_EXIST", f'Property "{name}" does not exist'))
        elif name in READ_ONLY:
            problems.append((name, "READ_ONLY_VALUE",
                             f'"{name}" is a read only property; its value cannot be set.'))
        elif value is None:
            out[name] = ""
        else:
            out[name], text = _check_value(state, kind, name, value, merged)
            if text:
                ptype = state.property_defs[kind][name]["type"]
                problems.append((name, _code_for(ptype, text), text))
    problems += _object_rules(kind, {**current, **out}, creating)
    if problems:
        raise invalid(state.settings.portal_id, problems)
    return out


def _object_rules(kind: str, props: dict[str, str | None], creating: bool
                  ) -> list[tuple[str, str, str]]:
    """Per-object rules: required properties, email syntax, note length."""
    problems = []
    email = props.get("email")
    if kind == "contacts" and email and not EMAIL.match(email):
        problems.append(("email", "INVALID_EMAIL", f"Email address {email} is invalid"))
    if kind == "tickets" and creating and not props.get("hs_pipeline_stage"):
        problems.append(("hs_pipeline_stage", "REQUIRED_PROPERTY",
                         "hs_pipeline_stage is required"))  # UNCONFIRMED wording
    if kind == "notes" and creating and not props.get("hs_timestamp"):
        problems.append(("hs_timestamp", "REQUIRED_PROPERTY", "hs_timestamp is required"))
    body = props.get("hs_note_body") or ""
    if kind == "notes" and len(body) > NOTE_BODY_MAX:
        problems.append(("hs_note_body", "MAX_LENGTH_EXCEEDED",
                         f"hs_note_body exceeds {NOTE_BODY_MAX} characters"))
    return problems


def _stringify(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value)


# -- rendering ----------------------------------------------------------------------------

def render(state: EmulatorState, obj: CrmObject, names: list[str] | None = None,
           assoc_types: list[str] | None = None) -> Json:
    """``SimplePublicObject[WithAssociations]``: requested (or default) properties."""
    known = state.property_defs[obj.object_type]
    if names is None:
        props = {k: v for k, v in obj.properties.items() if v is not None}
    else:
        props = {n: obj.properties.get(n) for n in names if n in known or n in obj.properties}
    body: Json = {"id": obj.id, "properties": props, "createdAt": iso(obj.created_at),
                  "updatedAt": iso(obj.updated_at), "archived": obj.archived}
    links = _associations_json(state, obj, assoc_types or [])
    if links:
        body["associations"] = links
    return body


def _associations_json(state: EmulatorState, obj: CrmObject, wanted: list[str]) -> Json:
    found: Json = {}
    for raw in wanted:
        to_type = OBJECT_ALIASES.get(raw.lower())
        if to_type is None:
            continue
        label = f"{SINGULAR[obj.object_type]}_to_{SINGULAR[to_type]}"
        rows = [{"id": to_id, "type": label}
                for to_id in state.associated(obj.object_type, obj.id, to_type)]
        if rows:
            found[raw] = {"results": rows}
    return found


def requested(request: web.Request, kind: str) -> list[str]:
    """``properties=`` from the query, or the object type's default list."""
    return query_list(request, "properties") or list(DEFAULT_PROPERTIES[kind])


# -- lookups and writes -------------------------------------------------------------------

def find(state: EmulatorState, kind: str, object_id: str, id_property: str | None) -> CrmObject:
    """Resolve ``{objectId}`` (or the ``idProperty`` value) to a live object, else 404."""
    store = state.store(kind)
    if id_property and id_property != "hs_object_id":
        definition = state.property_defs[kind].get(id_property)
        unique = id_property == "email" and kind == "contacts"
        if definition is None or not (unique or definition.get("hasUniqueValue")):
            raise HubSpotHTTPError(400, f"{id_property} is not a unique identifier property")
        wanted = object_id.casefold()
        match = [o for o in store.values()
                 if (o.properties.get(id_property) or "").casefold() == wanted and not o.archived]
        if not match:
            raise not_found()
        return match[0]
    obj = store.get(object_id)
    if obj is None or obj.archived:
        raise not_found()
    return obj


def _email_owner(state: EmulatorState, email: str | None, except_id: str | None) -> str | None:
    if not email:
        return None
    owner = state.contact_by_email(email)
    return owner.id if owner and owner.id != except_id and not owner.archived else None


def _touch(state: EmulatorState, obj: CrmObject) -> None:
    now = state.now()
    obj.updated_at = now
    obj.properties[MODIFIED_PROPERTY[obj.object_type]] = iso(now)
    obj.reindex(now + state.settings.search_lag, now)


def _inline_associations(state: EmulatorState, kind: str, raw: Any
                         ) -> list[tuple[str, str, int, str]]:
    """Validate ``associations`` of a create body -> (to_type, to_id, type_id, category)."""
    links = []
    for item in raw or []:
        to_id = str(((item or {}).get("to") or {}).get("id", ""))
        for spec in item.get("types") or []:
            type_id = spec.get("associationTypeId")
            category = spec.get("associationCategory", "HUBSPOT_DEFINED")
            targets = [to for (frm, to), tid in ASSOCIATION_TYPES.items()
                       if frm == kind and tid == type_id]
            if category != "HUBSPOT_DEFINED" or not targets:
                raise HubSpotHTTPError(
                    400, f"{category} {type_id} is not a valid association type for {kind}",
                    "VALIDATION_ERROR", subCategory="crm.associations.INVALID_ASSOCIATION_TYPE")
            target = state.store(targets[0]).get(to_id)
            if target is None or target.archived:
                raise HubSpotHTTPError(
                    400, f"{SINGULAR[targets[0]]} {to_id} does not exist", "VALIDATION_ERROR",
                    subCategory="crm.associations.INVALID_OBJECT_IDS")
            links.append((targets[0], to_id, int(type_id), category))
    return links


def is_closed_stage(state: EmulatorState, pipeline_id: str, stage_id: str | None) -> bool:
    """True if ``stage_id`` has ``metadata.ticketState == "CLOSED"`` in the pipeline."""
    return any(s["id"] == stage_id and s["metadata"]["ticketState"] == "CLOSED"
               for p in state.pipelines["tickets"] if p["id"] == pipeline_id
               for s in p["stages"])


def _stamp_closed(state: EmulatorState, props: dict[str, str | None],
                  current: dict[str, str | None]) -> None:
    """Set ``closed_date`` when a ticket enters a closed stage, clear it when it leaves."""
    if "hs_pipeline_stage" not in props:
        return
    pipeline = (props.get("hs_pipeline") or current.get("hs_pipeline")
                or default_pipeline_id(state))
    if is_closed_stage(state, pipeline, props["hs_pipeline_stage"]):
        if not current.get("closed_date"):
            props.setdefault("closed_date", iso(state.now()))
    elif current.get("closed_date"):
        props["closed_date"] = ""


def _check_unique(state: EmulatorState, kind: str, props: dict[str, str | None]) -> None:
    """409 if a ``hasUniqueValue`` property repeats a live object's value.

    UNCONFIRMED: HubSpot enforces "require unique values"; the status and wording are modelled.
    """
    for name, value in props.items():
        if not value or not state.property_defs[kind].get(name, {}).get("hasUniqueValue"):
            continue
        for other in state.store(kind).values():
            if not other.archived and other.properties.get(name) == value:
                raise HubSpotHTTPError(
                    409, f"A {SINGULAR[kind]} with {name}={value} already exists. "
                    f"Existing ID: {other.id}", "CONFLICT")


def create_object(ctx: Context, kind: str, body: Any) -> CrmObject:
    """Create a contact/ticket/note from a ``SimplePublicObjectInputForCreate`` body."""
    state = ctx.state
    body = body if isinstance(body, dict) else {}
    props = validate(state, kind, body.get("properties", {}), {}, creating=True)
    links = _inline_associations(state, kind, body.get("associations"))
    owner = _email_owner(state, props.get("email"), None) if kind == "contacts" else None
    if owner:
        raise HubSpotHTTPError(409, f"Contact already exists. Existing ID: {owner}", "CONFLICT")
    _check_unique(state, kind, props)
    now, object_id = state.now(), state.next_id(kind)
    if kind == "tickets":
        props.setdefault("hs_pipeline", default_pipeline_id(state))
        _stamp_closed(state, props, {})
    props |= {"hs_object_id": object_id, CREATED_PROPERTY[kind]: iso(now)}
    obj = CrmObject(kind, object_id, props, now, now)
    state.store(kind)[object_id] = obj
    _touch(state, obj)
    for to_type, to_id, type_id, category in links:
        state.associate(kind, object_id, to_type, to_id, type_id, category)
    ctx.webhooks.creation(kind, object_id)
    return obj


def update_object(ctx: Context, obj: CrmObject, given: Any, source: str,
                  source_id: str | None = None) -> dict[str, str | None]:
    """Apply a property update; fire propertyChange webhooks; return what changed."""
    state = ctx.state
    props = validate(state, obj.object_type, given, obj.properties, creating=False)
    if obj.object_type == "contacts":
        owner = _email_owner(state, props.get("email"), obj.id)
        if owner:
            raise HubSpotHTTPError(409, f"Contact already exists. Existing ID: {owner}",
                                   "CONFLICT")
    if obj.object_type == "tickets":
        _stamp_closed(state, props, obj.properties)
    changed = {k: v for k, v in props.items() if obj.properties.get(k) != v}
    obj.properties.update(props)
    _touch(state, obj)
    if changed:
        ctx.webhooks.property_change(obj.object_type, obj.id, changed, source, source_id)
    return changed


# -- routes -------------------------------------------------------------------------------

@routes.get("/crm/v3/objects/{object_type}/{object_id}")
@api(scopes=object_scopes(write=False))
async def get_object(request: web.Request) -> web.Response:
    state, kind = request.app[CTX].state, object_type(request)
    obj = find(state, kind, request.match_info["object_id"], request.query.get("idProperty"))
    body = render(state, obj, requested(request, kind), query_list(request, "associations"))
    return json_response(body)


@routes.get("/crm/v3/objects/{object_type}")
@api(scopes=object_scopes(write=False))
async def list_objects(request: web.Request) -> web.Response:
    state, kind = request.app[CTX].state, object_type(request)
    limit = min(int(request.query.get("limit", "10")), 100)
    after = int(request.query.get("after", "0") or 0)
    live = [o for o in state.store(kind).values() if not o.archived]
    page = live[after:after + limit]
    names, assoc = requested(request, kind), query_list(request, "associations")
    body: Json = {"results": [render(state, o, names, assoc) for o in page]}
    if after + limit < len(live):
        body["paging"] = {"next": {"after": str(after + limit)}}
    return json_response(body)


@routes.post("/crm/v3/objects/{object_type}")
@api(scopes=object_scopes(write=True))
async def post_object(request: web.Request) -> web.Response:
    ctx, kind = request.app[CTX], object_type(request)
    obj = create_object(ctx, kind, await read_json(request))
    return json_response(render(ctx.state, obj), status=201)


@routes.patch("/crm/v3/objects/{object_type}/{object_id}")
@api(scopes=object_scopes(write=True))
async def patch_object(request: web.Request) -> web.Response:
    ctx, kind = request.app[CTX], object_type(request)
    obj = find(ctx.state, kind, request.match_info["object_id"], request.query.get("idProperty"))
    body = await read_json(request)
    given = body.get("properties", {}) if isinstance(body, dict) else None
    update_object(ctx, obj, given, source="INTEGRATION")
    return json_response(render(ctx.state, obj))


@routes.delete("/crm/v3/objects/{object_type}/{object_id}")
@api(scopes=object_scopes(write=True))
async def archive_object(request: web.Request) -> web.Response:
    state, kind = request.app[CTX].state, object_type(request)
    obj = state.store(kind).get(request.match_info["object_id"])
    if obj is not None and not obj.archived:
        obj.archived = True
        obj.index.clear()
    return web.Response(status=204)
