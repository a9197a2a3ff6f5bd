"""The CLI against a real database: inbox, queue, signature, send-test; errors are one line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

from gateway.config import Secrets
from gateway.daemon import Gateway
from gateway.storage import queues, sessions
from tests.conftest import SUPPORT, build_mail, make_config, wait_until


def cli(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gateway.cli", "--config", str(config), *args],
                          capture_output=True, text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin", "OPENCX_GATEWAY_SECRET_KEY": "k"})


async def test_inbox_list_show_json_and_handoff(tmp_path: Path, secrets: Secrets) -> None:
    cfg = make_config(tmp_path)
    gw = Gateway(cfg, secrets)
    await gw.start()
    try:
        import aiosmtplib

        host, port = gw.smtp_address
        raw = build_mail(subject="Billing question", body="How do I reset my password?")
        await aiosmtplib.send(raw, sender="jane@customer.test", recipients=[SUPPORT],
                              hostname=host, port=port)
        await wait_until(lambda: gw.db.read_sync(lambda c: c.execute(
            "SELECT COUNT(*) FROM messages WHERE role='ai'").fetchone()[0]))
    finally:
        await gw.stop()
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(json.loads(cfg.model_dump_json())))

    listed = cli(config, "inbox", "list")
    assert listed.returncode == 0 and "Billing question" in listed.stdout
    data = json.loads(cli(config, "inbox", "list", "--json").stdout)
    sid = data[0]["id"]
    shown = json.loads(cli(config, "inbox", "show", str(sid), "--json").stdout)
    assert shown["messages"][0]["role"] == "customer"
    assert shown["messages"][0]["text"].strip() == "How do I reset my password?"

    handed = cli(config, "inbox", "handoff", str(sid), "--reason", "VIP customer")
    assert handed.returncode == 0, handed.stderr
    again = cli(config, "inbox", "handoff", str(sid))
    assert again.returncode == 1 and again.stderr.count("\n") == 1
    assert "handed_off" in again.stderr


def test_errors_are_one_readable_line(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("smtp:\n  listen: nope\n")
    bad = cli(config, "inbox", "list")
    assert bad.returncode != 0
    assert bad.stderr.strip().count("\n") == 0 and "smtp.listen" in bad.stderr
    config.write_text(f"storage:\n  path: {tmp_path / 'db.sqlite'}\n")
    missing = cli(config, "inbox", "show", "999")
    assert missing.returncode == 1 and missing.stderr.strip() == "error: no session #999"
    requeue = cli(config, "queue", "requeue", "12345")
    assert requeue.returncode == 1 and "not dead" in requeue.stderr


def test_signature_resolve_prefers_exact_domain(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({"storage": {"path": str(tmp_path / "d.db")}, "signatures": [
        {"domain": "*.acme.test", "text": "wild"}, {"domain": "help.acme.test", "text": "exact"},
        {"domain": "*", "text": "any"}]}))
    exact = json.loads(cli(config, "signature", "resolve", "a@help.acme.test", "--json").stdout)
    wild = json.loads(cli(config, "signature", "resolve", "a@eu.acme.test", "--json").stdout)
    other = json.loads(cli(config, "signature", "resolve", "a@else.test", "--json").stdout)
    assert (exact["text"], wild["text"], other["text"]) == ("exact", "wild", "any")


def test_send_test_queues_a_signed_challenge(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({
        "storage": {"path": str(tmp_path / "d.db")},
        "smtp": {"support_addresses": [{"address": "help@acme.test"}]}}))
    out = cli(config, "send-test")
    assert out.returncode == 0, out.stderr
    assert "help+acme.test@gateway.localhost" in out.stdout
    assert "loops the test mail back into its own SMTP listener" in out.stdout  # maildir mode
    from gateway.storage.db import Database

    db = Database(tmp_path / "d.db").open()
    try:
        jobs = db.read_sync(lambda c: queues.list_jobs(c, queue="outbox"))
        raw = db.read_sync(lambda c: c.execute("SELECT raw FROM outgoing").fetchone()[0])
        addr = db.read_sync(lambda c: sessions.list_addresses(c))
    finally:
        db.close()
    assert len(jobs) == 1 and b"X-OpenCX-Challenge: occ1." in raw
    assert addr[0]["challenge_sent_at"] is not None
