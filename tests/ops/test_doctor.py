"""doctor: each check fails (or warns) for the right reason when broken, passes when good."""

from __future__ import annotations

import asyncio
import inspect
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from gateway.config import Config, Secrets
from gateway.daemon import Gateway
from gateway.hubspot.client import HubSpotClient
from gateway.hubspot.emulator import FULL_SCOPES, HubSpotEmulator
from gateway.hubspot.setup import run_setup
from gateway.ops.probes import writable_dir_problem
from gateway.storage import hubspot as hs
from gateway.storage import sessions
from gateway.storage.db import Database
from tests.conftest import SUPPORT
from tests.relay.sink import SinkServer

from .conftest import (
    LIVE_ENV,
    ROOT,
    TOKEN,
    TlsFiles,
    closed_port,
    doctor,
    live,
    ops_config,
    run_cli,
    write_config,
)

FORWARD = "support+acme.test@gw.test"


def _url(emulator: HubSpotEmulator) -> str:
    assert emulator.base_url is not None
    return emulator.base_url


async def test_wrong_hubspot_token_is_rejected(tmp_path: Path,
                                               hubspot_emulator: HubSpotEmulator) -> None:
    cfg = ops_config(tmp_path, hubspot=live(_url(hubspot_emulator)))
    checks = await doctor(cfg, tmp_path, {**LIVE_ENV, "OPENCX_GATEWAY_HUBSPOT_TOKEN": "stale"})
    assert checks["hubspot.api"].status == "ok"
    token = checks["hubspot.token"]
    assert token.status == "fail"
    assert "rejected the access token" in token.detail and "unauthorized" in token.detail
    assert "copy it again" in token.fix
    assert "hubspot.scopes" not in checks  # nothing more can be learnt with a bad token


async def test_hubspot_down_is_unreachable(tmp_path: Path) -> None:
    cfg = ops_config(tmp_path, hubspot=live(f"http://127.0.0.1:{closed_port()}"))
    checks = await doctor(cfg, tmp_path, LIVE_ENV)
    api = checks["hubspot.api"]
    assert api.status == "fail"
    assert "unreachable" in api.detail and "hubspot.base_url" in api.fix
    assert "hubspot.token" not in checks


async def test_missing_token_and_client_secret(tmp_path: Path,
                                               hubspot_emulator: HubSpotEmulator) -> None:
    cfg = ops_config(tmp_path, hubspot=live(_url(hubspot_emulator)))
    checks = await doctor(cfg, tmp_path, {})
    assert checks["hubspot.token"].status == "fail"
    assert "OPENCX_GATEWAY_HUBSPOT_TOKEN is not set" in checks["hubspot.token"].detail
    secret = checks["hubspot.webhook_secret"]
    assert secret.status == "fail" and "rep replies never reach customers" in secret.detail
    assert hubspot_emulator.calls == []  # no token: HubSpot is not even asked


async def test_missing_scopes_are_named(tmp_path: Path) -> None:
    emulator = HubSpotEmulator(token=TOKEN, scopes=FULL_SCOPES - {"tickets"})
    url = await emulator.start()
    try:
        checks = await doctor(ops_config(tmp_path, hubspot=live(url)), tmp_path, LIVE_ENV)
    finally:
        await emulator.stop()
    assert checks["hubspot.token"].status == "ok"
    scopes = checks["hubspot.scopes"]
    assert scopes.status == "fail" and "tickets" in scopes.detail


async def test_setup_never_run_means_tickets_cannot_be_created(
        tmp_path: Path, hubspot_emulator: HubSpotEmulator) -> None:
    checks = await doctor(ops_config(tmp_path, hubspot=live(_url(hubspot_emulator))),
                          tmp_path, LIVE_ENV)
    props = checks["hubspot.properties"]
    assert props.status == "fail" and "opencx_handedoff" in props.detail
    assert "hubspot setup" in props.fix
    setup = checks["hubspot.setup"]
    assert setup.status == "fail" and "never run" in setup.detail


