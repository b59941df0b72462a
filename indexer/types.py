"""Typed values that flow out of the indexer. Times are float seconds from the video's start."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from pathlib import Path

import numpy as np

SAMPLE_RATE = 16_000
"""Samples per second of the sound the models hear: decoded audio is 16 kHz mono float32, the
rate Whisper and YAMNet are trained on."""


class Modality(StrEnum):
    """What can be indexed and searched: keyframes (`visual`, CLIP), what is said (`speech`,
    Whisper), text on screen (`ocr`) and sound events (`audio`, YAMNet labels: music, applause,
    a dog barking). The values are the names users see and indexes store; members compare equal to
    them. `audio` is the term the commercial video APIs use for sound beyond speech; `sound` is
    accepted for it as well (the page and older model fields said "sound"). Definition order is the
    order modalities are listed and their evidence shown."""

    VISUAL = "visual"
    SPEECH = "speech"
    OCR = "ocr"
    AUDIO = "audio"

    @classmethod
    def _missing_(cls, value: object) -> Modality | None:
        if not isinstance(value, str):
            return None
        name = value.strip().lower()
        return ALIASES.get(name) or next((m for m in cls if m.value == name), None)

    @classmethod
    def parse(cls, names: Iterable[str]) -> tuple[Modality, ...]:
        """Each name as a modality, in the order given, without repeats (case and spaces ignored;
        `sound` is `audio`). Raises UnknownModality (a ValueError) naming every unknown one."""
        chosen: list[Modality] = []
        unknown: list[str] = []
        for name in names:
            try:
                modality = cls(name)
            except ValueError:
                unknown.append(str(name))
                continue
            if modality not in chosen:
                chosen.append(modality)
        if unknown:
            raise UnknownModality(tuple(unknown))
        return tuple(chosen)

    @property
    def space(self) -> Space:
        """The vector space its vectors live in."""
        return Space.CLIP if self == Modality.VISUAL else Space.SENTENCE

    @property
    def label(self) -> str:
        """How it is named to people."""
        return {Modality.OCR: "on-screen text", Modality.AUDIO: "sound"}.get(self, self.value)


ALIASES = {"sound": Modality.AUDIO, "sounds": Modality.AUDIO}
"""Other names a modality is known by (what the page and older model fields called it)."""


class UnknownModality(ValueError):
    """Names that are no modality; the message lists the known ones."""

    def __init__(self, names: tuple[str, ...]) -> None:
        known = ", ".join(Modality)
        super().__init__(f"unknown modality {', '.join(names)}; choose from {known}")
        self.names = names


class Space(StrEnum):
    """A vector space, apart from the modalities that use it: `clip` holds keyframes (and text or
    image queries through CLIP's towers); `text` is the sentence model's space, shared by what is
    said, shown as text and heard (`Modality.space`). The value of `text` is how indexes record
    the sentence model ("text", beside the modalities' own models)."""

    CLIP = "clip"
    SENTENCE = "text"


ModelRole = Modality | Space
"""What a model of an index serves: a modality (its CLIP, Whisper, OCR or YAMNet), or the
sentence space (the one sentence model the word modalities share)."""


def model_role(name: str) -> ModelRole:
    """The role an index records a model under, from its stored name: `text` is the sentence
    space, anything else a modality (ValueError when it is neither)."""
    return Space.SENTENCE if name == Space.SENTENCE.value else Modality(name)


def known_modalities(names: Iterable[str]) -> tuple[Modality, ...]:
    """The modalities among `names`, in the order given; names this version does not know (an
    index written by a newer one) are left out rather than failing the read."""
    found: list[Modality] = []
    for name in names:
        try:
            found.append(Modality(name))
        except ValueError:
            continue
    return tuple(found)


SENTENCE_MODALITIES = tuple(m for m in Modality if m.space is Space.SENTENCE)
"""The modalities whose finds are words (spans) embedded by the sentence model."""


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
    working size; `enlarged`, when the decoder was asked for it, makes `detail`: the same frame
    larger (for reading text), made only when first read."""

    index: int
    time: float
    image: np.ndarray = field(repr=False, compare=False)
    enlarged: Callable[[], np.ndarray] | None = field(default=None, repr=False, compare=False)

    @cached_property
    def detail(self) -> np.ndarray | None:
        """The larger picture (HxWx3 uint8 RGB), or None when none was asked for."""
        return self.enlarged() if self.enlarged is not None else None


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

    modality: Modality
    start: float
    end: float
    text: str
    confidence: float
    words: tuple[Word, ...] = ()
    track: int | None = None
    """The audio track (`AudioTrack.index`) a sentence or sound was heard on; None for screen text."""


@dataclass(frozen=True)
class TextLine:
    """One line of text in a frame: `box` is (left, top, right, bottom) in pixels; `confidence` 0..1.
    A box as the text detector found it also has its four `corners` ((x, y) pixels, clockwise from
    the top left), which may be turned; a line joined from several boxes has none."""

    text: str
    confidence: float
    box: tuple[float, float, float, float]
    corners: tuple[tuple[float, float], ...] = field(default=(), repr=False, compare=False)


@dataclass(frozen=True)
class IndexedVideo:
    """Everything the indexer learned about one file, ready for the store."""

    info: VideoInfo
    content_hash: str
    size: int
    mtime: float
    segments: tuple[Segment, ...]
    keyframes: tuple[Keyframe, ...]
    modalities: tuple[Modality, ...] = ()
    """The modalities this entry carries (empty when only segmented)."""
    spans: tuple[TextSpan, ...] = ()
    span_vectors: np.ndarray | None = field(default=None, repr=False, compare=False)
    """Sentence embeddings of `spans`, one float32 unit row each (None when no text model ran)."""
    language: str = ""
    """Spoken language detected by speech recognition (ISO 639-1), '' when unknown."""
