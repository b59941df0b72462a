"""The vector index follows the library's size: exact while small, an IVF past the policy's
threshold (tuned to recall@10 >= the target against exact search), adds and removes without a
rebuild, retrained after ~4x growth, exact again when it shrinks; files of the old flat format
still load. Tiny thresholds and 32-d clustered vectors keep it fast."""

from __future__ import annotations

import logging
from pathlib import Path

import faiss
import numpy as np
import pytest

import search.vectors
from search.errors import IndexWriteError
from search.vectors import IndexPolicy, VectorIndex

DIM = 32
POLICY = IndexPolicy(approximate_from=1500, exact_below=800, tuning_queries=200)


def clustered(count: int, seed: int, clusters: int = 40) -> np.ndarray:
    """Unit vectors around `clusters` random unit centres (the same centres for every seed)."""
    centres = np.random.default_rng(12345).normal(size=(clusters, DIM))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    rng = np.random.default_rng(seed)
    rows = centres[rng.integers(clusters, size=count)] + 0.6 * rng.normal(size=(count, DIM)) / np.sqrt(DIM)
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def filled(count: int, policy: IndexPolicy = POLICY, seed: int = 1) -> tuple[VectorIndex, np.ndarray, np.ndarray]:
    vectors = clustered(count, seed)
    ids = np.arange(1000, 1000 + count, dtype=np.int64)
    index = VectorIndex(DIM, policy=policy)
    index.add(ids, vectors)
    return index, ids, vectors


def exact_top(queries: np.ndarray, ids: np.ndarray, vectors: np.ndarray, k: int = 10) -> np.ndarray:
    order = np.argsort(-(queries @ vectors.T), axis=1)[:, :k]
    return ids[order]


def recall(found: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean([len(set(a.tolist()) & set(b.tolist())) / truth.shape[1] for a, b in zip(found, truth)]))


def test_below_the_threshold_the_index_stays_exact(tmp_path: Path) -> None:
    index, ids, vectors = filled(1000)
    index.save(tmp_path / "v.faiss")
    assert not index.approximate and index.kind == "Flat" and index.nprobe is None and index.tuning is None
    _, found = index.search(vectors[:5], 1)
    assert found[:, 0].tolist() == ids[:5].tolist()


def test_crossing_the_threshold_switches_to_a_tuned_ivf_that_finds_the_neighbours(tmp_path: Path) -> None:
    index, ids, vectors = filled(2000)
    assert not index.approximate  # adding alone never rebuilds: save does
    index.save(tmp_path / "v.faiss")
    assert index.approximate and index.kind.startswith("IVF") and index.kind.endswith(",SQ8")
    assert index.tuning is not None and index.tuning.recall >= 0.95 and index.nprobe == index.tuning.nprobe
    assert index.tuning.queries == 200 and len(index) == 2000
    assert sorted(index.ids().tolist()) == ids.tolist()
    queries = clustered(100, seed=99)  # held out: not in the index
    assert recall(index.search(queries, 10)[1], exact_top(queries, ids, vectors)) >= 0.95
    assert np.allclose(index.vectors(ids[:20].tolist()), vectors[:20], atol=0.02)  # SQ8: decoded codes


def test_adds_and_removes_after_the_switch_need_no_rebuild(tmp_path: Path) -> None:
    index, ids, vectors = filled(2000)
    index.save(tmp_path / "v.faiss")
    built, kind = index.tuning, index.kind
    extra = clustered(300, seed=2)
    extra_ids = np.arange(5000, 5300, dtype=np.int64)
    index.add(extra_ids, extra)
    gone = np.concatenate([ids[:150], extra_ids[:50]])
    assert index.remove(np.concatenate([gone, [424242]])) == 200  # an unknown id is skipped
    assert index.maintain() is None and index.kind == kind
    index.save(tmp_path / "v.faiss")
    assert index.tuning is built and index.kind == kind and len(index) == 2100
    kept = np.concatenate([ids[150:], extra_ids[50:]])
    assert sorted(index.ids().tolist()) == sorted(kept.tolist())
    assert not index.vectors(gone.tolist()).any()
    _, found = index.search(np.concatenate([vectors[:150], extra[:50]]), 50)
    assert not set(found.ravel().tolist()) & set(gone.tolist())
    _, found = index.search(extra[50:60], 1)
    assert found[:, 0].tolist() == extra_ids[50:60].tolist()
    everything = np.concatenate([vectors[150:], extra[50:]])
    queries = clustered(100, seed=98)
    assert recall(index.search(queries, 10)[1], exact_top(queries, kept, everything)) >= 0.95


