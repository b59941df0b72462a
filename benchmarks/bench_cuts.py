"""Cut detection figure: the shot detector before (content + threshold detectors) and now (adaptive
content + threshold + jump cuts), side by side, on synthesised footage and on the shared media.

Builds, with the generators of `tests/media.py` (seeds other than the tests' and those the
constants were chosen on):

- jump cuts: every take of `JUMP_CUT_TAKES` (interviews, surveillance, lectures, fast balls; size,
  speed, noise and light varied) filmed as one continuous take with stretches cut out;
- motion: every kind of `MOTION_KINDS` (pans, zooms, handheld shake and walking, fast passers-by,
  dimming light), continuous shots with no cut at all;
- drift: still shots with a subject drifting or swaying slowly under sensor noise, no cut either:
  every shot of `DRIFT_SHOTS` (drawn) and of `OVERLAY_DRIFTS` (ffmpeg's overlay and noise filters,
  as a user reported false cuts every 0.6-1.5 s on);
- hard cuts: montages of the takes (different backdrops and subjects) cut together.

Each video is decoded once at the pipeline's working size (224 px short side) and fed to both
detectors. Printed: jump-cut recall within 0.25 s (per take and overall), false cuts per minute on
the motion and drift sets and between the cuts of the jump-cut set, hard-cut recall, and each
detector's milliseconds per frame next to decoding's; then cut counts of both on `../shared/media`
(edge, scenes, codecs) with the times of cuts only the new detector finds.

Usage: python benchmarks/bench_cuts.py [--seconds 40] [--size 640x360] [--keep DIR] [--shared ../shared]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from array import array
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from indexer import decode  # noqa: E402
from indexer.shots import ShotDetector, ShotParams  # noqa: E402
from indexer.types import Frame  # noqa: E402
from tests.media import (  # noqa: E402
    DRIFT_SHOTS,
    JUMP_CUT_TAKES,
    MOTION_KINDS,
    OVERLAY_DRIFTS,
    drift_video,
    jump_cut_video,
    montage_video,
    motion_video,
    overlay_video,
)

TOLERANCE = 0.25
"""A cut is found when a reported cut lies within this many seconds of it."""
WORKING_SIZE = 224
"""Short side (px) frames are decoded to, as the pipeline does by default."""
SEED = 1000
"""First seed of the benchmark's footage (the tests use 0 up, the constants were chosen on 100 up)."""


class OldDetector:
    """The shot detector as it was: PySceneDetect's content and threshold detectors, cuts held
    until `SETTLE` seconds pass with no new report."""

    SETTLE = 1.0

    def __init__(self, fps: float, params: ShotParams) -> None:
        from scenedetect.detectors import ContentDetector, ThresholdDetector

        min_frames = max(1, round(params.min_shot * fps))
        self._fps = fps
        self._detectors = [
            ContentDetector(threshold=params.cut_threshold, min_scene_len=min_frames),
            ThresholdDetector(threshold=params.fade_threshold, min_scene_len=min_frames),
        ]
        self._times = array("d")
        self._held: list[tuple[float, float]] = []

    def push(self, frame: Frame) -> list[float]:
        from scenedetect.common import FrameTimecode

        self._times.append(frame.time)
        timecode = FrameTimecode(len(self._times) - 1, fps=self._fps)
        bgr = np.ascontiguousarray(frame.image[::2, ::2, ::-1])
        for detector in self._detectors:
            for cut in detector.process_frame(timecode, bgr):
                self._held.append((self._times[min(max(cut.frame_num, 0), len(self._times) - 1)], frame.time))
        if self._held and max(seen for _, seen in self._held) + self.SETTLE <= frame.time:
            return self.flush()
        return []

    def flush(self) -> list[float]:
        cuts, self._held = sorted(cut for cut, _ in self._held), []
        return cuts


@dataclass
class Run:
    """Cuts each detector reported on one video, and time spent."""

    duration: float = 0.0
    frames: int = 0
    cuts: dict[str, list[float]] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


