"""The emulator's aiohttp app and its handle, ``HubSpotEmulator``.

It serves HubSpot's own paths, camelCase JSON and error bodies from in-memory dicts
(see docs/hubspot-emulator.md and HUBSPOT.md), with search-index lag, rate limits, fault
injection, a call log, and a rep who replies, comments and closes tickets, firing signed
webhooks. Run it alone with ``python -m gateway.hubspot.emulator --listen 127.0.0.1:8026``.
It imports nothing from ``gateway`` except its own modules and ``gateway.hubspot.signatures``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import re
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from aiohttp import web

from gateway.hubspot.emulator import auth as emulator_auth
from gateway.hubspot.emulator import channels as emulator_channels
from gateway.hubspot.emulator import control as emulator_control
from gateway.hubspot.emulator import conversations as emulator_conversations
from gateway.hubspot.emulator import crm as emulator_crm
from gateway.hubspot.emulator import files as emulator_files
from gateway.hubspot.emulator import portal as emulator_portal
from gateway.hubspot.emulator import schema_api as emulator_schema_api
from gateway.hubspot.emulator import search as emulator_search
from gateway.hubspot.emulator import webhooks as emulator_webhooks
from gateway.hubspot.emulator.http import (
    CTX,
    Call,
    Context,
    Controls,
    FaultRule,
    hubspot_middleware,
)
from gateway.hubspot.emulator.state import FULL_SCOPES, EmulatorState, Json, Settings
from gateway.hubspot.emulator.webhooks import DEFAULT_RETRY_DELAYS, Delivery, Webhooks

__all__ = ["FULL_SCOPES", "Call", "Delivery", "HubSpotEmulator", "build_app", "main", "serve"]

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 16 * 2**20


def build_app(ctx: Context) -> web.Application:
    """The aiohttp application: every HubSpot route plus ``/_emulator/...``."""
    app = web.Application(middlewares=[hubspot_middleware], client_max_size=MAX_BODY_BYTES)
    app[CTX] = ctx
    for module in (emulator_auth, emulator_search, emulator_crm, emulator_schema_api,
                   emulator_conversations, emulator_channels, emulator_webhooks, emulator_files,
                   emulator_portal, emulator_control):
        app.add_routes(module.routes)

    async def close_webhooks(_app: web.Application) -> None:
        await ctx.webhooks.close()

    app.on_cleanup.append(close_webhooks)
    return app


class HubSpotEmulator:
    """In-process HubSpot: ``app`` for aiohttp, or ``await start()`` for a loopback URL.

    State is exposed as dicts (``contacts``, ``tickets``, ``notes``, ``threads``,
    ``messages``, ``channels``, ``accounts``, ``associations``) that tests may read and seed.
    """

    def __init__(self, *, token: str = "emulator-token", client_secret: str = "emulator-secret",
                 developer_api_key: str = "emulator-dev-key", app_id: int = 4242,
                 portal_id: int = 62515, scopes: Iterable[str] | None = None,
                 search_lag: float = 2.0, rate_limit_per_10s: int = 190,
                 search_per_second: int = 5, clock: Callable[[], float] = time.time,
                 webhook_retry_delays: Sequence[float] = DEFAULT_RETRY_DELAYS,
                 webhook_timeout: float = 10.0, webhook_target_url: str | None = None,
                 truncate_at: int = 4096, token_kind: str = emulator_auth.STATIC,
                 client_id: str = "emulator-client-id",
                 private_app_token: str | None = "pat-na1-emulator",
                 access_token_lifetime: float = 1800.0, portal: str = "classic",
                 inboxes: Sequence[str] = (), helpdesk_auto_ticket: bool = False,
                 channel_client_secret: str | None = None,
                 channel_webhook_shape: str = "object", channel_signature: str = "v3",
                 strict_channel_patch: bool = True) -> None:
        settings = Settings(token=token, client_secret=client_secret,
                            developer_api_key=developer_api_key, app_id=app_id,
                            portal_id=portal_id,
                            scopes=set(FULL_SCOPES if scopes is None else scopes),
                            search_lag=search_lag, rate_limit_per_10s=rate_limit_per_10s,
                            search_per_second=search_per_second, truncate_at=truncate_at,
                            webhook_target_url=webhook_target_url,
                            channel_client_secret=channel_client_secret,
                            channel_webhook_shape=channel_webhook_shape,
                            channel_signature=channel_signature,
                            helpdesk_auto_ticket=helpdesk_auto_ticket,
                            strict_channel_patch=strict_channel_patch)
        self.state = EmulatorState(settings, clock)
        emulator_portal.apply_profile(self.state, portal)
        for name in inboxes:
            emulator_portal.add_inbox(self.state, name)
        self.controls = Controls()
        self.webhooks = Webhooks(self.state, webhook_retry_delays, webhook_timeout)
        self.auth = emulator_auth.AuthModel(client_id, client_secret, app_id,
                                            access_lifetime=access_token_lifetime)
        self.auth.fixed_token = lambda: self.state.settings.token
        self.auth.fixed_grant = emulator_auth.Grant(  # scopes None: live settings.scopes
            token_kind, None if token_kind == emulator_auth.PRIVATE_APP else app_id,
            emulator_auth.CRM_SCOPES if token_kind == emulator_auth.PRIVATE_APP else None)
        if private_app_token:
            self.auth.mint(emulator_auth.PRIVATE_APP, 0.0, token=private_app_token)
        self.ctx = Context(self.state, self.controls, self.webhooks, self.auth)
        self.app = build_app(self.ctx)
        self.contacts, self.tickets, self.notes = (self.state.contacts, self.state.tickets,
                                                   self.state.notes)
        self.threads, self.messages = self.state.threads, self.state.messages
        self.channels, self.accounts = self.state.channels, self.state.accounts
        self.associations = self.state.associations
        self._runner: web.AppRunner | None = None
        self.base_url: str | None = None

    @property
    def settings(self) -> Settings:
        """Live settings (scopes, search_lag, rate limits, webhook target) - mutable."""
        return self.state.settings

    @property
    def calls(self) -> list[Call]:
        """Every API call so far as ``Call(method, path, status)`` (0 = dropped)."""
        return self.controls.calls

    @property
    def deliveries(self) -> list[Delivery]:
        """Every webhook delivery attempt so far."""
        return self.webhooks.deliveries

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Listen on ``host:port`` (0 = any free port); return the base URL."""
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        server = site._server
        bound = server.sockets[0].getsockname()[1] if server and server.sockets else port
        self.base_url = f"http://{host}:{bound}"
        return self.base_url

    async def stop(self) -> None:
        """Stop listening, cancel pending webhook deliveries, close sessions."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        else:
            await self.webhooks.close()

    # -- faults and time -----------------------------------------------------------------
    def fail_next(self, method: str, path_regex: str, status: int, count: int = 1,
                  body: Json | str | None = None, retry_after: float | None = None) -> None:
        """Answer the next ``count`` matching calls with ``status`` (HubSpot-style body).

        ``method`` may be ``"*"``; ``path_regex`` is searched in the request path.
        """
        self.controls.add_rule(FaultRule(method.upper(), re.compile(path_regex), count, "fail",
                                         status, body, retry_after))

    def drop_next(self, method: str, path_regex: str, count: int = 1, after: bool = False
                  ) -> None:
        """Close the connection without a response; ``after=True`` drops it after the
        handler ran, so the write happened but the client never hears of it."""
        self.controls.add_rule(FaultRule(method.upper(), re.compile(path_regex), count, "drop",
                                         after=after))

    def set_latency(self, seconds: float, path_regex: str | None = None) -> None:
        """Delay every matching call (all calls if no regex) by ``seconds`` of real time."""
        self.controls.set_latency(seconds, path_regex)

    def advance(self, seconds: float) -> None:
        """Move the emulated clock forward (on top of the injected clock)."""
        self.state.clock_offset += seconds

    def reset_calls(self) -> None:
        """Forget the call log."""
        self.controls.calls.clear()

    def use_portal(self, profile: str) -> None:
        """Switch the ticket pipelines to a profile: ``classic`` (pipeline 0) or ``helpdesk``."""
        emulator_portal.apply_profile(self.state, profile)

    def add_inbox(self, name: str, inbox_id: str | None = None) -> Json:
        """Add a conversations inbox; returns it."""
        return emulator_portal.add_inbox(self.state, name, inbox_id)

    def set_webhook_target(self, url: str | None) -> None:
        """Where app webhooks (JSON arrays) go; same as ``PUT /webhooks/v3/{appId}/settings``."""
        self.state.settings.webhook_target_url = url

    # -- acting as a rep -----------------------------------------------------------------
    async def rep_reply(self, thread_id: str, text: str, rich_text: str | None = None,
                        actor_id: str = emulator_control.REP,
                        attachments: Sequence[tuple[str, str, bytes]] = ()) -> Json:
        """A rep replies publicly in the inbox; returns the MESSAGE, webhooks go out.
        ``attachments``: (file name, content type, bytes), uploaded to Files first."""
        ids = [self.add_file(name, ctype, data)["id"] for name, ctype, data in attachments]
        return emulator_control.rep_reply(self.ctx, thread_id, text, rich_text, actor_id, ids)

    def add_file(self, name: str, content_type: str, data: bytes) -> Json:
        """A file in the portal's Files (as if a rep uploaded it); returns its metadata."""
        return emulator_files.store_file(self.state, self.base_url or "", name, data,
                                         content_type)

    async def rep_comment(self, thread_id: str, text: str, rich_text: str | None = None,
                          actor_id: str = emulator_control.REP) -> Json:
        """A rep adds an internal comment; returns the COMMENT."""
        return emulator_control.rep_comment(self.ctx, thread_id, text, rich_text, actor_id)

    async def close_ticket(self, ticket_id: str, stage: str | None = None,
                           actor_id: str = emulator_control.REP) -> Json:
        """A rep moves the ticket to a closed stage; ``ticket.propertyChange`` goes out."""
        return emulator_control.close_ticket(self.ctx, ticket_id, stage, actor_id)

    async def wait_deliveries(self) -> None:
        """Wait until every webhook delivery, retries included, has finished."""
        await self.webhooks.wait()


