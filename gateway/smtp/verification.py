"""Forwarding verification: Gmail confirmation mails and our own signed test challenges."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from dataclasses import dataclass

from gateway.smtp.parse import ParsedMail, normalize_email

GMAIL_FORWARDING_SENDER = "forwarding-noreply@google.com"
CHALLENGE_HEADER = "x-opencx-challenge"
CLOCK_SKEW = 300.0  # seconds a challenge may seem to come from the future

_EMAIL = r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+"
_SUBJECT_CODE = re.compile(r"\(#\s*(\d{4,12})\s*\)")
_BODY_CODE = re.compile(r"(?:confirmation code|code)\D{0,20}(\d{6,12})", re.IGNORECASE)
_LINK = re.compile(r"https://(?:mail-settings|mail)\.google\.com/mail/vf-\S+", re.IGNORECASE)
_SUBJECT_FROM = re.compile(rf"({_EMAIL})\s*$")
_BODY_FROM = re.compile(rf"({_EMAIL}) has requested to automatically forward mail", re.IGNORECASE)
_CHALLENGE = re.compile(r"occ1\.[A-Za-z0-9_-]{2,700}\.\d{1,12}\.[A-Za-z0-9_-]{22}")


@dataclass(frozen=True)
class GmailConfirmation:
    code: str | None
    link: str | None
    forwarding_from: str | None  # the Gmail/Workspace address asking to forward to us


def gmail_confirmation(mail: ParsedMail) -> GmailConfirmation | None:
    """Code, link and requesting address of a Gmail forwarding confirmation; None otherwise."""
    if mail.from_addr is None or mail.from_addr.email != GMAIL_FORWARDING_SENDER:
        return None
    code_match = _SUBJECT_CODE.search(mail.subject) or _BODY_CODE.search(mail.text)
    link_match = _LINK.search(mail.text) or (_LINK.search(mail.html) if mail.html else None)
    from_match = _BODY_FROM.search(mail.text) or _SUBJECT_FROM.search(mail.subject)
    return GmailConfirmation(
        code=code_match.group(1) if code_match else None,
        link=link_match.group(0).rstrip(".,;:)]>\"'") if link_match else None,
        forwarding_from=from_match.group(1).lower() if from_match else None,
    )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(secret: bytes, payload: str) -> str:
    return _b64(hmac.new(secret, payload.encode("ascii"), hashlib.sha256).digest()[:16])


def make_challenge(address: str, secret: bytes, now: float) -> str:
    """'occ1.<address b64>.<unix time>.<hmac>' proving we sent a test mail to `address`."""
    if not secret:
        raise ValueError("challenge secret must not be empty")
    normalized = normalize_email(address)
    if not normalized:
        raise ValueError(f"not an email address: {address!r}")
    payload = f"occ1.{_b64(normalized.encode('utf-8'))}.{int(now)}"
    return f"{payload}.{_signature(secret, payload)}"


def check_challenge(
    token: str, secret: bytes, now: float, max_age: float = 7 * 86400
) -> str | None:
    """The address a genuine, unexpired challenge was made for; None for anything else."""
    if not secret or not _CHALLENGE.fullmatch(token.strip()):
        return None
    payload, _, signature = token.strip().rpartition(".")
    if not hmac.compare_digest(signature, _signature(secret, payload)):
        return None
    _, encoded, stamp = payload.split(".")
    age = now - int(stamp)
    if age > max_age or age < -CLOCK_SKEW:
        return None
    try:
        return _unb64(encoded).decode("utf-8")
    except (binascii.Error, ValueError):
        return None


def find_challenge(mail: ParsedMail) -> str | None:
    """A challenge token from the X-OpenCX-Challenge header, else from the body."""
    for text in (mail.headers.get(CHALLENGE_HEADER, ""), mail.text, mail.html or ""):
        match = _CHALLENGE.search(text)
        if match:
            return match.group(0)
    return None
