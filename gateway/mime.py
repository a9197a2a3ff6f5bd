"""Build the RFC 5322 bytes of an outgoing reply; no header value can smuggle in CR/LF."""

from __future__ import annotations

import email.policy
import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from types import MappingProxyType

from gateway.errors import PermanentFailure
from gateway.render import RenderedBody

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u0080-\u009f\u2028\u2029]")
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LOCAL_RE = re.compile(rf"^{_ATEXT}(?:\.{_ATEXT})*$")
_UTF8_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~\u0080-\ud7ff\ue000-\U0010ffff-]+"  # RFC 6532
_UTF8_LOCAL_RE = re.compile(rf"^{_UTF8_ATEXT}(?:\.{_UTF8_ATEXT})*$")
_LABEL = r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)"
_DOMAIN_RE = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*$|^\[[0-9A-Fa-f:.]+\]$")
_MSGID_PART = r"[!-;=?-~]+"  # printable ASCII except space, '<' and '>'
_MSGID_RE = re.compile(rf"^{_MSGID_PART}@{_MSGID_PART}$")
_REF_RE = re.compile(rf"^{_MSGID_PART}$")
_HEADER_NAME_RE = re.compile(r"^[!-9;-~]+$")  # RFC 5322 ftext: printable ASCII except ':'
MAX_REFERENCES = 20
MAX_HEADER_TEXT = 900
RESERVED_HEADERS = frozenset(
    h.lower()
    for h in (
        "From", "To", "Cc", "Bcc", "Reply-To", "Sender", "Subject", "Date", "Message-ID",
        "In-Reply-To", "References", "MIME-Version", "Content-Type",
        "Content-Transfer-Encoding", "Auto-Submitted", "Return-Path", "Received",
    )
)  # fmt: skip
_SMTP = email.policy.SMTP
_SMTP_UTF8 = email.policy.SMTP.clone(utf8=True)  # raw UTF-8 addresses: sent with SMTPUTF8


class MailHeaderError(PermanentFailure):
    """A header value or address is unusable (control characters, bad syntax)."""


@dataclass(frozen=True)
class OutgoingMail:
    """Envelope-independent facts of one reply; ``message_id`` is fixed at enqueue time."""

    from_addr: str
    from_name: str
    to_addr: str
    to_name: str
    reply_to: str | None
    subject: str
    message_id: str
    in_reply_to: str | None
    references: tuple[str, ...]
    auto_submitted: bool
    extra_headers: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


def clean_text(value: str, *, limit: int = MAX_HEADER_TEXT) -> str:
    """Neutralise a free-text header value: control chars and line breaks become spaces."""
    return " ".join(_CONTROL.sub(" ", value).split())[:limit]


def check_address(value: str, what: str = "address", *, utf8: bool = False) -> str:
    """Return ``local@domain`` (IDNA domain) or raise MailHeaderError; never strips CR/LF.

    ``utf8``: a non-ASCII local part (RFC 6531/6532, ``josé@…``) is allowed; such an address
    needs SMTPUTF8 to travel (see needs_smtputf8).
    """
    if _CONTROL.search(value):
        raise MailHeaderError(f"{what} contains a control character or line break")
    local, sep, domain = value.strip().rpartition("@")
    pattern = _UTF8_LOCAL_RE if utf8 else _LOCAL_RE
    if (not sep or not pattern.match(local) or not local.isprintable()
            or len(local.encode()) > 64):
        raise MailHeaderError(f"{what} is not a plain ASCII local@domain address: {value!r}")
    try:
        ascii_domain = domain.encode("idna").decode("ascii") if not domain.isascii() else domain
    except UnicodeError:
        raise MailHeaderError(f"{what} has an invalid domain: {value!r}") from None
    if not _DOMAIN_RE.match(ascii_domain) or len(ascii_domain) > 253:
        raise MailHeaderError(f"{what} has an invalid domain: {value!r}")
    return f"{local}@{ascii_domain.lower()}"


def needs_smtputf8(address: str) -> bool:
    """A checked address whose local part is not ASCII (the domain is IDNA already)."""
    return not address.isascii()


