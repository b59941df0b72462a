"""`search.doctor`: each kind of damage is found, repaired as reported, and the index is sound after.
A repair rebuilds what the index keeps the makings of (vectors from the stored text) and deletes
nothing it could rebuild. (Keyframes decoded again from real videos, and a damaged index.db:
tests/test_damage.py.)"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from indexer.types import IndexedVideo, Keyframe, Modality, Segment, Space, TextSpan, VideoInfo
from search.doctor import DoctorReport, check
from search.errors import IndexLocked, IndexNotFound, VectorFileMissing
from search.store import Store
from search.types import ModelRecord
from search.vectors import VectorIndex

DIM = 8
TEXT_DIM = 4


def unit(seed: int, n: int, dim: int = DIM) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=(n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


class Words:
    """The fake sentence model the index was made with: a text's vector comes from its hash."""

    name = "fake:words"
    dim = TEXT_DIM

    def __init__(self) -> None:
        self.texts = 0

    def encode(self, batch: Sequence[str]) -> np.ndarray:
        self.texts += len(batch)
        return np.concatenate([unit(int(hashlib.md5(t.encode()).hexdigest()[:8], 16), 1, TEXT_DIM) for t in batch])


def video(path: Path, seed: int) -> IndexedVideo:
    """Three 1 s segments with a keyframe each; a spoken sentence and a screen text with vectors."""
    segments = tuple(Segment(float(i), float(i + 1)) for i in range(3))
    keyframes = tuple(Keyframe(i, i + 0.5, v) for i, v in enumerate(unit(seed, 3)))
    spans = (
        TextSpan("speech", 0.2, 1.4, f"the harbour at dawn number {seed}", 0.9),
        TextSpan("ocr", 1.0, 2.0, f"QUARTERLY RESULTS {seed}", 0.95),
    )
    info = VideoInfo(path, 3.0, 25.0, 64, 48, 0, True, "h264")
    vectors = Words().encode([s.text for s in spans])
    return IndexedVideo(info, f"hash{seed}", 100, 1.0, segments, keyframes, ("visual", "speech", "ocr"), spans, vectors)


@pytest.fixture
def index(tmp_path: Path) -> Path:
    """An index of a.mp4 and b.mp4, saved and closed."""
    with Store.open(tmp_path / "index", create=True) as store:
        store.record_model(ModelRecord(Modality.VISUAL, "fake:images", DIM, True))
        store.record_model(ModelRecord(Space.SENTENCE, "fake:words", TEXT_DIM, True))
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


def test_keyframe_vectors_of_a_gone_video_are_reported_and_forgotten_only_when_asked(
    index: Path, tmp_path: Path
) -> None:
    with Store.open(index) as store:
        (segment,) = [s for s in store.segments(store.videos()[0]) if s.start == 1.0]
        found = store.segment(segment.id)
        assert found is not None
        keyframe = found[2][0][0]
    stored = VectorIndex.load(index / "visual.faiss", DIM)
    stored.remove(np.array([keyframe], np.int64))
    stored.save(index / "visual.faiss")
    found = check(index)  # a.mp4 does not exist: its keyframe cannot be decoded again
    assert kinds(found) == {"gone-videos"} and not found.problems[0].repairable
    assert found.problems[0].detail.startswith("1 keyframe(s) without a vector belong to 1 video(s) whose file is gone")
    kept = check(index, repair=True, images=lambda _record: pytest.fail("no video to decode: no model needed"))
    assert kinds(kept) == {"gone-videos"} and kept.repaired == () and videos(index) == ["a.mp4", "b.mp4"]
    forgot = check(index, repair=True, forget_gone=True)
    assert forgot.ok and forgot.repaired == (
        f"deleted {tmp_path / 'a.mp4'}: its file is gone, so its keyframes' vectors cannot be rebuilt",
    )
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


def damage_file(path: Path, damage: str, dim: int) -> None:
    if damage == "truncated":
        path.write_bytes(path.read_bytes()[:40])
    elif damage in ("garbled header", "garbled vector"):  # 8 bytes: faiss's header, or inside the first vector
        data = bytearray(path.read_bytes())
        at = 12 if damage == "garbled header" else 84  # 84: the first vector starts at byte 82
        data[at : at + 8] = b"\xde\xad\xbe\xef" * 2
        path.write_bytes(bytes(data))
    elif damage == "deleted":
        path.unlink()
    else:
        other = VectorIndex(dim * 2)
        other.add(np.array([1], np.int64), unit(1, 1, dim * 2))
        other.save(path)


def vectors_of(path: Path, dim: int) -> dict[int, list[float]]:
    stored = VectorIndex.load(path, dim)
    ids = stored.ids().tolist()
    return {key: row.round(5).tolist() for key, row in zip(ids, stored.vectors(ids))}


