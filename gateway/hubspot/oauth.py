"""The HubSpot app's OAuth install on the gateway: install and callback routes, token store.

``GET /hubspot/oauth/install`` (behind the web UI login) sends the operator to HubSpot's
install page with a one-time ``state``; HubSpot sends the browser back to
``GET /hubspot/oauth/callback?code=…&state=…``, where the state is checked (CSRF) and the
code exchanged for tokens, stored in SQLite by ``storage.hubspot_oauth``. No token is
ever logged or shown.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web

from gateway.hubspot.auth import OAUTH, REQUIRED_SCOPES, StoredTokens, authorize_url
from gateway.hubspot.errors import HubSpotError
from gateway.storage import hubspot_oauth as store
from gateway.storage.db import Database

log = logging.getLogger(__name__)

INSTALL_PATH = "/hubspot/oauth/install"
CALLBACK_PATH = "/hubspot/oauth/callback"
STATE_MAX_AGE = 600.0  # seconds an install may take between redirect and callback
DONE_PATH = "/settings/hubspot"


def sqlite_store(db: Database | None, clock: Callable[[], float] | None, *,
                 write: bool = True) -> tuple[Any, Any]:
    """The ``load``/``save`` callbacks of OAuthTokens over the gateway database."""
    now = clock or time.time

    async def load() -> StoredTokens | None:
        row = await db.read(store.get_tokens) if db is not None else None
        return StoredTokens(**row) if row else None

    async def save(tokens: StoredTokens) -> None:
        if db is None or not write:
            return
        values = vars(tokens).copy()
        await db.write(lambda c: store.save_tokens(c, values, now()))

    return load, save


def add_routes(app: web.Application, service: Any) -> None:
    """Install and callback routes; they answer 409 unless hubspot.auth resolves to oauth."""

    def tokens() -> Any:
        client = service.client
        if client is None or service.creds is None or service.creds.auth != OAUTH:
            raise web.HTTPConflict(text="hubspot.auth is not oauth: set "
                                   "OPENCX_GATEWAY_HUBSPOT_CLIENT_ID and _CLIENT_SECRET "
                                   "(docs/hubspot.md)")
        return client.tokens

    def redirect_uri() -> str:
        return service.gw.public_url().rstrip("/") + CALLBACK_PATH

    async def install(request: web.Request) -> web.StreamResponse:
        source = tokens()
        state = secrets.token_urlsafe(24)
        now = service.gw.clock()
        await service.db.write(lambda c: store.add_state(c, state, now, STATE_MAX_AGE))
        url = authorize_url(service.creds.authorize_url, source.client_id, redirect_uri(),
                            REQUIRED_SCOPES, state)
        raise web.HTTPFound(url)

    async def callback(request: web.Request) -> web.StreamResponse:
        source = tokens()
        query = request.query
        if "error" in query:
            raise web.HTTPBadRequest(text=f"HubSpot did not install the app: "
                                     f"{query.get('error')[:200]}")
        state, code = query.get("state", ""), query.get("code", "")
        now = service.gw.clock()
        fresh = await service.db.write(lambda c: store.take_state(c, state, now, STATE_MAX_AGE))
        if not fresh:
            log.warning("hubspot oauth callback refused: unknown or expired state")
            raise web.HTTPForbidden(text="unknown or expired install state: start again at "
                                    f"{INSTALL_PATH}")
        if not code:
            raise web.HTTPBadRequest(text="the callback carries no code")
        try:
            await source.exchange_code(code, redirect_uri())
        except HubSpotError as exc:
            log.error("hubspot oauth: code exchange failed: %s", exc.message)
            raise web.HTTPBadGateway(text=f"HubSpot refused the install: {exc.message}") from None
        await service.installed()
        raise web.HTTPFound(DONE_PATH)

    app.router.add_get(INSTALL_PATH, install)
    app.router.add_get(CALLBACK_PATH, callback)
