"""Reply output: render bodies off the event loop and build MIME; the API others import."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
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
from gateway.orphans import exit_with
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

log = logging.getLogger(__name__)
_START_FAILURES = (OSError, NotImplementedError, ImportError)


def _warm_up() -> None:
    """Import premailer & co. in a fresh worker so the first real render is not slow."""
    compose_body(text="warm-up", signature=None)


class Renderer:
    """Runs compose_body in a process pool (premailer holds the GIL for milliseconds).

    Falls back to a thread pool when processes cannot be started on this system.
    """

    def __init__(self, max_workers: int = 1, *, processes: bool = True) -> None:
        self._max_workers = max(1, max_workers)
        self._executor: Executor = self._make_executor(processes)
        self.uses_processes = isinstance(self._executor, ProcessPoolExecutor)

    def _make_executor(self, processes: bool) -> Executor:
        if processes:
            try:
                context = multiprocessing.get_context("forkserver")
                return ProcessPoolExecutor(self._max_workers, mp_context=context,
                                           initializer=exit_with, initargs=(os.getpid(),))
            except _START_FAILURES as exc:
                log.warning("renderer: no process pool (%s); rendering in a thread", exc)
        return ThreadPoolExecutor(self._max_workers, thread_name_prefix="renderer")

    def _replace_executor(self, exc: BaseException, *, processes: bool) -> None:
        kind = "a fresh process pool" if processes else "a thread"
        log.warning("renderer: pool unusable (%s); switching to %s", exc, kind)
        self._executor.shutdown(wait=False, cancel_futures=True)
        self._executor = self._make_executor(processes)
        self.uses_processes = isinstance(self._executor, ProcessPoolExecutor)

    async def render(
        self,
        *,
        markdown: str | None = None,
        html: str | None = None,
        text: str | None = None,
        signature: Signature | None,
    ) -> RenderedBody:
        """compose_body(...) in the pool; same arguments, same result."""
        call = partial(compose_body, markdown=markdown, html=html, text=text, signature=signature)
        try:
            return await self._run(call)
        except BrokenProcessPool as exc:  # a worker died (killed, OOM): one fresh pool
            self._replace_executor(exc, processes=True)
            return await self._run(call)

    async def _run(self, call: partial[RenderedBody]) -> RenderedBody:
        loop = asyncio.get_running_loop()
        try:
            future = loop.run_in_executor(self._executor, call)
        except _START_FAILURES as exc:  # processes cannot be started here
            if not self.uses_processes:
                raise
            self._replace_executor(exc, processes=False)
            future = loop.run_in_executor(self._executor, call)
        return await future

    async def warm_up(self) -> None:
        """Start the worker(s) and import the rendering stack ahead of the first reply."""
        await asyncio.get_running_loop().run_in_executor(self._executor, _warm_up)

    def close(self) -> None:
        """Stop the workers; waits for a render in progress."""
        self._executor.shutdown(wait=True, cancel_futures=True)
