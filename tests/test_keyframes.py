from __future__ import annotations

import numpy as np

from indexer.keyframes import choose, is_blank
from indexer.types import Frame


def frame(time: float, image: np.ndarray) -> Frame:
    return Frame(int(time * 10), time, image)


def noise(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 255, (60, 80, 3), dtype=np.uint8)


def test_black_and_flat_frames_are_blank() -> None:
    assert is_blank(np.zeros((60, 80, 3), np.uint8))
    assert is_blank(np.full((60, 80, 3), 200, np.uint8))
    assert not is_blank(noise(0))


def test_choose_spreads_picks_and_skips_blanks_and_repeats() -> None:
    black = np.zeros((60, 80, 3), np.uint8)
    candidates = [frame(0.0, black)] + [frame(0.5 * i, noise(i)) for i in range(1, 10)]
    picked = choose(candidates, 3)
    assert len(picked) == 3
    assert all(not is_blank(f.image) for f in picked)
    assert picked[0].time < picked[1].time < picked[2].time

    still = noise(42)
    assert len(choose([frame(0.5 * i, still.copy()) for i in range(6)], 3)) == 1


def test_all_blank_segment_gets_no_keyframe() -> None:
    assert choose([frame(0.0, np.zeros((60, 80, 3), np.uint8))], 3) == []
