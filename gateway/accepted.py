"""Marks of mail the relay accepted, written the instant its 250 arrives (before any commit).

The outbox records "sent" in the database on the relay's 250, but that write waits its turn in
the single writer; a kill -9 in that gap used to resend the mail. A mark is one empty file
created with a plain syscall, which survives the death of the process at once (the kernel
holds it). It is not fsynced: the database commit that follows within milliseconds is the
durable record, so only a power cut inside that gap can still cause a resend. The outbox
checks the mark before sending and removes it once the database says "sent".
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


class AcceptedMarks:
    """One file per Message-ID under ``folder`` (created 0700)."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)

    def _path(self, message_id: str) -> Path:
        return self.folder / hashlib.sha256(message_id.encode()).hexdigest()

    def mark(self, message_id: str) -> None:
        """Create the mark (durable against a process crash when this returns)."""
        fd = os.open(self._path(message_id), os.O_WRONLY | os.O_CREAT, 0o600)
        os.close(fd)

    def seen(self, message_id: str) -> bool:
        return self._path(message_id).exists()

    def clear(self, message_id: str) -> None:
        self._path(message_id).unlink(missing_ok=True)
