"""Screen text end to end with the real OCR model on videos drawn by ffmpeg: text that changes by
a character keeps every reading with its time, spans end at cuts, and text turned sideways
either way is read."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.encoders.ocr import RapidOcr
from indexer.pipeline import Models, VideoIndexer
from indexer.types import TextSpan
from tests.media import Caption, Shot, boards_video, font, sideways_video
from vidsearch.settings import Settings

pytestmark = [pytest.mark.models, pytest.mark.slow]  # loads the real PP-OCR


@pytest.fixture(scope="module")
def fontfile() -> Path:
    found = font()
    if found is None:
        pytest.skip("no TrueType font for ffmpeg drawtext (install fonts-dejavu-core)")
    return found


@pytest.fixture(scope="module")
def reader() -> RapidOcr:
    return RapidOcr()


def screen_text(path: Path, reader: RapidOcr) -> list[TextSpan]:
    return list(VideoIndexer(Settings().index_params(), Models(ocr=reader)).index(path).spans)


def span_reading(spans: list[TextSpan], text: str) -> TextSpan:
    """The one span that reads `text` (case and spacing aside)."""
    key = text.lower().replace(" ", "")
    found = [s for s in spans if s.text.lower().replace(" ", "") == key]
    assert len(found) == 1, f"{text!r} read {len(found)} times: {[(s.text, s.start, s.end) for s in spans]}"
    return found[0]


def test_a_gate_number_changed_on_the_same_background_keeps_both_readings(
    tmp_path: Path, fontfile: Path, reader: RapidOcr
) -> None:
    path = tmp_path / "gate.mp4"
    captions = [
        Caption("GATE B12 BOARDING", 0.0, 5.0, 22, "(w-tw)/2", "h-th-40"),
        Caption("GATE B14 BOARDING", 5.0, 10.0, 22, "(w-tw)/2", "h-th-40"),
    ]
    assert boards_video(path, [Shot("darkslategray", 10.0)], captions, fontfile) == []
    spans = screen_text(path, reader)
    for caption in captions:
        span = span_reading(spans, caption.text)
        assert span.start == pytest.approx(caption.start, abs=0.5) and span.end == pytest.approx(caption.end, abs=0.5)


def test_a_platform_changed_at_a_cut_is_split_at_the_cut(tmp_path: Path, fontfile: Path, reader: RapidOcr) -> None:
    path = tmp_path / "platform.mp4"
    captions = [
        Caption("PLATFORM 4", 0.0, 4.6, 40, "40", "40"),
        Caption("PLATFORM 7", 4.6, 9.0, 40, "40", "40"),
    ]
    cuts = boards_video(path, [Shot("navy", 4.6), Shot("darkred", 4.4)], captions, fontfile)
    spans = screen_text(path, reader)
    for caption in captions:
        span = span_reading(spans, caption.text)
        assert span.start == pytest.approx(caption.start, abs=0.05) and span.end == pytest.approx(caption.end, abs=0.05)
    assert cuts == [pytest.approx(4.6)]


@pytest.mark.parametrize(("turn", "reads"), [(1, "top to bottom"), (2, "bottom to top")])
def test_text_turned_sideways_either_way_is_read(
    tmp_path: Path, fontfile: Path, reader: RapidOcr, turn: int, reads: str
) -> None:
    path = tmp_path / f"sideways{turn}.mp4"
    sideways_video(path, 3.0, "HARBOUR TOUR", turn, fontfile)
    spans = screen_text(path, reader)
    span = span_reading(spans, "HARBOUR TOUR")
    assert span.start == pytest.approx(0.0, abs=0.5) and span.end == pytest.approx(3.0, abs=0.5), reads
