"""Logging set-up: one line per event to stderr (journald adds time and rotation)."""

from __future__ import annotations

import logging
import sys


def setup(verbose: bool = False) -> None:
    root = logging.getLogger()
    if any(getattr(h, "_opencx", False) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler._opencx = True  # type: ignore[attr-defined]
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    for noisy in ("mail.log", "aiosmtpd", "urllib3", "aiohttp.access", "cssutils", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
