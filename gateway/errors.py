"""The error tree; errors become SMTP/HTTP/worker outcomes only at the boundaries."""

from __future__ import annotations


class GatewayError(Exception):
    """Base of every error the gateway raises on purpose."""


class ConfigError(GatewayError):
    """The configuration is invalid; the message names the key and the problem."""


class StorageError(GatewayError):
    """The database could not complete a read or write (locked, disk full, ...)."""


class TemporaryFailure(GatewayError):
    """A job should be retried later (relay down, 4xx, timeouts, rate limits).

    ``retry_after`` (seconds) overrides the worker's back-off when the far side told us.
    """

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentFailure(GatewayError):
    """A job can never succeed as it stands (5xx from the relay, invalid data): bury it."""


class Discard(GatewayError):
    """A processing step decided the message needs no further steps (recorded, not an error)."""


class NotFound(GatewayError):
    """A session, message or job named by the operator does not exist."""
