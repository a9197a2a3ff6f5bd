"""HubSpotService: the HubSpot side of the daemon (client, emulator, setup, workers, routes)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from typing import Any

from aiohttp import web

from gateway.config import Config, HubSpotConfig, Secrets, split_hostport
from gateway.errors import TemporaryFailure
from gateway.hubspot import oauth as hub_oauth
from gateway.hubspot.auth import FEATURES, OAUTH, FixedToken, OAuthTokens, token_kind
from gateway.hubspot.client import HubSpotClient
from gateway.hubspot.errors import HubSpotError
from gateway.hubspot.handoff import Handoff
from gateway.hubspot.inbound import WebhookWorker
from gateway.hubspot.setup import (
    SetupState,
    check_setup,
    choose_route,
    portal_for_links,
    run_setup,
    webhook_urls,
)
from gateway.hubspot.sync import Health, HubSpotWorker
from gateway.hubspot.webhooks import WebhookReceiver
from gateway.storage import hubspot as hs
from gateway.storage import queues
from gateway.storage.db import Database, WriteConnection
from gateway.workers import Worker

log = logging.getLogger(__name__)

EMULATOR_TOKEN = "emulator-token"  # the embedded emulator's dev credentials (not secrets)
EMULATOR_CLIENT_SECRET = "emulator-secret"
EMULATOR_CLIENT_ID = "emulator-client-id"
EMULATOR_CHANNEL_SECRET = "emulator-channel-secret"  # the channel app signs with its own
EMULATOR_DEVELOPER_KEY = "emulator-dev-key"
EMULATOR_STATE = "hubspot-emulator.json"  # beside the database unless configured
EMULATOR_APP_ID = 4242
EMULATOR_PORTAL_ID = 62515
READY_WAIT = 10.0  # seconds a job waits for start-up setup before it is retried
INCOMPLETE_RETRY = 60.0
SETUP_RETRY_CAP = 60.0


@dataclass(frozen=True)
class Credentials:
    token: str
    client_secret: str
    developer_key: str | None
    app_id: int | None
    base_url: str
    auth: str = "token"  # "oauth" | "token" (hubspot.auth resolved)
    client_id: str | None = None
    token_kind: str = "static"  # of `token`: "static" | "private_app"
    authorize_url: str = ""
    channel_client_secret: str = ""  # channel webhooks' secret; "" = the client secret

    @property
    def channel_secret(self) -> str:
        return self.channel_client_secret or self.client_secret


def _auth_kind(cfg: Config, token: str, client_id: str | None) -> str:
    chosen = cfg.hubspot.auth
    if chosen == "auto":
        return OAUTH if client_id and not token else "token"
    return chosen


def credentials(cfg: Config, secrets: Secrets, emulator_url: str | None = None) -> Credentials:
    """Emulator mode: the emulator's fixed dev credentials; live: from the environment."""
    hub = cfg.hubspot
    if hub.mode == "emulator":
        url = emulator_url or "http://" + hub.emulator.listen
        auth = OAUTH if hub.auth == OAUTH else "token"
        return Credentials(EMULATOR_TOKEN, EMULATOR_CLIENT_SECRET, EMULATOR_DEVELOPER_KEY,
                           hub.app_id or EMULATOR_APP_ID, url, auth, EMULATOR_CLIENT_ID,
                           "static", url + "/oauth/authorize", EMULATOR_CHANNEL_SECRET)
    token = secrets.get("hubspot_token") or ""
    client_id = secrets.get("hubspot_client_id")
    return Credentials(token, secrets.get("hubspot_client_secret") or "",
                       secrets.get("hubspot_developer_key"), hub.app_id, hub.base_url,
                       _auth_kind(cfg, token, client_id), client_id,
                       token_kind(token, hub.token_kind), hub.oauth_authorize_url,
                       secrets.get("hubspot_channel_client_secret") or "")


