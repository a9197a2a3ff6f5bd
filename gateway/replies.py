"""Reply output: render bodies off the event loop and build MIME; the API others import."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from functools import partial

from gateway.config import Signature
from gateway.mime import (
    MailHeaderError,
    OutgoingMail,
    build_message,
    check_address,
    check_message_id,
    clean_text,
)
from gateway.render import (
    SIGNATURE_CLASS,
    TEXT_SIG_DELIMITER,
    RenderedBody,
    compose_body,
    html_to_text,
    render_markdown,
    sanitize_html,
)

__all__ = [
    "SIGNATURE_CLASS",
    "TEXT_SIG_DELIMITER",
    "MailHeaderError",
    "OutgoingMail",
    "RenderedBody",
    "Renderer",
    "build_message",
    "check_address",
    "check_message_id",
    "clean_text",
    "compose_body",
    "html_to_text",
    "render_markdown",
    "sanitize_html",
]



class Renderer:
    """Runs compose_body in one worker thread, off the event loop.

    css-inline made a render about a millisecond (docs/replies.md), so the process pool
    premailer needed is gone: no worker processes to start, warm up, or leave orphaned.
    """

    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="renderer")

    async def render(
        self,
        *,
        markdown: str | None = None,
        html: str | None = None,
        text: str | None = None,
        signature: Signature | None,
    ) -> RenderedBody:
        """compose_body(...) in the renderer thread; same arguments, same result."""
        call = partial(compose_body, markdown=markdown, html=html, text=text, signature=signature)
        return await asyncio.get_running_loop().run_in_executor(self._executor, call)

    async def warm_up(self) -> None:
        """Build the Markdown parser, template and inliner ahead of the first reply."""
        await self.render(text="warm-up", signature=None)

    def close(self) -> None:
        """Stop the thread; waits for a render in progress."""
        self._executor.shutdown(wait=True, cancel_futures=True)
