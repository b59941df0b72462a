"""The search API: open an index directory, ask in words, get ranked moments.

Each modality finds its own candidates (keyframes by CLIP; sentences, screen text and sound labels
by meaning and by keyword), drops those under its no-match floor, and `search.fusion` makes one
ranking. The CLI, the HTTP API and the page all go through `VideoSearch`, so they rank alike.
"""

from __future__ import annotations

import functools
import logging
import os
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from indexer import decode
from indexer import errors as indexer_errors
from indexer.encoders import Encoder, normalise
from indexer.encoders.clip import ClipSpec, OpenClip
from indexer.encoders.text import SentenceEncoder, SentenceSpec
from indexer.errors import VideoError
from search.errors import (
    IndexEmpty,
    ModelMismatch,
    NoPicture,
    NoSearchableModality,
    SegmentNotFound,
    VideoFileMissing,
    VideoNotFound,
    VideoNotIndexed,
)
from search.fusion import Candidate, Moment, fuse
from search.retrieval import Query, span_candidates, visual_candidates
from search.served import IndexedFile, open_indexed
from search.store import TEXT, VISUAL, Store
from search.types import Filters, Hit, ModelRecord, SegmentRecord, VideoRecord
from vidsearch.settings import MODALITIES, Settings

log = logging.getLogger(__name__)

CLIP_FIELDS = frozenset({"clip_model", "clip_pretrained", "clip_checkpoint"})
ANY_MATCH = {"floor_visual": -1.0, "floor_speech": 0.0, "floor_ocr": 0.0, "floor_audio": 0.0}
"""No-match floors off: "more like this" ranks neighbours; there is no off-topic query to reject."""
CANDIDATES = 50
"""Spans each text modality considers per query, by meaning and by keyword each."""
VISUAL_SPAN = 0.3
"""CLIP cosine above the visual floor at which a keyframe counts as a certain match (1.0); the
visual match score rises linearly from 0.5 at the floor. Not calibrated: no CLIP weights here."""


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


def sentence_spec(settings: Settings) -> SentenceSpec:
    """The sentence model the settings ask for."""
    return SentenceSpec(model=settings.text_model, device=settings.device, offline=settings.offline)


def stored_clip_spec(record: ModelRecord, settings: Settings) -> ClipSpec:
    """The CLIP an index was built with, on this run's device."""
    checkpoint = Path(record.weights) if os.path.isabs(record.weights) else None
    pretrained = record.weights if checkpoint is None else ""
    return replace(clip_spec(settings), model=record.config, pretrained=pretrained, checkpoint=checkpoint)


