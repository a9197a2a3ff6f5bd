"""Issue 10.9, first run: --version, python -m gateway, --config anywhere, port clashes that
name the setting, a shipped config that answers at once."""

from __future__ import annotations

import socket
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from gateway.config import load_config
from tests.child import write_config

ROOT = Path(__file__).resolve().parent.parent
ENV = {"PATH": "/usr/bin:/bin", "OPENCX_GATEWAY_SECRET_KEY": "k",
       "OPENCX_GATEWAY_ADMIN_TOKEN": "t"}


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=60,
                          env=ENV, cwd=cwd)


@pytest.mark.parametrize("entry", [["-m", "gateway"], ["-m", "gateway.cli"]])
def test_version(entry: list[str]) -> None:
    done = run(*entry, "--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"opencx-gateway {version('opencx-gateway')}"


def test_python_m_gateway_is_the_cli() -> None:
    done = run("-m", "gateway", "--help")
    assert done.returncode == 0 and "inbox" in done.stdout and "run" in done.stdout


@pytest.mark.parametrize("args", [
    ["check-config", "--config", "{cfg}"],
    ["--config", "{cfg}", "check-config"],
    ["check-config", "--config={cfg}"],
    ["inbox", "list", "--config", "{cfg}"],
    ["inbox", "--config", "{cfg}", "list"],
    ["queue", "list", "--config", "{cfg}"],
    ["status", "--config", "{cfg}"],
])
def test_config_is_accepted_before_or_after_the_subcommand(tmp_path: Path,
                                                           args: list[str]) -> None:
    cfg = write_config(tmp_path, 2525, storage={"path": str(tmp_path / "elsewhere.db")})
    done = run("-m", "gateway", *(a.format(cfg=cfg) for a in args), cwd=tmp_path.parent)
    assert done.returncode == 0, done.stdout + done.stderr
    if args[0] == "check-config":
        assert "elsewhere.db" in done.stdout  # this file, not ./config.yaml


@pytest.mark.parametrize(("setting", "env"), [
    ("smtp.listen", "OPENCX_GATEWAY__SMTP__LISTEN"),
    ("http.listen", "OPENCX_GATEWAY__HTTP__LISTEN"),
    ("hubspot.emulator.listen", "OPENCX_GATEWAY__HUBSPOT__EMULATOR__LISTEN"),
])
def test_port_clash_names_the_setting(tmp_path: Path, setting: str, env: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        listen = {"listen": f"127.0.0.1:{port}"}
        sections = {"smtp.listen": {"smtp": listen}, "http.listen": {"http": listen},
                    "hubspot.emulator.listen": {"hubspot": {"mode": "emulator",
                                                            "emulator": listen}}}[setting]
        cfg = write_config(tmp_path, port if setting == "smtp.listen" else 0, **sections)
        done = run("-m", "gateway", "run", "--config", str(cfg))
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert f"127.0.0.1:{port}" in last and setting in last and env in last, done.stderr


def test_shipped_config_answers_at_once_and_says_so() -> None:
    cfg = load_config(ROOT / "config.yaml", environ={})
    assert cfg.agent.debounce_seconds <= 2
    readme = (ROOT / "README.md").read_text()
    assert "apt-get install swaks" in readme.split("## Try it")[1].split("##")[0]
    assert "debounce_seconds" in readme


def test_check_config_names_the_postgresql_database_without_its_password(
        tmp_path: Path) -> None:
    cfg = write_config(tmp_path, 2525, storage={"url": "postgresql://gw@cfg.example.test/gw"})
    url = "postgresql://gw:s3cret@db.example.test:5432/gateway"  # the environment wins
    done = subprocess.run([sys.executable, "-m", "gateway", "check-config", "--config", str(cfg)],
                          capture_output=True, text=True, timeout=60,
                          env={**ENV, "OPENCX_GATEWAY_DATABASE_URL": url})
    assert done.returncode == 0, done.stderr
    assert "db.example.test:5432/gateway" in done.stdout and "s3cret" not in done.stdout
    assert "gw.db" not in done.stdout  # not the unused SQLite default
