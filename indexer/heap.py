"""Give freed memory back to the operating system while a file is indexed.

Decoding allocates and frees a frame-sized buffer many times a second while a few frames are
kept (keyframe candidates, the last frame read for text). glibc's malloc then serves the
frame buffers from its heap, and the few live frames pin the freed space around them, so a
process that holds 200 MB of live data keeps 2-3 GB resident after a few minutes of video
(measured on 720p decoding). `malloc_trim` returns those free pages; it costs a few
milliseconds, so it runs at most once per `every` seconds. A no-op where there is no glibc.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import time

log = logging.getLogger(__name__)


class HeapTrimmer:
    """Call often (once per frame); trims the C heap at most once per `every` seconds."""

    def __init__(self, every: float = 1.0) -> None:
        self.every = every
        self._next = 0.0
        self._trim = _malloc_trim()

    def __call__(self) -> None:
        if self._trim is None:
            return
        now = time.monotonic()
        if now >= self._next:
            self._trim(0)
            self._next = now + self.every


def _malloc_trim():  # type: ignore[no-untyped-def]
    """glibc's malloc_trim, or None (musl, macOS, Windows)."""
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):
        log.debug("no malloc_trim in %s", name)
        return None