class VideoSearch:
    """Search over one index directory. Models load on first use, once.

    `texts` and `images` (CLIP's towers) and `sentences` inject query encoders (tests, or apps
    that manage models themselves); by default the index's own models are loaded, or the ones the settings
    name explicitly, which must match them.
    """

    def __init__(
        self,
        index: Path,
        settings: Settings | None = None,
        texts: Encoder[str] | None = None,
        sentences: Encoder[str] | None = None,
        images: Encoder[np.ndarray] | None = None,
    ) -> None:
        self.settings = settings or Settings()
        self.store = Store.open(index)
        self._texts = texts
        self._sentences = sentences
        self._images = images

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> VideoSearch:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def searchable(self, modalities: tuple[str, ...] | None = None) -> tuple[str, ...]:
        """The modalities a query can use: asked for (default: the settings'), and indexed."""
        records = self.store.models()
        asked = modalities if modalities is not None else self.settings.modalities
        ready = [m for m in MODALITIES if m in asked and m in records and records[m].available]
        if not ready:
            reasons = [f"{m}: {records[m].reason}" for m in asked if m in records and records[m].reason]
            raise NoSearchableModality(self.store.directory, "; ".join(reasons) or "no modality was indexed")
        return tuple(ready)

    def text_encoder(self) -> Encoder[str]:
        """The query encoder for the visual space, checked against the model the index was built with."""
        if self._texts is None:
            self._texts = self._clip().texts
        return self._texts

    def image_encoder(self) -> Encoder[np.ndarray]:
        """The image tower of the index's own CLIP (for search by image)."""
        if self._images is None:
            self._images = self._clip().images
        return self._images

    @functools.cache  # noqa: B019 - one CLIP per engine, loaded once
    def _clip(self) -> OpenClip:
        """The index's own CLIP (or the one the settings name explicitly, which must match it)."""
        record = self.store.models()[VISUAL]
        explicit = CLIP_FIELDS & self.settings.model_fields_set
        clip = OpenClip(clip_spec(self.settings) if explicit else stored_clip_spec(record, self.settings))
        if clip.name != record.model:
            raise ModelMismatch(self.store.directory, VISUAL, record.model, clip.name)
        return clip

    def sentence_encoder(self) -> Encoder[str] | None:
        """The query encoder for the sentence space, or None when the index has no sentence vectors."""
        record = self.store.models().get(TEXT)
        if record is None or not record.available:
            return None
        if self._sentences is None:
            spec = sentence_spec(self.settings)
            if "text_model" not in self.settings.model_fields_set:
                spec = replace(spec, model=record.config or None)
            encoder = SentenceEncoder(spec)
            if encoder.name != record.model:
                raise ModelMismatch(self.store.directory, TEXT, record.model, encoder.name)
            self._sentences = encoder
        return self._sentences

    def search(
        self, text: str, k: int = 10, modalities: tuple[str, ...] | None = None, filters: Filters | None = None
    ) -> list[Hit]:
        """The `k` best moments for `text`, best first, from `modalities` (default: all indexed
        ones the settings allow) among the videos `filters` lets through. Scores are fused match
        scores (higher is better; 0..1 with the default `score` fusion); fewer than `k`, or none,
        when little matches."""
        active = self._ready(modalities)
        query = Query(
            text=text,
            visual=self.text_encoder().encode([text])[0] if VISUAL in active else None,
            sentence=self._query_vector(text) if set(active) - {VISUAL} else None,
        )
        return self._ranked(query, active, k, filters)

    def search_image(self, image: np.ndarray, k: int = 10, filters: Filters | None = None) -> list[Hit]:
        """Moments that look like `image` (HxWx3 uint8 RGB), by the visual modality alone."""
        active = self._ready((VISUAL,))
        return self._ranked(Query(visual=self.image_encoder().encode([image])[0]), active, k, filters)

    def similar(self, segment_id: int, k: int = 10, filters: Filters | None = None) -> list[Hit]:
        """Moments like segment `segment_id` ("more like this"): near its keyframes in the visual
        space and its sentences, screen text and sounds in the sentence space; moments overlapping
        the segment itself are left out."""
        found = self.store.segment(segment_id)
        if found is None:
            raise SegmentNotFound(self.store.directory, segment_id)
        segment, video, keyframes = found
        active = self._ready(None)
        query = Query(
            visual=self._mean(VISUAL, [key for key, _ in keyframes]) if VISUAL in active else None,
            sentence=self._mean_spans(video, segment),
        )
        hits = self._ranked(query, active, k + 3, filters, ANY_MATCH)
        return [h for h in hits if not (h.video == video.path and h.start < segment.end and h.end > segment.start)][:k]

    def _ready(self, modalities: tuple[str, ...] | None) -> tuple[str, ...]:
        if self.store.counts()[0] == 0:
            raise IndexEmpty(self.store.directory)
        return self.searchable(modalities)

    def _ranked(
        self,
        query: Query,
        active: tuple[str, ...],
        k: int,
        filters: Filters | None,
        floors: dict[str, float] | None = None,
    ) -> list[Hit]:
        settings = self.settings.model_copy(update=floors) if floors else self.settings
        candidates: list[Candidate] = []
        for modality in active:
            if modality == VISUAL:
                candidates += visual_candidates(self.store, query, settings)
            else:
                candidates += span_candidates(self.store, modality, query, settings)
        if filters is not None:
            candidates = [c for c in candidates if filters.admits(c.video)]
        weights = {m: self.settings.weight(m) for m in MODALITIES}
        return [self._hit(moment) for moment in fuse(candidates, weights, self.settings.fusion)[:k]]

    @functools.lru_cache(maxsize=64)  # noqa: B019 - one engine per index, few distinct queries at a time
    def _query_vector(self, text: str) -> np.ndarray | None:
        encoder = self.sentence_encoder()
        return encoder.encode([text])[0] if encoder is not None else None

    def _mean(self, modality: str, ids: list[int]) -> np.ndarray | None:
        """The unit mean of the stored vectors `ids` of `modality` (None when there are none)."""
        record = self.store.models().get(VISUAL if modality == VISUAL else TEXT)
        if not ids or record is None or not record.available:
            return None
        rows = self.store.vectors(modality, record.dim).vectors(ids)
        rows = rows[np.linalg.norm(rows, axis=1) > 0]
        return normalise(rows.mean(axis=0, keepdims=True))[0] if len(rows) else None

    def _mean_spans(self, video: VideoRecord, segment: SegmentRecord) -> np.ndarray | None:
        """The mean sentence vector of what is said, shown as text and heard in a segment."""
        spans = self.store.span_ids_between(video, segment.start, segment.end)
        found = [mean for mean in (self._mean(m, ids) for m, ids in spans.items()) if mean is not None]
        return normalise(np.mean(found, axis=0, keepdims=True))[0] if found else None

    def _hit(self, moment: Moment) -> Hit:
        seed = moment.seed
        order = {m: n for n, m in enumerate(MODALITIES)}
        evidence = tuple(c.evidence for _, c in sorted(moment.best.items(), key=lambda item: order.get(item[0], 9)))
        segments = self.store.overlapping(seed.video, seed.start, seed.end)
        ids = tuple(g.id for g in segments)
        return Hit(seed.video.path, seed.start, seed.end, moment.score, ids, evidence, seed.video.has_video)

    def thumbnail(self, segment_id: int, short_side: int = 180, time: float | None = None) -> np.ndarray:
        """A picture of a segment (HxWx3 uint8 RGB): the frame at `time` seconds (kept inside the
        segment; a hit's evidence time shows what matched), else its first keyframe, else its
        middle. Decoded on demand from the video file, only while it is the file that was indexed
        (`open_indexed`): raises VideoFileMissing when the file is gone, VideoFileChanged when it is
        another file now, NoPicture when it is sound alone without cover art (with cover art, that is
        its picture)."""
        found = self.store.segment(segment_id)
        if found is None:
            raise SegmentNotFound(self.store.directory, segment_id)
        segment, video, keyframes = found
        if time is not None:
            time = min(max(time, segment.start), max(segment.start, segment.end - 1e-3))
        elif keyframes:
            time = keyframes[0][1]
        else:
            time = (segment.start + segment.end) / 2
        with self.open_file(video) as file:
            try:
                picture = decode.frame_at(file.reopenable, time, short_side)
            except indexer_errors.NoPicture as exc:
                raise NoPicture(video.path) from exc
            except VideoError as exc:
                raise VideoFileMissing(video.path, exc.reason) from exc
            if file.reopenable == video.path:  # read by path (no /proc): make sure it was this file
                file.confirm()
            return picture

    def open_file(self, video: VideoRecord) -> IndexedFile:
        """The file of an indexed video, opened only if it is still the file that was indexed (see
        `open_indexed`): what the API streams and the page plays. Close it when done."""
        return open_indexed(video)

    def segment(self, segment_id: int) -> tuple[SegmentRecord, VideoRecord]:
        """A segment and its video; raises SegmentNotFound."""
        found = self.store.segment(segment_id)
        if found is None:
            raise SegmentNotFound(self.store.directory, segment_id)
        return found[0], found[1]

    def video(self, video_id: int) -> tuple[VideoRecord, list[SegmentRecord]]:
        """A video by id and its segments in time order; raises VideoNotFound."""
        video = self.store.video_by_id(video_id)
        if video is None:
            raise VideoNotFound(self.store.directory, video_id)
        return video, self.store.segments(video)

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
