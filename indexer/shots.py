"""Shot-aware segmentation of a frame stream. The only module that imports PySceneDetect.

Three detectors share the frames the pipeline already decoded (no second decode):

- hard cuts between different footage: PySceneDetect's adaptive content detector (the content
  score of a frame must pass `cut_threshold` and stand out from the frames around it, so fast pans
  and shakes are not cuts);
- fades to and from black: its threshold detector;
- jump cuts (two stretches of one fixed camera joined: an interview edit, a surveillance export, a
  trimmed lecture): our own `JumpCuts`, because the backdrop stays identical and only the subject
  jumps, a change too small for a whole-frame score.

Shots longer than the segment cap are split into pieces between half the cap and the cap (evenly
where the shot's end is known in time), so every segment has a meaningful start and end.
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
    `jump_threshold`: how far the change at a jump cut must stand out from the change just before
    and just after it (a ratio, see `JumpCuts`); 0 turns jump-cut detection off.
    `min_shot`: shortest shot in seconds; `max_segment`: longest segment in seconds."""

    cut_threshold: float = 27.0
    fade_threshold: float = 12.0
    min_shot: float = 0.5
    max_segment: float = 10.0
    jump_threshold: float = 3.0


@dataclass(frozen=True)
class _Change:
    """The change into frame `number` from the frame `before` it (both kept as `grey`): block means
    (grey levels), the same spread to neighbouring blocks, and the share of still blocks."""

    number: int
    blocks: np.ndarray
    spread: np.ndarray
    still: float
    before: np.ndarray = field(repr=False)
    grey: np.ndarray = field(repr=False)


