"""Send marks: "sending" just before DATA, "accepted" on the relay's 250, to survive a crash.

The outbox records "sent" in the database on the relay's 250, but that write waits its turn
in the single writer; a kill -9 in that gap used to resend the mail. Two marks close it:

- ``accepted`` is written the instant the 250 arrives, so a restarted (or another) instance
  records the mail as sent instead of sending it again;
- ``sending`` is written once the relay has taken the envelope, just before DATA, and removed
  when the outcome is known. A ``sending`` mark without ``accepted`` after a crash means the
  relay may or may not hold the mail: the outbox then does not guess (``outbound.uncertain``).

One instance (SQLite) keeps them as empty files created with a plain syscall: they survive
the death of the process at once (the kernel holds them); not fsynced, as the database commit
that follows is the durable record. Several instances (PostgreSQL) keep them in the shared
database (:mod:`gateway.storage.sendmarks`), written on a connection held for the send.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

State = Literal["sending", "accepted"]


@dataclass(frozen=True)
class Mark:
    """What a mark says about one Message-ID, and whether its writer may still be at work."""

    state: State
    owner: str | None = None  # the instance that wrote it (None: an earlier run of this one)
    owner_alive: bool = False  # that instance still beats (its lease may just have expired)


class SendMarks(Protocol):
    """Where the outbox leaves its marks (files for one instance, the database for several)."""

    async def sending(self, message_id: str) -> None: ...

    async def accepted(self, message_id: str) -> None: ...

    async def state(self, message_id: str) -> Mark | None: ...

    async def clear(self, message_id: str) -> None: ...

    def release(self, message_id: str) -> None:
        """The send ended without an outcome (cancelled): keep the marks, free what it held."""

    async def close(self) -> None: ...


class FileMarks:
    """One empty file per Message-ID and state under ``folder`` (created 0700)."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)

    def _path(self, message_id: str, state: State) -> Path:
        name = hashlib.sha256(message_id.encode()).hexdigest()
        return self.folder / (name if state == "accepted" else f"{name}.sending")

    def _touch(self, message_id: str, state: State) -> None:
        fd = os.open(self._path(message_id, state), os.O_WRONLY | os.O_CREAT, 0o600)
        os.close(fd)  # durable against a process crash once this returns

    async def sending(self, message_id: str) -> None:
        self._touch(message_id, "sending")

    async def accepted(self, message_id: str) -> None:
        self._touch(message_id, "accepted")

    async def state(self, message_id: str) -> Mark | None:
        for state in ("accepted", "sending"):
            if self._path(message_id, state).exists():  # type: ignore[arg-type]
                return Mark(state)  # type: ignore[arg-type]
        return None

    async def clear(self, message_id: str) -> None:
        self._path(message_id, "accepted").unlink(missing_ok=True)
        self._path(message_id, "sending").unlink(missing_ok=True)

    def release(self, message_id: str) -> None:
        return None

    async def close(self) -> None:
        return None
