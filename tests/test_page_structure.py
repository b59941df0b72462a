"""What the page shows of a video's structure: its chapters (on the timeline and as a list), its
summary, its subtitles as the player's track, and "videos like this". The view's data (ui/view.py)
on an index of fake models, and the page itself under AppTest with the engine's answers stubbed
(the component's drawing of them in Chromium is in tests/test_page_view.py)."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from indexer.types import Modality
from search import VideoSearch
from search.chapters import Chapter
from search.errors import SearchError
from search.related import RelatedVideo, VideosLike
from search.summary import Summary, SummaryItem
from search.types import Evidence, Hit
from tests.conftest import ColourTexts
from tests.fakes import HashedWords, fake_models
from tests.test_multimodal import ALL, SOUNDS
from tests.test_page_serve import client  # noqa: F401  (the page's /api mount)
from tests.test_page_view import EVIL, SAID, sign
from tests.test_ui import Fake, fake, page, search, stub, texts, view_data  # noqa: F401  (the `fake` fixture)
from ui import library, view
from vidsearch.library import index_paths

CHAPTERS = (Chapter(0.0, 4.0, "Interest rates", "speech"), Chapter(4.0, 7.0, EVIL, "screen"))
ITEMS = (SummaryItem("speech", 0.5, 3.5, SAID[0][2]), SummaryItem("screen", 4.2, 6.0, EVIL))


def index(folder: Path, coloured: Path, sentences: Any) -> VideoSearch:
    directory = folder / "index"
    assert index_paths([coloured], directory, ALL, models=fake_models(sentences, SOUNDS)).failed == ()
    return VideoSearch(directory, ALL, texts=ColourTexts(), sentences=HashedWords())  # type: ignore[arg-type]


@pytest.fixture
def engine(tmp_path: Path, coloured: Path) -> Iterator[VideoSearch]:
    with index(tmp_path, coloured, SAID) as found:
        yield found


def structured(monkeypatch: pytest.MonkeyPatch, chapters: Any = CHAPTERS, summary: Any = None) -> None:
    """The engine's chapters and summary answer `chapters` and `summary` (a callable raises)."""

    def answer(value: Any) -> Any:
        def method(engine: VideoSearch, video_id: int, *_args: Any) -> Any:
            if callable(value):
                return value()
            return value if value is not None else Summary(video_id, ("en", "fr"), ITEMS)

        return method

    monkeypatch.setattr(VideoSearch, "chapters", answer(list(chapters)))
    monkeypatch.setattr(VideoSearch, "summary", answer(summary))


def test_the_view_data_carries_chapters_summary_and_the_signed_subtitles(
    engine: VideoSearch, monkeypatch: pytest.MonkeyPatch
) -> None:
    structured(monkeypatch)
    video = engine.videos()[0]
    data, notes = view.payload(engine, view.Opened(video.id, 2.0, 1), sign)
    assert notes == []
    assert data["chapters"] == [
        {"start": 0.0, "end": 4.0, "title": "Interest rates", "source": "speech"},
        {"start": 4.0, "end": 7.0, "title": EVIL, "source": "screen"},
    ], "titles are the index's text as data, never escaped or dropped"
    assert data["summary"]["languages"] == ["en", "fr"]
    assert [(i["label"], i["start"], i["text"]) for i in data["summary"]["items"]] == [
        ("said", 0.5, SAID[0][2]),
        ("screen", 4.2, EVIL),
    ]
    assert data["subtitles"] == f"/api/videos/{video.id}/subtitles.vtt?expires=1&signature=ab"
    assert [lane["modality"] for lane in data["lanes"]] == [], (
        "opened without results or a query: no lanes but chapters"
    )


