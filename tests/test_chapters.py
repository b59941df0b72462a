"""Chapters: a video that talks about one thing and then another gets a boundary where the talk
changes, on the shot cut nearby; titles come from its screen text, else from what is said, else
from its shots; the CLI and the API give them."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from indexer.types import Modality
from search import VideoSearch
from search.chapters import Material, chapters, depth_scores, gap_similarity, place
from search.errors import VideoNotFound
from search.summary import titles
from search.types import SegmentRecord, SpanRecord, VideoRecord
from tests.fakes import fake_engine, fake_models
from tests.media import Shot, shots_video
from vidsearch.api import ApiOptions, create_app
from vidsearch.cli import main
from vidsearch.library import index_paths
from vidsearch.settings import Settings

CUTS = (14.0, 24.0)
SHOTS = (Shot("red", 14.0), Shot("blue", 10.0), Shot("green", 6.0))
"""30 s: red (its caption RED SUNSET BOULEVARD), blue (BLUE LAGOON 42), green (GREEN VALLEY TOUR)."""
COOKING = (
    (1.0, 3.5, "Stir the rice into the hot pan of risotto"),
    (4.0, 6.5, "Add saffron to the rice and stir the risotto"),
    (7.0, 9.5, "The risotto rice needs more stock and saffron"),
    (10.0, 12.0, "Serve the saffron risotto rice warm"),
)
TRAINS = (
    (15.5, 18.0, "The train to the city leaves from platform four"),
    (18.5, 21.0, "Trains to the airport leave the platform hourly"),
    (21.5, 24.0, "The night train waits at platform four"),
    (25.0, 28.0, "Buy a train ticket before the platform gate"),
)
"""The talk turns from cooking to trains at 15.5 s, 1.5 s after the cut at 14 s."""
SOUNDS = ((0.0, 30.0, "Speech", 1.0), (5.0, 8.0, "Applause", 0.8), (19.0, 20.0, "Bark", 0.6))


def index_two_topics(folder: Path, video: Path, screen: bool = True) -> Path:
    """An index of the three-shot video saying COOKING then TRAINS, with its colour captions on
    screen when `screen`."""
    kinds = tuple(m for m in Modality if screen or m != Modality.OCR)
    report = index_paths([video], folder, Settings(modalities=kinds), models=fake_models(COOKING + TRAINS, SOUNDS))
    assert report.failed == () and len(report.indexed) == 1
    return folder


def engine(index: Path) -> VideoSearch:
    return fake_engine(index)


@pytest.fixture(scope="module")
def two_topics(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("topics") / "topics.mp4"
    assert shots_video(path, SHOTS) == list(CUTS)
    return path


@pytest.fixture(scope="module")
def shown(tmp_path_factory: pytest.TempPathFactory, two_topics: Path) -> Path:
    return index_two_topics(tmp_path_factory.mktemp("shown") / "index", two_topics)


@pytest.fixture(scope="module")
def said(tmp_path_factory: pytest.TempPathFactory, two_topics: Path) -> Path:
    return index_two_topics(tmp_path_factory.mktemp("said") / "index", two_topics, screen=False)


def _only(index: Path) -> tuple[int, float]:
    with engine(index) as opened:
        (video,) = opened.videos()
        return video.id, video.duration


def test_the_boundary_falls_on_the_cut_where_the_talk_changes_topic(said: Path) -> None:
    video, duration = _only(said)
    with engine(said) as opened:
        found = opened.chapters(video)
    assert (found[0].start, found[0].end, found[1].start) == (0.0, 14.0, 14.0)  # on the cut, not at 15.5 s
    assert found[-1].end == duration and all(a.end == b.start for a, b in itertools.pairwise(found))
    assert all(c.source == "speech" for c in found)
    assert "risotto" in found[0].title and "platform" in found[1].title
    assert found[0].title in {text for _, _, text in COOKING}  # a sentence said, whole (no full stop to drop)


def test_titles_come_from_the_screen_text_shown_as_a_chapter_opens(shown: Path) -> None:
    video, duration = _only(shown)
    with engine(shown) as opened:
        found = opened.chapters(video)
    assert [c.to_json() for c in found] == [
        {"start": 0.0, "end": 14.0, "title": "RED SUNSET BOULEVARD", "source": "screen"},
        {"start": 14.0, "end": 24.0, "title": "BLUE LAGOON 42", "source": "screen"},
        {"start": 24.0, "end": round(duration, 3), "title": "GREEN VALLEY TOUR", "source": "screen"},
    ]  # the last shot's own title card, on a cut, opens a chapter of its own


def test_a_video_without_words_is_cut_by_its_shots(tmp_path: Path, coloured: Path) -> None:
    index = tmp_path / "index"
    models = fake_models((), ())
    report = index_paths([coloured], index, Settings(modalities=(Modality.VISUAL,)), models=models)
    assert report.failed == ()
    with engine(index) as opened:
        (video,) = opened.videos()
        found = opened.chapters(video.id)
    assert [c.to_json() for c in found] == [
        {"start": 0.0, "end": round(video.duration, 3), "title": "Shots 1–3", "source": "shots"}
    ]  # 12 s: too short for two chapters of at least 10 s


def _video(duration: float) -> VideoRecord:
    return VideoRecord(1, Path("/v.mp4"), "h", 1, 0.0, duration, 25.0, 320, 240, (Modality.VISUAL,))


def test_shots_that_look_alike_make_one_chapter() -> None:
    segments = tuple(SegmentRecord(n + 1, 1, 10.0 * n, 10.0 * (n + 1)) for n in range(4))
    red, blue = np.array([1.0, 0.0, 0.0], np.float32), np.array([0.0, 0.0, 1.0], np.float32)
    looking = Material(_video(40.0), segments, looks=(red, red, blue, blue))
    assert [(c.start, c.end, c.title) for c in chapters(looking)] == [
        (0.0, 20.0, "Shots 1–2"),
        (20.0, 40.0, "Shots 3–4"),
    ]
    blind = Material(_video(40.0), segments)
    assert [c.title for c in chapters(blind)] == ["Shot 1", "Shot 2", "Shot 3", "Shot 4"]


def test_a_short_clip_spoken_over_in_one_sentence_is_one_chapter_titled_by_it() -> None:
    video = _video(13.0)
    segments = (SegmentRecord(1, 1, 0.0, 5.0), SegmentRecord(2, 1, 5.0, 13.0))
    said = "This is the optical and science segment of the Webb space telescope in a cleanroom"
    sentence = SpanRecord(7, video, Modality.SPEECH, 0.3, 11.0, said, 0.9)
    one = Material(video, segments, said=(sentence,), vectors={7: np.array([1.0, 0.0], np.float32)})
    ((chapter,),) = [chapters(one)]
    assert (chapter.start, chapter.end, chapter.source) == (0.0, 13.0, "speech")
    assert chapter.title.startswith("This is the optical and science segment")
    hello = SpanRecord(7, video, Modality.SPEECH, 0.3, 3.0, "Hello there, all of you", 0.9)
    brief = Material(video, segments, said=(hello,), vectors={7: np.array([1.0, 0.0], np.float32)})
    assert len(chapters(brief)) == 2, "a few words over a little of it: cut by its shots"


def test_similarity_dips_and_depth_peaks_at_the_change_of_topic() -> None:
    first, second = np.eye(2, dtype=np.float32)
    rows = np.stack([first, first, first, second, second, second])
    similarity = gap_similarity(rows, 2)
    assert int(np.argmin(similarity)) == 2 and similarity[2] == pytest.approx(0.0)
    assert int(np.argmax(depth_scores(similarity))) == 2


def test_a_boundary_moves_to_a_cut_only_between_sentences() -> None:
    said = [(10.0, 13.0), (15.5, 18.0)]
    assert place(15.5, [14.0], said) == 14.0
    assert place(15.5, [17.0], said) == pytest.approx(14.5)  # the cut is inside a sentence: the pause instead
    assert place(15.5, [9.0], said) == pytest.approx(14.5)  # too far: the pause, a second before the words


def test_an_unknown_video_has_no_chapters(shown: Path) -> None:
    with engine(shown) as opened, pytest.raises(VideoNotFound):
        opened.chapters(999)


def test_cli_prints_the_chapters(shown: Path, two_topics: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["chapters", str(two_topics), "--index", str(shown), "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["video"] == str(two_topics) and [c["title"] for c in answer["chapters"]] == [
        "RED SUNSET BOULEVARD",
        "BLUE LAGOON 42",
        "GREEN VALLEY TOUR",
    ]
    assert main(["chapters", str(two_topics), "--index", str(shown)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1:3] == ["  00:00–00:14  RED SUNSET BOULEVARD  (screen)", "  00:14–00:24  BLUE LAGOON 42  (screen)"]


def test_api_gives_the_chapters(shown: Path) -> None:
    video, _duration = _only(shown)
    with engine(shown) as opened:
        client = TestClient(create_app(opened, ApiOptions()))
        answer = client.get(f"/videos/{video}/chapters")
        missing = client.get("/videos/999/chapters")
    assert answer.status_code == 200, answer.text
    assert answer.json()["video_id"] == video and answer.json()["chapters"][1]["start"] == 14.0
    assert missing.status_code == 404 and "999" in missing.json()["error"]


def test_a_short_clip_keeps_its_title_and_slide_numbers_are_never_titles() -> None:
    clip = _video(10.0)
    silent = SpanRecord(1, clip, Modality.OCR, 2.0, 8.0, "SILENT FILM", 0.95)
    (chapter,) = chapters(Material(clip, (SegmentRecord(1, 1, 0.0, 10.0),), shown=(silent,)))
    assert (chapter.title, chapter.source) == ("SILENT FILM", "screen"), "shown 6 s of 10: a title, not a watermark"
    talk = _video(80.0)
    slides = [(0.0, 20.0, "PHOTOSYNTHESIS"), (20.0, 40.0, "THE ROMAN EMPIRE"), (40.0, 60.0, "VOLCANOES")]
    shown = [
        SpanRecord(10 + n, talk, Modality.OCR, start, end, text, 0.95) for n, (start, end, text) in enumerate(slides)
    ] + [SpanRecord(n, talk, Modality.OCR, 20.0 * n, 20.0 * (n + 1), f"Slide{n + 1}", 0.95) for n in range(4)]
    material = Material(
        talk, tuple(SegmentRecord(n + 1, 1, 20.0 * n, 20.0 * (n + 1)) for n in range(4)), shown=tuple(shown)
    )
    assert [c.title for c in chapters(material)] == ["PHOTOSYNTHESIS", "THE ROMAN EMPIRE", "VOLCANOES", "Shot 4"]
    assert [t.text for t in titles(material)] == ["PHOTOSYNTHESIS", "THE ROMAN EMPIRE", "VOLCANOES"]
