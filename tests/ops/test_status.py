"""status: queue depths, dead and retrying jobs, sessions, last mail and health from a real DB."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

from gateway.config import Config, Secrets
from gateway.daemon import Gateway
from gateway.ops.status import collect
from gateway.storage import queues, sessions
from gateway.storage.db import Database
from tests.conftest import CUSTOMER, SUPPORT

from .conftest import closed_port, ops_config, run_cli, write_config

NOW = 1_800_000_000.0


def _seed(cfg: Config) -> dict[str, int]:
    """Jobs in every state, two sessions, one inbound mail, one failed outgoing mail."""
    db = Database(cfg.storage.url or cfg.storage.path).open()

    def fn(conn: sqlite3.Connection) -> dict[str, int]:
        kw = {"max_attempts": 3}
        waiting = queues.enqueue(conn, "outbox", {"outgoing_id": 1}, now=NOW - 120, **kw)
        retrying = queues.enqueue(conn, "hubspot", {"session_id": 1}, now=NOW - 60, **kw)
        dead = queues.enqueue(conn, "outbox", {"outgoing_id": 2}, now=NOW - 30, **kw)
        assert waiting and retrying and dead
        queues.claim(conn, "hubspot", now=NOW - 50, lease=60)
        queues.retry(conn, retrying, now=NOW - 40, delay=100, error="HubSpot: HTTP 503 busy")
        queues.bury(conn, dead, now=NOW - 10, error="relay: rcpt refused: 550 no such user")
        sessions.insert_inbound(conn, id="in-1", now=NOW - 300, peer="127.0.0.1", helo="x",
                                mail_from=CUSTOMER, rcpt_tos=[SUPPORT], raw=b"Subject: x\r\n\r\nhi")
        for n in range(2):
            sid = sessions.create_session(conn, token=f"t{n}", support_address=SUPPORT,
                                          contact_email=CUSTOMER, contact_name="", subject="s",
                                          now=NOW)
        sessions.update_session(conn, sid, NOW, status="handed_off")
        out = sessions.insert_outgoing(conn, session_id=sid, message_row=None, message_id="m1",
                                       mail_from=SUPPORT, rcpt_to=CUSTOMER, raw=b"x", now=NOW)
        assert out
        sessions.mark_outgoing(conn, out, status="dead", now=NOW, error="550 no such user")
        return {"waiting": waiting, "retrying": retrying, "dead": dead}

    try:
        return db.write_sync(fn)
    finally:
        db.close()


async def test_collect_reads_depths_dead_jobs_sessions_and_mail(tmp_path: Path) -> None:
    cfg = ops_config(tmp_path, http={"listen": f"127.0.0.1:{closed_port()}"})
    ids = _seed(cfg)
    data = await collect(cfg, Secrets(), probe=False, now=NOW)
    assert data["daemon"]["running"] is False
    state = data["state"]
    assert state["queues"]["outbox"] == {"ready": 1, "claimed": 0, "dead": 1, "retrying": 0,
                                         "oldest_age": 120.0}
    assert state["queues"]["hubspot"]["retrying"] == 1
    [dead] = state["dead_jobs"]
    assert dead["id"] == ids["dead"] and dead["last_error"].startswith("relay: rcpt refused")
    [retrying] = state["retrying_jobs"]
    assert retrying["id"] == ids["retrying"] and retrying["not_before"] == NOW + 60
    assert state["sessions"] == {"ai": 1, "handed_off": 1, "closed": 0}
    assert state["last_inbound"]["id"] == "in-1"
    assert state["last_inbound"]["received_at"] == NOW - 300
    assert state["inbound_24h"] == 1
    assert state["outgoing"]["counts"] == {"dead": 1}
    assert state["outgoing"]["last_error"]["last_error"] == "550 no such user"
    assert data["health"] == {}


async def test_cli_json_and_human_output(tmp_path: Path) -> None:
    cfg = ops_config(tmp_path, http={"listen": f"127.0.0.1:{closed_port()}"})
    ids = _seed(cfg)
    path = write_config(cfg, tmp_path / "config.yaml")
    code, out, err = await run_cli(path, "status", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["state"]["dead_jobs"][0]["id"] == ids["dead"]
    assert [c["name"] for c in data["health"]["relay"]] == ["relay"]
    assert data["health"]["hubspot"][0]["status"] == "warn"  # mode off
    assert "payload" not in out and "hi" not in json.dumps(data["state"]["last_inbound"])
    code, out, err = await run_cli(path, "status", "--no-probe")
    assert code == 0, err
    assert "daemon      not running" in out
    assert "sessions    ai 1, handed_off 1, closed 0" in out
    assert f"dead        job {ids['dead']} outbox after 0 attempt(s)" in out
    assert "relay: rcpt refused: 550 no such user" in out
    assert f"retrying    job {ids['retrying']} hubspot attempt 1/3" in out
    assert "HubSpot: HTTP 503 busy" in out
    assert "mail out    dead 1;" in out
    assert "relay       mode maildir (not probed)" in out


async def test_running_daemon_reports_ready(tmp_path: Path) -> None:
    cfg = ops_config(tmp_path)
    gw = Gateway(cfg, Secrets(admin_token="a", secret_key="k"))
    await gw.start()
    try:
        assert gw.http_url
        seen = cfg.model_copy(update={"http": cfg.http.model_copy(
            update={"listen": gw.http_url.removeprefix("http://")})})
        data = await collect(seen, Secrets(), probe=True, now=time.time())
    finally:
        await gw.stop()
    assert data["daemon"]["running"] is True and data["daemon"]["ready"] is True
    assert data["daemon"]["checks"] == {"database": "ok", "smtp": "ok", "workers": "ok"}
    assert data["health"]["relay"][0]["status"] == "ok"
    assert data["state"]["queues"] == {} or all(
        q["dead"] == 0 for q in data["state"]["queues"].values())
