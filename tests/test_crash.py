"""Indexing that survives anything: kill -9 or SIGTERM at random moments, a crash at each step of
a write, a second writer, a full or read-only disk, and readers searching while a writer works.

The kill and concurrency tests run the real CLI (`python -m vidsearch.cli index`) in a
subprocess with the tiny random-weight CLIP (`--clip-model tiny-clip.json --clip-checkpoint`)
and only the visual modality, so no speech or OCR model is loaded.

What a resumed run promises is the same content and the same search results as an uninterrupted
run, not the same ids: ids come from SQLite's AUTOINCREMENT and are never reused (a FAISS id
always names the same keyframe or span, or nothing), so the rows an interrupted run wrote and the
next run dropped have used up their ids, and the redone videos get new ones.
"""

from __future__ import annotations

import errno
import logging
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import search.db
from indexer.types import IndexedVideo, Keyframe, Modality, Segment, VideoInfo
from search import VideoSearch
from search.doctor import check
from search.errors import IndexLocked, IndexWriteError
from search.store import Store
from search.types import ModelRecord
from search.vectors import VectorIndex
from tests.conftest import TINY_CLIP
from tests.media import Shot, shots_video
from vidsearch.cli import LOCKED, main
from vidsearch.settings import Settings

pytestmark = pytest.mark.slow  # children killed at random moments: minutes in all

log = logging.getLogger(__name__)
log.setLevel(logging.INFO)  # the trials' log, whatever level `main()` gives the root logger
ROOT = Path(__file__).resolve().parent.parent
COLOURS = ("red", "blue", "green", "yellow", "magenta", "cyan", "white", "orange")
QUERIES = ("red", "a blue square", "green and yellow", "white grid")
SAVING_EVERY_2 = (
    "import runpy, vidsearch.library as library; library.SAVE_EVERY = 2; "
    "runpy.run_module('vidsearch.cli', run_name='__main__', alter_sys=True)"
)
"""The same CLI, saving every 2 videos instead of 20, so that kills also land between saves."""


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Six short videos (2.5-5.5 s), two or three shots each, all of different colours."""
    folder = tmp_path_factory.mktemp("library")
    for n in range(6):
        shots = [Shot(COLOURS[(n + i) % 8], 1.0 + 0.5 * ((n + i) % 3)) for i in range(2 + n % 2)]
        shots_video(folder / f"v{n}.mp4", shots, audio=False)
    return folder


def index_args(paths: list[Path], index: Path, checkpoint: Path) -> list[str]:
    return [
        "index",
        *map(str, paths),
        "--index",
        str(index),
        "--modalities",
        "visual",
        "--clip-model",
        str(TINY_CLIP),
        "--clip-checkpoint",
        str(checkpoint),
    ]


def spawn(args: list[str], saving_every_2: bool = False) -> subprocess.Popen[bytes]:
    """The CLI in its own process (environment inherited: offline)."""
    start = ["-c", SAVING_EVERY_2] if saving_every_2 else ["-m", "vidsearch.cli"]
    return subprocess.Popen(
        [sys.executable, *start, *args], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


def clip_settings(checkpoint: Path) -> Settings:
    return Settings(clip_model=str(TINY_CLIP), clip_checkpoint=checkpoint, modalities=("visual",))


def ids(index: Path) -> list[tuple[str, list[int], list[int]]]:
    """Per video its segment and keyframe ids: what a resumed run need not reproduce."""
    with Store.open(index) as store:
        found = []
        for video in store.videos():
            segments = store.segments(video)
            keyframes = [key for s in segments for key, _ in (store.segment(s.id) or (None, None, []))[2]]
            found.append((str(video.path), [s.id for s in segments], sorted(keyframes)))
        return found


def snapshot(index: Path) -> dict[str, Any]:
    """What the index holds, without ids: per video its segments and keyframe times; vector count."""
    with Store.open(index) as store:
        videos = {}
        for video in store.videos():
            segments = store.segments(video)
            times = []
            for segment in segments:
                found = store.segment(segment.id)
                assert found is not None
                times += [round(t, 6) for _, t in found[2]]
            videos[str(video.path)] = ([(round(s.start, 6), round(s.end, 6)) for s in segments], sorted(times))
        vectors = len(VectorIndex.load(index / "visual.faiss", store.models()[Modality.VISUAL].dim))
    return {"videos": videos, "vectors": vectors}


def ranked(index: Path, checkpoint: Path) -> list[list[tuple[Any, ...]]]:
    """Each query's hits as (rank, video, start, end, score to 4 places)."""
    with VideoSearch(index, clip_settings(checkpoint)) as engine:
        return [
            [(n, str(h.video), round(h.start, 3), round(h.end, 3), round(h.score, 4)) for n, h in enumerate(hits)]
            for hits in (engine.search(q, k=8) for q in QUERIES)
        ]


