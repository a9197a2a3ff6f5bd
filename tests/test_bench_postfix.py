"""The ingest bench's throw-away Postfix: its config passes `postfix check`, accepts, stops."""

from __future__ import annotations

import smtplib
import subprocess

import pytest

from bench import postfix
from bench.common import free_port, wait_port

WHY = postfix.unavailable()
pytestmark = pytest.mark.skipif(
    WHY is not None, reason=f"bench Postfix cannot run here: {WHY} (CI machines lack postfix)")


def postconf(server: postfix.PostfixServer, *args: str) -> str:
    return subprocess.run([postfix.POSTCONF, "-c", str(server.config), *args], check=True,
                          capture_output=True, text=True).stdout


def test_config_passes_postfix_check_and_stays_in_its_folder() -> None:
    server = postfix.PostfixServer(free_port(), "bench.test")
    try:
        assert server.check().strip() == ""  # no warning either
        for name in ("queue_directory", "data_directory", "maillog_file"):
            assert postconf(server, "-h", name).strip().startswith(str(server.root))
        assert postconf(server, "-h", "default_transport").strip() == "discard:bench"
        assert postconf(server, "-h", "local_transport").strip() == "discard:bench"
        inet = [line for line in postconf(server, "-M").splitlines() if " inet " in line]
        assert len(inet) == 1 and inet[0].startswith(f"127.0.0.1:{server.port} ")
    finally:
        server.remove()
    assert not server.root.exists()


def test_accepts_bench_mail_then_stops_and_leaves_nothing() -> None:
    server = postfix.PostfixServer(free_port(), "bench.test")
    try:
        server.start()
        wait_port(server.port)
        pid = server.master_pid()
        assert pid is not None and postfix.alive(pid)
        with smtplib.SMTP("127.0.0.1", server.port, timeout=30) as client:
            refused = client.sendmail("c@bench.test", ["support@bench.test"],
                                      b"Subject: t\r\n\r\nhello\r\n")
            assert refused == {}
            with pytest.raises(smtplib.SMTPRecipientsRefused):  # not an open relay
                client.sendmail("c@bench.test", ["someone@elsewhere.example"], b"\r\nx\r\n")
    finally:
        server.stop()
        server.remove()
    assert not postfix.alive(pid)
    assert not server.root.exists()
