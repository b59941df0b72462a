"""Search quality a user reads off the cards: fused scores that do not overstate two middling
matches, "more like this" and search by image that return only what is alike, queries about
nothing that return nothing, and thumbnails taken inside the evidence."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from indexer.pipeline import Models
from indexer.types import Modality, TextLine
from search import VideoSearch
from search.fusion import Candidate, fuse
from search.params import IMAGE_FLOOR, Retrieval
from search.retrieval import asks_something
from search.types import Evidence, VideoRecord
from tests.conftest import ColourImages, ColourTexts
from tests.fakes import HashedWords, ScriptedSpeech, fake_models
from tests.media import Shot, font, run, shots_video
from vidsearch.library import index_paths
from vidsearch.settings import Settings

VIDEO = VideoRecord(1, Path("/v.mp4"), "h", 1, 0.0, 60.0, 25.0, 640, 360)
ALL = Settings(modalities=("visual", "speech", "ocr", "audio"))
SENTENCES = (
    (0.5, 3.5, "The bank raised interest rates on savings accounts"),
    (8.0, 11.0, "The ships leave the harbour at dawn"),
)
SOUNDS = ((7.2, 9.0, "Bark", 0.9),)


def _moment(*matches: tuple[Modality, float]) -> float:
    found = [Candidate(VIDEO, 0.0, 2.0, m, 1, Evidence(mod, m, 0.0, 0.0, 2.0)) for mod, m in matches]
    (moment,) = fuse(found, {})
    return moment.score


# --- fused scores -------------------------------------------------------------------------------


def test_two_middling_matches_do_not_read_as_near_certain() -> None:
    middling = _moment((Modality.OCR, 0.53), (Modality.SPEECH, 0.72))
    assert 0.72 < middling < 0.8
    assert _moment((Modality.OCR, 0.53), (Modality.SPEECH, 0.72)) > _moment((Modality.SPEECH, 0.72))


def test_strong_agreement_still_reads_as_near_certain_and_ranks_first() -> None:
    assert _moment((Modality.OCR, 0.85), (Modality.SPEECH, 0.85)) >= 0.9
    agreeing = [
        Candidate(VIDEO, 0.0, 2.0, 0.7, 1, Evidence(Modality.SPEECH, 0.7, 0.0, 0.0, 2.0)),
        Candidate(VIDEO, 0.0, 2.0, 0.6, 1, Evidence(Modality.OCR, 0.6, 0.0, 0.0, 2.0)),
        Candidate(VIDEO, 30.0, 32.0, 0.75, 2, Evidence(Modality.SPEECH, 0.75, 30.0, 30.0, 32.0)),
    ]
    first, second = fuse(agreeing, {})
    assert set(first.best) == {Modality.SPEECH, Modality.OCR} and second.seed.start == 30.0


def test_the_old_noisy_or_is_still_there_to_compare() -> None:
    found = [
        Candidate(VIDEO, 0.0, 2.0, 0.53, 1, Evidence(Modality.OCR, 0.53, 0.0, 0.0, 2.0)),
        Candidate(VIDEO, 0.0, 2.0, 0.72, 1, Evidence(Modality.SPEECH, 0.72, 0.0, 0.0, 2.0)),
    ]
    assert fuse(found, {}, "noisy-or")[0].score == pytest.approx(1 - 0.47 * 0.28)


# --- queries about nothing ----------------------------------------------------------------------

FRAGMENTS = (
    (0.2, 0.6, "I"),
    (1.0, 1.3, "The"),
    (1.6, 1.9, "it."),
    (4.3, 4.8, "Barking!"),
    (8.0, 11.0, "Big ships sail"),
)


@pytest.fixture(scope="module")
def fragments(tmp_path_factory: pytest.TempPathFactory, coloured: Path) -> Path:
    """The red/blue/green video with a transcript of one-word fragments and one sentence."""
    index = tmp_path_factory.mktemp("fragments") / "index"
    models = Models(speech=ScriptedSpeech(FRAGMENTS), sentences=HashedWords())
    assert index_paths([coloured], index, Settings(modalities=("speech",)), models=models).failed == ()
    return index


@pytest.mark.parametrize("query", ["", "   ", "???", "the", "The!", "of it", "...!?", "___"])
def test_a_query_without_words_or_of_stop_words_alone_finds_nothing(fragments: Path, query: str) -> None:
    with VideoSearch(fragments, Settings(), sentences=HashedWords()) as engine:
        assert engine.search(query) == []


def test_words_of_how_people_ask_still_ask_something() -> None:
    assert asks_something("someone talking") and asks_something("3") and asks_something("博物馆")
    assert not asks_something("what is it?") and not asks_something("")


def test_a_one_word_fragment_needs_the_query_s_words_not_meaning_alone(fragments: Path) -> None:
    with VideoSearch(fragments, Settings(), sentences=HashedWords()) as engine:
        (sentence,) = engine.search("hound big ship")
        assert sentence.evidence[0].text == "Big ships sail", "'hound' is near 'Barking!' (0.58), not the word"
        (barking,) = engine.search("barking")
        assert barking.start == pytest.approx(4.3) and barking.evidence[0].words == ("Barking",)
        assert engine.search("boat")[0].start == pytest.approx(8.0), "a sentence is found by meaning"
        assert engine.search("hound")[0].start == pytest.approx(4.3), "the very meaning of a fragment is"
        assert engine.search("asdfgh") == []


# --- more like this, search by image ------------------------------------------------------------


@pytest.fixture(scope="module")
def two_videos(tmp_path_factory: pytest.TempPathFactory, coloured: Path) -> Path:
    """The red/blue/green video, and another of a green shot then a blue one, with the same
    sentences said and sounds heard at the same times (and screen text read from the colour)."""
    folder = tmp_path_factory.mktemp("alike")
    other = folder / "green_blue.mp4"
    shots_video(other, (Shot("green", 4.0), Shot("blue", 8.0)))
    index = folder / "index"
    assert index_paths([coloured, other], index, ALL, models=fake_models(SENTENCES, SOUNDS)).failed == ()
    return index


def _engine(index: Path) -> VideoSearch:
    return VideoSearch(index, Settings(), texts=ColourTexts(), sentences=HashedWords(), images=ColourImages())


def _segment_at(engine: VideoSearch, name: str, time: float) -> int:
    video = next(v for v in engine.videos() if v.path.name == name)
    return next(s.id for s in engine.video(video.id)[1] if s.start <= time < s.end)


def test_more_like_this_returns_the_alike_moments_only(two_videos: Path) -> None:
    with _engine(two_videos) as engine:
        green = _segment_at(engine, "colours.mp4", 9.0)
        hits = engine.similar(green, k=12)
    assert len(hits) == 2, "it does not fill up the cards with whatever is nearest"
    looks, says = hits
    assert (looks.video.name, looks.start) == ("green_blue.mp4", 0.0)
    assert {e.modality for e in looks.evidence} == {Modality.VISUAL, Modality.OCR}, "green, GREEN VALLEY TOUR"
    assert (says.video.name, says.start) == ("green_blue.mp4", 8.0)
    assert {e.modality for e in says.evidence} == {Modality.SPEECH, Modality.AUDIO}, "the ships, the barking"


def test_more_like_this_finds_nothing_when_nothing_is_alike(tmp_path: Path, coloured: Path) -> None:
    """Red, blue and green shots, each with its own sentence, screen text and sound."""
    index = tmp_path / "index"
    assert index_paths([coloured], index, ALL, models=fake_models(SENTENCES, SOUNDS)).failed == ()
    with _engine(index) as engine:
        (video,) = engine.videos()
        segments = engine.video(video.id)[1]
        assert len(segments) == 3 and all(engine.similar(s.id) == [] for s in segments)


def test_search_by_image_returns_only_pictures_that_look_alike(two_videos: Path) -> None:
    green = np.zeros((64, 64, 3), np.uint8)
    green[..., 1] = 200
    yellow = np.zeros((64, 64, 3), np.uint8)
    yellow[..., :2] = 200
    with _engine(two_videos) as engine:
        hits = engine.search_image(green)
        assert hits and all(h.evidence[0].score >= IMAGE_FLOOR for h in hits)
        assert {(h.video.name, round(h.start)) for h in hits} == {("colours.mp4", 7), ("green_blue.mp4", 0)}
        assert engine.search_image(yellow) == [], "half red, half green is neither"


def test_pictures_as_the_query_have_their_own_visual_floor() -> None:
    by_image = Retrieval().by_image()
    assert by_image.floor(Modality.VISUAL) == IMAGE_FLOOR > Retrieval().floor(Modality.VISUAL)
    assert by_image.floor(Modality.SPEECH) == Retrieval().floor(Modality.SPEECH)


# --- thumbnails inside the evidence -------------------------------------------------------------

TITLE = "LECTURE 3 - BINARY SEARCH TREES"
TITLE_FRAME = 60
"""The title appears at frame 60 of 29.97 fps, 2.002 s, where screen text is sampled: its span
starts there, and a time rounded to 2.00 s shows frame 59, without it."""
NTSC = 30000 / 1001


class TitleReader:
    """Reads TITLE on a frame that shows white text (bright pixels), nothing otherwise."""

    name = "fake:title"

    def read(self, image: np.ndarray) -> list[TextLine]:
        height, width = image.shape[:2]
        shown = (image.min(axis=2) > 200).mean() > 0.002
        return [TextLine(TITLE, 0.95, (0.0, 0.0, float(width), float(height) / 4))] if shown else []


def _titled(picture: np.ndarray) -> bool:
    return bool((picture.min(axis=2) > 200).mean() > 0.002)


@pytest.fixture(scope="module")
def lecture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 29.97 fps video of one blue shot; from frame TITLE_FRAME on, TITLE is drawn on it."""
    fontfile = font()
    if fontfile is None:
        pytest.skip("no TrueType font for drawtext")
    folder = tmp_path_factory.mktemp("lecture")
    video = folder / "lecture.mp4"
    after = f"gte(n,{TITLE_FRAME})"
    run(
        [
            "-f",
            "lavfi",
            "-i",
            f"color=c=0x183070:s=320x180:r=30000/1001:d=4,"
            f"drawtext=fontfile={fontfile}:text='LECTURE 3':fontsize=40:fontcolor=white:x=20:y=60:enable='{after}'",
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
            str(video),
        ]
    )
    index = folder / "index"
    models = Models(ocr=TitleReader(), sentences=HashedWords())
    assert index_paths([video], index, Settings(modalities=("ocr",)), models=models).failed == ()
    return index


