"""Token kinds of the HubSpot emulator, and its OAuth authorize page and token endpoints.

Three kinds of Bearer token, as HubSpot has them (docs/hubspot-emulator.md, "Tokens"):

- ``private_app``: a legacy private app's ``pat-…`` token. CRM calls only: custom-channel
  calls (channel accounts, publishing, channel messages) answer 403, because "the custom
  channel endpoints are not supported when building a legacy private app" (HubSpot's custom
  channels guide). The exact 403 body is UNCONFIRMED.
- ``oauth``: an access token from ``/oauth/v1/token`` or ``/oauth/v3/token`` that expires
  after ``access_lifetime`` seconds (HubSpot: 30 minutes) and then answers 401
  ``EXPIRED_AUTHENTICATION``; renewed with its refresh token until that is revoked.
- ``static``: a developer-platform app's static token (single portal, never expires).

OAuth and static tokens belong to an app; a custom channel belongs to the app that
registered it (the emulator's ``app_id``), and only that app's tokens may use it.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from gateway.hubspot.emulator.http import CTX, HubSpotHTTPError, json_response

PRIVATE_APP, OAUTH, STATIC = "private_app", "oauth", "static"
KINDS = frozenset({PRIVATE_APP, OAUTH, STATIC})
CRM_SCOPES = frozenset({"crm.objects.contacts.read", "crm.objects.contacts.write", "tickets"})
"""What a private-app token is granted by default: the CRM half."""
CHANNEL_PREFIX = "/conversations/v3/custom-channels/"
CODE_LIFETIME = 600.0
INVALID_TOKEN = ("Authentication credentials not found. This API supports OAuth 2.0 "
                 "authentication and you can find more details at "
                 "https://developers.hubspot.com/docs/methods/auth/oauth-overview")
PRIVATE_APP_REFUSED = ("The custom channel endpoints are not supported for legacy private "
                       "apps: use the access token of the app that owns the channel.")

routes = web.RouteTableDef()


@dataclass
class Grant:
    """What one access token may do. ``scopes`` None: the emulator's live ``scopes`` setting."""

    kind: str
    app_id: int | None
    scopes: frozenset[str] | None
    expires_at: float | None = None
    refresh_token: str | None = None

    def rate_key(self, token: str) -> str:
        return f"{self.kind}:{self.app_id}" if self.app_id is not None else f"token:{token}"


