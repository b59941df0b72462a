"""FAISS vector indexes. The only module that imports faiss.

Each vector kind has one index of L2-normalised float32 vectors searched by inner product
(= cosine similarity), with ids that are SQLite primary keys. Files are replaced atomically.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np

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
        """The index stored at `path`, or an empty one if there is none yet."""
        import faiss

        if not path.exists():
            return cls(dim)
        index = faiss.read_index(str(path))
        if index.d != dim:
            raise ValueError(f"{path} holds {index.d}-d vectors, expected {dim}")
        return cls(dim, index)

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
        """Write to `path` atomically: a temporary file beside it, fsynced, then renamed over it."""
        import faiss

        temporary = path.with_name(path.name + ".tmp")
        faiss.write_index(self._index, str(temporary))
        with temporary.open("rb") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, path)