async def test_hubspot_off_warns_that_handoffs_go_nowhere(tmp_path: Path) -> None:
    checks = await doctor(ops_config(tmp_path), tmp_path)
    hub = checks["hubspot"]
    assert hub.status == "warn" and "handoffs will not reach HubSpot" in hub.detail


async def test_bad_signature_pattern_fails_and_address_without_signature_warns(
        tmp_path: Path) -> None:
    cfg = ops_config(tmp_path, signatures=[{"domain": "*acme.test", "text": "--\nAcme"},
                                           {"domain": "other.test", "text": ""}])
    checks = await doctor(cfg, tmp_path)
    sigs = checks["signatures"]
    assert sigs.status == "fail"
    assert "'*acme.test' is not a domain" in sigs.detail
    assert "both text and html are empty" in sigs.detail
    mine = checks[f"signature {SUPPORT}"]
    assert mine.status == "warn" and "no signature" in mine.detail
    assert "domain: acme.test" in mine.fix


async def test_no_signatures_at_all_warns_per_address(tmp_path: Path) -> None:
    checks = await doctor(ops_config(tmp_path, signatures=[]), tmp_path)
    assert checks[f"signature {SUPPORT}"].status == "warn"
    assert "no signatures are configured" in checks[f"signature {SUPPORT}"].detail
    assert checks["signatures"].status == "ok"


async def test_unverified_failed_and_gmail_addresses(tmp_path: Path) -> None:
    cfg = ops_config(tmp_path, smtp={"support_addresses": [
        {"address": SUPPORT}, {"address": "help@acme.test"}, {"address": "sales@acme.test"}]})
    db = Database(cfg.storage.path).open()
    now = time.time()
    pairs = [(a.address, cfg.smtp.forward_address(a)) for a in cfg.smtp.support_addresses]

    def seed(conn: object) -> None:
        sessions.sync_addresses(conn, pairs, now)  # type: ignore[arg-type]
        sessions.address_challenge_sent(conn, "help@acme.test", now - 7200)  # type: ignore[arg-type]
        sessions.fail_overdue_challenges(conn, now, 3600)  # type: ignore[arg-type]
        sessions.address_gmail_confirmation(  # type: ignore[arg-type]
            conn, "sales@acme.test", "618246013", "https://mail.google.com/x", now)

    db.write_sync(seed)
    db.close()
    checks = await doctor(cfg, tmp_path)
    pending = checks[f"forwarding {SUPPORT}"]
    assert pending.status == "warn" and f"forward to {FORWARD}" in pending.detail
    assert f"send-test {SUPPORT}" in pending.fix
    failed = checks["forwarding help@acme.test"]
    assert failed.status == "warn" and failed.detail.startswith("failed: test mail did not")
    gmail = checks["forwarding sales@acme.test"]
    assert gmail.status == "warn" and "618246013" in gmail.detail
    assert "https://mail.google.com/x" in gmail.fix


async def test_relay_down_fails_at_connect(tmp_path: Path) -> None:
    port = closed_port()
    cfg = ops_config(tmp_path, outbound={"mode": "smtp",
                                         "relay": {"host": "127.0.0.1", "port": port}})
    relay = (await doctor(cfg, tmp_path))["relay"]
    assert relay.status == "fail"
    assert f"relay 127.0.0.1:{port}: connect failed" in relay.detail
    assert "outbound.relay.host/port" in relay.fix


