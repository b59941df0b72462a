"""Indexing a library: find files, skip unchanged ones, index the rest, write the store.

A bad file never stops the batch: its error is recorded and the next file goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from indexer import files
from indexer.errors import IndexerError, describe
from indexer.pipeline import Models, StageClock, VideoIndexer
from search.store import DB_NAME, Store
from search.types import ModelRecord, VideoRecord
from vidsearch import models as registry
from vidsearch.settings import Settings

log = logging.getLogger(__name__)

SAVE_EVERY = 20
"""Videos indexed between saves of the vector files (a crash loses at most this many)."""


@dataclass(frozen=True)
class Failure:
    path: Path
    error: str


@dataclass(frozen=True)
class IndexReport:
    """How each file ended, the modalities that could not run, and seconds per stage."""

    indexed: tuple[Path, ...]
    skipped: tuple[Path, ...]
    failed: tuple[Failure, ...]
    missing: tuple[ModelRecord, ...]
    video_seconds: float
    stage_seconds: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class FileEvent:
    """What happened to one file: `outcome` is "started", then one of "indexed", "updated" (a
    modality added), "skipped" (unchanged) or "failed" (with `error`); `video_seconds` indexed."""

    path: Path
    outcome: str
    video_seconds: float = 0.0
    error: str = ""


LOG_NAME = "vidsearch.log"
"""The log every indexing run appends to, in the index directory: what happened to each file."""

SOUND_ONLY = frozenset({"speech", "audio"})
"""Modalities that can be added to an indexed video from its sound alone, without its pictures."""


def index_paths(
    paths: Iterable[Path],
    index: Path,
    settings: Settings,
    models: Models | None = None,
    on_file: Callable[[FileEvent], None] | None = None,
    strict: frozenset[str] = frozenset(),
) -> IndexReport:
    """Index every video under `paths` into the index directory `index`.

    `models` injects models (tests, apps); otherwise each modality's model is resolved from the
    settings when the first file needs it. A model that cannot be had turns its modality off
    with a warning, or stops the run with ModelUnavailable when it is in `strict` (the user named it).
    Unchanged files that lack a modality this run can index get it added. `on_file` hears when
    each file starts and how it ended; the same goes to `index/vidsearch.log`.
    """
    report = _Run(settings, models, on_file or (lambda _event: None), strict)
    with Store.open(index, create=True) as store, _logging_to(store.directory / LOG_NAME):
        log.info("indexing into %s with modalities %s", store.directory, ",".join(settings.modalities))
        for repair in store.recovered:
            log.info("recovered from an interrupted run: %s", repair)
        for path in files.discover(paths):
            report.one(store, path)
        store.save()
        done = report.result()
        log.info("%d indexed, %d unchanged, %d failed", len(done.indexed), len(done.skipped), len(done.failed))
    return done


@contextmanager
def _logging_to(path: Path) -> Iterator[None]:
    """Append this package's INFO-and-above records to `path` while indexing."""
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setLevel(logging.INFO)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
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


def _reason(path: Path, exc: Exception) -> str:
    """The one-line reason a file failed: the indexer's own, or the type and first line of a bug."""
    if isinstance(exc, IndexerError):
        return getattr(exc, "reason", str(exc))
    log.debug("unexpected failure on %s", path, exc_info=exc)
    return f"unexpected {type(exc).__name__}: {describe(exc)}"


def known_paths(index: Path) -> list[Path]:
    """The videos an index holds (none when it does not exist yet), for `index --update`."""
    if not (index / DB_NAME).exists():
        return []
    with Store.open(index, create=True) as store:
        return [video.path for video in store.videos()]


class _Run:
    def __init__(
        self, settings: Settings, models: Models | None, tell: Callable[[FileEvent], None], strict: frozenset[str]
    ):
        self.settings = settings
        self.tell = tell
        self.given = models
        self.strict = strict
        self.clock = StageClock()
        self.indexer: VideoIndexer | None = None
        self.indexed: list[Path] = []
        self.skipped: list[Path] = []
        self.failed: list[Failure] = []
        self.missing: list[ModelRecord] = []
        self.video_seconds = 0.0

    def one(self, store: Store, path: Path) -> None:
        self.tell(FileEvent(path, "started"))
        try:
            stamp = files.fingerprint(path)
        except OSError as exc:
            return self._fail(path, exc.strerror or str(exc))
        known = store.current(path, stamp.size, stamp.mtime)
        adding = self._adds(store, known.modalities) if known is not None else ()
        if known is not None and not adding:
            self.skipped.append(path)
            log.info("%s: unchanged", path)
            return self.tell(FileEvent(path, "skipped"))
        if known is not None and set(adding) <= SOUND_ONLY:
            return self._listen(store, known, adding)
        indexer = self._indexer(store)
        try:
            indexed = indexer.index(path)
        except Exception as exc:  # a decoder or model bug on one file must not end the batch
            return self._fail(path, _reason(path, exc))
        with self.clock.stage("store"):
            store.put(indexed)
            if len(self.indexed) % SAVE_EVERY == SAVE_EVERY - 1:
                store.save()
        self.indexed.append(path)
        self.video_seconds += indexed.info.duration
        log.info(
            "%s: indexed %.1f s, %d segments, %d spans",
            path,
            indexed.info.duration,
            len(indexed.segments),
            len(indexed.spans),
        )
        self.tell(FileEvent(path, "indexed", indexed.info.duration))

    def _adds(self, store: Store, has: tuple[str, ...]) -> tuple[str, ...]:
        """The modalities this run can add to an unchanged file indexed without them (say, their
        weights were missing then); resolves the models only when some are lacking."""
        if set(self.settings.modalities) <= set(has):
            return ()
        return tuple(m for m in self._indexer(store).models.modalities if m not in has)

    def _listen(self, store: Store, known: VideoRecord, adding: tuple[str, ...]) -> None:
        """Add speech and/or sound events to an indexed video from its audio alone."""
        indexer = self._indexer(store)
        try:
            spans, vectors, language = indexer.listen(known.path, adding)
        except Exception as exc:  # a decoder or model bug on one file must not end the batch
            return self._fail(known.path, _reason(known.path, exc))
        with self.clock.stage("store"):
            store.extend(known, spans, vectors, adding, language)
        self.indexed.append(known.path)
        self.video_seconds += known.duration
        log.info("%s: added %s", known.path, ",".join(adding))
        self.tell(FileEvent(known.path, "updated", known.duration))

    def _indexer(self, store: Store) -> VideoIndexer:
        if self.indexer is None:
            resolved = registry.resolve(self.settings, self.given, self.strict)
            for record in resolved.records:
                store.record_model(record)
            self.missing += resolved.missing
            self.indexer = VideoIndexer(self.settings, resolved.models, self.clock)
        return self.indexer

    def _fail(self, path: Path, error: str) -> None:
        log.warning("%s: %s", path, error)
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
        )


def remove_paths(paths: Iterable[Path], index: Path) -> tuple[list[Path], list[Path]]:
    """Drop videos from the index: (removed, not found). Folders drop every indexed video under them."""
    with Store.open(index, write=True) as store:
        known = {video.path for video in store.videos()}
        removed: list[Path] = []
        missing: list[Path] = []
        for given in paths:
            root = Path(given).absolute()
            matches = [p for p in known if p == root or root in p.parents]
            (removed.extend(matches) if matches else missing.append(root))
        store.discard(removed)
        return removed, missing
