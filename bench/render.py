"""Renderer cost per message: css-inline pipeline vs a bare markdown->HTML baseline, same run.

Usage: .venv/bin/python -m bench.render [--runs 200] [--size small|large]
Prints ms/message for each stage (median of 3 rounds) and the ratio to the baseline, then the
p50/p99 of single compose_body calls against the issue's 1 ms goal; numbers vary by machine,
the ratios within one run are what count.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Callable

from markupsafe import Markup

from gateway.config import Signature
from gateway.render import (
    _css,
    _template,
    compose_body,
    html_to_text,
    inline_css,
    render_markdown,
    sanitize_html,
)
from gateway.replies import Renderer

SIGNATURE = Signature(
    domain="*",
    text="ACME Support\nhttps://acme.test/help",
    html='<p><b>ACME</b> Support<br><a href="https://acme.test/help">Help centre</a></p>',
)
PARAGRAPH = (
    "Thanks for writing in. To reset your password open **Settings → Security**, choose "
    "*Reset password* and follow the [link we email you](https://acme.test/reset).\n\n"
    "- check your spam folder\n- the link expires after `24 h`\n- then sign in again\n\n"
)


def sample(size: str) -> str:
    repeat = {"small": 1, "large": 12}[size]
    return "Hi Jane,\n\n" + PARAGRAPH * repeat + "Best regards\n"


def per_message_ms(fn: Callable[[], object], runs: int) -> float:
    fn()  # warm-up: imports, inliner, jinja compile
    samples = []
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(runs):
            fn()
        samples.append((time.perf_counter() - start) / runs * 1000)
    return statistics.median(samples)


def without_inlining(markdown: str) -> str:
    fragment = sanitize_html(render_markdown(markdown))
    document = _template().render(css=Markup(_css()), body=Markup(fragment), signature=None)
    html_to_text(fragment)
    return document


def single_call_ms(fn: Callable[[], object], runs: int) -> list[float]:
    fn()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return sorted(samples)


async def thread_ms(markdown: str, runs: int) -> float:
    renderer = Renderer()
    try:
        await renderer.warm_up()
        start = time.perf_counter()
        for _ in range(runs):
            await renderer.render(markdown=markdown, signature=SIGNATURE)
        return (time.perf_counter() - start) / runs * 1000
    finally:
        renderer.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--size", choices=("small", "large"), default="small")
    args = parser.parse_args()
    markdown = sample(args.size)
    html_bytes = len(compose_body(markdown=markdown, signature=SIGNATURE).html.encode())
    document = without_inlining(markdown)
    stages: list[tuple[str, Callable[[], object]]] = [
        ("markdown -> html (baseline)", lambda: render_markdown(markdown)),
        ("+ sanitise + template + text", lambda: without_inlining(markdown)),
        ("css-inline only (same document)", lambda: inline_css(document)),
        ("compose_body (full, css-inline)",
         lambda: compose_body(markdown=markdown, signature=SIGNATURE)),
    ]  # fmt: skip
    rows = [(name, per_message_ms(fn, args.runs)) for name, fn in stages]
    rows.append(("Renderer.render (thread)", asyncio.run(thread_ms(markdown, args.runs))))
    base = rows[0][1]
    print(f"input {len(markdown)} B markdown -> {html_bytes} B HTML, {args.runs} runs x 3")
    for name, ms in rows:
        print(f"{name:34s} {ms:8.3f} ms/message  {ms / base:7.1f}x baseline")
    calls = single_call_ms(lambda: compose_body(markdown=markdown, signature=SIGNATURE), args.runs)
    p50, p99 = calls[len(calls) // 2], calls[int(len(calls) * 0.99) - 1]
    print(f"reply render p50 {p50:.3f} ms  p99 {p99:.3f} ms  (goal p50 <= 1 ms)")


if __name__ == "__main__":
    main()
