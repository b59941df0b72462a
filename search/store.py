"""An index directory: `index.db` (SQLite metadata) beside one `<modality>.faiss` per vector kind:
`visual.faiss` holds CLIP keyframe vectors; `speech`, `ocr` and `audio.faiss` hold sentence
vectors of the spans of each modality (ids are span ids), all from the one `text` model.

One writer at a time: a writer (`Store.open(create=True)` or `write=True`) holds an exclusive
`flock` on `DIR/.lock` for its life, and a second one gets IndexLocked. The OS drops the lock
when the process ends, however it ends (kill -9 included), so a lock is never stale; the lock's
descriptor is not inherited by child processes (ffmpeg), which could otherwise keep it. On
Windows there is no `fcntl`: writers are not serialised there, so do not run two at once.
Readers (`Store.open(directory)`) never take the lock and keep working during writes: SQLite
runs in WAL mode, vector files are replaced atomically (and a reader reloads one when it has
changed), and a video is visible only once complete. Readers open index.db read-only, so
reading works on a full disk (see `search.db.Database`). A vector file that is gone while rows
that own vectors in it exist raises VectorFileMissing (for readers, and for an indexer at once):
it is never taken for an empty one, which would silently answer without those rows or be saved
holding only new vectors; `vidsearch doctor --repair` rebuilds it.

Writes go SQLite first (rows marked incomplete), vectors second, and a video is marked complete
only after its vectors are saved. A writer marks the index `dirty` (a meta row) before its first
change and clears the mark once everything is saved, so a run killed at any moment leaves a
mark; the next writer then recovers (`Store.recover`): it deletes incomplete videos and spans
their video does not list yet, drops vectors no complete row owns, and removes temporary files,
so that the interrupted videos are indexed again from scratch.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import sys
import time
from pathlib import Path

import numpy as np

from indexer.encoders import Encoder
from indexer.types import SENTENCE_MODALITIES, IndexedVideo, Modality, ModelRole, Space, TextSpan
from search.db import READABLE, SCHEMA_VERSION, Database
from search.errors import (
    IndexLocked,
    IndexNotFound,
    IndexWriteError,
    ModelMismatch,
    SchemaMismatch,
    VectorFileError,
    VectorFileMissing,
    write_failure,
)
from search.types import KeyframeRecord, ModelRecord, SegmentRecord, SpanRecord, VideoRecord
from search.vectors import TEMPORARY, VectorIndex

if sys.platform != "win32":
    import fcntl

log = logging.getLogger(__name__)

DB_NAME = "index.db"
LOCK_NAME = ".lock"
LOCK_TRIES = 3
LOCK_PAUSE = 0.05
REEMBED_BATCH = 256
"""Span texts embedded per call when re-embedding."""
"""A busy lock is tried again after this many seconds (up to LOCK_TRIES times in all): `holder`
(doctor) probes it for an instant, and a writer starting then must not take that for a writer."""
DIRTY = "dirty"
"""Meta key set while a writer has changes not yet saved (its value: the writer's pid and start)."""


class WriterLock:
    """The exclusive writer lock of an index directory: `flock` on `DIR/.lock`, which names its
    holder (pid and start time, as JSON) for the message a second writer gets."""

    def __init__(self, path: Path, descriptor: int | None) -> None:
        self.path = path
        self._descriptor = descriptor

    @classmethod
    def acquire(cls, directory: Path) -> WriterLock:
        """Take the lock without waiting: IndexLocked when another writer holds it, IndexWriteError
        when the lock file cannot be made (read-only directory)."""
        path = directory / LOCK_NAME
        if sys.platform == "win32":
            return cls(path, None)
        try:
            descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)  # not inherited by children (PEP 446)
        except OSError as exc:
            raise IndexWriteError(directory, f"{LOCK_NAME}: {write_failure(exc)}") from exc
        for attempt in range(LOCK_TRIES):
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if attempt == LOCK_TRIES - 1:
                    holder = _holder(descriptor)
                    os.close(descriptor)
                    raise IndexLocked(directory, holder) from None
                time.sleep(LOCK_PAUSE)
        _stamp_holder(descriptor)
        return cls(path, descriptor)

    @staticmethod
    def holder(directory: Path) -> str | None:
        """Who is writing the index ("pid N since HH:MM:SS"), or None when nobody is. Probes the
        lock for an instant, so only for reports (doctor), never to decide whether to write."""
        if sys.platform == "win32":
            return None
        try:
            descriptor = os.open(directory / LOCK_NAME, os.O_RDONLY)
        except OSError:
            return None
        try:
            fcntl.flock(descriptor, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _holder(descriptor)
        finally:
            os.close(descriptor)  # closing releases the probe's shared lock
        return None

    def release(self) -> None:
        if self._descriptor is not None:
            os.close(self._descriptor)
            self._descriptor = None


def _stamp_holder(descriptor: int) -> None:
    """Write this process's pid and the time into the held lock file (best effort: a full disk
    must not stop a writer that holds the lock; the message then lacks the details)."""
    try:
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, json.dumps({"pid": os.getpid(), "since": time.time()}).encode(), 0)
    except OSError:
        log.debug("cannot note the writer in the lock file", exc_info=True)


