"""`vidsearch doctor`: check an index for what a crash, a full disk, damage or a bug can leave, and repair it.

A repair never throws away what it can rebuild: vectors are recomputed from what the index keeps
(the text of every span is in index.db; keyframes are decoded again from their video files), a
damaged index.db is copied aside before anything is salvaged from it, and a video is deleted only
when it was left half-written by an interrupted run (its next indexing redoes it) or when its file
is gone and the caller asked for that (`forget_gone`).

Checks (each finding is a `Problem` with a stable `kind`):

- `database`: index.db can be read and `PRAGMA integrity_check` finds it sound (repair: keep a
  copy, `index.db.damaged-<unix time>` (and its `-wal`), and salvage what can be read into a new
  index.db with the same ids: SQLite's `VACUUM INTO`, else row by row around the damage, a
  damaged header rebuilt; videos that lost rows are marked to be indexed again by the next
  `vidsearch index --update`; when nothing can be read, the file is left and the problem says
  what to do);
- `schema`: the schema version is this vidsearch's (an older one is upgraded by a repair);
- `keyword-index`: the FTS5 keyword indexes (words, CJK pairs) match the spans table (repair: rebuild them);
- `temp-files`: no `*.faiss.tmp` left by a writer that died while saving (repair: delete them);
- `incomplete-videos`: no video left incomplete by an interrupted run (repair: delete its rows;
  the next `vidsearch index` of its folder indexes it again);
- `unlisted-spans`: no spans of a modality their video does not list, left by an interrupted
  modality addition (repair: delete them; the next `vidsearch index` adds the modality again);
- `bad-vector-file`: every vector file can be read and holds vectors of its model's dimension
  (repair: rebuild it, as for missing vectors, and keep the old one as `<name>.bad-<unix time>`);
- `missing-vector-file`: no vector file is gone while rows that own vectors in it exist
  (repair: rebuild it);
- `orphan-vectors`: every vector in `visual.faiss` belongs to a keyframe, and every vector in
  `speech`, `ocr`, `audio.faiss` to a span, of a complete video (repair: drop those vectors);
- `missing-vectors`: every keyframe of a complete video has its vector, and so does every span
  of a complete video that lists its modality (repair: recompute them: spans' from their stored
  text with the index's sentence model, keyframes' from the frame at their time, decoded again
  from the video file, with the index's CLIP model);
- `gone-videos`: keyframes without vectors whose video file is gone cannot be rebuilt (repair
  with `forget_gone` deletes those videos; or `vidsearch remove` them);
- `stale-videos`: videos that lost rows to a damaged index.db, kept with what was salvaged
  (`vidsearch index --update` indexes them again; a repair cannot, it has no indexer);
- `lost-videos` (after a repair only): videos whose rows could not be salvaged at all, not even
  their path: indexing their folders again redoes them.

Models come from the caller (`check(..., sentences=, images=)`: an encoder, or a function that
makes one from the index's `ModelRecord`, called only when a rebuild needs it), since building
them is the application's business; what could not be rebuilt for want of a model stays a problem
that says so. A rebuild saves its progress every CHECKPOINT_SECONDS into `<kind>.rebuilding.faiss`
(never read by searches), so an interrupted repair resumes where it was; the vector file itself is
replaced once, at the end.

While another process writes the index (it holds the writer lock), checks that a write in
progress would trip (temporary files, incomplete videos, vectors against rows) are skipped and
the report says so; a repair takes the writer lock itself, so it refuses with IndexLocked then.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

import numpy as np

from indexer.encoders import Encoder
from indexer.types import Modality, Space
from search.db import MIGRATIONS, SCHEMA_VERSION, Database
from search.errors import (
    IndexDamaged,
    IndexNotFound,
    IndexUnreadable,
    IndexWriteError,
    VectorFileError,
    write_failure,
)
from search.salvage import Salvage, salvage
from search.store import DB_NAME, Store, WriterLock
from search.types import ModelRecord
from search.vectors import TEMPORARY, VectorIndex

log = logging.getLogger(__name__)

VECTOR_KINDS = tuple(Modality)
"""Each modality has a vector file, `<modality>.faiss`."""
UNSETTLED = frozenset(
    {"temp-files", "incomplete-videos", "unlisted-spans", "orphan-vectors", "missing-vectors", "gone-videos"}
)
"""Kinds of problem that a writer at work shows for a moment: not checked while one runs."""
SHOWN = 5
"""Videos named in one problem's detail before "and N more"."""
FRAME_SIZE = 224
"""Short side, pixels, keyframes are decoded to when rebuilt: `Settings.frame_size`'s default
(the index does not record the size it was made with; the caller passes its setting)."""
TEXT_BATCH = 256
"""Span texts per call of the sentence model while rebuilding."""
IMAGE_BATCH = 32
"""Keyframes per call of the image model while rebuilding."""
CHECKPOINT_SECONDS = 60.0
"""A rebuild saves its progress (to `<kind>.rebuilding.faiss`) this often."""
REBUILDING = ".rebuilding.faiss"
"""Suffix (after the kind) of the file a rebuild keeps its progress in."""

