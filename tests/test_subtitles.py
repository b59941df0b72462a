"""Subtitles from the transcript: cues a viewer can read (two lines of 42 columns at most, 1-7 s,
shown while their words are said, never overlapping), SRT and WebVTT that their own libraries read
back, the API's signed `<track src>` URL, and `vidsearch subtitles` writing a file."""

from __future__ import annotations

import html
import io
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import srt
import webvtt
from fastapi.testclient import TestClient

from indexer.types import AudioTrack, Modality, Word
from search import VideoSearch
from search.subtitles import RULES, Cue, TrackNotFound, cues, to_srt, to_vtt, track_spans, width
from search.types import SpanRecord, VideoRecord
from tests.fakes import ScriptedSpeech, fake_engine, fake_models
from vidsearch.api import ApiOptions, create_app
from vidsearch.cli import main
from vidsearch.library import index_paths
from vidsearch.settings import Settings

LONG = (
    "When the committee finally met in the spring, after months of argument about the budget, the chair "
    "proposed that every department should present its own plan, and that the members would vote on each "
    "of them separately before the end of the year."
)
"""A 47-word sentence of 263 characters."""
VIDEO = VideoRecord(1, Path("/videos/talk.mp4"), "", 0, 0.0, 60.0, 25.0, 640, 360)


def _said(start: float, end: float, text: str, timed: bool = True, track: int | None = None) -> SpanRecord:
    """A spoken sentence with its words said evenly over it (as Whisper's word times give them)."""
    words = text.split()
    step = (end - start) / len(words)
    times = tuple(Word(start + i * step, start + (i + 1) * step, w) for i, w in enumerate(words)) if timed else ()
    return SpanRecord(1, VIDEO, Modality.SPEECH, start, end, text, 0.9, times, track)


def _readable(found: list[Cue]) -> None:
    """What every subtitle guideline asks: two lines of 42 columns at most, 1-7 s on screen, in
    order, never overlapping."""
    for cue, following in zip(found, [*found[1:], None]):
        assert 1 <= len(cue.lines) <= 2 and all(0 < width(line) <= 42 for line in cue.lines), cue
        assert 1.0 - 1e-9 <= cue.end - cue.start <= 7.0, cue
        if following is not None:
            assert cue.end <= following.start, (cue, following)


def test_a_long_sentence_becomes_several_readable_cues_while_its_words_are_said() -> None:
    found = cues([_said(3.0, 20.0, LONG)])
    _readable(found)
    assert len(found) >= 4  # 263 characters: at least 4 cues of two full lines
    assert " ".join(" ".join(cue.lines) for cue in found) == LONG  # every word, once, in order
    assert all(cue.start >= 3.0 and cue.end <= 20.0 for cue in found)  # within the sentence
    words = LONG.split()
    said = 0
    for cue in found:  # each cue starts as its first word is said
        first = said
        said += sum(len(line.split()) for line in cue.lines)
        assert cue.start == pytest.approx(3.0 + first * 17.0 / len(words))
    lines = [line for cue in found for line in cue.lines]
    assert not any(
        line.split()[-1].lower() in {"the", "a", "an", "every", "its"} for line in lines
    )  # no dangling article
    speeds = [sum(map(len, cue.lines)) / (cue.end - cue.start) for cue in found]
    assert max(speeds) <= RULES.reading * 1.1, speeds  # readable at about 20 characters a second


def test_short_sentences_share_a_cue_a_line_each_rather_than_flash_by() -> None:
    found = cues([_said(0.5, 0.8, "Yes."), _said(1.0, 1.3, "Of course."), _said(6.0, 8.0, "Let us begin.")])
    _readable(found)
    assert [cue.lines for cue in found] == [("Yes.", "Of course."), ("Let us begin.",)]
    assert found[0].end < 6.0  # the next sentence is not shown before it is said


def test_a_cue_stays_long_enough_to_read_and_closes_small_gaps() -> None:
    found = cues([_said(1.0, 1.4, "Fire!"), _said(5.0, 6.0, "It spread across the valley."), _said(6.3, 8, "Run.")])
    assert found[0].start == 1.0 and found[0].end == pytest.approx(2.0)  # 0.4 s said, 1 s shown
    assert found[1].end == pytest.approx(6.3 - RULES.gap)  # a 0.3 s gap closed to two frames


def test_a_sentence_without_word_times_is_spread_by_word_length() -> None:
    found = cues([_said(0.0, 12.0, LONG[:120], timed=False)])
    _readable(found)
    assert found[0].start == 0.0 and found[-1].end <= 12.0 and len(found) >= 2


def test_wide_characters_count_two_columns() -> None:
    text = " ".join(["字幕"] * 20)  # 20 words of 2 wide characters: 100 columns with spaces
    found = cues([_said(0.0, 10.0, text)])
    _readable(found)
    assert len(found) >= 2


def test_srt_and_vtt_read_back_with_their_libraries_text_escaped() -> None:
    found = cues([_said(0.5, 3.0, "Fish & chips <b>cost</b> less --> than you think."), _said(4.0, 20.0, LONG)])
    vtt = to_vtt(found)
    assert vtt.startswith("WEBVTT") and "&amp;" in vtt and "&lt;b&gt;" in vtt and "--&gt;" in vtt
    assert vtt.count("-->") == len(found)  # only the timing lines
    read = webvtt.from_buffer(io.StringIO(vtt))
    assert len(read.captions) == len(found)
    for caption, cue in zip(read.captions, found):
        assert caption.start_time.in_milliseconds() == round(cue.start * 1000), caption
        assert caption.end_time.in_milliseconds() == round(cue.end * 1000), caption
        assert html.unescape(caption.raw_text) == cue.text
    subrip = list(srt.parse(to_srt(found)))
    assert [s.index for s in subrip] == list(range(1, len(found) + 1))
    assert [(s.start.total_seconds(), s.end.total_seconds()) for s in subrip] == [
        (pytest.approx(c.start, abs=1e-3), pytest.approx(c.end, abs=1e-3)) for c in found
    ]
    assert subrip[0].content.replace("\n", " ") == "Fish & chips <b>cost</b> less -> than you think."  # no escapes
    assert [s.content for s in subrip[1:]] == [c.text for c in found[1:]]