def detect(path: Path, limit: float = float("inf")) -> Run:
    """Decode `path` once (up to `limit` seconds) and feed every frame to both detectors."""
    info = decode.probe(path)
    detectors = {"old": OldDetector(info.fps, ShotParams()), "new": ShotDetector(info.fps, ShotParams())}
    run = Run(cuts={name: [] for name in detectors}, seconds={name: 0.0 for name in [*detectors, "decode"]})
    frames = decode.frames(info, WORKING_SIZE)
    last = None
    while True:
        started = time.perf_counter()
        frame = next(frames, None)
        run.seconds["decode"] += time.perf_counter() - started
        if frame is None or frame.time > limit:
            break
        for name, detector in detectors.items():
            started = time.perf_counter()
            run.cuts[name] += detector.push(frame)
            run.seconds[name] += time.perf_counter() - started
        run.frames += 1
        last = frame
    for name, detector in detectors.items():
        run.cuts[name] += detector.flush()
    run.duration = (last.time + 1 / info.fps) if last else 0.0
    return run


def found(truth: Iterable[float], cuts: list[float]) -> int:
    return sum(any(abs(cut - true) <= TOLERANCE for cut in cuts) for true in truth)


def false(truth: list[float], cuts: list[float]) -> int:
    return sum(not any(abs(cut - true) <= TOLERANCE for true in truth) for cut in cuts)


def build(folder: Path, seconds: float, size: tuple[int, int]) -> dict[str, tuple[Path, list[float], str]]:
    """Every video of the three sets: name -> (path, true cut times, set)."""
    videos: dict[str, tuple[Path, list[float], str]] = {}
    for n, (name, take) in enumerate(JUMP_CUT_TAKES.items()):
        path = folder / f"jump-{n:02d}.mp4"
        videos[name] = (path, jump_cut_video(path, replace(take, seed=SEED + n), seconds, size), "jump")
    for n, kind in enumerate(MOTION_KINDS):
        path = folder / f"motion-{kind}.mp4"
        motion_video(path, kind, seconds, SEED + n, size)
        videos[kind] = (path, [], "motion")
    for n, (name, drift) in enumerate(DRIFT_SHOTS.items()):
        path = folder / f"drift-{n:02d}.mp4"
        drift_video(path, replace(drift, seed=SEED + n), seconds, size)
        videos[name] = (path, [], "drift")
    for n, (name, (x, noise, textured)) in enumerate(OVERLAY_DRIFTS.items()):
        path = folder / f"overlay-{n}.mp4"
        overlay_video(path, seconds, x, noise, textured)  # 640x360 whatever `size`, as the report's
        videos[name] = (path, [], "drift")
    takes = [replace(take, seed=SEED + 50 + n) for n, take in enumerate(JUMP_CUT_TAKES.values())]
    for n in range(2):
        path = folder / f"hard-{n}.mp4"
        order = takes[n::2] + takes[1 - n :: 2]
        videos[f"montage {n + 1}"] = (path, montage_video(path, order, seconds / len(order) * 2, size), "hard")
    return videos