T = TypeVar("T")
Loader = Callable[[ModelRecord], Encoder[T]]
"""Makes the encoder of a model the index records (called only when a rebuild needs it)."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an index: `kind` (see the module doc), a one-line `detail`, and
    whether `vidsearch doctor --repair` can fix it."""

    kind: str
    detail: str
    repairable: bool = True

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "detail": self.detail, "repairable": self.repairable}


@dataclass(frozen=True)
class DoctorReport:
    """What `check` found (after a repair: what is still wrong) and what the repair did.

    `notes` say what could not be checked or rebuilt, and why."""

    directory: Path
    problems: tuple[Problem, ...]
    repaired: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        return {
            "index": str(self.directory),
            "ok": self.ok,
            "problems": [p.to_json() for p in self.problems],
            "repaired": list(self.repaired),
            "notes": list(self.notes),
        }


def check(
    directory: Path,
    repair: bool = False,
    *,
    sentences: Encoder[str] | Loader[str] | None = None,
    images: Encoder[np.ndarray] | Loader[np.ndarray] | None = None,
    frame_size: int = FRAME_SIZE,
    forget_gone: bool = False,
    version: str = "",
) -> DoctorReport:
    """Check the index in `directory`; with `repair`, fix what can be fixed under the writer lock
    (IndexLocked while another process writes) and check again. Raises IndexNotFound.

    `sentences` and `images` are the index's sentence model and CLIP image tower (or functions
    that make them from the index's `ModelRecord`, called only if needed), with which a repair
    rebuilds missing or damaged vectors; without them, those stay problems that say so.
    `frame_size` is the short side keyframes were decoded to (`Settings.frame_size`): decoded
    the same way (PyAV scales the picture to it, whether or not text was read from a larger
    copy), they are the same pictures. Earlier versions scaled a video's keyframes down from the
    larger copy when they read its text: such keyframes, rebuilt, get vectors a little unlike
    the lost ones.
    `forget_gone`: a repair deletes the videos whose keyframes have no vectors and whose files
    are gone (else they stay, reported). `version` names the program, stamped as the writer."""
    directory = Path(directory).absolute()
    if not (directory / DB_NAME).is_file():
        raise IndexNotFound(directory)
    if not repair:
        return _inspect(directory)
    try:
        rebuilder = _Rebuilder(directory, _loader(sentences), _loader(images), frame_size)
        return _repair(directory, rebuilder, forget_gone, version)
    except IndexUnreadable as exc:  # a repair writes: the disk that refuses a read refuses it
        raise IndexWriteError(directory, exc.reason) from exc


def _loader(given: Encoder[T] | Loader[T] | None) -> Loader[T] | None:
    """`given` as a Loader: an encoder is its own (whatever the record)."""
    if given is None or callable(given):
        return given
    encoder = given
    return lambda _record: encoder


