"""Renderer: compose_body off the event loop, in its own thread (no worker processes)."""

from __future__ import annotations

import asyncio
import multiprocessing
import threading

import pytest

from gateway.config import Signature
from gateway.render import compose_body
from gateway.replies import Renderer

SIG = Signature(domain="*", text="ACME", html="<p>ACME</p>")


async def test_renders_in_its_thread_like_the_pure_function() -> None:
    renderer = Renderer()
    try:
        await renderer.warm_up()
        got = await renderer.render(markdown="Hi **there**", signature=SIG)
        assert got == compose_body(markdown="Hi **there**", signature=SIG)
        worker = await asyncio.get_running_loop().run_in_executor(
            renderer._executor, threading.get_ident
        )
        assert worker != threading.get_ident()
        assert multiprocessing.active_children() == []  # no worker process to orphan
    finally:
        renderer.close()


async def test_errors_come_back_from_the_thread() -> None:
    renderer = Renderer()
    try:
        with pytest.raises(ValueError, match="not both"):
            await renderer.render(markdown="a", html="<p>a</p>", signature=None)
        got = await renderer.render(text="plain", signature=SIG)  # still usable afterwards
        assert got.text == "plain\n\n-- \nACME\n"
    finally:
        renderer.close()


async def test_concurrent_renders_all_complete() -> None:
    renderer = Renderer()
    try:
        bodies = [f"Reply **{i}**" for i in range(20)]
        renders = (renderer.render(markdown=b, signature=SIG) for b in bodies)
        results = await asyncio.gather(*renders)
        assert [r.text.split("\n")[0] for r in results] == bodies
    finally:
        renderer.close()
