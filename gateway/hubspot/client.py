"""HubSpotClient: typed async calls to HubSpot's CRM (hubspot-api-client) and conversations."""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from datetime import datetime
from typing import Any

import aiohttp
import urllib3
from hubspot import HubSpot
from hubspot.crm.objects.notes import SimplePublicObjectInputForCreate as NoteInput
from hubspot.crm.tickets import (
    AssociationSpec,
    PublicAssociationsForObject,
    PublicObjectId,
    PublicObjectSearchRequest,
    SimplePublicObjectInput,
    SimplePublicObjectInputForCreate,
)

from gateway.hubspot.auth import TokenSource, unauthorized
from gateway.hubspot.conversations import CHANNELS, CONV, ConversationsClient
from gateway.hubspot.errors import (
    HubSpotAuthError,
    HubSpotConflict,
    HubSpotConnectionError,
    HubSpotError,
    HubSpotNotFound,
    HubSpotScopeError,
    error_from_response,
    json_body,
)
from gateway.hubspot.models import Account, Contact, Note, Pipeline, Ticket, format_time
from gateway.hubspot.policy import CallStats, HubSpotRetry, RetryPolicy

# HUBSPOT_DEFINED association type ids ([PYC] hubspot/crm/association_type.py).
TICKET_TO_CONTACT = 16
NOTE_TO_TICKET = 228
NOTE_TO_CONTACT = 202
CONTACT_PROPERTIES = ["email", "firstname", "lastname", "company"]
NOTE_BODY_MAX = 65536
PIPELINE_TTL = 300.0


def _assoc(to_id: str, type_id: int) -> PublicAssociationsForObject:
    spec = AssociationSpec(association_category="HUBSPOT_DEFINED", association_type_id=type_id)
    return PublicAssociationsForObject(to=PublicObjectId(id=str(to_id)), types=[spec])


def _translate(exc: Exception) -> HubSpotError | None:
    """urllib3 failures and the generated ApiExceptions (one class per sub-package: duck-typed)."""
    if isinstance(exc, urllib3.exceptions.HTTPError | OSError):
        return HubSpotConnectionError(f"{type(exc).__name__}: connection failed or timed out")
    status = getattr(exc, "status", None)
    if not isinstance(status, int) or not hasattr(exc, "body"):
        return None
    if status == 0:  # the generated client's wrapper for SSL errors
        return HubSpotConnectionError(str(getattr(exc, "reason", "")) or "TLS failure")
    headers = getattr(exc, "headers", None) or {}
    return error_from_response(status, exc.body, headers)


