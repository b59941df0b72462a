"""Bulk indexing as an operator sees it: a per-file time limit, the log in the index directory,
one line per file and a summary, odd paths."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from indexer import decode
from indexer.pipeline import Models
from search.store import Store
from tests.conftest import ColourImages
from tests.media import pattern_video
from vidsearch.cli import main
from vidsearch.library import LOG_NAME, FileEvent, index_paths
from vidsearch.settings import Settings

VISUAL = Settings(modalities=("visual",))


def test_a_file_over_its_time_limit_fails_alone_and_the_batch_goes_on(tmp_path: Path, coloured: Path) -> None:
    slow = Settings(modalities=("visual",), time_limit=1e-6, time_limit_per_second=0.0)
    events: list[FileEvent] = []
    report = index_paths(
        [coloured], tmp_path / "index", slow, models=Models(images=ColourImages()), on_file=events.append
    )
    assert [f.error for f in report.failed] == ["took longer than its 0 s limit (VIDSEARCH_TIME_LIMIT*)"]
    assert [e.outcome for e in events] == ["started", "failed"] and events[-1].error
    again = index_paths([coloured], tmp_path / "index", VISUAL, models=Models(images=ColourImages()))
    assert again.indexed == (coloured,)


def test_every_run_appends_what_happened_to_each_file_to_the_index_log(tmp_path: Path, coloured: Path) -> None:
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"not a video")
    index_paths([coloured, bad], tmp_path / "index", VISUAL, models=Models(images=ColourImages()))
    index_paths([coloured], tmp_path / "index", VISUAL, models=Models(images=ColourImages()))
    log = (tmp_path / "index" / LOG_NAME).read_text()
    assert f"{coloured}: indexed 12.0 s" in log and f"{bad}: not a readable media file" in log
    assert f"{coloured}: unchanged" in log and log.count("indexing into") == 2


def test_odd_file_names_and_quiet_skips_of_non_videos(tmp_path: Path, coloured: Path) -> None:
    folder = tmp_path / "lib ë 'quoted' [1]"
    folder.mkdir()
    shutil.copy(coloured, folder / "résumé – take #2.mp4")
    (folder / "notes.txt").write_text("not a video")
    (folder / "loop").symlink_to(folder, target_is_directory=True)
    report = index_paths([folder], tmp_path / "index", VISUAL, models=Models(images=ColourImages()))
    assert [p.name for p in report.indexed] == ["résumé – take #2.mp4"] and report.failed == ()


@pytest.mark.slow
def test_cli_prints_one_line_per_file_and_a_summary_with_the_log(
    tmp_path: Path, coloured: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VIDSEARCH_MODALITIES", '["ocr"]')
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"")
    code = main(["index", str(coloured), str(bad), "--index", str(tmp_path / "index")])
    out = capsys.readouterr().out.splitlines()
    assert code == 1 and f"indexed  {coloured}" in out and out.count(f"failed   {bad}: empty file") == 1
    assert "1 indexed (0.00 h of video), 0 unchanged, 1 failed; log: " in out[-1]
    code = main(["index", str(coloured), "--index", str(tmp_path / "index"), "--json"])
    assert code == 0 and json.loads(capsys.readouterr().out)["skipped"] == [str(coloured)]


def test_long_sound_is_heard_in_chunks_with_times_in_the_video(
    tmp_path: Path, coloured: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import indexer.pipeline
    from indexer.pipeline import VideoIndexer
    from tests.fakes import HashedWords, ScriptedSpeech

    monkeypatch.setattr(indexer.pipeline, "AUDIO_CHUNK", 5.0)
    speech = ScriptedSpeech([(1.0, 2.0, "a beep")])
    models = Models(speech=speech, sentences=HashedWords())
    indexed = VideoIndexer(Settings().index_params(), models).index(coloured)
    offsets = [offset for offset, _ in decode.audio_chunks(coloured, 5.0)]
    assert speech.calls == len(offsets) == 3 and offsets[0] == 0 and 4.3 < offsets[1] <= 5.0
    assert [(s.start, s.end, s.words[0].start) for s in indexed.spans] == [
        pytest.approx((1.0 + o, 2.0 + o, 1.0 + o)) for o in offsets
    ]


def test_sound_is_cut_into_chunks_where_it_is_quietest(tmp_path: Path) -> None:
    tone = np.sin(np.arange(decode.SAMPLE_RATE * 12) * 0.2).astype(np.float32)
    tone[int(11.2 * decode.SAMPLE_RATE) : int(11.5 * decode.SAMPLE_RATE)] = 0.0  # a pause near the end
    assert decode._quiet_cut(tone) / decode.SAMPLE_RATE == pytest.approx(11.3, abs=0.11)


def test_a_truncated_file_is_indexed_as_long_as_what_can_be_played(tmp_path: Path) -> None:
    whole = tmp_path / "whole.mp4"
    pattern_video(whole, 8.0, extra=["-movflags", "+faststart"])  # the header declares all 8 s
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    report = index_paths([cut], tmp_path / "index", VISUAL, models=Models(images=ColourImages()))
    assert report.indexed == (cut,) and 2.0 < report.video_seconds < 6.0
    with Store.open(tmp_path / "index") as store:
        (video,) = store.videos()
        assert video.duration == pytest.approx(report.video_seconds)
        assert store.segments(video)[-1].end == pytest.approx(video.duration)