def test_each_audio_track_has_its_own_subtitles() -> None:
    tracks = (AudioTrack(0, "eng", "Main", True), AudioTrack(1, "fra", "Doublage"), AudioTrack(2, "eng", "Commentary"))
    video = VideoRecord(1, Path("/v.mkv"), "", 0, 0.0, 60.0, 25.0, 640, 360, tracks=tracks)
    spans = [
        _said(1.0, 3.0, "Welcome to the show.", track=0),
        _said(1.0, 3.0, "Bienvenue dans l'émission.", track=1),
        _said(5.0, 7.0, "Tonight we cook.", track=0),
        _said(5.5, 7.5, "I remember this scene.", track=2),
    ]
    assert [s.text for s in track_spans(video, spans)] == ["Welcome to the show.", "Tonight we cook."]
    assert [s.text for s in track_spans(video, spans, 1)] == ["Bienvenue dans l'émission."]  # a dub: its own
    # the commentary track in the main's language: what it only repeated of the main track was kept there
    assert [s.text for s in track_spans(video, spans, 2)] == ["Welcome to the show.", "I remember this scene."]
    with pytest.raises(TrackNotFound, match="no audio track 5"):
        track_spans(video, spans, 5)


# --- the engine, the API and the command line -------------------------------------------------------------

SENTENCES = ((0.5, 11.5, LONG),)
TOKEN = "subtitle-token"


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory, coloured: Path) -> Path:
    folder = tmp_path_factory.mktemp("subtitles") / "index"
    models = fake_models(SENTENCES, ())
    report = index_paths([coloured], folder, Settings(modalities=(Modality.SPEECH, Modality.OCR)), models=models)
    assert report.failed == () and len(report.indexed) == 1
    return folder


@pytest.fixture(scope="module")
def engine(index: Path) -> Iterator[VideoSearch]:
    with fake_engine(index) as opened:
        yield opened


def test_the_engine_gives_the_cues_of_what_is_said(engine: VideoSearch) -> None:
    (video,) = engine.videos()
    found = engine.subtitles(video.id)
    assert " ".join(" ".join(c.lines) for c in found) == LONG
    assert found[0].start == pytest.approx(0.5) and found[-1].end <= 12.0


def test_the_api_serves_webvtt_to_a_track_element_by_its_signed_url(engine: VideoSearch) -> None:
    client = TestClient(create_app(engine, ApiOptions(token=TOKEN)))
    (video,) = engine.videos()
    described = client.get(f"/videos/{video.id}", headers={"Authorization": f"Bearer {TOKEN}"}).json()
    url = described["subtitles_url"]
    assert urlsplit(url).path == f"/videos/{video.id}/subtitles.vtt" and "signature=" in url
    served = client.get(url)  # what <track src> sends: no header
    assert served.status_code == 200 and served.headers["content-type"] == "text/vtt; charset=utf-8"
    assert len(webvtt.from_buffer(io.StringIO(served.text)).captions) == len(engine.subtitles(video.id))
    assert client.get(f"/videos/{video.id}/subtitles.vtt").status_code == 401  # unsigned, no header
    subrip = client.get(f"/videos/{video.id}/subtitles.srt", headers={"Authorization": f"Bearer {TOKEN}"})
    assert subrip.headers["content-type"] == "application/x-subrip; charset=utf-8" and list(srt.parse(subrip.text))
    plain = TestClient(create_app(engine, ApiOptions()))
    assert plain.get(f"/videos/{video.id}").json()["subtitles_url"] == f"/videos/{video.id}/subtitles.vtt"
    assert plain.get(f"/videos/{video.id}/subtitles.vtt?track=3").status_code == 404
    assert plain.get("/videos/999/subtitles.vtt").json() == {"error": f"index {engine.directory} has no video 999"}


def test_the_command_writes_a_subtitle_file(index: Path, coloured: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "colours.vtt"
    assert main(["subtitles", str(coloured), "--index", str(index), "-o", str(out)]) == 0
    written = webvtt.read(str(out))
    assert written.captions and html.unescape(" ".join(c.text.replace("\n", " ") for c in written.captions)) == LONG
    assert "cues written to" in capsys.readouterr().out
    assert main(["subtitles", str(coloured), "--index", str(index)]) == 0  # SubRip on standard output
    assert " ".join(s.content.replace("\n", " ") for s in srt.parse(capsys.readouterr().out)) == LONG
    assert main(["subtitles", str(coloured), "--index", str(index), "--track", "3"]) == 1
    assert "no audio track 3 (its tracks: 1)" in capsys.readouterr().err  # the CLI counts tracks from 1


def test_a_video_without_speech_has_an_empty_file_and_a_warning(
    tmp_path: Path, coloured: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    models = fake_models((), (), speech=ScriptedSpeech(()))
    index_paths([coloured], tmp_path / "index", Settings(modalities=(Modality.SPEECH,)), models=models)
    assert main(["subtitles", str(coloured), "--index", str(tmp_path / "index"), "--format", "vtt"]) == 0
    assert capsys.readouterr().out.strip() == "WEBVTT" and "no speech was transcribed" in caplog.text
