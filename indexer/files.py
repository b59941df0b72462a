"""Finding video files under the paths a user gives, and fingerprinting them."""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

VIDEO_SUFFIXES = frozenset(
    [
        ".mp4",
        ".m4v",
        ".mov",
        ".mkv",
        ".webm",
        ".avi",
        ".wmv",
        ".flv",
        ".mpg",
        ".mpeg",
        ".ts",
        ".mts",
        ".m2ts",
        ".3gp",
        ".ogv",
        ".vob",
        ".mxf",
        ".divx",
    ]
)


@dataclass(frozen=True)
class Fingerprint:
    """Size in bytes and modification time (seconds since the epoch) of a file."""

    size: int
    mtime: float


def fingerprint(path: Path) -> Fingerprint:
    stat = path.stat()
    return Fingerprint(size=stat.st_size, mtime=stat.st_mtime)


def content_hash(path: Path) -> str:
    """SHA-256 of the file's bytes (hex), read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def discover(paths: Iterable[Path]) -> Iterator[Path]:
    """Absolute paths of the files given and of the video files under the folders given.

    Files named explicitly are yielded whatever their suffix (the user asked for them); inside
    folders only known video suffixes count. Each file is yielded once, in sorted order per folder;
    symlinked folders are followed once (loops are cut).
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
            if path.suffix.lower() in VIDEO_SUFFIXES and path not in seen and path.is_file():
                seen.add(path)
                yield path
