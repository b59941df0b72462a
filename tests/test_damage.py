"""Damage an index and see every command answer in one line, and `doctor --repair` give back what
the index keeps the makings of: vector files rebuilt from the stored text and from the video
files, a damaged index.db salvaged beside a copy of it, and reading on a full disk.

The index: six short videos of coloured shots, indexed with the fake models of every modality
(pictures by colour, a sentence spoken in each, a caption read by colour, a sound heard), so that
search results can be compared before the damage and after the repair.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import search.db
from indexer.pipeline import Models
from indexer.types import Modality, TextSpan, Word
from search import VideoSearch
from search.doctor import check
from search.errors import IndexDamaged, IndexUnreadable, IndexWriteError, SchemaMismatch, VectorFileError
from search.store import Store
from search.vectors import VectorIndex
from tests.conftest import ColourImages
from tests.fakes import ColourCaptions, HashedWords, ScriptedSounds, fake_engine
from tests.media import Shot, shots_video
from vidsearch.cli import main
from vidsearch.library import index_paths
from vidsearch.settings import Settings

COLOURS = ("red", "blue", "green", "yellow", "magenta", "cyan")
WORDS = ("harbour", "mountain", "orchard", "station", "lighthouse", "market")
QUERIES = ("the harbour at dawn", "a walk to the lighthouse", "red", "GREEN VALLEY TOUR", "applause", "blue")


class Narration:
    """Speaks one sentence per file, a different one each (files are indexed in name order)."""

    name = "fake:narration"

    def __init__(self) -> None:
        self.calls = 0

    def transcribe(self, samples: np.ndarray) -> tuple[list[TextSpan], str]:
        word = WORDS[self.calls % len(WORDS)]
        self.calls += 1
        words = ("the", word, "at", "dawn")
        timed = tuple(Word(0.2 + 0.3 * n, 0.5 + 0.3 * n, w) for n, w in enumerate(words))
        return [TextSpan("speech", 0.2, 1.4, f"the {word} at dawn", 0.9, timed)], "en"


def models() -> Models:
    return Models(
        images=ColourImages(),
        speech=Narration(),
        ocr=ColourCaptions(),
        audio=ScriptedSounds(((0.5, 1.5, "Applause", 0.8),)),
        sentences=HashedWords(),
    )


def build(library: Path, index: Path) -> None:
    report = index_paths([library], index, Settings(modalities=tuple(Modality)), models=models())
    assert report.failed == () and len(report.indexed) == len(list(library.iterdir()))


def engine(index: Path) -> VideoSearch:
    return fake_engine(index)


def results(index: Path) -> list[set[tuple[Any, ...]]]:
    """Each query's hits, as a set (the order of equal scores is not the index's to keep)."""
    with engine(index) as opened:
        return [
            {(str(h.video), round(h.start, 3), round(h.end, 3), round(h.score, 4)) for h in opened.search(q, k=20)}
            for q in QUERIES
        ]


def listed(index: Path) -> list[str]:
    with Store.open(index) as store:
        return [v.path.name for v in store.videos()]


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[set[tuple[Any, ...]]]]:
    """(library, index, its search results), made once; tests damage copies of the index."""
    library = tmp_path_factory.mktemp("damage-library")
    for n, colour in enumerate(COLOURS):
        shots_video(library / f"v{n}.mp4", [Shot(colour, 1.5), Shot(COLOURS[(n + 2) % 6], 1.0)])
    index = tmp_path_factory.mktemp("damage-index") / "index"
    build(library, index)
    return library, index, results(index)


@pytest.fixture
def damaged(pristine: tuple[Path, Path, Any], tmp_path: Path) -> Path:
    """A copy of the pristine index, to damage."""
    copy = tmp_path / "index"
    shutil.copytree(pristine[1], copy)
    return copy


def unchanged_on_reindex(library: Path, index: Path) -> None:
    """`vidsearch index` of the library again finds every file indexed and unchanged."""
    report = index_paths([library], index, Settings(modalities=tuple(Modality)), models=models())
    assert report.indexed == () and len(report.skipped) == len(COLOURS)


def one_line(capsys: pytest.CaptureFixture[str], argv: Sequence[str]) -> str:
    """The CLI's stderr for `argv`, which must fail with exit status 1 and one line."""
    capsys.readouterr()
    assert main(list(argv)) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("vidsearch: error: "), err
    return err


# --- vector files -----------------------------------------------------------------------------


