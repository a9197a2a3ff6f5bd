"""A real kill -9 of the daemon in the middle of the handoff saga: after a restart, exactly one
contact, ticket, thread message, note and comment in HubSpot (which outlives the daemon)."""

from __future__ import annotations

import asyncio
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import aiosmtplib
import pytest

from gateway.hubspot.emulator import HubSpotEmulator
from gateway.hubspot.service import (
    EMULATOR_CLIENT_SECRET,
    EMULATOR_DEVELOPER_KEY,
    EMULATOR_TOKEN,
)
from tests.child import free_port, start_daemon, wait_port, write_config
from tests.conftest import SUPPORT, build_mail

from .conftest import HUMAN
from .test_faults import NOTES, assert_exactly_once

ENV = {"OPENCX_GATEWAY_HUBSPOT_TOKEN": EMULATOR_TOKEN,
       "OPENCX_GATEWAY_HUBSPOT_CLIENT_SECRET": EMULATOR_CLIENT_SECRET,
       "OPENCX_GATEWAY_HUBSPOT_DEVELOPER_KEY": EMULATOR_DEVELOPER_KEY}


def db_row(db: Path, sql: str) -> tuple | None:
    if not db.exists():
        return None
    with sqlite3.connect(db) as conn:
        try:
            return conn.execute(sql).fetchone()
        except sqlite3.OperationalError:  # not migrated yet
            return None


async def poll(check, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_kill_9_mid_saga_then_restart_creates_everything_once(
        tmp_path: Path, hubspot: HubSpotEmulator) -> None:
    port, http_port = free_port(), free_port()
    config = write_config(
        tmp_path, port, http={"listen": f"127.0.0.1:{http_port}"},
        agent={"debounce_seconds": 0},
        hubspot={"mode": "live", "base_url": hubspot.base_url, "app_id": 4242, "timeout": 2.0},
        queues={"poll_interval": 0.2, "backoff_base": 0.2, "backoff_cap": 1.0},
    )
    command = [sys.executable, "-m", "gateway.cli", "--config", str(config), "hubspot", "setup"]
    setup = await asyncio.to_thread(  # the emulator answers on this loop meanwhile
        subprocess.run, command, capture_output=True, text=True, timeout=60,
        env={**ENV, "PATH": "/usr/bin:/bin"})
    assert setup.returncode == 0, setup.stderr
    db, log = tmp_path / "gw.db", tmp_path / "daemon.log"
    hubspot.set_latency(1.0, NOTES)  # the note request is in flight when the kill comes
    proc = start_daemon(config, log, env=ENV)
    try:
        await wait_port(port)
        await aiosmtplib.send(build_mail(subject="Order", body=HUMAN),
                              sender="jane@customer.test", recipients=[SUPPORT],
                              hostname="127.0.0.1", port=port)
        await poll(lambda: db_row(db, "SELECT status FROM hubspot_steps WHERE key LIKE 'note:%'")
                   == ("started",), 30)
        await poll(lambda: any(m == "POST" and re.search(NOTES, p)  # the request reached HubSpot
                               for m, p in hubspot.controls.arrivals), 10)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        await poll(lambda: len(hubspot.notes) == 1, 5)  # HubSpot finished it anyway
        hubspot.set_latency(0, NOTES)
        proc = start_daemon(config, log, env=ENV)
        await poll(lambda: db_row(db, "SELECT status FROM hubspot_handoffs") == ("done",), 60)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    row = db_row(db, "SELECT thread_id FROM hubspot_handoffs")
    assert row is not None
    assert_exactly_once(hubspot, {"thread_id": row[0]})


@pytest.mark.parametrize("own_route", [False, True])
async def test_kill_9_mid_helpdesk_adoption_leaves_one_ticket(
        tmp_path: Path, hubspot: HubSpotEmulator, own_route: bool) -> None:
    """The help desk made its ticket for the new thread; the daemon dies before adopting it.
    With the support address's own pipeline, the adopting PATCH also moves the ticket."""
    from gateway.hubspot.emulator.portal import HELPDESK_NEW_STAGE, HELPDESK_PIPELINE

    escalations, triage = "758463977", "1063490010"
    routes = ({"addresses": [{"address": SUPPORT, "pipeline": escalations, "stage": triage}]}
              if own_route else {})
    hubspot.use_portal("helpdesk")
    hubspot.settings.helpdesk_auto_ticket = True
    port, http_port = free_port(), free_port()
    config = write_config(
        tmp_path, port, http={"listen": f"127.0.0.1:{http_port}"},
        agent={"debounce_seconds": 0},
        hubspot={"mode": "live", "base_url": hubspot.base_url, "app_id": 4242, "timeout": 2.0,
                 "adopt_helpdesk_ticket": True, "pipeline": HELPDESK_PIPELINE,
                 "stage": HELPDESK_NEW_STAGE, **routes},
        queues={"poll_interval": 0.2, "backoff_base": 0.2, "backoff_cap": 1.0},
    )
    command = [sys.executable, "-m", "gateway.cli", "--config", str(config), "hubspot", "setup"]
    setup = await asyncio.to_thread(
        subprocess.run, command, capture_output=True, text=True, timeout=60,
        env={**ENV, "PATH": "/usr/bin:/bin"})
    assert setup.returncode == 0, setup.stdout + setup.stderr
    db, log = tmp_path / "gw.db", tmp_path / "daemon.log"
    tickets = r"^/crm/v3/objects/tickets/\d+$"
    hubspot.set_latency(1.0, tickets)  # our PATCH of the help desk's ticket is in flight
    proc = start_daemon(config, log, env=ENV)
    try:
        await wait_port(port)
        await aiosmtplib.send(build_mail(subject="Order", body=HUMAN),
                              sender="jane@customer.test", recipients=[SUPPORT],
                              hostname="127.0.0.1", port=port)
        await poll(lambda: len(hubspot.tickets) == 1 and db_row(
            db, "SELECT ticket_id FROM hubspot_handoffs") == (None,), 30)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        hubspot.set_latency(0, tickets)
        proc = start_daemon(config, log, env=ENV)
        await poll(lambda: db_row(db, "SELECT status FROM hubspot_handoffs") == ("done",), 60)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    row = db_row(db, "SELECT thread_id, ticket_id, ticket_action FROM hubspot_handoffs")
    assert row is not None and row[2] == "adopted"
    assert_exactly_once(hubspot, {"thread_id": row[0]})
    ticket = hubspot.tickets[row[1]]
    assert ticket.properties["opencx_handoff_key"].startswith("opencx-")
    assert (ticket.properties["hs_pipeline"], ticket.properties["hs_pipeline_stage"]) == (
        (escalations, triage) if own_route else (HELPDESK_PIPELINE, HELPDESK_NEW_STAGE))