def token_source(cfg: Config, creds: Credentials, db: Database | None, *,
                 public_url: Any = "", clock: Any = None, store: bool = True) -> Any:
    """FixedToken, or OAuthTokens kept in SQLite (`store=False`: read, never write)."""
    if creds.auth != OAUTH:
        return FixedToken(creds.token, creds.token_kind)

    def hint() -> str:
        base = (public_url() if callable(public_url) else public_url).rstrip("/")
        return (f"open {base}{hub_oauth.INSTALL_PATH} while logged in to "
                "the web UI (docs/hubspot.md)")

    load, save = hub_oauth.sqlite_store(db, clock, write=store)
    kw = {"clock": clock} if clock else {}
    return OAuthTokens(creds.client_id or "", creds.client_secret, base_url=creds.base_url,
                       load=load, save=save, token_path=cfg.hubspot.oauth_token_path,
                       timeout=cfg.hubspot.timeout, install_hint=hint, **kw)


def make_client(cfg: Config, creds: Credentials, db: Database | None = None, *,
                public_url: Any = "", clock: Any = None) -> HubSpotClient:
    tokens = token_source(cfg, creds, db, public_url=public_url, clock=clock)
    return HubSpotClient(tokens, base_url=creds.base_url,
                         developer_api_key=creds.developer_key, app_id=creds.app_id,
                         timeout=cfg.hubspot.timeout)


def describe_credentials(client: HubSpotClient) -> dict[str, Any]:
    """Which credential kind is in use and what it enables (status, doctor, UI)."""
    kind = client.token_kind
    info: dict[str, Any] = {"kind": kind, **FEATURES[kind]}
    describe = getattr(client.tokens, "describe", None)
    if describe is not None:
        info["oauth"] = describe()
    return info


def support_addresses(cfg: Config) -> list[str]:
    return [a.address for a in cfg.smtp.support_addresses]


async def stored_setup(db: Database) -> SetupState | None:
    return SetupState.from_values(await db.read(hs.setup_values))


async def collect_status(client: HubSpotClient, cfg: Config, db: Database, *, mode: str,
                         public_url: str, live: dict[str, Any] | None = None) -> dict[str, Any]:
    """Everything `hubspot status`, doctor and the UI show (HubSpot is probed read-only)."""
    stored = await stored_setup(db)

    def local(c: Any) -> dict[str, Any]:
        values = hs.setup_values(c)
        return {"last_webhook": values.get("last_webhook"),
                "last_webhook_failure": values.get("last_webhook_failure"),
                "events": hs.event_stats(c), "handoffs": hs.handoff_counts(c),
                "last_job_error": hs.last_job_error(c, ("hubspot", "webhook"))}

    report: dict[str, Any] = {"mode": mode, "base_url": client.base_url,
                              "app_id": client.app_id, "webhook_urls": webhook_urls(public_url),
                              "setup": asdict(stored) if stored else None,
                              **await db.read(local), **(live or {})}
    report.update(await client.check_access())
    report["credentials"] = describe_credentials(client)
    report["portal"] = portal_status(cfg.hubspot, stored)
    try:
        report["setup_check"] = await check_setup(client, cfg.hubspot, stored,
                                                  support_addresses(cfg))
    except HubSpotError as exc:
        report["setup_check"] = {"problems": [f"cannot check setup: {exc}"]}
    return report


def portal_status(hub: HubSpotConfig, stored: SetupState | None) -> dict[str, Any]:
    """The portal id links use, where it came from, and the one setup detected."""
    portal_id, domain = portal_for_links(hub, stored)
    detected = stored.portal_id if stored else None
    source = "config" if hub.portal_id else "detected" if detected else None
    return {"id": portal_id, "ui_domain": domain, "source": source, "detected": detected}


