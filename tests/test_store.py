"""The SQLite + FAISS store: round trip, replacement, removal, crash leftovers, model identity."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from indexer.types import IndexedVideo, Keyframe, Modality, Segment, VideoInfo
from search.errors import IndexDamaged, IndexNotFound, IndexWriteError, ModelMismatch, VectorFileMissing
from search.store import Store
from search.types import ModelRecord

DIM = 8


def indexed(path: Path, vectors: np.ndarray, size: int = 100) -> IndexedVideo:
    segments = tuple(Segment(float(i), float(i + 1)) for i in range(len(vectors)))
    keyframes = tuple(Keyframe(i, i + 0.5, v) for i, v in enumerate(vectors))
    info = VideoInfo(path, float(len(vectors)), 25.0, 64, 48, 0, False, "h264")
    return IndexedVideo(info, "hash", size, 1.0, segments, keyframes)


def unit(seed: int, n: int = 3) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=(n, DIM)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store.open(tmp_path / "index", create=True)
    s.record_model(ModelRecord(Modality.VISUAL, "fake:a", DIM, True))
    return s


def test_vectors_round_trip_with_sqlite_ids(store: Store, tmp_path: Path) -> None:
    vectors = unit(1)
    store.put(indexed(tmp_path / "a.mp4", vectors))
    store.save()
    store.close()
    with Store.open(tmp_path / "index") as again:
        index = again.vectors(Modality.VISUAL, DIM)
        scores, ids = index.search(vectors[1:2], 1)
        keyframe = again.keyframes([int(ids[0, 0])])[int(ids[0, 0])]
        assert scores[0, 0] == pytest.approx(1.0, abs=1e-5)
        assert keyframe.time == 1.5 and keyframe.segment.start == 1.0
        assert keyframe.video.path == tmp_path / "a.mp4"


def test_reindexing_replaces_rows_and_vectors(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "a.mp4"
    store.put(indexed(path, unit(1)))
    store.save()
    store.put(indexed(path, unit(2, n=2), size=200))
    store.save()
    assert len(store.vectors(Modality.VISUAL, DIM)) == 2
    assert store.counts() == (1, 2, 2)
    assert store.current(path, 200, 1.0) is not None and store.current(path, 100, 1.0) is None


def test_remove_drops_rows_and_vectors(store: Store, tmp_path: Path) -> None:
    store.put(indexed(tmp_path / "a.mp4", unit(1)))
    store.put(indexed(tmp_path / "b.mp4", unit(2)))
    store.save()
    assert store.remove(tmp_path / "a.mp4")
    assert not store.remove(tmp_path / "a.mp4")
    assert [v.path.name for v in store.videos()] == ["b.mp4"]
    assert len(store.vectors(Modality.VISUAL, DIM)) == 3


def test_unsaved_videos_are_invisible_and_dropped_by_the_next_writer(store: Store, tmp_path: Path) -> None:
    store.put(indexed(tmp_path / "a.mp4", unit(1)))
    assert store.videos() == []
    store.close()
    with Store.open(tmp_path / "index", create=True) as again:
        assert again.db.incomplete() == []
        assert again.current(tmp_path / "a.mp4", 100, 1.0) is None


def test_another_model_cannot_write_into_an_index(store: Store, tmp_path: Path) -> None:
    store.put(indexed(tmp_path / "a.mp4", unit(1)))
    store.save()
    with pytest.raises(ModelMismatch, match="fake:a"):
        store.record_model(ModelRecord(Modality.VISUAL, "fake:b", DIM, True))


def test_opening_a_missing_index_says_so(tmp_path: Path) -> None:
    with pytest.raises(IndexNotFound, match="vidsearch index"):
        Store.open(tmp_path / "nothing")


def test_vector_files_are_replaced_atomically(store: Store, tmp_path: Path) -> None:
    store.put(indexed(tmp_path / "a.mp4", unit(1)))
    store.save()
    names = sorted(p.name for p in (tmp_path / "index").iterdir())
    assert "visual.faiss" in names and not any(n.endswith(".tmp") for n in names)


def test_a_reader_opens_index_db_read_only_and_becomes_a_writer_only_to_write(store: Store, tmp_path: Path) -> None:
    store.put(indexed(tmp_path / "a.mp4", unit(1)))
    store.put(indexed(tmp_path / "b.mp4", unit(2)))
    store.save()
    store.close()
    database = tmp_path / "index" / "index.db"
    before = database.read_bytes()
    with Store.open(tmp_path / "index") as reader:
        assert reader.db.readonly and not reader.writing and len(reader.videos()) == 2
        with pytest.raises(IndexWriteError, match="read-only"):
            reader.db.set_meta("note", "x")  # its connections cannot write
        assert database.read_bytes() == before
        assert reader.remove(tmp_path / "a.mp4")  # a change makes it the writer, reading and writing
        assert reader.writing and not reader.db.readonly and [v.path.name for v in reader.videos()] == ["b.mp4"]


def test_a_missing_vector_file_whose_rows_exist_is_named_not_taken_for_empty(store: Store, tmp_path: Path) -> None:
    store.put(indexed(tmp_path / "a.mp4", unit(1)))
    store.save()
    store.close()
    path = tmp_path / "index" / "visual.faiss"
    path.unlink()
    message = (
        f"{path} is missing: 3 keyframes of the index have their vectors there; "
        f"`vidsearch doctor --index {path.parent} --repair` rebuilds it"
    )
    with Store.open(tmp_path / "index") as reader, pytest.raises(VectorFileMissing) as missing:
        reader.vectors(Modality.VISUAL, DIM)
    assert str(missing.value) == message and missing.value.rows == 3
    with pytest.raises(VectorFileMissing):  # an indexer would otherwise start a file without them
        Store.open(tmp_path / "index", create=True)
    with Store.open(tmp_path / "index", write=True) as writer:  # removing needs none of its vectors
        assert writer.remove(tmp_path / "a.mp4") and not path.exists()
    with Store.open(tmp_path / "index", create=True) as again:  # nothing owns vectors now: empty is right
        assert len(again.vectors(Modality.VISUAL, DIM)) == 0


def test_a_damaged_index_db_is_named_with_what_to_do(store: Store, tmp_path: Path) -> None:
    store.close()
    database = tmp_path / "index" / "index.db"
    with database.open("r+b") as handle:
        handle.write(b"\xde\xad\xbe\xef" * 2)
    for opening in ({}, {"create": True}, {"write": True}):
        with pytest.raises(IndexDamaged) as damaged:
            Store.open(tmp_path / "index", **opening)
        assert str(damaged.value) == (
            f"index {tmp_path / 'index'} is damaged: index.db is not a SQLite database (its header is damaged): "
            f"file is not a database; `vidsearch doctor --index {tmp_path / 'index'} --repair` keeps a copy of it "
            "and salvages what it can"
        )
