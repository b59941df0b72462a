"""The search API: open an index directory, ask in words, get ranked moments.

The CLI, the HTTP API and the page all go through `VideoSearch`, so they rank alike.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from indexer.encoders import Encoder
from indexer.encoders.clip import ClipSpec, OpenClip
from search.errors import IndexEmpty, ModelMismatch, NoSearchableModality, VideoNotIndexed
from search.moments import ScoredSegment, merge
from search.store import VISUAL, Store
from search.types import Evidence, Hit, KeyframeRecord, ModelRecord, SegmentRecord, VideoRecord
from vidsearch.settings import Settings

log = logging.getLogger(__name__)

CLIP_FIELDS = frozenset({"clip_model", "clip_pretrained", "clip_checkpoint"})


@dataclass(frozen=True)
class IndexStats:
    """What an index holds: counts, hours of video, and each modality's model or why it is missing."""

    videos: int
    segments: int
    keyframes: int
    hours: float
    models: tuple[ModelRecord, ...]


def clip_spec(settings: Settings) -> ClipSpec:
    """The CLIP the settings ask for."""
    return ClipSpec(
        model=settings.clip_model,
        pretrained=settings.clip_pretrained,
        checkpoint=settings.clip_checkpoint,
        device=settings.device,
        batch_size=settings.batch_size,
        offline=settings.offline,
    )


def stored_clip_spec(record: ModelRecord, settings: Settings) -> ClipSpec:
    """The CLIP an index was built with, on this run's device."""
    checkpoint = Path(record.weights) if os.path.isabs(record.weights) else None
    pretrained = record.weights if checkpoint is None else ""
    return replace(clip_spec(settings), model=record.config, pretrained=pretrained, checkpoint=checkpoint)


class VideoSearch:
    """Search over one index directory. Models load on first use, once.

    `texts` injects a query encoder (tests, or apps that manage models themselves); by default the
    index's own CLIP is loaded, or the one the settings name explicitly, which must match it.
    """

    def __init__(self, index: Path, settings: Settings | None = None, texts: Encoder[str] | None = None) -> None:
        self.settings = settings or Settings()
        self.store = Store.open(index)
        self._texts = texts

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> VideoSearch:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _visual(self) -> ModelRecord:
        record = self.store.models().get(VISUAL)
        if record is None or not record.available:
            reason = f"visual: {record.reason}" if record else "no modality was indexed"
            raise NoSearchableModality(self.store.directory, reason)
        return record

    def text_encoder(self) -> Encoder[str]:
        """The query encoder for the visual space, checked against the model the index was built with."""
        if self._texts is None:
            record = self._visual()
            explicit = CLIP_FIELDS & self.settings.model_fields_set
            spec = clip_spec(self.settings) if explicit else stored_clip_spec(record, self.settings)
            texts = OpenClip(spec).texts
            if texts.name != record.model:
                raise ModelMismatch(self.store.directory, VISUAL, record.model, texts.name)
            self._texts = texts
        return self._texts

    def search(self, text: str, k: int = 10) -> list[Hit]:
        """The `k` best moments for `text`, best first; scores are cosine similarities (-1..1)."""
        if self.store.counts()[0] == 0:
            raise IndexEmpty(self.store.directory)
        record = self._visual()
        vectors = self.store.vectors(VISUAL, record.dim)
        query = self.text_encoder().encode([text])
        scores, ids = vectors.search(query, max(100, k * 10))
        return self._moments(scores[0], ids[0])[:k]

    def _moments(self, scores: np.ndarray, ids: np.ndarray) -> list[Hit]:
        found = self.store.keyframes([int(i) for i in ids if i >= 0])
        best: dict[int, ScoredSegment] = {}
        for score, key in zip(scores.tolist(), ids.tolist()):
            keyframe = found.get(key)
            if keyframe is not None and (keyframe.segment.id not in best or best[keyframe.segment.id].score < score):
                best[keyframe.segment.id] = _scored(keyframe, score)
        return merge(list(best.values()), self.settings.merge_margin, self.settings.max_moment)

    def videos(self) -> list[VideoRecord]:
        """Every searchable video, by path."""
        return self.store.videos()

    def info(self, path: Path) -> tuple[VideoRecord, list[SegmentRecord]]:
        """A video's record and its segments in time order."""
        video = self.store.video(Path(os.path.abspath(path)))
        if video is None:
            raise VideoNotIndexed(Path(path))
        return video, self.store.segments(video)

    def stats(self) -> IndexStats:
        videos, segments, keyframes = self.store.counts()
        hours = sum(v.duration for v in self.store.videos()) / 3600
        return IndexStats(videos, segments, keyframes, hours, tuple(self.store.models().values()))


def _scored(keyframe: KeyframeRecord, score: float) -> ScoredSegment:
    return ScoredSegment(keyframe.segment, keyframe.video, score, Evidence(VISUAL, score, keyframe.time))
