"""Parse raw inbound mail bytes into a ParsedMail; never raises, whatever the bytes."""

from __future__ import annotations

import email
import email.errors
import email.policy
import email.utils
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email.message import Message
from email.parser import BytesParser
from types import MappingProxyType
from typing import TypeVar

from gateway.smtp.addresses import split_mailboxes
from gateway.smtp.skeleton import SIZE_HEADER, omitted_size, slim
from gateway.smtp.textcodec import (
    clean_text,
    decode_text,
    decode_words,
    html_to_text,
    unflow,
    unfold,
    unsurrogate,
)

# What the stdlib email package raises on hostile input (it is not consistent about it).
EMAIL_ERRORS: tuple[type[BaseException], ...] = (
    ValueError,
    LookupError,
    IndexError,
    TypeError,
    AttributeError,
    AssertionError,
    RecursionError,
    email.errors.MessageError,
)
SIZE_KEY = SIZE_HEADER.lower()
MAX_DEPTH = 20  # MIME nesting beyond this is treated as opaque
MAX_PARTS = 500  # leaves beyond this are ignored (recorded as a defect)
MAX_ADDRESS_HEADER = 64 * 1024  # longer address headers are cut before parsing
EXTRA_ADDRESS_HEADERS = (
    "sender",
    "resent-from",
    "x-original-sender",
    "x-original-from",
    "x-forwarded-for",
    "x-forwarded-to",
    "list-post",
)

T = TypeVar("T")


@dataclass(frozen=True)
class Address:
    name: str
    email: str

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else self.email


@dataclass(frozen=True)
class Attachment:
    filename: str | None
    content_type: str
    size: int
    content_id: str | None
    inline: bool


@dataclass(frozen=True)
class ParsedMail:
    message_id: str | None
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    subject: str
    date: datetime | None
    from_addr: Address | None
    reply_to: Address | None
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    headers: Mapping[str, str]
    text: str
    html: str | None
    attachments: tuple[Attachment, ...]
    defects: tuple[str, ...]
    content_type: str = "text/plain"  # top-level type, e.g. "multipart/report"
    report_type: str | None = None  # report-type parameter of a multipart/report
    # parsed addresses of EXTRA_ADDRESS_HEADERS that are present (first occurrence of each)
    address_headers: Mapping[str, tuple[Address, ...]] = field(
        default_factory=lambda: MappingProxyType({})
    )


def _tolerant(default: T) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """Make a field extractor return `default` instead of raising on malformed input."""

    def wrap(fn: Callable[..., T]) -> Callable[..., T]:
        def inner(*args: object) -> T:
            try:
                return fn(*args)
            except EMAIL_ERRORS:
                return default

        inner.__name__ = fn.__name__
        inner.__doc__ = fn.__doc__
        return inner

    return wrap


# ---------------------------------------------------------------- headers


def raw_headers(msg: Message) -> list[tuple[str, str]]:
    """(lower-cased name, unfolded value with 8-bit bytes decoded) without header parsing."""
    out = []
    for name, value in msg.raw_items():
        key = clean_text(unsurrogate(str(name))).strip().lower()
        out.append((key, unfold(unsurrogate(str(value)))))
    return out


def first_values(pairs: list[tuple[str, str]]) -> dict[str, str]:
    first: dict[str, str] = {}
    for name, value in pairs:
        if name and name not in first:
            first[name] = value
    return first


def decode_header(value: str) -> str:
    """RFC 2047 decoding plus whitespace normalisation; safe for any input."""
    return " ".join(clean_text(decode_words(value)).split())


_EMAIL_OK = re.compile(r"[^@\s<>()\[\],;:\"\\]+@[^@\s<>()\[\],;:\"\\]+")
_EMBEDDED_EMAIL = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")


def normalize_email(value: str) -> str:
    """'  <Jane@Example.COM> ' -> 'jane@example.com'; '' for a null or unusable address."""
    text = clean_text(unsurrogate(value)).strip().strip("<>").strip().rstrip(".").lower()
    if _EMAIL_OK.fullmatch(text):
        return text
    found = _EMBEDDED_EMAIL.search(text)
    return found.group(0).lower() if found else ""


def clean_name(name: str, addr: str) -> str:
    text = decode_header(name).strip(" \t\"'")
    text = " ".join(text.split())
    return "" if text.lower().strip("<>") == addr else text


