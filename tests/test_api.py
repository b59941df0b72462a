"""The HTTP API over an index built with deterministic fake models: what an app sees is the CLI's
search JSON plus ids, clear errors with fitting status codes, seekable streams and JPEG thumbnails,
and nothing served that is not in the index."""

from __future__ import annotations

import io
import json
import logging
import shutil
import socket
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image

from indexer.errors import ModelUnavailable
from indexer.pipeline import Models
from indexer.types import Modality
from search import VideoSearch
from search.errors import IndexEmpty, IndexNotFound, ModelMismatch, NoSearchableModality
from search.store import Store
from tests.conftest import ColourImages, ColourTexts
from tests.fakes import HashedWords, fake_engine, fake_models
from vidsearch import api
from vidsearch.api import ApiOptions, create_app
from vidsearch.library import index_paths
from vidsearch.settings import Settings

SENTENCES = (
    (0.5, 3.5, "The bank raised interest rates on savings accounts"),
    (4.5, 6.5, "We had a picnic on the river bank"),
    (8.0, 11.0, "The ships leave the harbour at dawn"),
)
SOUNDS = ((1.0, 3.0, "Applause", 0.8), (7.2, 9.0, "Bark", 0.9))
TOKEN = "s3cret-token"
MULTIPART = {"Content-Type": "multipart/form-data; boundary=b"}


def _engine(index: Path) -> VideoSearch:
    return fake_engine(index)


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory, coloured: Path) -> Iterator[VideoSearch]:
    """One index of the red/blue/green video with every modality, shared by the module's tests."""
    index = tmp_path_factory.mktemp("api") / "index"
    models = fake_models(SENTENCES, SOUNDS)
    report = index_paths([coloured], index, Settings(modalities=tuple(Modality)), models=models)
    assert report.failed == () and len(report.indexed) == 1
    with _engine(index) as opened:
        yield opened


@pytest.fixture
def client(engine: VideoSearch) -> TestClient:
    return TestClient(create_app(engine, ApiOptions()))


def _video_id(client: TestClient) -> int:
    return int(client.get("/videos").json()["videos"][0]["id"])


def _segments(client: TestClient) -> list[dict]:
    return list(client.get(f"/videos/{_video_id(client)}").json()["segments"])


def test_search_returns_the_cli_json_with_the_ids_of_each_hit(client: TestClient, engine: VideoSearch) -> None:
    response = client.get("/search", params={"q": "  bank interest rates ", "k": 3})
    assert response.status_code == 200
    expected = [
        {**hit.to_json(), "segment_id": hit.segment_ids[0], "video_id": _video_id(client)}
        for hit in engine.search("bank interest rates", 3)
    ]
    media = {"stream_url", "thumbnail_url"}
    shown = [{key: value for key, value in hit.items() if key not in media} for hit in response.json()["hits"]]
    assert {"query": response.json()["query"], "hits": shown} == {"query": "bank interest rates", "hits": expected}
    top = response.json()["hits"][0]
    assert (top["start"], top["end"]) == (0.5, 3.5) and top["matched"]["speech"]["matched_words"]
    assert client.get(f"/segments/{top['segment_id']}/thumbnail").status_code == 200
    assert client.get(top["thumbnail_url"]).status_code == 200 and client.get(top["stream_url"]).status_code == 200


