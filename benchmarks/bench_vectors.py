"""Vector index at scale, on CPU: the index type `IndexPolicy` picks at 10k, 100k and 1M moments,
against exact search over the same vectors.

- data: synthetic unit vectors (`--dim`, 512 as CLIP ViT-B makes), CLUSTERED as real embeddings
  are, in two levels: `--topics` random unit directions; `--clusters` cluster centres, each its
  topic's direction plus Gaussian noise of the same norm (cosine ~0.7 to the topic); each vector a
  cluster centre (picked with lognormal weights, so cluster sizes vary ~20x) plus Gaussian noise
  of norm 0.5-1.0 (by cluster), re-normalised: same-cluster vectors have cosine ~0.5-0.8,
  same-topic ones ~0.3, unrelated ones ~0. `--uniform` draws uniform unit vectors instead (no
  structure: the worst case for any approximate index). Generated in chunks of 100k;
- queries: `--queries` held-out vectors from the same distribution (not in the index); with
  `--query-noise S`, each plus Gaussian noise of norm S and re-normalised (S=1.5: cosine ~0.55
  to the vector it came from), a rough stand-in for queries far from every stored vector, as a
  CLIP text query is from the image vectors it searches;
- the index: `search.vectors.VectorIndex` with its default policy, filled with all the vectors
  (ids 1..n) then `maintain()`: "build s" is that call (k-means, encoding, nprobe tuning:
  the type exact search needs no build), "save s" the atomic `save()` to a temporary directory
  (the store saves every 20 videos), "load s" reading the file back as a reader does;
  bytes/moment = the file's size / n;
- recall@10: of the batch search of the queries against exact top 10 (`faiss.knn`, inner
  product, over the same float32 vectors); "tuned" is what the build measured on stored
  vectors (self left out), which is what the index knows about itself; recall@200 the same
  for the 200 candidates the visual search takes;
- latency: one query at a time, as the API searches, p50/p95 in ms at k=10 and k=200 (the
  visual search asks for 200); exact (`IndexFlatIP`, the former index) beside it, on
  `--exact-queries` of the queries (it takes ~0.2 s a query at 1M);
- `--grown`: also an IVF built at ~n/3.9 vectors and then given the rest by `add()` without a
  rebuild (the most growth the policy allows before it retrains), to show recall between rebuilds.

It prints figures only; nothing is asserted. Latency depends on what else runs on the machine.

Usage: python benchmarks/bench_vectors.py [--sizes 10000,100000,1000000] [--dim 512]
                                          [--queries 1000] [--exact-queries 100] [--topics 64]
                                          [--clusters 4096] [--uniform] [--grown] [--query-noise 0]
                                          [--seed 0]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from search.vectors import VectorIndex

CHUNK = 100_000
"""Vectors generated (and added) at a time."""


@dataclass(frozen=True)
class Mixture:
    """Where synthetic vectors come from: weighted clusters, or uniform when `centres` is empty."""

    centres: np.ndarray
    weights: np.ndarray
    spread: np.ndarray
    dim: int

    def sample(self, count: int, rng: np.random.Generator) -> np.ndarray:
        """`count` unit float32 vectors, made CHUNK at a time."""
        out = np.empty((count, self.dim), np.float32)
        for start in range(0, count, CHUNK):
            size = min(CHUNK, count - start)
            noise = rng.standard_normal((size, self.dim), dtype=np.float32)
            if len(self.centres):
                picked = rng.choice(len(self.centres), size, p=self.weights)
                noise *= self.spread[picked, None] / np.sqrt(self.dim)
                noise += self.centres[picked]
            out[start : start + size] = unit(noise)
        return out


def unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def mixture(dim: int, topics: int, clusters: int, uniform: bool, rng: np.random.Generator) -> Mixture:
    """Two-level clusters (see the module docstring), or uniform vectors."""
    if uniform:
        return Mixture(np.zeros((0, dim), np.float32), np.zeros(0), np.zeros(0, np.float32), dim)
    directions = unit(rng.standard_normal((topics, dim)))
    parent = rng.integers(topics, size=clusters)
    centres = unit(directions[parent] + rng.standard_normal((clusters, dim)) / np.sqrt(dim))
    weights = rng.lognormal(0.0, 1.0, clusters)
    spread = rng.uniform(0.5, 1.0, clusters).astype(np.float32)
    return Mixture(centres, weights / weights.sum(), spread, dim)


@dataclass(frozen=True)
class Row:
    """One index measured at one size."""

    size: int
    kind: str
    build_s: float
    save_s: float
    load_s: float
    bytes_per: float
    tuned: float | None
    recall: float
    recall200: float
    k10: tuple[float, float]
    k200: tuple[float, float]
    exact200: tuple[float, float]


def latency(search: Callable[[np.ndarray, int], object], queries: np.ndarray, k: int) -> tuple[float, float]:
    """p50 and p95 in ms of one query at a time."""
    taken = []
    for query in queries:
        began = time.perf_counter()
        search(query[None, :], k)
        taken.append(time.perf_counter() - began)
    return float(np.percentile(taken, 50) * 1000), float(np.percentile(taken, 95) * 1000)


def recall_at(found: np.ndarray, truth: np.ndarray) -> float:
    """Mean share of each row of `truth` (the exact top k) that `found` holds."""
    return float(np.mean([len(set(a.tolist()) & set(b.tolist())) / len(b) for a, b in zip(found, truth)]))


def describe(index: VectorIndex) -> str:
    return f"{index.kind}, nprobe {index.nprobe}" if index.approximate else f"{index.kind} (exact)"


def measure(
    index: VectorIndex, vectors: np.ndarray, queries: np.ndarray, truth: np.ndarray, args: argparse.Namespace
) -> Row:
    """Build (maintain), save, load, recall and latency of `index`, which holds `vectors`."""
    began = time.perf_counter()
    index.maintain("bench")
    build = time.perf_counter() - began
    with tempfile.TemporaryDirectory(prefix="bench-vectors-") as directory:
        path = Path(directory) / "visual.faiss"
        began = time.perf_counter()
        index.save(path)
        save = time.perf_counter() - began
        began = time.perf_counter()
        VectorIndex.read(path)
        load = time.perf_counter() - began
        size = path.stat().st_size
    recall = recall_at(index.search(queries, 10)[1], truth[:, :10])
    recall200 = recall_at(index.search(queries, 200)[1], truth)
    exact = faiss.IndexFlatIP(vectors.shape[1])
    exact.add(vectors)
    timed = queries[: args.exact_queries]
    tuned = index.tuning.recall if index.tuning is not None else None
    return Row(
        len(index), describe(index), build, save, load, size / len(index), tuned, recall, recall200,
        latency(index.search, queries, 10), latency(index.search, queries, 200), latency(exact.search, timed, 200),
    )  # fmt: skip


def filled(vectors: np.ndarray, start: int = 0) -> VectorIndex:
    """A default-policy index holding `vectors` (ids start+1 ...), added CHUNK at a time."""
    index = VectorIndex(vectors.shape[1])
    for first in range(0, len(vectors), CHUNK):
        rows = vectors[first : first + CHUNK]
        index.add(np.arange(start + first + 1, start + first + 1 + len(rows), dtype=np.int64), rows)
    return index


def grown(vectors: np.ndarray, queries: np.ndarray, truth: np.ndarray, args: argparse.Namespace) -> Row | None:
    """An IVF built at ~n/3.9 vectors, then given the rest by add() (no rebuild), measured."""
    first = int(len(vectors) / 3.9)
    index = filled(vectors[:first])
    index.maintain("bench")
    if not index.approximate:
        return None
    tuning = index.tuning
    for start in range(first, len(vectors), CHUNK):
        rows = vectors[start : start + CHUNK]
        index.add(np.arange(start + 1, start + 1 + len(rows), dtype=np.int64), rows)
    row = measure(index, vectors, queries, truth, args)  # maintain() must leave it as it is
    kind = f"{describe(index)} (built at {first}, grown)"
    return Row(**{**row.__dict__, "kind": kind, "build_s": tuning.seconds if tuning else 0.0, "tuned": None})


def header(args: argparse.Namespace) -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in _cpuinfo() if line.startswith("model name")), "?")
    gpus = faiss.get_num_gpus() if hasattr(faiss, "get_num_gpus") else 0
    data = "uniform" if args.uniform else f"clustered ({args.topics} topics, {args.clusters} clusters)"
    return (
        f"machine: {len(os.sched_getaffinity(0))} cores ({cpu}), {platform.python_version()}, "
        f"faiss {faiss.__version__} ({faiss.get_compile_options().strip()}), "
        f"{faiss.omp_get_max_threads()} OpenMP threads, GPUs: {gpus} (search on CPU), "
        f"load average {os.getloadavg()[0]:.1f}\n"
        f"data: {args.dim}-d {data} unit vectors; {args.queries} held-out queries"
        f"{f' plus noise of norm {args.query_noise}' if args.query_noise else ''} "
        f"({args.exact_queries} for the exact latency)"
    )


def _cpuinfo() -> list[str]:
    try:
        return Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return []


HEADER = (
    f"{'moments':>9} {'index':<46} {'build s':>7} {'save s':>6} {'load s':>6} {'B/moment':>8} {'recall@10':>9} "
    f"{'(tuned)':>7} {'recall@200':>10} {'k=10 p50/p95 ms':>16} {'k=200 p50/p95 ms':>17} {'exact k=200 p50/p95':>20}"
)


def line(row: Row) -> str:
    tuned = f"{row.tuned:.3f}" if row.tuned is not None else "-"
    return (
        f"{row.size:>9} {row.kind:<46} {row.build_s:>7.1f} {row.save_s:>6.2f} {row.load_s:>6.2f} "
        f"{row.bytes_per:>8.0f} {row.recall:>9.3f} {tuned:>7} {row.recall200:>10.3f} "
        f"{_pair(row.k10):>16} {_pair(row.k200):>17} {_pair(row.exact200):>20}"
    )


def _pair(values: tuple[float, float]) -> str:
    return f"{values[0]:.2f} / {values[1]:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000", help="comma-separated numbers of moments")
    parser.add_argument("--dim", type=int, default=512)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--exact-queries", type=int, default=100)
    parser.add_argument("--topics", type=int, default=64)
    parser.add_argument("--clusters", type=int, default=4096)
    parser.add_argument("--uniform", action="store_true", help="uniform random unit vectors (worst case)")
    parser.add_argument("--grown", action="store_true", help="also an IVF built at n/3.9 and grown by adds")
    parser.add_argument("--query-noise", type=float, default=0.0, help="norm of noise added to each query")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(header(args))
    print(HEADER, flush=True)
    rng = np.random.default_rng(args.seed)
    source = mixture(args.dim, args.topics, args.clusters, args.uniform, rng)
    queries = source.sample(args.queries, np.random.default_rng(args.seed + 1))
    if args.query_noise:
        noise = np.random.default_rng(args.seed + 3).standard_normal(queries.shape, dtype=np.float32)
        queries = unit(queries + args.query_noise * noise / np.sqrt(args.dim))
    for size in (int(s) for s in args.sizes.split(",")):
        vectors = source.sample(size, np.random.default_rng(args.seed + 2))
        truth = faiss.knn(queries, vectors, 200, metric=faiss.METRIC_INNER_PRODUCT)[1] + 1
        print(line(measure(filled(vectors), vectors, queries, truth, args)), flush=True)
        extra = grown(vectors, queries, truth, args) if args.grown else None
        if extra is not None:
            print(line(extra), flush=True)


if __name__ == "__main__":
    main()