# --- checking ---------------------------------------------------------------------------------


def _inspect(directory: Path) -> DoctorReport:
    """Check without changing anything (and without the writer lock, so an indexer may start)."""
    writer = WriterLock.holder(directory)
    notes: list[str] = []
    db = _reading(directory, notes)
    try:
        problems = _examine(directory, db, settled=writer is None, notes=notes)
    finally:
        db.close()
    writer = writer or WriterLock.holder(directory)
    if writer is None:
        return DoctorReport(directory, tuple(problems), notes=tuple(notes))
    notes.append(f"a writer is at work ({writer}): temporary files, incomplete videos and vectors were not checked")
    return DoctorReport(directory, tuple(p for p in problems if p.kind not in UNSETTLED), notes=tuple(notes))


def _reading(directory: Path, notes: list[str]) -> Database:
    """index.db opened as doctor reads it: read-write (the keyword check is an FTS5 command),
    or read-only when the system refuses that (a full disk: SQLite cannot make index.db-shm)."""
    db = Database(directory / DB_NAME)
    try:
        db.schema_version()
    except IndexUnreadable as exc:
        db.close()
        notes.append(f"index.db read read-only: {exc.reason}")
        return Database(directory / DB_NAME, readonly=True)
    except IndexDamaged:
        pass  # _examine reports it
    except BaseException:
        db.close()
        raise
    return db


def _examine(directory: Path, db: Database, settled: bool, notes: list[str]) -> list[Problem]:
    """Every check; `settled` (no writer at work) adds those a write in progress would trip;
    what could not be checked goes to `notes`."""
    try:
        found = db.schema_version()
    except IndexDamaged as exc:
        return [_damage_problem(exc.reason)]
    if found != SCHEMA_VERSION:
        return [_schema_problem(found)]
    damage = db.integrity()
    if damage:  # nothing else can be trusted
        more = f" (and {len(damage) - 3} more)" if len(damage) > 3 else ""
        return [_damage_problem("; ".join(damage[:3]) + more)]
    try:
        keyword = db.keyword_index_problem()
    except IndexWriteError as exc:  # the check is an FTS5 command, which a read-only database refuses
        notes.append(f"keyword index not checked: {exc.reason}")
        keyword = None
    problems = [Problem("keyword-index", keyword)] if keyword is not None else []
    stale = db.stale()
    if stale:
        detail = (
            f"{len(stale)} video(s) lost rows to a damaged index.db and are searchable only with what was saved: "
            f"{_names(stale)}; `vidsearch index --update --index {directory}` indexes them again"
        )
        problems.append(Problem("stale-videos", detail, False))
    if settled:
        problems += _unsettled(directory, db, notes)
    for kind in VECTOR_KINDS:
        problems += _vector_problems(directory, db, kind, settled)
    return problems


def _damage_problem(what: str) -> Problem:
    return Problem(
        "database",
        f"index.db is damaged: {what}; --repair keeps a copy (index.db.damaged-<time>) and salvages what can be read",
    )


def _schema_problem(found: str | None) -> Problem:
    if found is None:
        return Problem("schema", "index.db is not a vidsearch index (no schema version)", False)
    older = found in MIGRATIONS
    fix = "a repair (or `vidsearch index --update`) upgrades it" if older else "use the vidsearch that made it"
    return Problem("schema", f"schema version {found}, this vidsearch reads {SCHEMA_VERSION}: {fix}", older)


