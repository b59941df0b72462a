"""`search.doctor`: each kind of damage is found, repaired as reported, and the index is sound after."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from indexer.types import IndexedVideo, Keyframe, Segment, TextSpan, VideoInfo
from search.doctor import DoctorReport, check
from search.errors import IndexLocked, IndexNotFound
from search.store import TEXT, VISUAL, Store
from search.types import ModelRecord
from search.vectors import VectorIndex

DIM = 8
TEXT_DIM = 4


def unit(seed: int, n: int, dim: int = DIM) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=(n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def video(path: Path, seed: int) -> IndexedVideo:
    """Three 1 s segments with a keyframe each; a spoken sentence and a screen text with vectors."""
    segments = tuple(Segment(float(i), float(i + 1)) for i in range(3))
    keyframes = tuple(Keyframe(i, i + 0.5, v) for i, v in enumerate(unit(seed, 3)))
    spans = (
        TextSpan("speech", 0.2, 1.4, f"the harbour at dawn number {seed}", 0.9),
        TextSpan("ocr", 1.0, 2.0, f"QUARTERLY RESULTS {seed}", 0.95),
    )
    info = VideoInfo(path, 3.0, 25.0, 64, 48, 0, True, "h264")
    return IndexedVideo(
        info, f"hash{seed}", 100, 1.0, segments, keyframes, ("visual", "speech", "ocr"), spans, unit(seed, 2, TEXT_DIM)
    )


@pytest.fixture
def index(tmp_path: Path) -> Path:
    """An index of a.mp4 and b.mp4, saved and closed."""
    with Store.open(tmp_path / "index", create=True) as store:
        store.record_model(ModelRecord(VISUAL, "fake:images", DIM, True))
        store.record_model(ModelRecord(TEXT, "fake:words", TEXT_DIM, True))
        store.put(video(tmp_path / "a.mp4", 1))
        store.put(video(tmp_path / "b.mp4", 2))
        store.save()
    return tmp_path / "index"


def kinds(report: DoctorReport) -> set[str]:
    return {p.kind for p in report.problems}


def videos(index: Path) -> list[str]:
    with Store.open(index) as store:
        return [v.path.name for v in store.videos()]


def test_a_sound_index_has_no_problems_and_a_repair_does_nothing(index: Path) -> None:
    report = check(index)
    assert report.ok and report.problems == () and report.repaired == () and report.notes == ()
    repaired = check(index, repair=True)
    assert repaired.ok and repaired.repaired == ()
    assert repaired.to_json() == {"index": str(index), "ok": True, "problems": [], "repaired": [], "notes": []}


def test_orphan_vectors_are_found_and_dropped(index: Path) -> None:
    stored = VectorIndex.load(index / "visual.faiss", DIM)
    stored.add(np.array([9001, 9002], np.int64), unit(7, 2))
    stored.save(index / "visual.faiss")
    found = check(index)
    assert kinds(found) == {"orphan-vectors"} and "2 vector(s) in visual.faiss" in found.problems[0].detail
    fixed = check(index, repair=True)
    assert fixed.ok and fixed.repaired == ("dropped 2 vector(s) from visual.faiss that no complete video owns",)
    assert len(VectorIndex.load(index / "visual.faiss", DIM)) == 6 and videos(index) == ["a.mp4", "b.mp4"]


def test_videos_missing_vectors_are_deleted_so_they_are_indexed_again(index: Path, tmp_path: Path) -> None:
    with Store.open(index) as store:
        (segment,) = [s for s in store.segments(store.videos()[0]) if s.start == 1.0]
        found = store.segment(segment.id)
        assert found is not None
        keyframe = found[2][0][0]
    stored = VectorIndex.load(index / "visual.faiss", DIM)
    stored.remove(np.array([keyframe], np.int64))
    stored.save(index / "visual.faiss")
    found = check(index)
    assert kinds(found) == {"missing-vectors"}
    assert "1 keyframe(s) have no vector in visual.faiss, of 1 video(s)" in found.problems[0].detail
    fixed = check(index, repair=True)
    assert fixed.ok and len(fixed.repaired) == 1
    assert fixed.repaired[0].startswith(f"deleted {tmp_path / 'a.mp4'}: 1 keyframe(s) had no vector in visual.faiss")
    assert videos(index) == ["b.mp4"] and len(VectorIndex.load(index / "visual.faiss", DIM)) == 3


def test_leftovers_of_a_crash_are_found_and_cleared(index: Path, tmp_path: Path) -> None:
    store = Store.open(index, create=True)
    store.put(video(tmp_path / "c.mp4", 3))
    store.close()  # as if killed before saving
    (index / "speech.faiss.tmp").write_bytes(b"half a file")
    found = check(index)
    assert kinds(found) == {"incomplete-videos", "temp-files"}
    assert str(tmp_path / "c.mp4") in " ".join(p.detail for p in found.problems)
    fixed = check(index, repair=True)
    assert fixed.ok and set(fixed.repaired) == {
        "deleted speech.faiss.tmp (a partly written vector file)",
        f"deleted incomplete video {tmp_path / 'c.mp4'} (left by an interrupted run; indexed again next time)",
    }
    assert not list(index.glob("*.tmp")) and videos(index) == ["a.mp4", "b.mp4"]


def test_a_keyword_index_out_of_step_is_rebuilt(index: Path) -> None:
    with sqlite3.connect(index / "index.db") as connection:
        key, words = connection.execute("SELECT id, text FROM spans WHERE modality = 'ocr' LIMIT 1").fetchone()
        connection.execute("INSERT INTO spans_fts(spans_fts, rowid, text) VALUES ('delete', ?, ?)", (key, words))
    with Store.open(index) as store:
        assert len(store.keyword('"QUARTERLY"', "ocr", 10)) == 1  # one span lost to keyword search
    assert kinds(check(index)) == {"keyword-index"}
    fixed = check(index, repair=True)
    assert fixed.ok and fixed.repaired == ("rebuilt the keyword index from the spans",)
    with Store.open(index) as store:
        assert len(store.keyword('"QUARTERLY"', "ocr", 10)) == 2


@pytest.mark.parametrize("damage", ["truncated", "other dimension"])
def test_a_bad_vector_file_is_set_aside_and_its_videos_deleted(index: Path, damage: str) -> None:
    path = index / "visual.faiss"
    if damage == "truncated":
        path.write_bytes(path.read_bytes()[:40])
    else:
        other = VectorIndex(DIM * 2)
        other.add(np.array([1], np.int64), unit(1, 1, DIM * 2))
        other.save(path)
    found = check(index)
    assert kinds(found) == {"bad-vector-file"} and found.problems[0].detail.startswith("visual.faiss")
    fixed = check(index, repair=True)
    assert fixed.ok
    assert fixed.repaired[0].startswith("renamed visual.faiss, which could not be used, to visual.faiss.bad-")
    assert len(fixed.repaired) == 3 and videos(index) == []
    assert len(list(index.glob("visual.faiss.bad-*"))) == 1 and len(VectorIndex.load(index / "speech.faiss", 4)) == 0


def test_spans_of_an_interrupted_addition_are_invisible_then_dropped(
    index: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Crash(BaseException):
        pass

    def crash(*_args: object, **_kwargs: object) -> None:
        raise Crash

    with Store.open(index, create=True) as store:
        known = store.video(tmp_path / "a.mp4")
        assert known is not None
        heard = (TextSpan("audio", 0.0, 1.0, "Dog barking", 0.8),)
        monkeypatch.setattr(store.db, "set_modalities", crash)
        with pytest.raises(Crash):
            store.extend(known, heard, unit(5, 1, TEXT_DIM), ("audio",), "")
    with Store.open(index) as store:
        assert store.keyword('"barking"', "audio", 5) != []
        assert store.spans([k for k, _ in store.keyword('"barking"', "audio", 5)]) == {}
    assert kinds(check(index)) == {"unlisted-spans", "orphan-vectors"}  # the span's vector was saved
    fixed = check(index, repair=True)
    assert fixed.ok and fixed.repaired == (
        f"deleted 1 span(s) of {tmp_path / 'a.mp4'} whose modality it did not list yet",
        "dropped 1 vector(s) from audio.faiss that no complete video owns",
    )


def test_an_older_schema_is_reported_and_upgraded(index: Path) -> None:
    with sqlite3.connect(index / "index.db") as connection:
        connection.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    found = check(index)
    assert kinds(found) == {"schema"} and found.problems[0].repairable
    fixed = check(index, repair=True)
    assert fixed.ok and fixed.repaired == ("upgraded the schema from version 1 to 3",)


def test_while_a_writer_works_its_progress_is_not_judged_and_repair_is_refused(index: Path, tmp_path: Path) -> None:
    with Store.open(index, create=True) as writer:
        writer.put(video(tmp_path / "c.mp4", 3))  # an incomplete video, as any run has for a while
        report = check(index)
        assert report.ok and "a writer is at work (pid" in report.notes[0]
        with pytest.raises(IndexLocked):
            check(index, repair=True)
        writer.save()
    assert check(index).ok and videos(index) == ["a.mp4", "b.mp4", "c.mp4"]


def test_a_missing_index_is_named(tmp_path: Path) -> None:
    with pytest.raises(IndexNotFound):
        check(tmp_path / "nothing")


def test_a_read_only_index_is_checked_as_far_as_it_can_be(index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import search.db

    real = search.db._on_connect

    def read_only(connection: object, record: object) -> None:
        real(connection, record)
        connection.execute("PRAGMA query_only = ON")  # type: ignore[attr-defined]

    monkeypatch.setattr(search.db, "_on_connect", read_only)
    report = check(index)
    assert report.ok and report.notes == ("keyword index not checked: the index is read-only "
                                          "(attempt to write a readonly database)",)  # fmt: skip
