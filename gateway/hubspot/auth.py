"""Where the HubSpot client's access token comes from: a fixed token, or OAuth that renews.

Self-contained (no import from the rest of ``gateway`` beyond this package): the OAuth
tokens are kept by whoever builds ``OAuthTokens`` through the ``load``/``save`` callbacks
(the daemon stores them in SQLite). Tokens never appear in log lines or error messages.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlencode

import aiohttp

from gateway.hubspot.errors import (
    HubSpotAuthError,
    HubSpotConnectionError,
    HubSpotError,
    HubSpotServerError,
    parse_body,
)

log = logging.getLogger(__name__)

PRIVATE_APP, STATIC, OAUTH = "private_app", "static", "oauth"
EXPIRED = "EXPIRED_AUTHENTICATION"
TOKEN_PATH = "/oauth/v3/token"  # v1 (/oauth/v1/token) is deprecated on 2027-02-16
AUTHORIZE_URL = "https://app.hubspot.com/oauth/authorize"
REFRESH_MARGIN = 300.0  # renew this many seconds before the access token expires
REQUIRED_SCOPES = [  # the same list as hubspot-app/src/app/app-hsmeta.json (a test checks)
    "oauth", "crm.objects.contacts.read", "crm.objects.contacts.write", "tickets",
    "crm.objects.owners.read", "conversations.read", "conversations.write",
    "conversations.custom_channels.read", "conversations.custom_channels.write", "files",
]

FEATURES: dict[str, dict[str, Any]] = {
    PRIVATE_APP: {
        "label": "legacy private app token (pat-…)",
        "crm": True, "inbox_threads": False,
        "explain": "tickets, contacts and notes work; inbox threads need the app's token: "
                   "custom channels are not supported for legacy private apps. Install "
                   "hubspot-app/ (docs/hubspot.md) and use its OAuth or static token.",
    },
    STATIC: {
        "label": "app static token",
        "crm": True, "inbox_threads": True,
        "explain": "tickets, contacts, notes and inbox threads (custom channel of this app).",
    },
    OAUTH: {
        "label": "app OAuth (renewed automatically)",
        "crm": True, "inbox_threads": True,
        "explain": "tickets, contacts, notes and inbox threads; the access token is renewed "
                   "with the stored refresh token before it expires.",
    },
}


def unauthorized(error: HubSpotError) -> bool:
    """A 401: EXPIRED_AUTHENTICATION (a renewed OAuth token cures it) or another refusal
    (after an uninstall: the refresh then says so)."""
    return error.status == 401


def token_kind(token: str, declared: str = "auto") -> str:
    """The kind of a fixed token: as declared, else ``pat-…`` is a legacy private app."""
    if declared in (PRIVATE_APP, STATIC):
        return declared
    return PRIVATE_APP if token.startswith("pat-") else STATIC


class HubSpotNotInstalled(HubSpotAuthError):
    """OAuth is configured but the app has not been installed (no refresh token stored)."""


class HubSpotRefreshRejected(HubSpotAuthError):
    """HubSpot refused the refresh token (app uninstalled or token revoked): reinstall."""


class TokenSource(Protocol):
    """What the client asks for a token; ``renew`` after a 401 EXPIRED_AUTHENTICATION."""

    kind: str

    async def token(self) -> str: ...

    async def renew(self, stale: str, category: str | None = None) -> str | None: ...


class FixedToken:
    """A token that never changes (private app or static app token)."""

    def __init__(self, token: str, kind: str | None = None) -> None:
        self._token = token
        self.kind = kind or token_kind(token)

    async def token(self) -> str:
        return self._token

    async def renew(self, stale: str, category: str | None = None) -> str | None:
        return None  # nothing to renew with: the caller reports the 401


@dataclass
class StoredTokens:
    """One installation's tokens, as the ``load``/``save`` callbacks keep them."""

    access_token: str
    refresh_token: str
    expires_at: float
    status: str = "ok"  # "ok" | "revoked"
    error: str | None = None
    installed_at: float | None = None
    refreshed_at: float | None = None


Load = Callable[[], Awaitable[StoredTokens | None]]
Save = Callable[[StoredTokens], Awaitable[None]]


