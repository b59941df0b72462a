"""One file through the indexer: probe, decode (once), segment, pick keyframes, embed."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from indexer import decode, files, keyframes
from indexer.encoders import Encoder
from indexer.errors import VideoError
from indexer.shots import Segmenter, ShotDetector, ShotParams
from indexer.types import Frame, IndexedVideo, Keyframe, Segment, VideoInfo
from vidsearch.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class StageClock:
    """Wall seconds spent per stage, accumulated over calls (for the benchmark and logs)."""

    seconds: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        began = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - began

    def timed(self, name: str, items: Iterator[Frame]) -> Iterator[Frame]:
        """Yield from `items`, charging the time spent producing each item to `name`."""
        while True:
            with self.stage(name):
                item = next(items, None)
            if item is None:
                return
            yield item


class VideoIndexer:
    """Indexes single files with one settings object and (optionally) an image encoder.

    With `images=None` the visual modality is off: segments are still found, nothing is embedded.
    """

    def __init__(self, settings: Settings, images: Encoder[np.ndarray] | None, clock: StageClock | None = None):
        self.settings = settings
        self.images = images
        self.clock = clock or StageClock()
        self._shots = ShotParams(
            cut_threshold=settings.cut_threshold,
            fade_threshold=settings.fade_threshold,
            min_shot=settings.min_shot,
            max_segment=settings.max_segment,
        )

    def index(self, path: Path) -> IndexedVideo:
        """Index one file; raises VideoError when it cannot be read as a video."""
        with self.clock.stage("decode"):
            info = decode.probe(path)
        segments, found = self._segment(info)
        with self.clock.stage("hash"):
            stamp, digest = files.fingerprint(path), files.content_hash(path)
        return IndexedVideo(
            info=replace(info, duration=segments[-1].end),
            content_hash=digest,
            size=stamp.size,
            mtime=stamp.mtime,
            segments=tuple(segments),
            keyframes=tuple(found),
            modalities=("visual",) if self.images is not None else (),
        )

    def _segment(self, info: VideoInfo) -> tuple[list[Segment], list[Keyframe]]:
        """One decoding pass: segments covering the video and the embedded keyframes of each."""
        detector = ShotDetector(info.fps, self._shots)
        segmenter = Segmenter(self._shots, self.settings.keyframe_fps)
        batcher = _KeyframeBatcher(self.images, self.settings, self.clock)
        segments: list[Segment] = []
        last: Frame | None = None
        stream = decode.frames(info, self.settings.frame_size, self.settings.decoder)
        for frame in self.clock.timed("decode", stream):
            with self.clock.stage("segment"):
                closed = [c for cut in detector.push(frame) for c in segmenter.cut(cut)] + segmenter.add(frame)
            batcher.add(closed, segments)
            last = frame
        if last is None:
            raise VideoError(info.path, "no decodable video frames")
        with self.clock.stage("segment"):
            closed = [c for cut in detector.flush() for c in segmenter.cut(cut)]
            closed += segmenter.finish(_end_time(info, last))
        batcher.add(closed, segments)
        return segments, batcher.flush()


class _KeyframeBatcher:
    """Chooses keyframes of closed segments and embeds them `batch_size` at a time, so only one
    batch of images is ever held."""

    def __init__(self, images: Encoder[np.ndarray] | None, settings: Settings, clock: StageClock) -> None:
        self.images = images
        self.count = settings.keyframes
        self.batch_size = settings.batch_size
        self.clock = clock
        self.pending: list[tuple[int, Frame]] = []
        self.done: list[Keyframe] = []

    def add(self, closed: list[tuple[Segment, list[Frame]]], segments: list[Segment]) -> None:
        """Append the closed segments to `segments`, queueing their keyframes for embedding."""
        for segment, candidates in closed:
            if self.images is not None:
                self.pending += [(len(segments), f) for f in keyframes.choose(candidates, self.count)]
            segments.append(segment)
        if len(self.pending) >= self.batch_size:
            self._embed()

    def flush(self) -> list[Keyframe]:
        self._embed()
        return self.done

    def _embed(self) -> None:
        if self.images is None or not self.pending:
            return
        with self.clock.stage("embed"):
            vectors = self.images.encode([frame.image for _, frame in self.pending])
        self.done += [Keyframe(seg, frame.time, vec) for (seg, frame), vec in zip(self.pending, vectors)]
        self.pending = []


def _end_time(info: VideoInfo, last: Frame) -> float:
    """Where the last segment ends: the stream's duration, unless the frames outlast it."""
    frame_end = last.time + 1.0 / max(info.fps, 1e-3)
    return info.duration if info.duration >= frame_end - 1e-6 else frame_end