@dataclass
class AuthModel:
    """Tokens, refresh tokens and authorization codes; switch behaviour through the fields."""

    client_id: str
    client_secret: str
    app_id: int
    access_lifetime: float = 1800.0
    auto_approve: bool = True
    grants: dict[str, Grant] = field(default_factory=dict)
    refresh: dict[str, Grant] = field(default_factory=dict)
    codes: dict[str, tuple[str, frozenset[str], float]] = field(default_factory=dict)
    token_requests: list[str] = field(default_factory=list)
    fixed_token: Callable[[], str] | None = None
    """The emulator's own ``token`` setting (read live: tests rotate it) and its grant."""
    fixed_grant: Grant | None = None

    def mint(self, kind: str, now: float, *, app_id: int | None = None,
             scopes: frozenset[str] | None = None, token: str | None = None) -> str:
        """A new token of ``kind`` (OAuth: with a refresh token, see ``refresh_token_of``)."""
        if kind not in KINDS:
            raise ValueError(f"unknown token kind {kind!r}")
        if kind == PRIVATE_APP:
            token = token or "pat-na1-" + secrets.token_hex(16)
            self.grants[token] = Grant(kind, None, scopes if scopes is not None else CRM_SCOPES)
            return token
        owner = self.app_id if app_id is None else app_id
        if kind == STATIC:
            token = token or "static-" + secrets.token_hex(16)
            self.grants[token] = Grant(kind, owner, scopes)
            return token
        refresh = secrets.token_hex(16)
        self.refresh[refresh] = Grant(OAUTH, owner, scopes)
        return self._access(refresh, now)

    def _access(self, refresh: str, now: float) -> str:
        template = self.refresh[refresh]
        token = "oauth-" + secrets.token_hex(20)
        self.grants[token] = Grant(OAUTH, template.app_id, template.scopes,
                                   now + self.access_lifetime, refresh)
        return token

    def refresh_token_of(self, access_token: str) -> str | None:
        grant = self.grants.get(access_token)
        return grant.refresh_token if grant else None

    def revoke(self, refresh_token: str | None = None) -> int:
        """Revoke one refresh token (or all) and its access tokens, as an uninstall does."""
        doomed = [refresh_token] if refresh_token else list(self.refresh)
        for token in doomed:
            self.refresh.pop(token, None)
        dead = [t for t, g in self.grants.items() if g.refresh_token in doomed]
        for token in dead:
            del self.grants[token]
        return len(doomed)

    def resolve(self, token: str, now: float) -> Grant:
        """The grant of a Bearer token, or HubSpot's 401 (invalid, or expired OAuth)."""
        grant = self.grants.get(token)
        if grant is None and self.fixed_token is not None and token == self.fixed_token():
            grant = self.fixed_grant
        if grant is None:
            raise HubSpotHTTPError(401, INVALID_TOKEN, "INVALID_AUTHENTICATION")
        if grant.expires_at is not None and grant.expires_at <= now:
            minutes = max(1, math.floor((now - grant.expires_at) / 60))
            raise HubSpotHTTPError(
                401, f"The OAuth token used to make this call expired {minutes} minute(s) ago.",
                "EXPIRED_AUTHENTICATION", context={"expires_at": [str(int(grant.expires_at))]})
        return grant

    def check_developer(self, method: str, path: str, app_id: str | None,
                        channels: dict[str, Any]) -> None:
        """403 when a developer-key call changes a channel on behalf of another app."""
        if method in ("GET", "HEAD") or not path.startswith(CHANNEL_PREFIX):
            return
        channel_id = path[len(CHANNEL_PREFIX):].split("/", 1)[0]
        if channel_id in channels and app_id not in (None, str(self.app_id)):
            raise HubSpotHTTPError(
                403, f"Channel {channel_id} belongs to app {self.app_id}, not to app "
                f"{app_id}: only the app that created a channel may change it.", "FORBIDDEN",
                subCategory="CustomChannelsError.CHANNEL_NOT_OWNED")

    def check(self, grant: Grant, path: str, channels: dict[str, Any]) -> None:
        """403 for custom-channel calls by a private app, or by an app not owning the channel."""
        if not path.startswith(CHANNEL_PREFIX):
            return
        if grant.kind == PRIVATE_APP:
            raise HubSpotHTTPError(403, PRIVATE_APP_REFUSED, "FORBIDDEN",
                                   subCategory="CustomChannelsError.PRIVATE_APP_NOT_SUPPORTED")
        channel_id = path[len(CHANNEL_PREFIX):].split("/", 1)[0]
        if channel_id in channels and grant.app_id != self.app_id:
            raise HubSpotHTTPError(
                403, f"Channel {channel_id} belongs to app {self.app_id}, not to app "
                f"{grant.app_id}: only the app that created a channel may use it.", "FORBIDDEN",
                subCategory="CustomChannelsError.CHANNEL_NOT_OWNED")


# -- the install page and token endpoints --------------------------------------------------

def _oauth_error(status: str, message: str, error: str = "invalid_grant") -> web.Response:
    """HubSpot's OAuth error body: RFC 6749 fields plus the legacy status/message."""
    return json_response({"error": error, "error_description": message, "status": status,
                          "message": message}, status=400)


@routes.get("/oauth/authorize")
async def authorize(request: web.Request) -> web.StreamResponse:
    """The install page: approves at once (``auto_approve``) or denies, like a user would."""
    ctx, query = request.app[CTX], request.query
    auth = ctx.auth
    redirect_uri = query.get("redirect_uri", "")
    if query.get("client_id") != auth.client_id or not redirect_uri.startswith("http"):
        return web.Response(status=400, text="Invalid client_id or redirect_uri")
    params = {"state": query["state"]} if "state" in query else {}
    if not auth.auto_approve:
        params["error"] = "access_denied"
    else:
        code = secrets.token_hex(12)
        scopes = frozenset(query.get("scope", "").split())
        auth.codes[code] = (redirect_uri, scopes, ctx.state.now() + CODE_LIFETIME)
        params["code"] = code
    sep = "&" if "?" in redirect_uri else "?"
    return web.Response(status=302, headers={"Location": redirect_uri + sep + urlencode(params)})