def test_a_video_where_nothing_is_said_has_no_subtitles(
    tmp_path: Path, coloured: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    structured(monkeypatch)
    with index(tmp_path, coloured, ()) as silent:
        video = silent.videos()[0]
        data, _notes = view.payload(silent, view.Opened(video.id, 0.0, 1), sign)
    assert data["subtitles"] is None
    assert {line["modality"] for line in data["transcript"]} == {"ocr"}


def test_chapters_or_a_summary_that_cannot_be_made_are_a_note_not_a_failure(
    engine: VideoSearch, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail() -> None:
        raise SearchError("the sentence vectors are missing")

    structured(monkeypatch, chapters=[], summary=fail)
    video = engine.videos()[0]
    data, notes = view.payload(engine, view.Opened(video.id, 0.0, 1), sign)
    assert data["chapters"] == [] and data["summary"] is None
    assert notes == ["No summary for this video: the sentence vectors are missing"]
    assert data["transcript"], "the rest of the view is still there"


def test_the_view_data_holds_the_engine_s_own_chapters_and_summary(engine: VideoSearch) -> None:
    video = engine.videos()[0]
    data, notes = view.payload(engine, view.Opened(video.id, 0.0, 1), sign)
    assert notes == []
    chapters = data["chapters"]
    assert chapters and chapters[0]["start"] == 0.0 and chapters[-1]["end"] == pytest.approx(video.duration, abs=0.01)
    assert all(a["end"] == b["start"] for a, b in itertools.pairwise(chapters)), "contiguous, in time order"
    assert all(c["title"] for c in chapters)
    said = {line["text"] for line in data["transcript"]}
    items = data["summary"]["items"]
    assert items and all(0 <= i["start"] <= i["end"] <= video.duration + 0.01 for i in items)
    assert {i["text"] for i in items if i["kind"] == "speech"} <= said, "the summary quotes the video"


def test_the_view_s_subtitle_track_loads_webvtt_through_the_page_s_api(client: TestClient) -> None:  # noqa: F811
    from ui.serve import index

    directory = index()
    assert directory is not None
    engine = library.engine(directory)
    video = engine.videos()[0]
    data, _notes = view.payload(engine, view.Opened(video.id, 0.0, 1), library.media_url)
    assert data["subtitles"].startswith(f"/api/videos/{video.id}/subtitles.vtt?expires=")
    assert client.get(data["subtitles"].split("?")[0]).status_code == 401, "signed, like the stream"
    answer = client.get(data["subtitles"])
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/vtt")
    assert answer.text.startswith("WEBVTT") and "interest rates" in " ".join(answer.text.split())


# --- "Videos like this" on the page (AppTest) -------------------------------------------------------


def related(monkeypatch: pytest.MonkeyPatch, similar: list[RelatedVideo], copies: list[RelatedVideo]) -> list[int]:
    """`videos_like` answers `similar` and `copies`; returns the videos asked about."""
    asked: list[int] = []

    def videos_like(_engine: VideoSearch, video_id: int, *_args: Any, **_kwargs: Any) -> VideosLike:
        asked.append(video_id)
        return VideosLike(tuple(similar), tuple(copies))

    monkeypatch.setattr(VideoSearch, "videos_like", videos_like)
    return asked


def test_videos_like_one_are_listed_with_their_copies_apart_and_open_into_the_view(
    fake: Fake,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    alpha, beta = fake.videos
    structured(monkeypatch)
    stub(monkeypatch, [Hit(alpha.path, 0.5, 3.5, 0.7, (), (evidence(),), video_id=alpha.id)])
    copy = dataclasses.replace(beta, path=beta.path.with_name("beta_[copy].mp4"))
    asked = related(monkeypatch, [RelatedVideo(beta, 0.83, False)], [RelatedVideo(copy, 0.97, True, 0.9, -3.0)])
    app = search(page(monkeypatch, fake.directory), "harbour")
    app.button(key="videos-0").click().run()
    assert not app.error and not app.exception and asked == [alpha.id]
    assert texts(app.main.subheader) == ["Videos like alpha\\.mp4", "Copies of alpha\\.mp4"]
    cards = [m for m in texts(app.main.markdown) if m.startswith("**")]
    assert cards == ["**beta\\.mp4** · 00:12", "**beta\\_\\[copy\\]\\.mp4** · 00:12"], "names escaped as Markdown"
    captions = texts(app.main.caption)
    assert captions[0].startswith("similarity 0.83 · ") and captions[1].startswith(
        "copy (re-encoded or trimmed) 0.97 · 3.0 s earlier · "
    )
    assert len(app.main.get("image")) == 2, "each video with its picture"

    app.button(key="open-0").click().run()
    data = view_data(app)
    assert data is not None and data["key"] == str(beta.id) and data["seek"]["time"] == 0.0
    assert [c["title"] for c in data["chapters"]] == ["Interest rates", EVIL]

    app.button(key="videos-view").click().run()
    assert asked == [alpha.id, beta.id] and texts(app.main.subheader)[0] == "Videos like beta\\.mp4"
    app.button(key="back").click().run()
    assert texts(app.main.caption)[0].startswith("1 moment in 1 video")


def test_a_video_like_nothing_says_so(fake: Fake, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    alpha = fake.videos[0]
    stub(monkeypatch, [Hit(alpha.path, 0.5, 3.5, 0.7, (), (evidence(),), video_id=alpha.id)])
    related(monkeypatch, [], [])
    app = search(page(monkeypatch, fake.directory), "harbour")
    app.button(key="videos-0").click().run()
    assert "No other video is like this one." in texts(app.info) and not app.error


def evidence() -> Evidence:
    return Evidence(Modality.SPEECH, 0.7, 0.5, 0.5, 3.5, "the harbour", ("harbour",))
