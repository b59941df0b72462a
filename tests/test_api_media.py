"""The API for browser apps: signed media URLs that `<video src>` and `<img src>` can fetch with a
token set, the URLs in every hit and video, thumbnails at a time, HEAD on streams and thumbnails,
a video's transcript and timeline, liveness apart from readiness, docs that work offline, and an
OpenAPI document that lists every error of every operation."""

from __future__ import annotations

import io
import re
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from starlette.applications import Starlette
from starlette.routing import Mount

from indexer.types import Modality
from search import VideoSearch
from search.store import Store
from search.types import Evidence, Hit, LoadState, Readiness, Still
from tests.conftest import ColourImages, ColourTexts
from tests.fakes import HashedWords, fake_models
from vidsearch.api import ApiOptions, MediaUrls, create_app
from vidsearch.library import index_paths
from vidsearch.settings import Settings
from vidsearch.signing import UrlSigner

SENTENCES = (
    (0.5, 3.5, "The bank raised interest rates on savings accounts"),
    (8.0, 11.0, "The ships leave the harbour at dawn"),
)
SOUNDS = ((7.2, 9.0, "Bark", 0.9),)
TOKEN = "media-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def _engine(index: Path) -> VideoSearch:
    return VideoSearch(index, Settings(), texts=ColourTexts(), sentences=HashedWords(), images=ColourImages())


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory, coloured: Path) -> Path:
    """The red/blue/green video with every modality (two sentences, colour captions, a bark)."""
    folder = tmp_path_factory.mktemp("media-api") / "index"
    models = fake_models(SENTENCES, SOUNDS)
    report = index_paths([coloured], folder, Settings(modalities=tuple(Modality)), models=models)
    assert report.failed == () and len(report.indexed) == 1
    return folder


@pytest.fixture(scope="module")
def engine(index: Path) -> Iterator[VideoSearch]:
    with _engine(index) as opened:
        yield opened


@pytest.fixture
def plain(engine: VideoSearch) -> TestClient:
    return TestClient(create_app(engine, ApiOptions()))


@pytest.fixture
def guarded(engine: VideoSearch) -> TestClient:
    return TestClient(create_app(engine, ApiOptions(token=TOKEN)))


def _ids(engine: VideoSearch) -> tuple[int, list[int]]:
    (video,) = engine.videos()
    return video.id, [segment.id for segment in engine.video(video.id)[1]]


def _colour(content: bytes) -> str:
    """The colour of a shot of the test video in a JPEG: red, green or blue (its strongest channel)."""
    means = np.asarray(Image.open(io.BytesIO(content)).convert("RGB")).reshape(-1, 3).mean(axis=0)
    assert means.max() - np.median(means) > 60, means  # clearly one colour
    return ("red", "green", "blue")[int(np.argmax(means))]


# --- signing -----------------------------------------------------------------------------------


def test_a_signed_url_holds_for_its_path_until_it_expires() -> None:
    signer = UrlSigner(b"k" * 32, ttl=600, step=60)
    url = signer.sign("/videos/3/stream", now=1_000_000.0)
    path, query = url.split("?")
    fields = {key: values[0] for key, values in parse_qs(query).items()}
    assert path == "/videos/3/stream" and set(fields) == {"expires", "signature"}
    expires, signature = fields["expires"], fields["signature"]
    assert int(expires) == 1_000_620 and re.fullmatch("[0-9a-f]{64}", signature)  # 600 s, rounded up to a minute
    assert signer.valid(path, expires, signature, now=1_000_600.0)
    assert not signer.valid(path, expires, signature, now=1_000_621.0)  # expired
    assert not signer.valid("/videos/4/stream", expires, signature, now=1_000_000.0)  # another video
    assert not signer.valid(path, str(int(expires) + 3600), signature, now=1_000_000.0)  # a later expiry
    assert not signer.valid(path, expires, signature.upper(), now=1_000_000.0)
    assert not signer.valid(path, expires, "0" * 64, now=1_000_000.0)
    for bad in (None, "", "-1", "1e9", "١٢٣", "9" * 40):
        assert not signer.valid(path, bad, signature, now=1_000_000.0), bad
    assert not signer.valid(path, expires, None, now=1_000_000.0)
    assert not UrlSigner(b"x" * 32).valid(path, expires, signature, now=1_000_000.0)  # another key


