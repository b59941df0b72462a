"""Reading an indexed video's file back (thumbnails, the API's stream, the page's player) only
while it is the file that was indexed: a path swapped for a link to another file, a FIFO or a
device after indexing is refused, never read, and a swap between check and open is caught on the
open descriptor."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from search.errors import VideoFileChanged, VideoFileMissing
from search.types import VideoRecord

MTIME_TOLERANCE = 1e-6
"""Seconds two modification times may differ by and still be the same (as `Store.current` compares)."""
KINDS = {
    stat.S_IFDIR: "a folder",
    stat.S_IFIFO: "a FIFO",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
}
"""What a path that is no regular file now leads to, in words."""
OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)
"""How an indexed file is opened: read only, and never blocking or taking a terminal, should the path
have become a FIFO or a device between the check and the open (the descriptor is then refused)."""


class IndexedFile:
    """The file of an indexed video, open and checked to be the file that was indexed (see
    `open_indexed`). Read it through `fd`, or through `reopenable` where a library wants a path,
    never through the indexed path again: that path may be swapped at any moment, while the
    descriptor stays the file that was checked. Close it, or use it in a `with` block."""

    def __init__(self, path: Path, fd: int, found: os.stat_result) -> None:
        self.path = path
        self.fd = fd
        self.stat = found

    @property
    def reopenable(self) -> Path:
        """A path that opens this very file again: /proc/self/fd/N where the system has it (Linux);
        elsewhere the indexed path itself, which `confirm` checks again after use."""
        own = Path(f"/proc/self/fd/{self.fd}")
        try:
            if os.path.samestat(os.stat(own), self.stat):
                return own
        except OSError:
            pass
        return self.path

    def confirm(self) -> None:
        """Raise VideoFileChanged unless the indexed path still leads to this file (what was read
        through `reopenable` where that is the indexed path was this file, short of a swap and a
        swap back in between)."""
        try:
            now = os.stat(self.path)
        except OSError as exc:
            raise VideoFileChanged(self.path, "it was replaced while being read") from exc
        if not os.path.samestat(now, self.stat) or not _unchanged(now, self.stat):
            raise VideoFileChanged(self.path, "it was replaced while being read")

    def read(self) -> bytes:
        """The whole file, from its first byte."""
        size, chunks, at = self.stat.st_size, [], 0
        os.lseek(self.fd, 0, os.SEEK_SET)
        while at < size:
            chunk = os.read(self.fd, min(1 << 24, size - at))
            if not chunk:
                break
            chunks.append(chunk)
            at += len(chunk)
        if at != size:
            raise VideoFileChanged(self.path, "it changed while being read")
        return b"".join(chunks)

    def close(self) -> None:
        if self.fd >= 0:
            fd, self.fd = self.fd, -1
            os.close(fd)

    def __enter__(self) -> IndexedFile:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def __del__(self) -> None:  # a response that was never sent still gives its descriptor back
        self.close()


def _unchanged(found: os.stat_result, other: os.stat_result) -> bool:
    return found.st_size == other.st_size and abs(found.st_mtime - other.st_mtime) < MTIME_TOLERANCE


def _check(video: VideoRecord, found: os.stat_result) -> None:
    """Raise VideoFileChanged unless `found` is a regular file of the recorded size and mtime."""
    if not stat.S_ISREG(found.st_mode):
        kind = KINDS.get(stat.S_IFMT(found.st_mode), "no regular file")
        raise VideoFileChanged(video.path, f"it is no longer a regular file (it is {kind} now)")
    if found.st_size != video.size or abs(found.st_mtime - video.mtime) >= MTIME_TOLERANCE:
        raise VideoFileChanged(video.path, "it changed since it was indexed (its size or modification time differ)")


def _unreadable(video: VideoRecord, exc: OSError) -> VideoFileMissing:
    if isinstance(exc, (FileNotFoundError, NotADirectoryError)):
        return VideoFileMissing(video.path)
    if isinstance(exc, PermissionError):
        return VideoFileMissing(video.path, "it cannot be read (permission denied)")
    return VideoFileMissing(video.path, f"it cannot be read ({exc.strerror or type(exc).__name__})")


def open_indexed(video: VideoRecord) -> IndexedFile:
    """Open the file of an indexed video for reading, only if it is still the file that was indexed:
    a regular file with the recorded size and modification time. Links are followed as the indexer
    followed them (a library reached through a linked folder or file keeps working), but whatever
    the path leads to now must be that same file, so a path swapped for a link to something else
    (`/etc/passwd`), a FIFO or a device is refused, never read.

    The path is checked with `stat` before it is opened (a FIFO or device is never opened), opened
    without blocking, and the open descriptor checked again with `fstat` (it must be the inode that
    was checked), so a swap between check and open is caught too. Raises VideoFileMissing when the
    file is gone or unreadable, VideoFileChanged (a VideoFileMissing) when it is another file now."""
    try:
        before = os.stat(video.path)
    except OSError as exc:
        raise _unreadable(video, exc) from exc
    _check(video, before)
    try:
        fd = os.open(video.path, OPEN_FLAGS)
    except OSError as exc:
        raise _unreadable(video, exc) from exc
    try:
        opened = os.fstat(fd)
        _check(video, opened)
        if not os.path.samestat(opened, before):
            raise VideoFileChanged(video.path, "it was replaced while being opened")
        if OPEN_FLAGS & getattr(os, "O_NONBLOCK", 0):
            os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return IndexedFile(video.path, fd, opened)
