"""Issue 10.6: state files are private whatever the umask; no child process outlives kill -9."""

from __future__ import annotations

import os
import signal
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import aiosmtplib

from gateway.config import Secrets
from gateway.daemon import Gateway
from tests.child import free_port, start_daemon, wait_port, write_config
from tests.conftest import CUSTOMER, SUPPORT, build_mail, make_config, wait_until


@contextmanager
def umask(mask: int) -> Iterator[None]:
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def loose(root: Path) -> list[str]:
    """Every file under root readable by others than the owner, every such directory."""
    out = []
    for path in [root, *root.rglob("*")]:
        if path.is_symlink() or path.suffix in (".yaml", ".log"):  # the test's own files
            continue
        if mode(path) & 0o077:
            out.append(f"{path.relative_to(root.parent)} {oct(mode(path))}")
    return out


def replies(maildir: Path) -> list[Path]:
    return [p for p in (maildir / "new").glob("*") if p.is_file()] if maildir.exists() else []


async def test_state_is_private_under_a_loose_umask(tmp_path: Path) -> None:
    state = tmp_path / "var"
    cfg = make_config(tmp_path, backend="sqlite",  # the file's modes: SQLite's own
                      storage={"path": str(state / "gateway.db")},
                      outbound={"maildir": str(state / "maildir")})
    with umask(0o002):
        gw = Gateway(cfg, Secrets())  # admin token and secret key generated into var/
        await gw.start()
        try:
            host, port = gw.smtp_address
            await aiosmtplib.send(build_mail(), sender=CUSTOMER, recipients=[SUPPORT],
                                  hostname=host, port=port)
            await wait_until(lambda: replies(state / "maildir"), timeout=20)
            assert (state / "gateway.db-wal").exists() and (state / "gateway.db-shm").exists()
            assert mode(state) == 0o700
            assert loose(state) == []
        finally:
            await gw.stop()


async def test_existing_loose_state_is_tightened(tmp_path: Path) -> None:
    state = tmp_path / "var"
    state.mkdir(mode=0o755)
    os.chmod(state, 0o755)
    (state / "gateway.db").touch()
    os.chmod(state / "gateway.db", 0o644)
    gw = Gateway(make_config(tmp_path, backend="sqlite",
                             storage={"path": str(state / "gateway.db")}),
                 Secrets(secret_key="k", admin_token="t"))
    await gw.start()
    await gw.stop()
    assert mode(state / "gateway.db") == 0o600
    assert mode(state) == 0o755  # a directory we did not create is not changed, only files


def descendants(pid: int) -> set[int]:
    """All live descendants of `pid`, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    out: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.add(child)
            todo.append(child)
    return out


def alive(pid: int) -> bool:
    """Running, not a zombie waiting for init to reap it."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


async def test_kill9_leaves_no_renderer_process_and_no_readable_state(tmp_path: Path) -> None:
    """A real daemon outside systemd, umask 002, the old renderer-processes setting still in
    its config: replies render in a thread, so no child process exists to outlive a kill -9,
    and everything it wrote is private."""
    port = free_port()
    state = tmp_path / "var"
    config = write_config(tmp_path, port, storage={"path": str(state / "gw.db")},
                          outbound={"maildir": str(state / "maildir"), "render_processes": 2},
                          agent={"debounce_seconds": 0})
    proc = start_daemon(config, tmp_path / "daemon.log", preexec_fn=lambda: os.umask(0o002),
                        env={"OPENCX_GATEWAY_SECRET_KEY": ""})
    try:
        await wait_port(port)
        await aiosmtplib.send(build_mail(), sender=CUSTOMER, recipients=[SUPPORT],
                              hostname="127.0.0.1", port=port)
        await wait_until(lambda: replies(state / "maildir"), timeout=30)  # rendered
        children = descendants(proc.pid)
        assert children == set(), "a renderer process was started"
        assert loose(state) == [], (tmp_path / "daemon.log").read_text()[-2000:]
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    await wait_until(lambda: not any(alive(pid) for pid in children), timeout=15)
