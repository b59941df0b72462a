"""Shot-aware segmentation of a frame stream. The only module that imports PySceneDetect.

Hard cuts come from PySceneDetect's content detector and fades to/from black from its threshold
detector, both fed the frames the pipeline already decoded (no second decode). Shots longer than
the segment cap are split into pieces between half the cap and the cap (evenly where the shot's
end is known in time), so every segment has a meaningful start and end.
"""

from __future__ import annotations

import bisect
import math
from array import array
from dataclasses import dataclass, field, replace

import numpy as np

from indexer.types import Frame, Segment


@dataclass(frozen=True)
class ShotParams:
    """`cut_threshold`: content-change score for a hard cut (PySceneDetect's scale, 27 default).
    `fade_threshold`: mean pixel level below which a frame counts as black (0-255).
    `min_shot`: shortest shot in seconds; `max_segment`: longest segment in seconds."""

    cut_threshold: float = 27.0
    fade_threshold: float = 12.0
    min_shot: float = 0.5
    max_segment: float = 10.0


class ShotDetector:
    """Streaming cut detection: push frames in order, get back cut times (seconds) as found.

    A cut's time is the presentation time of the first frame of the new shot. Detectors report
    fades some frames late, so each frame's time is remembered (8 bytes a frame), and cuts are
    held back until `SETTLE` seconds pass with no new report, so a cluster of cuts from both
    detectors comes out in time order.
    """

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
        """Feed the next frame (RGB); returns settled cut times, in order."""
        from scenedetect.common import FrameTimecode

        self._times.append(frame.time)
        timecode = FrameTimecode(len(self._times) - 1, fps=self._fps)
        bgr = np.ascontiguousarray(frame.image[::2, ::2, ::-1])
        for detector in self._detectors:
            self._held += [(self._time_of(c.frame_num), frame.time) for c in detector.process_frame(timecode, bgr)]
        if self._held and max(seen for _, seen in self._held) + self.SETTLE <= frame.time:
            return self.flush()
        return []

    def flush(self) -> list[float]:
        """Cuts still held back at the end of the stream, in order."""
        cuts, self._held = sorted(cut for cut, _ in self._held), []
        return cuts

    def _time_of(self, frame_number: int) -> float:
        return self._times[min(max(frame_number, 0), len(self._times) - 1)]


@dataclass
class _OpenSegment:
    start: float
    frame_times: list[float] = field(default_factory=list)
    candidates: list[Frame] = field(default_factory=list)


class Segmenter:
    """Turns frames and cut times into contiguous segments with their keyframe candidates.

    Memory is bounded: only the open stretch (at most twice `max_segment`) keeps its frame times
    and the candidate frames sampled at `candidate_fps`.
    """

    def __init__(self, params: ShotParams, candidate_fps: float) -> None:
        self._params = params
        self._step = 1.0 / candidate_fps
        self._next_candidate = 0.0
        self._open = _OpenSegment(start=0.0)

    def add(self, frame: Frame) -> list[tuple[Segment, list[Frame]]]:
        """Record a frame; returns segments closed because the open stretch grew too long."""
        self._open.frame_times.append(frame.time)
        if frame.time >= self._next_candidate:
            self._open.candidates.append(replace(frame, detail=None))  # a keyframe needs no OCR copy
            self._next_candidate = frame.time + self._step * 0.999
        cap = self._params.max_segment
        if frame.time - self._open.start <= 2 * cap:
            return []
        return [self._close(self._snap(self._open.start + cap))]

    def cut(self, time: float) -> list[tuple[Segment, list[Frame]]]:
        """A shot boundary at `time`: closes the open stretch there, split evenly if long."""
        if time - self._open.start < self._params.min_shot:
            return []
        return self._close_evenly(time)

    def finish(self, end: float) -> list[tuple[Segment, list[Frame]]]:
        """Close the last stretch at the video's end (seconds)."""
        if end <= self._open.start:
            return []
        return self._close_evenly(end)

    def _close_evenly(self, end: float) -> list[tuple[Segment, list[Frame]]]:
        parts = max(1, math.ceil((end - self._open.start) / self._params.max_segment - 1e-9))
        length = (end - self._open.start) / parts
        bounds = [self._snap(self._open.start + length * i) for i in range(1, parts)] + [end]
        return [self._close(bound) for bound in bounds if bound > self._open.start]

    def _snap(self, time: float) -> float:
        """The frame time nearest `time` in the open stretch (boundaries stay frame-accurate)."""
        times = self._open.frame_times
        i = bisect.bisect_left(times, time)
        near = [t for t in times[max(0, i - 1) : i + 1] if t > self._open.start]
        return min(near, key=lambda t: abs(t - time)) if near else time

    def _close(self, end: float) -> tuple[Segment, list[Frame]]:
        open_ = self._open
        keep = bisect.bisect_left(open_.frame_times, end)
        inside = [f for f in open_.candidates if f.time < end]
        self._open = _OpenSegment(
            start=end,
            frame_times=open_.frame_times[keep:],
            candidates=[f for f in open_.candidates if f.time >= end],
        )
        return Segment(open_.start, end), inside