async def test_relay_authentication_is_tried(tmp_path: Path) -> None:
    sink = await SinkServer(auth={"gateway": "right"}).start()
    try:
        cfg = ops_config(tmp_path, outbound={"mode": "smtp", "relay": {
            "host": "127.0.0.1", "port": sink.port, "username": "gateway"}})
        bad = (await doctor(cfg, tmp_path, {"OPENCX_GATEWAY_RELAY_PASSWORD": "wrong"}))["relay"]
        unset = (await doctor(cfg, tmp_path))["relay"]
        good = (await doctor(cfg, tmp_path, {"OPENCX_GATEWAY_RELAY_PASSWORD": "right"}))["relay"]
    finally:
        await sink.stop()
    assert bad.status == "fail" and "auth refused: 535" in bad.detail
    assert "OPENCX_GATEWAY_RELAY_PASSWORD" in bad.fix
    assert set(sink.failed_logins) == {"gateway"}  # aiosmtplib tries each mechanism
    assert unset.status == "fail" and "is not set" in unset.detail
    assert good.status == "ok" and "connect, EHLO, no TLS, AUTH ok" in good.detail
    assert sink.messages == []  # the probe never sends mail


async def test_relay_starttls_is_verified(tmp_path: Path, tls_files: TlsFiles) -> None:
    sink = await SinkServer(starttls=tls_files.server_context(),
                            auth={"gateway": "right"}).start()
    relay = {"host": "127.0.0.1", "port": sink.port, "tls": "starttls", "username": "gateway"}
    env = {"OPENCX_GATEWAY_RELAY_PASSWORD": "right"}
    try:
        trusted = ops_config(tmp_path, outbound={"mode": "smtp", "relay": {
            **relay, "ca_file": str(tls_files.cert)}})
        good = (await doctor(trusted, tmp_path, env))["relay"]
        untrusted = ops_config(tmp_path, outbound={"mode": "smtp", "relay": relay})
        bad = (await doctor(untrusted, tmp_path, env))["relay"]
    finally:
        await sink.stop()
    assert good.status == "ok" and "connect, EHLO, STARTTLS, AUTH ok" in good.detail
    assert bad.status == "fail" and "TLS failed" in bad.detail
    assert "certificate verify failed" in bad.detail and "ca_file" in bad.fix


async def test_unwritable_database_directory(tmp_path: Path) -> None:
    blocker = tmp_path / "state"
    blocker.write_text("a file where the state directory should be")
    cfg = ops_config(tmp_path, storage={"path": str(blocker / "gateway.db")})
    database = (await doctor(cfg, tmp_path))["database"]
    assert database.status == "fail" and "is not a directory" in database.detail
    assert "writable by the service user" in database.fix


# stdlib only, outside any checkout or venv that nobody could not read
SYSTEM_PYTHON = shutil.which("python3", path="/usr/local/bin:/usr/bin:/bin") or sys.executable


async def test_read_only_database_directory(tmp_path: Path) -> None:
    """Permission bits stop every user but root; as root the probe runs as nobody."""
    shared = Path(tempfile.mkdtemp(prefix="opencx-ro-", dir="/tmp"))  # traversable by nobody
    shared.chmod(0o755)
    state = shared / "state"
    state.mkdir()
    state.chmod(0o555)
    try:
        if os.geteuid() != 0:
            cfg = ops_config(tmp_path, storage={"path": str(state / "gateway.db")})
            detail = (await doctor(cfg, tmp_path))["database"].detail
        else:
            # the probe's own source: nobody may not be able to read this checkout
            probe = ("import os, sys, tempfile\nfrom pathlib import Path\n"
                     + inspect.getsource(writable_dir_problem)
                     + "print(writable_dir_problem(Path(sys.argv[1])))\n")
            done = subprocess.run(
                ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                 SYSTEM_PYTHON, "-I", "-c", probe, str(state)],
                capture_output=True, text=True, timeout=30, cwd="/")
            assert done.returncode == 0, done.stderr
            detail = done.stdout
    finally:
        state.chmod(0o700)
        shutil.rmtree(shared)
    assert "cannot create files" in detail