def test_urls_signed_within_one_step_are_the_same_so_browsers_can_cache_them() -> None:
    signer = UrlSigner.for_token(TOKEN, ttl=3600, step=300)
    assert signer.sign("/segments/1/thumbnail", now=1201.0) == signer.sign("/segments/1/thumbnail", now=1500.0)
    assert signer.sign("/segments/1/thumbnail", now=1201.0) != signer.sign("/segments/1/thumbnail", now=1501.0)
    again = UrlSigner.for_token(TOKEN).sign("/segments/1/thumbnail", now=1200.0)
    assert again == signer.sign("/segments/1/thumbnail", now=1200.0)  # same token, same URLs: page and API agree
    assert UrlSigner.for_token("other").sign("/segments/1/thumbnail", now=1200.0) != again
    assert TOKEN not in again
    with pytest.raises(ValueError):
        signer.sign("/segments/1/thumbnail?time=3")
    with pytest.raises(ValueError):
        UrlSigner(b"short")


# --- URLs in answers -----------------------------------------------------------------------------


def test_without_a_token_hits_carry_plain_relative_media_urls(plain: TestClient, engine: VideoSearch) -> None:
    video_id, _segments = _ids(engine)
    hits = plain.get("/search", params={"q": "ships harbour", "modalities": "speech"}).json()["hits"]
    top = hits[0]
    assert top["stream_url"] == f"/videos/{video_id}/stream"
    path, asked = top["thumbnail_url"].split("?time=")
    assert path == f"/segments/{top['segment_id']}/thumbnail" and 8.0 <= float(asked) <= 11.0  # in the sentence
    assert plain.get(top["thumbnail_url"]).headers["content-type"] == "image/jpeg"
    similar = plain.get(f"/similar/{top['segment_id']}").json()["hits"]  # none alike in one video of unlike shots
    assert all(hit["stream_url"] == f"/videos/{video_id}/stream" for hit in similar)
    assert all(hit["thumbnail_url"].startswith(f"/segments/{hit['segment_id']}/thumbnail") for hit in similar)


def test_the_thumbnail_of_a_hit_is_the_frame_of_its_evidence(plain: TestClient) -> None:
    top = plain.get("/search", params={"q": "green valley tour", "modalities": "ocr", "k": 1}).json()["hits"][0]
    assert _colour(plain.get(top["thumbnail_url"]).content) == "green", top  # where the caption is read


def test_the_time_in_a_thumbnail_url_is_rounded_up_never_to_the_frame_before() -> None:
    urls = MediaUrls("", None)
    assert urls.thumbnail(5, 21.0231) == "/segments/5/thumbnail?time=21.024"
    assert urls.thumbnail(5, 21.0) == "/segments/5/thumbnail?time=21"
    assert urls.thumbnail(5, 12345.5) == "/segments/5/thumbnail?time=12345.5"
    assert urls.thumbnail(5) == "/segments/5/thumbnail"
    shown = (Evidence(Modality.OCR, 0.9, 21.0231, 21.0231, 23.0),)
    hit = Hit(Path("/v.mp4"), 20.0, 23.0, 0.9, (5,), shown, True, 2, Still(5, 21.0231))
    assert MediaUrls("/api", None).hit(hit)["thumbnail_url"] == "/api/segments/5/thumbnail?time=21.024"
    sound = Hit(Path("/v.m4a"), 0.0, 3.0, 0.9, (5,), (Evidence(Modality.AUDIO, 0.9, 1.0),), False, 2)
    assert MediaUrls("", None).hit(sound)["thumbnail_url"] is None  # sound alone has no picture


def test_with_a_token_media_urls_are_signed_and_work_without_the_header(
    guarded: TestClient, engine: VideoSearch, coloured: Path
) -> None:
    video_id, segments = _ids(engine)
    top = guarded.get("/search", params={"q": "bank interest", "modalities": "speech"}, headers=AUTH).json()["hits"][0]
    stream, picture = urlsplit(top["stream_url"]), urlsplit(top["thumbnail_url"])
    assert stream.path == f"/videos/{video_id}/stream" and set(parse_qs(stream.query)) == {"expires", "signature"}
    assert set(parse_qs(picture.query)) == {"expires", "signature", "time"}
    part = guarded.get(top["stream_url"], headers={"Range": "bytes=0-99"})  # what <video src> sends: no header
    assert part.status_code == 206 and part.content == coloured.read_bytes()[:100]
    shown = guarded.get(top["thumbnail_url"])
    assert shown.status_code == 200 and shown.headers["cache-control"].startswith("private")
    video = guarded.get(f"/videos/{video_id}", headers=AUTH).json()
    assert guarded.get(video["stream_url"]).status_code == 200
    assert [guarded.get(s["thumbnail_url"]).status_code for s in video["segments"]] == [200] * len(segments)
    assert guarded.get(f"/videos/{video_id}/stream").status_code == 401  # unsigned, no header: refused


