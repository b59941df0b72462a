"""`vidsearch doctor`: check an index for what a crash, a full disk or a bug can leave, and repair it.

Checks (each finding is a `Problem` with a stable `kind`):

- `schema`: the schema version is this vidsearch's (an older one is upgraded by a repair);
- `database`: `PRAGMA integrity_check` of index.db (not repairable: restore or re-index);
- `keyword-index`: the FTS5 keyword index matches the spans table (repair: rebuild it);
- `temp-files`: no `*.faiss.tmp` left by a writer that died while saving (repair: delete them);
- `incomplete-videos`: no video left incomplete by an interrupted run (repair: delete its rows;
  the next `vidsearch index` of its folder indexes it again);
- `unlisted-spans`: no spans of a modality their video does not list, left by an interrupted
  modality addition (repair: delete them; the next `vidsearch index` adds the modality again);
- `bad-vector-file`: every vector file can be read and holds vectors of its model's dimension
  (repair: rename it to `<name>.bad-<unix time>` and delete the videos that list its modality);
- `orphan-vectors`: every vector in `visual.faiss` belongs to a keyframe, and every vector in
  `speech`, `ocr`, `audio.faiss` to a span, of a complete video (repair: drop those vectors);
- `missing-vectors`: every keyframe of a complete video has its vector, and so does every span
  of a complete video that lists its modality, when the index has a sentence model (repair: delete those videos' rows
  and vectors; `vidsearch index` indexes them again).

While another process writes the index (it holds the writer lock), checks that a write in
progress would trip (temporary files, incomplete videos, vectors against rows) are skipped and
the report says so; a repair takes the writer lock itself, so it refuses with IndexLocked then.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from search.db import MIGRATIONS, SCHEMA_VERSION, Database
from search.errors import IndexNotFound, IndexWriteError, VectorFileError, write_failure
from search.store import DB_NAME, SPAN_MODALITIES, TEXT, VISUAL, Store, WriterLock
from search.vectors import TEMPORARY, VectorIndex

log = logging.getLogger(__name__)

VECTOR_KINDS = (VISUAL, *SPAN_MODALITIES)
UNSETTLED = frozenset({"temp-files", "incomplete-videos", "unlisted-spans", "orphan-vectors", "missing-vectors"})
"""Kinds of problem that a writer at work shows for a moment: not checked while one runs."""
SHOWN = 5
"""Videos named in one problem's detail before "and N more"."""


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

    `notes` say what could not be checked and why (a writer at work)."""

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


def check(directory: Path, repair: bool = False) -> DoctorReport:
    """Check the index in `directory`; with `repair`, fix what can be fixed under the writer lock
    (IndexLocked while another process writes) and check again. Raises IndexNotFound."""
    directory = Path(directory).absolute()
    if not (directory / DB_NAME).is_file():
        raise IndexNotFound(directory)
    return _repair(directory) if repair else _inspect(directory)


def _inspect(directory: Path) -> DoctorReport:
    """Check without changing anything (and without the writer lock, so an indexer may start)."""
    writer = WriterLock.holder(directory)
    db = Database(directory / DB_NAME)
    notes: list[str] = []
    try:
        problems = _examine(directory, db, settled=writer is None, notes=notes)
    finally:
        db.close()
    writer = writer or WriterLock.holder(directory)
    if writer is None:
        return DoctorReport(directory, tuple(problems), notes=tuple(notes))
    notes.append(f"a writer is at work ({writer}): temporary files, incomplete videos and vectors were not checked")
    return DoctorReport(directory, tuple(p for p in problems if p.kind not in UNSETTLED), notes=tuple(notes))


def _examine(directory: Path, db: Database, settled: bool, notes: list[str]) -> list[Problem]:
    """Every check; `settled` (no writer at work) adds those a write in progress would trip;
    what could not be checked goes to `notes`."""
    found = db.schema_version()
    if found != SCHEMA_VERSION:
        return [_schema_problem(found)]
    problems = [Problem("database", f"index.db is damaged: {line}", False) for line in db.integrity()[:SHOWN]]
    if problems:
        return problems  # nothing else can be trusted
    try:
        keyword = db.keyword_index_problem()
    except IndexWriteError as exc:  # the check is an FTS5 command, which a read-only database refuses
        notes.append(f"keyword index not checked: {exc.reason}")
        keyword = None
    if keyword is not None:
        problems.append(Problem("keyword-index", keyword))
    if settled:
        problems += _unsettled(directory, db)
    for kind in VECTOR_KINDS:
        problems += _vector_problems(directory, db, kind, settled)
    return problems


def _schema_problem(found: str | None) -> Problem:
    if found is None:
        return Problem("schema", "index.db is not a vidsearch index (no schema version)", False)
    older = found in MIGRATIONS
    fix = "a repair (or `vidsearch index --update`) upgrades it" if older else "use the vidsearch that made it"
    return Problem("schema", f"schema version {found}, this vidsearch reads {SCHEMA_VERSION}: {fix}", older)


def _unsettled(directory: Path, db: Database) -> list[Problem]:
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
    return problems


def _vector_problems(directory: Path, db: Database, kind: str, settled: bool) -> list[Problem]:
    """A vector file against its model record and against the rows that must have vectors."""
    path = directory / f"{kind}.faiss"
    record = {m.modality: m for m in db.models()}.get(VISUAL if kind == VISUAL else TEXT)
    expected = record.dim if record is not None and record.available else None
    stored = np.zeros(0, np.int64)
    if path.exists():
        try:
            index = VectorIndex.read(path)
        except VectorFileError as exc:
            return [Problem("bad-vector-file", f"{path.name} {exc.reason}")]
        if expected is not None and index.dim != expected and len(index):
            detail = f"{path.name} holds {index.dim}-d vectors but the {kind} model makes {expected}-d ones"
            return [Problem("bad-vector-file", detail)]
        stored = index.ids()
    if not settled:
        return []
    owners = np.fromiter(db.vector_owners(kind), np.int64)
    problems = []
    orphans = np.setdiff1d(stored, owners)
    if len(orphans):
        detail = f"{len(orphans)} vector(s) in {path.name} belong to no {_row(kind)} of a complete video"
        problems.append(Problem("orphan-vectors", detail))
    missing = np.setdiff1d(owners, stored) if expected is not None else np.zeros(0, np.int64)
    if len(missing):
        videos = db.owning_videos(kind, missing.tolist())
        detail = f"{len(missing)} {_row(kind)}(s) have no vector in {path.name}, of {len(videos)} video(s): "
        problems.append(Problem("missing-vectors", detail + _counted(videos)))
    return problems


def _row(kind: str) -> str:
    return "keyframe" if kind == VISUAL else f"{kind} span"


def _names(paths: list[Path]) -> str:
    more = f" and {len(paths) - SHOWN} more" if len(paths) > SHOWN else ""
    return ", ".join(str(p) for p in paths[:SHOWN]) + more


def _counted(found: dict[Path, int]) -> str:
    shown = [f"{path} ({n})" for path, n in list(found.items())[:SHOWN]]
    more = f" and {len(found) - SHOWN} more" if len(found) > SHOWN else ""
    return ", ".join(shown) + more


def _repair(directory: Path) -> DoctorReport:
    """Fix what can be fixed, holding the writer lock throughout, then check again."""
    db = Database(directory / DB_NAME)
    try:
        before = db.schema_version()
    finally:
        db.close()
    if before != SCHEMA_VERSION and before not in MIGRATIONS:
        return DoctorReport(directory, (_schema_problem(before),))
    done: list[str] = []
    with Store.open(directory, write=True, recover=False) as store:
        if before != SCHEMA_VERSION:
            done.append(f"upgraded the schema from version {before} to {SCHEMA_VERSION}")
        done += _set_aside_bad_files(store)
        done += store.recover(full=True)
        if store.db.keyword_index_problem() is not None:
            store.db.rebuild_keyword_index()
            done.append("rebuilt the keyword index from the spans")
        done += _drop_videos_missing_vectors(store)
        problems = _examine(directory, store.db, settled=True, notes=[])
    for line in done:
        log.info("doctor: %s", line)
    return DoctorReport(directory, tuple(problems), tuple(done))


def _set_aside_bad_files(store: Store) -> list[str]:
    """Rename unreadable or wrong-dimension vector files out of the way (kept for inspection) and
    delete the videos that list their modality, whose vectors they were."""
    bad = [
        kind
        for kind in VECTOR_KINDS
        if any(p.kind == "bad-vector-file" for p in _vector_problems(store.directory, store.db, kind, False))
    ]
    done = []
    for kind in bad:
        path = store.directory / f"{kind}.faiss"
        aside = path.with_name(f"{path.name}.bad-{int(time.time())}")
        try:
            path.rename(aside)
        except OSError as exc:
            raise IndexWriteError(store.directory, f"{path.name}: {write_failure(exc)}") from exc
        done.append(f"renamed {path.name}, which could not be used, to {aside.name}")
    for kind in bad:
        for removed in store.discard(store.db.listing(kind)):
            done.append(f"deleted {removed} (its {kind} vectors were in that file); `vidsearch index` indexes it again")
    return done


def _drop_videos_missing_vectors(store: Store) -> list[str]:
    """Delete the complete videos some of whose keyframes or spans have no vector."""
    done = []
    for kind, dim in store.vector_kinds().items():
        path = store.directory / f"{kind}.faiss"
        stored = store.vectors(kind, dim).ids()
        missing = np.setdiff1d(np.fromiter(store.db.vector_owners(kind), np.int64), stored)
        if not len(missing):
            continue
        videos = store.db.owning_videos(kind, missing.tolist())
        for path_removed in store.discard(list(videos)):
            lacking = videos[path_removed]
            done.append(
                f"deleted {path_removed}: {lacking} {_row(kind)}(s) had no vector in {path.name}; "
                "`vidsearch index` indexes it again"
            )
    return done
