"""One file through the indexer: probe, decode the pictures once (segment, pick and embed
keyframes, read text on screen), decode the sound once (transcribe, detect sound events), and
embed every piece of text found.

The file is a small pipeline: the sound is worked on in a thread beside the pictures, and
frames are decoded in a thread a few frames ahead of the models that use them.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from indexer import decode, files, keyframes, tracks
from indexer.encoders import Encoder, SoundDetector, TextReader, Transcriber
from indexer.errors import Cancelled, Interrupted, TimeLimitExceeded, VideoError
from indexer.flow import Ahead
from indexer.heap import HeapTrimmer
from indexer.pauses import pause_segments
from indexer.screentext import ScreenText
from indexer.shots import Segmenter, ShotDetector, ShotParams
from indexer.types import (
    SAMPLE_RATE,
    AudioTrack,
    Frame,
    IndexedVideo,
    Keyframe,
    Modality,
    ModelRole,
    Segment,
    Space,
    TextSpan,
    VideoInfo,
)

log = logging.getLogger(__name__)
T = TypeVar("T")


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

    def timed(self, name: str, items: Iterator[T]) -> Iterator[T]:
        """Yield from `items`, charging the time spent producing each item to `name`."""
        while True:
            with self.stage(name):
                item = next(items, None)
            if item is None:
                return
            yield item


@dataclass(frozen=True)
class IndexParams:
    """How files are indexed; the entry layer builds it from its settings, whose defaults are
    these. Times are seconds, sizes pixels of a frame's short side.

    `shots`: where segments are cut. `keyframes`: most keyframes embedded per segment, chosen
    among candidates sampled at `keyframe_fps`; `batch_size`: images per model call.
    `frame_size`: frames are decoded to this (never upscaled) by `decoder` (see
    `decode.DECODERS`); OCR reads frames of `ocr_size` checked at `ocr_fps`, searching them for
    new text at every `ocr_detect_every`-th changed sample (see `ScreenText`). `every_track`: hear
    every audio track, not only the main one. A file may take `time_limit` plus
    `time_limit_per_second` per second of its length (see `Deadline`)."""

    shots: ShotParams = field(default_factory=ShotParams)
    keyframes: int = 3
    keyframe_fps: float = 2.0
    batch_size: int = 32
    frame_size: int = 224
    decoder: str = "pyav"
    ocr_fps: float = 1.0
    ocr_size: int = 720
    ocr_detect_every: int = 3
    every_track: bool = True
    time_limit: float = 300.0
    time_limit_per_second: float = 4.0


@dataclass(frozen=True)
class Models:
    """The models one run indexes with; a modality whose model is None is off.

    `sentences` embeds the text of speech, screen text and sound labels (all need it to be
    searchable by meaning; without it they are still found by keyword)."""

    images: Encoder[np.ndarray] | None = None
    speech: Transcriber | None = None
    ocr: TextReader | None = None
    audio: SoundDetector | None = None
    sentences: Encoder[str] | None = None

    def of(self, role: ModelRole) -> AnyModel | None:
        """The model serving `role`: a modality's, or the sentence space's (None: off)."""
        return self.by_role().get(role)

    def by_role(self) -> dict[ModelRole, AnyModel | None]:
        """Every role with its model (None: off), modalities in `Modality` order, then the sentence space."""
        return {
            Modality.VISUAL: self.images,
            Modality.SPEECH: self.speech,
            Modality.OCR: self.ocr,
            Modality.AUDIO: self.audio,
            Space.SENTENCE: self.sentences,
        }

    @classmethod
    def from_roles(cls, models: Mapping[ModelRole, Any]) -> Models:
        """Models by role (as `by_role` gives them); roles not given are off."""
        return cls(
            images=models.get(Modality.VISUAL),
            speech=models.get(Modality.SPEECH),
            ocr=models.get(Modality.OCR),
            audio=models.get(Modality.AUDIO),
            sentences=models.get(Space.SENTENCE),
        )

    @property
    def modalities(self) -> tuple[Modality, ...]:
        """The modalities that are on, in `Modality` order."""
        return tuple(m for m in Modality if self.of(m) is not None)


AnyModel = Encoder[np.ndarray] | Encoder[str] | Transcriber | TextReader | SoundDetector


@dataclass(frozen=True)
class Pictures:
    """What the pictures of a file gave: segments covering [0, `end`) seconds, embedded
    keyframes, and text on screen (all empty for a file without pictures)."""

    segments: list[Segment] = field(default_factory=list)
    keyframes: list[Keyframe] = field(default_factory=list)
    text: list[TextSpan] = field(default_factory=list)
    end: float = 0.0


@dataclass(frozen=True)
class Sound:
    """What the sound of a file gave: spans heard, the spoken language, and where the decoded
    sound ends (seconds); `decoded` is False when no sound model ran."""

    spans: tuple[TextSpan, ...] = ()
    language: str = ""
    end: float = 0.0
    decoded: bool = False


@dataclass(frozen=True)
class Deadline:
    """When indexing one file must be done by: `limit` seconds from the start (a fixed allowance
    plus an allowance per second of video), checked between frames and between stages, so a file
    that decodes pathologically slowly fails alone instead of stalling a night's batch."""

    path: Path
    limit: float
    at: float
    stopped: threading.Event = field(default_factory=threading.Event, compare=False)
    halted: threading.Event | None = field(default=None, compare=False)
    """Set when the whole run is to stop (see VideoIndexer's `halt`)."""

    @classmethod
    def start(cls, path: Path, info: VideoInfo, params: IndexParams, halt: threading.Event | None = None) -> Deadline:
        duration = max(0.0, info.duration, info.audio_duration)
        limit = params.time_limit + params.time_limit_per_second * duration
        return cls(path, limit, time.monotonic() + limit, halted=halt)

    def check(self) -> None:
        if self.halted is not None and self.halted.is_set():
            raise Interrupted(self.path)
        if self.stopped.is_set():
            raise Cancelled(self.path)
        if time.monotonic() > self.at:
            raise TimeLimitExceeded(self.path, self.limit)

    def stop(self) -> None:
        """Make the next check raise Cancelled: another stage of the file has failed."""
        self.stopped.set()


