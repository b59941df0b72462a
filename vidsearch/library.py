"""Indexing a library: find files, skip unchanged ones, index the rest, write the store.

A bad file never stops the batch: its error is recorded and the next file goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from indexer import files
from indexer.encoders import Encoder
from indexer.encoders.clip import OpenClip
from indexer.errors import IndexerError, ModelUnavailable, describe
from indexer.pipeline import StageClock, VideoIndexer
from search.engine import clip_spec
from search.store import VISUAL, Store
from search.types import ModelRecord
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


def ways_out(error: ModelUnavailable) -> str:
    """The loud message for a modality whose model cannot be had, with the three ways out."""
    return (
        f"{error.modality} search is OFF: {error}. Ways out: connect to the internet once so the "
        f"weights download into the local cache; or pass --clip-checkpoint PATH (a local weights file); "
        f"or leave the modality out (--modalities none) to silence this."
    )


class VisualModel:
    """Resolves the visual encoder once, on first need, into an encoder or a 'missing' record."""

    def __init__(self, settings: Settings, images: Encoder[np.ndarray] | None) -> None:
        self.settings = settings
        self.explicit = bool(
            {"modalities", "clip_model", "clip_checkpoint", "clip_pretrained"} & settings.model_fields_set
        )
        self._given = images
        self._resolved: tuple[Encoder[np.ndarray] | None, ModelRecord] | None = None

    def resolve(self) -> tuple[Encoder[np.ndarray] | None, ModelRecord]:
        """(encoder or None, record for the store); raises ModelUnavailable if visual was asked for."""
        if self._resolved is None:
            self._resolved = self._resolve()
        return self._resolved

    def _resolve(self) -> tuple[Encoder[np.ndarray] | None, ModelRecord]:
        spec = clip_spec(self.settings)
        if self._given is not None:
            return self._given, ModelRecord(VISUAL, self._given.name, self._given.dim, True, config=spec.model)
        clip = OpenClip(spec)
        try:
            name = clip.name
        except ModelUnavailable as error:
            if self.explicit:
                raise
            log.warning("%s", ways_out(error))
            return None, ModelRecord(VISUAL, error.model, 0, False, reason=error.reason, config=spec.model)
        weights = str(spec.checkpoint.absolute()) if spec.checkpoint else spec.pretrained
        config = str(Path(spec.model).absolute()) if spec.model.endswith(".json") else spec.model
        return clip.images, ModelRecord(VISUAL, name, clip.dim, True, config=config, weights=weights)


def index_paths(
    paths: Iterable[Path],
    index: Path,
    settings: Settings,
    images: Encoder[np.ndarray] | None = None,
    on_file: Callable[[Path, str], None] | None = None,
) -> IndexReport:
    """Index every video under `paths` into the index directory `index`.

    `images` injects an image encoder (tests, apps); otherwise the settings' CLIP is loaded when the
    first file needs it. `on_file(path, outcome)` is told how each file ended.
    """
    report = _Run(settings, images, on_file or (lambda _p, _o: None))
    with Store.open(index, create=True) as store:
        for path in files.discover(paths):
            report.one(store, path)
        store.save()
    return report.result()


class _Run:
    def __init__(self, settings: Settings, images: Encoder[np.ndarray] | None, tell: Callable[[Path, str], None]):
        self.settings = settings
        self.tell = tell
        self.visual = VisualModel(settings, images) if VISUAL in settings.modalities else None
        self.clock = StageClock()
        self.indexer: VideoIndexer | None = None
        self.indexed: list[Path] = []
        self.skipped: list[Path] = []
        self.failed: list[Failure] = []
        self.missing: list[ModelRecord] = []
        self.video_seconds = 0.0

    def one(self, store: Store, path: Path) -> None:
        try:
            stamp = files.fingerprint(path)
        except OSError as exc:
            return self._fail(path, exc.strerror or str(exc))
        known = store.current(path, stamp.size, stamp.mtime)
        if known is not None and not self._adds_modality(store, known.modalities):
            self.skipped.append(path)
            return self.tell(path, "skipped")
        indexer = self._indexer(store)
        try:
            indexed = indexer.index(path)
        except IndexerError as exc:
            return self._fail(path, getattr(exc, "reason", str(exc)))
        except Exception as exc:  # a decoder or model bug on one file must not end the batch
            log.debug("unexpected failure on %s", path, exc_info=True)
            return self._fail(path, f"unexpected {type(exc).__name__}: {describe(exc)}")
        with self.clock.stage("store"):
            store.put(indexed)
            if len(self.indexed) % SAVE_EVERY == SAVE_EVERY - 1:
                store.save()
        self.indexed.append(path)
        self.video_seconds += indexed.info.duration
        self.tell(path, "indexed")

    def _adds_modality(self, store: Store, has: tuple[str, ...]) -> bool:
        """Whether this run can add the visual modality to an unchanged file indexed without it
        (say, the weights were missing then); resolves the model only in that case."""
        if self.visual is None or VISUAL in has:
            return False
        return self._indexer(store).images is not None

    def _indexer(self, store: Store) -> VideoIndexer:
        if self.indexer is None:
            images = None
            if self.visual is not None:
                images, record = self.visual.resolve()
                store.record_model(record)
                if not record.available:
                    self.missing.append(record)
            self.indexer = VideoIndexer(self.settings, images, self.clock)
        return self.indexer

    def _fail(self, path: Path, error: str) -> None:
        log.warning("%s: %s", path, error)
        self.failed.append(Failure(path, error))
        self.tell(path, "failed")

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
    with Store.open(index) as store:
        known = {video.path for video in store.videos()}
        removed, missing = [], []
        for given in paths:
            root = Path(given).absolute()
            matches = [p for p in known if p == root or root in p.parents]
            for path in matches:
                store.remove(path)
            (removed.extend(matches) if matches else missing.append(root))
        return removed, missing
