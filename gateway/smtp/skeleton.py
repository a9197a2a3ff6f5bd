"""Big mail without its attachment bodies: what the parser needs, at a fraction of the bytes.

The stdlib email package holds a part's body as a list of lines, then as one string, then
decoded: about 8 times the size of a big attachment at once. The gateway never keeps
attachment bodies (only name, type, size), so before parsing a big mail `slim` copies it
leaving out every large non-body-text leaf; each such part gets a header carrying the size
its body would have decoded to. Slicing goes by the MIME boundaries with bytes.find on the
stored bytes, without copying them. Anything unexpected (no boundary, deep nesting, a part
without headers) returns None, and the caller parses the mail as it is.
"""

from __future__ import annotations

import binascii
import email.policy
import itertools
import re
import secrets
from collections.abc import Iterator
from email.message import Message
from email.parser import BytesHeaderParser

SLIM_ABOVE = 1 << 20  # mails up to this size are parsed as they are
LEAF_ABOVE = 64 << 10  # attachment bodies above this size are left out
MAX_DEPTH = 20
# Names the size header per process, so a sender cannot set it.
SIZE_HEADER = f"X-Opencx-Omitted-Size-{secrets.token_hex(4)}"
_HEADERS_END = re.compile(rb"\r?\n\r?\n")
_BOUNDARY_TAIL = re.compile(rb"(--)?[ \t]*(\r?\n|$)")
_PARSER = BytesHeaderParser(policy=email.policy.default)


def slim(raw: bytes) -> bytes | None:
    """raw without its big attachment bodies, or None when nothing would be saved."""
    if len(raw) <= SLIM_ABOVE:
        return None
    pieces: list[bytes] = []
    try:
        saved = _entity(raw, 0, len(raw), 0, pieces)
    except (ValueError, LookupError, TypeError):  # what header parsing may raise
        return None
    return b"".join(pieces) if saved else None


def omitted_size(part: Message) -> int | None:
    """The decoded size `slim` recorded for a part whose body it left out."""
    value = part.get(SIZE_HEADER)
    return int(value) if value is not None and str(value).isdigit() else None


def _entity(raw: bytes, start: int, end: int, depth: int, out: list[bytes]) -> bool:
    """Append entity raw[start:end] (headers + body) to out; True if a body was left out."""
    if depth > MAX_DEPTH:
        raise ValueError("nested too deep")
    if raw.startswith((b"\r\n", b"\n"), start, end):  # no headers: text/plain, kept
        out.append(raw[start:end])
        return False
    found = _HEADERS_END.search(raw, start, end)
    if found is None:
        raise ValueError("no header block")
    headers = _PARSER.parsebytes(raw[start : found.start()] + b"\r\n\r\n")
    body_start = found.end()
    ctype = headers.get_content_type()
    boundary = headers.get_boundary() if ctype.startswith("multipart/") else None
    if boundary:
        out.append(raw[start:body_start])
        return _multipart(raw, body_start, end, boundary.encode("ascii"), depth, out)
    if end - body_start <= LEAF_ABOVE or _is_body_text(headers, ctype):
        out.append(raw[start:end])
        return False
    size = _decoded_size(raw, body_start, end, headers)
    out += [raw[start : found.start()], f"\r\n{SIZE_HEADER}: {size}\r\n\r\n".encode()]
    return True


def _multipart(raw: bytes, start: int, end: int, boundary: bytes, depth: int,
               out: list[bytes]) -> bool:
    """Preamble, then each delimiter line and the part after it, then the epilogue."""
    marks = list(_delimiters(raw, start, end, boundary))
    if not marks or not marks[-1][2]:
        raise ValueError("no closing delimiter")
    out.append(raw[start : marks[0][0]])
    saved = False
    for (line, after, _), (next_line, _, _) in itertools.pairwise(marks):
        out.append(raw[line:after])
        saved |= _entity(raw, after, next_line, depth + 1, out)
    out.append(raw[marks[-1][0] : end])
    return saved


def _delimiters(
    raw: bytes, start: int, end: int, boundary: bytes
) -> Iterator[tuple[int, int, bool]]:
    """(line start, line end, closing?) of each delimiter line up to the closing one."""
    dash = b"--" + boundary
    pos = start
    while True:
        at = raw.find(dash, pos, end)
        if at < 0:
            return
        tail = _BOUNDARY_TAIL.match(raw, at + len(dash), end)
        if tail is not None and (at == start or raw[at - 1 : at] == b"\n"):
            closing = tail.group(1) is not None
            yield at, tail.end(), closing
            if closing:
                return
        pos = at + len(dash)


def _is_body_text(headers: Message, ctype: str) -> bool:
    """The parts the parser reads as the mail's text (same rule as parse._walk)."""
    return (ctype in ("text/plain", "text/html") and headers.get_filename() is None
            and headers.get_content_disposition() != "attachment")


def _decoded_size(raw: bytes, start: int, end: int, headers: Message) -> int:
    """What the body decodes to, counted on the stored bytes without copying them."""
    cte = str(headers.get("content-transfer-encoding", "7bit")).strip().lower()
    if raw.endswith(b"\r\n", start, end):
        end -= 2
    elif raw.endswith(b"\n", start, end):
        end -= 1
    if cte == "base64":
        spaces = sum(raw.count(c, start, end) for c in (b"\r", b"\n", b" ", b"\t", b"="))
        return (end - start - spaces) * 3 // 4
    if cte == "quoted-printable":
        return len(binascii.a2b_qp(raw[start:end]))
    return end - start
