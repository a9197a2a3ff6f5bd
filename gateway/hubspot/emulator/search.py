"""CRM search of the HubSpot emulator: filterGroups over a lagging search index.

A write becomes visible to search only ``search_lag`` seconds later (HUBSPOT.md §4.3: the
index is eventually consistent; the exact delay is UNCONFIRMED), and until then search sees
the previous version. The ``associations.contact`` pseudo-property filter is UNCONFIRMED in
HubSpot's docs; the emulator supports it for tickets and notes.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from gateway.hubspot.emulator.crm import object_scopes, object_type, render
from gateway.hubspot.emulator.http import CTX, HubSpotHTTPError, api, json_response, read_json
from gateway.hubspot.emulator.schema import DEFAULT_PROPERTIES, OBJECT_ALIASES
from gateway.hubspot.emulator.state import CrmObject, EmulatorState, Json

routes = web.RouteTableDef()

MAX_GROUPS, MAX_PER_GROUP, MAX_FILTERS, MAX_LIMIT = 5, 10, 25, 200
OPERATORS = frozenset({"EQ", "NEQ", "LT", "LTE", "GT", "GTE", "BETWEEN", "IN", "NOT_IN",
                       "HAS_PROPERTY", "NOT_HAS_PROPERTY", "CONTAINS_TOKEN",
                       "NOT_CONTAINS_TOKEN"})


def _bad(message: str) -> HubSpotHTTPError:
    """UNCONFIRMED wording; HubSpot answers limit violations with 400 VALIDATION_ERROR."""
    return HubSpotHTTPError(400, message, "VALIDATION_ERROR")


def check_request(body: Any) -> tuple[list[Json], int, int]:
    """Validate a search body -> (filterGroups, limit, after)."""
    if not isinstance(body, dict):
        raise _bad("Invalid search request")
    groups = body.get("filterGroups") or []
    if len(groups) > MAX_GROUPS:
        raise _bad(f"Too many filter groups: {len(groups)}. The maximum is {MAX_GROUPS}.")
    total = 0
    for group in groups:
        filters = group.get("filters") or []
        total += len(filters)
        if len(filters) > MAX_PER_GROUP:
            raise _bad(f"Too many filters in a filter group: {len(filters)}. "
                       f"The maximum is {MAX_PER_GROUP}.")
        for item in filters:
            if item.get("operator") not in OPERATORS:
                raise _bad(f"Unsupported operator: {item.get('operator')}")
    if total > MAX_FILTERS:
        raise _bad(f"Too many filters: {total}. The maximum is {MAX_FILTERS}.")
    limit = int(body.get("limit") or 10)
    if limit > MAX_LIMIT:
        raise _bad(f"limit must be less than or equal to {MAX_LIMIT}")
    return groups, limit, int(body.get("after") or 0)


def _compare(left: str, right: str) -> int:
    try:
        a, b = float(left), float(right)
    except ValueError:
        a, b = left.casefold(), right.casefold()  # type: ignore[assignment]
    return (a > b) - (a < b)


def _field(state: EmulatorState, obj: CrmObject, props: dict[str, str | None], name: str
           ) -> list[str]:
    """The values a filter sees for ``name`` (several for association pseudo-properties)."""
    if name.startswith("associations."):
        to_type = OBJECT_ALIASES.get(name.split(".", 1)[1].lower())
        return list(state.associated(obj.object_type, obj.id, to_type)) if to_type else []
    value = props.get(name)
    return [value] if value not in (None, "") else []


def matches(values: list[str], flt: Json) -> bool:
    """Evaluate one filter against the object's values for its property."""
    op = flt["operator"]
    if op == "HAS_PROPERTY":
        return bool(values)
    if op == "NOT_HAS_PROPERTY":
        return not values
    wanted = [str(v) for v in flt.get("values") or []]
    value = str(flt.get("value", ""))
    if op in ("IN", "NOT_IN"):
        hit = any(_compare(v, w) == 0 for v in values for w in wanted)
        return hit if op == "IN" else not hit
    if op == "NEQ":
        return not any(_compare(v, value) == 0 for v in values)
    if op in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"):
        hit = any(value.strip("*").casefold() in v.casefold() for v in values)
        return hit if op == "CONTAINS_TOKEN" else not hit
    if op == "BETWEEN":
        high = str(flt.get("highValue", ""))
        return any(_compare(v, value) >= 0 and _compare(v, high) <= 0 for v in values)
    tests = {"EQ": lambda c: c == 0, "LT": lambda c: c < 0, "LTE": lambda c: c <= 0,
             "GT": lambda c: c > 0, "GTE": lambda c: c >= 0}
    return any(tests[op](_compare(v, value)) for v in values)


def _sort_key(sorts: list[Any]) -> tuple[str, bool]:
    if not sorts:
        return "hs_object_id", False
    first = sorts[0]
    if isinstance(first, str):
        return first.lstrip("-"), first.startswith("-")
    return first.get("propertyName", "hs_object_id"), first.get("direction") == "DESCENDING"


def search(state: EmulatorState, kind: str, body: Json) -> Json:
    """Run a search against the index as of now; paging by numeric ``after`` offset."""
    groups, limit, after = check_request(body)
    now = state.now()
    hits: list[tuple[CrmObject, dict[str, str | None]]] = []
    for obj in state.store(kind).values():
        props = obj.indexed(now)
        if props is None or obj.archived:
            continue
        if not groups or any(
            all(matches(_field(state, obj, props, f["propertyName"]), f) for f in g["filters"])
            for g in groups
        ):
            hits.append((obj, props))
    name, descending = _sort_key(body.get("sorts") or [])
    hits.sort(key=lambda h: (_numeric_first(h[1].get(name)), int(h[0].id)), reverse=descending)
    names = body.get("properties") or list(DEFAULT_PROPERTIES[kind])
    results = []
    for obj, props in hits[after:after + limit]:
        row = render(state, obj)
        row["properties"] = {n: props.get(n) for n in names}
        results.append(row)
    out: Json = {"total": len(hits), "results": results}
    if after + limit < len(hits):
        out["paging"] = {"next": {"after": str(after + limit)}}
    return out


def _numeric_first(value: str | None) -> tuple[int, float, str]:
    text = value or ""
    try:
        return 0, float(text), ""
    except ValueError:
        return 1, 0.0, text.casefold()


@routes.post("/crm/v3/objects/{object_type}/search")
@api(scopes=object_scopes(write=False), search=True)
async def post_search(request: web.Request) -> web.Response:
    state, kind = request.app[CTX].state, object_type(request)
    return json_response(search(state, kind, await read_json(request)))
