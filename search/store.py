"""An index directory: `index.db` (SQLite metadata) beside one `<modality>.faiss` per vector kind.

Writes go SQLite first (rows marked incomplete), vectors second, and a video is marked complete
only after its vectors are saved; a writer that finds incomplete rows (an interrupted run) drops
them so that they are indexed again.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from indexer.types import IndexedVideo
from search.db import SCHEMA_VERSION, Database
from search.errors import IndexNotFound, ModelMismatch, SchemaMismatch
from search.types import KeyframeRecord, ModelRecord, SegmentRecord, VideoRecord
from search.vectors import VectorIndex
from vidsearch import __version__

log = logging.getLogger(__name__)

DB_NAME = "index.db"
VISUAL = "visual"


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
            if stored.model != record.model and len(self.vectors(record.modality, stored.dim)):
                raise ModelMismatch(self.directory, record.modality, stored.model, record.model)
        self.db.set_model(record, __version__)

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
        ids = self.db.add_video(indexed)
        if indexed.keyframes:
            record = self.models()[VISUAL]
            vectors = np.stack([k.vector for k in indexed.keyframes]).astype(np.float32)
            self.vectors(VISUAL, record.dim).add(np.asarray(ids, np.int64), vectors)
        self._unsaved.append(indexed.info.path)

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
        if ids:
            for modality, record in self.models().items():
                if record.available and record.dim:
                    self.vectors(modality, record.dim).remove(np.asarray(ids, np.int64))

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

    def counts(self) -> tuple[int, int, int]:
        """(videos, segments, keyframes) that searches see."""
        return self.db.counts()
