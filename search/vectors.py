"""FAISS vector indexes. The only module that imports faiss.

Each vector kind has one index of L2-normalised float32 vectors searched by inner product
(= cosine similarity), with ids that are SQLite primary keys. Files are replaced atomically: a
complete copy is written beside the file, fsynced and renamed over it, so a reader or a crash
sees the old file or the new one, never part of one; a failed write removes its copy.
"""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path

import numpy as np

from search.errors import IndexWriteError, VectorFileError, write_failure

log = logging.getLogger(__name__)


class VectorIndex:
    """An id-mapped inner-product index; the GPU is used for search when faiss-gpu and a GPU exist."""

    def __init__(self, dim: int, index=None) -> None:  # type: ignore[no-untyped-def]
        import faiss

        self.dim = dim
        self._index = index if index is not None else faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
        self._gpu = None

    @classmethod
    def load(cls, path: Path, dim: int) -> VectorIndex:
        """The index stored at `path`, or an empty one if there is none yet; raises
        VectorFileError when the file is damaged or holds vectors of another dimension."""
        if not path.exists():
            return cls(dim)
        found = cls.read(path)
        if found.dim != dim:
            raise VectorFileError(path, f"holds {found.dim}-d vectors but its model makes {dim}-d ones")
        return found

    @classmethod
    def read(cls, path: Path) -> VectorIndex:
        """The index stored at `path`, whatever its dimension; VectorFileError when it cannot be read."""
        import faiss

        try:
            index = faiss.read_index(str(path))
        except RuntimeError as exc:  # faiss reports a truncated or foreign file this way
            raise VectorFileError(path, f"cannot be read ({str(exc).splitlines()[-1][-160:]})") from exc
        return cls(int(index.d), index)

    def ids(self) -> np.ndarray:
        """The ids of the stored vectors (int64), in storage order."""
        import faiss

        id_map = getattr(self._index, "id_map", None)
        if id_map is None:
            return np.arange(len(self), dtype=np.int64)
        return faiss.vector_to_array(id_map).astype(np.int64)

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if len(ids):
            self._index.add_with_ids(np.ascontiguousarray(vectors, np.float32), np.asarray(ids, np.int64))
            self._gpu = None

    def remove(self, ids: np.ndarray) -> int:
        if not len(ids):
            return 0
        removed = int(self._index.remove_ids(np.asarray(ids, np.int64)))  # type: ignore[arg-type]
        self._gpu = None
        return removed

    def vectors(self, ids: list[int]) -> np.ndarray:
        """The stored vectors of `ids` (rows of zeros for ids it does not hold)."""
        rows = np.zeros((len(ids), self.dim), np.float32)
        for row, key in enumerate(ids):
            try:
                rows[row] = self._index.reconstruct(int(key))
            except RuntimeError:
                continue
        return rows

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids) of the `k` nearest vectors to each query row; missing slots have id -1."""
        k = min(k, len(self))
        if k == 0:
            return np.zeros((len(query), 0), np.float32), np.zeros((len(query), 0), np.int64)
        scores, ids = self._searcher().search(np.ascontiguousarray(query, np.float32), k)
        return scores, ids

    def _searcher(self):  # type: ignore[no-untyped-def]
        import faiss

        if self._gpu is None and hasattr(faiss, "StandardGpuResources") and faiss.get_num_gpus() > 0:
            self._gpu = faiss.index_cpu_to_all_gpus(self._index)
        return self._gpu if self._gpu is not None else self._index

    def save(self, path: Path) -> None:
        """Write to `path` atomically: a temporary file beside it, fsynced, then renamed over it.

        The bytes go through Python's file object (not faiss's own writer, which only prints a
        failure to close the file, e.g. the last buffer on a full disk), so every failed write
        raises. On failure the temporary file is removed, `path` is left as it was, and
        IndexWriteError says why."""
        import faiss

        temporary = path.with_name(path.name + TEMPORARY)
        try:
            with temporary.open("wb") as handle:
                faiss.write_index(self._index, faiss.PyCallbackIOWriter(handle.write))  # type: ignore[attr-defined]
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, path)
        except (OSError, RuntimeError) as exc:  # RuntimeError: faiss's own report of a failed write
            with contextlib.suppress(OSError):
                temporary.unlink(missing_ok=True)
            reason = write_failure(exc) if isinstance(exc, OSError) else str(exc).splitlines()[-1]
            raise IndexWriteError(path.parent, f"{path.name}: {reason}") from exc
        _sync_directory(path.parent)


TEMPORARY = ".tmp"
"""Suffix of the copy a vector file is written to before it replaces the file."""


def _sync_directory(directory: Path) -> None:
    """Make the rename durable (a power cut after it keeps the new file); best effort."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        log.debug("cannot fsync %s", directory)
    finally:
        os.close(descriptor)
