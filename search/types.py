"""Typed records the store hands out and the hits search returns. Times are float seconds."""

from __future__ import annotations

import base64
import os
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from indexer import files
from indexer.types import AudioTrack, Modality, ModelRole, Word


@dataclass(frozen=True)
class ModelRecord:
    """The model an index used for `role` (a modality, or the sentence space the word modalities
    share): `model` is its identity; `dim` its vector size (0: it makes no vectors); `config` and
    `weights` say how to load it again (architecture or config file; pretrained tag or checkpoint
    path); `reason` says why it is missing when it is."""

    role: ModelRole
    model: str
    dim: int
    available: bool
    reason: str = ""
    config: str = ""
    weights: str = ""

    @property
    def modality(self) -> str:
        """`role` as a string ("text" for the sentence model), the name older callers used."""
        return str(self.role)

    def to_json(self) -> dict[str, Any]:
        """`modality` (or "text" for the sentence model), `model`, `available`, `reason`."""
        return {"modality": str(self.role), "model": self.model, "available": self.available, "reason": self.reason}


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
    modalities: tuple[Modality, ...] = ()
    language: str = ""
    has_video: bool = True
    """False for a file of sound alone (no pictures: no thumbnails or visual search)."""
    tracks: tuple[AudioTrack, ...] = ()
    """Its audio tracks, in the file's order (empty for an index made before tracks were kept)."""

    def to_json(self) -> dict[str, Any]:
        """The CLI/API contract for a video: id, path (and `path_bytes` for a name that is not
        UTF-8), duration (s), width, height, fps, modalities, language (null: unknown), has_video,
        audio_tracks, content_hash."""
        return {
            "id": self.id,
            **path_json("path", self.path),
            "duration": round(self.duration, 3),
            "width": self.width,
            "height": self.height,
            "fps": round(self.fps, 3),
            "modalities": [str(m) for m in self.modalities],
            "language": self.language or None,
            "has_video": self.has_video,
            "audio_tracks": [track_json(t) for t in self.tracks],
            "content_hash": self.content_hash,
        }


@dataclass(frozen=True)
class SegmentRecord:
    id: int
    video_id: int
    start: float
    end: float

    def to_json(self) -> dict[str, Any]:
        """id, start, end (seconds)."""
        return {"id": self.id, "start": round(self.start, 3), "end": round(self.end, 3)}


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
    modality: Modality
    start: float
    end: float
    text: str
    confidence: float
    words: tuple[Word, ...] = ()
    track: int | None = None
    """The audio track it was heard on (`AudioTrack.index`), None for screen text."""

    def to_json(self) -> dict[str, Any]:
        """A transcript line (the CLI's `info --json` and the API's transcript): modality, start,
        end (seconds), text, and `track` (the audio track it was heard on) for a file with several."""
        found: dict[str, Any] = {
            "modality": str(self.modality),
            "start": round(self.start, 3),
            "end": round(self.end, 3),
            "text": self.text,
        }
        if self.heard_on is not None:
            found["track"] = track_json(self.heard_on)
        return found

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

    modality: Modality
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
    """A ranked moment: [start, end) seconds of `video` (id `video_id` in its index), its fused
    `score`, the segments it overlaps and the evidence, one per modality that matched."""

    video: Path
    start: float
    end: float
    score: float
    segment_ids: tuple[int, ...]
    evidence: tuple[Evidence, ...]
    has_video: bool = True
    """False when `video` is sound alone: play it with an audio player; it has no thumbnails."""
    video_id: int | None = None

    def to_json(self) -> dict[str, Any]:
        """The CLI/API contract: video (+ `video_bytes`), start, end, score, matched (evidence per
        modality), and the ids a client fetches the stream (`video_id`) and a thumbnail
        (`segment_id`, the hit's first segment; null when none) by."""
        return {
            **path_json("video", self.video),
            "start": round(self.start, 3),
            "end": round(self.end, 3),
            "score": round(self.score, 4),
            "matched": {str(e.modality): e.to_json() for e in self.evidence},
            "segment_id": self.segment_ids[0] if self.segment_ids else None,
            "video_id": self.video_id,
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


@dataclass(frozen=True)
class Mark:
    """Where a query matches in one video, in one modality: a mark on that modality's lane of the
    video's timeline. [start, end) seconds; `score` is the modality's match (0..1, past its
    no-match floor); `text` what matched (sentence, screen text, sound label; "" for visual)."""

    modality: Modality
    start: float
    end: float
    score: float
    text: str = ""

    def to_json(self) -> dict[str, Any]:
        """modality, start, end (s), score, and text when there is some."""
        found: dict[str, Any] = {
            "modality": str(self.modality),
            "start": round(self.start, 3),
            "end": round(self.end, 3),
            "score": round(self.score, 4),
        }
        if self.text:
            found["text"] = self.text
        return found


@dataclass(frozen=True)
class VideoGroup:
    """The hits of one video, best first (`hits[0]` is its best moment)."""

    video: Path
    video_id: int | None
    hits: tuple[Hit, ...]

    @property
    def score(self) -> float:
        """The best moment's score."""
        return self.hits[0].score

    def to_json(self) -> dict[str, Any]:
        """video (+ `video_bytes`), video_id, score, and the hits as `Hit.to_json` gives them."""
        return {
            **path_json("video", self.video),
            "video_id": self.video_id,
            "score": round(self.score, 4),
            "hits": [hit.to_json() for hit in self.hits],
        }


def group_by_video(hits: Sequence[Hit]) -> list[VideoGroup]:
    """`hits` (best first) grouped by video, groups in the order of their best hit, each group's
    hits best first: a results page shows one card per video with "n more in this video"."""
    groups: dict[Path, list[Hit]] = {}
    for hit in hits:
        groups.setdefault(hit.video, []).append(hit)
    return [VideoGroup(video, found[0].video_id, tuple(found)) for video, found in groups.items()]


class LoadState(str, Enum):
    """Where loading an engine's query models stands."""

    IDLE = "idle"
    """Nothing has asked for them yet (they load on the first query)."""
    LOADING = "loading"
    READY = "ready"
    FAILED = "failed"


@dataclass(frozen=True)
class Readiness:
    """Whether an engine's query models are loaded: `state`, `error` (one line, when it failed)
    and `seconds` loading took (or has taken so far)."""

    state: LoadState
    error: str = ""
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        """state, seconds, and error when there is one."""
        found: dict[str, Any] = {"state": self.state.value, "seconds": round(self.seconds, 3)}
        if self.error:
            found["error"] = self.error
        return found
