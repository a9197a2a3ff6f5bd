"""DATA read into one growing buffer instead of aiosmtpd's bytearray per line (≈ 3 x the mail).

aiosmtpd 1.4's `SMTP.smtp_DATA` keeps every line as its own bytearray (about 57 bytes of
object per 78-byte line) and joins them at the end: a 25 MB mail peaks near 4 x its size
before the handler sees it. `OneBufferData.smtp_DATA` is the same state machine, replies
and limits (552 too much data, 500 line too long, 354/503/501), appending each
dot-unstuffed line to one bytearray, which it hands to the handler as the content. Used
only with the aiosmtpd versions it was written against; otherwise aiosmtpd's own runs.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiosmtpd
from aiosmtpd.smtp import MISSING

TESTED = ("1.4.",)


class OneBufferData:
    """Mixin for aiosmtpd.smtp.SMTP: put it before SMTP in the bases."""

    async def smtp_DATA(self: Any, arg: str) -> None:
        if not aiosmtpd.__version__.startswith(TESTED):
            return await super().smtp_DATA(arg)  # type: ignore[misc]
        if await self.check_helo_needed() or await self.check_auth_needed("DATA"):
            return None
        if not self.envelope.rcpt_tos:
            return await self.push("503 Error: need RCPT command")
        if arg:
            return await self.push("501 Syntax: DATA")
        await self.push("354 End data with <CR><LF>.<CR><LF>")
        content, problem = await _read_data(self)
        if problem is not None:
            await self.push(problem)
            self._set_post_data_state()
            return None
        self.envelope.content = self.envelope.original_content = content
        del content  # the envelope holds the only reference; it goes with the next line
        status = await self._call_handler_hook("DATA") if "DATA" in self._handle_hooks else MISSING
        self._set_post_data_state()
        return await self.push("250 OK" if status is MISSING else status)


async def _read_data(smtp: Any) -> tuple[bytearray, str | None]:
    """Lines up to the lone dot; (content, None) or (empty, the reply that refuses it)."""
    buf = bytearray()
    problem: str | None = None
    limit = smtp.data_size_limit
    received = 0
    fragments: list[bytes] = []
    while smtp.transport is not None:
        try:
            line: bytes = await smtp._reader.readuntil(b"\r\n")
        except asyncio.CancelledError:
            smtp._writer.close()
            raise
        except asyncio.LimitOverrunError as exc:  # a line beyond the stream limit
            problem = problem or "500 Line too long (see RFC5321 4.5.3.1.6)"
            line = await smtp._reader.read(exc.consumed)
        if not fragments and line == b".\r\n":
            break
        received += len(line)
        if problem is None and limit and received > limit:
            problem = "552 Error: Too much mail data"
        fragments.append(line)
        if not line.endswith(b"\r\n"):
            continue
        whole = fragments[0] if len(fragments) == 1 else b"".join(fragments)
        fragments.clear()
        if problem is None and len(whole) > smtp.line_length_limit:
            problem = "500 Line too long (see RFC5321 4.5.3.1.6)"
        if problem is None:
            buf += memoryview(whole)[1:] if whole.startswith(b".") else whole
        elif buf:
            buf = bytearray()  # refused: let the bytes go now, keep reading to the dot
    return buf, problem
