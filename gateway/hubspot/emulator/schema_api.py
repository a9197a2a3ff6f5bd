"""CRM pipelines, property definitions and v4 associations endpoints of the HubSpot emulator.

UNCONFIRMED: the scopes for properties (modelled as the object's own scope), the 409
category for an existing property (``OBJECT_ALREADY_EXISTS``), and linking a ticket to a
conversation thread through v4 associations (object type ``conversations``/``threads``,
type 32 or 278); HUBSPOT.md §4.5 leaves that open.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

from gateway.hubspot.emulator.crm import not_found, object_scopes, object_type
from gateway.hubspot.emulator.http import CTX, HubSpotHTTPError, api, json_response, read_json
from gateway.hubspot.emulator.schema import (
    ASSOCIATION_TYPES,
    OBJECT_ALIASES,
    OBJECT_TYPE_IDS,
    THREAD_ASSOCIATION_TYPES,
    property_definition,
)
from gateway.hubspot.emulator.state import EmulatorState, Json, iso

routes = web.RouteTableDef()

PROPERTY_TYPES = frozenset({"string", "number", "date", "datetime", "enumeration", "bool"})
FIELD_TYPES = frozenset({"text", "textarea", "date", "file", "number", "select", "radio",
                         "checkbox", "booleancheckbox", "calculation_equation", "html",
                         "phonenumber"})


# -- pipelines ----------------------------------------------------------------------------

def _pipelines(request: web.Request) -> list[Json]:
    state, kind = request.app[CTX].state, object_type(request)
    if kind not in state.pipelines:
        raise HubSpotHTTPError(400, f"Object type {kind} does not support pipelines")
    return state.pipelines[kind]


def _pipeline(request: web.Request) -> Json:
    wanted = request.match_info["pipeline_id"]
    for pipeline in _pipelines(request):
        if pipeline["id"] == wanted:
            return pipeline
    raise HubSpotHTTPError(404, f"Unable to find pipeline {wanted}", "OBJECT_NOT_FOUND")


@routes.get("/crm/v3/pipelines/{object_type}")
@api(scopes=object_scopes(write=False))
async def list_pipelines(request: web.Request) -> web.Response:
    return json_response({"results": _pipelines(request)})


@routes.get("/crm/v3/pipelines/{object_type}/{pipeline_id}")
@api(scopes=object_scopes(write=False))
async def get_pipeline(request: web.Request) -> web.Response:
    return json_response(_pipeline(request))


@routes.get("/crm/v3/pipelines/{object_type}/{pipeline_id}/stages")
@api(scopes=object_scopes(write=False))
async def list_stages(request: web.Request) -> web.Response:
    return json_response({"results": _pipeline(request)["stages"]})


@routes.get("/crm/v3/pipelines/{object_type}/{pipeline_id}/stages/{stage_id}")
@api(scopes=object_scopes(write=False))
async def get_stage(request: web.Request) -> web.Response:
    wanted = request.match_info["stage_id"]
    for stage in _pipeline(request)["stages"]:
        if stage["id"] == wanted:
            return json_response(stage)
    raise HubSpotHTTPError(404, f"Unable to find stage {wanted}", "OBJECT_NOT_FOUND")


# -- properties ---------------------------------------------------------------------------

@routes.get("/crm/v3/properties/{object_type}")
@api(scopes=object_scopes(write=False))
async def list_properties(request: web.Request) -> web.Response:
    state, kind = request.app[CTX].state, object_type(request)
    return json_response({"results": list(state.property_defs[kind].values())})


@routes.get("/crm/v3/properties/{object_type}/{name}")
@api(scopes=object_scopes(write=False))
async def get_property(request: web.Request) -> web.Response:
    state, kind = request.app[CTX].state, object_type(request)
    found = state.property_defs[kind].get(request.match_info["name"])
    if found is None:
        raise HubSpotHTTPError(404, f"Unable to find property {request.match_info['name']}",
                               "OBJECT_NOT_FOUND")
    return json_response(found)


def check_property(body: Any) -> Json:
    """Validate a ``PropertyCreate`` body (HUBSPOT.md §4.6)."""
    if not isinstance(body, dict):
        raise HubSpotHTTPError(400, "Invalid property definition")
    missing = [k for k in ("name", "label", "type", "fieldType", "groupName") if not body.get(k)]
    if missing:
        raise HubSpotHTTPError(400, f"Missing required fields: {', '.join(missing)}")
    if body["type"] not in PROPERTY_TYPES:
        raise HubSpotHTTPError(400, f"Invalid property type: {body['type']}")
    if body["fieldType"] not in FIELD_TYPES:
        raise HubSpotHTTPError(400, f"Invalid fieldType: {body['fieldType']}")
    if body["type"] in ("enumeration", "bool") and not body.get("options"):
        raise HubSpotHTTPError(400, f"options are required for type {body['type']}")
    return body


@routes.post("/crm/v3/properties/{object_type}")
@api(scopes=object_scopes(write=True))
async def create_property(request: web.Request) -> web.Response:
    state, kind = request.app[CTX].state, object_type(request)
    body = check_property(await read_json(request))
    if body["name"] in state.property_defs[kind]:
        raise HubSpotHTTPError(409, f"Property named '{body['name']}' already exists.",
                               "OBJECT_ALREADY_EXISTS")
    definition = property_definition(body, hubspot_defined=False, now=state.now())
    state.property_defs[kind][body["name"]] = definition
    return json_response(definition, status=201)


# -- associations v4 ----------------------------------------------------------------------

def _assoc_scopes(write: bool) -> Callable[[web.Request], tuple[str, ...]]:
    base = object_scopes(write)

    def needed(request: web.Request) -> tuple[str, ...]:
        scopes = base(request)
        to = OBJECT_ALIASES.get(request.match_info.get("to_type", "").lower())
        if to == "tickets":
            scopes += ("tickets",)
        elif to in ("contacts", "notes"):
            scopes += (f"crm.objects.contacts.{'write' if write else 'read'}",)
        elif request.match_info.get("to_type", "").lower() in _thread_types(request):
            scopes += (f"conversations.{'write' if write else 'read'}",)
        return tuple(dict.fromkeys(scopes))

    return needed


def _thread_types(request: web.Request) -> set[str]:
    """Object-type names accepted for a ticket-thread link (setting thread_object_types)."""
    return {t.lower() for t in request.app[CTX].state.settings.thread_object_types}


def _live(state: EmulatorState, kind: str, object_id: str) -> None:
    obj = state.store(kind).get(object_id)
    if obj is None or obj.archived:
        raise not_found()


def _thread_link(request: web.Request, type_id: int) -> web.Response | None:
    """Ticket -> conversation thread links (UNCONFIRMED in HubSpot); None if not one."""
    if request.match_info["to_type"].lower() not in _thread_types(request):
        return None
    state = request.app[CTX].state
    if object_type(request) != "tickets" or type_id not in THREAD_ASSOCIATION_TYPES:
        raise HubSpotHTTPError(400, "Only ticket to conversation associations are supported")
    _live(state, "tickets", request.match_info["object_id"])
    thread = state.threads.get(request.match_info["to_id"])
    if thread is None:
        raise not_found()
    thread.ticket_id = request.match_info["object_id"]
    return json_response(_labels_pair(request, "0-11"), status=201)


def _to_type(request: web.Request) -> str:
    raw = request.match_info["to_type"]
    found = OBJECT_ALIASES.get(raw.lower())
    if found is None:
        raise HubSpotHTTPError(400, f"Unable to infer object type from: {raw}")
    return found


def _ends(request: web.Request) -> tuple[str, str, str]:
    """(target object type, from id, to id) of an association path."""
    return _to_type(request), request.match_info["object_id"], request.match_info["to_id"]


def _labels_pair(request: web.Request, to_type_id: str) -> Json:
    return {"fromObjectTypeId": OBJECT_TYPE_IDS[object_type(request)],
            "fromObjectId": int(request.match_info["object_id"]),
            "toObjectTypeId": to_type_id, "toObjectId": int(request.match_info["to_id"]),
            "labels": []}


@routes.put("/crm/v4/objects/{object_type}/{object_id}/associations/default/{to_type}/{to_id}")
@api(scopes=_assoc_scopes(write=True))
async def put_default(request: web.Request) -> web.Response:
    state, kind = request.app[CTX].state, object_type(request)
    if (linked := _thread_link(request, 32)) is not None:
        return linked
    to_type, from_id, to_id = _ends(request)
    _live(state, kind, from_id)
    _live(state, to_type, to_id)
    started = iso(state.now())
    edge = state.associate(kind, from_id, to_type, to_id)
    results = [{"from": {"id": a}, "to": {"id": b},
                "associationSpec": {"associationCategory": edge.category, "associationTypeId": t}}
               for a, b, t in ((from_id, to_id, edge.type_id),
                               (to_id, from_id, ASSOCIATION_TYPES[(to_type, kind)]))]
    return json_response({"status": "COMPLETE", "results": results, "startedAt": started,
                          "completedAt": iso(state.now())})


@routes.put("/crm/v4/objects/{object_type}/{object_id}/associations/{to_type}/{to_id}")
@api(scopes=_assoc_scopes(write=True))
async def put_labelled(request: web.Request) -> web.Response:
    state, kind = request.app[CTX].state, object_type(request)
    specs = await read_json(request)
    if not isinstance(specs, list) or not specs:
        raise HubSpotHTTPError(400, "Body must be a non-empty list of association specs")
    first = specs[0].get("associationTypeId") if isinstance(specs[0], dict) else None
    if (linked := _thread_link(request, int(first or 0))) is not None:
        return linked
    to_type, from_id, to_id = _ends(request)
    _live(state, kind, from_id)
    _live(state, to_type, to_id)
    for spec in specs:
        type_id, category = spec.get("associationTypeId"), spec.get("associationCategory")
        if category != "HUBSPOT_DEFINED" or ASSOCIATION_TYPES.get((kind, to_type)) != type_id:
            raise HubSpotHTTPError(400, f"{category} {type_id} is not a valid association type "
                                        f"from {kind} to {to_type}")
        state.associate(kind, from_id, to_type, to_id, type_id, category)
    return json_response(_labels_pair(request, OBJECT_TYPE_IDS[to_type]), status=201)


@routes.get("/crm/v4/objects/{object_type}/{object_id}/associations/{to_type}")
@api(scopes=_assoc_scopes(write=False))
async def list_associations(request: web.Request) -> web.Response:
    state, kind = request.app[CTX].state, object_type(request)
    from_id = request.match_info["object_id"]
    _live(state, kind, from_id)
    if request.match_info["to_type"].lower() in _thread_types(request):
        rows = [{"toObjectId": int(t.id), "associationTypes": [
            {"category": "HUBSPOT_DEFINED", "typeId": 32, "label": None}]}
            for t in state.threads.values() if t.ticket_id == from_id]
        return json_response({"results": rows})
    found = state.associated(kind, from_id, _to_type(request))
    rows = [{"toObjectId": int(to_id), "associationTypes": [
        {"category": e.category, "typeId": e.type_id, "label": None} for e in edges]}
        for to_id, edges in found.items()]
    return json_response({"results": rows})


@routes.delete("/crm/v4/objects/{object_type}/{object_id}/associations/{to_type}/{to_id}")
@api(scopes=_assoc_scopes(write=True))
async def delete_association(request: web.Request) -> web.Response:
    state, kind = request.app[CTX].state, object_type(request)
    to_type, from_id, to_id = _ends(request)
    pair = {(kind, from_id), (to_type, to_id)}
    state.associations.difference_update(
        [e for e in state.associations if {(e.from_type, e.from_id), (e.to_type, e.to_id)} == pair])
    return web.Response(status=204)