def test_save_and_load_keep_the_type_nprobe_and_results(tmp_path: Path) -> None:
    index, ids, _ = filled(2000)
    path = tmp_path / "v.faiss"
    index.save(path)
    again = VectorIndex.load(path, DIM, POLICY)
    assert again.approximate and again.kind == index.kind and again.nprobe == index.nprobe
    assert again.tuning is None  # the measured recall was logged, not stored
    queries = clustered(20, seed=97)
    assert np.array_equal(again.search(queries, 10)[1], index.search(queries, 10)[1])
    assert np.array_equal(np.sort(again.ids()), np.sort(index.ids()))
    assert np.array_equal(again.vectors(ids[:5].tolist()), index.vectors(ids[:5].tolist()))
    assert again.remove(ids[:3]) == 3 and again.maintain() is None and len(again) == 1997


def test_growth_of_4x_retrains_and_shrinking_goes_back_to_exact(tmp_path: Path) -> None:
    index, ids, vectors = filled(2000)
    path = tmp_path / "v.faiss"
    index.save(path)
    first = index.kind
    more, more_ids = clustered(1000, seed=3), np.arange(10_000, 11_000, dtype=np.int64)
    index.add(more_ids, more)
    index.save(path)
    assert index.kind == first  # 1.5x: added to the trained cells
    bulk, bulk_ids = clustered(5000, seed=4), np.arange(20_000, 25_000, dtype=np.int64)
    index.add(bulk_ids, bulk)
    index.save(path)
    assert index.kind != first and index.approximate and index.tuning is not None and index.tuning.recall >= 0.95
    assert VectorIndex.load(path, DIM, POLICY).kind == index.kind
    all_ids = np.concatenate([ids, more_ids, bulk_ids])
    index.remove(all_ids[700:])
    index.save(path)
    assert not index.approximate and len(index) == 700
    assert sorted(index.ids().tolist()) == all_ids[:700].tolist()
    stored = index.vectors(all_ids[:700].tolist())
    cosines = np.sum(stored * vectors[:700], axis=1) / np.linalg.norm(stored, axis=1)
    assert cosines.min() > 0.999  # SQ8-decoded (twice: two IVF builds), so close, not equal
    queries = clustered(20, seed=96)
    assert np.array_equal(index.search(queries, 10)[1], exact_top(queries, all_ids[:700], stored))
    assert not VectorIndex.load(path, DIM, POLICY).approximate


def test_an_old_flat_file_loads_and_converts_when_saved_past_the_threshold(tmp_path: Path) -> None:
    vectors = clustered(1600, seed=5)
    ids = np.arange(7, 7 + 1600, dtype=np.int64)
    old = faiss.IndexIDMap2(faiss.IndexFlatIP(DIM))
    old.add_with_ids(vectors, ids)
    path = tmp_path / "visual.faiss"
    faiss.write_index(old, str(path))
    index = VectorIndex.load(path, DIM, POLICY)
    assert not index.approximate and len(index) == 1600 and index.ids().tolist() == ids.tolist()
    assert np.array_equal(index.vectors([7, 8, 3]), np.vstack([vectors[:2], np.zeros((1, DIM), np.float32)]))
    assert index.search(vectors[10:11], 1)[1][0, 0] == 17
    index.save(path)
    assert VectorIndex.load(path, DIM, POLICY).approximate


def test_a_lossy_encoding_short_of_the_floor_gives_way_to_the_next() -> None:
    strict = IndexPolicy(
        approximate_from=1500, exact_below=800, tuning_queries=100, target_recall=1.0, floor_recall=1.0
    )
    index, ids, vectors = filled(2000, strict)
    tuning = index.maintain()
    assert tuning is not None and tuning.encoding == "SQfp16" and index.kind.endswith(",SQfp16")
    assert np.allclose(index.vectors(ids[:10].tolist()), vectors[:10], atol=1e-3)
    flat = IndexPolicy(approximate_from=1500, exact_below=800, tuning_queries=100, encodings=("Flat",))
    index, ids, vectors = filled(2000, flat)
    index.maintain()
    assert index.kind.endswith(",Flat") and np.array_equal(index.vectors(ids[:10].tolist()), vectors[:10])


def test_a_failed_rebuild_is_logged_and_the_index_still_saved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def fails(*_: object) -> None:
        raise RuntimeError("Error in faiss: out of memory")

    monkeypatch.setattr(search.vectors, "_approximate", fails)
    index, _, _ = filled(2000)
    with caplog.at_level(logging.WARNING, logger="search.vectors"):
        index.save(tmp_path / "v.faiss")
    assert "cannot rebuild v.faiss for its size" in caplog.text
    assert len(VectorIndex.load(tmp_path / "v.faiss", DIM, POLICY)) == 2000


def test_a_failed_write_of_an_ivf_still_raises_index_write_error(tmp_path: Path) -> None:
    index, _, _ = filled(2000)
    with pytest.raises(IndexWriteError):
        index.save(tmp_path / "missing" / "v.faiss")
    assert index.approximate  # it was rebuilt in memory; the next save writes it


def test_the_policy_refuses_contradictory_thresholds() -> None:
    with pytest.raises(ValueError, match="exact_below"):
        IndexPolicy(approximate_from=100, exact_below=200)
    with pytest.raises(ValueError, match="unknown encodings"):
        IndexPolicy(encodings=("PQ",))