def vectors_of(path: Path) -> dict[int, np.ndarray]:
    stored = VectorIndex.read(path)
    ids = stored.ids().tolist()
    return dict(zip(ids, stored.vectors(ids)))


@pytest.mark.parametrize("kind", ["speech", "ocr", "audio", "visual"])
@pytest.mark.parametrize("damage", ["deleted", "garbled"])
def test_a_lost_vector_file_is_rebuilt_and_no_video_is_deleted(
    pristine: tuple[Path, Path, Any], damaged: Path, kind: str, damage: str, capsys: pytest.CaptureFixture[str]
) -> None:
    library, _, before = pristine
    path = damaged / f"{kind}.faiss"
    original = vectors_of(path)
    if damage == "deleted":
        path.unlink()
    else:
        data = bytearray(path.read_bytes())
        data[12:20] = b"\xde\xad\xbe\xef" * 2  # inside faiss's header: the file no longer reads
        path.write_bytes(bytes(data))
    with engine(damaged) as opened, pytest.raises(VectorFileError) as refused:
        for query in QUERIES:
            opened.search(query, k=20)  # never an answer that silently lacks a modality
    assert str(path) in str(refused.value) and f"vidsearch doctor --index {damaged}" in str(refused.value)
    if damage == "deleted":
        assert str(refused.value).endswith(f"`vidsearch doctor --index {damaged} --repair` rebuilds it")
        writing = one_line(capsys, ["index", str(library), "--index", str(damaged)])
        assert f"{path} is missing" in writing  # an indexer refuses too: it would start an empty file
    fixed = check(damaged, repair=True, sentences=HashedWords(), images=ColourImages())
    assert fixed.ok, fixed.problems
    assert listed(damaged) == [f"v{n}.mp4" for n in range(6)]
    assert not any(line.startswith("deleted") for line in fixed.repaired)
    rebuilt = vectors_of(path)
    assert rebuilt.keys() == original.keys()
    assert all(np.allclose(rebuilt[key], original[key], atol=1e-6) for key in original)  # the same pictures
    assert results(damaged) == before
    unchanged_on_reindex(library, damaged)
    assert check(damaged).ok


@pytest.mark.slow
def test_keyframes_of_a_deleted_video_file_are_reported_and_its_video_kept_unless_asked(
    pristine: tuple[Path, Path, Any], tmp_path: Path
) -> None:
    library = tmp_path / "library"
    shutil.copytree(pristine[0], library)
    index = tmp_path / "index"
    build(library, index)
    (index / "visual.faiss").unlink()
    (library / "v2.mp4").unlink()
    found = check(index)
    assert [p.kind for p in found.problems] == ["missing-vector-file", "gone-videos"]
    assert found.problems[0].detail.startswith("visual.faiss is missing: 10 keyframe(s) of 5 video(s) have no vector")
    assert f"whose file is gone, so they cannot be rebuilt: {library / 'v2.mp4'} (2)" in found.problems[1].detail
    without = check(index, repair=True, sentences=HashedWords())  # no CLIP given
    assert [p.kind for p in without.problems] == ["missing-vector-file", "gone-videos"]
    assert without.problems[0].detail.endswith("not rebuilt: no CLIP model was given") and len(listed(index)) == 6
    kept = check(index, repair=True, images=ColourImages())
    assert kept.repaired == (
        "rebuilt 10 keyframe vector(s) of visual.faiss by decoding the keyframes again from the video files "
        "with the CLIP model fake:colour",
    )
    assert [p.kind for p in kept.problems] == ["gone-videos"] and len(listed(index)) == 6
    forgot = check(index, repair=True, images=ColourImages(), forget_gone=True)
    assert forgot.ok and forgot.repaired == (
        f"deleted {library / 'v2.mp4'}: its file is gone, so its keyframes' vectors cannot be rebuilt",
    )
    assert listed(index) == ["v0.mp4", "v1.mp4", "v3.mp4", "v4.mp4", "v5.mp4"]


# --- a damaged index.db -----------------------------------------------------------------------


def overwrite(path: Path, offset: int, data: bytes = b"\xde\xad\xbe\xef" * 2) -> None:
    with path.open("r+b") as handle:
        handle.seek(offset)
        handle.write(data)


def page_of(index: Path, table: str) -> int:
    """The byte offset of the root page of `table` in index.db."""
    with sqlite3.connect(index / "index.db") as connection:
        root = connection.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0]
        size = connection.execute("PRAGMA page_size").fetchone()[0]
    return (int(root) - 1) * int(size)