def check_message_id(value: str, what: str = "message_id") -> str:
    """Validate ``left@right`` (no brackets, no whitespace/control) or raise MailHeaderError."""
    if not _MSGID_RE.match(value):
        raise MailHeaderError(f"{what} is not a left@right message id: {value!r}")
    return value


def clean_references(in_reply_to: str | None, references: tuple[str, ...]) -> list[str]:
    """Valid ids only (brackets tolerated), parent last, deduplicated, first + last 19 kept."""
    out: list[str] = []
    for raw in (*references, *([in_reply_to] if in_reply_to else [])):
        ref = raw.strip()
        if ref.startswith("<") and ref.endswith(">"):
            ref = ref[1:-1]
        if _REF_RE.match(ref):
            if ref in out:
                out.remove(ref)
            out.append(ref)
    if len(out) > MAX_REFERENCES:
        out = [out[0], *out[-(MAX_REFERENCES - 1) :]]
    return out


def _address(name: str, addr: str, what: str) -> Address:
    local, _, domain = check_address(addr, what, utf8=True).rpartition("@")
    return Address(display_name=clean_text(name, limit=200), username=local, domain=domain)


def _set_headers(msg: EmailMessage, mail: OutgoingMail, date: datetime) -> None:
    if date.tzinfo is None:
        raise ValueError("date must be timezone-aware")
    msg["From"] = _address(mail.from_name, mail.from_addr, "from_addr")
    msg["To"] = _address(mail.to_name, mail.to_addr, "to_addr")
    if mail.reply_to:
        msg["Reply-To"] = _address("", mail.reply_to, "reply_to")
    msg["Subject"] = clean_text(mail.subject)
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = f"<{check_message_id(mail.message_id)}>"
    refs = clean_references(mail.in_reply_to, mail.references)
    parent = clean_references(mail.in_reply_to, ()) if mail.in_reply_to else []
    if parent:
        msg["In-Reply-To"] = f"<{parent[0]}>"
    if refs:
        msg["References"] = " ".join(f"<{r}>" for r in refs)
    if mail.auto_submitted:
        msg["Auto-Submitted"] = "auto-replied"
        msg["X-Auto-Response-Suppress"] = "All"
    for name, value in mail.extra_headers.items():
        if not _HEADER_NAME_RE.match(name) or name.lower() in RESERVED_HEADERS:
            raise MailHeaderError(f"extra header name not allowed: {name!r}")
        msg[name] = clean_text(value)


def build_message(mail: OutgoingMail, body: RenderedBody, *, date: datetime,
                  attachments: Sequence[tuple[str, str, bytes]] = ()) -> bytes:
    """multipart/alternative (text, then HTML), UTF-8 quoted-printable, CRLF line ends;
    with `attachments` (name, content type, bytes) wrapped in multipart/mixed, each one
    `Content-Disposition: attachment` (never inline), base64. A non-ASCII address makes
    the headers raw UTF-8 (RFC 6532; the relay then needs SMTPUTF8)."""
    addresses = (mail.from_addr, mail.to_addr, mail.reply_to or "")
    policy = _SMTP_UTF8 if any(not a.isascii() for a in addresses) else _SMTP
    msg = EmailMessage(policy=policy)
    _set_headers(msg, mail, date)
    msg.set_content(body.text, subtype="plain", charset="utf-8", cte="quoted-printable")
    msg.add_alternative(body.html, subtype="html", charset="utf-8", cte="quoted-printable")
    # Deterministic boundary: a rebuilt retry is byte-identical. "=_" never occurs in QP text.
    digest = hashlib.sha256(mail.message_id.encode()).hexdigest()[:32]
    msg.set_boundary(f"=_opencx_{digest}")
    if attachments:
        msg.make_mixed()
        msg.set_boundary(f"=_opencx_mixed_{digest}")
        for name, content_type, data in attachments:
            major, _, minor = content_type.partition("/")
            msg.add_attachment(data, maintype=major or "application",
                               subtype=minor or "octet-stream", filename=name,
                               disposition="attachment")
        for number, part in enumerate(msg.iter_parts()):
            if part.get_content_maintype() == "multipart":
                part.set_boundary(f"=_opencx_{number}_{digest}")
    return msg.as_bytes(policy=policy)
