"""A throw-away stock Postfix for the ingest bench: own folders, a loopback port, discard delivery.

Every directory (config, queue, data) lives in a temporary folder, smtpd listens on one
loopback port, mail for the bench domain is accepted and handed to the `discard` transport,
so what is measured is Postfix's durable enqueue: cleanup writes the queue file and fsyncs it
before smtpd answers 250. Needs Postfix installed (`/usr/sbin/postfix`) and root (master runs
its daemons as the `postfix` user). Nothing else is changed: the system's /etc/postfix is
neither read nor written.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

POSTFIX = "/usr/sbin/postfix"
POSTCONF = "/usr/sbin/postconf"

# Postfix's own services, as in its master.cf.dist, without chroot (the queue is a temp dir)
SERVICES = """\
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""


def unavailable() -> str | None:
    """Why a throw-away Postfix cannot run here, or None when it can."""
    if not (Path(POSTFIX).exists() and Path(POSTCONF).exists()):
        return "Postfix is not installed (apt-get install postfix)"
    if os.geteuid() != 0:
        return "needs root (Postfix's master starts its daemons as the postfix user)"
    return None


def main_cf(root: Path, domain: str) -> str:
    """main.cf: every path inside ``root``; ``domain`` accepted from loopback and discarded."""
    settings = {
        "compatibility_level": "3.6",
        "queue_directory": root / "spool",
        "data_directory": root / "data",
        "maillog_file": root / "maillog",
        "maillog_file_prefixes": root,
        "myhostname": "postfix.bench",
        "mydomain": "bench.invalid",
        "myorigin": "$myhostname",
        "inet_interfaces": "loopback-only",
        "inet_protocols": "ipv4",
        "mynetworks": "127.0.0.0/8",
        "mydestination": f"$myhostname, {domain}",
        "local_recipient_maps": "",  # no user lookups: every address of the domain is local
        "local_transport": "discard:bench",
        "default_transport": "discard:bench",
        "smtpd_relay_restrictions": "reject_unauth_destination",  # only the bench domain
        "alias_maps": "", "alias_database": "",
        "biff": "no",
        "smtputf8_enable": "no",
    }
    return "".join(f"{k} = {v}\n" for k, v in settings.items())


def master_cf(port: int) -> str:
    """master.cf: smtpd on 127.0.0.1:``port`` and Postfix's internal services."""
    return f"127.0.0.1:{port} inet n - n - - smtpd\n{SERVICES}"


class PostfixServer:
    """One Postfix instance in a new temp folder, listening on 127.0.0.1:``port``.

    The folder is its own (``tempfile.mkdtemp``, opened to 0755) because the postfix user
    must reach the queue and data directories, which a private parent folder would forbid.
    """

    def __init__(self, port: int, domain: str) -> None:
        root = Path(tempfile.mkdtemp(prefix="bench-postfix-"))
        self.root, self.port = root, port
        self.config = root / "etc"
        try:
            for folder in (self.config, root / "spool", root / "data"):
                folder.mkdir(parents=True, exist_ok=True)
            root.chmod(0o755)  # the postfix user walks to its queue and data directories
            shutil.chown(root / "data", "postfix")
            (self.config / "main.cf").write_text(main_cf(root, domain))
            (self.config / "master.cf").write_text(master_cf(port))
        except (OSError, LookupError):  # no postfix user, a full disk: leave nothing behind
            self.remove()
            raise

    def postfix(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run([POSTFIX, "-c", str(self.config), *args], check=check,
                              capture_output=True, text=True)

    def check(self) -> str:
        """`postfix check` (creates the queue's folders, fixes owners); its warnings."""
        done = self.postfix("check", check=False)
        if done.returncode:
            raise RuntimeError(f"postfix check failed: {done.stdout}{done.stderr}{self.log()}")
        return done.stdout + done.stderr

    def log(self) -> str:
        """The instance's own log (maillog_file), empty before Postfix wrote it."""
        try:
            return (self.root / "maillog").read_text()
        except OSError:
            return ""

    def start(self) -> PostfixServer:
        self.check()
        done = self.postfix("start", check=False)
        if done.returncode:
            raise RuntimeError(f"postfix start failed: {done.stdout}{done.stderr}{self.log()}")
        return self

    def master_pid(self) -> int | None:
        try:
            return int((self.root / "spool/pid/master.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def stop(self, timeout: float = 10.0) -> None:
        """`postfix stop`, then SIGKILL for a master that has not exited by ``timeout``."""
        pid = self.master_pid()
        self.postfix("stop", check=False)
        deadline = time.monotonic() + timeout
        while pid and alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if pid and alive(pid):
            os.kill(pid, signal.SIGKILL)

    def cpu_seconds(self) -> float:
        """CPU time (user + system) of master, its live daemons and the daemons it reaped."""
        pid = self.master_pid()
        if pid is None:
            return 0.0
        total = 0.0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rpartition(")")[2].split()
            except OSError:
                continue  # exited meanwhile: its time is in master's reaped children
            if stat.parent.name == str(pid):  # own time and that of reaped daemons
                total += sum(int(f) for f in fields[11:15])
            elif fields[1] == str(pid):
                total += int(fields[11]) + int(fields[12])
        return total / os.sysconf("SC_CLK_TCK")

    def wait_delivered(self, timeout: float = 60.0) -> None:
        """Until the queue is empty: every accepted mail handed to discard and removed."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not any(any((self.root / "spool" / q).rglob("*"))
                       for q in ("maildrop", "incoming", "active", "deferred")):
                return
            time.sleep(0.05)

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie (master is not our child, so it is reaped by init) counts as gone
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return False