class JumpCuts:
    """Jump cuts in fixed-camera footage, one frame at a time (grey frames in, frame numbers out).

    Each frame is reduced to at most `HEIGHT` rows of grey and compared with the one before on a
    grid of `GRID` rows of square blocks; a block's change is the mean absolute difference of its
    pixels (grey levels, 0-255), less the median over all blocks (the sensor noise on a still
    backdrop) when it is weighed as evidence. The change into frame n is a jump cut when

    - the camera holds still: at least `STILL_SHARE` of the blocks change by at most `STILL` more
      than the picture's noise (`FLOOR`), or, when subjects fill much of the picture,
      `CROWDED_SHARE` of them do and `STILL_AROUND` do in the changes just before and after; pans,
      zooms and shakes move almost every block;
    - the change is a step, not motion: in `BLOCKS` blocks the change (at least `CHANGE`) is
      `threshold` times the largest change within `SPREAD` blocks just before it (plus `NOISE`): a
      subject appears where nothing moved; and in `BLOCKS` blocks, likewise, `threshold` times the
      change just after it: a subject vanishes and leaves a still background. Whatever moves on keeps
      changing near where it was. The score is the smaller of the two `BLOCKS`-th largest ratios;
    - the step covers at least `AREA` blocks (one ratio or the other at `threshold`): a blink or a
      typed letter is smaller;
    - it is not a small move: in `AREA` of those blocks, at least `MOVED` of the change is left when
      each frame's pixels are held against the range of the other's within `MOVE` px. A subject
      drifting or swaying slowly in a noisy still shot changes the blocks on its edges a little in
      most frames and more in some (it moves in whole-pixel steps between held frames, or a sharp
      edge crosses a pixel), and the sensor noise, taken off as the median, wipes out the small
      changes around the larger one, so the ratios alone see a step; a move of a pixel explains it
      all the same. Computed only for frames that passed the ratios;
    - it stands alone: the changes just before and after it are not steps themselves (an object
      crossing the picture in two frames is);
    - and the picture as a whole did not move: no shift of the whole frame (found by phase
      correlation) explains the change (see `BUMP`; a bumped camera, still just before and after,
      moves every edge a little at once). Computed only for frames that passed the rest, so it
      costs nothing on the way.

    Repeated frames (no block changes by more than `STILL`, mean under `REPEAT`: duplicates from a
    frame-rate conversion, animation on twos) are skipped, so motion on twos is not taken for steps.
    Under sensor noise a held frame is no repeat; there the small-move test keeps such motion out.

    A cut is reported when the second changed frame after it arrives. Memory: at most eight reduced
    frames (22 kB each at 112x199) and four grids. Cost: 0.07 ms a frame at the pipeline's working
    size, next to 1.2-2.8 ms for decoding a 640x360 H.264 frame to it (benchmarks/bench_cuts.py).

    The constants were chosen on synthesised footage (tests/media.py, 30 s per take, seeds 100 up:
    interviews, surveillance, lectures and fast balls, sensor noise 2-8 grey levels, brightness
    0.4-1; continuous shots with pans up to 1.3 frame widths a second, quick zooms, handheld shake
    and walking, passers-by close to the lens, dimming light), 640x360 decoded to the pipeline's
    224-pixel working size, and 320x240 as the tests draw it. There `threshold` 3 found 88 % of 137
    jump cuts (85 % of 141 at 320x240), with no false cut in 6 minutes of moving shots and one in 11
    minutes of fixed-camera takes between their cuts; the benchmark's figures come from other seeds.
    `threshold` 2.5 found 91 % but cut moving shots and real clips (a Chaplin walk, a bird leaving
    in Big Buck Bunny); 3.5 found 1-4 points fewer. The small-move test (`MOVED`) was added later for
    still shots of slow motion under sensor noise (tests/media.py `DRIFT_SHOTS` and `overlay_video`),
    and found the same jump cuts there.
    """

    HEIGHT = 112
    """Rows of grey analysed (px): the pipeline's 224-pixel frames, halved; taller frames are
    reduced, shorter ones used as they are."""
    GRID = 14
    """Block rows: a block is 1/14 of the picture's height (8 px at `HEIGHT`): an eye line in an
    interview, half a passer-by in a street view (8 rows found a third as many surveillance cuts)."""
    STILL = 3.0
    """Change (grey levels) up to which a block is still: compressed sensor noise measured 0-2.2 per
    block (median) on the test takes; the backdrop of a pan, zoom or shake rarely stays under 3."""
    STILL_SHARE = 0.5
    CROWDED_SHARE = 0.2
    STILL_AROUND = 0.7
    """Shares of still blocks (see the class notes): at jump cuts the test takes had 0.63-0.98 still
    (down to 0.2 with bouncing balls and a passer-by filling the picture); the test pans, zooms,
    shakes and walks pass 0.5 in 1-28 % of their frames, where the camera is slow or halts."""
    CHANGE = 4.0
    """Least change (grey levels above the frame's median block, i.e. above the noise of the still
    backdrop) of a block that counts as evidence: 6, without the noise taken off, found none of the
    night-time surveillance cuts (noise 8 grey levels, brightness 0.4)."""
    SPREAD = 2
    """Blocks around a block searched for the change before and after it: motion of up to two
    blocks (1/7 of the picture's height) a frame counts as motion. 1 took passers-by close to the
    lens and bouncing balls for steps; 3 found a quarter fewer jump cuts."""
    NOISE = 1.0
    """Grey levels added to the change before and after, so ratios stay finite on still footage
    (2 found a third fewer surveillance cuts)."""
    BLOCKS = 2
    AREA = 4
    """Blocks of evidence: `BLOCKS` for each of appearing and vanishing, `AREA` in all. A typed
    letter or a blink covers 1-3 blocks; `AREA` 3 added a false cut on a computer screen
    (goldeneye-vfr-drop3.mp4), `BLOCKS` 1 false cuts on moving shots and real clips."""
    MOVE = 1
    MOVED = 0.3
    """A move of up to `MOVE` px (at `HEIGHT`: 3 px of a 360-row picture) explains a pixel's change as
    far as its new value lies within the range of the old values around it, and its old value within
    that of the new ones; a step needs `AREA` blocks with ratio evidence of which at least `MOVED` of
    the change is left unexplained. At the 241 jump cuts found on the takes above the `AREA`-th
    largest share was 0.62-1; in 12 minutes of still shots with a subject drifting or swaying at
    10-60 px/s (640x360) under noise of 3-10 grey levels (`DRIFT_SHOTS` and 22 random variants of
    them and of `overlay_video`, 320x240 too) the ratios alone reported 245 cuts, all at 0-0.12.
    There `MOVED` 0.2 and 0.5 found the same; `MOVE` 2 one cut fewer at each size. Measured instead:
    the largest change of the 2, 3 or 5 changes before and after in place of the one next to it
    found 87/84, 85/81 and 83/78 % of the jump cuts (640x360/320x240; 88/85 % now) and left 22, 1
    and 0 of the 245; a least step of 3 or 4 times the noise's median found 85/79 and 83/77 % and
    left 148 and 126. Past the picture's edge any value is allowed: a box sliding out of the picture
    by a pixel (`OVERLAY_DRIFTS`, the report's case) was cut when the edge counted as unexplained."""
    REPEAT = 0.5
    """Mean change (grey levels) under which a frame with no changed block repeats the one before."""
    FLOOR = 10
    """Percentile of the blocks' change taken as the picture's noise: still blocks change by at most
    `STILL` more than that (noisy footage is still too; a moving camera leaves few blocks unchanged
    but flat ones, so the floor stays low)."""
    BUMP = 0.3
    BUMP_RESPONSE = 0.85
    BUMP_EXPLAINS = 0.95
    """A bump of the camera: the two frames' phase correlation agrees on one shift of the whole
    picture (`BUMP` px or more at `HEIGHT`, response `BUMP_RESPONSE` or more, 0-1) and shifting the
    earlier frame by it leaves less change (under `BUMP_EXPLAINS` of it). Bumps of the test handheld
    shots measured 0.4-5 px, responses 0.88-1, leaving 0.14-0.9 of the change; at jump cuts the
    backdrop stays in place, and a shift found there (the subject's) left 1.1-2.7 of the change or,
    the two times it left less, came with a response under 0.6."""

    def __init__(self, threshold: float = 3.0) -> None:
        import cv2

        self.threshold = threshold
        self._kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (2 * self.SPREAD + 1, 2 * self.SPREAD + 1))
        self._near = cv2.getStructuringElement(cv2.MORPH_RECT, (2 * self.MOVE + 1, 2 * self.MOVE + 1))
        self._previous: np.ndarray | None = None
        self._count = 0
        self._changes: list[_Change] = []
        self._scores: list[tuple[_Change, float]] = []

    def push(self, grey: np.ndarray) -> list[int]:
        """Feed the next frame (2-D uint8 grey); returns the numbers (0-based, in push order) of
        frames found to start a new shot: at most one, a few frames back."""
        import cv2

        rows, cols = grey.shape
        if rows > self.HEIGHT:
            size = (max(1, round(cols * self.HEIGHT / rows)), self.HEIGHT)
            grey = cv2.resize(grey, size, interpolation=cv2.INTER_AREA)
            rows, cols = grey.shape
        number, self._count = self._count, self._count + 1
        previous, self._previous = self._previous, grey
        if previous is None or previous.shape != grey.shape:
            self._changes, self._scores = [], []
            return []
        diff = cv2.absdiff(grey, previous).astype(np.float32)
        blocks = cv2.resize(diff, (max(1, round(cols * self.GRID / rows)), self.GRID), interpolation=cv2.INTER_AREA)
        if float(blocks.max()) <= self.STILL and float(blocks.mean()) < self.REPEAT:
            return []
        floor = float(np.percentile(blocks, self.FLOOR))
        still = float(np.count_nonzero(blocks <= floor + self.STILL)) / blocks.size
        blocks = np.maximum(blocks - float(np.median(blocks)), 0.0)  # above the noise of the backdrop
        change = _Change(number, blocks, cv2.dilate(blocks, self._kernel), still, previous, grey)
        self._changes = [*self._changes[-2:], change]
        if len(self._changes) < 3:
            return []
        self._scores = [*self._scores[-2:], (self._changes[1], self.score(*self._changes))]
        if len(self._scores) < 3:
            return []
        (_, before), (candidate, score), (_, after) = self._scores
        if score >= self.threshold > max(before, after) and not self.bumped(candidate):
            return [candidate.number]
        return []

    def bumped(self, change: _Change) -> bool:
        """Whether `change` is the whole picture shifting (the camera moved, see `BUMP`)."""
        import cv2

        before, grey = change.before.astype(np.float32), change.grey.astype(np.float32)
        rows, cols = grey.shape
        window = cv2.createHanningWindow((cols, rows), cv2.CV_32F)
        (dx, dy), response = cv2.phaseCorrelate(before, grey, window)
        margin = math.ceil(max(abs(dx), abs(dy))) + 1
        if math.hypot(dx, dy) < self.BUMP or response < self.BUMP_RESPONSE or 4 * margin >= min(rows, cols):
            return False
        inside = (slice(margin, rows - margin), slice(margin, cols - margin))
        moved = float(cv2.absdiff(grey, before)[inside].mean())
        for sign in (1, -1):
            shift = np.array([[1, 0, sign * dx], [0, 1, sign * dy]], dtype=np.float32)
            aligned = cv2.warpAffine(before, shift, (cols, rows), borderMode=cv2.BORDER_REPLICATE)
            if float(cv2.absdiff(grey, aligned)[inside].mean()) < self.BUMP_EXPLAINS * moved:
                return True
        return False

    def unexplained(self, change: _Change) -> np.ndarray:
        """Share (0-1) of each block's change in `change` that no move of up to `MOVE` px explains:
        a pixel's change is explained as far as its new value lies within the range of the old
        values around it, and its old value within the range of the new ones around it. Beyond the
        picture's edge lies any value (what moves out of the picture, or into it, is unseen)."""
        import cv2

        def low(grey: np.ndarray) -> np.ndarray:
            return cv2.erode(grey, self._near, borderType=cv2.BORDER_CONSTANT, borderValue=0)

        def high(grey: np.ndarray) -> np.ndarray:
            return cv2.dilate(grey, self._near, borderType=cv2.BORDER_CONSTANT, borderValue=255)

        before, grey = change.before, change.grey
        appeared = np.maximum(cv2.subtract(grey, high(before)), cv2.subtract(low(before), grey))
        vanished = np.maximum(cv2.subtract(before, high(grey)), cv2.subtract(low(grey), before))
        size = (change.blocks.shape[1], change.blocks.shape[0])
        left = cv2.resize(np.maximum(appeared, vanished).astype(np.float32), size, interpolation=cv2.INTER_AREA)
        total = cv2.resize(cv2.absdiff(grey, before).astype(np.float32), size, interpolation=cv2.INTER_AREA)
        return np.asarray(left / np.maximum(total, 1e-6))

    def score(self, before: _Change, at: _Change, after: _Change) -> float:
        """How far the change `at` stands out as a step (a ratio; 0 when it cannot be a jump cut)."""
        camera_still = at.still >= self.STILL_SHARE or (
            at.still >= self.CROWDED_SHARE and min(before.still, after.still) >= self.STILL_AROUND
        )
        evidence = at.blocks >= self.CHANGE
        if not camera_still or np.count_nonzero(evidence) < self.AREA:
            return 0.0
        step = at.blocks[evidence]
        appears = step / (before.spread[evidence] + self.NOISE)
        vanishes = step / (after.spread[evidence] + self.NOISE)
        stepped = np.maximum(appears, vanishes) >= self.threshold
        if np.count_nonzero(stepped) < self.AREA:
            return 0.0
        if np.count_nonzero(stepped & (self.unexplained(at)[evidence] >= self.MOVED)) < self.AREA:
            return 0.0
        rank = -self.BLOCKS
        return float(min(np.partition(appears, rank)[rank], np.partition(vanishes, rank)[rank]))