def test_expired_forged_or_misplaced_signatures_are_401_in_the_json_shape(
    guarded: TestClient, engine: VideoSearch
) -> None:
    video_id, segments = _ids(engine)
    signer = UrlSigner.for_token(TOKEN)
    stale = signer.sign(f"/videos/{video_id}/stream", now=time.time() - 2 * 3600)
    other = signer.sign(f"/segments/{segments[0]}/thumbnail").replace(f"/{segments[0]}/", f"/{segments[1]}/")
    forged = UrlSigner.for_token("guess").sign(f"/videos/{video_id}/stream")
    fresh = signer.sign(f"/videos/{video_id}/stream")
    misused = "/videos?" + fresh.split("?")[1]  # a media signature opens nothing else
    search = f"/search?q=ships&{fresh.split('?')[1]}"
    half = f"/videos/{video_id}/stream?expires=9999999999"
    for url in (stale, other, forged, misused, search, half):
        refused = guarded.get(url)
        assert refused.status_code == 401, url
        assert set(refused.json()) == {"error"} and refused.headers["www-authenticate"].startswith("Bearer"), url
    assert "expired" in guarded.get(stale).json()["error"]
    assert guarded.get(fresh).status_code == 200
    assert guarded.get(fresh, headers={"Authorization": "Bearer wrong"}).status_code == 401  # a header is what counts


def test_a_signer_given_to_the_app_signs_and_checks(engine: VideoSearch) -> None:
    signer = UrlSigner(b"s" * 32, ttl=60)
    client = TestClient(create_app(engine, ApiOptions(token=TOKEN), signer=signer))
    video_id, _segments = _ids(engine)
    url = client.get(f"/videos/{video_id}", headers=AUTH).json()["stream_url"]
    assert signer.valid(urlsplit(url).path, *(parse_qs(urlsplit(url).query)[k][0] for k in ("expires", "signature")))
    assert client.get(url).status_code == 200
    assert client.get(UrlSigner.for_token(TOKEN).sign(f"/videos/{video_id}/stream")).status_code == 401


def test_mounted_under_a_prefix_the_urls_and_the_docs_live_under_it(engine: VideoSearch) -> None:
    """The page mounts the API at /api: its URLs must point there."""
    outer = TestClient(Starlette(routes=[Mount("/api", app=create_app(engine, ApiOptions(token=TOKEN)))]))
    top = outer.get("/api/search", params={"q": "ships harbour"}, headers=AUTH).json()["hits"][0]
    assert top["stream_url"].startswith("/api/videos/") and top["thumbnail_url"].startswith("/api/segments/")
    assert outer.get(top["stream_url"]).status_code == 200 and outer.get(top["thumbnail_url"]).status_code == 200
    for page in ("/api/docs", "/api/redoc"):
        assets = _assets(outer.get(page).text)
        assert assets and all(url.startswith("/api/") for url in assets), assets
        assert all(outer.get(url).status_code == 200 for url in assets), assets


# --- thumbnails at a time, HEAD --------------------------------------------------------------------


def test_a_thumbnail_at_a_time_is_that_frame_kept_inside_its_segment(plain: TestClient, engine: VideoSearch) -> None:
    _video_id, (red, blue, green) = _ids(engine)  # 0-4 s, 4-7 s, 7-12 s
    assert _colour(plain.get(f"/segments/{red}/thumbnail", params={"time": 2.0}).content) == "red"
    assert _colour(plain.get(f"/segments/{blue}/thumbnail", params={"time": 5.5}).content) == "blue"
    assert _colour(plain.get(f"/segments/{green}/thumbnail", params={"time": 1.0}).content) == "green"  # kept in
    for time_ in ("-1", "nan", "inf", "soon"):
        refused = plain.get(f"/segments/{red}/thumbnail", params={"time": time_})
        assert refused.status_code == 422 and refused.json()["error"].startswith("query parameter time"), time_


