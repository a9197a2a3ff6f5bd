"""Doctor checks that need no network: config, database, forwarding state, signatures, queues."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from gateway.config import CONFIG_ENV, ENV_PREFIX, Config, load_config
from gateway.errors import ConfigError
from gateway.ops.checks import Check, ago, fail, ok, warn
from gateway.ops.probes import writable_dir_problem
from gateway.signatures import domain_of, pattern_problem, resolve_signature, signature_problems
from gateway.storage import migrations, queues, sessions

T = TypeVar("T")


def config_file(config_path: str | None, environ: Mapping[str, str]) -> Path:
    """The file load_config reads: --config, else $OPENCX_GATEWAY_CONFIG, else ./config.yaml."""
    return Path(config_path or environ.get(CONFIG_ENV) or "config.yaml")


def check_config(config_path: str | None,
                 environ: Mapping[str, str]) -> tuple[Config | None, Check]:
    """Load and validate the configuration exactly as the daemon does."""
    chosen = config_file(config_path, environ)
    try:
        cfg = load_config(config_path, environ)
    except ConfigError as exc:
        return None, fail("config", str(exc), "fix that key in the file (config.yaml in the "
                          "source tree documents every key) or the OPENCX_GATEWAY__ variable")
    overrides = sorted(k for k in environ if k.startswith(ENV_PREFIX))
    extra = f"; environment overrides: {', '.join(overrides)}" if overrides else ""
    facts = (f"{len(cfg.smtp.support_addresses)} support address(es), hubspot {cfg.hubspot.mode},"
             f" outbound {cfg.outbound.mode}{extra}")
    if not chosen.exists():
        return cfg, warn("config", f"no file at {chosen}: built-in defaults ({facts})",
                         "pass --config PATH or set OPENCX_GATEWAY_CONFIG")
    return cfg, ok("config", f"{chosen.resolve()} ({facts})")


def read_state(path: Path, fn: Callable[[sqlite3.Connection], T]) -> T | None:
    """Run ``fn`` on a read-only connection; None when the database does not exist yet."""
    if not path.is_file():
        return None
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=5.0)
    conn.row_factory = sqlite3.Row
    try:
        return fn(conn)
    finally:
        conn.close()


def check_database(cfg: Config) -> Check:
    """The file exists (or can be created), takes a write lock, and has every migration."""
    path = cfg.storage.path.absolute()
    problem = writable_dir_problem(path.parent)
    if problem:
        return fail("database", problem, f"make {path.parent} exist and writable by the "
                    "service user (StateDirectory= does this under systemd)")
    if not path.exists():
        return ok("database", f"{path} does not exist yet; `run` creates and migrates it")
    problem = _write_lock_problem(path, cfg.storage.busy_timeout_ms)
    if problem:
        return fail("database", f"{path}: {problem}", "check the file's owner and mode, free "
                    "disk space, and that no other program holds a write lock on it")
    try:
        missing = migrations.pending(path)
    except sqlite3.DatabaseError as exc:
        return fail("database", f"{path}: cannot read the schema: {exc}",
                    "restore the last backup (docs/operations.md, Backup)")
    if missing:
        return warn("database", f"{path}: {len(missing)} migration(s) pending: "
                    f"{', '.join(missing)}", "restart the daemon: migrations run at start")
    loose = _readable_by_others(path)
    if loose:
        return warn("database", f"{path}: writable, schema up to date, but customer mail is "
                    f"readable by other users: {', '.join(loose)}",
                    f"chmod 700 {path.parent} && chmod 600 {path}* (the daemon creates them "
                    "private; files made by older versions or by hand may not be)")
    return ok("database", f"{path}: writable, schema up to date")


def _readable_by_others(path: Path) -> list[str]:
    """The state directory and database files whose mode lets group or others in."""
    out = []
    for item in (path.parent, *sorted(path.parent.glob(path.name + "*"))):
        try:
            mode = item.stat().st_mode & 0o777
        except OSError:
            continue
        if mode & 0o077:
            out.append(f"{item.name or item} {mode:o}")
    return out


def _write_lock_problem(path: Path, busy_timeout_ms: int) -> str | None:
    """BEGIN IMMEDIATE takes the write lock the daemon needs; roll back at once."""
    try:
        conn = sqlite3.connect(str(path), timeout=min(busy_timeout_ms, 5000) / 1000,
                               isolation_level=None)
    except sqlite3.Error as exc:
        return f"cannot open: {exc}"
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
    except sqlite3.Error as exc:
        return f"not writable: {exc}"
    finally:
        conn.close()
    return None


def check_forwarding(cfg: Config) -> list[Check]:
    """Each support address: has mail come back through its forward yet?"""
    rows = read_if_ready(cfg.storage.path, sessions.list_addresses) or []
    known = {r["address"]: r for r in rows}
    return [_forwarding(cfg, a.address, cfg.smtp.forward_address(a), known.get(a.address))
            for a in cfg.smtp.support_addresses]


def _forwarding(cfg: Config, address: str, target: str, row: dict[str, Any] | None) -> Check:
    name = f"forwarding {address}"
    hint = (f"forward {address} to {target} at your mail provider, then run "
            f"`opencx-gateway send-test {address}`")
    status = row["status"] if row else "pending"
    if status == "verified":
        assert row is not None
        seen = ago(row["last_mail_at"])
        return ok(name, f"verified ({row['verified_by']}); last mail {seen}")
    if row and row["gmail_code"]:
        return warn(name, f"{status}: Gmail sent confirmation code {row['gmail_code']} for the "
                    f"forward to {target}", f"confirm it in Gmail (Settings > Forwarding) or open"
                    f" {row['gmail_link'] or 'the link in the Channels page'}; then {hint}")
    if status == "failed":
        reason = (row or {}).get("failure") or "the test mail did not come back"
        return warn(name, f"failed: {reason} (forward target {target})", hint)
    never = "" if row else " (the daemon has not started with this address yet)"
    return warn(name, f"pending: no mail has arrived through the forward to {target}{never}",
                hint)


def read_if_ready(path: Path, fn: Callable[[sqlite3.Connection], T]) -> T | None:
    """read_state, but None also when the tables are not there yet (not migrated)."""
    try:
        return read_state(path, fn)
    except sqlite3.Error:
        return None


def check_signatures(cfg: Config) -> list[Check]:
    """Every support address resolves to a signature; every configured pattern can match."""
    out: list[Check] = []
    for support in cfg.smtp.support_addresses:
        found = resolve_signature(support.address, cfg.signatures)
        name = f"signature {support.address}"
        if found.signature is None:
            out.append(warn(name, f"replies from {support.address} carry no signature: "
                            f"{found.why}", f"add a signatures entry with domain: "
                            f"{domain_of(support.address)} (or '*') to the config"))
        else:
            out.append(ok(name, found.why))
    problems = signature_problems(cfg.signatures)
    broken = any(pattern_problem(s.domain) for s in cfg.signatures)
    fix = ("write each domain as example.com, *.example.com or *; "
           "check with `opencx-gateway signature resolve ADDRESS`")
    if broken:
        out.append(fail("signatures", "; ".join(problems), fix))
    elif problems:
        out.append(warn("signatures", "; ".join(problems), fix))
    else:
        count = len(cfg.signatures)
        out.append(ok("signatures", f"{count} {'entry' if count == 1 else 'entries'}, "
                      "all well-formed"))
    return out


def check_queues(cfg: Config, now: float | None = None) -> Check:
    """Dead jobs need an operator; everything else the daemon retries on its own."""
    now = time.time() if now is None else now

    def read(conn: sqlite3.Connection) -> tuple[dict[str, Any], list[queues.Job]]:
        return (queues.depths(conn, now=now),
                queues.list_jobs(conn, statuses=("dead",), limit=1))

    state = read_if_ready(cfg.storage.path, read)
    if state is None:
        return ok("queues", "no jobs table yet (the daemon has not started)")
    depths, newest_dead = state
    dead = {q: d["dead"] for q, d in depths.items() if d.get("dead")}
    waiting = sum(d.get("ready", 0) + d.get("claimed", 0) for d in depths.values())
    if dead:
        per_queue = ", ".join(f"{q} {n}" for q, n in sorted(dead.items()))
        last = newest_dead[0] if newest_dead else None
        why = f"; newest: job {last.id} ({last.queue}): {last.last_error}" if last else ""
        return warn("queues", f"{sum(dead.values())} dead job(s) ({per_queue}){why}",
                    "fix the cause, then `opencx-gateway queue list --dead` and "
                    "`opencx-gateway queue requeue ID`")
    return ok("queues", f"{waiting} job(s) waiting or running, none dead")
