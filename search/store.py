"""An index directory: `index.db` (SQLite metadata) beside one `<modality>.faiss` per vector kind:
`visual.faiss` holds CLIP keyframe vectors; `speech`, `ocr` and `audio.faiss` hold sentence
vectors of the spans of each modality (ids are span ids), all from the one `text` model.

Writes go SQLite first (rows marked incomplete), vectors second, and a video is marked complete
only after its vectors are saved; a writer that finds incomplete rows (an interrupted run) drops
them so that they are indexed again.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from indexer.types import IndexedVideo, TextSpan
from search.db import SCHEMA_VERSION, Database
from search.errors import IndexNotFound, ModelMismatch, SchemaMismatch
from search.types import KeyframeRecord, ModelRecord, SegmentRecord, SpanRecord, VideoRecord
from search.vectors import VectorIndex
from vidsearch import __version__

log = logging.getLogger(__name__)

DB_NAME = "index.db"
VISUAL = "visual"
TEXT = "text"
"""The model record of the sentence space that speech, screen text and sound labels share."""
SPAN_MODALITIES = ("speech", "ocr", "audio")


class Store:
    """Metadata and vectors of one index directory. Use `Store.open`; close when done."""

    def __init__(self, directory: Path, db: Database) -> None:
        self.directory = directory
        self.db = db
        self._vectors: dict[str, VectorIndex] = {}
        self._unsaved: list[Path] = []

    @classmethod
    def open(cls, directory: Path, create: bool = False) -> Store:
        """Open the index in `directory`; `create=True` makes it (and drops leftovers of a crash)."""
        directory = Path(directory).absolute()
        db_path = directory / DB_NAME
        if not db_path.exists() and not create:
            raise IndexNotFound(directory)
        if create:
            directory.mkdir(parents=True, exist_ok=True)
        db = Database(db_path)
        if create:
            db.create()
        version = db.schema_version()
        if version != SCHEMA_VERSION:
            db.close()
            raise SchemaMismatch(directory, version or "none", SCHEMA_VERSION)
        store = cls(directory, db)
        if create:
            store._drop_incomplete()
        return store

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def models(self) -> dict[str, ModelRecord]:
        return {m.modality: m for m in self.db.models()}

    def record_model(self, record: ModelRecord) -> None:
        """Remember which model makes a modality's vectors (or why it is missing).

        Raises ModelMismatch when the index already holds vectors of another model.
        """
        stored = self.models().get(record.modality)
        if stored is not None and stored.available:
            if not record.available:
                return
            if stored.model != record.model and self._has_vectors(record.modality, stored.dim):
                raise ModelMismatch(self.directory, record.modality, stored.model, record.model)
        self.db.set_model(record, __version__)

    def _has_vectors(self, model: str, dim: int) -> bool:
        """Whether vectors made by the model of record `model` are stored (transcribers and
        OCR make text, not vectors: a new one can simply take over)."""
        kinds = {VISUAL: (VISUAL,), TEXT: SPAN_MODALITIES}.get(model, ())
        return dim > 0 and any(len(self.vectors(kind, dim)) for kind in kinds)

    def vectors(self, modality: str, dim: int) -> VectorIndex:
        if modality not in self._vectors:
            self._vectors[modality] = VectorIndex.load(self._vector_path(modality), dim)
        return self._vectors[modality]

    def _vector_path(self, modality: str) -> Path:
        return self.directory / f"{modality}.faiss"

    def current(self, path: Path, size: int, mtime: float) -> VideoRecord | None:
        """The record of `path` if it is indexed and unchanged since (same size and modification time)."""
        video = self.db.video(path)
        return video if video is not None and video.size == size and abs(video.mtime - mtime) < 1e-6 else None

    def put(self, indexed: IndexedVideo) -> None:
        """Add or replace a video; it becomes visible to searches after `save()`."""
        self._drop_vectors(indexed.info.path)
        keyframe_ids, span_ids = self.db.add_video(indexed)
        if indexed.keyframes:
            record = self.models()[VISUAL]
            vectors = np.stack([k.vector for k in indexed.keyframes]).astype(np.float32)
            self.vectors(VISUAL, record.dim).add(np.asarray(keyframe_ids, np.int64), vectors)
        self._add_span_vectors(indexed.spans, span_ids, indexed.span_vectors)
        self._unsaved.append(indexed.info.path)

    def extend(
        self,
        video: VideoRecord,
        found: tuple[TextSpan, ...],
        vectors: np.ndarray | None,
        modalities: tuple[str, ...],
        language: str,
    ) -> None:
        """Give an indexed video the spans of `modalities` (replacing any it had), without touching
        the rest; saved at once, and the video lists the new modalities only once its vectors are on disk."""
        stale = self.db.span_ids(video.path, modalities)
        self._remove_span_vectors(stale)
        ids = self.db.replace_spans(video.id, modalities, found)
        self._add_span_vectors(found, ids, vectors)
        self._save_vectors()
        self.db.set_modalities(video.id, tuple(dict.fromkeys(video.modalities + modalities)), language or None)

    def _add_span_vectors(self, found: tuple[TextSpan, ...], ids: list[int], vectors: np.ndarray | None) -> None:
        if vectors is None or not found:
            return
        dim = self.models()[TEXT].dim
        for modality in SPAN_MODALITIES:
            rows = [n for n, span in enumerate(found) if span.modality == modality]
            if rows:
                keys = np.asarray([ids[n] for n in rows], np.int64)
                self.vectors(modality, dim).add(keys, vectors[rows])

    def _remove_span_vectors(self, ids: dict[str, list[int]]) -> None:
        text = self.models().get(TEXT)
        for modality, keys in ids.items():
            if text is not None and text.available and keys:
                self.vectors(modality, text.dim).remove(np.asarray(keys, np.int64))

    def remove(self, path: Path) -> bool:
        """Drop a video, its segments and its vectors; False when it was not indexed."""
        self._drop_vectors(path)
        removed = self.db.delete_video(path)
        self._save_vectors()
        return removed

    def save(self) -> None:
        """Persist vectors atomically, then mark the videos put since the last save complete."""
        self._save_vectors()
        self.db.mark_complete(self._unsaved)
        self._unsaved = []

    def _save_vectors(self) -> None:
        for modality, index in self._vectors.items():
            index.save(self._vector_path(modality))

    def _drop_vectors(self, path: Path) -> None:
        ids = self.db.keyframe_ids(path)
        visual = self.models().get(VISUAL)
        if ids and visual is not None and visual.available:
            self.vectors(VISUAL, visual.dim).remove(np.asarray(ids, np.int64))
        self._remove_span_vectors(self.db.span_ids(path))

    def _drop_incomplete(self) -> None:
        leftovers = self.db.incomplete()
        for path in leftovers:
            self._drop_vectors(path)
            self.db.delete_video(path)
        if leftovers:
            self._save_vectors()
            log.warning("dropped %d video(s) left incomplete by an interrupted run", len(leftovers))

    def videos(self) -> list[VideoRecord]:
        return self.db.videos()

    def video(self, path: Path) -> VideoRecord | None:
        return self.db.video(path)

    def segments(self, video: VideoRecord) -> list[SegmentRecord]:
        return self.db.segments(video.id)

    def keyframes(self, ids: list[int]) -> dict[int, KeyframeRecord]:
        return self.db.keyframes(ids)

    def spans(self, ids: list[int]) -> dict[int, SpanRecord]:
        return self.db.spans(ids)

    def keyword(self, match: str, modality: str, limit: int) -> list[tuple[int, float]]:
        """Span ids of `modality` matching the FTS5 expression `match`, best BM25 first."""
        return self.db.keyword(match, modality, limit)

    def video_by_id(self, video_id: int) -> VideoRecord | None:
        return self.db.video_by_id(video_id)

    def segment(self, segment_id: int) -> tuple[SegmentRecord, VideoRecord, list[tuple[int, float]]] | None:
        """A segment, its video and its keyframes (id, time); None when no searchable video has it."""
        return self.db.segment(segment_id)

    def span_ids_between(self, video: VideoRecord, start: float, end: float) -> dict[str, list[int]]:
        return self.db.span_ids_between(video.id, start, end)

    def overlapping(self, video: VideoRecord, start: float, end: float) -> list[SegmentRecord]:
        return self.db.overlapping(video.id, start, end)

    def counts(self) -> tuple[int, int, int]:
        """(videos, segments, keyframes) that searches see."""
        return self.db.counts()
