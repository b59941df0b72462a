"""Indexing on Ray (`index --ray`): the same index as local mode, resume, per-file failures, and a
worker that dies under a file. One local Ray instance for the module (ray.init on this machine)."""

from __future__ import annotations

import json
import logging
import os
import socket
import sqlite3
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest

from indexer.pipeline import Models
from search import VideoSearch
from tests.conftest import ROOT, ColourImages, ColourTexts
from tests.fakes import HashedWords, fake_models
from tests.media import Shot, shots_video
from vidsearch.cli import main
from vidsearch.library import index_paths
from vidsearch.settings import Settings

ray = pytest.importorskip("ray", reason="ray is not installed (pip install 'vidsearch[ray]')")
pytestmark = pytest.mark.slow  # a local Ray instance for the module

SENTENCES = ((0.5, 1.5, "The bank raised interest rates"), (2.0, 2.8, "The ships leave the harbour"))
SOUNDS = ((0.2, 1.0, "Applause", 0.8), (1.5, 2.5, "Bark", 0.9))
ALL = Settings(modalities=("visual", "speech", "ocr", "audio"))
TWO_WORKERS = ALL.model_copy(update={"ray_cpus": 1.0})
"""One CPU per worker, so the two-CPU instance runs two actors side by side."""
QUERIES = ("green valley tour", "bank interest rates", "dog barking", "blue lagoon", "red")


