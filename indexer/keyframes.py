"""Choosing a few representative frames per segment: not blank, not repeats."""

from __future__ import annotations

import numpy as np

from indexer.types import Frame

DARK_LEVEL = 20.0
"""Mean luma (0-255) under which a frame is too dark to show anything."""
FLAT_SPREAD = 5.0
"""Luma standard deviation under which a frame is one flat colour."""
REPEAT_DIFF = 2.0
"""Mean absolute pixel difference under which two frames count as the same picture."""


def is_blank(image: np.ndarray) -> bool:
    """True for black, near-black and single-colour frames, which carry nothing to search for."""
    luma = image[::4, ::4].mean(axis=2)
    return bool(luma.mean() < DARK_LEVEL or luma.std() < FLAT_SPREAD)


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    if a.shape != b.shape:
        return False
    return float(np.abs(a[::4, ::4].astype(np.int16) - b[::4, ::4]).mean()) < REPEAT_DIFF


def choose(candidates: list[Frame], count: int) -> list[Frame]:
    """Up to `count` frames spread evenly over the candidates, skipping blanks and repeats."""
    usable = [f for f in candidates if not is_blank(f.image)]
    if len(usable) > count:
        positions = ((np.arange(count) + 0.5) * len(usable) / count).astype(int)
        usable = [usable[p] for p in positions]
    chosen: list[Frame] = []
    for frame in usable:
        if not chosen or not _same(chosen[-1].image, frame.image):
            chosen.append(frame)
    return chosen