def _unsettled(directory: Path, db: Database, notes: list[str]) -> list[Problem]:
    """Temporary files, incomplete videos and unlisted spans: what an interrupted writer leaves."""
    problems = []
    stray = sorted(p.name for p in directory.glob(f"*.faiss{TEMPORARY}"))
    if stray:
        problems.append(Problem("temp-files", f"partly written vector file(s) of a crashed writer: {', '.join(stray)}"))
    incomplete = db.incomplete()
    if incomplete:
        detail = f"{len(incomplete)} video(s) left incomplete by an interrupted run: {_names(incomplete)}"
        problems.append(Problem("incomplete-videos", detail))
    unlisted = db.unlisted_spans()
    if unlisted:
        detail = f"spans of modalities their video does not list (an interrupted addition): {_counted(unlisted)}"
        problems.append(Problem("unlisted-spans", detail))
    for progress in sorted(directory.glob(f"*{REBUILDING}")):
        notes.append(f"{progress.name}: an interrupted rebuild of {_kind_of(progress)}.faiss; --repair resumes it")
    return problems


def _kind_of(progress: Path) -> str:
    return progress.name[: -len(REBUILDING)]


def _record(db: Database, kind: Modality) -> ModelRecord | None:
    """The available model record that makes the vectors of `kind`, if any."""
    record = {m.role: m for m in db.models()}.get(Modality.VISUAL if kind.space == Space.CLIP else Space.SENTENCE)
    return record if record is not None and record.available else None


def _how(kind: Modality, record: ModelRecord) -> str:
    if kind == Modality.VISUAL:
        return f"by decoding the keyframes again from the video files with the CLIP model {record.model}"
    return f"from the stored text with the sentence model {record.model}"


def _vector_problems(directory: Path, db: Database, kind: Modality, settled: bool) -> list[Problem]:
    """A vector file against its model record and against the rows that must have vectors. A
    missing file whose rows exist is reported even while a writer works (no writer makes that)."""
    path = directory / f"{kind}.faiss"
    record = _record(db, kind)
    stored = np.zeros(0, np.int64)
    if path.exists():
        try:
            index = VectorIndex.read(path)
        except VectorFileError as exc:
            return [_bad_file(path, exc.reason, kind, record)]
        if record is not None and index.dim != record.dim and len(index):
            reason = f"holds {index.dim}-d vectors but the {kind} model makes {record.dim}-d ones"
            return [_bad_file(path, reason, kind, record)]
        problems = []
        garbled = index.garbled()
        if len(garbled):
            how = f"; --repair recomputes them {_how(kind, record)}" if record is not None else ""
            detail = f"{len(garbled)} vector(s) in {path.name} are garbled (not of unit length){how}"
            problems.append(Problem("garbled-vectors", detail))
        if not settled:
            return problems
        stored = index.ids()
    elif record is None or not db.vector_owner_count(kind):
        return []
    else:
        problems = []
    owners = np.fromiter(db.vector_owners(kind), np.int64)
    orphans = np.setdiff1d(stored, owners)
    if len(orphans):
        detail = f"{len(orphans)} vector(s) in {path.name} belong to no {_row(kind)} of a complete video"
        problems.append(Problem("orphan-vectors", detail))
    missing = np.setdiff1d(owners, stored) if record is not None else np.zeros(0, np.int64)
    if not len(missing) or record is None:
        return problems
    videos = db.owning_videos(kind, missing.tolist())
    gone = {p: n for p, n in videos.items() if kind == Modality.VISUAL and not p.is_file()}
    present = {p: n for p, n in videos.items() if p not in gone}
    lacking = sum(present.values())
    if present and not path.exists():
        detail = (
            f"{path.name} is missing: {lacking} {_row(kind)}(s) of {len(present)} video(s) have no vector; "
            f"--repair rebuilds it {_how(kind, record)}"
        )
        problems.append(Problem("missing-vector-file", detail))
    elif present:
        detail = f"{lacking} {_row(kind)}(s) have no vector in {path.name}, of {len(present)} video(s): "
        problems.append(
            Problem("missing-vectors", f"{detail}{_counted(present)}; --repair recomputes them {_how(kind, record)}")
        )
    if gone:
        problems.append(_gone_problem(gone))
    return problems