@pytest.mark.parametrize("damage", ["deleted", "truncated", "garbled header", "other dimension"])
@pytest.mark.parametrize("kind", ["speech", "ocr"])
def test_a_missing_or_bad_span_vector_file_is_rebuilt_from_the_stored_text(index: Path, kind: str, damage: str) -> None:
    path = index / f"{kind}.faiss"
    before = vectors_of(path, TEXT_DIM)
    damage_file(path, damage, TEXT_DIM)
    found = check(index)
    assert kinds(found) == {"missing-vector-file" if damage == "deleted" else "bad-vector-file"}
    assert found.problems[0].detail.startswith(f"{kind}.faiss")
    assert "--repair rebuilds it from the stored text with the sentence model fake:words" in found.problems[0].detail
    if damage == "deleted":
        with Store.open(index) as store, pytest.raises(VectorFileMissing) as missing:
            store.vectors(kind, TEXT_DIM)  # a search says so, rather than answer without them
        assert str(missing.value) == (
            f"{path} is missing: 2 {kind} spans of the index have their vectors there; "
            f"`vidsearch doctor --index {index} --repair` rebuilds it"
        )
    unaided = check(index, repair=True)  # no sentence model: nothing is lost, nothing rebuilt
    assert kinds(unaided) == {"missing-vector-file"} and videos(index) == ["a.mp4", "b.mp4"]
    assert unaided.problems[0].detail.endswith("; not rebuilt: no sentence model was given")
    words = Words()
    fixed = check(index, repair=True, sentences=words)
    assert fixed.ok, fixed.problems
    assert fixed.repaired == (
        f"rebuilt 2 {kind} span vector(s) of {kind}.faiss from the stored text with the sentence model fake:words",
    )
    assert words.texts == 2 and videos(index) == ["a.mp4", "b.mp4"] and vectors_of(path, TEXT_DIM) == before
    kept = list(index.glob(f"{kind}.faiss.bad-*"))
    assert len(kept) == (0 if damage == "deleted" else 1)  # the damaged file is kept, never deleted
    assert check(index).ok


def test_garbled_vectors_that_faiss_reads_without_complaint_are_recomputed(index: Path) -> None:
    path = index / "ocr.faiss"
    before = vectors_of(path, TEXT_DIM)
    damage_file(path, "garbled vector", TEXT_DIM)
    found = check(index)
    assert [p.detail for p in found.problems] == [
        "1 vector(s) in ocr.faiss are garbled (not of unit length); "
        "--repair recomputes them from the stored text with the sentence model fake:words"
    ]
    fixed = check(index, repair=True, sentences=Words())
    assert fixed.ok and fixed.repaired == (
        "dropped 1 garbled vector(s) from ocr.faiss, to compute them again",
        "recomputed 1 ocr span vector(s) of ocr.faiss from the stored text with the sentence model fake:words",
    )
    assert vectors_of(path, TEXT_DIM) == before


def test_a_bad_visual_file_is_set_aside_and_its_videos_kept(index: Path) -> None:
    damage_file(index / "visual.faiss", "truncated", DIM)
    found = check(index)
    assert kinds(found) == {"bad-vector-file"} and found.problems[0].detail.startswith("visual.faiss cannot be read")
    fixed = check(index, repair=True)  # the videos' files are gone (fake paths): nothing to decode
    assert fixed.repaired[0].startswith("renamed visual.faiss, which could not be used (cannot be read")
    assert len(fixed.repaired) == 1 and kinds(fixed) == {"gone-videos"} and videos(index) == ["a.mp4", "b.mp4"]
    assert len(list(index.glob("visual.faiss.bad-*"))) == 1 and not (index / "visual.faiss").exists()
    assert len(VectorIndex.load(index / "speech.faiss", TEXT_DIM)) == 2


def test_models_are_made_only_when_a_rebuild_needs_them_and_must_be_the_index_s(index: Path) -> None:
    made: list[str] = []

    def loader(record: ModelRecord) -> Words:
        made.append(record.model)
        return Words()

    assert check(index, repair=True, sentences=loader).ok and made == []  # nothing to rebuild
    (index / "speech.faiss").unlink()
    (index / "ocr.faiss").unlink()
    assert check(index, repair=True, sentences=loader).ok and made == ["fake:words"]  # made once for both
    (index / "speech.faiss").unlink()

    def broken(_record: ModelRecord) -> Words:
        raise OSError("no weights here")

    failed = check(index, repair=True, sentences=broken)
    assert [p.detail.split("; not rebuilt: ")[1] for p in failed.problems] == [
        "the sentence model fake:words could not be loaded (no weights here)"
    ]

    class Other(Words):
        name = "fake:other"

    refused = check(index, repair=True, sentences=Other())
    assert refused.problems[0].detail.endswith(
        "not rebuilt: the sentence model given is fake:other (4-d), not the index's fake:words (4-d)"
    )
    assert videos(index) == ["a.mp4", "b.mp4"] and not (index / "speech.faiss").exists()


def test_an_interrupted_rebuild_resumes_where_it_stopped(
    index: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import search.doctor

    with Store.open(index, create=True) as store:
        for n in range(3, 9):
            store.put(video(tmp_path / f"{n}.mp4", n))
        store.save()
    before = vectors_of(index / "speech.faiss", TEXT_DIM)
    (index / "speech.faiss").unlink()
    monkeypatch.setattr(search.doctor, "TEXT_BATCH", 3)
    monkeypatch.setattr(search.doctor, "CHECKPOINT_SECONDS", 0.0)

    class Dies(Words):
        def encode(self, batch: Sequence[str]) -> np.ndarray:
            if self.texts >= 3:
                raise KeyboardInterrupt  # the user stops the repair
            return super().encode(batch)

    with pytest.raises(KeyboardInterrupt):
        check(index, repair=True, sentences=Dies())
    assert not (index / "speech.faiss").exists() and len(VectorIndex.read(index / "speech.rebuilding.faiss")) == 3
    assert "speech.rebuilding.faiss: an interrupted rebuild of speech.faiss; --repair resumes it" in check(index).notes
    words = Words()
    fixed = check(index, repair=True, sentences=words)
    assert fixed.ok and words.texts == 5 and vectors_of(index / "speech.faiss", TEXT_DIM) == before
    assert not (index / "speech.rebuilding.faiss").exists()


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
    assert fixed.ok and fixed.repaired == ("upgraded the schema from version 1 to 4",)


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