def rows(database: Path) -> tuple[int, int] | None:
    """(videos, complete videos) in an index being written, read-only; None before its tables exist."""
    try:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=1) as connection:
            found = connection.execute("SELECT count(*), coalesce(sum(complete), 0) FROM videos").fetchone()
            return int(found[0]), int(found[1])
    except sqlite3.Error:
        return None


def left_behind(index: Path) -> str:
    """What a killed writer left, in words, for the log of the trial."""
    if not (index / "index.db").exists():
        return "no index.db yet"
    counted = rows(index / "index.db")
    vectors = len(VectorIndex.read(index / "visual.faiss")) if (index / "visual.faiss").exists() else None
    temporary = [p.name for p in index.glob("*.tmp")]
    return f"videos (all, complete) {counted}, visual.faiss vectors {vectors}, temporary files {temporary}"


@dataclass(frozen=True)
class Kill:
    """When a trial signals the writer: `after` an event ("start": the process starts; "row": the
    first video row is in SQLite; "saved": visual.faiss appears), plus `delay` seconds."""

    label: str
    after: str
    delay: float
    saving_every_2: bool = False


def wait_for(event: str, index: Path, process: subprocess.Popen[bytes], limit: float = 60.0) -> float:
    """Poll (every 5 ms) until `event` happens in `index` or the process ends; returns when."""
    began = time.monotonic()
    while process.poll() is None and time.monotonic() - began < limit:
        if event == "start":
            break
        if event == "row" and (rows(index / "index.db") or (0, 0))[0] > 0:
            break
        if event == "saved" and (index / "visual.faiss").exists():
            break
        time.sleep(0.005)
    return time.monotonic()


def measured_run(args: list[str], index: Path) -> dict[str, float]:
    """Run the CLI to the end, noting when (seconds from start) its first row and its first
    vector file appear."""
    began = time.monotonic()
    process = spawn(args)
    first_row = wait_for("row", index, process) - began
    saved = wait_for("saved", index, process) - began
    _, err = process.communicate(timeout=120)
    assert process.returncode == 0, err.decode()
    return {"first_row": first_row, "saved": saved, "end": time.monotonic() - began}


@dataclass(frozen=True)
class Stopped:
    """How a signalled writer ended: its exit status (negative: killed by that signal), seconds
    from the signal to its end, whether the index was consistent right then (before any writer
    recovered it), and the last line it wrote to stderr."""

    status: int
    seconds: float
    consistent: bool
    said: str