AUDIO_CHUNK = 120.0
"""Seconds of sound decoded and recognised at a time: memory stays flat however long the video
(Whisper on a 600 s chunk peaked ~700 MB above its model; on 120 s, ~220 MB)."""
FRAMES_AHEAD = 16
"""Frames decoded ahead of the models (at 720p with a 224 px copy, about 25 MB)."""
TRUNCATED = 1.0
"""Seconds short of its declared duration at which a stream's frames are trusted instead."""
OUTLAST = 1.0
"""Seconds the sound may go on after the last picture and still belong to the last segment; a
longer tail gets segments of its own (cut in the pauses of what is said)."""


class VideoIndexer:
    """Indexes single files with the parameters and the models of this run.

    With no image encoder the visual modality is off: segments are still found, nothing is embedded.
    """

    def __init__(
        self, params: IndexParams, models: Models, clock: StageClock | None = None, halt: threading.Event | None = None
    ):
        """`halt`, once set, makes the file at work raise Interrupted at its next check (between
        frames, between chunks of sound): how a run asked to stop lets go of a long file."""
        self.params = params
        self.models = models
        self.clock = clock or StageClock()
        self.halt = halt

    def index(self, path: Path) -> IndexedVideo:
        """Index one file (a video, or sound alone); raises VideoError when it cannot be read.

        The file lasts as long as its longest stream: where the sound goes on after the pictures
        end (or there are none), segments are cut in the pauses of what is said."""
        with self.clock.stage("decode"):
            info = decode.probe(path)
        deadline = Deadline.start(path, info, self.params, self.halt)
        with ThreadPoolExecutor(1, thread_name_prefix="sound") as beside:
            sound = beside.submit(self._sound, info, self.models.modalities, deadline)
            try:
                seen = self._pictures(info, deadline) if info.has_video else Pictures()
            except BaseException:
                deadline.stop()
                raise
            heard = sound.result()
        end = max(seen.end, heard.end if heard.decoded else _declared_sound_end(info, seen))
        if end <= 0:
            raise VideoError(path, "no picture decodes and no sound was decoded")
        segments = seen.segments
        if segments and end - seen.end <= OUTLAST:  # the sound's last frame runs a little over
            segments = [*segments[:-1], replace(segments[-1], end=end)]
        else:
            sentences = [s for s in heard.spans if s.modality == Modality.SPEECH]
            segments = segments + pause_segments(seen.end, end, sentences, self.params.shots.max_segment)
        spans = tuple(sorted([*seen.text, *heard.spans], key=lambda s: (s.start, s.modality)))
        with self.clock.stage("hash"):
            stamp, digest = files.fingerprint(path), files.content_hash(path)
        return IndexedVideo(
            info=replace(info, duration=end),
            content_hash=digest,
            size=stamp.size,
            mtime=stamp.mtime,
            segments=tuple(segments),
            keyframes=tuple(seen.keyframes),
            modalities=self.models.modalities,
            spans=spans,
            span_vectors=self._embed_spans(spans),
            language=heard.language,
        )

    def listen(
        self, path: Path, modalities: tuple[Modality, ...]
    ) -> tuple[tuple[TextSpan, ...], np.ndarray | None, str]:
        """Only the sound `modalities` (speech, audio) of `path`: spans, their vectors, language;
        no picture is decoded. How speech or sounds are added to an index that lacks them."""
        with self.clock.stage("decode"):
            info = decode.probe(path)
        heard = self._sound(info, modalities, Deadline.start(path, info, self.params, self.halt))
        return heard.spans, self._embed_spans(heard.spans), heard.language

    def _pictures(self, info: VideoInfo, deadline: Deadline) -> Pictures:
        """One decoding pass: segments covering the pictures, embedded keyframes, text on screen."""
        detector = ShotDetector(info.fps, self.params.shots)
        segmenter = Segmenter(self.params.shots, self.params.keyframe_fps)
        batcher = _KeyframeBatcher(self.models.images, self.params, self.clock)
        ocr = self.models.ocr
        reader = ScreenText(ocr, self.params.ocr_fps, self.params.ocr_detect_every) if ocr else None
        segments: list[Segment] = []
        cuts: list[float] = []
        last: Frame | None = None
        trim = HeapTrimmer()
        detail = self.params.ocr_size if reader else 0
        decoded = decode.frames(info, self.params.frame_size, self.params.decoder, detail)
        with Ahead(self.clock.timed("decode", decoded), FRAMES_AHEAD, "decode") as frames:
            for frame in frames:
                with self.clock.stage("segment"):
                    found_cuts = detector.push(frame)
                    closed = [c for cut in found_cuts for c in segmenter.cut(cut)] + segmenter.add(frame)
                cuts += found_cuts
                batcher.add(closed, segments)
                if reader:
                    with self.clock.stage("ocr"):
                        reader.push(frame)
                last = frame
                deadline.check()
                trim()
        if last is None:
            raise VideoError(info.path, "no decodable video frames")
        end = _end_time(info, last)
        with self.clock.stage("segment"):
            last_cuts = detector.flush()
            closed = [c for cut in last_cuts for c in segmenter.cut(cut)]
            closed += segmenter.finish(end)
        cuts += last_cuts
        batcher.add(closed, segments)
        # text over one camera's footage stays across its jump cuts (a title, a lower third); a
        # jump cut found where a title vanishes from a still picture must not cut the text beside it
        jumps = set(detector.jumps)
        scene_cuts = [cut for cut in cuts if cut not in jumps]
        text = reader.finish(end, scene_cuts) if reader else []
        return Pictures(segments, batcher.flush(), text, end)

    def _sound(self, info: VideoInfo, modalities: tuple[Modality, ...], deadline: Deadline) -> Sound:
        """Sentences spoken and sound events heard (those of `modalities`) on every audio track
        the parameters let in, the main one first; what another track repeats of it is left out."""
        speech = self.models.speech if Modality.SPEECH in modalities else None
        sounds = self.models.audio if Modality.AUDIO in modalities else None
        order = tracks.heard(info, every=self.params.every_track)
        if not order or (speech is None and sounds is None):
            return Sound()
        main, others = order[0], order[1:]
        spans: list[TextSpan] = []
        languages: dict[AudioTrack, list[str]] = {}
        end = 0.0
        for track in order:
            heard: list[TextSpan] = []
            chunks = decode.audio_chunks(info.path, AUDIO_CHUNK, track.index)
            for offset, samples in self.clock.timed("decode-audio", chunks):
                deadline.check()
                end = max(end, offset + len(samples) / SAMPLE_RATE)
                if speech is not None:
                    with self.clock.stage("speech"):
                        said, language = speech.transcribe(samples)
                    heard += [_placed(span, offset, track) for span in said]
                    languages.setdefault(track, []).extend([language] * len(said))
                    deadline.check()
                if sounds is not None:
                    with self.clock.stage("audio"):
                        heard += [_placed(span, offset, track) for span in sounds.detect(samples)]
            spans += heard if track == main else tracks.unrepeated(heard, spans)
        if others:
            log.info("%s: heard %s (main) and %s", info.path, main.label(), ", ".join(t.label() for t in others))
        elif len(info.tracks) > 1:
            log.info(
                "%s: heard only %s of %d audio tracks (audio_tracks=main)", info.path, main.label(), len(info.tracks)
            )
        spoken = next((found for found in languages.values() if found), [])  # the main track's, if it speaks
        return Sound(tuple(spans), max(set(spoken), key=spoken.count) if spoken else "", end, True)

    def _embed_spans(self, spans: tuple[TextSpan, ...]) -> np.ndarray | None:
        if self.models.sentences is None or not spans:
            return None
        with self.clock.stage("embed-text"):
            return self.models.sentences.encode([span.text for span in spans])