class OAuthTokens:
    """OAuth access tokens renewed with the stored refresh token, one refresh at a time.

    ``token()`` renews ``margin`` seconds before expiry; ``renew(stale, category)`` after a
    401 (EXPIRED_AUTHENTICATION, or once after another 401). Concurrent callers wait for
    the one refresh under way and get its token. A refused refresh token is remembered:
    every later call fails at once with ``HubSpotRefreshRejected`` (no request) until
    ``exchange_code`` installs the app again.
    """

    kind = OAUTH

    def __init__(self, client_id: str, client_secret: str, *, base_url: str, load: Load,
                 save: Save, token_path: str = TOKEN_PATH, timeout: float = 15.0,
                 margin: float = REFRESH_MARGIN, clock: Callable[[], float] = time.time,
                 install_hint: str | Callable[[], str] = "install the HubSpot app"
                 ) -> None:
        self.client_id = client_id
        self._secret = client_secret
        self.token_url = base_url.rstrip("/") + token_path
        self._load, self._save = load, save
        self.timeout, self.margin, self.clock = timeout, margin, clock
        self._hint = install_hint
        self._tokens: StoredTokens | None = None
        self._loaded = False
        self._lock = asyncio.Lock()
        self.refreshes = 0  # refresh requests sent (for status and tests)
        self._after_401: str | None = None  # a token got by refreshing after a plain 401

    @property
    def install_hint(self) -> str:
        """Where the operator (re)installs the app: no tokens yet, or a refused refresh."""
        return self._hint() if callable(self._hint) else self._hint

    async def current(self) -> StoredTokens | None:
        if not self._loaded:
            loaded = await self._load()
            if not self._loaded:  # an install or refresh may have stored tokens meanwhile
                self._tokens, self._loaded = loaded, True
        return self._tokens

    def _fresh(self, tokens: StoredTokens) -> bool:
        return tokens.expires_at - self.margin > self.clock()

    async def token(self) -> str:
        tokens = await self.current()
        if tokens is not None and tokens.status == "ok" and self._fresh(tokens):
            return tokens.access_token
        return await self._refresh(tokens.access_token if tokens else None)

    async def renew(self, stale: str, category: str | None = None) -> str | None:
        """After a 401: refresh (once for all callers). A plain 401 (not EXPIRED) refreshes
        once, so an uninstall surfaces as a refused refresh token; if the fresh token is
        refused too, another refresh cannot help: None, the caller reports the 401."""
        tokens = self._tokens
        if category != EXPIRED and tokens is not None and tokens.status == "ok":
            if tokens.access_token != stale:
                return tokens.access_token  # someone renewed it meanwhile: try that one
            if stale == self._after_401:
                return None  # a token fresh from a refresh is refused: not a matter of expiry
        fresh = await self._refresh(stale)
        if category != EXPIRED:
            self._after_401 = fresh
        return fresh

    async def _refresh(self, stale: str | None) -> str:
        async with self._lock:
            tokens = await self.current()
            if tokens is None:
                raise HubSpotNotInstalled(f"the HubSpot app is not installed yet: install it: "
                                          f"{self.install_hint}", status=401)
            if tokens.status != "ok":
                raise HubSpotRefreshRejected(self._rejected_text(tokens.error), status=401)
            if tokens.access_token != stale and self._fresh(tokens):
                return tokens.access_token  # another caller refreshed while we waited
            data = await self._post({"grant_type": "refresh_token",
                                     "refresh_token": tokens.refresh_token})
            self.refreshes += 1
            now = self.clock()
            renewed = StoredTokens(
                str(data["access_token"]), str(data.get("refresh_token") or
                                               tokens.refresh_token),
                now + float(data.get("expires_in") or 1800), installed_at=tokens.installed_at,
                refreshed_at=now)
            await self._save(renewed)
            self._tokens = renewed
            log.info("hubspot oauth: access token renewed (valid %.0fs)",
                     renewed.expires_at - now)
            return renewed.access_token

    def _rejected_text(self, error: str | None) -> str:
        return (f"HubSpot refused the stored refresh token ({error or 'revoked'}): the app "
                f"was uninstalled or its access revoked; reinstall it: {self.install_hint}")

    async def _reject(self, error: str) -> None:
        tokens = self._tokens
        if tokens is not None:
            tokens.status, tokens.error = "revoked", error
            await self._save(tokens)
        log.error("hubspot oauth: %s", self._rejected_text(error))

    async def _post(self, form: dict[str, str]) -> dict[str, Any]:
        """POST the token endpoint; a refused grant is sticky, network trouble is not."""
        body = {**form, "client_id": self.client_id, "client_secret": self._secret}
        try:
            async with aiohttp.ClientSession() as session, session.post(
                    self.token_url, data=body, timeout=aiohttp.ClientTimeout(
                        total=self.timeout), allow_redirects=False) as resp:
                status, raw = resp.status, await resp.read()
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise HubSpotConnectionError(
                f"token endpoint unreachable ({type(exc).__name__})") from exc
        data = parse_body(raw)
        info = data if isinstance(data, dict) else {}
        if status >= 500:
            raise HubSpotServerError(f"token endpoint answered HTTP {status}", status=status)
        if status >= 400 or "access_token" not in info:
            error = str(info.get("status") or info.get("error") or f"HTTP {status}")
            if form["grant_type"] == "refresh_token" and status in (400, 401):
                await self._reject(error)
                raise HubSpotRefreshRejected(self._rejected_text(error), status=401,
                                             category=error)
            message = str(info.get("message") or info.get("error_description") or error)
            raise HubSpotAuthError(f"token endpoint refused: {message}", status=status,
                                   category=error)
        return info

    async def exchange_code(self, code: str, redirect_uri: str) -> StoredTokens:
        """The install callback: trade the authorization code for tokens and store them."""
        async with self._lock:
            data = await self._post({"grant_type": "authorization_code", "code": code,
                                     "redirect_uri": redirect_uri})
            now = self.clock()
            tokens = StoredTokens(str(data["access_token"]), str(data["refresh_token"]),
                                  now + float(data.get("expires_in") or 1800),
                                  installed_at=now, refreshed_at=now)
            await self._save(tokens)
            self._tokens, self._loaded, self._after_401 = tokens, True, None
            log.info("hubspot oauth: app installed, tokens stored")
            return tokens

    def describe(self) -> dict[str, Any]:
        """Status without secrets: installed, expiry, refresh count, a refusal."""
        tokens = self._tokens
        return {"installed": tokens is not None, "status": tokens.status if tokens else None,
                "expires_at": tokens.expires_at if tokens else None,
                "refreshed_at": tokens.refreshed_at if tokens else None,
                "installed_at": tokens.installed_at if tokens else None,
                "error": tokens.error if tokens else None, "refreshes": self.refreshes}


def authorize_url(base: str, client_id: str, redirect_uri: str, scopes: list[str],
                  state: str, optional_scopes: list[str] | None = None) -> str:
    """HubSpot's install URL: client_id, redirect_uri, scope (space-separated), state."""
    params = {"client_id": client_id, "redirect_uri": redirect_uri, "scope": " ".join(scopes),
              "state": state}
    if optional_scopes:
        params["optional_scope"] = " ".join(optional_scopes)
    return base + "?" + urlencode(params)