def interrupted_runs(
    number: signal.Signals, library: Path, checkpoint: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> list[Stopped]:
    """Index the library with `number` sent to the writer at random moments, then run the same
    command again to the end: each time the index must hold the same content and give the same
    search results as an uninterrupted run (ids may differ: see the module doc)."""
    began = time.monotonic()
    videos = sorted(library.iterdir())
    reference = tmp_path / "reference"
    timeline = measured_run(index_args(videos, reference, checkpoint), reference)
    log.info("uninterrupted run: %s", {k: round(v, 2) for k, v in timeline.items()})
    expected, expected_hits, expected_ids = snapshot(reference), ranked(reference, checkpoint), ids(reference)
    assert len(expected["videos"]) == 6 and expected["vectors"] > 0
    window = max(timeline["saved"] - timeline["first_row"], 0.1)
    rng = random.Random(1121 if number == signal.SIGKILL else 1121 + number)
    trials = [
        Kill("very early", "start", rng.uniform(0.05, 0.5)),
        *(Kill(f"mid-run {n}", "row", rng.uniform(0.0, window), saving_every_2=True) for n in (1, 2, 3)),
        Kill("near the end", "saved", 0.0),
    ]
    stopped, same_ids = [], 0
    for n, trial in enumerate(trials):
        index = tmp_path / f"trial{n}"
        args = index_args(videos, index, checkpoint)
        process = spawn(args, trial.saving_every_2)
        at = wait_for(trial.after, index, process) + trial.delay
        time.sleep(max(0.0, at - time.monotonic()))
        finished = process.poll() is not None
        sent = time.monotonic()
        process.send_signal(number)
        _, err = process.communicate(timeout=60)
        ended = time.monotonic() - sent
        consistent = (index / "index.db").exists() and check(index).ok
        said = err.decode(errors="replace").strip().splitlines()[-1:] or [""]
        stopped.append(Stopped(process.returncode, ended, consistent, said[0][:160]))
        log.info("trial %d (%s, +%.2f s, %s): exit %s after %.2f s, %s; %s%s", n, trial.label, trial.delay,
                 number.name, process.returncode, ended, "consistent" if consistent else "needs recovery",
                 left_behind(index), " (it had finished)" if finished else "")  # fmt: skip
        assert main(args) == 0, capsys.readouterr().err  # the same command again, to the end
        assert snapshot(index) == expected, trial
        assert check(index).ok, check(index).problems
        assert ranked(index, checkpoint) == expected_hits, trial
        same_ids += ids(index) == expected_ids
    log.info("%s test: %d/%d trials gave the uninterrupted index (ids identical in %d) in %.1f s",
             number.name, len(trials), len(trials), same_ids, time.monotonic() - began)  # fmt: skip
    return stopped


def test_kill_9_at_random_moments_then_rerun_gives_the_uninterrupted_index(
    library: Path, tiny_checkpoint: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stopped = interrupted_runs(signal.SIGKILL, library, tiny_checkpoint, tmp_path, capsys)
    assert all(s.status in (-signal.SIGKILL, 0) for s in stopped)


def test_sigterm_at_random_moments_then_rerun_gives_the_uninterrupted_index(
    library: Path, tiny_checkpoint: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """SIGTERM (what `kill`, systemd and container runtimes send): the writer stops between files,
    saving what is done, and exits 143 (128 + 15); sent before the CLI has installed its handler,
    the signal kills it as kill -9 would. Either way the index is then consistent, or made so
    by the next writer, and the rerun gives the uninterrupted index."""
    stopped = interrupted_runs(signal.SIGTERM, library, tiny_checkpoint, tmp_path, capsys)
    assert all(s.seconds < 30 for s in stopped)
    for ended in stopped:
        assert ended.status in (128 + signal.SIGTERM, -signal.SIGTERM, 0), ended
        if ended.status == 128 + signal.SIGTERM:  # it stopped itself: saved, nothing left to recover
            assert ended.consistent, ended


def test_readers_see_only_complete_videos_while_a_writer_indexes(
    library: Path, tiny_checkpoint: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    videos = sorted(library.iterdir())
    index = tmp_path / "index"
    assert main(index_args(videos[:3], index, tiny_checkpoint)) == 0
    seen: list[int] = []
    busy_reads = 0
    with VideoSearch(index, clip_settings(tiny_checkpoint)) as reader:
        writer = spawn(index_args(videos, index, tiny_checkpoint), saving_every_2=True)
        refused = False
        while writer.poll() is None:
            hits = reader.search("red", k=10)
            listed = reader.videos()  # after the search: videos are only ever added here
            assert {h.video for h in hits} <= {v.path for v in listed} and all(h.segment_ids for h in hits)
            busy_reads += bool(reader.store.db.incomplete())
            owned = set(
                reader.store.vectors(Modality.VISUAL, reader.store.models()[Modality.VISUAL].dim).ids().tolist()
            )
            for video in listed:  # listed only once its vectors are saved
                for segment in reader.store.segments(video):
                    found = reader.store.segment(segment.id)
                    assert found is not None and {key for key, _ in found[2]} <= owned
            seen.append(len(listed))
            if not refused and f'"pid": {writer.pid}'.encode() in _lock_file(index):
                refused = _second_writer_is_refused(index, videos, tiny_checkpoint, writer.pid, capsys)
        _, err = writer.communicate(timeout=60)
        assert writer.returncode == 0, err.decode()
        assert refused
        late = [(str(h.video), h.start, h.end) for h in reader.search("red", k=10)]
    assert [(str(h.video), h.start, h.end) for h in _fresh_search(index, tiny_checkpoint)] == late
    assert seen == sorted(seen) and seen[0] == 3 and seen[-1] in (5, 6) and busy_reads > 0
    log.info(
        "reader: %d searches; videos seen %s; %d while rows were incomplete", len(seen), sorted(set(seen)), busy_reads
    )
    assert check(index).ok


def _lock_file(index: Path) -> bytes:
    try:
        return (index / ".lock").read_bytes()
    except OSError:
        return b""


def _second_writer_is_refused(
    index: Path, videos: list[Path], checkpoint: Path, pid: int, capsys: pytest.CaptureFixture[str]
) -> bool:
    """While `pid` writes: a Store writer and the CLI are both refused, naming it."""
    with pytest.raises(IndexLocked, match=rf"being written by another vidsearch \(pid {pid} since \d\d:\d\d:\d\d\)"):
        Store.open(index, create=True)
    capsys.readouterr()
    assert main(index_args(videos, index, checkpoint)) == LOCKED  # EX_TEMPFAIL: a script can retry later
    assert f"(pid {pid} since" in capsys.readouterr().err
    return True


def _fresh_search(index: Path, checkpoint: Path) -> list[Any]:
    with VideoSearch(index, clip_settings(checkpoint)) as engine:
        return engine.search("red", k=10)


# --- the writer lock ------------------------------------------------------------------------


def test_a_second_writer_is_refused_and_readers_go_on(tmp_path: Path) -> None:
    index = tmp_path / "index"
    with Store.open(index, create=True) as writer:
        with pytest.raises(
            IndexLocked, match=rf"index {index} is being written by another vidsearch \(pid {os.getpid()}"
        ):
            Store.open(index, create=True)
        with Store.open(index) as reader:
            assert reader.videos() == [] and not reader.writing
            with pytest.raises(IndexLocked):  # a reader becomes a writer only when the lock is free
                reader.remove(tmp_path / "a.mp4")
        assert writer.writing
    with Store.open(index, create=True) as again:
        assert again.writing


def test_the_lock_dies_with_a_killed_writer(tmp_path: Path) -> None:
    index = tmp_path / "index"
    holder = subprocess.Popen(
        [sys.executable, "-c", f"from search.store import Store; s = Store.open({str(index)!r}, create=True); "
         "print('locked', flush=True); import time; time.sleep(120)"],
        cwd=ROOT, stdout=subprocess.PIPE,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == b"locked"
        with pytest.raises(IndexLocked, match=f"pid {holder.pid} since"):
            Store.open(index, create=True)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
    with Store.open(index, create=True) as store:  # no stale lock after kill -9
        assert store.writing


# --- a crash at each step of a write --------------------------------------------------------

DIM = 8


class Crash(BaseException):
    """Stands for the process dying at that point (no handler runs, nothing more is written)."""


def fake(path: Path, seed: int, n: int = 3, dim: int = DIM) -> IndexedVideo:
    vectors = np.random.default_rng(seed).normal(size=(n, dim)).astype(np.float32)
    segments = tuple(Segment(float(i), float(i + 1)) for i in range(n))
    keyframes = tuple(Keyframe(i, i + 0.5, v / np.linalg.norm(v)) for i, v in enumerate(vectors))
    info = VideoInfo(path, float(n), 25.0, 64, 48, 0, False, "h264")
    return IndexedVideo(info, f"hash{seed}", 100 + seed, 1.0, segments, keyframes, ("visual",))


def crash_on(monkeypatch: pytest.MonkeyPatch, target: object, name: str, after: bool = False) -> None:
    """Make `target.name` crash, before doing anything or (`after`) once it has done its work."""
    real = getattr(target, name)

    def crashing(*args: Any, **kwargs: Any) -> Any:
        if after:
            real(*args, **kwargs)
        raise Crash

    monkeypatch.setattr(target, name, crashing)


def _mark_complete(store: Store, tmp_path: Path, mp: pytest.MonkeyPatch) -> None:
    store.put(fake(tmp_path / "c.mp4", 3))
    crash_on(mp, store.db, "mark_complete")  # vectors renamed into place, rows not yet complete
    store.save()


def _replacing(store: Store, tmp_path: Path, mp: pytest.MonkeyPatch) -> None:
    store.put(fake(tmp_path / "a.mp4", 9, n=2))  # a changed file: old rows replaced, old vectors still on disk
    crash_on(mp, store, "_save_vectors")
    store.save()


def _removing_hidden(store: Store, tmp_path: Path, mp: pytest.MonkeyPatch) -> None:
    crash_on(mp, store, "_save_vectors")  # hidden, vectors not yet saved without it
    store.remove(tmp_path / "a.mp4")


def _removing_saved(store: Store, tmp_path: Path, mp: pytest.MonkeyPatch) -> None:
    crash_on(mp, store.db, "delete_video")  # vectors saved without it, rows not yet deleted
    store.remove(tmp_path / "a.mp4")


def _recovering(store: Store, tmp_path: Path, mp: pytest.MonkeyPatch) -> None:
    store.put(fake(tmp_path / "a.mp4", 9, n=2))
    store.close()  # killed with a replacement pending: the next writer must recover...
    crash_on(mp, Store, "_save_vectors")  # ...and dies itself, rows deleted, vectors not yet saved
    Store.open(store.directory, create=True)


CRASHES: dict[str, tuple[Callable[[Store, Path, pytest.MonkeyPatch], None], list[str]]] = {
    "between the vector file's rename and marking complete": (_mark_complete, ["a.mp4", "b.mp4"]),
    "re-indexing a changed file, before the save": (_replacing, ["b.mp4"]),
    "removing, after hiding the video": (_removing_hidden, ["b.mp4"]),
    "removing, after saving its vectors away": (_removing_saved, ["b.mp4"]),
    "recovering from an earlier crash": (_recovering, ["b.mp4"]),
}


@pytest.mark.parametrize("moment", list(CRASHES))
def test_a_crash_at_any_step_leaves_an_index_the_next_writer_makes_whole(
    moment: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = tmp_path / "index"
    store = Store.open(index, create=True)
    store.record_model(ModelRecord(Modality.VISUAL, "fake:a", DIM, True))
    store.put(fake(tmp_path / "a.mp4", 1))
    store.put(fake(tmp_path / "b.mp4", 2))
    store.save()
    act, survivors = CRASHES[moment]
    with pytest.raises(Crash):
        act(store, tmp_path, monkeypatch)
    store.close()
    monkeypatch.undo()
    with Store.open(index) as reader:  # what searches see meanwhile: never a half-written video
        assert all(len(reader.segments(v)) == 3 for v in reader.videos())
    with Store.open(index, create=True) as store:
        assert [v.path.name for v in store.videos()] == survivors
        assert len(store.vectors(Modality.VISUAL, DIM)) == 3 * len(survivors) == store.counts()[2]
    assert check(index).ok


# --- full and read-only disks ---------------------------------------------------------------


@dataclass(frozen=True)
class HalfIndexed:
    """An index of the first three videos: the arguments to index all six, its hits, and its
    vector file's bytes, to show that a failed write left it exactly as it was."""

    index: Path
    args: list[str]
    hits: Any
    faiss_bytes: bytes
    checkpoint: Path

    def unharmed(self) -> None:
        """The index as it was before the failed write: same file, same answers, nothing half done."""
        assert (self.index / "visual.faiss").read_bytes() == self.faiss_bytes
        assert not list(self.index.glob("*.tmp"))
        assert ranked(self.index, self.checkpoint) == self.hits
        assert len(snapshot(self.index)["videos"]) == 3

    def completes(self) -> bool:
        """Indexing all six again, with the disk working, finishes into a consistent index."""
        return main(self.args) == 0 and len(snapshot(self.index)["videos"]) == 6 and check(self.index).ok


@pytest.fixture
def half_indexed(library: Path, tiny_checkpoint: Path, tmp_path: Path) -> HalfIndexed:
    videos = sorted(library.iterdir())
    index = tmp_path / "index"
    assert main(index_args(videos[:3], index, tiny_checkpoint)) == 0
    args = index_args(videos, index, tiny_checkpoint)
    hits = ranked(index, tiny_checkpoint)
    return HalfIndexed(index, args, hits, (index / "visual.faiss").read_bytes(), tiny_checkpoint)


def test_a_full_disk_while_saving_vectors_leaves_the_old_index(
    half_indexed: HalfIndexed,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import faiss

    index, args = half_indexed.index, half_indexed.args
    real = faiss.PyCallbackIOWriter

    def filling(write: Callable[[bytes], int]) -> Any:
        written = [0]

        def full(chunk: bytes) -> int:  # the first 256 bytes land, then the disk is full
            if written[0] >= 256:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            written[0] += len(chunk)
            return write(chunk)

        return real(full, 128)

    monkeypatch.setattr(faiss, "PyCallbackIOWriter", filling)
    capsys.readouterr()
    assert main(args) == 1
    err = capsys.readouterr().err
    assert f"cannot write index {index}: visual.faiss: the disk is full (No space left on device)" in err
    monkeypatch.undo()
    half_indexed.unharmed()
    assert half_indexed.completes()


def test_a_full_disk_in_sqlite_rolls_back_and_leaves_the_old_index(
    half_indexed: HalfIndexed,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    index = half_indexed.index
    real = search.db._on_connect

    def capped(connection: Any, record: Any) -> None:  # the database may not grow: SQLITE_FULL
        real(connection, record)
        cursor = connection.cursor()
        pages = cursor.execute("PRAGMA page_count").fetchone()[0]
        cursor.execute(f"PRAGMA max_page_count = {pages}")
        cursor.close()

    monkeypatch.setattr(search.db, "_on_connect", capped)
    with pytest.raises(IndexWriteError, match="the disk is full"), Store.open(index, create=True) as store:
        dim = store.models()[Modality.VISUAL].dim
        for n in range(50):  # until a page is needed
            store.put(fake(Path(f"/nowhere/{n}.mp4"), n, n=40, dim=dim))
    capsys.readouterr()
    monkeypatch.undo()
    half_indexed.unharmed()
    assert half_indexed.completes()


def test_a_read_only_database_is_refused_clearly(
    half_indexed: HalfIndexed,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = half_indexed.args
    real = search.db._on_connect

    def read_only(connection: Any, record: Any) -> None:  # SQLite refuses every write: SQLITE_READONLY
        real(connection, record)
        connection.execute("PRAGMA query_only = ON")

    monkeypatch.setattr(search.db, "_on_connect", read_only)
    capsys.readouterr()
    assert main(args) == 1
    assert "cannot write index" in capsys.readouterr().err
    monkeypatch.undo()
    half_indexed.unharmed()


def test_a_read_only_file_system_is_refused_clearly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = os.open

    def read_only(path: Any, flags: int, *args: Any) -> int:
        if str(path).endswith(".lock") and flags & os.O_CREAT:
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
        return real(path, flags, *args)

    monkeypatch.setattr(os, "open", read_only)
    with pytest.raises(IndexWriteError, match=r"\.lock: the file system is read-only \(Read-only file system\)"):
        Store.open(tmp_path / "index", create=True)


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root ignores file permissions")
def test_a_read_only_directory_is_refused_and_still_searchable(
    half_indexed: HalfIndexed, capsys: pytest.CaptureFixture[str]
) -> None:
    index = half_indexed.index
    index.chmod(0o555)
    try:
        with pytest.raises(IndexWriteError, match="permission denied"):
            Store.open(index, create=True)
        assert main(half_indexed.args) == 1 and "cannot write index" in capsys.readouterr().err
        assert ranked(index, half_indexed.checkpoint) == half_indexed.hits
    finally:
        index.chmod(0o755)
