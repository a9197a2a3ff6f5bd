"""The in-flight byte budget: inbound mail received over SMTP and not yet parsed, in bytes."""

from __future__ import annotations


class ByteBudget:
    """Bytes of mail between DATA and the end of parsing, keyed by inbound id.

    The SMTP handler asks `try_hold` before storing a mail and answers 451 when it fails;
    the hold then passes to the processing worker, which releases it once the mail is
    parsed. Mail stored before a restart has no hold: the worker takes one with
    `hold_anyway` (never waiting, so the queue cannot deadlock on its own backlog); that
    can overshoot the capacity by what the workers process at once, and SMTP then refuses
    until it drains. A mail larger than the whole budget enters only when nothing else is
    in flight.
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.in_use = 0
        self.peak = 0
        self.refused = 0
        self._held: dict[str, int] = {}

    def try_hold(self, key: str, size: int) -> bool:
        """Hold `size` bytes for `key` if they fit (or nothing else is held); else refuse."""
        if key in self._held:
            return True
        if self.in_use and self.in_use + size > self.capacity:
            self.refused += 1
            return False
        self._take(key, size)
        return True

    def hold_anyway(self, key: str, size: int) -> None:
        """Hold `size` bytes for `key` even beyond the capacity (mail already stored)."""
        if key not in self._held:
            self._take(key, size)

    def holds(self, key: str) -> bool:
        return key in self._held

    def release(self, key: str) -> None:
        self.in_use -= self._held.pop(key, 0)

    def _take(self, key: str, size: int) -> None:
        self._held[key] = size
        self.in_use += size
        self.peak = max(self.peak, self.in_use)
