"""Typed records the store hands out and the hits search returns. Times are float seconds."""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from indexer import files
from indexer.types import AudioTrack, Word


@dataclass(frozen=True)
class ModelRecord:
    """How a modality's vectors were made: `model` is the encoder's identity; `config` and
    `weights` say how to load it again (architecture or config file; pretrained tag or checkpoint
    path); `reason` says why the modality is missing when it is."""

    modality: str
    model: str
    dim: int
    available: bool
    reason: str = ""
    config: str = ""
    weights: str = ""


@dataclass(frozen=True)
class VideoRecord:
    id: int
    path: Path
    content_hash: str
    size: int
    mtime: float
    duration: float
    fps: float
    width: int
    height: int
    modalities: tuple[str, ...] = ()
    language: str = ""
    has_video: bool = True
    """False for a file of sound alone (no pictures: no thumbnails or visual search)."""
    tracks: tuple[AudioTrack, ...] = ()
    """Its audio tracks, in the file's order (empty for an index made before tracks were kept)."""


@dataclass(frozen=True)
class SegmentRecord:
    id: int
    video_id: int
    start: float
    end: float


@dataclass(frozen=True)
class KeyframeRecord:
    """A stored keyframe with its segment and video, as search needs it to build a hit."""

    id: int
    time: float
    segment: SegmentRecord
    video: VideoRecord


@dataclass(frozen=True)
class SpanRecord:
    """A stored span of text (spoken sentence, screen text, sound label) with its video."""

    id: int
    video: VideoRecord
    modality: str
    start: float
    end: float
    text: str
    confidence: float
    words: tuple[Word, ...] = ()
    track: int | None = None
    """The audio track it was heard on (`AudioTrack.index`), None for screen text."""

    @property
    def heard_on(self) -> AudioTrack | None:
        """The audio track it was heard on, when its video has more than one (else there is no
        choice worth telling)."""
        tracks = self.video.tracks
        return tracks[self.track] if self.track is not None and len(tracks) > 1 and self.track < len(tracks) else None


@dataclass(frozen=True)
class Evidence:
    """Why a hit matched in one modality. `score` is in that modality's own scale (cosine for
    visual, 0..1 match for the text modalities); `time` (seconds) is where to look first; for the
    text modalities [start, end) is the sentence, the time the text is on screen, or the sound."""

    modality: str
    score: float
    time: float
    start: float | None = None
    end: float | None = None
    text: str = ""
    words: tuple[str, ...] = ()
    """The words of `text` that the query's words matched."""
    confidence: float | None = None
    """The recogniser's confidence in `text` (0..1), e.g. how sure the sound classifier was."""
    track: AudioTrack | None = None
    """The audio track it was heard on, for a file with several."""

    def to_json(self) -> dict[str, Any]:
        found: dict[str, Any] = {"score": round(self.score, 4), "time": round(self.time, 3)}
        if self.start is not None and self.end is not None:
            found.update(start=round(self.start, 3), end=round(self.end, 3))
        if self.text:
            found.update(text=self.text, matched_words=list(self.words))
        if self.confidence is not None:
            found["confidence"] = round(self.confidence, 3)
        if self.track is not None:
            found["track"] = track_json(self.track)
        return found


@dataclass(frozen=True)
class Hit:
    """A ranked moment: [start, end) seconds of `video`, its fused `score` and the evidence."""

    video: Path
    start: float
    end: float
    score: float
    segment_ids: tuple[int, ...]
    evidence: tuple[Evidence, ...]
    has_video: bool = True
    """False when `video` is sound alone: play it with an audio player; it has no thumbnails."""

    def to_json(self) -> dict[str, Any]:
        """The CLI/API contract: video, start, end, score, matched (evidence per modality)."""
        return {
            **path_json("video", self.video),
            "start": round(self.start, 3),
            "end": round(self.end, 3),
            "score": round(self.score, 4),
            "matched": {e.modality: e.to_json() for e in self.evidence},
        }


@dataclass(frozen=True)
class Filters:
    """Which videos a search may return: under `folder` (absolute), and `min_duration` ..
    `max_duration` seconds long (None: no bound)."""

    folder: Path | None = None
    min_duration: float | None = None
    max_duration: float | None = None

    def admits(self, video: VideoRecord) -> bool:
        if self.folder is not None and self.folder not in video.path.parents:
            return False
        if self.min_duration is not None and video.duration < self.min_duration:
            return False
        return self.max_duration is None or video.duration <= self.max_duration


def path_json(key: str, path: Path) -> dict[str, str]:
    """`{key: path}` for JSON output. A path whose name is not valid UTF-8 (JSON text must be) is
    shown escaped (`files.printable`) and given exactly in `{key}_bytes`: its bytes, base64."""
    if files.is_text(path):
        return {key: str(path)}
    return {key: path_text(path), f"{key}_bytes": base64.b64encode(os.fsencode(path)).decode("ascii")}


def path_text(path: Path) -> str:
    """A path as JSON text: itself, or escaped (`files.printable`) when its name is not valid UTF-8."""
    return str(path) if files.is_text(path) else files.printable(path)


def track_json(track: AudioTrack) -> dict[str, Any]:
    """An audio track for JSON output: index (0 is the file's first audio track), language, title, default."""
    return {"index": track.index, "language": track.language, "title": track.title, "default": track.default}


def clock(seconds: float) -> str:
    """`seconds` as mm:ss, or h:mm:ss from an hour on: how moments are shown to people."""
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes:02d}:{rest:02d}" if minutes < 60 else f"{minutes // 60}:{minutes % 60:02d}:{rest:02d}"
