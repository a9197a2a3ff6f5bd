"""Threading tokens: session tokens inside our Message-IDs and ticket numbers in subjects."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable

TOKEN_LENGTH = 12
# Lower-case base32: survives systems that change the case of Message-IDs, no '.' or '@'.
_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"
_TOKEN = rf"[a-z2-7]{{{TOKEN_LENGTH}}}"
_UNIQUE = re.compile(r"[A-Za-z0-9._=+-]{1,200}")
_OUR_ID = re.compile(rf"opencx\.({_TOKEN})\.[A-Za-z0-9._=+-]{{1,200}}@([^@\s<>]+)")
_TICKET = re.compile(r"\[#(\d{1,18})\]")
_REPLY_PREFIX = re.compile(
    r"^\s*(?:(?:re|aw|sv|vs|antw|antwort|ref|rif|res|r|fw|fwd|wg|tr|enc|rv)"
    r"(?:\s*\[\d+\]|\s*\(\d+\))?\s*[:：]\s*)+",
    re.IGNORECASE,
)


def new_session_token(rand: Callable[[int], bytes] = os.urandom) -> str:
    """12 characters of lower-case base32 (60 random bits) for one conversation."""
    value = int.from_bytes(rand(8), "big") >> 4
    chars = []
    for _ in range(TOKEN_LENGTH):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    return "".join(chars)


def make_message_id(session_token: str, hostname: str, unique: str) -> str:
    """Our Message-ID (without <>): opencx.<token>.<unique>@<hostname>."""
    if not re.fullmatch(_TOKEN, session_token):
        raise ValueError(f"not a session token: {session_token!r}")
    if not _UNIQUE.fullmatch(unique):
        raise ValueError(f"unique part must match {_UNIQUE.pattern}: {unique!r}")
    host = hostname.strip().lower()
    if not host or not re.fullmatch(r"[^@\s<>]+", host):
        raise ValueError(f"not a hostname: {hostname!r}")
    return f"opencx.{session_token}.{unique}@{host}"


def session_token_from_ids(ids: Iterable[str], hostname: str) -> str | None:
    """The session token of the first id that is one of ours (made for this hostname).

    Pass In-Reply-To first, then References newest first, so the closest ancestor wins.
    """
    host = hostname.strip().lower()
    for raw in ids:
        match = _OUR_ID.fullmatch(raw.strip().strip("<>").strip().lower())
        if match and match.group(2) == host:
            return match.group(1)
    return None


def subject_ticket_number(subject: str) -> int | None:
    """'Re: Refund [#12345]' -> 12345 (the last tag wins if several)."""
    found = _TICKET.findall(subject)
    return int(found[-1]) if found else None


def base_subject(subject: str) -> str:
    """Subject without reply/forward prefixes, ticket tags and extra whitespace."""
    text = " ".join(_TICKET.sub(" ", subject).split())
    previous = None
    while previous != text:
        previous = text
        text = _REPLY_PREFIX.sub("", text).strip()
    return text


def reply_subject(subject: str, number: int) -> str:
    """'Re: <subject> [#number]', without piling up prefixes or tags."""
    core = base_subject(subject)
    return f"Re: {core} [#{number}]" if core else f"Re: [#{number}]"