@pytest.mark.parametrize("where", ["the header's first bytes", "the header's page size"])
def test_a_damaged_header_is_one_line_everywhere_and_repaired_whole(
    pristine: tuple[Path, Path, Any], damaged: Path, where: str, capsys: pytest.CaptureFixture[str]
) -> None:
    library, _, before = pristine
    overwrite(damaged / "index.db", 0 if "first" in where else 16)
    with pytest.raises(IndexDamaged, match=r"index\.db is not a SQLite database \(its header is damaged\)"):
        Store.open(damaged)
    for argv in (["stats"], ["search", "red"], ["index", str(library)], ["remove", str(library / "v0.mp4")]):
        err = one_line(capsys, [*argv, "--index", str(damaged)])
        assert f"index {damaged} is damaged: index.db is not a SQLite database" in err
        assert f"`vidsearch doctor --index {damaged} --repair` keeps a copy of it and salvages what it can" in err
    found = check(damaged)
    assert [p.kind for p in found.problems] == ["database"] and found.problems[0].repairable
    capsys.readouterr()
    assert main(["doctor", "--index", str(damaged), "--repair"]) == 0  # the CLI as it is: no model needed here
    out = capsys.readouterr().out
    assert "repaired  index.db was damaged (is not a SQLite database (its header is damaged)" in out
    assert "repaired  rebuilt index.db's header (its first 100 bytes were unreadable)" in out
    assert "SQLite read every row" in out and "rows lost" not in out
    (kept,) = damaged.glob("index.db.damaged-*")
    assert kept.read_bytes()[:24] != (damaged / "index.db").read_bytes()[:24]  # the damaged file, as it was
    assert results(damaged) == before and check(damaged).ok
    unchanged_on_reindex(library, damaged)


@pytest.mark.parametrize(
    ("table", "where"), [("spans", "page header"), ("spans", "cell pointers"), ("videos", "cell pointers")]
)
def test_a_damaged_page_is_salvaged_around_and_its_videos_indexed_again(
    pristine: tuple[Path, Path, Any], damaged: Path, table: str, where: str
) -> None:
    """8 bytes of a table's page: its header (every read of it fails), or its first cell pointers
    (SQLite reads on without noticing and misses rows: only an integrity check sees it). A video
    whose own row is lost gets it back from the index on paths: no file is forgotten."""
    library, _, before = pristine
    overwrite(damaged / "index.db", page_of(damaged, table) + (0 if where == "page header" else 8))
    if where == "page header":
        with pytest.raises(IndexDamaged) as refused, engine(damaged) as opened:
            opened.search("the harbour at dawn", k=5)
        assert str(refused.value).startswith(f"index {damaged} is damaged: index.db is malformed (a page of it is")
        assert "\n" not in str(refused.value)  # what the CLI, the page and the API show: one line
    found = check(damaged)
    assert [p.kind for p in found.problems] == ["database"]
    fixed = check(damaged, repair=True, sentences=HashedWords(), images=ColourImages())
    assert (
        fixed.repaired[0].startswith("index.db was damaged (") and "kept it as index.db.damaged-" in fixed.repaired[0]
    )
    assert any("read row by row around the damage" in line for line in fixed.repaired)
    assert [p.kind for p in fixed.problems] == ["stale-videos"] and not fixed.problems[0].repairable
    stale = fixed.problems[0].detail
    assert f"`vidsearch index --update --index {damaged}` indexes them again" in stale
    assert [p.detail for p in check(damaged).problems] == [stale]  # until they are indexed again
    assert listed(damaged) == [f"v{n}.mp4" for n in range(6)]  # no file forgotten
    again = index_paths([library], damaged, Settings(modalities=tuple(Modality)), models=models())
    marked = int(stale.split(" video(s)")[0])
    assert again.failed == () and len(again.indexed) == marked and marked >= 1
    assert results(damaged) == before and check(damaged).ok