class HubSpotService:
    """Built by the Gateway when hubspot.mode != off: start(), workers(), add_routes(), close()."""

    def __init__(self, gw: Any) -> None:
        self.gw = gw
        self.cfg: Config = gw.cfg
        self.mode = self.cfg.hubspot.mode
        self.db: Database = gw.db
        self.health = Health(gw.clock)
        self.emulator: Any = None
        self.emulator_loaded = False  # state of an earlier run restored (hubspot.emulator.persist)
        self._stop_hooks: list[Callable[[], None]] = []
        self.client: HubSpotClient | None = None
        self.creds: Credentials | None = None
        self.setup_state: SetupState | None = None
        self.setup_error: str | None = None
        self._ready: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self.handoff: Handoff | None = None
        self.receiver: WebhookReceiver | None = None
        self._workers: list[Worker] = []

    async def start(self) -> None:
        url = await self._start_emulator() if self.mode == "emulator" else None
        self.creds = credentials(self.cfg, self.gw.secrets, url)
        if self.mode == "live" and self.creds.auth != OAUTH and not self.creds.token:
            log.error("hubspot.mode is live but OPENCX_GATEWAY_HUBSPOT_TOKEN is not set "
                      "(or set OPENCX_GATEWAY_HUBSPOT_CLIENT_ID/_SECRET for the app's OAuth)")
        self.client = make_client(self.cfg, self.creds, self.db, clock=self.gw.clock,
                                  public_url=self.gw.public_url)
        self.handoff = Handoff(self.client, self.db, self.cfg, setup=self.current_setup,
                               public_url=self.gw.public_url, clock=self.gw.clock)
        self.receiver = WebhookReceiver(
            self.db, secret=lambda: self.creds.client_secret if self.creds else "",
            channel_secret=lambda: self.creds.channel_secret if self.creds else "",
            public_url=self.gw.public_url, max_bytes=self.cfg.http.max_body_bytes,
            max_attempts=self.cfg.queues.max_attempts, clock=self.gw.clock)
        self._ready = asyncio.Event()
        self._task = asyncio.create_task(self._prepare(), name="hubspot-setup")

    async def _start_emulator(self) -> str:
        from gateway.hubspot.emulator import HubSpotEmulator

        hub = self.cfg.hubspot
        self.emulator = HubSpotEmulator(
            token=EMULATOR_TOKEN, client_secret=EMULATOR_CLIENT_SECRET,
            client_id=EMULATOR_CLIENT_ID,
            developer_api_key=EMULATOR_DEVELOPER_KEY, app_id=hub.app_id or EMULATOR_APP_ID,
            portal_id=hub.portal_id or EMULATOR_PORTAL_ID,
            search_lag=hub.emulator.search_lag_seconds, clock=self.gw.clock,
            channel_client_secret=EMULATOR_CHANNEL_SECRET, portal=hub.emulator.portal,
            inboxes=hub.emulator.inboxes, helpdesk_auto_ticket=hub.emulator.helpdesk_auto_ticket)
        if hub.emulator.persist:  # a trial database stays consistent across restarts
            from gateway.hubspot.emulator import persist

            path = hub.emulator.state_file or self.cfg.storage.path.parent / EMULATOR_STATE
            self.emulator_loaded = persist.load(self.emulator.state, path)
            self.emulator.app.middlewares.append(
                persist.saving_middleware(self.emulator.state, path))
            self._stop_hooks.append(lambda: persist.save(self.emulator.state, path))
        host, port = split_hostport(hub.emulator.listen)
        url: str = await self.emulator.start(host, port)
        log.info("hubspot emulator embedded at %s (try %s/_emulator/state)", url, url)
        return url

    def current_setup(self) -> SetupState:
        return self.setup_state or SetupState()

    # -- start-up setup -------------------------------------------------------------------

    async def _prepare(self) -> None:
        """After HTTP is up: emulator mode runs setup (retrying); live mode loads and checks."""
        while self.gw.http_url is None:
            await asyncio.sleep(0.01)
        try:
            if self.mode == "emulator":
                await self._setup_until_done()
            else:
                await self._check_live()
        finally:
            assert self._ready is not None
            self._ready.set()

    async def _setup_until_done(self) -> None:
        delay = 0.5
        while True:
            try:
                await self.run_setup()
                return
            except HubSpotError as exc:
                self.setup_error = str(exc)
                log.warning("hubspot setup failed, retrying in %.0fs: %s", delay, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, SETUP_RETRY_CAP)

    async def run_setup(self) -> SetupState:
        """Idempotent setup against the current HubSpot; stores and returns the result."""
        assert self.client is not None
        previous = self.setup_state or await stored_setup(self.db)
        state = await run_setup(self.client, self.cfg.hubspot,
                                support_addresses=support_addresses(self.cfg),
                                public_url=self.gw.public_url(), previous=previous)
        fresh = (self.emulator is not None and self.setup_state is None
                 and not self.emulator_loaded)
        if self.emulator is not None:
            self.emulator.set_webhook_target(state.webhook_urls["app"])
        now = self.gw.clock()

        def store(conn: WriteConnection) -> None:
            hs.set_setup_values(conn, state.to_values(), now)
            if fresh:  # a new in-memory HubSpot: ticket ids from an earlier run mean nothing
                hs.clear_contact_tickets(conn)

        await self.db.write(store)
        self.setup_state, self.setup_error = state, None
        log.info("hubspot setup done integration=%s channel=%s account=%s (%s)",
                 state.integration, state.channel_id, state.channel_account_id, state.reason)
        return state

    async def choose_pipeline(self, pipeline: str, stage: str | None) -> SetupState:
        """The operator's pipeline/stage (web UI), checked against the portal and stored."""
        assert self.client is not None
        base = self.setup_state or await stored_setup(self.db) or SetupState()
        state = replace(base, accounts=dict(base.accounts))
        await choose_route(self.client, state, pipeline, stage)
        now = self.gw.clock()
        await self.db.write(lambda c: hs.set_setup_values(c, state.to_values(), now))
        self.setup_state = state
        log.info("hubspot pipeline chosen pipeline=%s stage=%s", state.pipeline, state.stage)
        return state

    async def _check_live(self) -> None:
        assert self.client is not None
        self.setup_state = await stored_setup(self.db)
        try:
            report = await check_setup(self.client, self.cfg.hubspot, self.setup_state,
                                       support_addresses(self.cfg))
        except HubSpotError as exc:
            self.setup_error = f"cannot check HubSpot setup: {exc}"
            log.warning("%s", self.setup_error)
            return
        for problem in report["problems"]:
            log.warning("hubspot setup: %s", problem)
        self.setup_error = "; ".join(report["problems"]) or None

    async def ensure_ready(self) -> None:
        """Called by the workers before each job: wait for start-up, require a usable setup."""
        assert self._ready is not None
        try:
            await asyncio.wait_for(self._ready.wait(), READY_WAIT)
        except TimeoutError:
            raise TemporaryFailure("HubSpot setup still running", retry_after=2.0) from None
        if self.setup_state is None or not self.setup_state.complete:
            self.setup_state = await stored_setup(self.db)  # the CLI may have run setup
        if self.setup_state is None or not self.setup_state.complete:
            raise TemporaryFailure("HubSpot setup incomplete: run `opencx-gateway hubspot "
                                   "setup` (see `hubspot status`)", retry_after=INCOMPLETE_RETRY)

    # -- what the Gateway calls -----------------------------------------------------------

    def workers(self) -> list[Worker]:
        assert self.client is not None and self.handoff is not None and self.creds is not None
        kw: dict[str, Any] = {"clock": self.gw.clock}
        self._workers = [
            HubSpotWorker(self.handoff, self.health, self.ensure_ready, self.db,
                          self.cfg.queues, **kw),
            WebhookWorker(self.client, self.gw.renderer, self.cfg, self.health,
                          self.ensure_ready, self.creds.app_id, self.db, self.cfg.queues, **kw),
        ]
        return self._workers

    def add_routes(self, app: web.Application) -> None:
        assert self.receiver is not None
        self.receiver.add_routes(app)
        hub_oauth.add_routes(app, self)

    async def installed(self) -> None:
        """The app was (re)installed: check the setup again (emulator: run it) and let the
        jobs that wait out an auth outage run now."""
        if self.mode != "emulator":
            await self._check_live()
        else:
            try:  # the start-up loop may be sleeping off its back-off: do not wait for it
                await self.run_setup()
            except HubSpotError as exc:
                self.setup_error = str(exc)
        now = self.gw.clock()
        woken = await self.db.write(lambda c: queues.wake(c, ("hubspot", "webhook"), now=now))
        if woken:
            log.info("hubspot: %d waiting job(s) resume after the app install", woken)

    async def status(self) -> dict[str, Any]:
        assert self.client is not None and self.receiver is not None
        live = {"health": self.health.snapshot(), "webhooks": self.receiver.snapshot(),
                "setup_error": self.setup_error, "emulator_url": getattr(
                    self.emulator, "base_url", None),
                "client_secret_set": bool(self.creds and self.creds.client_secret),
                "channel_secret_separate": bool(self.creds and self.creds.channel_client_secret)}
        return await collect_status(self.client, self.cfg, self.db, mode=self.mode,
                                    public_url=self.gw.public_url(), live=live)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self.client is not None:
            await self.client.close()
        for hook in self._stop_hooks:
            hook()
        if self.emulator is not None:
            await self.emulator.stop()
