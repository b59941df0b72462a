"""Keyword coverage, fusion of modalities, and when on-screen text is read: the rules that decide
which moment comes first."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from indexer.encoders.speech import _sentences
from indexer.screentext import ScreenText
from indexer.types import Frame, TextLine
from search.fusion import AGREEMENT, Candidate, fuse
from search.textmatch import coverage, fts_query, terms
from search.types import Evidence, VideoRecord

VIDEO = VideoRecord(1, Path("/v.mp4"), "h", 1, 0.0, 60.0, 25.0, 640, 360)
OTHER = VideoRecord(2, Path("/w.mp4"), "i", 1, 0.0, 60.0, 25.0, 640, 360)


def test_query_terms_drop_filler_and_match_plurals() -> None:
    assert terms("Show me the moment someone says interest rates") == ["interest", "rate"]
    share, words = coverage(terms("interest rates"), "The bank raised its interest rate.")
    assert share == 1.0 and words == ("interest", "rate")


def test_rare_words_and_numbers_weigh_more_than_common_ones() -> None:
    query = terms("platform 42 red")
    assert coverage(query, "Trains leave from platform 42")[0] > coverage(query, "a red platform")[0]


def test_run_together_screen_text_still_matches_when_glued() -> None:
    assert coverage(["caption"], "smallcaptionhere")[0] == 0.0
    assert coverage(["caption"], "smallcaptionhere", glued=True)[0] == 1.0


def test_fts_expression_is_quoted_against_injection() -> None:
    assert fts_query('NEAR(" drop OR *') == '"near" OR "drop"'


def _candidate(modality: str, start: float, end: float, match: float, video: VideoRecord = VIDEO) -> Candidate:
    return Candidate(video, start, end, match, 1, Evidence(modality, match, start, start, end))


def test_overlapping_evidence_of_two_modalities_makes_one_stronger_moment() -> None:
    moments = fuse(
        [_candidate("speech", 10, 14, 0.6), _candidate("ocr", 9, 16, 0.6), _candidate("speech", 30, 33, 0.7)],
        {"speech": 1.0, "ocr": 1.0},
    )
    assert [set(m.best) for m in moments] == [{"speech", "ocr"}, {"speech"}]
    assert moments[0].score == pytest.approx(1 - 0.4 * (1 - AGREEMENT * 0.6)) and moments[0].score > 0.7
    assert (moments[0].seed.start, moments[0].seed.end) == (10, 14)


def test_same_times_in_other_videos_stay_apart_and_weights_count() -> None:
    moments = fuse([_candidate("audio", 0, 2, 0.9), _candidate("speech", 0, 2, 0.5, OTHER)], {"audio": 0.5})
    assert [m.seed.video.id for m in moments] == [2, 1]


def test_what_one_modality_found_at_touching_times_stays_apart() -> None:
    """A counter: "ROUND 2", "ROUND 3", "ROUND 4" on screen one after another. The one asked for
    is its own moment, even when its neighbours match the words better."""
    rounds = [_candidate("ocr", 2, 4, 0.8), _candidate("ocr", 4, 6, 0.7), _candidate("ocr", 6, 8, 0.8)]
    moments = fuse(rounds, {})
    assert sorted((m.seed.start, m.seed.end) for m in moments) == [(2, 4), (4, 6), (6, 8)]


def test_a_weaker_find_of_the_same_thing_joins_its_moment() -> None:
    moments = fuse([_candidate("ocr", 2, 6, 0.8), _candidate("ocr", 3, 5, 0.6), _candidate("speech", 6.2, 8, 0.5)], {})
    assert len(moments) == 1 and set(moments[0].best) == {"ocr", "speech"}
    assert moments[0].best["ocr"].match == 0.8


def test_rrf_ranks_by_position_not_scale() -> None:
    moments = fuse(
        [_candidate("visual", 0, 5, 0.99), _candidate("speech", 20, 22, 0.4), _candidate("ocr", 20, 25, 0.4)],
        {},
        rule="rrf",
    )
    assert set(moments[0].best) == {"speech", "ocr"}


class Script:
    """Reads the text painted by `_frame` (one caption per grey level) and counts reads."""

    name = "script"

    def __init__(self, captions: dict[int, str]) -> None:
        self.captions = captions
        self.reads = 0

    def read(self, image: np.ndarray) -> list[TextLine]:
        self.reads += 1
        text = self.captions.get(int(image[0, 0, 0]), "")
        return [TextLine(text, 0.9, (0, 0, 10, 10))] if text else []


def _frame(time: float, level: int) -> Frame:
    return Frame(int(time * 10), time, np.full((36, 64, 3), level, np.uint8))


def test_screen_text_spans_cover_when_it_is_visible_and_unchanged_frames_are_not_read() -> None:
    reader = Script({100: "OPENING TITLE", 200: "Chapter two"})
    screen = ScreenText(reader, fps=1.0)
    levels = [0] * 20 + [100] * 40 + [200] * 30 + [0] * 10
    for n, level in enumerate(levels):
        screen.push(_frame(n / 10, level))
    spans = screen.finish(10.0)
    assert [(s.text, s.start, s.end) for s in spans] == [("OPENING TITLE", 2.0, 6.0), ("Chapter two", 6.0, 9.0)]
    assert reader.reads == 4


def test_screen_text_still_visible_at_the_end_stops_at_the_end() -> None:
    screen = ScreenText(Script({50: "END CREDITS"}), fps=1.0)
    for n in range(25):
        screen.push(_frame(n / 10, 50))
    assert [(s.start, s.end) for s in screen.finish(2.5)] == [(0.0, 2.5)]


def test_a_long_pause_inside_a_whisper_segment_splits_it() -> None:
    words = [SimpleNamespace(start=a, end=b, word=w) for a, b, w in [(27.4, 28.4, " Plant"), (33.0, 33.2, " the")]]
    words += [
        SimpleNamespace(start=33.2, end=33.7, word=" daffodils."),
        SimpleNamespace(start=34.0, end=34.5, word=" Next"),
    ]
    chunk = SimpleNamespace(start=27.4, end=34.5, text="", avg_logprob=-0.2, words=words)
    assert [(s.start, s.end, s.text) for s in _sentences(chunk)] == [
        (27.4, 28.4, "Plant"),
        (33.0, 33.7, "the daffodils."),
        (34.0, 34.5, "Next"),
    ]
