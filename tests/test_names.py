"""Names are bytes: any file name the operating system accepts is indexed, stored, shown (escaped
where it cannot be printed) and served back byte for byte; a failure while storing one file fails
that file alone."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from indexer.files import is_text, printable
from indexer.pipeline import Models
from search import VideoSearch
from search.db import Database, read_path, stored_path
from tests.fakes import HashedWords
from tests.streams import HeardTones, Tone, mux, picture, tones_wav
from vidsearch.api import ApiOptions, create_app
from vidsearch.library import index_paths
from vidsearch.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SPEECH = Settings(modalities=("speech",))
NAMES = [
    b"\xff\xfe.mp4",  # not UTF-8 at all
    b"caf\xe9.mp4",  # Latin-1, from an old archive
    "emoji 🎬.mp4".encode(),
    b"new\nline.mp4",
    b'it\'s "quoted".mp4',
    b"-starts-with-a-dash.mp4",
    b"back\\slash and tab\t.mp4",
]


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("clip")
    sound = tones_wav(folder / "t.wav", 3.0, [Tone(1.0, 700)])
    return mux(folder / "clip.mp4", [*picture(3), "-i", str(sound)], "-c:a", "aac")


@pytest.fixture
def oddly_named(tmp_path: Path, clip: Path) -> Path:
    folder = tmp_path / "archive"
    folder.mkdir()
    for name in NAMES:
        shutil.copy(clip, os.fsdecode(os.fsencode(folder) + b"/" + name))
    return folder


def paths(folder: Path) -> list[Path]:
    return sorted(folder / os.fsdecode(name) for name in NAMES)


def run_cli(*args: str | Path) -> subprocess.CompletedProcess[bytes]:
    """The real command in a child process, its output through real pipes (UTF-8, strict)."""
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    command = [sys.executable, "-m", "vidsearch.cli", *(os.fsencode(a) if isinstance(a, Path) else a for a in args)]
    return subprocess.run(command, capture_output=True, cwd=ROOT, env=env, timeout=300)


@pytest.mark.slow
def test_a_folder_of_odd_names_is_indexed_and_the_json_summary_always_printed(
    oddly_named: Path, tmp_path: Path
) -> None:
    index = tmp_path / "index"
    done = run_cli("index", oddly_named, "--index", index, "--json", "--modalities", "none")
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    summary = json.loads(done.stdout.decode("utf-8").splitlines()[-1])
    assert sorted(summary["indexed"]) == sorted(str(p) if is_text(p) else printable(p) for p in paths(oddly_named))
    assert summary["failed"] == []
    again = run_cli("index", oddly_named, "--index", index, "--json", "--modalities", "none")
    assert again.returncode == 0 and len(json.loads(again.stdout.decode())["skipped"]) == len(NAMES)


@pytest.mark.slow
def test_a_failed_file_with_an_odd_name_is_one_line_on_stderr(tmp_path: Path) -> None:
    folder = tmp_path / "archive"
    folder.mkdir()
    broken = Path(os.fsdecode(os.fsencode(folder) + b"/broken\xe9\n.mp4"))
    broken.write_bytes(b"not a video")
    done = run_cli("index", folder, "--index", tmp_path / "index", "--json", "--modalities", "none")
    assert done.returncode == 1
    (line,) = done.stderr.decode("utf-8").splitlines()
    assert line.startswith("vidsearch: ") and "/broken\\xe9\\n.mp4: not a readable media file" in line


@pytest.mark.slow
def test_human_output_prints_one_line_per_file_whatever_its_name(oddly_named: Path, tmp_path: Path) -> None:
    done = run_cli("index", oddly_named, "--index", tmp_path / "index", "--modalities", "none")
    assert done.returncode == 0
    lines = done.stdout.decode("utf-8").splitlines()
    assert len([line for line in lines if line.startswith("indexed ")]) == len(NAMES)
    assert any(line.endswith("/new\\nline.mp4") for line in lines)
    assert any(line.endswith("/\\xff\\xfe.mp4") for line in lines)
    assert any(line.endswith("/back\\\\slash and tab\\t.mp4") for line in lines), "a backslash is doubled"
    info = run_cli("info", oddly_named / os.fsdecode(b"caf\xe9.mp4"), "--index", tmp_path / "index", "--json")
    shown = json.loads(info.stdout.decode("utf-8"))
    assert shown["video"].endswith("caf\\xe9.mp4")
    assert base64.b64decode(shown["video_bytes"]) == os.fsencode(oddly_named) + b"/caf\xe9.mp4"


def test_every_name_is_stored_and_given_back_byte_for_byte(oddly_named: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    report = index_paths([oddly_named], index, SPEECH, models=Models(speech=HeardTones(), sentences=HashedWords()))
    assert sorted(report.indexed) == paths(oddly_named) and report.failed == ()
    with VideoSearch(index, SPEECH, sentences=HashedWords()) as engine:
        hits = engine.search("tone 700 hertz", k=len(NAMES))
        assert sorted(h.video for h in hits) == paths(oddly_named)
        for hit in hits:
            shown = hit.to_json()
            exact = base64.b64decode(shown["video_bytes"]) if "video_bytes" in shown else shown["video"].encode()
            assert exact == os.fsencode(hit.video)
            json.dumps(shown).encode("utf-8")  # always valid JSON text
        client = TestClient(create_app(engine, ApiOptions()))
        for video in client.get("/videos").json()["videos"]:
            stream = client.get(f"/videos/{video['id']}/stream")
            assert stream.status_code == 200 and stream.content == Path(engine.video(video["id"])[0].path).read_bytes()
        gone = oddly_named / os.fsdecode(b"\xff\xfe.mp4")
        gone.unlink()
        (hit,) = [h for h in hits if h.video == gone]
        answer = client.get(f"/segments/{hit.segment_ids[0]}/thumbnail")
        assert answer.status_code == 410 and "\\xff\\xfe.mp4: the file is gone" in answer.json()["error"]


@pytest.mark.slow
def test_removing_and_reindexing_odd_names_works(oddly_named: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    run_cli("index", oddly_named, "--index", index, "--modalities", "none")
    target = oddly_named / os.fsdecode(b"\xff\xfe.mp4")
    removed = run_cli("remove", target, "--index", index, "--json")
    assert removed.returncode == 0 and json.loads(removed.stdout.decode())["removed"] == [printable(target)]
    again = run_cli("index", oddly_named, "--index", index, "--json", "--modalities", "none")
    assert json.loads(again.stdout.decode())["indexed"] == [printable(target)]


@pytest.mark.parametrize("name", NAMES)
def test_stored_paths_read_back_as_they_were(name: bytes) -> None:
    path = Path(os.fsdecode(b"/media/archive/" + name))
    assert read_path(stored_path(path)) == path
    assert os.fsencode(read_path(stored_path(path))) == b"/media/archive/" + name


def test_names_that_are_text_are_stored_as_before() -> None:
    """Indexes made before names were bytes keep working: a UTF-8 path is stored as its text."""
    assert stored_path(Path("/videos/émigré 🎬.mp4")) == "/videos/émigré 🎬.mp4"


def test_a_failure_while_storing_one_file_fails_that_file_alone(tmp_path: Path, clip: Path, monkeypatch) -> None:
    good, bad = tmp_path / "a.mp4", tmp_path / "b.mp4"
    shutil.copy(clip, good)
    shutil.copy(clip, bad)
    add_video = Database.add_video

    def flaky(self: Database, indexed):  # type: ignore[no-untyped-def]
        if indexed.info.path == bad:
            raise RuntimeError("a bug while storing\nsecond line")
        return add_video(self, indexed)

    monkeypatch.setattr(Database, "add_video", flaky)
    models = Models(speech=HeardTones(), sentences=HashedWords())
    report = index_paths([good, bad], tmp_path / "index", SPEECH, models=models)
    assert report.indexed == (good,)
    assert [(f.path, f.error) for f in report.failed] == [(bad, "unexpected RuntimeError: a bug while storing")]
    monkeypatch.setattr(Database, "add_video", add_video)
    again = index_paths([good, bad], tmp_path / "index", SPEECH, models=models)
    assert again.indexed == (bad,) and again.skipped == (good,)
    with VideoSearch(tmp_path / "index", SPEECH, sentences=HashedWords()) as engine:
        assert sorted(h.video for h in engine.search("tone 700 hertz")) == [good, bad]