def report_synthetic(videos: dict[str, tuple[Path, list[float], str]]) -> dict[str, float]:
    runs = {}
    for name, (path, _, _) in videos.items():
        runs[name] = detect(path)
        print(f"  measured {name}", file=sys.stderr, flush=True)
    print(f"\nJump cuts found within {TOLERANCE} s (fixed-camera takes, cut at irregular times)")
    print(f"{'take':34} {'cuts':>5} {'old':>6} {'new':>6}   false cuts between (old/new)")
    totals = {"cuts": 0, "old": 0, "new": 0, "old false": 0, "new false": 0, "minutes": 0.0}
    for name, (_, truth, kind) in videos.items():
        if kind != "jump":
            continue
        run = runs[name]
        old, new = found(truth, run.cuts["old"]), found(truth, run.cuts["new"])
        fo, fn = false(truth, run.cuts["old"]), false(truth, run.cuts["new"])
        print(f"{name:34} {len(truth):5d} {old:6d} {new:6d}   {fo}/{fn}")
        totals["cuts"] += len(truth)
        totals["old"] += old
        totals["new"] += new
        totals["old false"] += fo
        totals["new false"] += fn
        totals["minutes"] += run.duration / 60
    print(
        f"{'all':34} {totals['cuts']:5d} {totals['old'] / totals['cuts']:6.0%} {totals['new'] / totals['cuts']:6.0%}"
        f"   {totals['old false'] / totals['minutes']:.2f}/{totals['new false'] / totals['minutes']:.2f} a minute"
    )
    for kind, title in (
        ("motion", "continuous shots with camera or subject motion"),
        ("drift", "still shots of slow subject motion under sensor noise"),
    ):
        print(f"\nFalse cuts on {title}")
        print(f"{'shot':44} {'min':>5} {'old':>6} {'new':>6}")
        tally = {"old": 0, "new": 0, "minutes": 0.0}
        for name, (_, _, set_) in videos.items():
            if set_ != kind:
                continue
            run = runs[name]
            print(f"{name:44} {run.duration / 60:5.2f} {len(run.cuts['old']):6d} {len(run.cuts['new']):6d}")
            tally["old"] += len(run.cuts["old"])
            tally["new"] += len(run.cuts["new"])
            tally["minutes"] += run.duration / 60
        print(
            f"{'a minute':44} {tally['minutes']:5.2f} {tally['old'] / tally['minutes']:6.2f}"
            f" {tally['new'] / tally['minutes']:6.2f}"
        )
    print(f"\nHard cuts between different footage found within {TOLERANCE} s")
    print(f"{'montage':34} {'cuts':>5} {'old':>6} {'new':>6}   false cuts (old/new)")
    for name, (_, truth, kind) in videos.items():
        if kind != "hard":
            continue
        run = runs[name]
        old, new = found(truth, run.cuts["old"]), found(truth, run.cuts["new"])
        wrong = f"{false(truth, run.cuts['old'])}/{false(truth, run.cuts['new'])}"
        print(f"{name:34} {len(truth):5d} {old:6d} {new:6d}   {wrong}")
    frames = sum(run.frames for run in runs.values())
    cost = {name: 1000 * sum(run.seconds[name] for run in runs.values()) / frames for name in ("decode", "old", "new")}
    print(
        f"\nMilliseconds a frame ({frames} frames, {WORKING_SIZE} px short side): decoding {cost['decode']:.2f},"
        f" old detector {cost['old']:.2f}, new detector {cost['new']:.2f}"
    )
    return cost


def report_shared(shared: Path, limit: float) -> None:
    media = shared / "media"
    files = [
        p for pattern in ("edge/*.mp4", "edge/*.webm", "scenes/*.mp4", "codecs/*") for p in sorted(media.glob(pattern))
    ]
    if not files:
        print(f"\n(no shared media at {media})")
        return
    print(f"\nCuts found on {media} (first {limit:.0f} s of each file)")
    print(f"{'file':40} {'s':>6} {'old':>5} {'new':>5}   only new (s)   only old (s)")
    totals = [0, 0]
    for path in files:
        try:
            run = detect(path, limit)
        except Exception as exc:  # a file that does not decode is not this figure's business
            print(f"{path.parent.name + '/' + path.name:40} not decoded: {exc}")
            continue
        old, new = run.cuts["old"], run.cuts["new"]
        only_new = [f"{c:.2f}" for c in new if not any(abs(c - o) <= TOLERANCE for o in old)]
        only_old = [f"{c:.2f}" for c in old if not any(abs(c - n) <= TOLERANCE for n in new)]
        totals[0] += len(old)
        totals[1] += len(new)
        name = f"{path.parent.name}/{path.name}"
        differ = f"{' '.join(only_new) or '-'}   {' '.join(only_old) or '-'}"
        print(f"{name:40} {run.duration:6.1f} {len(old):5d} {len(new):5d}   {differ}")
    print(f"{'all':40} {'':6} {totals[0]:5d} {totals[1]:5d}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=40.0, help="length of each synthesised video")
    parser.add_argument("--size", default="640x360", help="synthesised frame size, WIDTHxHEIGHT")
    parser.add_argument("--keep", type=Path, help="write the synthesised videos here (default: a temporary folder)")
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared", help="folder holding media/")
    parser.add_argument("--limit", type=float, default=120.0, help="seconds of each shared file to measure")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        videos = build(folder, args.seconds, (width, height))
        took = time.perf_counter() - started
        print(f"built {len(videos)} videos of {args.seconds:.0f} s at {args.size} in {took:.0f} s")
        report_synthetic(videos)
    report_shared(args.shared, args.limit)


if __name__ == "__main__":
    main()