def test_videos_lost_with_their_path_index_are_named_as_lost_and_indexed_again(
    pristine: tuple[Path, Path, Any], damaged: Path
) -> None:
    library, _, before = pristine
    overwrite(damaged / "index.db", page_of(damaged, "videos") + 8)
    overwrite(damaged / "index.db", page_of(damaged, "sqlite_autoindex_videos_1"))  # the paths' own index too
    fixed = check(damaged, repair=True, sentences=HashedWords(), images=ColourImages())
    assert [p.kind for p in fixed.problems][-1] == "lost-videos" and not fixed.problems[-1].repairable
    lost = fixed.problems[-1].detail
    assert "video(s) could not be read from the damaged index.db and are no longer in the index" in lost
    assert f"index their folders again (`vidsearch index FOLDER... --index {damaged}`" in lost
    count = int(lost.split(" video(s)")[0])
    assert len(listed(damaged)) == 6 - count and count >= 1
    again = index_paths([library], damaged, Settings(modalities=tuple(Modality)), models=models())
    assert again.failed == () and len(again.indexed) >= count
    assert results(damaged) == before and check(damaged).ok


def test_damage_beyond_salvage_leaves_the_file_and_says_what_to_do(damaged: Path) -> None:
    database = damaged / "index.db"
    overwrite(database, 100, bytes(4096 - 100))  # the table of tables, on page 1: nothing can be found
    untouched = database.read_bytes()
    fixed = check(damaged, repair=True)
    assert [p.kind for p in fixed.problems] == ["database"] and not fixed.problems[0].repairable
    assert "damaged beyond salvage" in fixed.problems[0].detail and "--index NEWDIR" in fixed.problems[0].detail
    assert database.read_bytes() == untouched and not list(damaged.glob("index.db.*"))


def test_schema_version_tells_no_version_from_no_reading(tmp_path: Path) -> None:
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    with sqlite3.connect(foreign / "index.db") as connection:
        connection.execute("CREATE TABLE notes (text)")
    with pytest.raises(SchemaMismatch, match="schema version none"):
        Store.open(foreign)
    (foreign / "index.db").write_bytes(b"\x00" * 8192)
    with pytest.raises(IndexDamaged):
        Store.open(foreign)


# --- a full disk ------------------------------------------------------------------------------


def test_a_full_disk_does_not_stop_reading(
    pristine: tuple[Path, Path, Any], damaged: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """SQLite cannot make index.db-shm (what a full disk does): readers read index.db alone."""
    real_probe, real_connect = search.db._probe, search.db._on_connect

    def full(connection: sqlite3.Connection) -> None:
        if not isinstance(connection, search.db.Immutable):
            raise sqlite3.OperationalError("disk I/O error")
        real_probe(connection)

    def writing(connection: sqlite3.Connection, record: Any) -> None:
        if not isinstance(connection, search.db.ReadOnly):
            raise sqlite3.OperationalError("disk I/O error")
        real_connect(connection, record)

    monkeypatch.setattr(search.db, "_probe", full)
    monkeypatch.setattr(search.db, "_on_connect", writing)
    assert results(damaged) == pristine[2]
    report = check(damaged)
    assert report.ok and report.notes[0] == "index.db read read-only: disk I/O error (disk I/O error)"
    with pytest.raises(IndexWriteError, match=r"cannot write index .*: disk I/O error"):
        check(damaged, repair=True)
    capsys.readouterr()
    assert main(["stats", "--index", str(damaged)]) == 0
    (damaged / "index.db-wal").write_bytes(b"\x01" * 64)  # changes SQLite could not read without index.db-shm
    with pytest.raises(IndexUnreadable, match=r"index\.db-wal holds changes, which SQLite cannot read without it"):
        Store.open(damaged).videos()


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 16 MB tmpfs (needs the right to mount: root on Linux; skipped elsewhere)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount)], capture_output=True)
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {made.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_really_full_disk(
    pristine: tuple[Path, Path, Any], small_disk: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index = small_disk / "index"
    shutil.copytree(pristine[1], index)
    filler = os.open(small_disk / "filler", os.O_WRONLY | os.O_CREAT)
    try:
        for size in (65536, 1):  # fill the disk to the last byte
            with contextlib.suppress(OSError):
                while True:
                    os.write(filler, b"\0" * size)
    finally:
        os.close(filler)
    assert shutil.disk_usage(small_disk).free == 0
    assert results(index) == pristine[2]  # searching needs no free space
    assert check(index).ok
    capsys.readouterr()
    assert main(["stats", "--index", str(index)]) == 0
    with pytest.raises(IndexWriteError, match=r"the disk is full|is the disk full"):
        Store.open(index, create=True)
    err = one_line(capsys, ["doctor", "--index", str(index), "--repair"])
    assert f"cannot write index {index}: " in err and "disk" in err