def _bad_file(path: Path, reason: str, kind: Modality, record: ModelRecord | None) -> Problem:
    how = f"; --repair rebuilds it {_how(kind, record)}" if record is not None else ""
    return Problem("bad-vector-file", f"{path.name} {reason}{how}")


def _gone_problem(gone: dict[Path, int]) -> Problem:
    detail = (
        f"{sum(gone.values())} keyframe(s) without a vector belong to {len(gone)} video(s) whose file is gone, "
        f"so they cannot be rebuilt: {_counted(gone)}; `vidsearch remove` them (or `doctor --repair --forget-gone`)"
    )
    return Problem("gone-videos", detail, False)


def _row(kind: Modality) -> str:
    return "keyframe" if kind == Modality.VISUAL else f"{kind} span"


def _names(paths: Sequence[Path]) -> str:
    more = f" and {len(paths) - SHOWN} more" if len(paths) > SHOWN else ""
    return ", ".join(str(p) for p in paths[:SHOWN]) + more


def _counted(found: dict[Path, int]) -> str:
    shown = [f"{path} ({n})" for path, n in list(found.items())[:SHOWN]]
    more = f" and {len(found) - SHOWN} more" if len(found) > SHOWN else ""
    return ", ".join(shown) + more


# --- repairing --------------------------------------------------------------------------------


def _repair(directory: Path, rebuilder: _Rebuilder, forget_gone: bool, version: str = "") -> DoctorReport:
    """Fix what can be fixed, holding the writer lock throughout, then check again."""
    lock = WriterLock.acquire(directory)
    handed = False
    try:
        done, lost = _mend_database(directory)
        if lost and not lost[0].repairable and lost[0].kind == "database":
            return DoctorReport(directory, tuple(lost), tuple(done))
        db = Database(directory / DB_NAME)
        try:
            before = db.schema_version()
        finally:
            db.close()
        if before != SCHEMA_VERSION and before not in MIGRATIONS:
            return DoctorReport(directory, (_schema_problem(before),), tuple(done))
        handed = True
        with Store.open(directory, write=True, recover=False, lock=lock, version=version) as store:
            if before != SCHEMA_VERSION:
                done.append(f"upgraded the schema from version {before} to {SCHEMA_VERSION}")
            done += store.recover(full=True)
            if store.db.keyword_index_problem() is not None:
                store.db.rebuild_keyword_index()
                done.append("rebuilt the keyword index from the spans")
            done += rebuilder.rebuild(store, forget_gone)
            notes: list[str] = []
            problems = [rebuilder.explain(p) for p in _examine(directory, store.db, settled=True, notes=notes)]
            problems += lost
    finally:
        if not handed:
            lock.release()
    for line in done:
        log.info("doctor: %s", line)
    return DoctorReport(directory, tuple(problems), tuple(done), tuple(notes))


def _mend_database(directory: Path) -> tuple[list[str], list[Problem]]:
    """When index.db is damaged: salvage what can be read into a new index.db, keeping the
    damaged one beside it. Returns what was done, and what a repair cannot give back: the
    damage, when nothing can be salvaged (index.db is then left as it is), or the videos whose
    rows were lost with it (their files are forgotten: indexing their folders again redoes them)."""
    path = directory / DB_NAME
    db = Database(path, readonly=True)  # nothing is written to it before its copy is kept
    try:
        try:
            db.schema_version()
            damage = db.integrity()
        except IndexDamaged as exc:
            damage = [exc.reason]
    finally:
        db.close()
    damage = [line for line in damage if not line.startswith("***")]  # "*** in database main ***"
    if not damage:
        return [], []
    target = path.with_name(path.name + ".salvage")
    _remove_database(target)  # left by a repair that was killed
    found = salvage(path, target, _known_ids(directory))
    if found is None:
        detail = (
            f"index.db is damaged beyond salvage ({damage[0]}); it is left as it is. Index the videos again into a "
            "new directory (`vidsearch index PATH... --index NEWDIR`), or restore index.db from a backup"
        )
        return [], [Problem("database", detail, False)]
    try:
        kept = _keep_copy(path)
        _swap(path, target)
    except OSError as exc:
        _remove_database(target)
        raise IndexWriteError(directory, f"{DB_NAME}: {write_failure(exc)}") from exc
    done = [f"index.db was damaged ({damage[0]}); kept it as {kept.name}", *_salvaged(found, directory)]
    forgotten = found.lost.get("videos", 0)
    if not forgotten:
        return done, []
    detail = (
        f"{forgotten} video(s) could not be read from the damaged index.db and are no longer in the index; "
        f"index their folders again (`vidsearch index FOLDER... --index {directory}`: unchanged files are skipped)"
    )
    return done, [Problem("lost-videos", detail, False)]


