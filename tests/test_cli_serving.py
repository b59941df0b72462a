"""`vidsearch search` with a server running on the index, several queries in one process, and
`vidsearch info`'s segment ids and texts.

The server is a stand-in (http.server in a thread) that answers /ready and /search as the API
does; it is announced on a temporary index the way `vidsearch serve` and the page announce
themselves (`vidsearch.serving.announce`).
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from indexer.pipeline import Models
from indexer.types import Modality
from tests.fakes import ColourCaptions, HashedWords, ScriptedSpeech
from vidsearch.cli import main
from vidsearch.serving import FOLDER, Served, announce, find_server
from vidsearch.settings import Settings

HIT = {
    "video": "/videos/harbour.mp4",
    "start": 8.0,
    "end": 12.4,
    "score": 0.93,
    "matched": {
        "speech": {
            "score": 0.79,
            "time": 8.22,
            "frame": 8.22,
            "start": 8.22,
            "end": 10.86,
            "text": "Welcome to the harbor, where the boats come in.",
            "matched_words": ["harbor"],
            "confidence": 0.88,
        },
        "ocr": {
            "score": 0.91,
            "time": 8.0,
            "frame": 10.2,
            "start": 8.0,
            "end": 12.4,
            "text": "WELCOME TO THE HARBOUR",
            "matched_words": [],
        },
    },
    "segment_id": 3,
    "video_id": 1,
}
"""A hit as the API sends it: `Hit.to_json()` and the media URLs it adds."""
URLS = {"stream_url": "/videos/1/stream?expires=1&signature=ab", "thumbnail_url": "/segments/3/thumbnail"}


@dataclass
class FakeApi:
    """What the stand-in server was asked, and how it answers."""

    url: str = ""
    token: str | None = None
    asked: list[tuple[str, dict[str, list[str]], str]] = field(default_factory=list)
    search_status: int = 200
    ready_status: int = 200


def _handler(api: FakeApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlsplit(self.path)
            query = parse_qs(url.query)
            api.asked.append((url.path, query, self.headers.get("Authorization", "")))
            if api.token and self.headers.get("Authorization") != f"Bearer {api.token}":
                self._answer(401, {"error": "a bearer token is required"})
            elif url.path == "/ready":
                self._answer(api.ready_status, {"state": "ready" if api.ready_status == 200 else "loading"})
            elif url.path == "/search" and api.search_status != 200:
                self._answer(api.search_status, {"error": "the index changed under the server"})
            elif url.path == "/search":
                hits = [{**HIT, **URLS}][: int(query["k"][0])]
                self._answer(200, {"query": query["q"][0], "hits": hits if query["q"][0] != "nothing" else []})
            else:
                self._answer(404, {"error": "not found"})

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def api() -> Iterator[FakeApi]:
    answers = FakeApi()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(answers))
    answers.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield answers
    server.shutdown()
    server.server_close()


def cli(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def _searches(api: FakeApi) -> list[str]:
    return [query["q"][0] for path, query, _ in api.asked if path == "/search"]


def test_a_running_server_answers_the_search_and_says_so_once(tmp_path: Path, api: FakeApi, capsys) -> None:
    with announce(tmp_path, api.url, None):
        code, out, err = cli(capsys, "search", "the harbour", "boats", "--index", tmp_path, "-k", "3")
    assert code == 0, err
    assert err == f"vidsearch: using the server at {api.url} (pid {os.getpid()}); --local to load models here\n"
    assert _searches(api) == ["the harbour", "boats"]
    assert out.startswith("== the harbour\n/videos/harbour.mp4  00:08–00:12  0.930  segment 3\n")
    assert "    speech 0.790 at 00:08  “Welcome to the harbor, where the boats come in.”  [harbor]" in out
    assert "    ocr    0.910 at 00:08  “WELCOME TO THE HARBOUR”" in out
    assert "\n\n== boats\n" in out


def test_served_json_is_what_the_local_search_prints(tmp_path: Path, api: FakeApi, capsys) -> None:
    api.token = "s3cret"
    folder = tmp_path / "videos"
    with announce(tmp_path, api.url + "/", "s3cret"):
        code, out, _ = cli(capsys, "search", "harbour", "nothing", "--index", tmp_path, "--json", "--folder", folder)
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and [line["query"] for line in lines] == ["harbour", "nothing"]
    assert lines[0]["hits"] == [HIT] and lines[1]["hits"] == []  # the API's URL keys are not part of the CLI's
    path, query, authorization = api.asked[-1]
    assert (
        path == "/search"
        and authorization == "Bearer s3cret"
        and query["folder"] == [str(folder)]
        and query["k"] == ["10"]
    )
    assert set(query["modalities"][0].split(",")) == set(Modality)


def test_local_and_model_options_never_ask_the_server(tmp_path: Path, api: FakeApi, capsys) -> None:
    with announce(tmp_path, api.url, None):
        for chosen in (["--local"], ["--fusion", "rrf"], ["--device", "cpu"]):
            code, _, err = cli(capsys, "search", "harbour", "--index", tmp_path, *chosen)
            assert code == 1 and "no index at" in err and "using the server" not in err
    assert api.asked == []


def test_a_stale_announcement_of_a_dead_process_is_ignored_and_removed(tmp_path: Path, api: FakeApi, capsys) -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    (tmp_path / FOLDER).mkdir()
    stale = tmp_path / FOLDER / f"{gone.pid}.json"
    stale.write_text(json.dumps({"url": api.url, "token": None, "pid": gone.pid, "host": os.uname().nodename}))
    (tmp_path / FOLDER / "garbage.json").write_text("{not json")
    code, _, err = cli(capsys, "search", "harbour", "--index", tmp_path)
    assert code == 1 and "no index at" in err and "using the server" not in err
    assert api.asked == [] and not stale.exists()


def test_a_server_still_loading_is_not_used(tmp_path: Path, api: FakeApi) -> None:
    api.ready_status = 503
    with announce(tmp_path, api.url, None):
        assert find_server(tmp_path) is None
        api.ready_status = 200
        assert find_server(tmp_path) == Served(api.url, None, os.getpid())


def test_a_failing_server_is_left_for_a_local_search_in_one_line(tmp_path: Path, api: FakeApi, capsys) -> None:
    api.search_status = 500
    with announce(tmp_path, api.url, None):
        code, out, err = cli(capsys, "search", "harbour", "--index", tmp_path)
    lines = err.splitlines()
    assert lines[1] == f"vidsearch: {api.url} answered 500: the index changed under the server; searching here instead"
    assert code == 1 and out == "" and "no index at" in lines[2] and len(lines) == 3


def test_the_announcement_is_private_and_gone_after_serving(tmp_path: Path) -> None:
    with announce(tmp_path, "http://127.0.0.1:8000/api", "s3cret"):
        (written,) = (tmp_path / FOLDER).iterdir()
        assert stat.S_IMODE(written.stat().st_mode) == 0o600 and written.name == f"{os.getpid()}.json"
        assert json.loads(written.read_text())["url"] == "http://127.0.0.1:8000/api"
    assert list((tmp_path / FOLDER).iterdir()) == []


@pytest.mark.skipif(not hasattr(signal, "SIGTERM") or os.name != "posix", reason="POSIX signals")
def test_a_terminated_server_takes_its_announcement_with_it(tmp_path: Path) -> None:
    """As `vidsearch serve` ends on `kill`: uvicorn stops, then raises SIGTERM again."""
    code = (
        "import os, signal, sys; from pathlib import Path; from vidsearch.serving import announce\n"
        "with announce(Path(sys.argv[1]), 'http://127.0.0.1:8000', None):\n"
        "    print(len(os.listdir(Path(sys.argv[1]) / 'serving')), flush=True)\n"
        "    signal.raise_signal(signal.SIGTERM)\n"
        "    print('not reached')\n"
    )
    run = [sys.executable, "-c", code, str(tmp_path)]
    done = subprocess.run(run, capture_output=True, text=True, timeout=60, cwd=Path(__file__).resolve().parent.parent)
    assert done.stdout == "1\n" and done.returncode == 128 + signal.SIGTERM, done.stderr
    assert list((tmp_path / FOLDER).iterdir()) == []


def test_a_server_that_went_away_is_not_used(tmp_path: Path, api: FakeApi) -> None:
    with announce(tmp_path, "http://127.0.0.1:9", None):  # the discard port: nothing listens
        assert find_server(tmp_path, timeout=0.2) is None


@pytest.fixture(scope="module")
def spoken(tmp_path_factory: pytest.TempPathFactory, coloured: Path) -> Path:
    """An index of the red/blue/green video with fake speech and screen text (no query models needed)."""
    from vidsearch.library import index_paths

    index = tmp_path_factory.mktemp("info") / "index"
    sentences = [(0.5, 2.0, "Here comes the red part."), (8.0, 11.0, "And green at last, " + "very " * 40 + "green.")]
    models = Models(speech=ScriptedSpeech(sentences), ocr=ColourCaptions(), sentences=HashedWords())
    settings = Settings(modalities=(Modality.SPEECH, Modality.OCR))
    assert index_paths([coloured], index, settings, models=models).failed == ()
    return index


def test_info_shows_segment_ids_and_the_words_said_and_shown_in_each(
    spoken: Path, coloured: Path, capsys, monkeypatch
) -> None:
    code, out, _ = cli(capsys, "info", coloured, "--index", spoken, "--json")
    info = json.loads(out)
    first, _, last = info["segments"]
    assert code == 0 and first["start"] == 0 and isinstance(first["id"], int)
    said = [s for s in info["spans"] if s["modality"] == "speech"]
    assert [s["text"] for s in said] == ["Here comes the red part.", "And green at last, " + "very " * 40 + "green."]
    assert {"RED SUNSET BOULEVARD", "GREEN VALLEY TOUR"} <= {s["text"] for s in info["spans"] if s["modality"] == "ocr"}
    assert [s["start"] for s in info["spans"]] == sorted(s["start"] for s in info["spans"])

    code, out, _ = cli(capsys, "info", coloured, "--index", spoken)
    lines = out.splitlines()
    red = lines.index(f"  segment {first['id']}  00:00–00:04  (0.000–{first['end']:.3f} s)")
    green = next(n for n, line in enumerate(lines) if line.startswith(f"  segment {last['id']}  "))
    assert "    speech 00:00–00:02  “Here comes the red part.”" in lines[red:green]
    assert "    ocr    00:00–00:04  “RED SUNSET BOULEVARD”" in lines[red:green]
    assert any("very very" in line and line.endswith("green.”") for line in lines[green:])  # whole when piped

    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    monkeypatch.setenv("COLUMNS", "60")
    code, out, _ = cli(capsys, "info", coloured, "--index", spoken)
    cut = next(line for line in out.splitlines() if "very" in line)
    assert len(cut) <= 60 and cut.endswith("very…”"), cut