def test_head_on_a_stream_gives_its_headers_without_the_file(
    plain: TestClient, guarded: TestClient, engine: VideoSearch, coloured: Path
) -> None:
    video_id, segments = _ids(engine)
    size = coloured.stat().st_size
    head = plain.head(f"/videos/{video_id}/stream")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(size) and head.headers["accept-ranges"] == "bytes"
    assert head.headers["content-type"] == "video/mp4"
    part = plain.head(f"/videos/{video_id}/stream", headers={"Range": "bytes=0-9"})
    assert part.status_code == 206 and part.headers["content-range"] == f"bytes 0-9/{size}" and part.content == b""
    assert plain.head("/videos/9999/stream").status_code == 404
    assert guarded.head(f"/videos/{video_id}/stream").status_code == 401
    signed = guarded.get(f"/videos/{video_id}", headers=AUTH).json()["stream_url"]
    assert guarded.head(signed).status_code == 200
    thumb = plain.head(f"/segments/{segments[0]}/thumbnail")
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg" and thumb.content == b""
    assert thumb.headers["content-length"] == str(len(plain.get(f"/segments/{segments[0]}/thumbnail").content))
    assert plain.head("/segments/9999/thumbnail").status_code == 404


# --- transcript and timeline -----------------------------------------------------------------------


def test_the_transcript_is_speech_and_screen_text_in_time_order(plain: TestClient, engine: VideoSearch) -> None:
    video_id, _segments = _ids(engine)
    answer = plain.get(f"/videos/{video_id}/transcript").json()
    spans = answer["spans"]
    assert answer["video_id"] == video_id and {span["modality"] for span in spans} == {"speech", "ocr"}
    assert [(s["start"], s["end"], s["text"]) for s in spans if s["modality"] == "speech"] == list(SENTENCES)
    assert {s["text"] for s in spans if s["modality"] == "ocr"} >= {"RED SUNSET BOULEVARD", "GREEN VALLEY TOUR"}
    assert [s["start"] for s in spans] == sorted(s["start"] for s in spans)
    assert all(set(s) == {"modality", "start", "end", "text"} for s in spans)  # one audio track: no `track`
    assert "Bark" not in str(spans)
    assert plain.get("/videos/9999/transcript").status_code == 404
    assert plain.get("/videos/0/transcript").status_code == 422


def test_the_timeline_marks_where_the_query_matches_in_each_modality(plain: TestClient, engine: VideoSearch) -> None:
    video_id, _segments = _ids(engine)
    answer = plain.get(f"/videos/{video_id}/timeline", params={"q": "  ships harbour "}).json()
    assert answer["query"] == "ships harbour" and answer["video_id"] == video_id
    speech = [mark for mark in answer["marks"] if mark["modality"] == "speech"]
    assert [(m["start"], m["end"], m["text"]) for m in speech] == [(8.0, 11.0, SENTENCES[1][2])]
    assert all(0 < mark["score"] <= 1 for mark in answer["marks"])
    assert [m["start"] for m in answer["marks"]] == sorted(m["start"] for m in answer["marks"])
    green = plain.get(f"/videos/{video_id}/timeline", params={"q": "green", "modalities": "visual"}).json()["marks"]
    assert green and {m["modality"] for m in green} == {"visual"} and min(m["start"] for m in green) >= 6.9
    assert plain.get(f"/videos/{video_id}/timeline", params={"q": "   "}).status_code == 422
    assert plain.get(f"/videos/{video_id}/timeline", params={"q": "x", "modalities": "smell"}).status_code == 422
    assert plain.get("/videos/9999/timeline", params={"q": "ships"}).status_code == 404


# --- live and ready --------------------------------------------------------------------------------


def test_health_is_live_at_once_and_ready_once_the_models_are_loaded(index: Path) -> None:
    with _engine(index) as engine:
        client = TestClient(create_app(engine, ApiOptions(token=TOKEN)))
        assert client.get("/health").json() == {"status": "ok", "videos": 1, "models": "idle"}
        idle = client.get("/ready")
        assert idle.status_code == 503 and idle.json()["state"] == "idle" and "first query" in idle.json()["error"]
        engine.load_in_background()
        deadline = time.monotonic() + 30
        while client.get("/ready").status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.05)
        ready = client.get("/ready")
        assert ready.status_code == 200 and ready.json()["state"] == "ready" and ready.json()["seconds"] >= 0
        assert client.get("/health").json()["models"] == "ready"


