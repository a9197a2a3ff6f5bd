"""Outage bookkeeping for a remote dependency: logged once when it starts and once when it ends."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)


class Outage:
    """Tracks whether a dependency (the relay, HubSpot) is failing, without log spam."""

    def __init__(self, what: str, clock: Callable[[], float] = time.time) -> None:
        self.what = what
        self.clock = clock
        self.since: float | None = None
        self.reason: str | None = None
        self.failures = 0

    @property
    def active(self) -> bool:
        return self.since is not None

    def failed(self, reason: str) -> bool:
        """Record a failure; True (and one ERROR line) only when it starts an outage."""
        self.failures += 1
        self.reason = reason
        if self.since is not None:
            return False
        self.since = self.clock()
        log.error("%s outage started: %s (retrying with back-off)", self.what, reason)
        return True

    def recovered(self) -> None:
        """Record a success; one INFO line when it ends an outage."""
        if self.since is None:
            return
        log.info("%s outage ended after %.0fs, %d failed attempts (last: %s)",
                 self.what, self.clock() - self.since, self.failures, self.reason)
        self.since, self.reason, self.failures = None, None, 0

    def snapshot(self) -> dict[str, Any]:
        return {"active": self.active, "since": self.since, "reason": self.reason,
                "failures": self.failures}