def parse_addresses(value: str) -> tuple[Address, ...]:
    """Parse an address-list header value (raw or unfolded); dedupes, skips unusable entries."""
    value = unfold(unsurrogate(value))[:MAX_ADDRESS_HEADER]
    if not any(c in value for c in '<"('):
        # bare list such as "a@x b@y" or "a@x, b@y": split on separators ourselves
        pairs = [("", tok) for tok in re.split(r"[\s,;]+", value) if "@" in tok]
    else:
        pairs = split_mailboxes(value)  # the angle-addr wins over any display name
    seen: set[str] = set()
    result = []
    for name, raw_addr in pairs:
        addr = normalize_email(raw_addr)
        if not addr or addr in seen:
            continue
        seen.add(addr)
        shown = clean_name(name, addr)
        # a display name that looks like an address is a spoofing attempt, not a name
        result.append(Address(name="" if "@" in shown else shown, email=addr))
    return tuple(result)


def _first_address(value: str | None) -> Address | None:
    if value is None:
        return None
    found = _tolerant(())(parse_addresses)(value)
    return found[0] if found else None


_BRACKETED_ID = re.compile(r"<([^<>]*)>")
_ID_JUNK = re.compile(r"[\x00-\x20\x7f<>]")


def parse_message_ids(value: str | None) -> tuple[str, ...]:
    """Message ids in a Message-ID/In-Reply-To/References value, without <>, deduped, in order."""
    if not value:
        return ()
    candidates = _BRACKETED_ID.findall(value)
    if not candidates:
        candidates = [tok for tok in re.split(r"[\s,]+", value) if "@" in tok]
    seen: set[str] = set()
    ids = []
    for cand in candidates:
        mid = _ID_JUNK.sub("", clean_text(cand))[:998]
        if mid and mid not in seen:
            seen.add(mid)
            ids.append(mid)
    return tuple(ids)


@_tolerant(None)
def parse_date(value: str | None) -> datetime | None:
    if not value or not value.strip():
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(clean_text(value).strip())
    except OverflowError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        return None


# ---------------------------------------------------------------- body


@dataclass
class _Body:
    plain: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)
    leaves: int = 0


@_tolerant("application/octet-stream")
def _content_type(part: Message) -> str:
    return part.get_content_type()


@_tolerant(None)
def _disposition(part: Message) -> str | None:
    return part.get_content_disposition()


@_tolerant(None)
def _filename(part: Message) -> str | None:
    name = part.get_filename()
    if name is None:
        return None
    cleaned = decode_header(str(name))
    return cleaned or None


@_tolerant(None)
def _param(part: Message, name: str) -> str | None:
    value = part.get_param(name)
    if value is None or isinstance(value, tuple):
        return None
    return clean_text(unsurrogate(str(value))).strip().lower() or None