class HubSpotClient(ConversationsClient):
    """CRM calls run hubspot-api-client in an executor; conversations use aiohttp directly.

    Every method is a coroutine, raises only HubSpotError subclasses for HubSpot/network
    failures, and returns the small records of `gateway.hubspot.models`.
    """

    def __init__(
        self,
        access_token: str | TokenSource,
        base_url: str = "https://api.hubapi.com",
        developer_api_key: str | None = None,
        app_id: int | None = None,
        timeout: float = 15.0,
        session: aiohttp.ClientSession | None = None,
        executor: Executor | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        super().__init__(
            access_token, base_url=base_url, developer_api_key=developer_api_key,
            app_id=app_id, timeout=timeout, session=session, retry=retry, stats=CallStats(),
        )
        self._own_executor = executor is None
        self._executor = executor or ThreadPoolExecutor(4, thread_name_prefix="hubspot")
        url = self.base_url
        retry_obj = HubSpotRetry.build(self.retry, self.stats.retry)
        # The token goes with each call (_request_auth): an OAuth token changes over time.
        self._sdk = HubSpot(access_token="", host=url, base_url=url, retry=retry_obj)
        self._apis: dict[str, Any] = {}
        self._pipelines: tuple[float, list[Pipeline]] | None = None

    async def close(self) -> None:
        """Close the pools, executor and aiohttp session this client opened."""
        for api in self._apis.values():
            api.api_client.rest_client.pool_manager.clear()
            api.api_client.close()
        self._apis.clear()
        if self._own_executor:
            self._executor.shutdown(wait=False, cancel_futures=True)
        await super().close()

    # -- plumbing -------------------------------------------------------------------------

    def _api(self, dotted: str) -> Any:
        """A generated API object such as "crm.tickets.basic_api", built once and reused."""
        if dotted not in self._apis:
            self._apis[dotted] = functools.reduce(getattr, dotted.split("."), self._sdk)
        return self._apis[dotted]

    def _run(self, fn: Callable[..., Any], token: str, args: tuple[Any, ...],
             kw: dict[str, Any]) -> Any:
        """Blocking part, on the executor: call, read the raw JSON, translate failures."""
        auth = {"in": "header", "key": "Authorization", "value": f"Bearer {token}",
                "type": "bearer"}
        try:
            resp = fn(*args, _request_timeout=self.timeout, _preload_content=False,
                      _request_auth=auth, **kw)
            raw, status = resp.data, resp.status
            resp.release_conn()
        except Exception as exc:  # library boundary: every failure leaves as a HubSpotError
            error = _translate(exc)
            if error is None:
                raise
            raise error from exc
        return json_body(raw, status)

    async def _crm(self, template: str, dotted: str, *args: Any, **kw: Any) -> Any:
        """Run `<api>.<method>(*args, **kw)`; `template` ("POST /crm/v3/...") names it in stats."""
        method, path = template.split(" ", 1)
        api_name, call = dotted.rsplit(".", 1)
        fn = getattr(self._api(api_name), call)
        self.stats.call(method, path)
        loop = asyncio.get_running_loop()
        try:
            token = await self.tokens.token()
            try:
                return await loop.run_in_executor(self._executor, self._run, fn, token, args, kw)
            except HubSpotError as exc:
                fresh = (await self.tokens.renew(token, exc.category) if unauthorized(exc)
                         else None)
                if fresh is None:
                    raise
                return await loop.run_in_executor(self._executor, self._run, fn, fresh, args, kw)
        except HubSpotError as exc:
            self.stats.error(method, path, exc)
            raise

    # -- contacts ---------------------------------------------------------------------------

    async def get_contact_by_email(self, email: str) -> Contact | None:
        try:
            data = await self._crm(
                "GET /crm/v3/objects/contacts/{email}", "crm.contacts.basic_api.get_by_id",
                email, id_property="email", properties=CONTACT_PROPERTIES,
            )
        except HubSpotNotFound:
            return None
        return Contact.from_api(data)

    async def create_contact(
        self, email: str, firstname: str | None = None, lastname: str | None = None,
        company: str | None = None,
    ) -> Contact:
        values = {"email": email, "firstname": firstname, "lastname": lastname, "company": company}
        props = {k: v for k, v in values.items() if v}
        data = await self._crm(
            "POST /crm/v3/objects/contacts", "crm.contacts.basic_api.create",
            simple_public_object_input_for_create=SimplePublicObjectInputForCreate(
                properties=props, associations=[]),
        )
        return Contact.from_api(data)

    async def find_or_create_contact(
        self, email: str, firstname: str | None = None, lastname: str | None = None,
        company: str | None = None,
    ) -> Contact:
        """Get by email; else create; a 409 (created meanwhile) resolves to the existing id."""
        found = await self.get_contact_by_email(email)
        if found is not None:
            return found
        try:
            return await self.create_contact(email, firstname, lastname, company)
        except HubSpotConflict as exc:
            if exc.existing_id is None:
                raise
            values = {"email": email, "firstname": firstname, "lastname": lastname,
                      "company": company}
            props = {k: v for k, v in values.items() if v}
            return Contact.from_api({"id": exc.existing_id, "properties": props})

    async def search_contacts(self, email: str, limit: int = 10) -> list[Contact]:
        """Search by exact email. The index lags writes by seconds: prefer the get by email."""
        flt = {"propertyName": "email", "operator": "EQ", "value": email}
        request = PublicObjectSearchRequest(
            filter_groups=[{"filters": [flt]}], properties=CONTACT_PROPERTIES, limit=limit,
            sorts=["-createdate"], after="0",
        )
        data = await self._crm("POST /crm/v3/objects/contacts/search",
                               "crm.contacts.search_api.do_search",
                               public_object_search_request=request)
        return [Contact.from_api(r) for r in data.get("results") or []]

    # -- tickets ----------------------------------------------------------------------------

    async def create_ticket(self, properties: dict[str, Any], contact_id: str | None) -> Ticket:
        """Create a ticket, associated inline with the contact (type 16) when one is given."""
        assoc = [_assoc(contact_id, TICKET_TO_CONTACT)] if contact_id else []
        body = SimplePublicObjectInputForCreate(properties=properties, associations=assoc)
        data = await self._crm("POST /crm/v3/objects/tickets", "crm.tickets.basic_api.create",
                               simple_public_object_input_for_create=body)
        return Ticket.from_api(data)

    async def get_ticket(
        self, ticket_id: str, properties: list[str] | None = None
    ) -> Ticket | None:
        try:
            data = await self._crm("GET /crm/v3/objects/tickets/{ticketId}",
                                   "crm.tickets.basic_api.get_by_id", str(ticket_id),
                                   properties=properties or ["subject", "hs_pipeline",
                                                             "hs_pipeline_stage"])
        except HubSpotNotFound:
            return None
        return Ticket.from_api(data)

    async def update_ticket(self, ticket_id: str, properties: dict[str, Any]) -> Ticket:
        data = await self._crm("PATCH /crm/v3/objects/tickets/{ticketId}",
                               "crm.tickets.basic_api.update", str(ticket_id),
                               SimplePublicObjectInput(properties=properties))
        return Ticket.from_api(data)

    async def search_tickets(
        self, filter_groups: list[dict[str, Any]], properties: list[str] | None = None,
        limit: int = 10,
    ) -> list[Ticket]:
        """`filter_groups` in HubSpot's wire form: [{"filters": [{"propertyName": ...}]}]."""
        request = PublicObjectSearchRequest(
            filter_groups=filter_groups, properties=properties or ["subject", "hs_pipeline_stage"],
            limit=limit, sorts=["-createdate"], after="0",
        )
        data = await self._crm("POST /crm/v3/objects/tickets/search",
                               "crm.tickets.search_api.do_search",
                               public_object_search_request=request)
        return [Ticket.from_api(r) for r in data.get("results") or []]

    async def ticket_ids_for_contact(self, contact_id: str) -> list[str]:
        """Ids of every ticket associated with the contact (v4 associations, all pages)."""
        ids: list[str] = []
        after: str | None = None
        while True:
            kw = {"limit": 500, **({"after": after} if after else {})}
            data = await self._crm(
                "GET /crm/v4/objects/contacts/{contactId}/associations/tickets",
                "crm.associations.v4.basic_api.get_page", "contacts", str(contact_id),
                "tickets", **kw,
            ) or {}
            ids += [str(r["toObjectId"]) for r in data.get("results") or []]
            after = ((data.get("paging") or {}).get("next") or {}).get("after")
            if not after:
                return ids

    async def get_ticket_by_property(
        self, name: str, value: str, properties: list[str] | None = None
    ) -> Ticket | None:
        """The ticket whose unique-value property `name` equals `value` (no search lag)."""
        try:
            data = await self._crm("GET /crm/v3/objects/tickets/{ticketId}",
                                   "crm.tickets.basic_api.get_by_id", str(value),
                                   id_property=name,
                                   properties=properties or ["subject", "hs_pipeline",
                                                             "hs_pipeline_stage", name])
        except HubSpotNotFound:
            return None
        return Ticket.from_api(data)

    async def associated_ids(self, from_type: str, from_id: str, to_type: str) -> list[str]:
        """Ids of every `to_type` object associated with one object (v4, all pages)."""
        ids: list[str] = []
        after: str | None = None
        while True:
            kw = {"limit": 500, **({"after": after} if after else {})}
            data = await self._crm(
                "GET /crm/v4/objects/{fromType}/{fromId}/associations/{toType}",
                "crm.associations.v4.basic_api.get_page", from_type, str(from_id), to_type, **kw,
            ) or {}
            ids += [str(r["toObjectId"]) for r in data.get("results") or []]
            after = ((data.get("paging") or {}).get("next") or {}).get("after")
            if not after:
                return ids

    # -- pipelines and properties -------------------------------------------------------------

    async def ticket_pipelines(self) -> list[Pipeline]:
        data = await self._crm("GET /crm/v3/pipelines/tickets",
                               "crm.pipelines.pipelines_api.get_all", "tickets") or {}
        pipelines = [Pipeline.from_api(p) for p in data.get("results") or []]
        self._pipelines = (time.monotonic(), pipelines)
        return pipelines

    async def closed_stage_ids(self, pipeline_id: str, *, refresh: bool = False) -> set[str]:
        """Stage ids with ticketState CLOSED; pipelines are cached for five minutes."""
        cached = self._pipelines
        if refresh or cached is None or time.monotonic() - cached[0] > PIPELINE_TTL:
            pipelines = await self.ticket_pipelines()
        else:
            pipelines = cached[1]
        for pipeline in pipelines:
            if pipeline.id == str(pipeline_id):
                return pipeline.closed_stage_ids()
        raise HubSpotNotFound(f"no ticket pipeline {pipeline_id!r}")

    async def get_property(self, object_type: str, name: str) -> dict[str, Any] | None:
        try:
            return await self._crm("GET /crm/v3/properties/{objectType}/{propertyName}",
                                   "crm.properties.core_api.get_by_name", object_type, name)
        except HubSpotNotFound:
            return None

    async def create_property(self, object_type: str, spec: dict[str, Any]) -> dict[str, Any]:
        """`spec` in wire form: name, label, type, fieldType, groupName[, options]."""
        return await self._crm("POST /crm/v3/properties/{objectType}",
                               "crm.properties.core_api.create", object_type, spec)

    # -- notes and associations ---------------------------------------------------------------

    async def create_note(
        self, body_html: str, timestamp: datetime, ticket_id: str, contact_id: str | None = None
    ) -> Note:
        """A CRM note on the ticket (228) and optionally the contact (202) timelines."""
        props = {"hs_timestamp": format_time(timestamp), "hs_note_body": body_html[:NOTE_BODY_MAX]}
        assoc = [_assoc(ticket_id, NOTE_TO_TICKET)]
        if contact_id:
            assoc.append(_assoc(contact_id, NOTE_TO_CONTACT))
        data = await self._crm("POST /crm/v3/objects/notes", "crm.objects.notes.basic_api.create",
                               NoteInput(properties=props, associations=assoc))
        return Note.from_api(data)

    async def get_note(self, note_id: str) -> Note | None:
        try:
            data = await self._crm("GET /crm/v3/objects/notes/{noteId}",
                                   "crm.objects.notes.basic_api.get_by_id", str(note_id),
                                   properties=["hs_note_body", "hs_timestamp"])
        except HubSpotNotFound:
            return None
        return Note.from_api(data)

    async def associate_default(
        self, from_type: str, from_id: str, to_type: str, to_id: str
    ) -> None:
        await self._crm(
            "PUT /crm/v4/objects/{fromType}/{fromId}/associations/default/{toType}/{toId}",
            "crm.associations.v4.basic_api.create_default",
            from_type, str(from_id), to_type, str(to_id),
        )

    async def associate(self, from_type: str, from_id: str, to_type: str, to_id: str,
                        type_id: int, category: str = "HUBSPOT_DEFINED") -> None:
        """A v4 association with an explicit type id (e.g. ticket -> Conversation, 32)."""
        spec = AssociationSpec(association_category=category, association_type_id=type_id)
        await self._crm(
            "PUT /crm/v4/objects/{fromType}/{fromId}/associations/{toType}/{toId}",
            "crm.associations.v4.basic_api.create",
            from_type, str(from_id), to_type, str(to_id), [spec],
        )

    async def archive(self, object_type: str, object_id: str) -> None:
        """Archive a contact, ticket or note (moved to HubSpot's recycle bin)."""
        apis = {"contacts": "crm.contacts.basic_api", "tickets": "crm.tickets.basic_api",
                "notes": "crm.objects.notes.basic_api"}
        await self._crm(f"DELETE /crm/v3/objects/{object_type}/{{objectId}}",
                        f"{apis[object_type]}.archive", str(object_id))

    async def account_details(self) -> Account:
        """The token's portal: GET /account-info/v3/details (not in hubspot-api-client)."""
        path = "/account-info/v3/details"
        data = await self._call("GET", path, path)
        if not isinstance(data, dict) or "portalId" not in data:
            raise HubSpotError("account details without a portalId")
        return Account.from_api(data)

    # -- doctor -----------------------------------------------------------------------------

    async def check_access(self) -> dict[str, Any]:
        """Probe read endpoints to tell a bad token from missing scopes (writes are not probed).

        Returns {"token_valid": bool | None (None: HubSpot unreachable), "missing_scopes":
        [...], "checks": {probe: "ok" | error text}}; a 403 without a scope list in its body
        is blamed on the scope the probe needs.
        """
        probes: dict[str, tuple[str, Callable[[], Any]]] = {
            "contacts": ("crm.objects.contacts.read", lambda: self._crm(
                "GET /crm/v3/objects/contacts", "crm.contacts.basic_api.get_page", limit=1)),
            "tickets": ("tickets", lambda: self._crm(
                "GET /crm/v3/objects/tickets", "crm.tickets.basic_api.get_page", limit=1)),
            "inboxes": ("conversations.read", lambda: self._call(
                "GET", f"{CONV}/inboxes", f"{CONV}/inboxes", params={"limit": 1})),
        }
        if self._dev_key and self.app_id is not None:
            probes["custom_channels"] = ("", lambda: self._call(
                "GET", f"{CHANNELS}/", f"{CHANNELS}/", params={"limit": 1}, developer=True))
        report: dict[str, Any] = {"token_valid": True, "missing_scopes": [], "checks": {}}
        for name, (scope, probe) in probes.items():
            report["checks"][name] = await _probe(probe, scope, report, developer=not scope)
        report["missing_scopes"] = sorted(set(report["missing_scopes"]))
        return report


async def _probe(
    probe: Callable[[], Any], scope: str, report: dict[str, Any], *, developer: bool
) -> str:
    """Run one probe; record what its failure says about the token in `report`."""
    try:
        await probe()
    except HubSpotScopeError as exc:
        report["missing_scopes"] += exc.missing_scopes or [scope]
        return f"forbidden: missing scopes {', '.join(exc.missing_scopes or [scope])}"
    except HubSpotAuthError as exc:
        if exc.status == 401 and not developer:
            report["token_valid"] = False
        elif exc.status == 403 and scope:
            report["missing_scopes"].append(scope)
        return f"{'unauthorized' if exc.status == 401 else 'forbidden'}: {exc.message}"
    except HubSpotConnectionError as exc:
        if report["token_valid"] is True:
            report["token_valid"] = None
        return f"unreachable: {exc.message}"
    except HubSpotError as exc:
        return f"error: {exc}"
    return "ok"
