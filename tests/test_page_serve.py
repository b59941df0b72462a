"""What `vidsearch ui` serves besides the page (ui/serve.py): the API at /api over the page's own
engine, reached by the page's signed media URLs; and `streamlit run` finding the ASGI app."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.testclient import TestClient

from tests.fakes import fake_models
from tests.test_multimodal import SENTENCES, SOUNDS
from ui import library
from vidsearch.library import index_paths
from vidsearch.page import INDEX_ENV
from vidsearch.settings import Settings

SERVE = Path(__file__).resolve().parent.parent / "ui" / "serve.py"


def test_streamlit_run_serves_the_page_and_api_as_one_asgi_app() -> None:
    from streamlit.web.server.app_discovery import discover_asgi_app

    found = discover_asgi_app(SERVE)
    assert found.is_asgi_app and found.import_string == "serve:app"


@pytest.fixture
def client(tmp_path: Path, coloured: Path, monkeypatch: pytest.MonkeyPatch) -> TestClient:
    """The /api mount of ui/serve.py over a fake-model index (no models load)."""
    from search.engine import VideoSearch
    from ui.serve import Api

    index = tmp_path / "index"
    report = index_paths([coloured], index, Settings(modalities=("speech",)), models=fake_models(SENTENCES, SOUNDS))
    assert report.failed == ()
    monkeypatch.setenv(INDEX_ENV, str(index))
    monkeypatch.setattr(VideoSearch, "load_in_background", lambda _engine: None)
    return TestClient(Starlette(routes=[Mount(library.API_ROOT, app=Api())]))


def test_the_page_s_media_urls_stream_by_range_from_the_page_s_own_engine(client: TestClient) -> None:
    from ui.serve import api, index

    directory = index()
    assert directory is not None
    engine = library.engine(directory)
    assert api(directory).state.service.engine is engine, "the API and the page share one engine"
    video = engine.videos()[0]
    path = f"/videos/{video.id}/stream"
    assert client.get(library.API_ROOT + path).status_code == 401, "the API needs its token or a signature"
    part = client.get(library.media_url(path), headers={"Range": "bytes=0-99"})
    assert part.status_code == 206 and len(part.content) == 100
    assert part.content == video.path.read_bytes()[:100]
    segment = engine.video(video.id)[1][0]
    picture = client.get(library.media_url(f"/segments/{segment.id}/thumbnail") + "&size=64")
    assert picture.status_code == 200 and picture.headers["content-type"] == "image/jpeg"
    token = {"Authorization": f"Bearer {library.token()}"}
    assert client.get(f"{library.API_ROOT}/videos", headers=token).json()["videos"][0]["id"] == video.id


def test_without_an_index_the_api_answers_503_with_the_reason(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ui.serve import Api

    monkeypatch.setenv(INDEX_ENV, str(tmp_path / "nowhere"))
    client = TestClient(Starlette(routes=[Mount(library.API_ROOT, app=Api())]))
    answer = client.get(f"{library.API_ROOT}/health")
    assert answer.status_code == 503 and answer.json()["error"].startswith(f"no index at {tmp_path / 'nowhere'}")
    monkeypatch.delenv(INDEX_ENV)
    assert "vidsearch ui --index DIR" in client.get(f"{library.API_ROOT}/health").json()["error"]
