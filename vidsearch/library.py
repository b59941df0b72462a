"""Indexing a library: find files, skip unchanged ones, index the rest, write the store.

A bad file never stops the batch: its error is recorded and the next file goes on.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from indexer import files
from indexer.encoders import Encoder
from indexer.errors import ModelUnavailable, NotARegularFile, describe
from indexer.pipeline import Models, StageClock
from indexer.types import IndexedVideo, Modality, Space
from search.errors import IndexUnusable, IndexWriteError, VectorFileError, write_failure
from search.store import DB_NAME, Store
from search.types import ModelRecord
from vidsearch import FILE_OUTCOME, WRITER
from vidsearch import models as registry
from vidsearch.backends import BACKENDS
from vidsearch.settings import CLIP_FIELDS, Settings
from vidsearch.workers import Failure, Heard, Job, Outcome, Setup, Stopped, Workers, reason

log = logging.getLogger(__name__)

SAVE_EVERY = 20
"""Videos indexed between saves of the vector files (a crash loses at most this many)."""
SAVE_SECONDS = 10.0
"""Seconds after which what was indexed since the last save is saved anyway, so that a running
page or API sees new videos soon and a crash loses little time's work..."""
SAVE_SHARE = 0.1
"""...unless saving took so long (a large index) that it would take more than this share of the
time: then saves wait ten times as long as the last one took."""


@dataclass(frozen=True)
class IndexReport:
    """How each file ended, the modalities that could not run, and seconds per stage."""

    indexed: tuple[Path, ...]
    skipped: tuple[Path, ...]
    failed: tuple[Failure, ...]
    missing: tuple[ModelRecord, ...]
    video_seconds: float
    stage_seconds: dict[str, float] = field(default_factory=dict)
    interrupted: tuple[Path, ...] = ()
    """Files at work when the run was asked to stop: neither indexed nor failed; the next run does them."""
    stopped_by: int | None = None
    """The signal (SIGINT, SIGTERM) that asked the run to stop, None when it ran to the end."""
    reembedded: int = 0
    """Spans embedded again because the index's sentence model was another (`index --update`)."""


@dataclass(frozen=True)
class FileEvent:
    """What happened to one file: `outcome` is "started", then one of "indexed", "updated" (a
    modality added), "skipped" (unchanged), "failed" (with `error`) or "interrupted" (the run was
    asked to stop while the file was at work); `video_seconds` indexed."""

    path: Path
    outcome: str
    video_seconds: float = 0.0
    error: str = ""


LOG_NAME = "vidsearch.log"
"""The log every indexing run appends to, in the index directory: what happened to each file."""

SOUND_ONLY = frozenset({Modality.SPEECH, Modality.AUDIO})
"""Modalities that can be added to an indexed video from its sound alone, without its pictures."""


def index_paths(
    paths: Iterable[Path],
    index: Path,
    settings: Settings,
    models: Models | None = None,
    on_file: Callable[[FileEvent], None] | None = None,
    strict: frozenset[Modality] = frozenset(),
    backend: str = "local",
    address: str | None = None,
    update: bool = False,
) -> IndexReport:
    """Index every video under `paths` into the index directory `index`.

    `models` injects models (tests, apps); otherwise each modality's model is resolved from the
    settings when the first file needs it. A model that cannot be had turns its modality off
    with a warning, or stops the run with ModelUnavailable when it is in `strict` (the user named it).
    Unchanged files that lack a modality this run can index get it added. `on_file` hears when
    each file starts and how it ended; the same goes to `index/vidsearch.log`. `backend` names
    who does the work (`backends.BACKENDS`: "local", or "ray" with the cluster at `address`);
    this process alone writes the store either way.

    With `update`, an index whose spans were embedded by another sentence model than the
    settings name (or whose re-embedding was interrupted) has them embedded again first, from
    their stored text (`Store.reembed`); the report's `reembedded` counts them.

    Called in the main thread, SIGINT and SIGTERM ask the run to stop: no new file is started,
    the file at work lets go at its next check, what is done is saved, and the report says which
    signal (`stopped_by`); a second signal stops at once (the next run recovers). What is indexed
    is saved every SAVE_EVERY files or SAVE_SECONDS, whichever comes first.
    """
    run = _Run(settings, models, on_file or (lambda _event: None), strict)
    with (
        Store.open(index, create=True, version=WRITER) as store,
        _logging_to(store.directory / LOG_NAME),
        _stoppable(run.halt),
    ):
        log.info("indexing into %s with modalities %s", store.directory, ",".join(settings.modalities))
        for repair in store.recovered:
            log.info("recovered from an interrupted run: %s", repair)
        try:
            if update:
                run.reembed(store)
            run.all(store, files.discover(paths), backend, address)
        finally:
            run.close()
        store.save()
        done = run.result()
        log.info("%d indexed, %d unchanged, %d failed", len(done.indexed), len(done.skipped), len(done.failed))
        if done.stopped_by is not None:
            log.warning(
                "stopped by %s: what was indexed is saved; %d file(s) at work are left for the next run",
                signal.Signals(done.stopped_by).name,
                len(done.interrupted),
            )
    return done


