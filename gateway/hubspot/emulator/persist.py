"""The embedded emulator's state as a JSON file: loaded at start, rewritten after each change.

Without it every restart of a trial install forgot all contacts and tickets while the
gateway's database kept their ids, and the next ticket created took an id an old session
still held. The file is written atomically (temporary file, fsync, rename) after every
successful mutating request, before its response leaves, and once more at shutdown.
"""

from __future__ import annotations

import base64
import itertools
import json
import logging
import os
import re
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from aiohttp import web

from gateway.hubspot.emulator.files import StoredFile
from gateway.hubspot.emulator.state import Assoc, CrmObject, EmulatorState, Thread

log = logging.getLogger(__name__)
VERSION = 1
_DICTS = ("property_defs", "pipelines", "inboxes", "messages", "channels", "accounts", "agents")
_READS = frozenset({"GET", "HEAD", "OPTIONS"})


def _counter_value(counter: Any) -> int:
    """The next value of an itertools.count without consuming it (its repr is 'count(N)')."""
    found = re.fullmatch(r"count\((-?\d+)\)", repr(counter))
    if found is None:
        raise ValueError(f"unexpected counter {counter!r}")
    return int(found.group(1))


def snapshot(state: EmulatorState) -> dict[str, Any]:
    """Everything the emulator serves from, as JSON-able data (settings are not state)."""
    return {
        "version": VERSION,
        "clock_offset": state.clock_offset,
        "ids": {kind: _counter_value(c) for kind, c in state._ids.items()},
        "objects": {kind: [asdict(o) for o in state.store(kind).values()]
                    for kind in ("contacts", "tickets", "notes")},
        "associations": sorted(list(a) for a in state.associations),
        "threads": [asdict(t) for t in state.threads.values()],
        "thread_keys": [[*k, v] for k, v in state.thread_keys.items()],
        "publish_keys": [[*k, v] for k, v in state.publish_keys.items()],
        "subscriptions": state.subscriptions,
        "files": [{"id": key, "meta": f.meta, "content_type": f.content_type,
                   "data": base64.b64encode(f.data).decode("ascii")}
                  for key, f in state.files.items()],
        **{name: getattr(state, name) for name in _DICTS},
    }


def restore(state: EmulatorState, data: dict[str, Any]) -> None:
    """Load a snapshot into ``state`` in place (others hold references to its dicts)."""
    if data.get("version") != VERSION:
        raise ValueError(f"unknown emulator state version {data.get('version')!r}")
    state.clock_offset = float(data["clock_offset"])
    for kind, value in data["ids"].items():
        state._ids[kind] = itertools.count(int(value))
    for kind, rows in data["objects"].items():
        store = state.store(kind)
        store.clear()
        for row in rows:
            row["index"] = [(at, props) for at, props in row["index"]]
            store[row["id"]] = CrmObject(**row)
    state.associations.clear()
    state.associations.update(Assoc(*a) for a in data["associations"])
    state.threads.clear()
    state.threads.update({t["id"]: Thread(**t) for t in data["threads"]})
    state.thread_keys.clear()
    state.thread_keys.update({(a, b): v for a, b, v in data["thread_keys"]})
    state.publish_keys.clear()
    state.publish_keys.update({(a, b): v for a, b, v in data["publish_keys"]})
    state.subscriptions[:] = data["subscriptions"]
    state.files.clear()
    state.files.update({f["id"]: StoredFile(f["meta"], base64.b64decode(f["data"]),
                                            f["content_type"]) for f in data.get("files", [])})
    for name in _DICTS:
        target = getattr(state, name)
        target.clear()
        target.update(data[name])


def save(state: EmulatorState, path: Path) -> None:
    """Write the snapshot atomically: readers see the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(snapshot(state), fh, separators=(",", ":"))
        fh.flush()
        os.fsync(fh.fileno())
    os.chmod(tmp, 0o600)  # customer names and mail text
    os.replace(tmp, path)


def load(state: EmulatorState, path: Path) -> bool:
    """Restore from ``path`` if it exists; True if something was loaded."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return False
    restore(state, data)
    log.info("hubspot emulator state loaded from %s (%d contacts, %d tickets)",
             path, len(state.contacts), len(state.tickets))
    return True


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def saving_middleware(state: EmulatorState, path: Path) -> Any:
    """aiohttp middleware: after a successful mutating request, save before answering."""

    @web.middleware
    async def persist(request: web.Request, handler: Handler) -> web.StreamResponse:
        response = await handler(request)
        if request.method not in _READS and response.status < 400:
            save(state, path)
        return response

    return persist
