"""DATA into one buffer (gateway.smtp.data): the same bytes and replies as aiosmtpd's own."""

from __future__ import annotations

import asyncio
import smtplib
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP

from gateway.smtp.data import OneBufferData


class Capture:
    def __init__(self) -> None:
        self.contents: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.contents.append(bytes(envelope.original_content))
        assert envelope.content is envelope.original_content or envelope.content == bytes(
            envelope.original_content)
        return "250 2.0.0 kept"


class OneBuffer(OneBufferData, SMTP):
    pass


async def serve(cls: type[SMTP], handler: Capture) -> tuple[asyncio.Server, int]:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: cls(handler, hostname="t.test", data_size_limit=300_000,
                    enable_SMTPUTF8=True), "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


@pytest.fixture
async def pair() -> AsyncIterator[dict[str, tuple[int, Capture]]]:
    out, servers = {}, []
    for name, cls in (("stock", SMTP), ("one buffer", OneBuffer)):
        handler = Capture()
        server, port = await serve(cls, handler)
        servers.append(server)
        out[name] = (port, handler)
    yield out
    for server in servers:
        server.close()
        await server.wait_closed()


def transcript(port: int, mails: list[bytes]) -> list[tuple[int, bytes]]:
    """One connection, one transaction per mail; the DATA reply of each."""
    replies = []
    with smtplib.SMTP("127.0.0.1", port, local_hostname="c.test", timeout=10) as s:
        for raw in mails:
            s.ehlo()
            s.mail("a@c.test")
            s.rcpt("b@t.test")
            try:
                replies.append(s.data(raw))
            except smtplib.SMTPResponseException as exc:
                replies.append((exc.smtp_code, exc.smtp_error))
            s.rset()
    return replies


MAILS = [
    b"Subject: dots\r\n\r\n.leading dot\r\n..two dots\r\n.\r\nnot the end\r\nend\r\n",
    b"Subject: big\r\n\r\n" + b"0123456789abcdef" * 4 + b"\r\n" * 1 + (b"x" * 76 + b"\r\n") * 3000,
    b"Subject: too much\r\n\r\n" + (b"y" * 76 + b"\r\n") * 5000,  # over data_size_limit: 552
    b"Subject: long line\r\n\r\n" + b"z" * 70_000 + b"\r\n",  # over the line limit: 500
    b"Subject: after the refusals\r\n\r\nstill works\r\n",
]


async def test_same_content_and_replies_as_aiosmtpd(pair: dict[str, tuple[int, Capture]]) -> None:
    results = {}
    for name, (port, handler) in pair.items():
        replies = await asyncio.to_thread(transcript, port, MAILS)
        results[name] = ([code for code, _ in replies], handler.contents)
    assert results["one buffer"] == results["stock"]
    codes, contents = results["one buffer"]
    assert codes == [250, 250, 552, 500, 250]
    assert contents[0] == (b"Subject: dots\r\n\r\n.leading dot\r\n..two dots\r\n.\r\n"
                           b"not the end\r\nend\r\n")
