"""Summaries: the few sentences that cover a video (one per topic, not two alike), its screen
titles, its main sounds and its language, each quoting a stored span at its time; from the
engine, the CLI and the API."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from indexer.types import Modality
from search.chapters import Material
from search.errors import VideoNotFound
from search.summary import languages, mmr, titles
from search.types import SpanRecord, VideoRecord
from tests.test_chapters import COOKING, TRAINS, engine, shown, two_topics
from vidsearch.api import ApiOptions, create_app
from vidsearch.cli import main

__all__ = ["shown", "two_topics"]  # the fixtures, shared with test_chapters

SAID = {text: (start, end) for start, end, text in COOKING + TRAINS}


def _video(index: Path) -> int:
    with engine(index) as opened:
        return opened.videos()[0].id


def test_two_sentences_cover_both_topics_at_their_times(shown: Path) -> None:
    with engine(shown) as opened:
        summary = opened.summary(_video(shown), sentences=2)
    spoken = [item for item in summary.items if item.kind == "speech"]
    assert len(spoken) == 2
    assert {"risotto" in item.text for item in spoken} == {True, False}  # one on cooking, one on trains
    assert all(SAID[item.text] == (item.start, item.end) for item in spoken)
    assert summary.languages == ("en",)


def test_titles_and_sounds_are_listed_with_their_times_in_time_order(shown: Path) -> None:
    with engine(shown) as opened:
        summary = opened.summary(_video(shown))
    screen = [(item.text, round(item.start)) for item in summary.items if item.kind == "screen"]
    assert screen == [("RED SUNSET BOULEVARD", 0), ("BLUE LAGOON 42", 14), ("GREEN VALLEY TOUR", 24)]
    sounds = [(item.text, item.start, item.end) for item in summary.items if item.kind == "sound"]
    assert sounds == [("Applause", 5.0, 8.0), ("Bark", 19.0, 20.0)]  # speech is said, not listed as a sound
    starts = [item.start for item in summary.items]
    assert starts == sorted(starts)


def test_as_many_sentences_as_asked(shown: Path) -> None:
    with engine(shown) as opened:
        video = _video(shown)
        none = opened.summary(video, sentences=0)
        every = opened.summary(video, sentences=20)
    assert not any(item.kind == "speech" for item in none.items)
    assert [item.text for item in every.items if item.kind == "speech"] == list(SAID)


def test_mmr_does_not_pick_the_same_thing_twice() -> None:
    rows = np.array([[1.0, 0.0], [1.0, 0.0], [0.6, 0.8]], np.float32)
    assert mmr(rows @ rows.T, rows @ np.array([0.9, 0.436], np.float32), 2) == [0, 2]


def test_an_unknown_video_has_no_summary(shown: Path) -> None:
    with engine(shown) as opened, pytest.raises(VideoNotFound):
        opened.summary(999)


def test_cli_prints_the_summary(shown: Path, two_topics: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["summary", str(two_topics), "--index", str(shown), "--sentences", "1", "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["languages"] == ["en"] and sum(item["kind"] == "speech" for item in answer["items"]) == 1
    assert main(["summary", str(two_topics), "--index", str(shown)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith("languages: en")
    assert "  00:00–00:14  screen  “RED SUNSET BOULEVARD”" in lines


def test_api_gives_the_summary(shown: Path) -> None:
    video = _video(shown)
    with engine(shown) as opened:
        client = TestClient(create_app(opened, ApiOptions()))
        answer = client.get(f"/videos/{video}/summary", params={"sentences": 2})
        wrong = client.get(f"/videos/{video}/summary", params={"sentences": -1})
        missing = client.get("/videos/999/summary")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["video_id"] == video and body["languages"] == ["en"]
    assert sum(item["kind"] == "speech" for item in body["items"]) == 2
    assert wrong.status_code == 422 and missing.status_code == 404


def test_a_title_read_two_ways_is_listed_once_as_its_best_reading() -> None:
    video = VideoRecord(1, Path("/v/lecture.mp4"), "", 1, 0.0, 20.0, 25.0, 320, 240, (Modality.OCR,), "en")

    def screen(start: float, end: float, text: str, confidence: float) -> SpanRecord:
        return SpanRecord(int(start * 10), video, Modality.OCR, start, end, text, confidence)

    found = titles(
        Material(
            video,
            shown=(
                screen(5.0, 9.0, "THE PLANETS OF THE SOLAR SYSTEM", 0.95),
                screen(9.0, 10.2, "THE PLANETS OF HE SOLAR SYSTEN", 0.7),
                screen(16.0, 20.0, "QUESTIONS AND ANSWERS", 0.9),
            ),
        )
    )
    assert [(t.start, t.text) for t in found] == [
        (5.0, "THE PLANETS OF THE SOLAR SYSTEM"),
        (16.0, "QUESTIONS AND ANSWERS"),
    ]


def test_latin_screen_text_in_a_video_without_speech_tells_no_language() -> None:
    silent = VideoRecord(1, Path("/v/counter.mp4"), "", 1, 0.0, 30.0, 25.0, 320, 240, (Modality.OCR,), "")
    spoken = VideoRecord(2, Path("/v/talk.mp4"), "", 1, 0.0, 30.0, 25.0, 320, 240, (Modality.OCR,), "it")
    credits = SpanRecord(1, silent, Modality.OCR, 0.0, 3.0, "THE PEACH OPEN MOVIE PROJECT PRESENTS", 0.9)
    chinese = SpanRecord(2, silent, Modality.OCR, 0.0, 3.0, "北京欢迎你", 0.9)
    titled = SpanRecord(3, spoken, Modality.OCR, 0.0, 3.0, "CENTRO STORICO", 0.9)
    assert languages(Material(silent, shown=(credits,))) == ()
    assert languages(Material(silent, shown=(credits, chinese))) == ("zh",)
    assert languages(Material(spoken, shown=(titled,))) == ("it",)