class Halt(threading.Event):
    """Set when a run is asked to stop; `signal` says by which signal."""

    signal: int | None = None


@contextmanager
def _stoppable(halt: Halt) -> Iterator[None]:
    """While indexing in the main thread, SIGINT and SIGTERM set `halt` (the run stops between
    files and saves); a second one raises KeyboardInterrupt (stop now). Old handlers come back after."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def ask(number: int, _frame: object) -> None:
        if halt.is_set():
            raise KeyboardInterrupt
        halt.signal = number
        halt.set()
        log.warning("%s: stopping after saving what is done (again to stop at once)", signal.Signals(number).name)

    previous = {number: signal.signal(number, ask) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


@contextmanager
def _logging_to(path: Path) -> Iterator[None]:
    """Append this package's INFO-and-above records to `path` while indexing."""
    try:
        handler = _RunLog(path, encoding="utf-8", errors="backslashreplace")
    except OSError as exc:
        raise IndexWriteError(path.parent, f"{path.name}: {write_failure(exc)}") from exc
    handler.setLevel(logging.INFO)
    handler.setFormatter(files.OneLine("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    loggers = [logging.getLogger(name) for name in ("vidsearch", "indexer", "search")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        if logger.getEffectiveLevel() > logging.INFO:
            logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels):
            logger.removeHandler(handler)
            logger.setLevel(level)
        handler.close()


class _RunLog(logging.FileHandler):
    """The index's log file. When a record cannot be written (the disk is full), it says so once,
    in one line, and writes no more (logging's own answer is a traceback per record)."""

    broken = False

    def emit(self, record: logging.LogRecord) -> None:
        if not self.broken:
            super().emit(record)

    def close(self) -> None:
        try:
            super().close()
        except OSError:  # what is buffered cannot be written; the file is closed all the same
            stream, self.stream = self.stream, None  # type: ignore[assignment]
            with contextlib.suppress(OSError):
                if stream is not None:
                    stream.close()
            logging.Handler.close(self)

    def handleError(self, record: logging.LogRecord) -> None:
        if self.broken:
            return
        self.broken = True
        failure = sys.exc_info()[1]
        why = write_failure(failure) if isinstance(failure, OSError) else describe(failure or Exception())
        log.warning("cannot write %s (%s); going on without it", self.baseFilename, why)


def known_paths(index: Path) -> list[Path]:
    """The videos an index holds (none when it does not exist yet), for `index --update`."""
    if not (index / DB_NAME).exists():
        return []
    with Store.open(index, create=True, version=WRITER) as store:
        return [video.path for video in store.videos()]


class _Run:
    """One indexing run: plans a job per file that needs work, hands the jobs to the workers and
    writes each outcome to the store as it comes back."""

    def __init__(
        self, settings: Settings, models: Models | None, tell: Callable[[FileEvent], None], strict: frozenset[Modality]
    ):
        self.settings = settings
        self.tell = tell
        self.given = models
        self.strict = strict
        self.clock = StageClock()
        self.resolved: Models | None = None
        self.workers: Workers | None = None
        self.indexed: list[Path] = []
        self.skipped: list[Path] = []
        self.failed: list[Failure] = []
        self.missing: list[ModelRecord] = []
        self.interrupted: list[Path] = []
        self.reembedded = 0
        self.video_seconds = 0.0
        self.halt = Halt()
        self.saved_at = time.monotonic()
        self.saving = 0.0
        """Seconds the last save took."""
        self.unsaved = 0
        """Videos put since the last save."""

    def all(self, store: Store, paths: Iterable[Path], backend: str, address: str | None) -> None:
        """Plan, work and write every file; the workers start when the first job needs them. A CLIP
        named (option or environment) for an index of another CLIP's vectors stops the run with
        ModelMismatch at once, even when no file needs work (`--update` re-embeds nothing)."""
        if CLIP_FIELDS & self.settings.model_fields_set and store.space_model(Space.CLIP) is not None:
            self._models(store)
        jobs = self._plan(store, paths)
        first = next(jobs, None)
        if first is None:
            return
        self.workers = BACKENDS[backend](
            Setup(self.settings, self._models(store), self.given, self.strict, self.clock, address, self.halt)
        )
        for job, outcome in self.workers.run(itertools.chain([first], jobs)):
            self._write(store, job, outcome)

    def reembed(self, store: Store) -> None:
        """Embed the index's spans again when its sentence model is not the one the settings name."""
        stored = store.models().get(Space.SENTENCE)
        if stored is None or not any(m.space == Space.SENTENCE for m in self.settings.modalities):
            return
        try:
            encoder, record = registry.sentence_model(self.settings, self.given)
        except ModelUnavailable as error:
            log.warning("the index's spans are not embedded again: %s", error)
            return
        if stored.available and stored.model == record.model:
            return
        log.info("embedding the index's spans again with %s (they were embedded with %s)", record.model, stored.model)
        with self.clock.stage("re-embed"):
            self.reembedded = store.reembed(cast(Encoder[str], encoder), record)
        log.info("%d spans embedded again with %s", self.reembedded, record.model)

    def close(self) -> None:
        if self.workers is not None:
            self.workers.close()

    def _plan(self, store: Store, paths: Iterable[Path]) -> Iterator[Job]:
        """A job for every file that is new, changed, or lacks a modality this run can add."""
        for path in paths:
            if self.halt.is_set():
                return
            self.tell(FileEvent(path, "started"))
            try:
                stamp = files.fingerprint(path)
            except OSError as exc:
                self._fail(path, exc.strerror or str(exc))
                continue
            except NotARegularFile as exc:
                self._fail(path, exc.reason)
                continue
            known = store.current(path, stamp.size, stamp.mtime)
            adding = self._adds(store, known.modalities) if known is not None else ()
            if known is not None and not adding:
                self.skipped.append(path)
                log.info("%s: unchanged", path)
                self.tell(FileEvent(path, "skipped"))
            elif known is not None and set(adding) <= SOUND_ONLY:
                yield Job(path, adding)
            else:
                yield Job(path)

    def _write(self, store: Store, job: Job, outcome: Outcome) -> None:
        if isinstance(outcome, Failure):
            return self._fail(outcome.path, outcome.error)
        if isinstance(outcome, Stopped):
            self.interrupted.append(outcome.path)
            log.info("%s: left for the next run (the run was asked to stop)", outcome.path)
            return self.tell(FileEvent(outcome.path, "interrupted"))
        try:
            if isinstance(outcome, Heard):
                self._extend(store, job, outcome)
            else:
                self._put(store, job, outcome)
        except (IndexWriteError, IndexUnusable, VectorFileError):
            raise  # the disk or the index, not the file: every file after it would fail the same way
        except Exception as exc:  # a bug storing one file must not end the batch
            self._fail(job.path, reason(job.path, exc))

    def _put(self, store: Store, job: Job, outcome: IndexedVideo) -> None:
        with self.clock.stage("store"):
            store.put(outcome)
            self.unsaved += 1
            self._save_when_due(store)
        self.indexed.append(job.path)
        self.video_seconds += outcome.info.duration
        log.info(
            "%s: indexed %.1f s, %d segments, %d spans",
            job.path,
            outcome.info.duration,
            len(outcome.segments),
            len(outcome.spans),
        )
        self.tell(FileEvent(job.path, "indexed", outcome.info.duration))

    def _extend(self, store: Store, job: Job, heard: Heard) -> None:
        """Add the speech and/or sound events heard to an indexed video."""
        known = store.video(job.path)
        if known is None:
            return self._fail(job.path, "left the index while it was being listened to")
        with self.clock.stage("store"):
            store.extend(known, heard.spans, heard.vectors, job.adding, heard.language)
        self.indexed.append(job.path)
        self.video_seconds += known.duration
        log.info("%s: added %s", job.path, ",".join(job.adding))
        self.tell(FileEvent(job.path, "updated", known.duration))

    def _adds(self, store: Store, has: tuple[Modality, ...]) -> tuple[Modality, ...]:
        """The modalities this run can add to an unchanged file indexed without them (say, their
        weights were missing then); resolves the models only when some are lacking."""
        if set(self.settings.modalities) <= set(has):
            return ()
        return tuple(m for m in self._models(store).modalities if m not in has)

    def _models(self, store: Store) -> Models:
        if self.resolved is None:
            resolved = registry.resolve(self.settings, self.given, self.strict)
            for record in resolved.records:
                store.record_model(record)
            self.missing += resolved.missing
            self.resolved = resolved.models
        return self.resolved

    def _save_when_due(self, store: Store) -> None:
        """Save after SAVE_EVERY videos or SAVE_SECONDS, unless saves would take over SAVE_SHARE of the time."""
        waited = time.monotonic() - self.saved_at
        if self.unsaved >= SAVE_EVERY or waited >= max(SAVE_SECONDS, self.saving / SAVE_SHARE):
            began = time.monotonic()
            store.save()
            self.saved_at = time.monotonic()
            self.saving = self.saved_at - began
            self.unsaved = 0

    def _fail(self, path: Path, error: str) -> None:
        log.warning("%s: %s", path, error, extra={FILE_OUTCOME: True})
        self.failed.append(Failure(path, error))
        self.tell(FileEvent(path, "failed", error=error))

    def result(self) -> IndexReport:
        return IndexReport(
            tuple(self.indexed),
            tuple(self.skipped),
            tuple(self.failed),
            tuple(self.missing),
            self.video_seconds,
            dict(self.clock.seconds),
            tuple(self.interrupted),
            self.halt.signal,
            self.reembedded,
        )


def remove_paths(paths: Iterable[Path], index: Path) -> tuple[list[Path], list[Path]]:
    """Drop videos from the index: (removed, not found). Folders drop every indexed video under them."""
    with Store.open(index, write=True, version=WRITER) as store:
        known = {video.path for video in store.videos()}
        removed: list[Path] = []
        missing: list[Path] = []
        for given in paths:
            root = Path(given).absolute()
            matches = [p for p in known if p == root or root in p.parents]
            (removed.extend(matches) if matches else missing.append(root))
        store.discard(removed)
        return removed, missing
