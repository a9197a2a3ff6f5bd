"""Allocator tuning: big buffers (mail bodies) go back to the OS as soon as they are freed."""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

log = logging.getLogger(__name__)
M_MMAP_THRESHOLD = -3  # glibc <malloc.h>
MMAP_THRESHOLD = 128 * 1024  # glibc's default, made fixed


def return_big_blocks_to_os() -> bool:
    """Fix glibc's mmap threshold at 128 KiB; False where there is no glibc.

    glibc raises the threshold after each big free (up to 32 MiB), after which a 25 MB
    mail body lands on a thread's heap arena and stays resident once freed; with the
    writer, reader and parser threads each on their own arena, peak RSS then adds up per
    thread. Fixed, every block above 128 KiB is its own mapping, unmapped on free.
    """
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        mallopt = getattr(libc, "mallopt", None)
    except OSError:
        mallopt = None
    if mallopt is None:
        return False
    ok = bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD))
    if not ok:
        log.warning("malloc: mallopt(M_MMAP_THRESHOLD) refused")
    return ok
