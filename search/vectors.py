"""FAISS vector indexes. The only module that imports faiss.

Each vector kind has one index of L2-normalised float32 vectors searched by inner product
(= cosine similarity), with ids that are SQLite primary keys. Files are replaced atomically: a
complete copy is written beside the file, fsynced and renamed over it, so a reader or a crash
sees the old file or the new one, never part of one; a failed write removes its copy.

The index type follows the size (`IndexPolicy`), checked on every save: exact search
(`IndexIDMap2(IndexFlatIP)`) while small, then an inverted-file index (IVF: `nlist` k-means
cells, a search scans the `nprobe` cells nearest the query) whose vectors are stored as 8-bit
scalar-quantised codes (SQ8, a quarter of float32), or as float16 when SQ8 cannot reach the
recall floor. `nprobe` is chosen at build time as the smallest that reaches the target recall@10
against exact search, measured on a sample of the stored vectors used as queries (each query's
own vector left out of both result lists), and is kept in the file. Adds and removes go straight
into the IVF (it has an id hashtable, so `vectors()` and removal need no scan); the IVF is
retrained only when the library has grown or shrunk about 4x since it was built, and an IVF that
shrinks below `exact_below` becomes exact again.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from search.errors import IndexWriteError, VectorFileError, write_failure

log = logging.getLogger(__name__)

RECALL_AT = 10
"""Recall is measured on the top 10: recall@10 = the share of the exact 10 nearest found."""
UNIT_TOLERANCE = 0.05
"""How far from 1 a stored vector's length may be (SQ8 codes decode to within ~1 %) before it
counts as garbled."""
GARBLE_CHUNK = 65_536
"""Vectors decoded at a time when an IVF is checked for garbled ones."""


@dataclass(frozen=True)
class IndexPolicy:
    """When the exact index gives way to an approximate one, and how that one is built.

    Sizes count vectors. The defaults come from `benchmarks/bench_vectors.py` (512-d clustered
    vectors, 2 CPU cores): exact search costs ~28 ms a query at 100k vectors and ~95 ms at 1M
    (2 KB a vector); the SQ8 IVF ~0.2 ms at 1M with recall@10 ~0.97 (540 bytes a vector, built
    in ~20 s). On structureless (uniform) vectors SQ8 misses the floor and the float16 IVF ends
    up scanning every cell: recall 1.0, ~30 ms at 1M."""

    approximate_from: int = 50_000
    """An exact index holding at least this many vectors is rebuilt as an IVF when saved (exact
    search reads every vector per query: ~15 ms at 50k 512-d vectors on an idle core)."""
    exact_below: int = 25_000
    """An IVF shrunk below this goes back to exact search (lower than `approximate_from`, so a
    library near the threshold does not flip type on every save)."""
    lists_per_root: float = 2.0
    """nlist = this x sqrt(n): ~2000 cells of ~500 vectors at 1M. Finer cells cost k-means and
    assignment time (4x sqrt(n) took ~110 s to build at 1M on 2 busy cores against ~20 s) for
    latency that is already well under 1 ms."""
    train_per_list: int = 40
    """Vectors sampled per cell to train k-means (faiss wants at least 39); nlist is capped at
    n / this so small indexes still train on enough points."""
    regrow: float = 4.0
    """Retrain when the cell count the current size calls for is sqrt(regrow) times above or
    below the current one, i.e. after ~4x growth or shrinkage since the build; in between,
    vectors are added to the trained cells."""
    target_recall: float = 0.97
    """nprobe is the smallest that reaches this recall@10 on the sample (0.95 is required; the
    margin covers sampling error, ~0.004 on 500 queries, and drift until the next rebuild)."""
    floor_recall: float = 0.96
    """An encoding whose best recall within `max_scan` stays below this is not used: the next,
    more exact one is built on the same cells."""
    max_scan: float = 0.1
    """The largest share of cells a lossy encoding may scan per query while tuning; the last
    encoding may scan all of them (an IVF of float16 codes scanning every cell is exact)."""
    min_candidates: int = 1000
    """nprobe is at least enough cells to hold about this many vectors, so the visual search's 200
    candidates come from ~5x as many, not from the one or two cells that suffice for the top 10."""
    encodings: tuple[str, ...] = ("SQ8", "SQfp16")
    """IVF vector encodings to try in order: SQ8 (1 byte a dimension), SQfp16 (2 bytes)."""
    tuning_queries: int = 500
    """Stored vectors sampled as queries to measure recall."""
    seed: int = 0
    """Seeds the samples and k-means, so a rebuild of the same vectors gives the same index."""

    def __post_init__(self) -> None:
        if not 1 <= self.exact_below <= self.approximate_from:
            raise ValueError("IndexPolicy needs 1 <= exact_below <= approximate_from")
        if self.regrow <= 1 or not self.encodings or self.tuning_queries < 1:
            raise ValueError("IndexPolicy needs regrow > 1, an encoding and tuning queries")
        unknown = set(self.encodings) - {"SQ8", "SQfp16", "Flat"}
        if unknown:
            raise ValueError(f"IndexPolicy: unknown encodings {sorted(unknown)} (SQ8, SQfp16, Flat)")


@dataclass(frozen=True)
class Tuning:
    """How an approximate index was built and what it measured. The file keeps the type, nlist
    and nprobe; the recall is logged when measured (and known to the process that built it)."""

    encoding: str
    nlist: int
    nprobe: int
    recall: float
    """Mean recall@10 against exact search over the same vectors, on `queries` stored vectors."""
    queries: int
    seconds: float
    """Wall time of the build: k-means, encoding and tuning."""


class VectorIndex:
    """An id-mapped inner-product index, exact or IVF by size (see `IndexPolicy`); the GPU is
    used for search when faiss-gpu and a GPU exist."""

    def __init__(self, dim: int, index: Any = None, policy: IndexPolicy | None = None) -> None:
        self.dim = dim
        self.policy = policy or IndexPolicy()
        self._index = index if index is not None else _exact(dim)
        self._gpu: Any = None
        self.tuning: Tuning | None = None
        """The last build's measurements, in the process that built it (None otherwise)."""
        ivf = _ivf(self._index)
        if ivf is not None:
            _hashtable(ivf)

    @classmethod
    def load(cls, path: Path, dim: int, policy: IndexPolicy | None = None) -> VectorIndex:
        """The index stored at `path`, or an empty one if there is none yet; raises
        VectorFileError when the file is damaged or holds vectors of another dimension."""
        if not path.exists():
            return cls(dim, policy=policy)
        found = cls.read(path, policy)
        if found.dim != dim:
            raise VectorFileError(path, f"holds {found.dim}-d vectors but its model makes {dim}-d ones")
        return found

    @classmethod
    def read(cls, path: Path, policy: IndexPolicy | None = None) -> VectorIndex:
        """The index stored at `path`, whatever its dimension; VectorFileError when it cannot be read."""
        import faiss

        try:
            index = faiss.read_index(str(path))
        except RuntimeError as exc:  # faiss reports a truncated or foreign file this way
            raise VectorFileError(path, f"cannot be read ({str(exc).splitlines()[-1][-160:]})") from exc
        return cls(int(index.d), index, policy)

    @property
    def approximate(self) -> bool:
        """Whether searches go through an IVF (True) or scan every vector (False)."""
        return _ivf(self._index) is not None

    @property
    def nprobe(self) -> int | None:
        """Cells an IVF search scans (None for exact search)."""
        ivf = _ivf(self._index)
        return None if ivf is None else int(ivf.nprobe)

    @property
    def kind(self) -> str:
        """The index type in faiss's factory words: "Flat" (exact), "IVF2000,SQ8", "IVF2000,SQfp16"..."""
        ivf = _ivf(self._index)
        if ivf is None:
            return "Flat"
        scalar = getattr(ivf, "sq", None)
        return f"IVF{ivf.nlist},{_SQ_NAMES.get(int(scalar.qtype), 'SQ') if scalar is not None else 'Flat'}"

    def ids(self) -> np.ndarray:
        """The ids of the stored vectors (int64), in storage order (cell by cell for an IVF)."""
        import faiss

        ivf = _ivf(self._index)
        if ivf is not None:
            return _list_ids(ivf)
        id_map = getattr(self._index, "id_map", None)
        if id_map is None:
            return np.arange(len(self), dtype=np.int64)
        return faiss.vector_to_array(id_map).astype(np.int64)

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Add vectors under `ids` (an IVF puts them in its trained cells: no rebuild)."""
        if len(ids):
            self._index.add_with_ids(np.ascontiguousarray(vectors, np.float32), np.asarray(ids, np.int64))
            self._gpu = None

    def remove(self, ids: np.ndarray) -> int:
        """Drop the vectors of `ids`; the number dropped (unknown ids are skipped)."""
        if not len(ids):
            return 0
        removed = int(self._index.remove_ids(np.asarray(ids, np.int64)))  # type: ignore[arg-type]
        self._gpu = None
        return removed

    def vectors(self, ids: list[int]) -> np.ndarray:
        """The stored vectors of `ids` (rows of zeros for ids it does not hold); an IVF gives
        them back decoded from its codes: close, not equal (SQ8 on the benchmark's 512-d data:
        cosine to the vector added >= 0.997, and >= 0.9998 for 99% of them)."""
        rows = np.zeros((len(ids), self.dim), np.float32)
        for row, key in enumerate(ids):
            try:
                rows[row] = self._index.reconstruct(int(key))
            except RuntimeError:
                continue
        return rows

    def garbled(self, tolerance: float = UNIT_TOLERANCE) -> np.ndarray:
        """Ids of the stored vectors that cannot be what was stored: not finite, or neither of
        unit length nor zero (every vector stored is L2-normalised; a zero row is what an empty
        input gives). Damage inside a file that faiss reads without complaint shows this way.
        An IVF's vectors are decoded a chunk at a time (their codes are close, not exact)."""
        ivf = _ivf(self._index)
        if ivf is None:
            ids, vectors = _contents(self._index)
            return ids[_off_unit(vectors, tolerance)]
        ids = _list_ids(ivf)
        parts = [np.zeros(0, np.int64)]
        for start in range(0, len(ids), GARBLE_CHUNK):
            chunk = ids[start : start + GARBLE_CHUNK]
            parts.append(chunk[_off_unit(ivf.reconstruct_batch(chunk), tolerance)])
        return np.concatenate(parts)

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids) of the `k` nearest vectors to each query row; missing slots have id -1."""
        k = min(k, len(self))
        if k == 0:
            return np.zeros((len(query), 0), np.float32), np.zeros((len(query), 0), np.int64)
        scores, ids = self._searcher().search(np.ascontiguousarray(query, np.float32), k)
        return scores, ids

    def _searcher(self) -> Any:
        import faiss

        if self._gpu is None and hasattr(faiss, "StandardGpuResources") and faiss.get_num_gpus() > 0:
            try:  # the GPU copy of an IVF takes its nprobe along (GpuIndexIVF::copyFrom)
                self._gpu = faiss.index_cpu_to_all_gpus(self._index)
            except RuntimeError:  # e.g. an nprobe above the GPU's limit (2048): search on the CPU
                log.warning("cannot copy the vector index to the GPU; searching on the CPU", exc_info=True)
                self._gpu = self._index
        return self._gpu if self._gpu is not None else self._index

    def maintain(self, name: str = "vector index") -> Tuning | None:
        """Give the index the type its size calls for (see `IndexPolicy`), rebuilding it from its
        own vectors when the type or the IVF's cell count must change; the new IVF's Tuning, or
        None when no IVF was built. `name` labels the log lines. Called by `save`."""
        n, ivf = len(self), _ivf(self._index)
        if ivf is None and n < self.policy.approximate_from:
            return None
        if ivf is not None and n < self.policy.exact_below:
            self._index, self._gpu = _exact(self.dim, *_contents(ivf)), None
            log.info("%s: %d vectors, back to exact search", name, n)
            return None
        if ivf is not None and not _needs_retraining(ivf, n, self.policy):
            return None
        index, tuning = _approximate(*_contents(self._index), self.policy)
        self._index, self._gpu, self.tuning = index, None, tuning
        log.info(
            "%s: %d vectors in an IVF%d,%s index, nprobe %d: recall@%d %.3f against exact search "
            "(%d stored vectors as queries), built in %.1f s",
            *(name, n, tuning.nlist, tuning.encoding, tuning.nprobe, RECALL_AT),
            *(tuning.recall, tuning.queries, tuning.seconds),
        )
        return tuning

    def save(self, path: Path) -> None:
        """Write to `path` atomically: a temporary file beside it, fsynced, then renamed over it.

        First `maintain()` gives the index the type its size calls for (a failed rebuild is
        logged and the index saved as it is: still correct, only slower). The bytes go through
        Python's file object (not faiss's own writer, which only prints a failure to close the
        file, e.g. the last buffer on a full disk), so every failed write raises. On failure the
        temporary file is removed, `path` is left as it was, and IndexWriteError says why."""
        try:
            self.maintain(path.name)
        except (RuntimeError, MemoryError):  # faiss's own errors, or no room for the rebuild
            log.warning("cannot rebuild %s for its size; saving it as it is", path.name, exc_info=True)
        _write(self._index, path)


def _write(index: Any, path: Path) -> None:
    """Write `index` to `path` atomically (see `VectorIndex.save`)."""
    import faiss

    temporary = path.with_name(path.name + TEMPORARY)
    try:
        with temporary.open("wb") as handle:
            faiss.write_index(index, faiss.PyCallbackIOWriter(handle.write))  # type: ignore[attr-defined]
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except (OSError, RuntimeError) as exc:  # RuntimeError: faiss's own report of a failed write
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
        reason = write_failure(exc) if isinstance(exc, OSError) else str(exc).splitlines()[-1]
        raise IndexWriteError(path.parent, f"{path.name}: {reason}") from exc
    _sync_directory(path.parent)


def _off_unit(vectors: np.ndarray, tolerance: float) -> np.ndarray:
    """Which rows are not finite, or neither of unit length nor zero (a boolean mask)."""
    with np.errstate(all="ignore"):
        norms = np.linalg.norm(np.asarray(vectors, np.float64), axis=1)
    return np.asarray(~np.isfinite(norms) | ((np.abs(norms - 1.0) > tolerance) & (norms > tolerance)))


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


def _ivf(index: Any) -> Any:
    """The IVF that `index` is (as its own class: IndexIVFScalarQuantizer...), or None for an
    exact index."""
    import faiss

    found = faiss.try_extract_index_ivf(index)
    return None if found is None else faiss.downcast_index(found)


def _exact(dim: int, ids: np.ndarray | None = None, vectors: np.ndarray | None = None) -> Any:
    """An exact index (every vector scanned per query), holding `vectors` under `ids` if given."""
    import faiss

    index = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
    if ids is not None and vectors is not None and len(ids):
        index.add_with_ids(np.ascontiguousarray(vectors, np.float32), np.ascontiguousarray(ids, np.int64))
    return index


def _list_ids(ivf: Any) -> np.ndarray:
    """The ids held in an IVF's cells, cell by cell (int64)."""
    import faiss

    lists, parts = ivf.invlists, [np.zeros(0, np.int64)]
    for cell in range(ivf.nlist):
        size = lists.list_size(cell)
        if size:
            parts.append(faiss.rev_swig_ptr(lists.get_ids(cell), size).astype(np.int64))
    return np.concatenate(parts)


