"""Attacks on the HTTP API (and the page's player), each the reproduction of a reported fault:

- a file swapped after indexing (a link to a secret, a FIFO, a device, another file) is never
  served, decoded or played: 410 in one line, checked on the open descriptor;
- a pixel flood is refused from the image header, an index without visual vectors refuses search
  by image before the upload is read, pictures are decoded two at a time, small, and the memory
  comes back (measured in a child server, `slow`);
- malformed EXIF falls back to the picture as it is;
- `serve` with an impossible or busy port fails in one line;
- every error, from a 422 to uvicorn's own 400 and a bad Range, has the one JSON shape, and the
  OpenAPI document lists them.

The schemathesis run against the OpenAPI document is in tests/test_api_fuzz.py.
"""

from __future__ import annotations

import io
import os
import shutil
import socket
import struct
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image, ImageOps

from indexer import decode
from indexer.pipeline import Models
from search import VideoSearch, served
from search.errors import VideoFileChanged, VideoFileMissing
from search.types import VideoRecord
from tests.conftest import ColourImages
from tests.fakes import HashedWords, ScriptedSpeech, fake_engine
from vidsearch import api, cli, pictures
from vidsearch.api import ApiOptions, create_app
from vidsearch.library import index_paths
from vidsearch.settings import Settings

SECRET = b"root:x:0:0:TOP SECRET, never to be served\n"


def _engine(index: Path) -> VideoSearch:
    return fake_engine(index)


def _index(folder: Path, source: Path, name: str = "a.mp4", visual: bool = True) -> tuple[Path, Path]:
    """`source` copied to folder/name and indexed (visual with the colour fake, else speech alone)."""
    video = folder / name
    video.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(source, video)
    speech = ScriptedSpeech(((0.5, 3.0, "ships"),))
    models = Models(images=ColourImages()) if visual else Models(speech=speech, sentences=HashedWords())
    modalities = ("visual",) if visual else ("speech",)
    report = index_paths([video], folder / "index", Settings(modalities=modalities), models=models)
    assert report.failed == () and len(report.indexed) == 1, report
    return video, folder / "index"


@pytest.fixture
def library(tmp_path: Path, coloured: Path) -> Iterator[tuple[Path, TestClient, VideoSearch]]:
    """A fresh index of one video, a.mp4, that a test may swap: (its path, a client, the engine)."""
    video, index = _index(tmp_path, coloured)
    with _engine(index) as engine:
        yield video, TestClient(create_app(engine, ApiOptions())), engine


def _ids(client: TestClient) -> tuple[int, int]:
    """(video id, first segment id) of the one video."""
    video = client.get("/videos").json()["videos"][0]["id"]
    return video, client.get(f"/videos/{video}").json()["segments"][0]["id"]


