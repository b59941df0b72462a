"""Who does the indexing work: this process, or a cluster. The library plans jobs and writes
their outcomes; workers only turn a job into an outcome, so every backend resumes, skips and
reports failures the same way, and one writer owns the store.

A backend is a factory in `BACKENDS` that takes the run's `Setup` and returns `Workers`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from indexer.errors import IndexerError, Interrupted, describe
from indexer.pipeline import Models, StageClock, VideoIndexer
from indexer.types import IndexedVideo, Modality, TextSpan
from vidsearch.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """One file's work: index it whole, or, with `adding`, only hear those sound modalities
    (speech, audio) to add them to its record."""

    path: Path
    adding: tuple[Modality, ...] = ()


@dataclass(frozen=True)
class Heard:
    """What listening to a file found: sound spans, their sentence vectors, spoken language."""

    spans: tuple[TextSpan, ...]
    vectors: np.ndarray | None = field(repr=False, compare=False)
    language: str


@dataclass(frozen=True)
class Failure:
    path: Path
    error: str


@dataclass(frozen=True)
class Stopped:
    """The run was asked to stop while this file was at work: the next run does it."""

    path: Path


Outcome = IndexedVideo | Heard | Failure | Stopped


@dataclass(frozen=True)
class Setup:
    """What a backend needs to build workers: the settings, the models resolved in this process,
    the models the caller injected (None: each worker resolves its own from the settings) and
    the modalities whose model must be had (`strict`)."""

    settings: Settings
    models: Models
    given: Models | None
    strict: frozenset[Modality]
    clock: StageClock
    address: str | None = None
    """Where the cluster is, for backends that use one (None: start or find a local one)."""
    halt: threading.Event | None = None
    """Set when the run is asked to stop: files at work in this process let go at their next check."""


class Workers(Protocol):
    def run(self, jobs: Iterable[Job]) -> Iterator[tuple[Job, Outcome]]:
        """Every job with its outcome, in any order. Jobs are drawn lazily, a few ahead of the
        outcomes handed back, so memory stays bounded however many files there are."""
        ...

    def close(self) -> None:
        """Release what the workers hold (processes, cluster connections)."""
        ...


def work(indexer: VideoIndexer, job: Job) -> Outcome:
    """Do one job; any failure becomes the file's Failure (a bad file never ends a batch)."""
    try:
        if job.adding:
            spans, vectors, language = indexer.listen(job.path, job.adding)
            return Heard(spans, vectors, language)
        return indexer.index(job.path)
    except Interrupted:
        return Stopped(job.path)
    except Exception as exc:  # a decoder or model bug on one file must not end the batch
        return Failure(job.path, reason(job.path, exc))


def reason(path: Path, exc: Exception) -> str:
    """The one-line reason a file failed: the indexer's own, or the type and first line of a bug."""
    if isinstance(exc, IndexerError):
        return getattr(exc, "reason", str(exc))
    log.debug("unexpected failure on %s", path, exc_info=exc)
    return f"unexpected {type(exc).__name__}: {describe(exc)}"


class InProcess:
    """Jobs done one after another in this process, with the models already resolved here (each
    file is itself a pipeline: pictures and sound run side by side, decoding ahead of the models)."""

    def __init__(self, setup: Setup) -> None:
        self.indexer = VideoIndexer(setup.settings.index_params(), setup.models, setup.clock, setup.halt)

    def run(self, jobs: Iterable[Job]) -> Iterator[tuple[Job, Outcome]]:
        for job in jobs:
            yield job, work(self.indexer, job)

    def close(self) -> None:
        return None