@pytest.fixture(scope="module")
def cluster() -> Iterator[None]:
    """A local Ray instance of two CPUs for the whole module; no Ray process outlives it."""
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        logging_level=logging.ERROR,
        runtime_env={"env_vars": {"PYTHONPATH": str(ROOT)}},  # the workers unpickle the fakes in tests/
    )
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four short videos and a file that is not a video."""
    folder = tmp_path_factory.mktemp("library")
    for name, colours in {
        "a.mp4": ("red", "blue"),
        "b.mp4": ("green", "red"),
        "c.mp4": ("blue",),
        "d.mp4": ("green", "blue", "red"),
    }.items():
        shots_video(folder / name, [Shot(colour, 1.5) for colour in colours])
    (folder / "broken.mp4").write_bytes(b"not a video at all")
    return folder


def _models(**given: object) -> Models:
    return fake_models(SENTENCES, SOUNDS, **given)


def _contents(index: Path) -> dict[str, object]:
    """What an index holds and what searching it finds, in terms that do not depend on write order
    (hits of equal score come back in the order their videos were written)."""
    with sqlite3.connect(index / "index.db") as db:
        spans = dict(db.execute("SELECT modality, COUNT(*) FROM spans GROUP BY modality").fetchall())
    with VideoSearch(index, texts=ColourTexts(), sentences=HashedWords()) as engine:  # type: ignore[arg-type]
        stats = engine.stats()
        found = {
            query: sorted(
                (-round(hit.score, 4), hit.video.name, round(hit.start, 3), round(hit.end, 3)) for hit in hits
            )
            for query in QUERIES
            for hits in [engine.search(query, k=5)]
        }
        videos = sorted((v.path.name, v.modalities, len(engine.video(v.id)[1])) for v in engine.videos())
    return {"videos": videos, "segments": stats.segments, "keyframes": stats.keyframes, "spans": spans, "found": found}


def test_ray_indexes_like_local_mode_fails_the_broken_file_alone_and_resumes(
    tmp_path: Path, library: Path, cluster: None
) -> None:
    local = index_paths([library], tmp_path / "local", ALL, models=_models())
    remote = index_paths([library], tmp_path / "ray", TWO_WORKERS, models=_models(), backend="ray")
    assert sorted(remote.indexed) == sorted(local.indexed) and len(remote.indexed) == 4
    assert [(f.path.name, f.error) for f in remote.failed] == [(f.path.name, f.error) for f in local.failed]
    assert [f.path.name for f in remote.failed] == ["broken.mp4"]
    assert remote.video_seconds == pytest.approx(local.video_seconds)
    assert {"decode", "segment"} <= set(remote.stage_seconds) and "ray_connect" in remote.stage_seconds
    assert _contents(tmp_path / "ray") == _contents(tmp_path / "local")
    assert ray.is_initialized(), "a Ray connection the run did not make is left open"

    again = index_paths([library], tmp_path / "ray", ALL, models=_models(), backend="ray")
    assert again.indexed == () and len(again.skipped) == 4 and [f.path.name for f in again.failed] == ["broken.mp4"]
    changed = library / "c.mp4"
    os.utime(changed, (changed.stat().st_atime, changed.stat().st_mtime + 10))
    redo = index_paths([library], tmp_path / "ray", ALL, models=_models(), backend="ray")
    assert redo.indexed == (changed,) and len(redo.skipped) == 3


def test_sound_modalities_are_added_on_the_cluster(tmp_path: Path, library: Path, cluster: None) -> None:
    index = tmp_path / "index"
    first = index_paths([library / "a.mp4"], index, Settings(modalities=("visual",)), models=_models(), backend="ray")
    assert len(first.indexed) == 1
    told: list[str] = []
    later = index_paths(
        [library / "a.mp4"],
        index,
        Settings(modalities=("visual", "speech", "audio")),
        models=_models(),
        on_file=lambda event: told.append(event.outcome),
        backend="ray",
    )
    assert told == ["started", "updated"] and later.failed == ()
    with VideoSearch(index, texts=ColourTexts(), sentences=HashedWords()) as engine:  # type: ignore[arg-type]
        assert engine.search("ships harbour")[0].start == pytest.approx(2.0)
        assert set(engine.videos()[0].modalities) == {"visual", "speech", "audio"}


class DiesOnYellow(ColourImages):
    """A fake image encoder whose process dies (as on a segfault) when it sees a yellow frame."""

    def encode(self, batch: Sequence[np.ndarray]) -> np.ndarray:
        for image in batch:
            red, green, blue = image.reshape(-1, 3).mean(axis=0)
            if red > 150 and green > 150 and blue < 100:
                os._exit(1)
        return super().encode(batch)


def test_a_worker_that_dies_fails_its_file_alone_and_is_replaced(tmp_path: Path, library: Path, cluster: None) -> None:
    folder = tmp_path / "with-a-killer"
    folder.mkdir()
    for name in ("a.mp4", "b.mp4", "c.mp4", "d.mp4"):
        (folder / name).symlink_to(library / name)
    shots_video(folder / "b2-yellow.mp4", [Shot("yellow", 1.5)])
    report = index_paths(
        [folder],
        tmp_path / "index",
        Settings(modalities=("visual",), ray_cpus=1.0),
        models=_models(images=DiesOnYellow()),
        backend="ray",
    )
    assert [f.path.name for f in report.failed] == ["b2-yellow.mp4"]
    assert report.failed[0].error.startswith("its Ray worker died while indexing it (ActorDiedError")
    assert "\n" not in report.failed[0].error and "out of memory" not in report.failed[0].error
    assert sorted(p.name for p in report.indexed) == ["a.mp4", "b.mp4", "c.mp4", "d.mp4"]


def test_cli_index_on_ray_then_resume(
    tmp_path: Path, library: Path, cluster: None, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VIDSEARCH_MODALITIES", "[]")  # segments only: no model to load in the workers
    index = tmp_path / "index"
    code = main(
        ["index", "--ray", str(library / "a.mp4"), str(library / "broken.mp4"), "--index", str(index), "--json"]
    )
    summary = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert code == 1 and summary["indexed"] == [str(library / "a.mp4")]
    assert [(f["path"], f["error"][:25]) for f in summary["failed"]] == [
        (str(library / "broken.mp4"), "not a readable media file")
    ]
    code = main(["index", str(library / "a.mp4"), "--index", str(index), "--ray", "--json"])
    assert code == 0 and json.loads(capsys.readouterr().out)["skipped"] == [str(library / "a.mp4")]


def test_without_ray_installed_the_cli_says_so_in_one_line(
    tmp_path: Path, library: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VIDSEARCH_MODALITIES", "[]")
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray now raises ImportError
    code = main(["index", str(library / "a.mp4"), "--index", str(tmp_path / "index"), "--ray"])
    err = capsys.readouterr().err.strip()
    assert code == 1 and len(err.splitlines()) == 1
    assert err.startswith("vidsearch: error: cannot index on a local Ray instance: the ray package is not installed")
    assert "pip install 'vidsearch[ray]'" in err


def test_the_reason_a_worker_died_is_one_line() -> None:
    from vidsearch.cluster import died

    message = (
        "The actor died unexpectedly before finishing this task.\n\tclass_name: IndexWorker\n\tpid: 1\n"
        "The actor is dead because its worker process has died. Worker exit type: SYSTEM_ERROR Worker exit detail: "
        "Worker unexpectedly exits with a connection error code 2. End of file. Some common causes include: ..."
    )
    assert died(type("Died", (Exception,), {"__str__": lambda self: message})()) == (
        "its Ray worker died while indexing it (Died: Worker unexpectedly exits with a connection error code 2.)"
    )
    oom = "Task was killed due to the node running low on memory.\nMemory on the node was 23.1GB / 24GB"
    assert died(type("Died", (Exception,), {"__str__": lambda self: oom})()).endswith(
        "(Died: out of memory (Task was killed due to the node running low on memory.))"
    )


def test_an_address_where_nothing_answers_fails_fast_in_one_line() -> None:
    from vidsearch.cluster import ClusterUnavailable, _probe

    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    with pytest.raises(
        ClusterUnavailable, match=rf"^cannot index on the Ray cluster at 127.0.0.1:{port}: nothing answers"
    ):
        _probe(f"127.0.0.1:{port}", timeout=2)
    _probe("auto")  # Ray resolves that itself


def test_a_worker_without_a_model_the_index_records_fails_its_files_with_the_reason() -> None:
    from vidsearch.cluster import IndexWorker
    from vidsearch.workers import Failure, Job

    settings = Settings(modalities=("speech",), whisper_model="/no/such/whisper", offline=True)
    worker = IndexWorker(settings, None, ("speech", "sentences"))  # the driver had both models
    for name in ("a.mp4", "b.mp4"):
        outcome, seconds = worker.index(Job(Path(name)))
        assert isinstance(outcome, Failure) and seconds == {}
        assert outcome.error.startswith("its Ray worker cannot load the models: speech model /no/such/whisper")