def _secret(folder: Path, size: int | None = None) -> Path:
    """A file the server can read and must never serve (of `size` bytes when given)."""
    path = folder / "secret.txt"
    data = SECRET if size is None else (SECRET * (size // len(SECRET) + 1))[:size]
    path.write_bytes(data)
    return path


def _assert_gone(client: TestClient, video_id: int, segment_id: int, words: str) -> None:
    for url in (f"/videos/{video_id}/stream", f"/segments/{segment_id}/thumbnail"):
        response = client.get(url)
        assert response.status_code == 410, (url, response.status_code, response.content[:200])
        assert set(response.json()) == {"error"} and "\n" not in response.json()["error"]
        assert words in response.json()["error"] and b"SECRET" not in response.content, response.json()


# --- 1. Files swapped after indexing ---------------------------------------------------------------


def _swap_link(video: Path, target: Path) -> None:
    video.unlink()
    video.symlink_to(target)


def test_a_file_swapped_for_a_link_to_a_secret_is_a_410_never_served(
    library: tuple[Path, TestClient, VideoSearch], tmp_path: Path
) -> None:
    video, client, _engine = library
    video_id, segment_id = _ids(client)
    _swap_link(video, _secret(tmp_path))
    _assert_gone(client, video_id, segment_id, "changed since it was indexed")
    if Path("/etc/passwd").is_file():  # the report's own reproduction
        _swap_link(video, Path("/etc/passwd"))
        response = client.get(f"/videos/{video_id}/stream")
        assert response.status_code == 410 and b"root:" not in response.content


def test_a_link_to_a_secret_of_the_same_size_is_refused_by_its_modification_time(
    library: tuple[Path, TestClient, VideoSearch], tmp_path: Path
) -> None:
    video, client, _engine = library
    video_id, segment_id = _ids(client)
    _swap_link(video, _secret(tmp_path, size=video.stat().st_size))
    _assert_gone(client, video_id, segment_id, "its size or modification time differ")


@pytest.mark.parametrize("change", ["rewritten", "touched", "truncated"])
def test_a_file_changed_in_place_is_a_410(library: tuple[Path, TestClient, VideoSearch], change: str) -> None:
    video, client, _engine = library
    video_id, segment_id = _ids(client)
    if change == "rewritten":  # same size, other bytes
        size = video.stat().st_size
        video.write_bytes(SECRET * (size // len(SECRET)) + b"\0" * (size % len(SECRET)))
    elif change == "touched":
        os.utime(video, (time.time(), video.stat().st_mtime + 5))
    else:
        with video.open("r+b") as handle:
            handle.truncate(1000)
    _assert_gone(client, video_id, segment_id, "changed since it was indexed")


@pytest.mark.parametrize("kind", ["fifo", "device", "folder"])
def test_a_fifo_device_or_folder_swapped_in_is_refused_without_blocking(
    library: tuple[Path, TestClient, VideoSearch], kind: str
) -> None:
    video, client, _engine = library
    video_id, segment_id = _ids(client)
    video.unlink()
    if kind == "fifo":
        os.mkfifo(video)
        words = "a FIFO"
    elif kind == "device":
        if not Path("/dev/zero").exists():
            pytest.skip("no /dev/zero")
        video.symlink_to("/dev/zero")
        words = "a character device"
    else:
        video.mkdir()
        words = "a folder"
    answers: list[Any] = []
    asking = threading.Thread(target=lambda: answers.append(client.get(f"/videos/{video_id}/stream")), daemon=True)
    asking.start()
    asking.join(20)
    assert answers, "the stream blocked on what was swapped in"
    assert answers[0].status_code == 410 and words in answers[0].json()["error"]
    _assert_gone(client, video_id, segment_id, "no longer a regular file")


def test_a_swap_between_the_check_and_the_open_is_caught_on_the_descriptor(
    library: tuple[Path, TestClient, VideoSearch], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    video, client, _engine = library
    video_id, _segment_id = _ids(client)
    stat = video.stat()
    twin = _secret(tmp_path, size=stat.st_size)  # same size and mtime: only the inode tells
    os.utime(twin, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    real_open = os.open

    def swapping_open(path: Any, flags: int, *args: Any) -> int:
        if Path(path) == video:
            os.replace(twin, video)
        return real_open(path, flags, *args)

    monkeypatch.setattr(served.os, "open", swapping_open)
    response = client.get(f"/videos/{video_id}/stream")
    assert response.status_code == 410 and "replaced while being opened" in response.json()["error"]
    assert b"SECRET" not in response.content


def _swap_after_opening(engine: VideoSearch, video: Path, secret: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the engine's checked open swap `secret` in under the video's name right after it."""
    if not Path("/proc/self/fd").is_dir():  # pragma: no cover - Linux has it
        pytest.skip("no /proc/self/fd: files are read again by their (checked) path")
    opened = engine.open_file

    def open_then_swap(record: VideoRecord) -> Any:
        file = opened(record)
        os.replace(secret, video)  # swapped right after the check: what was checked is still read
        return file

    monkeypatch.setattr(engine, "open_file", open_then_swap)


def test_the_stream_sends_the_checked_descriptor_not_what_the_path_is_now(
    library: tuple[Path, TestClient, VideoSearch], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    video, client, engine = library
    video_id, _segment = _ids(client)
    original = video.read_bytes()
    _swap_after_opening(engine, video, _secret(tmp_path), monkeypatch)
    streamed = client.get(f"/videos/{video_id}/stream")
    assert streamed.status_code == 200 and streamed.content == original
    assert video.read_bytes().startswith(b"root:")  # the swap did happen


def test_a_thumbnail_is_decoded_from_the_checked_descriptor_not_the_path(
    library: tuple[Path, TestClient, VideoSearch], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    video, client, engine = library
    _video_id, segment_id = _ids(client)
    _swap_after_opening(engine, video, _secret(tmp_path), monkeypatch)
    read: list[Path] = []
    frame_at = decode.frame_at

    def spy(path: Path, *args: Any) -> np.ndarray:
        read.append(path)
        return frame_at(path, *args)

    monkeypatch.setattr(decode, "frame_at", spy)
    thumb = client.get(f"/segments/{segment_id}/thumbnail")
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    assert len(read) == 1 and read[0] != video and video.read_bytes().startswith(b"root:")


def test_a_library_reached_through_links_still_plays_but_a_retargeted_link_does_not(
    tmp_path: Path, coloured: Path
) -> None:
    real = tmp_path / "disk" / "films"
    real.mkdir(parents=True)
    shutil.copy(coloured, real / "a.mp4")
    (tmp_path / "videos").mkdir()
    (tmp_path / "videos" / "films").symlink_to(real)  # a linked folder
    (tmp_path / "videos" / "b.mp4").symlink_to(real / "a.mp4")  # a linked file
    paths = [tmp_path / "videos" / "films" / "a.mp4", tmp_path / "videos" / "b.mp4"]
    report = index_paths(
        paths, tmp_path / "index", Settings(modalities=("visual",)), models=Models(images=ColourImages())
    )
    assert len(report.indexed) == 2
    with _engine(tmp_path / "index") as engine:
        client = TestClient(create_app(engine, ApiOptions()))
        videos = {Path(v["path"]).name: v["id"] for v in client.get("/videos").json()["videos"]}
        for video_id in videos.values():
            response = client.get(f"/videos/{video_id}/stream", headers={"Range": "bytes=0-99"})
            assert response.status_code == 206 and response.content == coloured.read_bytes()[:100]
        _swap_link(tmp_path / "videos" / "b.mp4", _secret(tmp_path))
        refused = client.get(f"/videos/{videos['b.mp4']}/stream")
        assert refused.status_code == 410 and b"SECRET" not in refused.content


def test_the_engine_raises_video_file_changed_a_kind_of_missing(
    library: tuple[Path, TestClient, VideoSearch], tmp_path: Path
) -> None:
    video, client, engine = library
    record = engine.video(_ids(client)[0])[0]
    with engine.open_file(record) as file:
        assert file.read() == video.read_bytes()
    _swap_link(video, _secret(tmp_path))
    with pytest.raises(VideoFileChanged) as raised:
        engine.open_file(record)
    assert isinstance(raised.value, VideoFileMissing) and str(video) in str(raised.value)
    video.unlink()
    with pytest.raises(VideoFileMissing, match="the file is gone"):
        engine.open_file(record)


def _play(index: str, path: str) -> None:
    """The page's video view alone, for AppTest (runs in its own script context)."""
    from pathlib import Path

    from search import VideoSearch
    from ui.app import show_video
    from ui.view import Opened

    with VideoSearch(Path(index)) as engine:
        show_video(engine, Opened(engine.info(Path(path))[0].id, 2.0, 1))


def test_the_page_plays_only_the_file_that_was_indexed(
    library: tuple[Path, TestClient, VideoSearch], tmp_path: Path
) -> None:
    from streamlit.testing.v1 import AppTest

    video, _client, engine = library
    index = str(engine.store.directory)
    app = AppTest.from_function(_play, args=(index, str(video)), default_timeout=60).run()
    assert not app.exception and not app.error and len(app.get("bidi_component")) == 1
    _swap_link(video, _secret(tmp_path))
    app = AppTest.from_function(_play, args=(index, str(video)), default_timeout=60).run()
    assert not app.exception and not app.get("bidi_component")
    (error,) = app.error
    assert error.value.startswith("Cannot play") and "changed since it was indexed" in error.value


# --- 4. Pixel floods ---------------------------------------------------------------------------------


def _picture(
    size: tuple[int, int], kind: str = "PNG", mode: str = "RGB", colour: Any = (0, 160, 0), **save: Any
) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, colour).save(buffer, kind, **save)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def visual(tmp_path_factory: pytest.TempPathFactory, coloured: Path) -> Iterator[VideoSearch]:
    """An index with visual vectors (the colour fake), shared by the image tests."""
    _video, index = _index(tmp_path_factory.mktemp("visual"), coloured)
    with _engine(index) as engine:
        yield engine


def test_a_pixel_flood_is_refused_from_its_header_before_decoding(
    visual: VideoSearch, monkeypatch: pytest.MonkeyPatch
) -> None:
    flood = _picture((6320, 6320), compress_level=9)
    assert len(flood) < 200_000  # the report's 152 KB picture of 40 million pixels

    def never(*_args: object) -> None:
        raise AssertionError("a pixel was decoded")

    monkeypatch.setattr(Image.Image, "load", never)
    client = TestClient(create_app(visual, ApiOptions()))
    response = client.post("/search/image", files={"image": ("flood.png", flood)})
    assert response.status_code == 413 and "6320x6320 pixels" in response.json()["error"]


def test_search_by_image_without_visual_vectors_is_refused_before_the_upload_is_read(
    tmp_path: Path, coloured: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _video, index = _index(tmp_path, coloured, visual=False)

    def never(*_args: object) -> None:
        raise AssertionError("the upload was decoded")

    monkeypatch.setattr(pictures, "decode_picture", never)
    with _engine(index) as engine:
        client = TestClient(create_app(engine, ApiOptions()))
        garbage = b"not even multipart: reading it would be a 400"
        response = client.post("/search/image", content=garbage, headers={"Content-Type": "multipart/form-data"})
        assert response.status_code == 409 and "nothing to search with" in response.json()["error"]
        flood = client.post("/search/image", files={"image": ("flood.png", _picture((64, 64)))})
        assert flood.status_code == 409


def test_large_pictures_are_decoded_small_whatever_their_format(visual: VideoSearch) -> None:
    cases = {
        "jpeg": _picture((4800, 3200), "JPEG"),
        "progressive jpeg": _picture((4800, 3200), "JPEG", progressive=True),
        "png": _picture((3000, 2000)),
        "png with alpha": _picture((3000, 2000), mode="RGBA", colour=(0, 160, 0, 128)),
        "palette png": _picture((3000, 2000), mode="P", colour=3),
        "webp": _picture((3000, 2000), "WEBP"),
        "gif": _picture((3000, 2000), "GIF"),
        "bmp": _picture((3000, 2000), "BMP"),
    }
    for name, data in cases.items():
        pixels = pictures.decode_picture(data)
        assert pixels.dtype == np.uint8 and pixels.ndim == 3 and pixels.shape[2] == 3, name
        assert pictures.QUERY_SIDE <= min(pixels.shape[:2]) <= 2 * pictures.QUERY_SIDE or name == "gif", (
            name,
            pixels.shape,
        )
        assert abs(pixels.shape[1] / pixels.shape[0] - 1.5) < 0.02, (name, pixels.shape)
    client = TestClient(create_app(visual, ApiOptions()))
    response = client.post("/search/image", files={"image": ("big.jpg", cases["jpeg"])})
    assert response.status_code == 200 and response.json()["hits"]


def test_readers_outside_the_list_are_never_opened(visual: VideoSearch) -> None:
    client = TestClient(create_app(visual, ApiOptions()))
    for kind in ("TIFF", "ICO", "PPM"):
        response = client.post("/search/image", files={"image": ("x", _picture((64, 48), kind))})
        assert response.status_code == 415 and "JPEG, PNG, WEBP, GIF, BMP" in response.json()["error"], kind


def test_at_most_two_pictures_are_decoded_at_once(visual: VideoSearch, monkeypatch: pytest.MonkeyPatch) -> None:
    decoding, most = 0, 0
    lock = threading.Lock()
    real = pictures.decode_picture

    def slow(data: bytes) -> np.ndarray:
        nonlocal decoding, most
        with lock:
            decoding += 1
            most = max(most, decoding)
        time.sleep(0.2)
        with lock:
            decoding -= 1
        return real(data)

    monkeypatch.setattr(pictures, "decode_picture", slow)
    client = TestClient(create_app(visual, ApiOptions()))
    picture = _picture((640, 480))
    with ThreadPoolExecutor(8) as pool:
        statuses = list(
            pool.map(lambda _: client.post("/search/image", files={"image": ("x.png", picture)}).status_code, range(8))
        )
    assert statuses == [200] * 8 and most == api.DECODERS == 2


def test_an_upload_that_waits_too_long_for_its_turn_is_a_503(
    visual: VideoSearch, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(api, "DECODE_WAIT", 0.1)
    app = create_app(visual, ApiOptions())
    service = app.state.service
    for _ in range(api.DECODERS):
        service.decoding.acquire()
    try:
        response = TestClient(app).post("/search/image", files={"image": ("x.png", _picture((64, 48)))})
    finally:
        for _ in range(api.DECODERS):
            service.decoding.release()
    assert response.status_code == 503 and response.headers["retry-after"] and "error" in response.json()


@pytest.mark.slow
def test_a_flood_of_the_largest_pictures_leaves_no_memory_behind(tmp_path: Path) -> None:
    """Eight concurrent uploads of the largest picture allowed (25 MP, RGBA PNG: the costliest to
    decode), against a child server; before the fix, eight 40 MP PNGs took it from 0.1 to 3.4 GB
    and it kept 0.35-0.67 GB."""
    from tests import api_flood

    index = api_flood.build_index(tmp_path, visual=True)
    found = api_flood.measure(index, "", 8, 4999, "png-rgba")
    assert found["statuses"] == [200] * 8, found
    before, peak, after = (float(found[k]) for k in ("rss_before_mb", "rss_peak_mb", "rss_after_mb"))  # type: ignore[arg-type]
    assert peak - before < 500 and after - before < 150, found
    refused = api_flood.measure(index, "", 8, 6320, "png")
    assert refused["statuses"] == [413] * 8 and float(refused["rss_peak_mb"]) - float(refused["rss_before_mb"]) < 100  # type: ignore[arg-type]


# --- 5. Malformed EXIF -----------------------------------------------------------------------------


def _jpeg_with_exif(orientation_type: int = 3, resolution_type: int = 5, value: bytes = b"\xff\xff\xff\xff") -> bytes:
    """A 64x48 green JPEG whose EXIF says orientation 6 (turn right), with the type bytes given:
    a wrong one for XResolution (SSHORT, 8) made ImageOps.exif_transpose raise struct.error."""
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x011A] = (72, 1)
    blob = bytearray(exif.tobytes())
    tiff = 6  # after b"Exif\0\0"
    entries = struct.unpack_from(">H", blob, tiff + 8)[0]
    for n in range(entries):
        at = tiff + 10 + 12 * n
        tag = struct.unpack_from(">H", blob, at)[0]
        if tag == 0x0112:
            blob[at + 3] = orientation_type
        elif tag == 0x011A:
            blob[at + 3] = resolution_type
            blob[at + 8 : at + 12] = value
    return _picture((64, 48), "JPEG", exif=bytes(blob))


@pytest.mark.filterwarnings("ignore::UserWarning")  # PIL's own words about the EXIF it skips
def test_malformed_exif_falls_back_to_the_picture_as_it_is(visual: VideoSearch) -> None:
    broken = _jpeg_with_exif(resolution_type=8)
    with Image.open(io.BytesIO(broken)) as picture, pytest.raises(struct.error):
        ImageOps.exif_transpose(picture)  # the report's 500
    client = TestClient(create_app(visual, ApiOptions()))
    response = client.post("/search/image", files={"image": ("broken.jpg", broken)})
    assert response.status_code == 200 and response.json()["hits"]
    assert pictures.decode_picture(broken).shape == (64, 48, 3)  # its orientation (6) still read: turned upright
    assert pictures.decode_picture(_jpeg_with_exif(orientation_type=2)).shape == (
        48,
        64,
        3,
    )  # orientation as text: ignored
    assert pictures.decode_picture(_jpeg_with_exif()).shape == (64, 48, 3)


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_any_exif_failure_falls_back_to_the_picture_as_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(_self: Image.Image) -> Image.Exif:
        raise struct.error("unpack requires a buffer of 2 bytes")

    monkeypatch.setattr(Image.Image, "getexif", broken)
    assert pictures.decode_picture(_jpeg_with_exif()).shape == (48, 64, 3)


# --- 9. serve's port -----------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize("port", [99999, -1, 65536])
def test_an_impossible_port_is_a_one_line_usage_error_before_anything_else(
    tmp_path: Path, port: int, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(ValueError, match="--port must be a number from 0 to 65535"):
        api.serve(tmp_path / "no-index", Settings(), port=port)  # before the missing index is noticed
    code = cli.main(["serve", "--index", str(tmp_path / "no-index"), "--port", str(port)])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and "port" in err, err


def test_a_busy_port_is_one_line(visual: VideoSearch, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(api.PortUnavailable, match="the port is in use"):
            api.serve(visual.store.directory, Settings(), port=port)
        code = cli.main(["serve", "--index", str(visual.store.directory), "--port", str(port)])
    err = capsys.readouterr().err
    assert code == 1 and len(err.strip().splitlines()) == 1, err
    assert f"cannot listen on 127.0.0.1:{port}: the port is in use" in err


def _raw(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(request)
        chunks = []
        while chunk := connection.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_uvicorn_answers_a_request_it_cannot_parse_in_the_json_shape(visual: VideoSearch) -> None:
    port = _free_port()
    sock = api.listen("127.0.0.1", port)
    server = api.server(create_app(visual, ApiOptions()), "127.0.0.1", port)
    running = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    running.start()
    try:
        for _ in range(100):
            if server.started:
                break
            time.sleep(0.05)
        ok = _raw(port, b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert ok.startswith(b"HTTP/1.1 200")
        answer = _raw(port, b"GET /health HTTP/1.1\r\nHost: x\r\nBad Header Name: 1\r\n\r\n")
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 400") and b"content-type: application/json" in head.lower()
        assert set(__import__("json").loads(body)) == {"error"}
    finally:
        server.should_exit = True
        running.join(10)
        sock.close()


# --- 11. One error shape, and the OpenAPI document ----------------------------------------------------


def _one_shape(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, (status, response.status_code, response.content[:300])
    assert response.headers["content-type"] == "application/json", response.headers
    body: dict[str, Any] = response.json()
    assert isinstance(body["error"], str) and body["error"] and "\n" not in body["error"]
    return body


def test_every_error_has_the_one_json_shape(visual: VideoSearch) -> None:
    client = TestClient(create_app(visual, ApiOptions(max_upload=4000)))
    body = _one_shape(client.get("/search", params={"q": "ships", "k": "many"}), 422)
    assert body["error"].startswith("query parameter k: ") and body["detail"][0]["loc"] == ["query", "k"]
    assert _one_shape(client.get("/videos/0"), 422)["error"].startswith("path parameter video_id: ")
    _one_shape(client.get("/search/image"), 405)
    _one_shape(client.get("/nowhere"), 404)
    multipart = {"Content-Type": "multipart/form-data"}  # no boundary
    _one_shape(client.post("/search/image", content=b"--x\r\n", headers=multipart), 400)
    _one_shape(client.post("/search/image", files={"image": ("x", b"\0" * 5000)}), 413)
    _one_shape(client.post("/search/image", files={"image": ("x", b"text")}), 415)
    missing = _one_shape(client.post("/search/image", files={"other": ("x", b"text")}), 422)
    assert missing["detail"][0]["loc"] == ["body", "image"]


def test_bad_ranges_are_a_416_in_the_json_shape(library: tuple[Path, TestClient, VideoSearch]) -> None:
    video, client, _engine = library
    video_id, _segment = _ids(client)
    url, size = f"/videos/{video_id}/stream", video.stat().st_size
    for asked in (f"bytes={size}-", f"bytes={size + 10}-{size + 20}", "bytes=abc", "bytes=5-2", "bytes"):
        response = client.get(url, headers={"Range": asked})
        assert "range" in _one_shape(response, 416)["error"], asked
        assert response.headers["content-range"] == f"bytes */{size}"
    ignored = client.get(url, headers={"Range": "items=0-5"})  # another unit: ignored (RFC 9110)
    assert ignored.status_code == 200 and ignored.content == video.read_bytes()
    stale = client.get(url, headers={"Range": "bytes=abc", "If-Range": '"another-etag"'})
    assert stale.status_code == 200  # If-Range does not match: the whole file, Range unread
    two = client.get(url, headers={"Range": "bytes=0-9,20-29"})
    assert two.status_code == 206 and two.headers["content-type"].startswith("multipart/byteranges")
    tail = client.get(url, headers={"Range": "bytes=-10"})
    assert tail.status_code == 206 and tail.content == video.read_bytes()[-10:]


EXPECTED = {
    ("/search", "get"): {409, 422, 503},
    ("/similar/{segment_id}", "get"): {404, 409, 422, 503},
    ("/search/image", "post"): {400, 409, 413, 415, 422, 503},
    ("/videos/{video_id}", "get"): {404, 422},
    ("/videos/{video_id}/stream", "get"): {404, 410, 416, 422},
    ("/videos/{video_id}/stream", "head"): {404, 410, 416, 422},
    ("/segments/{segment_id}/thumbnail", "get"): {404, 410, 422, 503},
    ("/segments/{segment_id}/thumbnail", "head"): {404, 410, 422, 503},
    ("/videos/{video_id}/transcript", "get"): {404, 422},
    ("/videos/{video_id}/timeline", "get"): {404, 409, 422, 503},
    ("/videos", "get"): set(),
    ("/stats", "get"): set(),
    ("/health", "get"): set(),
    ("/ready", "get"): {503},
}


@pytest.mark.parametrize("token", [None, "s3cret"])
def test_the_openapi_document_lists_every_error_in_the_one_shape(visual: VideoSearch, token: str | None) -> None:
    document = TestClient(create_app(visual, ApiOptions(token=token, max_k=7, max_query=42))).get("/openapi.json")
    paths = document.json()["paths"]
    schemas = document.json()["components"]["schemas"]
    assert schemas["ErrorBody"]["required"] == ["error"] and "detail" in schemas["ValidationErrorBody"]["properties"]
    assert "HTTPValidationError" not in schemas
    for (path, method), errors in EXPECTED.items():
        responses = paths[path][method]["responses"]
        guarded = {401} if token and path not in ("/health", "/ready") else set()
        listed = {int(status) for status in responses if int(status) >= 400}
        assert listed == errors | guarded | {500}, (path, listed)
        for status in listed:
            ref = responses[str(status)]["content"]["application/json"]["schema"]["$ref"]
            body = "/NotReadyBody" if path == "/ready" and status == 503 else "/ErrorBody"
            assert ref.endswith("ValidationErrorBody" if status == 422 else body), (path, status)
    search = {p["name"]: p["schema"] for p in paths["/search"]["get"]["parameters"]}
    assert search["k"]["maximum"] == 7 and search["q"]["maxLength"] == 42
    body = paths["/search/image"]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert body["required"] == ["image"]
    assert "Content-Range" in paths["/videos/{video_id}/stream"]["get"]["responses"]["416"]["headers"]


def test_the_listening_socket_gets_answers_sent_without_delay() -> None:
    """asyncio turns Nagle off (TCP_NODELAY) only on sockets made as IPPROTO_TCP; on any other, an
    answer on a kept-alive connection waited for the client's delayed ACK (48 ms a query)."""
    sock = api.listen("127.0.0.1", _free_port())
    try:
        sock.listen()
        with socket.create_connection(sock.getsockname()[:2], timeout=5):
            accepted, _ = sock.accept()
            with accepted:
                assert accepted.proto == socket.IPPROTO_TCP
    finally:
        sock.close()
