"""Finding video files under the paths a user gives, and fingerprinting them."""

from __future__ import annotations

import hashlib
import logging
import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from indexer.errors import NotARegularFile

log = logging.getLogger(__name__)

MEDIA_TYPES = {
    ".mp4": "video/mp4",
    ".m4v": "video/mp4",
    ".mov": "video/quicktime",
    ".mkv": "video/x-matroska",
    ".webm": "video/webm",
    ".avi": "video/x-msvideo",
    ".wmv": "video/x-ms-wmv",
    ".flv": "video/x-flv",
    ".mpg": "video/mpeg",
    ".mpeg": "video/mpeg",
    ".ts": "video/mp2t",
    ".mts": "video/mp2t",
    ".m2ts": "video/mp2t",
    ".3gp": "video/3gpp",
    ".ogv": "video/ogg",
    ".vob": "video/mpeg",
    ".mxf": "application/mxf",
    ".divx": "video/x-msvideo",
    ".mp3": "audio/mpeg",
    ".m4a": "audio/mp4",
    ".m4b": "audio/mp4",
    ".aac": "audio/aac",
    ".wav": "audio/wav",
    ".flac": "audio/flac",
    ".ogg": "audio/ogg",
    ".oga": "audio/ogg",
    ".opus": "audio/ogg",
    ".wma": "audio/x-ms-wma",
    ".aiff": "audio/aiff",
    ".aif": "audio/aiff",
    ".mka": "audio/x-matroska",
    ".weba": "audio/webm",
    ".amr": "audio/amr",
}
"""The files indexed inside folders, by suffix, with the content type they are served as (Python's
mimetypes gets .ts and .mkv wrong or not at all). Video and sound alike: podcasts, voice memos
and lecture recordings are searched for what is said and heard."""


ESCAPES = {**{n: f"\\x{n:02x}" for n in [*range(32), 127]}, 9: "\\t", 10: "\\n", 13: "\\r"}
"""How control characters in a name are shown (a newline in a file name must not break a line)."""


def printable(name: Path | str) -> str:
    """`name` (a path, or text that holds one) as text that prints on one line anywhere: bytes that
    are not UTF-8 as \\xNN (Python's surrogate escapes, as `os.fsdecode` makes them), control
    characters escaped (\\n), and, where the path separator is not one, a backslash doubled (so a
    name holding the four characters \\xe9 is not shown as one holding the byte). Only for
    showing: the path itself is kept as it is."""
    text = str(name).replace("\\", "\\\\") if os.sep != "\\" else str(name)
    try:
        text = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a lone surrogate that is no escaped byte (Windows names may hold one)
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text.translate(ESCAPES)


class OneLine(logging.Formatter):
    """Log records one line each, whatever the file names in them hold (newlines, bytes that are
    not UTF-8): the message goes through `printable` (a traceback, if any, follows as it is)."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        return printable(super().formatMessage(record))


def is_text(path: Path) -> bool:
    """Whether `path` is valid Unicode text (every name but one holding bytes that are not UTF-8)."""
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@dataclass(frozen=True)
class Fingerprint:
    """Size in bytes and modification time (seconds since the epoch) of a file."""

    size: int
    mtime: float


SPECIAL = (
    (stat.S_ISFIFO, "FIFO"),
    (stat.S_ISCHR, "character device"),
    (stat.S_ISBLK, "block device"),
    (stat.S_ISSOCK, "socket"),
    (stat.S_ISDIR, "folder"),
)
"""What a path that is no regular file is, by its mode."""


def fingerprint(path: Path) -> Fingerprint:
    """Size and modification time of `path` (following symlinks); OSError when it cannot be
    seen, NotARegularFile when it is no regular file."""
    found = path.stat()
    if not stat.S_ISREG(found.st_mode):
        raise NotARegularFile(path, next((name for test, name in SPECIAL if test(found.st_mode)), "special file"))
    return Fingerprint(size=found.st_size, mtime=found.st_mtime)


def content_hash(path: Path) -> str:
    """SHA-256 of the file's bytes (hex), read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def discover(paths: Iterable[Path]) -> Iterator[Path]:
    """Absolute paths of the files given and of the media files under the folders given.

    Files named explicitly are yielded whatever their suffix (the user asked for them); inside
    folders only the suffixes of MEDIA_TYPES (video and sound) count. Each file is yielded once,
    in sorted order per folder; symlinked folders are followed once (loops are cut).
    """
    seen: set[Path] = set()
    for path in paths:
        path = Path(os.path.abspath(path))
        if path.is_dir():
            yield from _walk(path, seen)
        elif path not in seen:
            seen.add(path)
            yield path


def _walk(root: Path, seen: set[Path]) -> Iterator[Path]:
    visited: set[Path] = set()
    for folder, dirs, names in os.walk(root, followlinks=True):
        real = Path(folder).resolve()
        if real in visited:
            dirs.clear()
            continue
        visited.add(real)
        dirs.sort()
        for name in sorted(names):
            path = Path(folder) / name
            if path.suffix.lower() in MEDIA_TYPES and path not in seen and path.is_file():
                seen.add(path)
                yield path
