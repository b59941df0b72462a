from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from indexer import decode
from indexer.shots import Segmenter, ShotDetector, ShotParams
from indexer.types import Segment
from tests.conftest import COLOURED_SHOTS
from tests.media import Shot, shots_video

TOLERANCE = 0.25


def segment(path: Path, params: ShotParams | None = None) -> list[Segment]:
    params = params or ShotParams()
    info = decode.probe(path)
    detector, segmenter = ShotDetector(info.fps, params), Segmenter(params, candidate_fps=2.0)
    closed, last = [], None
    for frame in decode.frames(info, 128):
        closed += [c for cut in detector.push(frame) for c in segmenter.cut(cut)] + segmenter.add(frame)
        last = frame
    assert last is not None
    closed += [c for cut in detector.flush() for c in segmenter.cut(cut)]
    closed += segmenter.finish(max(info.duration, last.time + 1 / info.fps))
    return [s for s, _ in closed]


def assert_covers(segments: list[Segment], duration: float) -> None:
    assert segments[0].start == 0.0
    assert segments[-1].end == pytest.approx(duration, abs=0.05)
    for before, after in itertools.pairwise(segments):
        assert before.end == after.start
        assert after.end > after.start


def assert_cuts_found(segments: list[Segment], cuts: list[float]) -> None:
    bounds = [s.start for s in segments[1:]]
    for cut in cuts:
        assert min(abs(b - cut) for b in bounds) <= TOLERANCE, f"cut at {cut} s missed; boundaries {bounds}"


def test_hard_cuts_become_frame_accurate_boundaries(coloured: Path) -> None:
    segments = segment(coloured)
    assert_covers(segments, 12.0)
    assert [s.start for s in segments[1:]] == pytest.approx([4.0, 7.0], abs=1 / 25 + 1e-6)


def test_long_shots_split_into_pieces_between_half_the_cap_and_the_cap(coloured: Path) -> None:
    segments = segment(coloured, ShotParams(max_segment=2.0))
    assert_covers(segments, 12.0)
    assert_cuts_found(segments, [4.0, 7.0])
    assert all(1.0 - 1 / 25 <= s.duration <= 2.0 + 1 / 25 for s in segments), [s.duration for s in segments]


def test_fades_through_black_are_found(tmp_path: Path) -> None:
    path = tmp_path / "fades.mp4"
    cuts = shots_video(path, [Shot("orange", 3.0), Shot("purple", 3.0), Shot("teal", 3.0)], fade=True)
    segments = segment(path)
    assert_covers(segments, 9.0)
    assert_cuts_found(segments, cuts)


def test_many_short_shots(tmp_path: Path) -> None:
    path = tmp_path / "many.mp4"
    colours = ["red", "white", "navy", "yellow", "darkgreen", "pink", "purple", "orange"]
    cuts = shots_video(path, [Shot(c, 1.2) for c in colours], audio=False)
    segments = segment(path)
    assert_covers(segments, 9.6)
    assert_cuts_found(segments, cuts)


def test_shared_testvideo_fades_found(shared: Path) -> None:
    """PySceneDetect's testvideo.mp4: its reference cuts (6.706 s, 12.746 s) are fades through black."""
    segments = segment(shared / "scenes" / "testvideo.mp4")
    assert_covers(segments, 24.023)
    assert_cuts_found(segments, [6.706, 12.746])


def test_shared_vfr_cuts_found(shared: Path) -> None:
    segments = segment(shared / "scenes" / "goldeneye-vfr-drop3.mp4")
    assert_cuts_found(segments, [3.754, 8.759])


def test_coloured_fixture_matches_its_description() -> None:
    assert sum(s.seconds for s in COLOURED_SHOTS) == 12.0
