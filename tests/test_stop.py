"""A run asked to stop (Ctrl-C, SIGTERM from `timeout`, systemd or a container) keeps what it
finished: no new file is started, the one at work lets go, what is done is saved and visible."""

from __future__ import annotations

import errno
import json
import logging
import math
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from indexer.pipeline import Models
from search.store import Store
from tests.fakes import HashedWords
from tests.streams import HeardTones, Tone, mux, picture, tones_wav
from vidsearch import library
from vidsearch.library import index_paths
from vidsearch.settings import Settings

pytestmark = pytest.mark.slow  # signals to running indexers and child commands

ROOT = Path(__file__).resolve().parent.parent
SPEECH = Settings(modalities=("speech",))


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("clip")
    sound = tones_wav(folder / "t.wav", 2.0, [Tone(0.5, 700)])
    return mux(folder / "clip.mp4", [*picture(2), "-i", str(sound)], "-c:a", "aac")


def library_of(folder: Path, clip: Path, count: int) -> list[Path]:
    folder.mkdir(exist_ok=True)
    paths = [folder / f"v{n:02d}.mp4" for n in range(count)]
    for path in paths:
        shutil.copy(clip, path)
    return paths


class SignalledOnCall(HeardTones):
    """Hears tones, and sends this process `number` when asked to transcribe for the `at`-th time."""

    def __init__(self, at: int, number: int) -> None:
        super().__init__()
        self.at, self.number = at, number

    def transcribe(self, samples: np.ndarray):  # type: ignore[no-untyped-def]
        if self.calls + 1 == self.at:
            os.kill(os.getpid(), self.number)
        return super().transcribe(samples)


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_the_run_between_files_and_keeps_what_was_done(tmp_path: Path, clip: Path, number: int) -> None:
    paths = library_of(tmp_path / "videos", clip, 6)
    before = signal.getsignal(number)
    speech = SignalledOnCall(3, number)
    report = index_paths(
        [tmp_path / "videos"], tmp_path / "index", SPEECH, models=Models(speech=speech, sentences=HashedWords())
    )
    assert report.stopped_by == number
    assert report.indexed == tuple(paths[:2]) and report.interrupted == (paths[2],) and report.failed == ()
    assert signal.getsignal(number) == before, "the handler is given back"
    with Store.open(tmp_path / "index") as store:
        assert [v.path for v in store.videos()] == paths[:2], "saved and visible"
    again = index_paths(
        [tmp_path / "videos"], tmp_path / "index", SPEECH, models=Models(speech=HeardTones(), sentences=HashedWords())
    )
    assert again.skipped == tuple(paths[:2]) and again.indexed == tuple(paths[2:]) and again.stopped_by is None


def test_what_is_indexed_is_saved_within_seconds_not_only_every_twenty_files(
    tmp_path: Path, clip: Path, monkeypatch
) -> None:
    monkeypatch.setattr(library, "SAVE_SECONDS", 0.0)
    monkeypatch.setattr(library, "SAVE_SHARE", math.inf)  # however long saving took
    paths = library_of(tmp_path / "videos", clip, 3)
    seen: list[int] = []

    def look(event: library.FileEvent) -> None:
        if event.outcome == "started" and (tmp_path / "index" / "index.db").exists():
            with Store.open(tmp_path / "index") as reader:
                seen.append(len(reader.videos()))

    index_paths(
        paths, tmp_path / "index", SPEECH, models=Models(speech=HeardTones(), sentences=HashedWords()), on_file=look
    )
    assert seen == [0, 1, 2], "each video visible before the next one starts"


def test_sigterm_to_the_command_saves_and_exits_143(tmp_path: Path, clip: Path) -> None:
    paths = library_of(tmp_path / "videos", clip, 40)
    command = [
        sys.executable,
        "-m",
        "vidsearch.cli",
        "index",
        str(tmp_path / "videos"),
        "--index",
        str(tmp_path / "index"),
    ]
    child = subprocess.Popen([*command, "--modalities", "none"], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    first = child.stdout.readline()
    assert first.startswith("indexed "), first
    child.send_signal(signal.SIGTERM)
    rest, _ = child.communicate(timeout=120)
    assert child.returncode == 128 + signal.SIGTERM, rest
    done = sum(line.startswith("indexed ") for line in [first, *rest.splitlines()])
    assert "stopped: what was indexed is saved" in rest and 1 <= done < len(paths)
    with Store.open(tmp_path / "index") as store:
        assert len(store.videos()) == done
    again = subprocess.run(
        [*command, "--modalities", "none", "--json"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    summary = json.loads(again.stdout.splitlines()[-1])
    assert again.returncode == 0 and len(summary["indexed"]) + len(summary["skipped"]) == len(paths)
    assert len(summary["skipped"]) == done


def test_a_log_that_cannot_be_written_is_one_line_and_the_run_goes_on(
    tmp_path: Path, clip: Path, monkeypatch, capsys, caplog
) -> None:
    """With the disk nearly full, logging's own answer was a traceback per record (135 lines)."""

    def full(self: logging.Handler) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(library._RunLog, "flush", full)
    paths = library_of(tmp_path / "videos", clip, 2)
    report = index_paths(paths, tmp_path / "index", SPEECH, models=Models(speech=HeardTones(), sentences=HashedWords()))
    assert report.indexed == tuple(paths)
    assert "Logging error" not in capsys.readouterr().err
    warned = [r.getMessage() for r in caplog.records if "going on without it" in r.getMessage()]
    assert len(warned) == 1 and "the disk is full" in warned[0]
