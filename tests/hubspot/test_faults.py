"""Faults against the emulator: 429s, 5xx, timeouts, dropped connections, a crash mid-saga and
a restart on the same database: always exactly one contact, ticket, message copy and note."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gateway.config import Config
from gateway.daemon import Gateway
from gateway.hubspot.emulator import HubSpotEmulator
from gateway.storage import hubspot as hs
from gateway.storage import queues
from tests.conftest import wait_until

from .conftest import (
    LIVE_SECRETS,
    emulator_of,
    handoff_row,
    hubspot_config,
    live_config,
    send,
    wait_handoff,
)

NOTES = r"^/crm/v3/objects/notes$"
TICKETS = r"^/crm/v3/objects/tickets$"
PUBLISH = r"^/conversations/v3/custom-channels/\d+/messages$"
COMMENT = r"^/conversations/v3/conversations/threads/\d+/messages$"
CONTACT_GET = r"^/crm/v3/objects/contacts/[^/]+$"
CONTACTS = r"^/crm/v3/objects/contacts$"


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return hubspot_config(tmp_path, {"timeout": 0.5})


def assert_exactly_once(emu: HubSpotEmulator, row: dict[str, Any], turns: int = 1) -> None:
    """One contact, one ticket, each transcript turn once, one note, one comment."""
    assert len(emu.contacts) == 1, emu.contacts
    assert len(emu.tickets) == 1, emu.tickets
    assert len(emu.notes) == 1, emu.notes
    assert len(emu.threads) == 1
    thread = emu.threads[row["thread_id"]]
    kinds = [emu.messages[i]["type"] for i in thread.message_ids]
    assert kinds.count("MESSAGE") == turns and kinds.count("COMMENT") == 1, kinds
    texts = [emu.messages[i]["text"] for i in thread.message_ids]
    assert len(texts) == len(set(texts))


def statuses(emu: HubSpotEmulator, pattern: str) -> list[int]:
    import re

    return [c.status for c in emu.calls if re.search(pattern, c.path)]


async def test_rate_limited_calls_are_retried_without_duplicates(gateway: Gateway) -> None:
    emu = emulator_of(gateway)
    emu.fail_next("POST", TICKETS, 429, count=1, retry_after=1)
    emu.fail_next("POST", PUBLISH, 429, count=1, retry_after=1)
    emu.fail_next("POST", NOTES, 429, count=1, retry_after=1)
    await send(gateway)
    row = await wait_handoff(gateway, timeout=30)
    assert_exactly_once(emu, row)
    assert statuses(emu, TICKETS) == [429, 201]
    assert statuses(emu, NOTES) == [429, 201]


async def test_server_errors_retry_the_job_without_duplicates(gateway: Gateway) -> None:
    emu = emulator_of(gateway)
    emu.fail_next("GET", r"^/crm/v3/objects/contacts/", 503, count=1)
    emu.fail_next("POST", TICKETS, 500, count=2)
    emu.fail_next("POST", PUBLISH, 502, count=1)
    emu.fail_next("POST", COMMENT, 504, count=1)
    await send(gateway)
    row = await wait_handoff(gateway, timeout=30)
    assert_exactly_once(emu, row)
    assert statuses(emu, TICKETS) == [500, 500, 201]
    assert 504 in statuses(emu, COMMENT)


async def test_timed_out_calls_are_retried_without_duplicates(gateway: Gateway) -> None:
    """A create that times out (unknown outcome) is looked up before it is tried again."""
    emu = emulator_of(gateway)
    emu.set_latency(0.8, TICKETS)
    await send(gateway)

    async def timed_out() -> bool:
        jobs = await gateway.db.read(lambda c: queues.list_jobs(c, queue="hubspot"))
        return any("timed out" in (j.last_error or "") for j in jobs)

    await wait_until(timed_out, 15)
    emu.set_latency(0, TICKETS)
    row = await wait_handoff(gateway, timeout=30)
    assert_exactly_once(emu, row)
    step = await gateway.db.read(lambda c: hs.get_step(c, f"ticket:{row['session_id']}"))
    assert step is not None and step["status"] == "done"
    # HubSpot created the ticket although our call timed out: the retry looked it up, found
    # it and did not create another one
    assert statuses(emu, r"^/crm/v3/objects/tickets/opencx-") == [200]
    assert statuses(emu, TICKETS) == [201]


async def test_dropped_connections_after_the_write_do_not_duplicate(gateway: Gateway) -> None:
    """HubSpot applied each create but the answer was lost (connection dropped)."""
    emu = emulator_of(gateway)
    for pattern in (CONTACTS, TICKETS, PUBLISH, NOTES, COMMENT):
        emu.drop_next("POST", pattern, after=True)
    await send(gateway)
    row = await wait_handoff(gateway, timeout=30)
    assert_exactly_once(emu, row)
    assert all(0 in statuses(emu, p) for p in (CONTACTS, TICKETS, PUBLISH, NOTES, COMMENT))


async def test_auth_outage_is_logged_once_and_recovers(gateway: Gateway,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    emu = emulator_of(gateway)
    assert gateway.hubspot is not None
    await wait_until(lambda: gateway.hubspot.setup_state is not None, 10)
    emu.settings.token = "rotated-token"
    caplog.set_level(logging.INFO, logger="gateway.hubspot.sync")
    await send(gateway, sender="ann@one.test")
    await send(gateway, sender="bob@two.test")

    async def both_failed() -> list[queues.Job]:
        jobs = await gateway.db.read(lambda c: queues.list_jobs(c, queue="hubspot"))
        return jobs if len(jobs) == 2 and all(j.last_error for j in jobs) else []

    jobs = await wait_until(both_failed, 15)
    outage = [r for r in caplog.records if "hubspot outage:" in r.getMessage()]
    assert len(outage) == 1 and outage[0].levelno == logging.ERROR
    assert all(j.not_before - j.updated_at >= 299 for j in jobs)
    report = await gateway.hubspot.status()
    assert report["health"]["outage"] and report["token_valid"] is False
    emu.settings.token = "emulator-token"
    for job in jobs:
        await gateway.db.write(lambda c, j=job: queues.requeue(c, j.id, now=gateway.clock()))
    await wait_until(lambda: gateway.hubspot.health.outage is None, 15)
    await wait_until(lambda: len(emu.tickets) == 2, 15)
    assert [r.levelno for r in caplog.records if "outage over" in r.getMessage()] == [logging.INFO]


# -- crash and restart on the same database (HubSpot outlives the gateway) --------------------

async def _start_live(start: Callable[..., Any], cfg: Config, emu: HubSpotEmulator) -> Gateway:
    gw: Gateway = await start(cfg, LIVE_SECRETS)
    assert gw.hubspot is not None
    await gw.hubspot.run_setup()  # live mode: what `opencx-gateway hubspot setup` does
    emu.set_webhook_target(gw.public_url() + "/webhooks/hubspot/app")
    return gw


async def test_failing_step_then_restart_resumes_without_duplicates(
        tmp_path: Path, hubspot: HubSpotEmulator, gateway_at: Callable[..., Any]) -> None:
    cfg = live_config(tmp_path, hubspot, timeout=0.5)
    gw = await _start_live(gateway_at, cfg, hubspot)
    hubspot.fail_next("POST", NOTES, 500, count=1000)
    await send(gw)

    async def stuck_at_note() -> dict[str, Any] | None:
        row = await handoff_row(gw, 10001)
        step = await gw.db.read(lambda c: hs.get_step(c, "note:10001:handoff"))
        return row if row and row["thread_id"] and step and step["attempts"] >= 1 else None

    await wait_until(stuck_at_note, 15)
    await gw.stop()
    hubspot.controls.rules.clear()
    gw2 = await _start_live(gateway_at, cfg, hubspot)
    row = await wait_handoff(gw2, 10001, timeout=30)
    assert_exactly_once(hubspot, row)


async def test_crash_while_hubspot_commits_then_restart(
        tmp_path: Path, hubspot: HubSpotEmulator, gateway_at: Callable[..., Any]) -> None:
    """The process dies with the note request in flight; HubSpot creates the note anyway."""
    cfg = live_config(tmp_path, hubspot, timeout=1.0)
    gw = await _start_live(gateway_at, cfg, hubspot)
    hubspot.set_latency(0.5, NOTES)
    await send(gw)

    async def note_in_flight() -> bool:
        step = await gw.db.read(lambda c: hs.get_step(c, "note:10001:handoff"))
        return step is not None and step["status"] == "started"

    await wait_until(note_in_flight, 15)
    worker = gw.workers["hubspot"]
    for task in list(worker._inflight):  # kill -9 stand-in: no finish, no retry recorded
        task.cancel()
    await asyncio.gather(*worker._inflight, return_exceptions=True)
    await gw.stop()
    await wait_until(lambda: len(hubspot.notes) == 1, 5)
    hubspot.set_latency(0, NOTES)
    gw2 = await _start_live(gateway_at, cfg, hubspot)
    row = await wait_handoff(gw2, 10001, timeout=30)
    assert_exactly_once(hubspot, row)
    step = await gw2.db.read(lambda c: hs.get_step(c, "note:10001:handoff"))
    assert step is not None and step["hubspot_id"] == next(iter(hubspot.notes))


async def test_connection_outage_is_logged_once_and_recovers(
    gateway: Gateway, caplog: pytest.LogCaptureFixture
) -> None:
    emu = emulator_of(gateway)
    await wait_until(lambda: gateway.hubspot.setup_state is not None, 10)
    caplog.set_level(logging.INFO, logger="gateway.hubspot.sync")
    emu.fail_next("GET", CONTACT_GET, 503, count=6)
    await send(gateway)
    row = await wait_handoff(gateway, timeout=30)
    assert_exactly_once(emu, row)
    started = [r for r in caplog.records if "hubspot outage:" in r.getMessage()]
    assert len(started) == 1 and started[0].levelno == logging.ERROR
    assert [r.levelno for r in caplog.records if "outage over" in r.getMessage()] == [logging.INFO]
