"""Text on screen over time: which frames to read, and for how long each line stays visible.

OCR is the slowest stage on a CPU, so frames are sampled (`fps` per second) and read only when
they differ from the last frame read; a line seen in consecutive reads is one span from when it
appeared to when it was last seen (plus one sample interval).
"""

from __future__ import annotations

import difflib
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from indexer.encoders import TextReader
from indexer.types import Frame, TextLine, TextSpan

log = logging.getLogger(__name__)

MODALITY = "ocr"
CHANGED_LEVEL = 32
"""Grey-level difference (0-255) at which a pixel counts as changed between samples."""
CHANGED_SHARE = 0.001
"""Share of changed pixels that makes a frame worth reading again (small captions are ~0.2 %)."""
SAME_TEXT = 0.8
"""difflib ratio above which two readings are the same line (OCR wobbles on a letter or two)."""


@dataclass(eq=False)
class _Open:
    text: str
    key: str
    start: float
    last: float
    confidence: float


class ScreenText:
    """Feed every frame with `push`; `finish(end)` returns the text spans found."""

    def __init__(self, reader: TextReader, fps: float) -> None:
        self.reader = reader
        self.interval = 1.0 / fps
        self._next = 0.0
        self._last_read: np.ndarray | None = None
        self._open: list[_Open] = []
        self._done: list[TextSpan] = []
        self.reads = 0

    def push(self, frame: Frame) -> None:
        """Consider `frame`; read it if a sample is due and the picture changed since the last read."""
        if frame.time + 1e-6 < self._next:
            return
        self._next = frame.time + self.interval
        grey = frame.image.mean(axis=2, dtype=np.float32)
        if self._last_read is not None and not _changed(self._last_read, grey):
            for line in self._open:
                line.last = frame.time
            return
        self._last_read = grey
        self.reads += 1
        self._update(self.reader.read(frame.detail if frame.detail is not None else frame.image), frame.time)

    def _update(self, lines: list[TextLine], time: float) -> None:
        still: list[_Open] = []
        for line in lines:
            key = _key(line.text)
            if len(key) < 2:
                continue
            match = next((o for o in self._open if o not in still and _same(o.key, key)), None)
            if match is None:
                match = _Open(line.text, key, time, time, line.confidence)
            elif line.confidence > match.confidence:
                match.text, match.key, match.confidence = line.text, key, line.confidence
            match.last = time
            still.append(match)
        self._done += [self._close(o) for o in self._open if o not in still]
        self._open = still

    def _close(self, line: _Open, end: float | None = None) -> TextSpan:
        stop = line.last + self.interval if end is None else min(end, line.last + self.interval)
        return TextSpan(MODALITY, line.start, stop, line.text, line.confidence)

    def finish(self, end: float, cuts: Sequence[float] = ()) -> list[TextSpan]:
        """Every span, in order of appearance; lines still visible end at `end` seconds at the latest.
        `cuts`: the shot cuts of the video (seconds, in order)."""
        spans = self._done + [self._close(o, end) for o in self._open]
        self._open, self._done = [], []
        return sorted(spans, key=lambda s: (s.start, s.text))


def _changed(before: np.ndarray, after: np.ndarray) -> bool:
    if before.shape != after.shape:
        return True
    return float(np.mean(np.abs(before - after) > CHANGED_LEVEL)) >= CHANGED_SHARE


def _key(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.lower())


def _same(a: str, b: str) -> bool:
    return a == b or difflib.SequenceMatcher(None, a, b).ratio() >= SAME_TEXT