class ShotDetector:
    """Streaming cut detection: push frames in order, get back cut times (seconds) as found.

    A cut's time is the presentation time of the first frame of the new shot. Detectors report
    cuts some frames late (fades most), so each frame's time is remembered (8 bytes a frame), and
    cuts are held back until `SETTLE` seconds pass with no new report, so a cluster of cuts from the
    detectors comes out in time order. A jump cut within `min_shot` of another cut is dropped (a hard
    cut or fade is the better-placed boundary).
    """

    SETTLE = 1.0
    ADAPTIVE_RATIO = 3.0
    """A hard cut's content score must also be this many times the mean score of the two frames on
    either side (PySceneDetect's AdaptiveDetector default), so fast pans are not cuts: on the test
    pans (up to 1.3 frame widths a second) and handheld walk the plain content detector made 9.5
    false cuts a minute, this none; it found the same hard cuts (benchmarks/bench_cuts.py)."""

    def __init__(self, fps: float, params: ShotParams) -> None:
        from scenedetect.detectors import AdaptiveDetector, ThresholdDetector

        min_frames = max(1, round(params.min_shot * fps))
        self._fps = fps
        self._min_shot = params.min_shot
        self._detectors = [
            AdaptiveDetector(
                adaptive_threshold=self.ADAPTIVE_RATIO,
                min_scene_len=min_frames,
                min_content_val=params.cut_threshold,
            ),
            ThresholdDetector(threshold=params.fade_threshold, min_scene_len=min_frames),
        ]
        self._jumps = JumpCuts(params.jump_threshold) if params.jump_threshold > 0 else None
        self._times = array("d")
        self._held: list[tuple[float, float, bool]] = []  # (cut, when reported, is a jump cut)
        self._emitted = -math.inf
        self.jumps: list[float] = []
        """The cuts returned so far that are jump cuts (one camera, the same backdrop on both sides)."""

    def push(self, frame: Frame) -> list[float]:
        """Feed the next frame (RGB); returns settled cut times, in order."""
        import cv2
        from scenedetect.common import FrameTimecode

        self._times.append(frame.time)
        timecode = FrameTimecode(len(self._times) - 1, fps=self._fps)
        bgr = np.ascontiguousarray(frame.image[::2, ::2, ::-1])
        for detector in self._detectors:
            self._held += [
                (self._time_of(c.frame_num), frame.time, False) for c in detector.process_frame(timecode, bgr)
            ]
        if self._jumps is not None:
            found = self._jumps.push(cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY))
            self._held += [(self._time_of(n), frame.time, True) for n in found]
        if self._held and max(seen for _, seen, _ in self._held) + self.SETTLE <= frame.time:
            return self.flush()
        return []

    def flush(self) -> list[float]:
        """Cuts still held back at the end of the stream, in order."""
        hard = sorted(cut for cut, _, jump in self._held if not jump)
        cuts = list(hard)
        for cut in sorted(cut for cut, _, jump in self._held if jump):
            if all(abs(cut - other) >= self._min_shot for other in [self._emitted, *cuts]):
                cuts.append(cut)
                self.jumps.append(cut)
        self._held = []
        cuts.sort()
        if cuts:
            self._emitted = cuts[-1]
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
            self._open.candidates.append(replace(frame, enlarged=None))  # a keyframe needs no OCR copy
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
