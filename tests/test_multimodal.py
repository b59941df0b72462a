"""Speech, on-screen text and sound events through index and search, with scripted fake models:
what a user sees is the right moment, its evidence, and nothing for queries about nothing."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from indexer.encoders.speech import WhisperSpec
from indexer.encoders.speech import resolve as resolve_whisper
from indexer.encoders.text import SentenceSpec
from indexer.encoders.text import resolve as resolve_sentences
from indexer.errors import ModelUnavailable
from indexer.pipeline import Models
from search import Filters, VideoSearch
from search.errors import SchemaMismatch, SegmentNotFound, VideoFileMissing, VideoNotFound
from search.store import Store
from tests.conftest import ColourImages, ColourTexts
from tests.fakes import HashedWords, ScriptedSpeech, fake_models
from vidsearch.library import index_paths, remove_paths
from vidsearch.settings import Settings

SENTENCES = (
    (0.5, 3.5, "The bank raised interest rates on savings accounts"),
    (4.5, 6.5, "We had a picnic on the river bank"),
    (8.0, 11.0, "The ships leave the harbour at dawn"),
)
SOUNDS = ((1.0, 3.0, "Applause", 0.8), (7.2, 9.0, "Bark", 0.9))
ALL = Settings(modalities=("visual", "speech", "ocr", "audio"))


def _models(**given: object) -> Models:
    return fake_models(SENTENCES, SOUNDS, **given)


@pytest.fixture
def indexed(tmp_path: Path, coloured: Path) -> Path:
    index = tmp_path / "index"
    report = index_paths([coloured], index, ALL, models=_models())
    assert report.failed == () and len(report.indexed) == 1
    return index


def _engine(index: Path, **settings: object) -> VideoSearch:
    return VideoSearch(index, Settings(**settings), texts=ColourTexts(), sentences=HashedWords())  # type: ignore[arg-type]


def test_spoken_words_find_the_sentence_with_its_exact_times_and_matched_words(indexed: Path) -> None:
    with _engine(indexed) as engine:
        top = engine.search("bank interest rates")[0]
    assert (top.start, top.end) == pytest.approx((0.5, 3.5))
    speech = next(e for e in top.evidence if e.modality == "speech")
    assert speech.text.startswith("The bank raised") and set(speech.words) == {"bank", "interest", "rates"}
    assert 0.5 <= speech.time < 3.5
    assert top.to_json()["matched"]["speech"]["matched_words"] == ["bank", "interest", "rates"]


def test_near_miss_sentence_ranks_below_the_one_meant(indexed: Path) -> None:
    with _engine(indexed) as engine:
        hits = engine.search("picnic by the river bank")
    assert hits[0].start == pytest.approx(4.5)
    assert all(h.score <= hits[0].score for h in hits)


def test_text_on_screen_is_found_for_the_time_it_is_shown(indexed: Path) -> None:
    with _engine(indexed) as engine:
        top = engine.search("green valley tour")[0]
    ocr = next(e for e in top.evidence if e.modality == "ocr")
    assert ocr.text == "GREEN VALLEY TOUR"
    assert ocr.start == pytest.approx(7.0, abs=1.0) and ocr.end == pytest.approx(12.0, abs=1.0)
    assert top.start < 9.5 < top.end


def test_numbers_on_screen_are_found_by_keyword(indexed: Path) -> None:
    with _engine(indexed) as engine:
        top = engine.search("lagoon 42")[0]
    assert top.evidence[0].text == "BLUE LAGOON 42" if top.evidence[0].modality == "ocr" else True
    assert 4.0 <= (top.start + top.end) / 2 <= 7.0


def test_sounds_are_found_by_label_with_their_confidence(indexed: Path) -> None:
    with _engine(indexed) as engine:
        top = engine.search("dog barking", modalities=("audio",))[0]
    assert (top.start, top.end) == pytest.approx((7.2, 9.0))
    assert top.evidence[0].text == "Bark" and top.evidence[0].confidence == pytest.approx(0.9)


def test_two_modalities_agreeing_outrank_either_alone(indexed: Path) -> None:
    with _engine(indexed) as engine:
        fused = engine.search("ships in the harbour, a dog barking")[0]
        speech_only = engine.search("ships in the harbour, a dog barking", modalities=("speech",))[0]
    assert {e.modality for e in fused.evidence} >= {"speech", "audio"}
    assert fused.score > speech_only.score


def test_modalities_restrict_what_is_searched(indexed: Path) -> None:
    with _engine(indexed) as engine:
        hits = engine.search("green valley tour", modalities=("speech", "audio"))
    assert all(e.modality in ("speech", "audio") for h in hits for e in h.evidence)


def test_queries_about_nothing_in_the_library_find_nothing(indexed: Path) -> None:
    with _engine(indexed, modalities=("speech", "ocr", "audio")) as engine:
        assert engine.search("quantum chromodynamics lecture") == []


def test_rrf_fusion_ranks_too(indexed: Path) -> None:
    with _engine(indexed, fusion="rrf") as engine:
        assert engine.search("bank interest rates")[0].start == pytest.approx(0.5)


def test_sound_modalities_are_added_later_without_decoding_pictures(tmp_path: Path, coloured: Path) -> None:
    index = tmp_path / "index"
    index_paths([coloured], index, Settings(modalities=("visual",)), models=Models(images=ColourImages()))
    speech = ScriptedSpeech(SENTENCES)
    told: list[str] = []
    sound = Settings(modalities=("visual", "speech", "audio"))
    later = index_paths(
        [coloured], index, sound, models=_models(speech=speech), on_file=lambda event: told.append(event.outcome)
    )
    assert told == ["started", "updated"] and speech.calls == 1 and "segment" not in later.stage_seconds
    with _engine(index) as engine:
        assert engine.search("ships harbour")[0].start == pytest.approx(8.0)
        assert set(engine.videos()[0].modalities) == {"visual", "speech", "audio"}
    again = index_paths([coloured], index, sound, models=_models())
    assert again.skipped == (coloured,)


def test_removing_a_video_removes_its_words_from_keyword_search(indexed: Path, coloured: Path) -> None:
    with Store.open(indexed) as store:
        assert store.keyword('"harbour"', "speech", 10)
    remove_paths([coloured], indexed)
    with Store.open(indexed) as store:
        assert store.keyword('"harbour"', "speech", 10) == []


def test_an_index_from_the_first_version_is_upgraded_by_the_next_writer(indexed: Path, coloured: Path) -> None:
    with sqlite3.connect(indexed / "index.db") as db:
        db.executescript(
            "DROP TRIGGER spans_fts_insert; DROP TRIGGER spans_fts_delete; DROP TABLE spans_fts; DROP TABLE spans;"
            "ALTER TABLE videos DROP COLUMN language; UPDATE meta SET value = '1' WHERE key = 'schema_version';"
            "UPDATE videos SET modalities = 'visual';"
        )
    with pytest.raises(SchemaMismatch, match=r"index --update. upgrades it"):
        VideoSearch(indexed)
    index_paths([coloured], indexed, ALL, models=_models())
    with _engine(indexed) as engine:
        assert engine.search("bank interest rates")[0].start == pytest.approx(0.5)


def test_an_index_from_before_audio_tracks_is_upgraded_and_keeps_its_videos(indexed: Path, coloured: Path) -> None:
    with sqlite3.connect(indexed / "index.db") as db:
        db.executescript(
            "ALTER TABLE videos DROP COLUMN has_video; ALTER TABLE videos DROP COLUMN tracks;"
            "ALTER TABLE spans DROP COLUMN track; UPDATE meta SET value = '2' WHERE key = 'schema_version';"
        )
    with pytest.raises(SchemaMismatch, match=r"index --update. upgrades it"):
        VideoSearch(indexed)
    again = index_paths([coloured], indexed, ALL, models=_models())
    assert again.skipped == (coloured,), "the upgrade re-indexes nothing"
    with _engine(indexed) as engine:
        (video,) = engine.videos()
        assert video.has_video and video.tracks == ()
        top = engine.search("bank interest rates")[0]
        assert top.start == pytest.approx(0.5) and "track" not in top.to_json()["matched"]["speech"]


def test_a_hub_model_asked_for_offline_is_unavailable_with_the_ways_out() -> None:
    with pytest.raises(ModelUnavailable, match="VIDSEARCH_WHISPER_MODEL"):
        resolve_whisper(WhisperSpec(model="large-v3", offline=True))
    with pytest.raises(ModelUnavailable, match="VIDSEARCH_TEXT_MODEL"):
        resolve_sentences(SentenceSpec(model="intfloat/e5-large-v2", offline=True))


def test_a_missing_sound_model_turns_only_that_modality_off(tmp_path: Path, coloured: Path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    settings = Settings(modalities=("speech", "audio"), offline=True)
    report = index_paths(
        [coloured],
        tmp_path / "index",
        settings,
        models=Models(speech=ScriptedSpeech(SENTENCES), sentences=HashedWords()),
    )
    assert [m.modality for m in report.missing] == ["audio"] and len(report.indexed) == 1
    with _engine(tmp_path / "index") as engine:
        assert engine.searchable() == ("speech",)
        assert engine.search("ships harbour")[0].start == pytest.approx(8.0)


def test_more_like_this_finds_the_same_moment_in_a_copy_and_never_the_segment_itself(
    indexed: Path, coloured: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "copy.mp4"
    copy.write_bytes(coloured.read_bytes() + b"\0")
    with _engine(indexed) as engine:
        seed = engine.search("ships harbour", modalities=("speech",))[0]
        segment = seed.segment_ids[0]
        assert engine.similar(segment, k=5) == [], "nothing else in the red/blue/green video is alike"
    index_paths([copy], indexed, ALL, models=_models())
    with _engine(indexed) as engine:
        start, end = engine.segment(segment)[0].start, engine.segment(segment)[0].end
        similar = engine.similar(segment, k=5)
    assert similar and all(h.video == copy for h in similar)
    assert similar[0].start < (start + end) / 2 < similar[0].end


def test_filters_keep_only_videos_under_a_folder_and_within_durations(indexed: Path, coloured: Path) -> None:
    with _engine(indexed) as engine:
        assert engine.search("bank interest rates", filters=Filters(folder=coloured.parent))
        assert engine.search("bank interest rates", filters=Filters(folder=Path("/elsewhere"))) == []
        assert engine.search("bank interest rates", filters=Filters(max_duration=5.0)) == []


def test_search_by_image_finds_the_shot_that_looks_like_it(indexed: Path) -> None:
    green = np.zeros((64, 64, 3), np.uint8)
    green[..., 1] = 200
    with VideoSearch(indexed, Settings(), texts=ColourTexts(), images=ColourImages()) as engine:
        top = engine.search_image(green, k=1)[0]
    assert top.evidence[0].modality == "visual" and top.start >= 7.0 and top.end <= 12.05


def test_thumbnails_come_from_the_video_and_unknown_ids_are_clear_errors(indexed: Path) -> None:
    with _engine(indexed) as engine:
        _video, segments = engine.video(engine.videos()[0].id)
        picture = engine.thumbnail(segments[-1].id, short_side=90)
        assert picture.shape == (90, 120, 3) and picture[..., 0].mean() < picture[..., 1].mean()
        with pytest.raises(SegmentNotFound):
            engine.thumbnail(10_000)
        with pytest.raises(VideoNotFound):
            engine.video(10_000)


def test_a_thumbnail_of_a_deleted_file_is_a_clear_error(tmp_path: Path, coloured: Path) -> None:
    copy = tmp_path / "gone.mp4"
    shutil.copy(coloured, copy)
    index_paths([copy], tmp_path / "index", Settings(modalities=("visual",)), models=Models(images=ColourImages()))
    copy.unlink()
    with _engine(tmp_path / "index") as engine, pytest.raises(VideoFileMissing, match=r"gone\.mp4"):
        engine.thumbnail(engine.video(engine.videos()[0].id)[1][0].id)
