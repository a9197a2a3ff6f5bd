"""The systemd unit: `systemd-analyze verify` passes, the hardening holds, the paths agree."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from gateway.config import SECRET_NAMES

from .conftest import ROOT

UNIT = ROOT / "systemd" / "opencx-gateway.service"
EXPOSURE_THRESHOLD = 25  # `systemd-analyze security` scale 0-100: 25 = "2.5 OK"


def _analyze() -> str:
    found = shutil.which("systemd-analyze")
    if found is None:
        pytest.fail("systemd-analyze is missing: install systemd (.ci/run does)")
    return found


def _service() -> dict[str, list[str]]:
    """[Service] settings; repeated keys keep every value in order."""
    out: dict[str, list[str]] = {}
    section = ""
    for raw in UNIT.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            section = line
            continue
        if section == "[Service]":
            key, _, value = line.partition("=")
            out.setdefault(key, []).append(value)
    return out


def _testable_copy(tmp_path: Path) -> Path:
    """The unit with ExecStart pointing at a binary that exists here (verify checks it)."""
    executable = Path(sys.executable).with_name("opencx-gateway")
    if not executable.exists():
        executable = Path(sys.executable)
    text = "\n".join(f"ExecStart={executable} run" if line.startswith("ExecStart=") else line
                     for line in UNIT.read_text().splitlines())
    copy = tmp_path / UNIT.name
    copy.write_text(text + "\n")
    return copy


def test_unit_verifies(tmp_path: Path) -> None:
    result = subprocess.run([_analyze(), "verify", str(_testable_copy(tmp_path))],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    ours = [line for line in result.stderr.splitlines() if UNIT.name in line]
    assert ours == []  # no warnings about our unit either (e.g. "Unknown key")


def test_unit_exposure_stays_low(tmp_path: Path) -> None:
    result = subprocess.run([_analyze(), "security", "--offline=true",
                             f"--threshold={EXPOSURE_THRESHOLD}", "--no-pager",
                             str(_testable_copy(tmp_path))],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr


def test_unit_is_notify_with_watchdog_restart_and_hardening() -> None:
    s = _service()
    expected = {
        "Type": "notify", "NotifyAccess": "main", "Restart": "on-failure",
        "StateDirectory": "opencx-gateway", "ConfigurationDirectory": "opencx-gateway",
        "DynamicUser": "yes", "User": "opencx-gateway", "UMask": "0077",
        "AmbientCapabilities": "CAP_NET_BIND_SERVICE",
        "CapabilityBoundingSet": "CAP_NET_BIND_SERVICE",
        "NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes",
        "PrivateTmp": "yes", "PrivateDevices": "yes", "ProtectKernelTunables": "yes",
        "ProtectKernelModules": "yes", "ProtectKernelLogs": "yes", "LockPersonality": "yes",
        "MemoryDenyWriteExecute": "yes", "RestrictRealtime": "yes", "RestrictSUIDSGID": "yes",
        "RestrictAddressFamilies": "AF_UNIX AF_INET AF_INET6",
        "SystemCallFilter": "@system-service",
        "EnvironmentFile": "-/etc/opencx-gateway/env",
    }
    for key, value in expected.items():
        assert s.get(key) == [value], (key, s.get(key))
    assert s["WatchdogSec"] and s["ExecStart"][0].endswith("opencx-gateway run")


def test_unit_paths_match_the_state_and_config_directories() -> None:
    env = dict(v.split("=", 1) for v in _service()["Environment"])
    assert env["OPENCX_GATEWAY_CONFIG"] == "/etc/opencx-gateway/config.yaml"
    assert env["OPENCX_GATEWAY__STORAGE__PATH"] == "/var/lib/opencx-gateway/gateway.db"
    assert _service()["WorkingDirectory"] == ["/var/lib/opencx-gateway"]


def test_every_secret_can_come_from_a_credential() -> None:
    """LoadCredential=NAME (no path): found in /etc/credstore, skipped when missing."""
    loaded = _service()["LoadCredential"]
    assert sorted(loaded) == sorted(SECRET_NAMES.values())


def test_unit_parses_as_ini() -> None:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.read_string(UNIT.read_text())
    assert parser.sections() == ["Unit", "Service", "Install"]
    assert parser["Install"]["WantedBy"] == "multi-user.target"