def _contents(index: Any) -> tuple[np.ndarray, np.ndarray]:
    """(ids, vectors) of everything `index` holds; an exact index gives a view of its own
    memory (no 2 GB copy at 1M vectors), valid only while the index lives."""
    import faiss

    ivf = _ivf(index)
    if ivf is not None:
        ids = _list_ids(ivf)
        return ids, ivf.reconstruct_batch(ids) if len(ids) else np.zeros((0, ivf.d), np.float32)
    count, dim = int(index.ntotal), int(index.d)
    id_map = getattr(index, "id_map", None)
    ids = faiss.vector_to_array(id_map).astype(np.int64) if id_map is not None else np.arange(count, dtype=np.int64)
    flat: Any = faiss.downcast_index(index.index) if id_map is not None else index
    if not count:
        return ids, np.zeros((0, dim), np.float32)
    return ids, faiss.rev_swig_ptr(flat.get_xb(), count * dim).reshape(count, dim)


def _nlist(count: int, policy: IndexPolicy) -> int:
    """Cells for `count` vectors: lists_per_root x sqrt(count), at most count / train_per_list."""
    return max(1, min(round(policy.lists_per_root * math.sqrt(count)), count // policy.train_per_list))


def _needs_retraining(ivf: Any, count: int, policy: IndexPolicy) -> bool:
    """Whether `count` vectors call for sqrt(regrow) times more or fewer cells than the IVF has."""
    ratio = _nlist(count, policy) / int(ivf.nlist)
    step = math.sqrt(policy.regrow)
    return ratio >= step or ratio <= 1 / step


def _approximate(ids: np.ndarray, vectors: np.ndarray, policy: IndexPolicy) -> tuple[Any, Tuning]:
    """An IVF of `vectors` under `ids`: k-means cells trained on a sample, then each encoding in
    turn on those cells until one reaches the recall floor, with nprobe tuned against exact search."""
    started = time.perf_counter()
    rng = np.random.default_rng(policy.seed)
    nlist = _nlist(len(ids), policy)
    sample = vectors[np.sort(rng.choice(len(ids), min(len(ids), nlist * policy.train_per_list), replace=False))]
    centroids = _centroids(sample, nlist, policy.seed)
    cells = _nearest(vectors, centroids, 1)[:, 0]
    queries = np.sort(rng.choice(len(ids), min(len(ids), policy.tuning_queries), replace=False))
    truth = _leave_out(_nearest(vectors[queries], vectors, RECALL_AT + 1), ids, queries)
    for number, encoding in enumerate(policy.encodings, 1):
        last = number == len(policy.encodings)
        ivf = _encoded(encoding, centroids, sample, ids, vectors, cells)
        nprobe, recall = _tune(ivf, vectors[queries], ids[queries], truth, policy, last)
        if recall >= policy.floor_recall or last:
            break
        log.info("IVF%d,%s: recall@%d %.3f at best; trying the next encoding", nlist, encoding, RECALL_AT, recall)
    ivf.nprobe = nprobe
    return ivf, Tuning(encoding, nlist, nprobe, recall, len(queries), time.perf_counter() - started)


def _centroids(sample: np.ndarray, nlist: int, seed: int) -> np.ndarray:
    """`nlist` unit-norm k-means centroids of `sample` (spherical, as suits inner product; 10
    iterations, as faiss's IVF training does)."""
    import faiss

    kmeans = faiss.Kmeans(sample.shape[1], nlist, niter=10, spherical=True, seed=seed, min_points_per_centroid=1)
    kmeans.train(np.ascontiguousarray(sample, np.float32))
    return np.ascontiguousarray(kmeans.centroids, np.float32)


def _nearest(queries: np.ndarray, base: np.ndarray, k: int) -> np.ndarray:
    """Row numbers in `base` of the `k` highest inner products with each query (exact, batched
    BLAS; -1 where `base` has fewer rows)."""
    import faiss

    queries, base = np.ascontiguousarray(queries, np.float32), np.ascontiguousarray(base, np.float32)
    return faiss.knn(queries, base, k, metric=faiss.METRIC_INNER_PRODUCT)[1]


def _leave_out(rows: np.ndarray, ids: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """The ids of exact neighbours `rows` of stored vectors `queries`, each query's own id left
    out (the last neighbour when the query is not among them): RECALL_AT ids a query."""
    found = np.where(rows >= 0, ids[rows], -1)
    return np.stack([_without(own, row) for own, row in zip(ids[queries], found)])


def _without(own: int, found: np.ndarray) -> np.ndarray:
    """`found` less the first `own` (or its last entry), cut to RECALL_AT."""
    where = np.flatnonzero(found == own)
    return np.delete(found, where[0] if len(where) else len(found) - 1)[:RECALL_AT]


_SQ_NAMES = {0: "SQ8", 4: "SQfp16"}
"""Names of faiss's ScalarQuantizer types (QT_8bit, QT_fp16) as `IndexPolicy.encodings` gives them."""


def _encoded(
    encoding: str, centroids: np.ndarray, sample: np.ndarray, ids: np.ndarray, vectors: np.ndarray, cells: np.ndarray
) -> Any:
    """An IVF on `centroids` holding `vectors` under `ids`, already assigned to `cells`, its codes
    `encoding` (SQ8 trained on `sample`), with an id hashtable for reconstruct and removal."""
    import faiss

    nlist, dim = centroids.shape
    quantizer = faiss.IndexFlatIP(dim)
    quantizer.add(centroids)
    ivf: Any
    if encoding == "Flat":
        ivf = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
    else:
        kind = {"SQ8": faiss.ScalarQuantizer.QT_8bit, "SQfp16": faiss.ScalarQuantizer.QT_fp16}[encoding]
        ivf = faiss.IndexIVFScalarQuantizer(quantizer, dim, nlist, kind, faiss.METRIC_INNER_PRODUCT, encoding == "SQ8")
    ivf.train(np.ascontiguousarray(sample, np.float32))  # the cells are trained: only the codes' ranges
    _hashtable(ivf)
    rows, keys = np.ascontiguousarray(vectors, np.float32), np.ascontiguousarray(ids, np.int64)
    assigned = np.ascontiguousarray(cells, np.int64)
    ivf.add_core(len(keys), faiss.swig_ptr(rows), faiss.swig_ptr(keys), faiss.swig_ptr(assigned))
    return ivf


def _hashtable(ivf: Any) -> None:
    """Give an IVF an id -> (cell, offset) hashtable, which `reconstruct` needs and which lets
    `remove_ids` find ids without scanning every cell."""
    import faiss

    hashtable = faiss.DirectMap.Hashtable  # type: ignore[attr-defined]
    if ivf.direct_map.type != hashtable:
        ivf.set_direct_map_type(hashtable)


def _tune(
    ivf: Any, queries: np.ndarray, own: np.ndarray, truth: np.ndarray, policy: IndexPolicy, last: bool
) -> tuple[int, float]:
    """(nprobe, recall@10): the smallest nprobe (from the one that scans `min_candidates`) whose
    recall reaches the target; else, within the scan limit (all cells for the `last` encoding),
    the smallest within 0.005 of the best seen."""
    nlist = int(ivf.nlist)
    least = min(nlist, math.ceil(policy.min_candidates * nlist / max(1, int(ivf.ntotal))))
    limit = nlist if last else max(least, int(policy.max_scan * nlist))
    seen: list[tuple[int, float]] = []
    for nprobe in _probe_steps(least, limit):
        ivf.nprobe = nprobe
        _, found = ivf.search(queries, RECALL_AT + 1)
        seen.append((nprobe, _recall(found, own, truth)))
        if seen[-1][1] >= policy.target_recall:
            return seen[-1]
        if not last and len(seen) >= 3 and seen[-1][1] - seen[-3][1] < 0.002:
            break  # a lossy encoding's ceiling: scanning more cells gains nothing
    best = max(recall for _, recall in seen)
    return next((nprobe, recall) for nprobe, recall in seen if recall >= best - 0.005)


def _probe_steps(first: int, limit: int) -> list[int]:
    """nprobe values to try, from `first` growing by about half each step (1, 2, 3, 4, 6, 9,
    13, ...), then `limit`."""
    steps, step = [], first
    while step < limit:
        steps.append(step)
        step += max(1, step // 2)
    return [*steps, limit]


def _recall(found: np.ndarray, own: np.ndarray, truth: np.ndarray) -> float:
    """Mean recall@10 of approximate results `found` (own ids left out) against `truth`."""
    hits = total = 0
    for row, key, exact in zip(found, own, truth):
        wanted = set(exact[exact >= 0].tolist())
        hits += len(wanted & set(_without(key, row).tolist()))
        total += len(wanted)
    return hits / total if total else 1.0