class _KeyframeBatcher:
    """Chooses keyframes of closed segments and embeds them `batch_size` at a time, so only one
    batch of images is ever held."""

    def __init__(self, images: Encoder[np.ndarray] | None, params: IndexParams, clock: StageClock) -> None:
        self.images = images
        self.count = params.keyframes
        self.batch_size = params.batch_size
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


def _placed(span: TextSpan, offset: float, track: AudioTrack) -> TextSpan:
    """`span` found on `track` in audio starting `offset` seconds in, in the file's own time."""
    words = tuple(replace(w, start=w.start + offset, end=w.end + offset) for w in span.words)
    return replace(span, start=span.start + offset, end=span.end + offset, words=words, track=track.index)


def _declared_sound_end(info: VideoInfo, seen: Pictures) -> float:
    """Where the sound ends by the container's word, when it was not decoded: believed unless
    the pictures showed that the file is cut short (then nothing declared can be believed)."""
    if info.has_video and seen.end < info.duration - TRUNCATED:
        return 0.0
    return info.audio_duration


def _end_time(info: VideoInfo, last: Frame) -> float:
    """Where the last segment ends: the stream's declared duration, unless the frames outlast it
    or end more than TRUNCATED seconds before it (a cut-short file whose header still promises
    the whole length: searches must not offer moments that cannot be played)."""
    frame_end = last.time + 1.0 / max(info.fps, 1e-3)
    if frame_end < info.duration - TRUNCATED:
        log.info("%s: frames end at %.1f s, %.1f s before its declared end", info.path, frame_end, info.duration)
        return frame_end
    return max(info.duration, frame_end)