def test_modalities_and_filters_restrict_the_search(client: TestClient, coloured: Path) -> None:
    hits = client.get("/search", params={"q": "green valley tour", "modalities": "speech, audio"}).json()["hits"]
    assert all(set(hit["matched"]) <= {"speech", "audio"} for hit in hits)
    assert client.get("/search", params={"q": "bank interest rates", "folder": str(coloured.parent)}).json()["hits"]
    assert client.get("/search", params={"q": "bank interest rates", "folder": "/elsewhere"}).json()["hits"] == []
    assert client.get("/search", params={"q": "bank interest rates", "max_duration": 5}).json()["hits"] == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"q": "ships", "k": 0}, "k"),
        ({"q": "ships", "k": 101}, "k"),
        ({"q": "ships", "k": "many"}, "k"),
        ({"q": ""}, "q"),
        ({"q": "   "}, "q"),
        ({"q": "x" * 501}, "q"),
        ({}, "q"),
        ({"q": "ships", "modalities": "speech,smell"}, "modalities"),
        ({"q": "ships", "min_duration": -1}, "min_duration"),
        ({"q": "ships", "min_duration": 9, "max_duration": 3}, "max_duration"),
        ({"q": "ships", "folder": "relative/folder"}, "folder"),
    ],
)
def test_bad_parameters_are_422_naming_the_parameter(client: TestClient, params: dict, field: str) -> None:
    response = client.get("/search", params=params)
    assert response.status_code == 422
    assert [error["loc"] for error in response.json()["detail"]] == [["query", field]]
    line = response.json()["error"]
    assert line.startswith(f"query parameter {field}: ") and "\n" not in line


def test_the_limits_come_from_the_options(engine: VideoSearch) -> None:
    client = TestClient(create_app(engine, ApiOptions(max_k=2, max_query=10)))
    assert client.get("/search", params={"q": "ships", "k": 3}).status_code == 422
    assert client.get("/search", params={"q": "ships", "k": 2}).status_code == 200
    assert client.get("/search", params={"q": "ships harbour"}).status_code == 422
    assert client.get(f"/similar/{_segments(client)[0]['id']}", params={"k": 3}).status_code == 422


