"""Access control: admin-token login, signed session cookie, bearer tokens, CSRF, flash notes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from aiohttp import web

from gateway.web.templating import FLASH_COOKIE, redirect, render

log = logging.getLogger(__name__)

SESSION_COOKIE = "opencx_session"
LOGIN_COOKIE = "opencx_login"
CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"
EXEMPT_PREFIXES = ("/static/", "/webhooks/")
EXEMPT_PATHS = frozenset({"/login", "/healthz", "/readyz", "/metrics", "/favicon.ico",
                          # HubSpot's install redirect is cross-site: the SameSite=Strict
                          # cookie is not sent. The one-time state (issued only to a
                          # logged-in admin by /hubspot/oauth/install) protects it instead.
                          "/hubspot/oauth/callback"})
LOGIN_FAILURES = 10  # failed logins per peer within LOGIN_WINDOW before a pause
LOGIN_WINDOW = 300.0
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
AUTH_KEY = web.AppKey("auth", object)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Identity:
    """Who made a request: a browser session (with its CSRF token) or a bearer-token client."""

    kind: str  # "cookie" | "bearer"
    csrf: str | None


IDENTITY_KEY = web.RequestKey("identity", Identity)


class Auth:
    """Signs and checks session cookies and CSRF tokens with the gateway's secret key.

    A session cookie is `expiry.nonce.mac`; the MAC also covers a digest of the admin token,
    so rotating the token (or the secret key) logs every browser out. The CSRF token is an
    HMAC of the session nonce: valid only with that cookie, never stored server-side.
    """

    def __init__(self, secret_key: bytes, admin_token: str, *, session_hours: float,
                 secure: bool, clock: Callable[[], float] = time.time) -> None:
        if not secret_key or not admin_token:
            raise ValueError("the web UI needs a secret key and an admin token")
        self.key = secret_key
        self.token_digest = hashlib.sha256(admin_token.encode()).digest()
        self.lifetime = session_hours * 3600
        self.secure = secure
        self.clock = clock
        self._failures: dict[str, list[float]] = {}

    def mac(self, purpose: str, value: str) -> str:
        msg = f"{purpose}|{value}".encode()
        return hmac.new(self.key + self.token_digest, msg, hashlib.sha256).hexdigest()

    def token_ok(self, candidate: str) -> bool:
        digest = hashlib.sha256(candidate.encode()).digest()
        return hmac.compare_digest(digest, self.token_digest)

    def throttled(self, peer: str) -> bool:
        """True while `peer` has used up its failed logins for the window."""
        now = self.clock()
        recent = [t for t in self._failures.get(peer, ()) if now - t < LOGIN_WINDOW]
        if recent:
            self._failures[peer] = recent
        else:
            self._failures.pop(peer, None)
        return len(recent) >= LOGIN_FAILURES

    def failed(self, peer: str) -> None:
        if len(self._failures) >= 10_000:  # bounded memory under a spray of addresses
            self._failures.clear()
        self._failures.setdefault(peer, []).append(self.clock())

    def issue(self) -> str:
        expiry = int(self.clock() + self.lifetime)
        nonce = secrets.token_urlsafe(18)
        return f"{expiry}.{nonce}.{self.mac('session', f'{expiry}.{nonce}')}"

    def session_nonce(self, cookie: str | None) -> str | None:
        """The nonce of a genuine, unexpired session cookie, else None."""
        expiry, _, rest = (cookie or "").partition(".")
        nonce, _, mac = rest.partition(".")
        if not expiry.isdigit() or not nonce or not mac:
            return None
        if not hmac.compare_digest(mac, self.mac("session", f"{expiry}.{nonce}")):
            return None
        return nonce if int(expiry) > self.clock() else None

    def csrf_token(self, nonce: str) -> str:
        return self.mac("csrf", nonce)


    def set_cookie(self, response: web.StreamResponse, name: str, value: str,
                   max_age: int) -> None:
        response.set_cookie(name, value, max_age=max_age, path="/", httponly=True,
                            secure=self.secure, samesite="Strict")

    # -- flash notes (signed, so nothing a third party sets is ever shown as ours) ---------
    def flash(self, response: web.StreamResponse, text: str, kind: str = "ok") -> None:
        data = base64.urlsafe_b64encode(json.dumps([kind, text[:500]]).encode()).decode()
        self.set_cookie(response, FLASH_COOKIE, f"{data}.{self.mac('flash', data)}", 60)

    def read_flash(self, request: web.Request) -> dict[str, str] | None:
        data, _, mac = request.cookies.get(FLASH_COOKIE, "").partition(".")
        if not data or not hmac.compare_digest(mac, self.mac("flash", data)):
            return None
        kind, text = json.loads(base64.urlsafe_b64decode(data.encode()))
        return {"kind": str(kind), "text": str(text)}


def get_auth(request: web.Request) -> Auth:
    return request.app[AUTH_KEY]  # type: ignore[return-value]


def is_exempt(path: str) -> bool:
    return path in EXEMPT_PATHS or path.startswith(EXEMPT_PREFIXES)


def is_api(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")


def identify(request: web.Request, auth: Auth) -> Identity | None:
    header = request.headers.get("Authorization", "")
    scheme, _, credential = header.partition(" ")
    if scheme.lower() == "bearer" and credential.strip():
        return Identity("bearer", None) if auth.token_ok(credential.strip()) else None
    nonce = auth.session_nonce(request.cookies.get(SESSION_COOKIE))
    return Identity("cookie", auth.csrf_token(nonce)) if nonce else None


def refuse(request: web.Request, status: int, reason: str) -> web.StreamResponse:
    """401/403 in the caller's language: JSON for the API, a redirect or page for browsers."""
    if is_api(request.path):
        headers = {"WWW-Authenticate": 'Bearer realm="opencx-gateway"'} if status == 401 else {}
        return web.json_response({"error": reason, "status": status}, status=status,
                                 headers=headers)
    if status == 401:
        target = quote(request.path_qs if request.method in SAFE_METHODS else "/", safe="")
        raise web.HTTPFound(f"/login?next={target}")
    return render(request, "error.html", {"status": status, "reason": reason}, status=status)


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every route except the exempt ones needs a session cookie or the bearer token;
    state-changing requests made with the cookie also need the CSRF token."""
    if is_exempt(request.path):
        return await handler(request)
    auth = get_auth(request)
    ident = identify(request, auth)
    if ident is None:
        return refuse(request, 401, "authentication required: log in or send "
                      "'Authorization: Bearer <admin token>'")
    if ident.kind == "cookie" and request.method not in SAFE_METHODS:
        candidate = request.headers.get(CSRF_HEADER)
        if candidate is None and request.content_type in (
                "application/x-www-form-urlencoded", "multipart/form-data"):
            candidate = (await request.post()).get(CSRF_FIELD)  # type: ignore[assignment]
        if not candidate or not hmac.compare_digest(str(candidate), ident.csrf or ""):
            log.warning("csrf refused path=%s peer=%s", request.path, request.remote)
            return refuse(request, 403, f"missing or invalid CSRF token (form field "
                          f"'{CSRF_FIELD}' or header {CSRF_HEADER})")
    request[IDENTITY_KEY] = ident
    return await handler(request)


# -- login and logout ------------------------------------------------------------------------
def _unsafe_char(ch: str) -> bool:
    """Characters a browser drops or rewrites in a URL (tabs, newlines, C0/DEL controls,
    backslash read as slash) or that no path of ours contains (Unicode spaces)."""
    return ord(ch) < 0x20 or ch in "\x7f\\" or (ch.isspace() and ch != " ")


def safe_next(value: str | None) -> str:
    """Only a same-origin path may follow a login: no open redirect to //evil, /\\evil or
    /<TAB>/evil (which a browser reads as //evil). Anything else becomes "/"."""
    if (not value or not value.startswith("/") or value.startswith("//")
            or any(_unsafe_char(ch) for ch in value)):
        return "/"
    parts = urlsplit(value)
    return value if not parts.scheme and not parts.netloc else "/"


def _login_form(request: web.Request, *, error: str | None, status: int,
                next_url: str) -> web.Response:
    auth = get_auth(request)
    # Keep the browser's nonce: a second GET (another tab, a favicon redirect) must not
    # invalidate a form already on screen. The field is an HMAC, so a planted nonce is useless.
    nonce = request.cookies.get(LOGIN_COOKIE, "")
    if not (16 <= len(nonce) <= 64 and nonce.replace("-", "").replace("_", "").isalnum()):
        nonce = secrets.token_urlsafe(18)
    response = render(request, "login.html", {
        "title": "Log in", "login_csrf": auth.mac("login", nonce), "error": error,
        "next": safe_next(next_url),
    }, status=status)
    auth.set_cookie(response, LOGIN_COOKIE, nonce, 3600)
    return response


async def login_page(request: web.Request) -> web.StreamResponse:
    if identify(request, get_auth(request)) is not None:
        return redirect(safe_next(request.query.get("next")))
    return _login_form(request, error=None, status=200, next_url=request.query.get("next", "/"))


async def login_submit(request: web.Request) -> web.StreamResponse:
    """Check the login form's own CSRF token (double submit), then the admin token."""
    auth = get_auth(request)
    form = await request.post()
    next_url = safe_next(str(form.get("next", "")) or None)
    nonce = request.cookies.get(LOGIN_COOKIE, "")
    field = str(form.get(CSRF_FIELD, ""))
    if not nonce or not hmac.compare_digest(field, auth.mac("login", nonce)):
        log.warning("login refused peer=%s: missing or stale form token", request.remote)
        return _login_form(request, error="The login form expired; please try again.",
                           status=403, next_url=next_url)
    peer = request.remote or "?"
    if auth.throttled(peer):
        log.warning("login throttled peer=%s", peer)
        return _login_form(request, error="Too many failed logins; wait a few minutes.",
                           status=429, next_url=next_url)
    if not auth.token_ok(str(form.get("token", ""))):
        auth.failed(peer)
        log.warning("login failed peer=%s", peer)
        return _login_form(request, error="That is not the admin token.", status=401,
                           next_url=next_url)
    log.info("login ok peer=%s", request.remote)
    response = redirect(next_url)
    auth.set_cookie(response, SESSION_COOKIE, auth.issue(), int(auth.lifetime))
    response.del_cookie(LOGIN_COOKIE, path="/")
    return response


async def logout(request: web.Request) -> web.StreamResponse:
    log.info("logout peer=%s", request.remote)
    response = redirect("/login")
    response.del_cookie(SESSION_COOKIE, path="/")
    return response
