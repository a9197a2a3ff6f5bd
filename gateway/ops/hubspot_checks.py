"""Doctor checks for HubSpot: mode, API and token, scopes, properties, setup, webhooks."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from gateway.config import Config, Secrets, split_hostport
from gateway.daemon import public_url_of
from gateway.hubspot.auth import FEATURES, OAUTH
from gateway.hubspot.client import HubSpotClient
from gateway.hubspot.errors import HubSpotError
from gateway.hubspot.oauth import INSTALL_PATH
from gateway.hubspot.policy import RetryPolicy
from gateway.hubspot.service import Credentials, credentials, token_source
from gateway.hubspot.setup import CHANNEL, KEY_PROPERTY, SetupState, check_setup, webhook_urls
from gateway.ops.checks import Check, ago, fail, ok, warn
from gateway.ops.local import db_target, read_if_ready
from gateway.ops.network import NOT_RUNNING, PROBE_TIMEOUT
from gateway.ops.probes import describe_error, http_get
from gateway.storage import hubspot as hs
from gateway.storage import hubspot_oauth as oauth_store

SETUP_FIX = "run `opencx-gateway hubspot setup` (the daemon then picks it up)"
CREDENTIALS_DOC = "docs/hubspot.md, Credentials"


async def check_hubspot(cfg: Config, secrets: Secrets, *, daemon_running: bool) -> list[Check]:
    """One line when HubSpot is off or emulated; the full chain for mode: live."""
    mode = cfg.hubspot.mode
    if mode == "off":
        return [warn("hubspot", "hubspot.mode is off: handoffs will not reach HubSpot (no "
                     "ticket, contact, thread or note is created)",
                     f"set hubspot.mode: live and the app's credentials ({CREDENTIALS_DOC})")]
    if mode == "emulator":
        return [await _emulator(cfg, daemon_running), last_webhook(cfg)]
    creds = credentials(cfg, secrets)
    out: list[Check] = [_credential_kind(creds)]
    missing = _missing_credentials(cfg, creds)
    if missing is not None:
        out.append(missing)
    else:
        client = probe_client(cfg, creds)
        try:
            out += await _account(client, cfg)
        finally:
            await client.close()
    out += [_webhook_secret(creds), await _webhook_url(cfg), last_webhook(cfg)]
    return out


def _credential_kind(creds: Credentials) -> Check:
    """Which credential is configured and what it enables (private app: no inbox threads)."""
    kind = OAUTH if creds.auth == OAUTH else creds.token_kind
    info = FEATURES[kind]
    line = f"{info['label']}: {info['explain']}"
    if info["inbox_threads"]:
        return ok("hubspot.credentials", line)
    return warn("hubspot.credentials", line, "install hubspot-app/ (hs project upload) and "
                f"set its OAuth client id/secret or its static token ({CREDENTIALS_DOC})")


def _missing_credentials(cfg: Config, creds: Credentials) -> Check | None:
    """A fail when nothing usable is configured or stored; None when probing makes sense."""
    install = f"{public_url_of(cfg, None)}{INSTALL_PATH}"
    if creds.auth != OAUTH:
        if creds.token:
            return None
        return fail("hubspot.token", "OPENCX_GATEWAY_HUBSPOT_TOKEN is not set (neither in the "
                    "environment nor as a credential), and no OAuth client id: every handoff "
                    "fails", f"set the app's client id/secret or its static token "
                    f"({CREDENTIALS_DOC})")
    if not creds.client_id or not creds.client_secret:
        return fail("hubspot.token", "hubspot.auth is oauth but OPENCX_GATEWAY_HUBSPOT_CLIENT_ID"
                    " or _CLIENT_SECRET is not set", f"copy both from the app's Auth tab "
                    f"({CREDENTIALS_DOC})")
    stored = read_if_ready(db_target(cfg), oauth_store.token_status)
    if stored is None:
        return fail("hubspot.token", "the HubSpot app is not installed yet (no OAuth tokens "
                    "stored): every handoff waits", f"open {install} while logged in to the "
                    "web UI and approve the install")
    if stored["status"] != "ok":
        return fail("hubspot.token", f"HubSpot refused the stored refresh token "
                    f"({stored['error']}): the app was uninstalled or its access revoked; "
                    "handoffs wait", f"reinstall the app: open {install} while logged in to "
                    "the web UI")
    return None


def probe_client(cfg: Config, creds: Credentials) -> HubSpotClient:
    """A client that fails fast: no in-call retries, a short timeout; OAuth tokens are read
    from the database and renewed in memory only (doctor never writes)."""
    db = _ReadOnlyTokens(db_target(cfg)) if creds.auth == OAUTH else None
    tokens = token_source(cfg, creds, db, public_url=public_url_of(cfg, None), store=False)
    return HubSpotClient(tokens, base_url=creds.base_url,
                         developer_api_key=creds.developer_key, app_id=creds.app_id,
                         timeout=min(cfg.hubspot.timeout, PROBE_TIMEOUT * 2),
                         retry=RetryPolicy(total=0))


class _ReadOnlyTokens:
    """Enough of Database for reading the stored OAuth row from doctor."""

    def __init__(self, path: Any) -> None:
        self.path = path

    async def read(self, fn: Any) -> Any:
        return read_if_ready(self.path, fn)


async def _emulator(cfg: Config, daemon_running: bool) -> Check:
    listen = cfg.hubspot.emulator.listen
    url = f"http://{listen}"
    if not daemon_running or split_hostport(listen)[1] == 0:
        return ok("hubspot", f"mode emulator: the daemon embeds a fake HubSpot at {url}; "
                  "nothing reaches a real portal")
    creds = replace(credentials(cfg, Secrets(), url), auth="token")  # its static dev token
    client = probe_client(cfg, creds)
    try:
        access = await client.check_access()
    finally:
        await client.close()
    if access["token_valid"] is not True:
        return fail("hubspot", f"mode emulator: the daemon runs but its emulator at {url} does "
                    f"not answer: {_first_problem(access)}",
                    "read the daemon's log (journalctl -u opencx-gateway)")
    return ok("hubspot", f"mode emulator: the embedded emulator answers at {url}; nothing "
              "reaches a real portal")


def _first_problem(access: dict[str, Any]) -> str:
    return next((v for v in access["checks"].values() if v != "ok"), "no answer")


async def _account(client: HubSpotClient, cfg: Config) -> list[Check]:
    access = await client.check_access()
    base = client.base_url
    if access["token_valid"] is None:
        why = _first_problem(access).removeprefix("unreachable: ")
        return [fail("hubspot.api", f"HubSpot is unreachable at {base}: {why}",
                     "check hubspot.base_url, DNS and outbound HTTPS from this host; "
                     "handoffs wait and retry meanwhile")]
    if access["token_valid"] is False:
        return [ok("hubspot.api", f"{base} answers"),
                fail("hubspot.token", f"HubSpot rejected the access token: "
                     f"{_first_problem(access)}", "the token is wrong, expired or revoked: "
                     f"copy it again from the app (or reinstall it) ({CREDENTIALS_DOC})")]
    out = [ok("hubspot.api", f"{base} answers"), ok("hubspot.token", "accepted")]
    missing = access["missing_scopes"]
    if missing:
        out.append(fail("hubspot.scopes", f"the token lacks scopes: {', '.join(missing)}",
                        "add them to the app's scopes, reinstall or re-authorize it, and "
                        "update the token"))
    else:
        out.append(ok("hubspot.scopes", "contacts, tickets and conversations are readable"))
    return out + await _setup(client, cfg)


async def _setup(client: HubSpotClient, cfg: Config) -> list[Check]:
    stored = read_if_ready(db_target(cfg), _stored_setup)
    try:
        report = await check_setup(client, cfg.hubspot, stored,
                                   [a.address for a in cfg.smtp.support_addresses])
    except HubSpotError as exc:
        return [warn("hubspot.properties", f"cannot read the ticket properties: {exc}")]
    missing = [name for present, name in ((report["tag_property"], cfg.hubspot.tag_property),
                                          (report["key_property"], KEY_PROPERTY)) if not present]
    props = (fail("hubspot.properties", f"ticket properties missing: {', '.join(missing)}; "
                  "tickets cannot be created", SETUP_FIX) if missing
             else ok("hubspot.properties", f"ticket properties {cfg.hubspot.tag_property} and "
                     f"{KEY_PROPERTY} exist"))
    return [props, _pipelines(report), _setup_state(cfg, stored, report.get("channel"))]


def _pipelines(report: dict[str, Any]) -> Check:
    """Every pipeline/stage new tickets go to exists in the portal and is open."""
    routes = report.get("routes") or {}
    bad = [f"{who}: {r['problem']}" for who, r in routes.items() if r["problem"]]
    if bad:
        return fail("hubspot.pipeline", "; ".join(bad), "list the portal's pipelines and choose "
                    "with `opencx-gateway hubspot setup --pipeline ID --stage ID` (or set "
                    "hubspot.pipeline/stage, hubspot.addresses[].pipeline/stage)")
    used = sorted({f"{r['pipeline']}/{r['stage']}" for r in routes.values()})
    return ok("hubspot.pipeline", f"new tickets go to pipeline/stage {', '.join(used)}")


def _stored_setup(conn: sqlite3.Connection) -> SetupState | None:
    return SetupState.from_values(hs.setup_values(conn))


def _setup_state(cfg: Config, stored: SetupState | None, channel: bool | None) -> Check:
    name = "hubspot.setup"
    if stored is None or not stored.complete:
        why = stored.reason if stored else "setup has never run against this portal"
        return fail(name, f"{why}: handoffs wait until it is done", SETUP_FIX)
    if stored.integration != CHANNEL:
        line = (f"private-app mode ({stored.reason}): ticket and note, no inbox thread, so "
                "rep replies cannot reach customers")
        if not cfg.hubspot.custom_channel:
            return ok(name, line)
        return warn(name, line, "for inbox threads use the app's OAuth or static token (not a "
                    "legacy private app's pat-…), set OPENCX_GATEWAY_HUBSPOT_DEVELOPER_KEY and "
                    f"hubspot.app_id, then {SETUP_FIX}")
    if channel is False:
        return fail(name, f"custom channel {stored.channel_id} no longer exists in HubSpot",
                    SETUP_FIX)
    if channel is None:
        return warn(name, f"custom channel {stored.channel_id} cannot be checked without the "
                    "developer API key", "set OPENCX_GATEWAY_HUBSPOT_DEVELOPER_KEY")
    return ok(name, f"custom channel {stored.channel_id}, account {stored.channel_account_id}, "
              f"inbox {stored.inbox_id}")


def _webhook_secret(creds: Credentials) -> Check:
    if not creds.client_secret:
        return fail("hubspot.webhook_secret", "OPENCX_GATEWAY_HUBSPOT_CLIENT_SECRET is not set: "
                    "every webhook is refused (401), so rep replies never reach customers",
                    f"set the app's client secret ({CREDENTIALS_DOC})")
    if creds.channel_client_secret:
        return ok("hubspot.webhook_secret", "set for both streams: app webhooks with "
                  "OPENCX_GATEWAY_HUBSPOT_CLIENT_SECRET, channel webhooks with "
                  "OPENCX_GATEWAY_HUBSPOT_CHANNEL_CLIENT_SECRET")
    return ok("hubspot.webhook_secret", "set (one secret verifies both webhook streams; set "
              "OPENCX_GATEWAY_HUBSPOT_CHANNEL_CLIENT_SECRET if another app owns the channel)")


async def _webhook_url(cfg: Config) -> Check:
    """HubSpot posts to {http.public_url}/webhooks/...: that URL must reach this daemon."""
    public = public_url_of(cfg, None)
    urls = webhook_urls(public)
    name, target = "hubspot.webhook_url", f"HubSpot must post to {urls['app']}"
    if cfg.hubspot.custom_channel:
        target += f" (app webhooks) and {urls['channel']} (channel)"
    try:
        answer = await http_get(f"{public}/healthz", PROBE_TIMEOUT)
    except NOT_RUNNING as exc:
        return fail(name, f"GET {public}/healthz from this host failed: {describe_error(exc)}; "
                    f"{target}", "start the daemon and make http.public_url reach its "
                    f"http.listen ({cfg.http.listen}): reverse proxy with TLS, DNS, firewall")
    if not answer.healthy:
        return fail(name, f"GET {public}/healthz answered HTTP {answer.status}, not the gateway;"
                    f" {target}", f"point the proxy for {public} at {cfg.http.listen}")
    if not cfg.http.public_url:
        return warn(name, f"http.public_url is not set, so HubSpot would be told {public}, "
                    "which only this host can reach", "set http.public_url to the https URL of "
                    "your reverse proxy")
    if urlsplit(public).scheme != "https":
        return warn(name, f"{public} answers but is not https; HubSpot delivers webhooks to "
                    "https URLs only", "put a TLS reverse proxy in front of http.listen")
    return ok(name, f"{public} reaches the daemon from this host; {target}")


def last_webhook(cfg: Config) -> Check:
    """The newest webhook the daemon accepted or refused, from the database."""
    def read(conn: sqlite3.Connection) -> tuple[Any, Any, int]:
        values = hs.setup_values(conn)
        handoffs = sum(hs.handoff_counts(conn).values())
        return values.get("last_webhook"), values.get("last_webhook_failure"), handoffs

    name = "hubspot.webhooks"
    state = read_if_ready(db_target(cfg), read)
    if state is None:
        return ok(name, "no database yet")
    last, refused, handoffs = state
    if refused and (not last or refused["at"] > last["at"]):
        return warn(name, f"the newest webhook was refused {ago(refused['at'])}: HTTP "
                    f"{refused['status']} {refused['result']}", "401: the client secret or "
                    "http.public_url differs from what HubSpot signs (see docs/troubleshooting.md)")
    if last:
        return ok(name, f"last webhook accepted {ago(last['at'])} ({last['kind']}, "
                  f"{last['events']} event(s))")
    if handoffs:
        return warn(name, f"{handoffs} handoff(s) but no webhook has ever arrived: rep replies "
                    "cannot reach customers", "subscribe the app to conversation and ticket "
                    "webhooks with the URL from hubspot.webhook_url")
    return ok(name, "none received yet (they arrive once a rep acts on a handed-off ticket)")