def _holder(descriptor: int) -> str:
    """The holder a lock file names, as "pid N since HH:MM:SS"."""
    try:
        found = json.loads(os.pread(descriptor, 4096, 0) or b"{}")
        return f"pid {int(found['pid'])} since {time.strftime('%H:%M:%S', time.localtime(float(found['since'])))}"
    except (OSError, ValueError, KeyError, TypeError):
        return "a process that is just starting"


class Store:
    """Metadata and vectors of one index directory. Use `Store.open`; close when done."""

    def __init__(self, directory: Path, db: Database, lock: WriterLock | None = None, version: str = "") -> None:
        self.directory = directory
        self.db = db
        self.version = version
        """The program version a writer stamps on what it records (see `open`)."""
        self._lock = lock
        self._vectors: dict[Modality, VectorIndex] = {}
        self._stamps: dict[Modality, tuple[int, int, int] | None] = {}
        self._unsaved: list[Path] = []
        self._dirty = False
        self.recovered: tuple[str, ...] = ()
        """What opening this writer did to recover from an interrupted run, one line per action."""

    @classmethod
    def open(
        cls,
        directory: Path,
        create: bool = False,
        write: bool = False,
        recover: bool = True,
        lock: WriterLock | None = None,
        version: str = "",
    ) -> Store:
        """Open the index in `directory` for reading, or as its one writer with `write=True`;
        `create=True` (a writer) also makes the index if there is none.

        A reader reads index.db read-only (it works on a full disk). A writer holds the writer
        lock until `close()` (IndexLocked when another process has it; `lock` hands over one
        already taken), brings an older schema up to date, and recovers from an interrupted run
        (`recovered` says how; `recover=False` leaves that and every check to the caller:
        doctor). An indexer (`create`) is refused with VectorFileMissing when a vector file
        whose rows exist is gone: it would add new vectors to an empty file. IndexWriteError when
        the directory cannot be written; IndexDamaged or IndexUnreadable when index.db cannot be
        read. `version` names the program that writes (e.g. "vidsearch 0.2.0"), stamped on the
        writer's meta row and on every model it records, for those who later wonder what wrote it."""
        directory = Path(directory).absolute()
        if not (directory / DB_NAME).exists() and not create:
            raise IndexNotFound(directory)
        if not (create or write):
            return cls._checked(directory, Database(directory / DB_NAME, readonly=True), None)
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise IndexWriteError(directory, write_failure(exc)) from exc
        lock = lock or WriterLock.acquire(directory)
        try:
            db = Database(directory / DB_NAME)
            db.create()
            store = cls._checked(directory, db, lock, version)
        except BaseException:
            lock.release()
            raise
        try:
            store.db.set_meta("writer", json.dumps({"pid": os.getpid(), "since": time.time(), "version": version}))
            store.recovered = store.recover() if recover else ()
            if create and recover:
                store.require_vector_files()
        except BaseException:
            store.close()
            raise
        return store

    @classmethod
    def _checked(cls, directory: Path, db: Database, lock: WriterLock | None, version: str = "") -> Store:
        try:
            schema = db.schema_version()
        except BaseException:
            db.close()
            raise
        if schema not in (READABLE if lock is None else (SCHEMA_VERSION,)):
            db.close()
            raise SchemaMismatch(directory, schema or "none", SCHEMA_VERSION)
        return cls(directory, db, lock, version)

    @property
    def writing(self) -> bool:
        """Whether this store holds the writer lock."""
        return self._lock is not None

    def close(self) -> None:
        self.db.close()
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def _writer(self) -> None:
        """Become the writer on the first change made through a store opened for reading
        (IndexLocked when another process writes), recovering what a crashed writer left."""
        if self._lock is None:
            self._lock = WriterLock.acquire(self.directory)
            if self.db.readonly:
                self.db.close()
                self.db = Database(self.db.path)
                self.db.create()  # a reader may have opened an older schema it can read (READABLE)
            self._vectors.clear()
            self._stamps.clear()
            self.recovered = self.recover()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def models(self) -> dict[ModelRole, ModelRecord]:
        """The record of each model the index was made with, by what it serves."""
        return {m.role: m for m in self.db.models()}

    def space_model(self, space: Space) -> ModelRecord | None:
        """The record of the model that makes `space`'s vectors (CLIP: the visual modality's;
        the sentence space: the sentence model), when it is available; else None."""
        record = self.models().get(Modality.VISUAL if space is Space.CLIP else Space.SENTENCE)
        return record if record is not None and record.available else None

    def record_model(self, record: ModelRecord) -> None:
        """Remember which model serves a modality or makes a space's vectors (or why it is missing).

        Raises ModelMismatch when the index already holds vectors of another model.
        """
        self._writer()
        stored = self.models().get(record.role)
        if stored is not None and stored.available:
            if not record.available:
                return
            if stored.model != record.model and self._has_vectors(record.role, stored.dim):
                raise ModelMismatch(self.directory, record.role, stored.model, record.model)
        self.db.set_model(record, self.version)

    def reembed(self, encoder: Encoder[str], record: ModelRecord, batch: int = REEMBED_BATCH) -> int:
        """A writer's: make `record`'s model (`encoder`) the index's sentence model, computing every
        span's vector again from its stored text (no video is read: nothing is transcribed or read
        off the screen again); returns how many spans. The new vectors replace the old ones only
        when all are made; a crash while they are saved leaves the sentence model marked
        unavailable (searches say so) until `index --update` runs again."""
        self._writer()
        if record.role != Space.SENTENCE or not record.available:
            raise ValueError(f"not an available sentence model: {record}")
        rebuilt: dict[Modality, VectorIndex] = {}
        for kind in SENTENCE_MODALITIES:
            keys = sorted(self.db.vector_owners(kind))
            texts = self.db.span_texts(keys)
            vectors = VectorIndex(record.dim)
            for start in range(0, len(keys), batch):
                chunk = [key for key in keys[start : start + batch] if key in texts]
                if chunk:
                    vectors.add(np.asarray(chunk, np.int64), encoder.encode([texts[key] for key in chunk]))
            rebuilt[kind] = vectors
        unfinished = "re-embedding its spans was interrupted; `vidsearch index --update` finishes it"
        self._mark_dirty()
        self.db.set_model(dataclasses.replace(record, available=False, reason=unfinished), self.version)
        self._vectors.update(rebuilt)
        self._save_vectors()
        self.db.set_model(record, self.version)
        self._mark_clean()
        return sum(len(v) for v in rebuilt.values())

    def _has_vectors(self, role: ModelRole, dim: int) -> bool:
        """Whether vectors made by the model of `role` are stored (transcribers and OCR make
        text, not vectors: a new one can simply take over)."""
        kinds = {Modality.VISUAL: (Modality.VISUAL,), Space.SENTENCE: SENTENCE_MODALITIES}.get(role, ())
        return dim > 0 and any(len(self.vectors(kind, dim)) for kind in kinds)

    def vectors(self, modality: Modality, dim: int) -> VectorIndex:
        """The vectors of `modality`. A writer loads them once and owns them; a reader reloads
        them when the file was replaced since (a writer saved), so it sees new videos.

        VectorFileMissing when the file is gone while the index has rows whose vectors it held
        (a search would silently miss them); VectorFileError when it cannot be read."""
        path = self._vector_path(modality)
        loaded = self._vectors.get(modality)
        if loaded is not None and self._lock is not None:
            return loaded
        stamp = _file_stamp(path)
        if loaded is None or stamp != self._stamps.get(modality):
            if stamp is None:
                self._require_vector_file(modality)
            self._vectors[modality] = loaded = VectorIndex.load(path, dim)
            self._stamps[modality] = stamp
        return loaded

    def _require_vector_file(self, kind: Modality) -> None:
        """VectorFileMissing when `<kind>.faiss` is absent but rows that own vectors exist."""
        path = self._vector_path(kind)
        if not path.exists():
            rows = self.db.vector_owner_count(kind)
            if rows:
                raise VectorFileMissing(path, rows, "keyframes" if kind == Modality.VISUAL else f"{kind} spans")

    def require_vector_files(self) -> None:
        """VectorFileMissing for the first vector file of this index's models that is gone while
        rows that own vectors in it exist."""
        for kind in self.vector_kinds():
            if kind not in self._vectors:
                self._require_vector_file(kind)

    def replace_vectors(self, modality: Modality, index: VectorIndex) -> None:
        """A writer's: make `index` the vectors of `modality` (doctor's rebuild); saved, replacing
        the file, by the next `save()`."""
        self._writer()
        self._vectors[modality] = index

    def _vector_path(self, modality: Modality) -> Path:
        return self.directory / f"{modality}.faiss"

    def current(self, path: Path, size: int, mtime: float) -> VideoRecord | None:
        """The record of `path` if it is indexed and unchanged since (same size and modification time)."""
        video = self.db.video(path)
        return video if video is not None and video.size == size and abs(video.mtime - mtime) < 1e-6 else None

    def put(self, indexed: IndexedVideo) -> None:
        """Add or replace a video; it becomes visible to searches after `save()`.

        When storing it fails (IndexWriteError, or a bug), what was stored of it is taken out
        again before the error is raised (the file's old entry, if any, is gone too: it is
        indexed anew next time), so one file's failure leaves nothing half-written."""
        path = indexed.info.path
        self._mark_dirty()
        try:
            self._drop_vectors(path)
            keyframe_ids, span_ids = self.db.add_video(indexed)
            if indexed.keyframes:
                record = self.models()[Modality.VISUAL]
                vectors = np.stack([k.vector for k in indexed.keyframes]).astype(np.float32)
                self.vectors(Modality.VISUAL, record.dim).add(np.asarray(keyframe_ids, np.int64), vectors)
            self._add_span_vectors(indexed.spans, span_ids, indexed.span_vectors)
        except BaseException:
            self._take_out(path)
            raise
        self._unsaved.append(path)

    def _take_out(self, path: Path) -> None:
        """Best effort: remove the rows and vectors of a video whose storing failed. Should this
        fail as well (the disk is full), its rows stay incomplete and the next writer drops them."""
        try:
            self._drop_vectors(path)
            self.db.delete_video(path)
        except Exception:
            log.warning("%s: could not take the failed video out of the index now; the next run will", path)

    def extend(
        self,
        video: VideoRecord,
        found: tuple[TextSpan, ...],
        vectors: np.ndarray | None,
        modalities: tuple[Modality, ...],
        language: str,
    ) -> None:
        """Give an indexed video the spans of `modalities` (replacing any it had), without touching
        the rest; saved at once, and the video lists the new modalities only once its vectors are
        on disk (until then searches do not see its spans of them)."""
        self._mark_dirty()
        stale = self.db.span_ids(video.path, modalities)
        self._remove_span_vectors(stale)
        ids = self.db.replace_spans(video.id, modalities, found)
        self._add_span_vectors(found, ids, vectors)
        self._save_vectors()
        self.db.set_modalities(video.id, tuple(dict.fromkeys(video.modalities + modalities)), language or None)
        self._mark_clean()

    def _add_span_vectors(self, found: tuple[TextSpan, ...], ids: list[int], vectors: np.ndarray | None) -> None:
        if vectors is None or not found:
            return
        dim = self.models()[Space.SENTENCE].dim
        for modality in SENTENCE_MODALITIES:
            rows = [n for n, span in enumerate(found) if span.modality == modality]
            if rows:
                keys = np.asarray([ids[n] for n in rows], np.int64)
                self.vectors(modality, dim).add(keys, vectors[rows])

    def _remove_span_vectors(self, ids: dict[Modality, list[int]]) -> None:
        text = self.space_model(Space.SENTENCE)
        for modality, keys in ids.items():
            if text is not None and keys and self._holds(modality):
                self.vectors(modality, text.dim).remove(np.asarray(keys, np.int64))

    def _holds(self, kind: Modality) -> bool:
        """Whether there are vectors of `kind` to take out: loaded, or a file (a missing file
        holds nothing, and must not be recreated holding only what is left)."""
        return kind in self._vectors or self._vector_path(kind).exists()

    def remove(self, path: Path) -> bool:
        """Drop a video, its segments and its vectors; False when it was not indexed."""
        return bool(self.discard([path]))

    def discard(self, paths: list[Path]) -> list[Path]:
        """Drop videos, their segments and their vectors, saving the vector files once; returns
        the paths that were indexed.

        In an order that a crash at any point leaves recoverable: the videos are hidden (marked
        incomplete), their vectors are dropped and saved, and only then are their rows deleted;
        a crash before the end leaves incomplete videos, which the next writer deletes."""
        self._writer()
        found = [path for path in paths if self.db.set_incomplete(path)]
        for path in found:
            self._drop_vectors(path)
        if found:
            self._save_vectors()
        for path in found:
            self.db.delete_video(path)
        return found

    def save(self) -> None:
        """Persist vectors atomically, then mark the videos put since the last save complete."""
        self._writer()
        self._save_vectors()
        self.db.mark_complete(self._unsaved)
        self._unsaved = []
        self._mark_clean()

    def _save_vectors(self) -> None:
        for modality, index in self._vectors.items():
            index.save(self._vector_path(modality))

    def _mark_dirty(self) -> None:
        """Note in the index, before the first change, that this writer has unsaved work."""
        self._writer()
        if not self._dirty:
            self.db.set_meta(DIRTY, json.dumps({"pid": os.getpid(), "since": time.time()}))
            self._dirty = True

    def _mark_clean(self) -> None:
        """Everything is saved: vector files hold exactly the vectors of the rows (incomplete
        rows, which recovery deletes anyway, aside)."""
        if self._dirty:
            self.db.delete_meta(DIRTY)
            self._dirty = False

    def _drop_vectors(self, path: Path) -> None:
        ids = self.db.keyframe_ids(path)
        visual = self.space_model(Space.CLIP)
        if ids and visual is not None and self._holds(Modality.VISUAL):
            self.vectors(Modality.VISUAL, visual.dim).remove(np.asarray(ids, np.int64))
        self._remove_span_vectors(self.db.span_ids(path))

    def recover(self, full: bool = False) -> tuple[str, ...]:
        """Undo what an interrupted writer left; returns what was done, one line per action.

        Always deletes stray temporary vector files. When the last writer did not finish (its
        `dirty` mark is set, or incomplete videos remain), or with `full` (doctor's repair): deletes
        incomplete videos (the next `vidsearch index` indexes them again), spans of modalities
        their video does not list, and vectors that no complete row owns. Idempotent: a crash
        during recovery leaves the mark, and the next writer recovers again."""
        self._writer()
        done = self._drop_temporaries()
        unfinished = self.db.get_meta(DIRTY) is not None or bool(self.db.incomplete())
        if not self._unsaved and (full or unfinished):
            done += self._reconcile()
        if done:
            more = f" (and {len(done) - 3} more)" if len(done) > 3 else ""
            log.warning("recovered the index %s: %s%s", self.directory, "; ".join(done[:3]), more)
        return tuple(done)

    def _reconcile(self) -> list[str]:
        """Make rows and vectors agree: delete unfinished rows, then drop vectors no row owns."""
        self._mark_dirty()
        paths, spans = self.db.drop_unfinished()
        done = [
            f"deleted incomplete video {path} (left by an interrupted run; indexed again next time)" for path in paths
        ]
        done += [f"deleted {n} span(s) of {path} whose modality it did not list yet" for path, n in spans.items()]
        done += self._drop_orphans()
        self._save_vectors()
        self._mark_clean()
        return done

    def _drop_temporaries(self) -> list[str]:
        """Delete vector files' temporary copies, left by a writer that died while saving."""
        done = []
        for stray in sorted(self.directory.glob(f"*.faiss{TEMPORARY}")):
            try:
                stray.unlink()
            except OSError as exc:
                raise IndexWriteError(self.directory, f"{stray.name}: {write_failure(exc)}") from exc
            done.append(f"deleted {stray.name} (a partly written vector file)")
        return done

    def _drop_orphans(self) -> list[str]:
        """Drop the vectors whose keyframe or span is gone or belongs to no complete video."""
        done = []
        for kind, dim in self.vector_kinds().items():
            if not self._holds(kind):
                continue
            try:
                index = self.vectors(kind, dim)
            except VectorFileError:  # unreadable: doctor's to set aside and rebuild
                continue
            owners = np.fromiter(self.db.vector_owners(kind), np.int64)
            stray = np.setdiff1d(index.ids(), owners)
            if len(stray):
                index.remove(stray)
                done.append(f"dropped {len(stray)} vector(s) from {kind}.faiss that no complete video owns")
        return done

    def vector_kinds(self) -> dict[Modality, int]:
        """{modality: dimension} for every modality whose vectors this index's available models
        make (a vector file `<modality>.faiss` each)."""
        kinds: dict[Modality, int] = {}
        for modality in Modality:
            record = self.space_model(modality.space)
            if record is not None:
                kinds[modality] = record.dim
        return kinds

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

    def keyword(
        self, match: str, modality: Modality, limit: int, language: str | None = None
    ) -> list[tuple[int, float]]:
        """(span id, BM25 score) of `modality`'s spans matching the FTS5 expression `match`, best
        first; with `language` (ISO 639-1), only spans of videos in that spoken language."""
        return self.db.keyword(match, modality, limit, language)

    def keyword_grams(self, match: str, modality: Modality, limit: int) -> list[tuple[int, float]]:
        """(span id, BM25 score) of `modality`'s spans whose CJK character pairs match the FTS5
        expression `match` (see `textmatch.grams`), best first."""
        return self.db.keyword_grams(match, modality, limit)

    def languages(self) -> list[str]:
        """The spoken languages of the searchable videos (ISO 639-1, '' for unknown)."""
        return self.db.languages()

    def video_by_id(self, video_id: int) -> VideoRecord | None:
        return self.db.video_by_id(video_id)

    def segment(self, segment_id: int) -> tuple[SegmentRecord, VideoRecord, list[tuple[int, float]]] | None:
        """A segment, its video and its keyframes (id, time); None when no searchable video has it."""
        return self.db.segment(segment_id)

    def span_ids_between(self, video: VideoRecord, start: float, end: float) -> dict[Modality, list[int]]:
        return self.db.span_ids_between(video.id, start, end)

    def video_keyframes(self, video: VideoRecord) -> dict[int, KeyframeRecord]:
        """Every keyframe of a searchable video, by id."""
        return self.db.keyframes(self.db.keyframe_ids(video.path))

    def video_spans(self, video: VideoRecord, modality: Modality) -> list[SpanRecord]:
        """Every span of `modality` in a searchable video, in time order."""
        ids = self.db.span_ids_between(video.id, float("-inf"), float("inf")).get(modality, [])
        return sorted(self.db.spans(ids).values(), key=lambda span: (span.start, span.end, span.id))

    def overlapping(self, video: VideoRecord, start: float, end: float) -> list[SegmentRecord]:
        return self.db.overlapping(video.id, start, end)

    def counts(self) -> tuple[int, int, int]:
        """(videos, segments, keyframes) that searches see."""
        return self.db.counts()


def _file_stamp(path: Path) -> tuple[int, int, int] | None:
    """(inode, modification ns, size) of a file, or None when there is none: what changes when a
    writer replaces it."""
    try:
        found = path.stat()
    except FileNotFoundError:
        return None
    return found.st_ino, found.st_mtime_ns, found.st_size
