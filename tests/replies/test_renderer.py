"""Renderer: compose_body off the event loop, in a worker process (or a thread)."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator

import pytest

from gateway.config import Signature
from gateway.render import compose_body
from gateway.replies import Renderer

SIG = Signature(domain="*", text="ACME", html="<p>ACME</p>")


def _pid() -> int:
    return os.getpid()


@pytest.fixture(scope="module")
def process_renderer() -> Iterator[Renderer]:
    renderer = Renderer(max_workers=1)
    yield renderer
    renderer.close()


async def test_process_pool_matches_the_pure_function(process_renderer: Renderer) -> None:
    assert process_renderer.uses_processes
    got = await process_renderer.render(markdown="Hi **there**", signature=SIG)
    assert got == compose_body(markdown="Hi **there**", signature=SIG)
    worker = await asyncio.get_running_loop().run_in_executor(process_renderer._executor, _pid)
    assert worker != os.getpid()


async def test_errors_come_back_from_the_worker(process_renderer: Renderer) -> None:
    with pytest.raises(ValueError, match="not both"):
        await process_renderer.render(markdown="a", html="<p>a</p>", signature=None)


async def test_loop_stays_responsive_during_renders(process_renderer: Renderer) -> None:
    await process_renderer.warm_up()
    body = "\n\n".join(f"Paragraph {i} with a [link](https://a.test/{i})" for i in range(1500))
    started = time.perf_counter()
    expected = compose_body(markdown=body, signature=SIG)  # on the loop: blocks it this long
    blocking = time.perf_counter() - started
    gaps: list[float] = []

    async def ticker() -> None:
        last = time.perf_counter()
        while True:
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    task = asyncio.create_task(ticker())
    results = await asyncio.gather(
        *(process_renderer.render(markdown=body, signature=SIG) for _ in range(2))
    )
    task.cancel()
    assert all(r == expected for r in results)
    assert len(gaps) > 10 and max(gaps) < blocking / 2, (max(gaps), blocking)


async def test_thread_mode() -> None:
    renderer = Renderer(max_workers=2, processes=False)
    try:
        assert not renderer.uses_processes
        got = await renderer.render(text="plain", signature=SIG)
        assert got.text == "plain\n\n-- \nACME\n"
    finally:
        renderer.close()