def _hostport(listen: str) -> tuple[str, int]:
    host, _, port = listen.rpartition(":")
    return host.strip("[]") or "127.0.0.1", int(port)


async def serve(listen: str, **kwargs: Any) -> None:
    """Run an emulator on ``listen`` (``host:port``) until cancelled."""
    emulator = HubSpotEmulator(**kwargs)
    host, port = _hostport(listen)
    url = await emulator.start(host, port)
    log.info("hubspot emulator listening url=%s app_id=%s", url, emulator.settings.app_id)
    try:
        await asyncio.Event().wait()
    finally:
        await emulator.stop()


def _parser() -> argparse.ArgumentParser:
    env = os.environ.get
    parser = argparse.ArgumentParser(prog="python -m gateway.hubspot.emulator",
                                     description="Run the HubSpot emulator.")
    parser.add_argument("--listen", default="127.0.0.1:8026", help="host:port")
    parser.add_argument("--token", default=env("OPENCX_GATEWAY_HUBSPOT_TOKEN", "emulator-token"))
    parser.add_argument("--client-secret",
                        default=env("OPENCX_GATEWAY_HUBSPOT_CLIENT_SECRET", "emulator-secret"))
    parser.add_argument("--developer-key",
                        default=env("OPENCX_GATEWAY_HUBSPOT_DEVELOPER_KEY", "emulator-dev-key"))
    parser.add_argument("--app-id", type=int, default=4242)
    parser.add_argument("--portal-id", type=int, default=62515)
    parser.add_argument("--search-lag", type=float, default=2.0)
    parser.add_argument("--rate-limit", type=int, default=190, help="calls per 10 s per token")
    parser.add_argument("--search-per-second", type=int, default=5)
    parser.add_argument("--webhook-url", default=None, help="app webhook target URL")
    parser.add_argument("--client-id", default="emulator-client-id", help="OAuth client id")
    parser.add_argument("--access-token-lifetime", type=float, default=1800.0,
                        help="seconds an OAuth access token lives")
    parser.add_argument("--portal", choices=emulator_portal.PROFILES, default="classic",
                        help="ticket pipelines: classic (pipeline 0) or helpdesk (custom ids)")
    parser.add_argument("--inbox", action="append", default=[], help="add an inbox (repeat)")
    parser.add_argument("--helpdesk-auto-ticket", action="store_true",
                        help="a new thread's first message creates a ticket")
    parser.add_argument("--channel-client-secret",
                        default=env("OPENCX_GATEWAY_HUBSPOT_CHANNEL_CLIENT_SECRET"),
                        help="sign channel webhooks with this secret (default: client secret)")
    parser.add_argument("--channel-webhook-shape", choices=("object", "array"), default="object")
    parser.add_argument("--channel-signature", choices=("v3", "v1"), default="v3")
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    """Command-line entry point."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    kwargs = {"token": args.token, "client_secret": args.client_secret,
              "developer_api_key": args.developer_key, "app_id": args.app_id,
              "portal_id": args.portal_id, "search_lag": args.search_lag,
              "rate_limit_per_10s": args.rate_limit,
              "search_per_second": args.search_per_second,
              "webhook_target_url": args.webhook_url, "client_id": args.client_id,
              "access_token_lifetime": args.access_token_lifetime, "portal": args.portal,
              "inboxes": args.inbox, "helpdesk_auto_ticket": args.helpdesk_auto_ticket,
              "channel_client_secret": args.channel_client_secret,
              "channel_webhook_shape": args.channel_webhook_shape,
              "channel_signature": args.channel_signature}
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.listen, **kwargs))

