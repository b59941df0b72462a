"""Index synthetic videos with deterministic fake encoders and search them through the Python API."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from indexer.files import MEDIA_TYPES
from indexer.pipeline import Models
from search import VideoSearch
from search.errors import IndexEmpty, NoSearchableModality, VideoNotIndexed
from tests.conftest import ColourImages, ColourTexts
from tests.media import Shot, shots_video
from vidsearch.library import index_paths, remove_paths
from vidsearch.settings import Settings

VISUAL = Settings(modalities=("visual",))


@pytest.fixture
def library(tmp_path: Path, coloured: Path) -> Path:
    folder = tmp_path / "library"
    (folder / "nested").mkdir(parents=True)
    shutil.copy(coloured, folder / "colours.mp4")
    shots_video(folder / "nested" / "sunset.mp4", [Shot("orange", 2.0), Shot("blue", 2.0)], audio=False)
    (folder / "notes.txt").write_text("not a video")
    return folder


def test_search_finds_the_right_moment_with_its_start_and_end(library: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    report = index_paths([library], index, VISUAL, models=Models(images=ColourImages()))
    assert sorted(p.name for p in report.indexed) == ["colours.mp4", "sunset.mp4"]
    assert report.failed == () and report.video_seconds == pytest.approx(16.0, abs=0.1)
    with VideoSearch(index, Settings(), texts=ColourTexts()) as engine:
        top = engine.search("something green", k=3)[0]
        assert top.video == library / "colours.mp4"
        assert (top.start, top.end) == pytest.approx((7.0, 12.0), abs=0.05)
        assert top.evidence[0].modality == "visual" and 7.0 <= top.evidence[0].time < 12.0
        blues = engine.search("blue", k=2)
        assert {(h.video.name, round(h.start), round(h.end)) for h in blues} == {
            ("colours.mp4", 4, 7),
            ("sunset.mp4", 2, 4),
        }


def test_adjacent_matching_segments_merge_into_one_moment(library: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    index_paths(
        [library / "colours.mp4"],
        index,
        Settings(modalities=("visual",), max_segment=2.0),
        models=Models(images=ColourImages()),
    )
    with VideoSearch(index, Settings(), texts=ColourTexts()) as engine:
        _video, segments = engine.info(library / "colours.mp4")
        assert len(segments) >= 6
        top = engine.search("green", k=1)[0]
        assert (top.start, top.end) == pytest.approx((7.0, 12.0), abs=0.05)
        assert len(top.segment_ids) >= 3


def test_reindexing_skips_unchanged_and_redoes_changed_files(library: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    index_paths([library], index, VISUAL, models=Models(images=ColourImages()))
    again = index_paths([library], index, VISUAL, models=Models(images=ColourImages()))
    assert again.indexed == () and len(again.skipped) == 2
    changed = library / "nested" / "sunset.mp4"
    shots_video(changed, [Shot("green", 3.0)], audio=False)
    os.utime(changed, (1e9, 1e9))
    third = index_paths([library], index, VISUAL, models=Models(images=ColourImages()))
    assert [p.name for p in third.indexed] == ["sunset.mp4"]
    with VideoSearch(index, Settings(), texts=ColourTexts()) as engine:
        assert {h.video.name for h in engine.search("orange", k=10)} <= {"colours.mp4", "sunset.mp4"}
        assert engine.info(changed)[0].duration == pytest.approx(3.0, abs=0.05)


def test_removed_videos_are_no_longer_found(library: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    index_paths([library], index, VISUAL, models=Models(images=ColourImages()))
    removed, missing = remove_paths([library / "nested"], index)
    assert [p.name for p in removed] == ["sunset.mp4"] and missing == []
    with VideoSearch(index, Settings(), texts=ColourTexts()) as engine:
        assert {h.video.name for h in engine.search("blue", k=10)} == {"colours.mp4"}
        with pytest.raises(VideoNotIndexed):
            engine.info(library / "nested" / "sunset.mp4")


def test_bad_files_fail_alone(library: Path, tmp_path: Path) -> None:
    (library / "broken.mp4").write_bytes(b"\x00" * 1000)
    report = index_paths([library], tmp_path / "index", VISUAL, models=Models(images=ColourImages()))
    assert [f.path.name for f in report.failed] == ["broken.mp4"]
    assert len(report.indexed) == 2


def test_visual_off_still_segments_but_search_says_why(library: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    report = index_paths([library / "colours.mp4"], index, Settings(modalities=()))
    assert len(report.indexed) == 1
    with VideoSearch(index, Settings(), texts=ColourTexts()) as engine:
        assert len(engine.info(library / "colours.mp4")[1]) == 3
        with pytest.raises(NoSearchableModality):
            engine.search("red")


@pytest.mark.slow
def test_files_indexed_without_weights_gain_vectors_once_weights_are_there(library: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    first = index_paths([library], index, VISUAL)
    assert len(first.indexed) == 2 and [m.modality for m in first.missing] == ["visual"]
    second = index_paths([library], index, VISUAL, models=Models(images=ColourImages()))
    assert len(second.indexed) == 2 and second.missing == ()
    third = index_paths([library], index, VISUAL, models=Models(images=ColourImages()))
    assert len(third.skipped) == 2
    with VideoSearch(index, Settings(), texts=ColourTexts()) as engine:
        assert engine.search("green", k=1)[0].video.name == "colours.mp4"


def test_an_index_with_no_vectors_is_empty(tmp_path: Path) -> None:
    index = tmp_path / "index"
    index_paths([], index, VISUAL, models=Models(images=ColourImages()))
    with VideoSearch(index, Settings(), texts=ColourTexts()) as engine, pytest.raises(IndexEmpty):
        engine.search("red")


@pytest.mark.slow
def test_shared_broken_and_edge_files_each_index_or_fail_with_a_reason(shared: Path, tmp_path: Path) -> None:
    folders = [shared / "broken", shared / "edge"]
    media = sorted(p for folder in folders for p in folder.iterdir() if p.suffix in MEDIA_TYPES)
    report = index_paths(folders, tmp_path / "index", Settings(modalities=()))
    failed = {f.path: f.error for f in report.failed}
    assert sorted([*report.indexed, *failed]) == media
    assert all(error and "\n" not in error for error in failed.values())
    assert shared / "broken" / "empty.mp4" in failed and shared / "edge" / "chaplin.mp4" in report.indexed
    sound_only = [shared / "broken" / "nasa_audio_only.m4a", shared / "edge" / "crunching.mp3"]
    assert all(path in report.indexed for path in sound_only), failed