@pytest.mark.parametrize("token", [None, TOKEN])
def test_ready_says_why_not_in_one_line(
    engine: VideoSearch, monkeypatch: pytest.MonkeyPatch, token: str | None
) -> None:
    client = TestClient(create_app(engine, ApiOptions(token=token)))
    monkeypatch.setattr(engine, "readiness", lambda: Readiness(LoadState.LOADING, "", 4.2))
    loading = client.get("/ready")
    assert loading.status_code == 503 and loading.headers["retry-after"] == "2"
    assert loading.json() == {"error": loading.json()["error"], "state": "loading", "seconds": 4.2}
    assert "loading (4 s so far)" in loading.json()["error"]
    assert client.get("/health").status_code == 200 and client.get("/health").json()["models"] == "loading"
    reason = "the sentence model cannot be had: /root/.cache/huggingface is empty\nsecond line"
    monkeypatch.setattr(engine, "readiness", lambda: Readiness(LoadState.FAILED, reason, 1.0))
    failed = client.get("/ready")
    assert failed.status_code == 503 and failed.json()["state"] == "failed" and "\n" not in failed.json()["error"]
    assert ("/root/.cache" in failed.json()["error"]) == (token is None)  # with a token, no details unasked


def test_an_empty_index_is_ready_at_once(tmp_path: Path) -> None:
    Store.open(tmp_path / "index", create=True).close()
    with _engine(tmp_path / "index") as engine:
        engine.load_in_background()
        client = TestClient(create_app(engine, ApiOptions()))
        deadline = time.monotonic() + 10
        while client.get("/ready").status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert client.get("/ready").json()["state"] == "ready"


# --- docs offline, OpenAPI -----------------------------------------------------------------------


def _assets(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]+)"', html)


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_docs_load_their_scripts_from_the_api_itself(guarded: TestClient, page: str) -> None:
    html = guarded.get(page)
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assets = _assets(html.text)
    assert any(url.endswith(".js") for url in assets), assets
    assert not re.search(r"https?://", html.text), "the page names an outside address"
    for url in assets:  # no token needed: a browser opens /docs by its address
        answer = guarded.get(url)
        assert answer.status_code == 200 and len(answer.content) > 500, url
    assert "/openapi.json" in html.text and guarded.get("/openapi.json").status_code == 200


@pytest.mark.parametrize("token", [None, TOKEN])
def test_every_operation_lists_the_errors_it_can_answer(engine: VideoSearch, token: str | None) -> None:
    """Walks the whole document, so a route added later cannot leave its errors out."""
    document = TestClient(create_app(engine, ApiOptions(token=token))).get("/openapi.json").json()
    open_routes = {"/health", "/ready"}
    operations = [(path, method, op) for path, ops in document["paths"].items() for method, op in ops.items()]
    assert {(path, method) for path, method, _op in operations} >= {
        ("/videos/{video_id}/transcript", "get"),
        ("/videos/{video_id}/timeline", "get"),
        ("/videos/{video_id}/stream", "head"),
        ("/segments/{segment_id}/thumbnail", "head"),
        ("/ready", "get"),
    }
    for path, method, operation in operations:
        listed = {int(status) for status in operation["responses"] if int(status) >= 400}
        assert 500 in listed, (path, method)
        if operation.get("parameters") or operation.get("requestBody"):
            assert 422 in listed, (path, method)
        assert (401 in listed) == (token is not None and path not in open_routes), (path, method)
        if "{" in path:
            assert 404 in listed, (path, method)
        names = {parameter["name"] for parameter in operation.get("parameters", [])}
        media = path.endswith(("/stream", "/thumbnail", "/subtitles.vtt", "/subtitles.srt"))
        assert ({"expires", "signature"} <= names) == (media and token is not None), (path, method)
    assert 503 in {int(s) for s in document["paths"]["/ready"]["get"]["responses"]}
    assert (
        document["paths"]["/videos/{video_id}/stream"]["head"]["operationId"]
        != (document["paths"]["/videos/{video_id}/stream"]["get"]["operationId"])
    )