def test_the_thumbnail_of_screen_text_shows_the_text(lecture: Path) -> None:
    with VideoSearch(lecture, Settings(), sentences=HashedWords()) as engine:
        (hit,) = engine.search("binary search trees")
        (ocr,) = hit.evidence
        assert ocr.start is not None and ocr.end is not None
        assert ocr.start == pytest.approx(TITLE_FRAME / NTSC, abs=0.02) and ocr.start % 0.01 > 1e-3
        assert ocr.start <= ocr.frame < ocr.end and hit.to_json()["matched"]["ocr"]["frame"] == round(ocr.frame, 3)
        segment = next(s for s in hit.segment_ids if engine.segment(s)[0].start <= ocr.frame < engine.segment(s)[0].end)
        shown = engine.thumbnail(segment, time=hit.to_json()["matched"]["ocr"]["frame"])
        before = engine.thumbnail(segment, time=(TITLE_FRAME - 1) / NTSC)
        rounded = engine.thumbnail(segment, time=round(ocr.time, 2))
    assert _titled(shown) and not _titled(before) and not np.array_equal(shown, before)
    assert not _titled(rounded), "what the page asked for before"


def test_the_page_asks_for_the_picture_at_the_evidence(lecture: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ui import app

    asked: list[tuple[int, float]] = []
    monkeypatch.setattr(app, "thumbnail", lambda index, segment, time: asked.append((segment, time)))
    monkeypatch.setattr(app.st, "image", lambda *args, **kwargs: None)
    with VideoSearch(lecture, Settings(), sentences=HashedWords()) as engine:
        (hit,) = engine.search("binary search trees")
        app.show_thumbnail(str(lecture), hit)
        ((segment, time),) = asked
        assert hit.still is not None and (segment, time) == (hit.still.segment_id, hit.still.time)
        assert time == hit.evidence[0].frame and _titled(engine.thumbnail(segment, time=time))


def test_each_kind_of_evidence_has_its_frame_inside_what_matched() -> None:
    shown = Evidence(Modality.OCR, 0.9, 21.023, 21.023, 25.0, TITLE)
    assert shown.frame == pytest.approx(23.0115)
    said = Evidence(Modality.SPEECH, 0.8, 12.4, 11.0, 15.0, "the word")
    assert said.frame == 12.4
    assert Evidence(Modality.SPEECH, 0.8, 15.0, 11.0, 15.0, "x").frame == 13.0, "a time at the end is outside"
    assert Evidence(Modality.VISUAL, 0.3, 7.48).frame == 7.48
