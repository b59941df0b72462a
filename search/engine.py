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

from indexer.encoders import Encoder
from indexer.encoders.clip import ClipSpec, OpenClip
from indexer.encoders.text import SentenceEncoder, SentenceSpec
from search import textmatch
from search.errors import IndexEmpty, ModelMismatch, NoSearchableModality, VideoNotIndexed
from search.fusion import Candidate, Moment, fuse
from search.moments import ScoredSegment, merge
from search.store import TEXT, VISUAL, Store
from search.types import Evidence, Hit, KeyframeRecord, ModelRecord, SegmentRecord, SpanRecord, VideoRecord
from vidsearch.settings import MODALITIES, Settings

log = logging.getLogger(__name__)

CLIP_FIELDS = frozenset({"clip_model", "clip_pretrained", "clip_checkpoint"})
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

    `texts` (CLIP's text tower) and `sentences` inject query encoders (tests, or apps that manage
    models themselves); by default the index's own models are loaded, or the ones the settings
    name explicitly, which must match them.
    """

    def __init__(
        self,
        index: Path,
        settings: Settings | None = None,
        texts: Encoder[str] | None = None,
        sentences: Encoder[str] | None = None,
    ) -> None:
        self.settings = settings or Settings()
        self.store = Store.open(index)
        self._texts = texts
        self._sentences = sentences

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
            record = self.store.models()[VISUAL]
            explicit = CLIP_FIELDS & self.settings.model_fields_set
            spec = clip_spec(self.settings) if explicit else stored_clip_spec(record, self.settings)
            texts = OpenClip(spec).texts
            if texts.name != record.model:
                raise ModelMismatch(self.store.directory, VISUAL, record.model, texts.name)
            self._texts = texts
        return self._texts

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

    def search(self, text: str, k: int = 10, modalities: tuple[str, ...] | None = None) -> list[Hit]:
        """The `k` best moments for `text`, best first, from `modalities` (default: all indexed
        ones the settings allow). Scores are fused match scores (higher is better; 0..1 with
        the default `score` fusion); fewer than `k`, or none, when little matches."""
        if self.store.counts()[0] == 0:
            raise IndexEmpty(self.store.directory)
        candidates: list[Candidate] = []
        for modality in self.searchable(modalities):
            found = self._visual_candidates(text) if modality == VISUAL else self._span_candidates(modality, text)
            candidates += found
        weights = {m: self.settings.weight(m) for m in MODALITIES}
        moments = fuse(candidates, weights, self.settings.fusion)
        return [self._hit(moment) for moment in moments[:k]]

    def _visual_candidates(self, text: str) -> list[Candidate]:
        record = self.store.models()[VISUAL]
        scores, ids = self.store.vectors(VISUAL, record.dim).search(self.text_encoder().encode([text]), CANDIDATES * 4)
        found = self.store.keyframes([int(i) for i in ids[0] if i >= 0])
        best: dict[int, ScoredSegment] = {}
        floor = self.settings.floor(VISUAL)
        for score, key in zip(scores[0].tolist(), ids[0].tolist()):
            keyframe = found.get(key)
            if keyframe is None or score < floor:
                continue
            if keyframe.segment.id not in best or best[keyframe.segment.id].score < score:
                best[keyframe.segment.id] = _scored(keyframe, score)
        runs = merge(list(best.values()), self.settings.merge_margin, self.settings.max_moment)
        videos = {item.video.path: item.video for item in best.values()}
        return [
            Candidate(videos[hit.video], hit.start, hit.end, _visual_match(hit.score, floor), rank, hit.evidence[0])
            for rank, hit in enumerate(runs, 1)
        ]

    def _span_candidates(self, modality: str, text: str) -> list[Candidate]:
        """Spans of `modality` matching `text` by meaning or keyword, scored 0..1, floor applied."""
        similarity = self._similarities(modality, text)
        expression = textmatch.fts_query(text)
        for key, _ in self.store.keyword(expression, modality, CANDIDATES) if expression else []:
            similarity.setdefault(key, None)
        spans = self.store.spans(list(similarity))
        missing = [key for key, value in similarity.items() if value is None and key in spans]
        if missing and (record := self.store.models().get(TEXT)) and record.available:
            query = self._query_vector(text)
            for key, vector in zip(missing, self.store.vectors(modality, record.dim).vectors(missing)):
                similarity[key] = float(vector @ query)
        terms = textmatch.terms(text)
        scored = [_span_match(span, similarity.get(span.id) or 0.0, terms) for span in spans.values()]
        kept = sorted((s for s in scored if s[0] >= self.settings.floor(modality)), key=lambda s: -s[0])
        return [_span_candidate(span, match, words, rank) for rank, (match, span, words) in enumerate(kept, 1)]

    def _similarities(self, modality: str, text: str) -> dict[int, float | None]:
        record = self.store.models().get(TEXT)
        if record is None or not record.available:
            return {}
        scores, ids = self.store.vectors(modality, record.dim).search(self._query_vector(text)[None, :], CANDIDATES)
        return {int(key): float(score) for score, key in zip(scores[0], ids[0]) if key >= 0}

    @functools.lru_cache(maxsize=64)  # noqa: B019 - one engine per index, few distinct queries at a time
    def _query_vector(self, text: str) -> np.ndarray:
        encoder = self.sentence_encoder()
        assert encoder is not None
        return encoder.encode([text])[0]

    def _hit(self, moment: Moment) -> Hit:
        seed = moment.seed
        order = {m: n for n, m in enumerate(MODALITIES)}
        evidence = tuple(c.evidence for _, c in sorted(moment.best.items(), key=lambda item: order.get(item[0], 9)))
        segments = self.store.overlapping(seed.video, seed.start, seed.end)
        return Hit(seed.video.path, seed.start, seed.end, moment.score, tuple(g.id for g in segments), evidence)

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


def _visual_match(cosine: float, floor: float) -> float:
    return min(1.0, 0.5 + 0.5 * (cosine - floor) / VISUAL_SPAN)


SOUND_DOUBT = 0.6
"""A sound's match is scaled from this (classifier unsure) to 1 (certain), so a clear sound event
outranks a faint one with the same label."""


def _span_match(span: SpanRecord, similarity: float, terms: list[str]) -> tuple[float, SpanRecord, tuple[str, ...]]:
    """(match 0..1, span, matched words): meaning alone, or meaning and keywords averaged,
    whichever is higher, so an exact keyword hit lifts a span and a paraphrase still counts;
    a sound's match is also scaled by how sure the classifier was."""
    covered, words = textmatch.coverage(terms, span.text, glued=span.modality == "ocr")
    match = max(similarity, (similarity + covered) / 2)
    if span.modality == "audio":
        match *= SOUND_DOUBT + (1 - SOUND_DOUBT) * span.confidence
    return match, span, words


def _bare(word: str) -> str:
    return "".join(textmatch.TOKEN.findall(word.lower()))


def _span_candidate(span: SpanRecord, match: float, words: tuple[str, ...], rank: int) -> Candidate:
    spoken = {w.lower() for w in words}
    first = next((w.start for w in span.words if _bare(w.text) in spoken), span.start)
    evidence = Evidence(span.modality, match, first, span.start, span.end, span.text, words, round(span.confidence, 3))
    return Candidate(span.video, span.start, span.end, match, rank, evidence)
