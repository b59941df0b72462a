"""What a video view needs from the engine: the transcript beside the player, the timeline of
where a query matches along the whole video, results grouped by video, and models loaded before
the first query (with their state told while they load)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest

from indexer.errors import ModelUnavailable
from indexer.types import Modality
from search import VideoSearch
from search.errors import VideoNotFound
from search.types import Hit, LoadState, group_by_video
from tests.conftest import ColourTexts
from tests.fakes import HashedWords, fake_models
from tests.test_multimodal import ALL, SENTENCES, SOUNDS
from vidsearch.library import index_paths
from vidsearch.settings import Settings


@pytest.fixture
def indexed(tmp_path: Path, coloured: Path) -> Path:
    index = tmp_path / "index"
    assert index_paths([coloured], index, ALL, models=fake_models(SENTENCES, SOUNDS)).failed == ()
    return index


def _engine(index: Path, **given: object) -> VideoSearch:
    texts = given.pop("texts", ColourTexts())
    return VideoSearch(index, ALL, texts=texts, sentences=HashedWords())  # type: ignore[arg-type]


def test_the_transcript_is_what_was_said_and_shown_in_time_order(indexed: Path) -> None:
    with _engine(indexed) as engine:
        video = engine.videos()[0]
        spans = engine.transcript(video.id)
        said = [s.text for s in spans if s.modality == Modality.SPEECH]
        shown = {s.text for s in spans if s.modality == Modality.OCR}
        with pytest.raises(VideoNotFound):
            engine.transcript(video.id + 1000)
    assert said == [text for _, _, text in SENTENCES]
    assert "GREEN VALLEY TOUR" in shown
    assert [s.start for s in spans] == sorted(s.start for s in spans)


def test_the_timeline_marks_every_place_the_query_matches_and_nothing_else(indexed: Path) -> None:
    with _engine(indexed) as engine:
        video = engine.videos()[0]
        marks = engine.timeline(video.id, "the ships leave the harbour")
        nothing = engine.timeline(video.id, "quantum chromodynamics lecture", (Modality.SPEECH,))
    speech = [m for m in marks if m.modality == Modality.SPEECH]
    assert [(m.start, m.end) for m in speech][:1] == [pytest.approx((8.0, 11.0))]
    assert speech[0].text.startswith("The ships") and 0 < speech[0].score <= 1
    assert [m.start for m in marks] == sorted(m.start for m in marks)
    assert nothing == []


def test_the_timeline_lane_of_pictures_marks_the_segments_that_look_like_it(indexed: Path) -> None:
    with _engine(indexed) as engine:
        video, segments = engine.video(engine.videos()[0].id)
        marks = engine.timeline(video.id, "green", (Modality.VISUAL,))
    assert marks and all(m.modality == Modality.VISUAL for m in marks)
    bounds = {(s.start, s.end) for s in segments}
    assert all((m.start, m.end) in bounds for m in marks)
    assert any(m.start <= 9.5 < m.end for m in marks)  # the green shot


def _hit(video: str, start: float, score: float) -> Hit:
    return Hit(Path(video), start, start + 1, score, (), (), True, hash(video) % 100)


def test_results_group_by_video_best_moment_first() -> None:
    hits = [_hit("/a.mp4", 5, 0.9), _hit("/b.mp4", 1, 0.8), _hit("/a.mp4", 20, 0.7), _hit("/c.mp4", 3, 0.6)]
    groups = group_by_video(hits)
    assert [g.video.name for g in groups] == ["a.mp4", "b.mp4", "c.mp4"]
    assert [h.start for h in groups[0].hits] == [5, 20] and groups[0].score == 0.9
    assert groups[0].to_json()["hits"][1]["start"] == 20


def test_models_load_in_the_background_and_say_when_they_are_ready(indexed: Path) -> None:
    gate = threading.Event()

    class SlowTexts(ColourTexts):
        def encode(self, texts: list[str]) -> np.ndarray:
            gate.wait(10)
            return super().encode(texts)

    with _engine(indexed, texts=SlowTexts()) as engine:
        assert engine.readiness().state == LoadState.IDLE
        engine.load_in_background()
        engine.load_in_background()
        assert engine.readiness().state == LoadState.LOADING
        gate.set()
        deadline = time.monotonic() + 10
        while engine.readiness().state == LoadState.LOADING and time.monotonic() < deadline:
            time.sleep(0.02)
        ready = engine.readiness()
        began = time.perf_counter()
        engine.search("green valley tour")
        first = time.perf_counter() - began
    assert ready.state == LoadState.READY and ready.to_json()["state"] == "ready" and ready.seconds > 0
    assert first < 1.0


def test_a_model_that_cannot_load_is_told_in_one_line(indexed: Path) -> None:
    class Missing(ColourTexts):
        def encode(self, texts: list[str]) -> np.ndarray:
            raise ModelUnavailable(Modality.VISUAL, "tiny-clip", "no weights in the cache\nsecond line")

    with _engine(indexed, texts=Missing()) as engine:
        engine.load_in_background()
        deadline = time.monotonic() + 10
        while engine.readiness().state == LoadState.LOADING and time.monotonic() < deadline:
            time.sleep(0.02)
        found = engine.readiness()
    assert found.state == LoadState.FAILED and "no weights" in found.error and "\n" not in found.error


def test_a_thumbnail_asked_past_its_segment_shows_the_segment_not_the_next_shot(indexed: Path) -> None:
    with _engine(indexed) as engine:
        _video, segments = engine.video(engine.videos()[0].id)
        first = segments[0]
        inside = engine.thumbnail(first.id, time=(first.start + first.end) / 2)
        past = engine.thumbnail(first.id, time=first.end + 100)
        nothing = engine.timeline(_video.id, "???")
    colour = [int(np.argmax(p.reshape(-1, 3).mean(axis=0))) for p in (inside, past)]
    assert colour[0] == colour[1]
    assert nothing == []


def test_a_hit_is_pictured_inside_itself_where_long_screen_text_overlaps_it(indexed: Path) -> None:
    from search.fusion import Candidate
    from search.types import Evidence, SegmentRecord

    with _engine(indexed) as engine:
        video = engine.videos()[0]
        said = Evidence(Modality.AUDIO, 0.5, 22.6, 22.56, 67.22, "Speech")
        seed = Candidate(video, 22.56, 67.22, 0.5, 1, said)
        slide = Evidence(Modality.OCR, 0.6, 0.0, 0.0, 22.9, "Slide 1")
        segments = [SegmentRecord(15, video.id, 0.0, 22.9), SegmentRecord(16, video.id, 22.9, 47.2)]
        still = engine._still(seed, segments, (said, slide))
    assert 22.56 <= still.time < 22.9 and still.segment_id == 15, "the slide where it is shown during the hit"


def test_more_like_a_talking_segment_is_not_every_segment_where_someone_talks(tmp_path: Path, coloured: Path) -> None:
    import shutil

    other = tmp_path / "other.mp4"
    shutil.copy(coloured, other)
    index = tmp_path / "talk"
    models = fake_models((), ((0.0, 12.0, "Speech", 0.95), (5.0, 6.0, "Bark", 0.9)))
    assert not index_paths([coloured, other], index, Settings(modalities=("audio",)), models=models).failed
    with VideoSearch(index, Settings(), sentences=HashedWords()) as engine:
        first = engine.videos()[0]
        _video, segments = engine.video(first.id)
        talking = next(s for s in segments if s.end <= 5.0)
        barking = next(s for s in segments if s.start <= 5.0 < s.end)
        assert engine.similar(talking.id) == [], "only 'Speech' is heard there: nothing to be like"
        assert any(e.text == "Bark" for hit in engine.similar(barking.id) for e in hit.evidence)


def test_a_search_that_is_answered_proves_the_models_ready_after_a_failed_load(indexed: Path) -> None:
    class Flaky(ColourTexts):
        calls = 0

        def encode(self, texts: list[str]) -> np.ndarray:
            Flaky.calls += 1
            if Flaky.calls == 1:
                raise ModelUnavailable(Modality.VISUAL, "tiny-clip", "the cache was busy")
            return super().encode(texts)

    with _engine(indexed, texts=Flaky()) as engine:
        engine.load_in_background()
        deadline = time.monotonic() + 10
        while engine.readiness().state == LoadState.LOADING and time.monotonic() < deadline:
            time.sleep(0.02)
        assert engine.readiness().state == LoadState.FAILED
        assert engine.search("green valley tour")
        assert engine.readiness().state == LoadState.READY and engine.readiness().error == ""