def _known_ids(directory: Path) -> dict[str, list[int]]:
    """The keyframe and span ids the readable vector files hold: rows that existed."""
    known: dict[str, list[int]] = {"keyframes": [], "spans": []}
    for kind in VECTOR_KINDS:
        path = directory / f"{kind}.faiss"
        try:
            ids = VectorIndex.read(path).ids().tolist() if path.exists() else []
        except VectorFileError:
            continue
        known["keyframes" if kind == Modality.VISUAL else "spans"] += ids
    return known


def _keep_copy(path: Path) -> Path:
    """Copy the damaged database (and its write-ahead log) to `index.db.damaged-<unix time>`."""
    kept = path.with_name(f"{path.name}.damaged-{int(time.time())}")
    shutil.copyfile(path, kept)
    wal = path.with_name(path.name + "-wal")
    if wal.exists() and wal.stat().st_size:
        shutil.copyfile(wal, kept.with_name(kept.name + "-wal"))
    for copy in (kept, kept.with_name(kept.name + "-wal")):
        if copy.exists():
            with copy.open("rb") as handle:
                os.fsync(handle.fileno())
    return kept


def _swap(path: Path, salvaged: Path) -> None:
    """Put the salvaged database in place of the damaged one: the damaged one's write-ahead log
    and shared memory go first (SQLite would replay that log onto the new file)."""
    with salvaged.open("rb") as handle:
        os.fsync(handle.fileno())
    for leftover in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        leftover.unlink(missing_ok=True)
    os.replace(salvaged, path)
    descriptor = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _remove_database(path: Path) -> None:
    for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        leftover.unlink(missing_ok=True)


def _salvaged(found: Salvage, directory: Path) -> list[str]:
    """What a salvage did, one line each."""
    lines = []
    if found.header_rebuilt:
        lines.append("rebuilt index.db's header (its first 100 bytes were unreadable)")
    how = "SQLite read every row" if found.copied else "read row by row around the damage"
    kept = ", ".join(f"{n} {table}" for table, n in found.kept.items() if table in ("videos", "segments", "spans"))
    lines.append(f"salvaged index.db into a new file with the same ids ({how}): {kept}")
    if found.lost:
        lost = ", ".join(f"{n} {table}" for table, n in found.lost.items())
        lines.append(f"rows lost to the damage: {lost}")
    if found.stale:
        lines.append(f"marked {len(found.stale)} video(s) that lost rows to be indexed again: {_names(found.stale)}")
    return lines


@dataclass
class _Model(Generic[T]):
    """One model a rebuild may need: made on first use, or the reason it could not be."""

    loader: Loader[T] | None
    what: str
    encoder: Encoder[T] | None = None
    failure: str | None = None

    def get(self, record: ModelRecord) -> Encoder[T] | None:
        if self.encoder is not None or self.failure is not None:
            return self.encoder
        if self.loader is None:
            self.failure = f"no {self.what} was given"
            return None
        try:
            encoder = self.loader(record)
        except Exception as exc:  # the caller's models: any failure to load is a reason, not a crash
            self.failure = f"the {self.what} {record.model} could not be loaded ({str(exc).splitlines()[0][:200]})"
            log.warning("doctor: %s", self.failure)
            return None
        if encoder.name != record.model or encoder.dim != record.dim:
            self.failure = (
                f"the {self.what} given is {encoder.name} ({encoder.dim}-d), not the index's "
                f"{record.model} ({record.dim}-d)"
            )
            return None
        self.encoder = encoder
        return encoder


