"""Typed values that flow out of the indexer. Times are float seconds from the video's start."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class AudioTrack:
    """One audio stream of a file: `index` is its place among the file's audio streams (0 is the
    first), `language` its language tag ('' when unset), `title` its title, and `default` the flag
    players choose a track by."""

    index: int
    language: str = ""
    title: str = ""
    default: bool = False

    def label(self) -> str:
        """How people are told which track: "track 2 (Main, eng)", counting from 1 as players do."""
        details = ", ".join(d for d in (self.title, self.language) if d)
        return f"track {self.index + 1}" + (f" ({details})" if details else "")


@dataclass(frozen=True)
class VideoInfo:
    """What probing a file tells us. `duration` is the declared length in seconds of the picture
    (of the sound, for a file without pictures) and `audio_duration` that of the longest audio
    track (0.0 when not declared); sizes are displayed pixels (after rotation), 0 without pictures."""

    path: Path
    duration: float
    fps: float
    width: int
    height: int
    rotation: int
    has_audio: bool
    codec: str
    frames: int = 0
    """Frame count the container declares (0 when it does not say); not trusted, only checked."""
    has_video: bool = True
    """False for sound-only files (podcasts, voice memos; cover art does not count as video)."""
    tracks: tuple[AudioTrack, ...] = ()
    """The audio streams, in the file's order."""
    audio_duration: float = 0.0

    @property
    def main_track(self) -> AudioTrack | None:
        """The track a player plays (see `main_track`)."""
        return main_track(self.tracks)


def main_track(tracks: tuple[AudioTrack, ...]) -> AudioTrack | None:
    """The track a player plays: the first one flagged default, else the first (None: no sound)."""
    return next((t for t in tracks if t.default), tracks[0] if tracks else None)


@dataclass(frozen=True)
class Frame:
    """One decoded frame: `time` is its presentation time in seconds; `image` is HxWx3 uint8 RGB at
    working size; `detail` the same frame larger (for reading text), when it was asked for."""

    index: int
    time: float
    image: np.ndarray = field(repr=False, compare=False)
    detail: np.ndarray | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class Segment:
    """A contiguous span [start, end) of a video, in seconds, bounded by shot cuts or the length cap."""

    start: float
    end: float

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class Keyframe:
    """A representative, non-blank frame of a segment and its embedding (float32, L2-normalised)."""

    segment: int
    time: float
    vector: np.ndarray = field(repr=False, compare=False)


@dataclass(frozen=True)
class Word:
    """One recognised word and when it was spoken, in seconds."""

    start: float
    end: float
    text: str


@dataclass(frozen=True)
class TextSpan:
    """Words found in a video over [start, end) seconds: a spoken sentence (`speech`), a line of
    on-screen text (`ocr`) or a sound's label (`audio`). `confidence` is the model's, in 0..1."""

    modality: str
    start: float
    end: float
    text: str
    confidence: float
    words: tuple[Word, ...] = ()
    track: int | None = None
    """The audio track (`AudioTrack.index`) a sentence or sound was heard on; None for screen text."""


@dataclass(frozen=True)
class TextLine:
    """One line of text in a frame: `box` is (left, top, right, bottom) in pixels; `confidence` 0..1."""

    text: str
    confidence: float
    box: tuple[float, float, float, float]


@dataclass(frozen=True)
class IndexedVideo:
    """Everything the indexer learned about one file, ready for the store."""

    info: VideoInfo
    content_hash: str
    size: int
    mtime: float
    segments: tuple[Segment, ...]
    keyframes: tuple[Keyframe, ...]
    modalities: tuple[str, ...] = ()
    """The modalities this entry carries (empty when only segmented)."""
    spans: tuple[TextSpan, ...] = ()
    span_vectors: np.ndarray | None = field(default=None, repr=False, compare=False)
    """Sentence embeddings of `spans`, one float32 unit row each (None when no text model ran)."""
    language: str = ""
    """Spoken language detected by speech recognition (ISO 639-1), '' when unknown."""