@routes.post("/oauth/v1/token")
@routes.post("/oauth/v3/token")
async def token(request: web.Request) -> web.Response:
    """Authorization code or refresh token -> access token (form-encoded, as HubSpot)."""
    ctx = request.app[CTX]
    auth, form, now = ctx.auth, await request.post(), ctx.state.now()
    grant_type = str(form.get("grant_type", ""))
    auth.token_requests.append(grant_type)
    if form.get("client_id") != auth.client_id or form.get("client_secret") != auth.client_secret:
        return _oauth_error("BAD_CLIENT_ID", "missing or invalid client credentials",
                            "invalid_client")
    if grant_type == "authorization_code":
        entry = auth.codes.pop(str(form.get("code", "")), None)
        if entry is None or entry[2] <= now:
            return _oauth_error("BAD_AUTH_CODE", "missing or unknown auth code")
        if form.get("redirect_uri") != entry[0]:
            return _oauth_error("BAD_REDIRECT_URI", "redirect_uri does not match")
        access = auth.mint(OAUTH, now, scopes=entry[1] or None)
        refresh = auth.refresh_token_of(access)
    elif grant_type == "refresh_token":
        refresh = str(form.get("refresh_token", ""))
        if refresh not in auth.refresh:
            return _oauth_error("BAD_REFRESH_TOKEN", "refresh token is invalid, expired or "
                                "revoked")
        access = auth._access(refresh, now)
    else:
        return _oauth_error("BAD_GRANT_TYPE", f"unsupported grant_type {grant_type!r}",
                            "unsupported_grant_type")
    return json_response({"token_type": "bearer", "refresh_token": refresh,
                          "access_token": access, "expires_in": int(auth.access_lifetime)})


@routes.delete("/oauth/v1/refresh-tokens/{token}")
async def delete_refresh_token(request: web.Request) -> web.Response:
    """Revoke a refresh token (HubSpot's v1 endpoint; an uninstall has the same effect)."""
    if not request.app[CTX].auth.revoke(request.match_info["token"]):
        return _oauth_error("BAD_REFRESH_TOKEN", "refresh token is invalid")
    return web.Response(status=204)


# -- control routes ---------------------------------------------------------------------------

@routes.post("/_emulator/tokens")
async def post_token(request: web.Request) -> web.Response:
    """Mint a token: {"kind": "private_app"|"static"|"oauth", "appId"?, "scopes"?}."""
    ctx = request.app[CTX]
    body = await request.json() if request.can_read_body else {}
    scopes = frozenset(body["scopes"]) if "scopes" in body else None
    try:
        access = ctx.auth.mint(str(body.get("kind", STATIC)), ctx.state.now(),
                               app_id=body.get("appId"), scopes=scopes)
    except ValueError as exc:
        return json_response({"status": "error", "message": str(exc)}, status=400)
    return json_response({"token": access, "refreshToken": ctx.auth.refresh_token_of(access)})


@routes.post("/_emulator/oauth/revoke")
async def post_revoke(request: web.Request) -> web.Response:
    """Revoke {"refreshToken": ...} or, without one, every refresh token (an uninstall)."""
    ctx = request.app[CTX]
    body = await request.json() if request.can_read_body else {}
    return json_response({"revoked": ctx.auth.revoke(body.get("refreshToken"))})


@routes.patch("/_emulator/auth")
async def patch_auth(request: web.Request) -> web.Response:
    """Switch {"accessTokenLifetime": s, "autoApprove": bool}; returns the counts."""
    auth = request.app[CTX].auth
    body = await request.json() if request.can_read_body else {}
    if "accessTokenLifetime" in body:
        auth.access_lifetime = float(body["accessTokenLifetime"])
    if "autoApprove" in body:
        auth.auto_approve = bool(body["autoApprove"])
    return json_response({"accessTokenLifetime": auth.access_lifetime,
                          "autoApprove": auth.auto_approve,
                          "tokenRequests": auth.token_requests,
                          "refreshTokens": len(auth.refresh)})