@dataclass
class _Rebuilder:
    """Rebuilds missing and damaged vectors from what the index keeps."""

    directory: Path
    sentences: Loader[str] | None
    images: Loader[np.ndarray] | None
    frame_size: int
    reasons: dict[Modality, str] = field(default_factory=dict)
    """Why vectors of a kind were not (all) rebuilt."""

    def __post_init__(self) -> None:
        self._text = _Model(self.sentences, "sentence model")
        self._image = _Model(self.images, "CLIP model")

    def rebuild(self, store: Store, forget_gone: bool) -> list[str]:
        done: list[str] = []
        for kind in VECTOR_KINDS:
            done += self._kind(store, kind, forget_gone)
        return done

    def _kind(self, store: Store, kind: Modality, forget_gone: bool) -> list[str]:
        """Rebuild what `<kind>.faiss` lacks (all of it when it is gone or unusable: an unusable
        one is kept aside first, never deleted)."""
        record = _record(store.db, kind)
        if record is None:
            return []
        path = self.directory / f"{kind}.faiss"
        progress = self.directory / f"{kind}{REBUILDING}"
        done = []
        current, trouble = _usable(path, record.dim)
        if trouble is not None and path.exists():
            aside = path.with_name(f"{path.name}.bad-{int(time.time())}")
            _rename(path, aside, self.directory)
            done.append(f"renamed {path.name}, which could not be used ({trouble}), to {aside.name}")
        rebuilt = current if current is not None else VectorIndex(record.dim)
        garbled = rebuilt.garbled()
        if len(garbled):
            rebuilt.remove(garbled)
            done.append(f"dropped {len(garbled)} garbled vector(s) from {path.name}, to compute them again")
        need = np.setdiff1d(np.fromiter(store.db.vector_owners(kind), np.int64), rebuilt.ids())
        if not len(need):
            if len(garbled):
                store.replace_vectors(kind, rebuilt)
                store.save()
            progress.unlink(missing_ok=True)
            return done
        resumed = _resume(progress, rebuilt, need)
        need = np.setdiff1d(need, rebuilt.ids())
        checkpoint = _Checkpoint(rebuilt, progress)
        if kind == Modality.VISUAL:
            added, gone = self._keyframes(store, record, need, checkpoint)
        else:
            added, gone = self._spans(store, kind, record, need, checkpoint), {}
        added += resumed
        forgotten = list(gone) if forget_gone else []
        if added or forgotten or len(garbled):
            store.replace_vectors(kind, rebuilt)
        for removed in store.discard(forgotten):
            done.append(f"deleted {removed}: its file is gone, so its keyframes' vectors cannot be rebuilt")
        if added or len(garbled):
            store.save()
        if added:
            verb = "rebuilt" if trouble is not None else "recomputed"
            done.append(f"{verb} {added} {_row(kind)} vector(s) of {path.name} {_how(kind, record)}")
        if not self.reasons.get(kind):
            progress.unlink(missing_ok=True)
        return done

    def _spans(
        self, store: Store, kind: Modality, record: ModelRecord, need: np.ndarray, checkpoint: _Checkpoint
    ) -> int:
        """Vectors of the spans `need` from their stored text; how many were added."""
        if not len(need):
            return 0
        encoder = self._text.get(record)
        if encoder is None:
            self.reasons[kind] = self._text.failure or ""
            return 0
        texts = store.db.span_texts(need.tolist())
        keys = [key for key in need.tolist() if key in texts]
        for start in range(0, len(keys), TEXT_BATCH):
            batch = keys[start : start + TEXT_BATCH]
            checkpoint.add(batch, encoder.encode([texts[key] for key in batch]))
        return len(keys)

    def _keyframes(
        self, store: Store, record: ModelRecord, need: np.ndarray, checkpoint: _Checkpoint
    ) -> tuple[int, dict[Path, int]]:
        """Vectors of the keyframes `need`, decoded again from their videos; (how many were
        added, {video whose file is gone: its keyframes without vector})."""
        from indexer.decode import frame_at
        from indexer.errors import IndexerError

        added, gone, failed = 0, {}, {}
        for video, keyframes in store.db.keyframe_times(need.tolist()).items():
            if not video.is_file():
                gone[video] = len(keyframes)
                continue
            encoder = self._image.get(record)
            if encoder is None:
                self.reasons[Modality.VISUAL] = self._image.failure or ""
                continue
            keys, frames = [], []
            for key, moment in keyframes:
                try:
                    frames.append(frame_at(video, moment, self.frame_size))
                    keys.append(key)
                except (IndexerError, OSError) as exc:
                    failed[video] = str(exc).splitlines()[0][:200]
            for start in range(0, len(keys), IMAGE_BATCH):
                checkpoint.add(keys[start : start + IMAGE_BATCH], encoder.encode(frames[start : start + IMAGE_BATCH]))
            added += len(keys)
            log.info("doctor: %s: %d keyframe vector(s) rebuilt", video, len(keys))
        if failed:
            self.reasons[Modality.VISUAL] = "; ".join(f"{reason}" for reason in list(failed.values())[:SHOWN])
        return added, gone

    def explain(self, problem: Problem) -> Problem:
        """`problem` (found after the repair) with why it was not rebuilt, when known."""
        if problem.kind not in ("missing-vectors", "missing-vector-file", "bad-vector-file"):
            return problem
        kind = next((k for k in VECTOR_KINDS if f"{k}.faiss" in problem.detail), None)
        reason = self.reasons.get(kind) if kind is not None else None
        if not reason:
            return problem
        return Problem(problem.kind, f"{problem.detail}; not rebuilt: {reason}", problem.repairable)


