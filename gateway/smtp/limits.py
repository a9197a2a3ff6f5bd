"""Per-connection SMTP policy: which addresses are well formed, commands and mails allowed."""

from __future__ import annotations

from collections import Counter

# Commands that move no mail forward: a loop of them is what `smtp.command_limit` stops.
IDLE_COMMANDS = frozenset({"NOOP", "RSET", "HELP", "VRFY", "EXPN", "HELO", "EHLO", "STARTTLS",
                           "AUTH"})


def well_formed(address: str) -> bool:
    """False for an address no mail system can mean: control characters, or 8-bit bytes that
    are not UTF-8 (aiosmtpd keeps those as lone surrogates). UTF-8 addresses stay welcome."""
    return not any(ord(ch) < 0x20 or ord(ch) == 0x7F or 0xD800 <= ord(ch) <= 0xDFFF
                   for ch in address)


class CommandBudget:
    """Counts one connection's commands: at most `idle_limit` commands that deliver nothing
    between two mails (renewed by every mail that reaches DATA), at most `max_messages`
    transactions (MAIL FROM) in all. A relay reusing its connection is never cut off early."""

    def __init__(self, idle_limit: int, max_messages: int) -> None:
        self.idle_limit = idle_limit
        self.max_messages = max_messages
        self.idle = 0
        self.messages = 0

    def refuse(self, command: str) -> str | None:
        """The reason to close the connection before running `command`, or None to run it."""
        if command in IDLE_COMMANDS or command == "RCPT":
            if self.idle >= self.idle_limit:
                return f"{command} sent too many times without mail"
            self.idle += command != "RCPT"  # RCPT counts only when refused: rcpt_refused()
        elif command == "MAIL":
            if self.messages >= self.max_messages:
                return "too many mails on one connection, please reconnect"
            self.messages += 1
        return None

    def rcpt_refused(self) -> None:
        """A refused recipient is a command without mail (a dictionary attack is a loop)."""
        self.idle += 1

    def delivered(self) -> None:
        self.idle = 0


class PeerCounts:
    """Live connections per client IP, for `smtp.max_sessions_per_client`."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.live: Counter[str] = Counter()

    def admit(self, ip: str) -> bool:
        if self.live[ip] >= self.limit:
            return False
        self.live[ip] += 1
        return True

    def release(self, ip: str) -> None:
        self.live[ip] -= 1
        if self.live[ip] <= 0:
            del self.live[ip]