def test_a_token_guards_every_route_but_health_and_the_docs(engine: VideoSearch) -> None:
    client = TestClient(create_app(engine, ApiOptions(token=TOKEN)))
    for path in ("/search?q=ships", "/videos", "/stats", "/videos/1/stream", "/segments/1/thumbnail", "/similar/1"):
        refused = client.get(path)
        assert refused.status_code == 401 and refused.headers["www-authenticate"].startswith("Bearer"), path
        assert "error" in refused.json()
    assert client.get("/videos", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/videos", headers={"Authorization": f"Basic {TOKEN}"}).status_code == 401
    assert client.get("/videos", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    for path in ("/health", "/docs", "/openapi.json"):
        assert client.get(path).status_code == 200, path


def test_a_range_request_on_the_stream_gets_those_bytes(client: TestClient, coloured: Path) -> None:
    url = f"/videos/{_video_id(client)}/stream"
    data = coloured.read_bytes()
    part = client.get(url, headers={"Range": "bytes=100-1099"})
    assert part.status_code == 206 and part.content == data[100:1100]
    assert part.headers["content-range"] == f"bytes 100-1099/{len(data)}"
    assert part.headers["content-type"] == "video/mp4"
    whole = client.get(url)
    assert whole.status_code == 200 and whole.content == data and whole.headers["accept-ranges"] == "bytes"


def test_thumbnails_are_cacheable_jpegs_of_the_segment(client: TestClient) -> None:
    response = client.get(f"/segments/{_segments(client)[-1]['id']}/thumbnail", params={"size": 90})
    assert response.status_code == 200 and response.headers["content-type"] == "image/jpeg"
    assert "max-age" in response.headers["cache-control"]
    picture = np.asarray(Image.open(io.BytesIO(response.content)).convert("RGB"))
    assert picture.shape == (90, 120, 3) and picture[..., 1].mean() > picture[..., 0].mean()  # the green shot


def test_videos_list_and_one_video_with_its_segments(client: TestClient, coloured: Path) -> None:
    (video,) = client.get("/videos").json()["videos"]
    assert video["path"] == str(coloured) and video["duration"] == pytest.approx(12.0, abs=0.1)
    assert set(video) == {
        "id",
        "path",
        "duration",
        "width",
        "height",
        "fps",
        "modalities",
        "language",
        "content_hash",
    } | {
        "has_video",
        "audio_tracks",
    }
    detail = client.get(f"/videos/{video['id']}").json()
    assert detail["segments"][0]["start"] == 0.0 and detail["segments"][-1]["end"] == pytest.approx(12.0, abs=0.1)


def test_stats_and_health(client: TestClient, engine: VideoSearch) -> None:
    stats = client.get("/stats").json()
    assert stats["videos"] == 1 and stats["segments"] >= 3 and stats["hours"] == pytest.approx(12 / 3600, abs=1e-3)
    assert {m["modality"] for m in stats["models"] if m["available"]} >= {"visual", "text"}
    assert set(stats["searchable"]) == set(tuple(Modality))
    assert client.get("/health").json() == {"status": "ok", "videos": 1, "models": engine.readiness().state.value}


@pytest.mark.parametrize(
    "path", ["/videos/9999", "/videos/9999/stream", "/segments/9999/thumbnail", "/similar/9999", "/nowhere"]
)
def test_unknown_ids_are_404_with_a_one_line_error(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404 and set(response.json()) == {"error"}
    assert "\n" not in response.json()["error"]


@pytest.mark.parametrize(
    "path",
    [
        "/videos/..%2F..%2Fetc%2Fpasswd/stream",
        "/videos/%2Fetc%2Fpasswd/stream",
        "/videos/1.5/stream",
        "/videos/-1/stream",
        "/videos/99999999999999999999999/stream",
        "/segments/abc/thumbnail",
    ],
)
def test_path_like_or_impossible_ids_are_refused(client: TestClient, path: str) -> None:
    assert client.get(path).status_code in (404, 422)


def test_a_deleted_file_is_a_clear_410(tmp_path: Path, coloured: Path) -> None:
    copy = tmp_path / "gone.mp4"
    shutil.copy(coloured, copy)
    index_paths([copy], tmp_path / "index", Settings(modalities=("visual",)), models=Models(images=ColourImages()))
    copy.unlink()
    with _engine(tmp_path / "index") as engine:
        client = TestClient(create_app(engine, ApiOptions()))
        video = client.get("/videos").json()["videos"][0]
        segment = client.get(f"/videos/{video['id']}").json()["segments"][0]
        for path in (f"/videos/{video['id']}/stream", f"/segments/{segment['id']}/thumbnail"):
            response = client.get(path)
            assert response.status_code == 410 and "gone.mp4" in response.json()["error"], path
        nothing = client.get("/search", params={"q": "ships", "modalities": "speech"})
        assert nothing.status_code == 409 and "nothing to search with" in nothing.json()["error"]


def test_an_empty_index_is_409_and_healthy(tmp_path: Path) -> None:
    Store.open(tmp_path / "index", create=True).close()
    with VideoSearch(tmp_path / "index", Settings(), texts=ColourTexts(), sentences=HashedWords()) as engine:
        client = TestClient(create_app(engine, ApiOptions()))
        assert client.get("/search", params={"q": "ships"}).status_code == 409
        assert client.get("/health").json() == {"status": "ok", "videos": 0, "models": "idle"}


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (ModelMismatch(Path("/i"), "text", "fake:words", "other"), 503),
        (ModelUnavailable("text", "minilm", "offline"), 503),
        (NoSearchableModality(Path("/i"), "visual: no weights"), 409),
        (IndexEmpty(Path("/i")), 409),
    ],
)
def test_library_errors_map_to_fitting_statuses(
    client: TestClient, engine: VideoSearch, monkeypatch: pytest.MonkeyPatch, error: Exception, status: int
) -> None:
    def fail(*_args: object, **_kwargs: object) -> list:
        raise error

    monkeypatch.setattr(engine, "search", fail)
    response = client.get("/search", params={"q": "ships"})
    assert response.status_code == status and response.json() == {"error": str(error)}


def test_an_unexpected_error_is_logged_and_answered_without_a_traceback(
    engine: VideoSearch, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def crash(*_args: object, **_kwargs: object) -> list:
        raise RuntimeError("faiss exploded\nTraceback (most recent call last): secret")

    monkeypatch.setattr(engine, "search", crash)
    response = TestClient(create_app(engine, ApiOptions())).get("/search", params={"q": "ships"})
    assert response.status_code == 500 and set(response.json()) == {"error"}
    assert "Traceback" not in response.text and "exploded" not in response.text
    assert [r.levelno for r in caplog.records if "unexpected error" in r.getMessage()] == [logging.ERROR]
    caplog.clear()  # the ERROR was the point of this test


def test_cors_headers_only_when_origins_are_configured(engine: VideoSearch) -> None:
    origin = {"Origin": "https://app.example"}
    plain = TestClient(create_app(engine, ApiOptions()))
    assert "access-control-allow-origin" not in plain.get("/health", headers=origin).headers
    cors = TestClient(create_app(engine, ApiOptions(token=TOKEN, cors_origins=("https://app.example",))))
    assert cors.get("/health", headers=origin).headers["access-control-allow-origin"] == "https://app.example"
    preflight = cors.options(
        "/search",
        headers={**origin, "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "authorization"},
    )
    assert preflight.status_code == 200 and preflight.headers["access-control-allow-origin"] == "https://app.example"
    refused = cors.get("/videos", headers=origin)
    assert refused.status_code == 401 and refused.headers["access-control-allow-origin"] == "https://app.example"


def _png(rgb: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), rgb).save(buffer, "PNG")
    return buffer.getvalue()


def test_search_by_image_finds_the_shot_that_looks_like_it(client: TestClient) -> None:
    response = client.post("/search/image", params={"k": 1}, files={"image": ("green.png", _png((0, 200, 0)))})
    assert response.status_code == 200
    (top,) = response.json()["hits"]
    assert set(top["matched"]) == {"visual"} and top["start"] >= 7.0 and top["video_id"] == _video_id(client)


def test_uploads_that_are_not_images_or_too_large_are_refused(engine: VideoSearch) -> None:
    client = TestClient(create_app(engine, ApiOptions(max_upload=2000)))
    not_image = client.post("/search/image", files={"image": ("x.png", b"plain text, no picture")})
    assert not_image.status_code == 415 and "error" in not_image.json()
    noise = np.random.default_rng(0).integers(0, 255, (64, 64, 3), np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(noise).save(buffer, "PNG")
    assert client.post("/search/image", files={"image": ("big.png", buffer.getvalue())}).status_code == 413
    huge = client.post("/search/image", files={"image": ("huge.bin", b"\0" * 200_000)})
    assert huge.status_code == 413 and "error" in huge.json()
    chunked = client.post("/search/image", content=(b"\0" * 10_000 for _ in range(20)), headers=MULTIPART)
    assert chunked.status_code == 413 and "error" in chunked.json()
    assert client.post("/search/image").status_code == 422


def test_similar_moments_leave_out_the_segment_itself(tmp_path: Path, coloured: Path) -> None:
    """The red/blue/green video and a copy of it: the copy's moment is alike, the segment's own is left out."""
    copy = tmp_path / "copy.mp4"
    shutil.copy(coloured, copy)
    copy.write_bytes(copy.read_bytes() + b"\0")  # another file, the same pictures and sound
    models = fake_models(SENTENCES, SOUNDS)
    report = index_paths([coloured, copy], tmp_path / "index", Settings(modalities=tuple(Modality)), models=models)
    assert report.failed == ()
    with _engine(tmp_path / "index") as engine:
        client = TestClient(create_app(engine, ApiOptions()))
        seed = client.get("/search", params={"q": "ships harbour", "modalities": "speech"}).json()["hits"][0]
        video = next(v for v in client.get("/videos").json()["videos"] if v["id"] == seed["video_id"])
        segment = next(
            s for s in client.get(f"/videos/{video['id']}").json()["segments"] if s["id"] == seed["segment_id"]
        )
        response = client.get(f"/similar/{seed['segment_id']}", params={"k": 5})
    assert response.status_code == 200 and response.json()["segment_id"] == seed["segment_id"]
    hits = response.json()["hits"]
    assert hits and all(
        h["video_id"] != video["id"] or not (h["start"] < segment["end"] and h["end"] > segment["start"]) for h in hits
    )
    assert all(isinstance(h["segment_id"], int) and isinstance(h["video_id"], int) for h in hits)


def test_concurrent_searches_all_succeed_alike(client: TestClient) -> None:
    def ask(n: int) -> dict:
        path = "/search" if n % 2 else "/videos"
        return client.get(path, params={"q": "ships harbour"} if n % 2 else None).json()

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(ask, range(24)))
    assert len({str(a) for a in answers[1::2]}) == 1 and answers[1]["hits"]


def test_serve_runs_the_app_on_the_given_address_and_refuses_a_missing_index(
    engine: VideoSearch, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ran: list[tuple[str, int, int, int]] = []

    class Server:
        def __init__(self, app: FastAPI, host: str, port: int) -> None:
            self.app, self.host, self.port = app, host, port

        def run(self, sockets: list) -> None:
            (sock,) = sockets
            videos = TestClient(self.app).get("/health").json()["videos"]
            ran.append((self.host, self.port, sock.getsockname()[1], videos))

    monkeypatch.setattr(api, "server", Server)
    loads: list[Path] = []
    monkeypatch.setattr(VideoSearch, "load_in_background", lambda self: loads.append(self.directory))
    with socket.socket() as probe:  # a port free a moment ago
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    api.serve(engine.store.directory, Settings(), port=port)
    assert ran == [("127.0.0.1", port, port, 1)]  # uvicorn gets the socket serve bound
    assert loads == [engine.directory]  # the models start loading before the first query
    with pytest.raises(IndexNotFound):
        api.serve(tmp_path / "no-index", Settings())


def test_the_cli_and_the_api_print_the_same_json(
    engine: VideoSearch, client: TestClient, capsys: pytest.CaptureFixture[str]
) -> None:
    """One output contract: `stats --json` and `info --json` say what /stats and /videos/{id} say,
    key for key (the CLI keeps the older names `modalities` and `video` beside them)."""
    from vidsearch.cli import main

    assert main(["stats", "--index", str(engine.directory), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown.pop("modalities") == shown["models"]
    assert shown == client.get("/stats").json()
    (video,) = engine.videos()
    assert main(["info", str(video.path), "--index", str(engine.directory), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown.pop("video") == shown["path"]
    assert shown.pop("spans") == client.get(f"/videos/{video.id}/transcript").json()["spans"]
    answered = client.get(f"/videos/{video.id}").json()
    assert answered.pop("stream_url") == f"/videos/{video.id}/stream" and answered.pop("thumbnail_url")
    assert answered.pop("subtitles_url") == f"/videos/{video.id}/subtitles.vtt"
    assert all(segment.pop("thumbnail_url").endswith("/thumbnail") for segment in answered["segments"])
    assert shown == answered


def test_hits_carry_their_video_id_and_the_engine_serves_threads_at_once(engine: VideoSearch) -> None:
    """Eight threads asking at once get what one thread gets, with the ids to fetch streams by."""
    alone = [hit.to_json() for hit in engine.search("harbour at dawn", k=3)]
    with ThreadPoolExecutor(8) as pool:
        together = list(pool.map(lambda _: [h.to_json() for h in engine.search("harbour at dawn", k=3)], range(32)))
    assert alone and all(found == alone for found in together)
    (video,) = engine.videos()
    assert {hit["video_id"] for hit in alone} == {video.id}