async def test_pending_migrations_warn(tmp_path: Path) -> None:
    cfg = ops_config(tmp_path)
    cfg.storage.path.parent.mkdir(parents=True, exist_ok=True)
    sqlite3.connect(cfg.storage.path).close()  # an empty database: nothing migrated yet
    database = (await doctor(cfg, tmp_path))["database"]
    assert database.status == "warn" and "m001_inbound_and_jobs" in database.detail
    assert "migrations run at start" in database.fix


async def test_state_readable_by_others_warns(tmp_path: Path) -> None:
    cfg = ops_config(tmp_path)
    state = cfg.storage.path.parent
    Database(cfg.storage.path).open().close()
    database = (await doctor(cfg, tmp_path))["database"]
    assert database.status == "ok", database.detail
    state.chmod(0o755)
    cfg.storage.path.chmod(0o644)
    database = (await doctor(cfg, tmp_path))["database"]
    assert database.status == "warn" and "readable by other users" in database.detail
    assert f"{cfg.storage.path.name} 644" in database.detail and "chmod 700" in database.fix


async def test_another_program_on_the_smtp_port(tmp_path: Path) -> None:
    async def greet(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 mail.example ESMTP Postfix\r\n")
        await writer.drain()
        await reader.readline()
        writer.close()

    server = await asyncio.start_server(greet, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        checks = await doctor(ops_config(tmp_path, smtp={"listen": f"127.0.0.1:{port}"}),
                              tmp_path)
    finally:
        server.close()
        await server.wait_closed()
    smtp = checks["smtp.listen"]
    assert smtp.status == "fail" and "another program answers" in smtp.detail
    assert "Postfix" in smtp.detail


async def test_invalid_config_stops_after_the_config_line(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("smtp:\n  listen: nowhere\n")
    code, out, _ = await run_cli(path, "doctor", "--json")
    assert code == 1
    [only] = json.loads(out)
    assert only["name"] == "config" and only["status"] == "fail"
    assert "smtp.listen" in only["detail"] and "HOST:PORT" in only["detail"]


async def test_good_live_setup_passes(tmp_path: Path, hubspot_emulator: HubSpotEmulator) -> None:
    cfg = ops_config(tmp_path, hubspot=live(_url(hubspot_emulator)))
    secrets = Secrets(hubspot_token=TOKEN, hubspot_client_secret=LIVE_ENV[
        "OPENCX_GATEWAY_HUBSPOT_CLIENT_SECRET"], hubspot_developer_key=LIVE_ENV[
        "OPENCX_GATEWAY_HUBSPOT_DEVELOPER_KEY"], admin_token="admin", secret_key="key")
    gw = Gateway(cfg, secrets)
    await gw.start()
    try:
        assert gw.hubspot is not None and gw.smtp_address and gw.http_url
        await gw.hubspot.run_setup()
        await gw.db.write(lambda c: sessions.verify_address(c, SUPPORT, "test", time.time()))
        host, port = gw.smtp_address
        running = cfg.model_copy(update={
            "smtp": cfg.smtp.model_copy(update={"listen": f"{host}:{port}"}),
            "http": cfg.http.model_copy(update={"listen": gw.http_url.removeprefix("http://"),
                                                "public_url": gw.http_url})})
        checks = await doctor(running, tmp_path, LIVE_ENV)
        code, out, err = await run_cli(write_config(running, tmp_path / "good.yaml"), "doctor",
                                       env=LIVE_ENV)
    finally:
        await gw.stop()
    assert not [c for c in checks.values() if c.status == "fail"], checks
    for name in ("config", "database", "smtp.listen", "http.listen", f"forwarding {SUPPORT}",
                 "hubspot.api", "hubspot.token", "hubspot.scopes", "hubspot.properties",
                 "hubspot.setup", "hubspot.webhook_secret", "hubspot.webhooks", "relay",
                 f"signature {SUPPORT}", "signatures", "queues"):
        assert checks[name].status == "ok", checks[name]
    assert "the daemon answers" in checks["smtp.listen"].detail
    assert "custom channel" in checks["hubspot.setup"].detail
    hook = checks["hubspot.webhook_url"]  # reachable, but plain http: HubSpot wants https
    assert hook.status == "warn" and "not https" in hook.detail
    assert code == 0, out + err
    assert "0 failed" in out and "WARN  hubspot.webhook_url" in out


async def test_cli_exit_status_and_human_output_on_failure(tmp_path: Path) -> None:
    cfg = ops_config(tmp_path, outbound={"mode": "smtp", "relay": {
        "host": "127.0.0.1", "port": closed_port()}})
    code, out, _ = await run_cli(write_config(cfg, tmp_path / "c.yaml"), "doctor")
    assert code == 1
    assert "FAIL  relay" in out and "-> check outbound.relay.host/port" in out
    assert "1 failed" in out


async def _setup(cfg: Config, developer_key: str | None) -> None:
    """What `opencx-gateway hubspot setup` stores, done against the emulator."""
    client = HubSpotClient(TOKEN, base_url=cfg.hubspot.base_url, app_id=cfg.hubspot.app_id,
                           developer_api_key=developer_key)
    try:
        state = await run_setup(client, cfg.hubspot, support_address=SUPPORT,
                                public_url="http://127.0.0.1:1")
    finally:
        await client.close()
    db = Database(cfg.storage.path).open()
    try:
        await db.write(lambda c: hs.set_setup_values(c, state.to_values(), time.time()))
    finally:
        db.close()


async def test_private_app_fallback_warns_that_replies_cannot_sync(
        tmp_path: Path, hubspot_emulator: HubSpotEmulator) -> None:
    cfg = ops_config(tmp_path, hubspot=live(_url(hubspot_emulator)))
    await _setup(cfg, developer_key=None)
    env = {k: v for k, v in LIVE_ENV.items() if "DEVELOPER" not in k}
    checks = await doctor(cfg, tmp_path, env)
    assert checks["hubspot.properties"].status == "ok"
    setup = checks["hubspot.setup"]
    assert setup.status == "warn" and "rep replies cannot reach customers" in setup.detail
    assert "OPENCX_GATEWAY_HUBSPOT_DEVELOPER_KEY" in setup.fix
    chosen = ops_config(tmp_path, hubspot={**live(_url(hubspot_emulator)),
                                           "custom_channel": False})
    assert (await doctor(chosen, tmp_path, env))["hubspot.setup"].status == "ok"


async def test_deleted_custom_channel_fails(tmp_path: Path,
                                            hubspot_emulator: HubSpotEmulator) -> None:
    cfg = ops_config(tmp_path, hubspot=live(_url(hubspot_emulator)))
    await _setup(cfg, developer_key=LIVE_ENV["OPENCX_GATEWAY_HUBSPOT_DEVELOPER_KEY"])
    assert (await doctor(cfg, tmp_path, LIVE_ENV))["hubspot.setup"].status == "ok"
    hubspot_emulator.channels.clear()
    setup = (await doctor(cfg, tmp_path, LIVE_ENV))["hubspot.setup"]
    assert setup.status == "fail" and "no longer exists" in setup.detail


async def test_every_check_is_explained_in_troubleshooting(
        tmp_path: Path, hubspot_emulator: HubSpotEmulator) -> None:
    names: set[str] = set()
    for hubspot in ({"mode": "off"}, live(_url(hubspot_emulator)),
                    live(f"http://127.0.0.1:{closed_port()}")):
        checks = await doctor(ops_config(tmp_path, hubspot=hubspot), tmp_path, LIVE_ENV)
        names |= {re.sub(r" \S+@\S+$", " <address>", name) for name in checks}
    assert len(names) >= 18
    doc = (ROOT / "docs" / "troubleshooting.md").read_text()
    table = doc[doc.index("## doctor lines at a glance"):]
    missing = sorted(n for n in names if f"`{n}`" not in table)
    assert missing == []
