"""Exceptions raised by the indexer; each names the file or model it concerns."""

from __future__ import annotations

from pathlib import Path

from indexer.types import ModelRole


def describe(exc: BaseException, limit: int = 300) -> str:
    """A one-line reason from a library's exception: its OS error text if any, else its first line."""
    text = getattr(exc, "strerror", None) or str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:limit]


class VidsearchError(Exception):
    """The root of every failure vidsearch raises on purpose (`IndexerError`, `search.errors.SearchError`):
    catch it to handle them all. Each subclass names the file, index or model it concerns."""


class IndexerError(VidsearchError):
    """Base class for indexer failures."""


class VideoError(IndexerError):
    """A file could not be probed or decoded."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class ModelUnavailable(IndexerError):
    """A model's weights could not be loaded (offline, missing file, unknown name)."""

    def __init__(self, modality: ModelRole, model: str, reason: str) -> None:
        super().__init__(f"{modality} model {model} is unavailable: {reason}")
        self.modality = modality
        self.model = model
        self.reason = reason


class NotARegularFile(VideoError):
    """A path names a FIFO, a device, a socket or a folder: reading it could block forever or
    never end, so it is not opened."""

    def __init__(self, path: Path, kind: str) -> None:
        super().__init__(path, f"not a regular file (a {kind}); not opened")


class NoPicture(VideoError):
    """A file has sound only, and no cover art either: there is no picture to show."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, "no picture: the file has sound only")


class TimeLimitExceeded(VideoError):
    """Indexing one file took longer than its limit (a pathological or hanging decode)."""

    def __init__(self, path: Path, limit: float) -> None:
        super().__init__(path, f"took longer than its {limit:.0f} s limit (VIDSEARCH_TIME_LIMIT*)")
        self.limit = limit


class Interrupted(VideoError):
    """The run was asked to stop (SIGINT, SIGTERM) while this file was being indexed: it is left
    for the next run, neither indexed nor failed."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, "interrupted: the run was asked to stop")


class Cancelled(VideoError):
    """Work on one stage of a file stopped because another stage of it failed."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, "cancelled: another stage of this file failed")