def _payload_bytes(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except EMAIL_ERRORS:
        data = None
    if isinstance(data, bytes):
        return data
    raw = part.get_payload()
    if isinstance(raw, str):
        return raw.encode("utf-8", "surrogateescape")
    return b""


def _part_text(part: Message) -> str:
    text = decode_text(_payload_bytes(part), _param(part, "charset"))
    text = clean_text(text).replace("\r\n", "\n").replace("\r", "\n")
    if _param(part, "format") == "flowed":
        text = unflow(text, delsp=_param(part, "delsp") == "yes")
    return text


def _message_size(part: Message) -> int:
    payload = part.get_payload()
    if isinstance(payload, list):
        try:
            return sum(len(p.as_bytes(policy=email.policy.compat32)) for p in payload)
        except EMAIL_ERRORS:
            return 0
    return len(_payload_bytes(part))


def _content_id(part: Message) -> str | None:
    raw = first_values(raw_headers(part)).get("content-id")
    ids = parse_message_ids(raw) if raw else ()
    if ids:
        return ids[0]
    bare = clean_text(raw or "").strip().strip("<>").strip()
    return bare or None


def _add_attachment(part: Message, ctype: str, body: _Body) -> None:
    disposition = _disposition(part)
    content_id = _content_id(part)
    size = omitted_size(part)  # a body `slim` left out: its size, counted before parsing
    if size is None:
        size = _message_size(part) if ctype.startswith("message/") else len(_payload_bytes(part))
    inline = disposition == "inline" or (disposition is None and content_id is not None)
    body.attachments.append(Attachment(_filename(part), ctype, size, content_id, inline))


def _walk(part: Message, depth: int, body: _Body) -> None:
    body.defects.extend(type(d).__name__ for d in getattr(part, "defects", ()))
    ctype = _content_type(part)
    payload = part.get_payload()
    if ctype.startswith("multipart/") and isinstance(payload, list):
        if depth >= MAX_DEPTH:
            body.defects.append("NestingTooDeep")
            return
        for sub in payload:
            if isinstance(sub, Message):
                _walk(sub, depth + 1, body)
        return
    body.leaves += 1
    if body.leaves > MAX_PARTS:
        if body.leaves == MAX_PARTS + 1:
            body.defects.append("TooManyParts")
        return
    is_body_text = ctype in ("text/plain", "text/html") and _filename(part) is None
    if is_body_text and _disposition(part) != "attachment":
        (body.plain if ctype == "text/plain" else body.html).append(_part_text(part))
    else:
        _add_attachment(part, ctype, body)


def _strip_blank_edges(text: str) -> str:
    return text.strip("\n").rstrip()


# ---------------------------------------------------------------- assembly


def _dedupe(items: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _address_headers(pairs: list[tuple[str, str]]) -> Mapping[str, tuple[Address, ...]]:
    found: dict[str, tuple[Address, ...]] = {}
    for name, value in pairs:
        if name in EXTRA_ADDRESS_HEADERS and name not in found:
            addrs = _tolerant(())(parse_addresses)(value)
            if addrs:
                found[name] = addrs
    return MappingProxyType(found)


def _build(msg: Message, body: _Body | None = None) -> ParsedMail:
    """ParsedMail from a parsed message; `body` given when the MIME tree was not walked."""
    pairs = [(k, v) for k, v in raw_headers(msg) if k != SIZE_KEY]
    first = first_values(pairs)
    if body is None:
        body = _Body()
        _walk(msg, 0, body)
    plain = _strip_blank_edges("\n".join(t for t in body.plain if t.strip()))
    html = "\n".join(body.html) if body.html else None
    text = plain or (_strip_blank_edges(html_to_text(html)) if html else "")
    top_type = _content_type(msg)
    message_ids = parse_message_ids(first.get("message-id"))
    return ParsedMail(
        message_id=message_ids[0] if message_ids else None,
        in_reply_to=parse_message_ids(first.get("in-reply-to")),
        references=parse_message_ids(first.get("references")),
        subject=decode_header(first.get("subject", "")),
        date=parse_date(first.get("date")),
        from_addr=_first_address(first.get("from")),
        reply_to=_first_address(first.get("reply-to")),
        to=_tolerant(())(parse_addresses)(first.get("to", "")),
        cc=_tolerant(())(parse_addresses)(first.get("cc", "")),
        headers=MappingProxyType({k: decode_header(v) for k, v in first.items()}),
        text=text,
        html=html,
        attachments=tuple(body.attachments),
        defects=_dedupe(body.defects),
        content_type=top_type,
        report_type=_param(msg, "report-type") if top_type == "multipart/report" else None,
        address_headers=_address_headers(pairs),
    )


def _fallback(raw: bytes, error: BaseException) -> ParsedMail:
    """When the MIME tree defeats the email package: headers only, the body as plain text."""
    _, _, rest = raw.replace(b"\r\n", b"\n").partition(b"\n\n")
    body = _Body(plain=[clean_text(decode_text(rest, None))])
    body.defects.append(f"ParseFailure:{type(error).__name__}")
    try:
        headers = BytesParser(policy=email.policy.default).parsebytes(raw, headersonly=True)
        return replace(_build(headers, body), content_type="text/plain", report_type=None)
    except EMAIL_ERRORS:
        return ParsedMail(
            message_id=None,
            in_reply_to=(),
            references=(),
            subject="",
            date=None,
            from_addr=None,
            reply_to=None,
            to=(),
            cc=(),
            headers=MappingProxyType({}),
            text=_strip_blank_edges(body.plain[0]),
            html=None,
            attachments=(),
            defects=tuple(body.defects),
        )


def parse_message(raw: bytes) -> ParsedMail:
    """Parse raw RFC 5322 bytes (as received in DATA). Never raises for any input.

    A big mail is parsed without its attachment bodies (gateway.smtp.skeleton.slim).
    """
    if raw[:3] == b"\xef\xbb\xbf":  # a byte-order mark would hide the headers
        raw = raw[3:]
    try:
        msg = email.message_from_bytes(slim(raw) or bytes(raw), policy=email.policy.default)
        return _build(msg)
    except EMAIL_ERRORS as exc:
        return _fallback(bytes(raw), exc)
