"""Exceptions raised by the store and search; each names the index directory or video concerned."""

from __future__ import annotations

import errno
from pathlib import Path

from indexer.errors import VidsearchError
from indexer.types import ModelRole


class SearchError(VidsearchError):
    """Base class for store and search failures."""


class IndexNotFound(SearchError):
    def __init__(self, directory: Path) -> None:
        super().__init__(f"no index at {directory} (run `vidsearch index PATH --index {directory}` first)")
        self.directory = directory


class IndexEmpty(SearchError):
    def __init__(self, directory: Path) -> None:
        super().__init__(f"index {directory} has no videos yet")
        self.directory = directory


class SchemaMismatch(SearchError):
    def __init__(self, directory: Path, found: str, expected: str) -> None:
        upgrade = "; `vidsearch index --update` upgrades it" if found.isdigit() and int(found) < int(expected) else ""
        super().__init__(
            f"index {directory} has schema version {found}; this vidsearch reads version {expected}{upgrade}"
        )
        self.directory = directory


class ModelMismatch(SearchError):
    """The index holds vectors of one model and the caller uses another."""

    def __init__(self, directory: Path, modality: ModelRole, stored: str, requested: str) -> None:
        if modality == "text":
            way = (
                "leave VIDSEARCH_TEXT_MODEL unset to use the index's own, "
                "`vidsearch index --update` re-embeds its spans with the one set, "
            )
        else:
            way = "use the same model, "
        super().__init__(
            f"index {directory} holds {modality} vectors of {stored}, not {requested}: "
            f"{way}or use another --index directory"
        )
        self.directory = directory
        self.modality = modality
        self.stored = stored
        self.requested = requested


class NoSearchableModality(SearchError):
    def __init__(self, directory: Path, reasons: str) -> None:
        super().__init__(f"index {directory} has nothing to search with: {reasons}")
        self.directory = directory


class VideoNotIndexed(SearchError):
    def __init__(self, path: Path) -> None:
        super().__init__(f"{path} is not in the index")
        self.path = path


class SegmentNotFound(SearchError):
    """No searchable video has a segment with this id."""

    def __init__(self, directory: Path, segment_id: int) -> None:
        super().__init__(f"index {directory} has no segment {segment_id}")
        self.directory = directory
        self.segment_id = segment_id


class VideoNotFound(SearchError):
    """No searchable video has this id."""

    def __init__(self, directory: Path, video_id: int) -> None:
        super().__init__(f"index {directory} has no video {video_id}")
        self.directory = directory
        self.video_id = video_id


class VideoFileMissing(SearchError):
    """An indexed video's file is gone or unreadable since it was indexed."""

    def __init__(self, path: Path, reason: str = "the file is gone") -> None:
        super().__init__(f"{path}: {reason}; re-index or `vidsearch remove` it")
        self.path = path
        self.reason = reason


class VideoFileChanged(VideoFileMissing):
    """An indexed video's path no longer leads to the file that was indexed: it is not a regular file
    any more (a symbolic link to something else, a folder, a FIFO, a device), or its size or
    modification time differ from those recorded. Nothing is read from it; re-indexing it makes the
    index agree with the file again."""

    def __init__(self, path: Path, reason: str = "it changed since it was indexed") -> None:
        super().__init__(path, reason)


class NoPicture(SearchError):
    """An indexed file is sound alone (a podcast, a voice memo) with no cover art: nothing to show."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"{path} has no picture: it is sound only")
        self.path = path


class IndexLocked(SearchError):
    """Another process is writing the index (it holds the writer lock `DIR/.lock`).

    `holder` describes it, e.g. "pid 4242 since 14:02:11", from what the lock file says."""

    def __init__(self, directory: Path, holder: str) -> None:
        super().__init__(f"index {directory} is being written by another vidsearch ({holder}); wait for it or stop it")
        self.directory = directory
        self.holder = holder


class IndexWriteError(SearchError):
    """Writing the index failed (read-only directory, disk full, no permission, I/O error).

    Nothing saved before is lost: vector files are replaced only by complete copies and SQLite
    rolls the failed transaction back; videos of the failed run stay invisible and are redone."""

    def __init__(self, directory: Path, reason: str) -> None:
        super().__init__(
            f"cannot write index {directory}: {reason}; the index as last saved is intact "
            "(fix this and run the same command again)"
        )
        self.directory = directory
        self.reason = reason


class VectorFileError(SearchError):
    """A vector file cannot be used: unreadable (damaged, truncated) or of the wrong dimension."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}; `vidsearch doctor --index {path.parent}` tells what to do")
        self.path = path
        self.reason = reason


class VectorFileMissing(VectorFileError):
    """A vector file is gone while the index has rows (keyframes or spans) whose vectors it held:
    searching without it would silently miss them. `vidsearch doctor --repair` rebuilds it."""

    def __init__(self, path: Path, rows: int, what: str) -> None:
        SearchError.__init__(
            self,
            f"{path} is missing: {rows} {what} of the index have their vectors there; "
            f"`vidsearch doctor --index {path.parent} --repair` rebuilds it",
        )
        self.path = path
        self.reason = "is missing"
        self.rows = rows


class IndexUnusable(SearchError):
    """index.db cannot be used as it is: damaged (IndexDamaged) or unreadable (IndexUnreadable)."""

    def __init__(self, directory: Path, reason: str, message: str) -> None:
        super().__init__(message)
        self.directory = directory
        self.reason = reason


class IndexDamaged(IndexUnusable):
    """index.db is damaged: SQLite finds it is not a database, or that a page of it is malformed."""

    def __init__(self, directory: Path, reason: str) -> None:
        super().__init__(
            directory,
            reason,
            f"index {directory} is damaged: index.db {reason}; `vidsearch doctor --index {directory} --repair` "
            "keeps a copy of it and salvages what it can",
        )


class IndexUnreadable(IndexUnusable):
    """index.db cannot be read now (a full disk, permissions, an I/O error); nothing is damaged."""

    def __init__(self, directory: Path, reason: str) -> None:
        super().__init__(directory, reason, f"cannot read index {directory}: {reason}")


WRITE_ERRNOS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is exceeded",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EIO: "disk I/O error",
    errno.EFBIG: "the file is too large for this file system",
}
"""What a failed write's errno means, in words."""


def write_failure(exc: OSError) -> str:
    """A failed write in words, e.g. "the disk is full (No space left on device)"."""
    words = WRITE_ERRNOS.get(exc.errno or -1)
    detail = exc.strerror or str(exc)
    return f"{words} ({detail})" if words else detail