@dataclass
class _Checkpoint:
    """Adds rebuilt vectors to `index`, saving it to `progress` every CHECKPOINT_SECONDS."""

    index: VectorIndex
    progress: Path
    saved: float = field(default_factory=time.monotonic)

    def add(self, keys: list[int], vectors: np.ndarray) -> None:
        self.index.add(np.asarray(keys, np.int64), vectors)
        if time.monotonic() - self.saved >= CHECKPOINT_SECONDS:
            self.index.save(self.progress)
            self.saved = time.monotonic()


def _usable(path: Path, dim: int) -> tuple[VectorIndex | None, str | None]:
    """(the vector file, None) when it is sound; (None, what is wrong) when it is missing
    ("missing"), unreadable or of another dimension."""
    if not path.exists():
        return None, "missing"
    try:
        found = VectorIndex.read(path)
    except VectorFileError as exc:
        return None, exc.reason
    if found.dim != dim:
        return None, f"it holds {found.dim}-d vectors, not {dim}-d"
    return found, None


def _resume(progress: Path, index: VectorIndex, need: np.ndarray) -> int:
    """Take from the progress file of an interrupted rebuild the vectors of `need` it holds;
    how many."""
    if not progress.exists() or not len(need):
        return 0
    try:
        saved = VectorIndex.read(progress)
    except VectorFileError:
        return 0
    if saved.dim != index.dim:
        return 0
    have = np.intersect1d(saved.ids(), need)
    if len(have):
        index.add(have, saved.vectors(have.tolist()))
        log.info("doctor: resumed %s: %d vector(s) already rebuilt", progress.name, len(have))
    return len(have)


def _rename(path: Path, aside: Path, directory: Path) -> None:
    try:
        path.rename(aside)
    except OSError as exc:
        raise IndexWriteError(directory, f"{path.name}: {write_failure(exc)}") from exc
