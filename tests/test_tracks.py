"""Every audio track is heard, and files of sound alone (podcasts, voice memos, lecture audio) are
indexed, found, listed and played like videos."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from indexer import decode, tracks
from indexer.pauses import pause_segments
from indexer.pipeline import Models, VideoIndexer
from indexer.types import Segment, TextSpan
from search import VideoSearch
from search.errors import NoPicture
from tests.fakes import HashedWords
from tests.streams import HeardTones, Tone, heard, mux, picture, tones_wav
from vidsearch.api import ApiOptions, create_app
from vidsearch.library import index_paths
from vidsearch.settings import Settings

SPEECH = Settings(modalities=("speech",))


def two_tracks(tmp_path: Path, main_is_copy: bool = False) -> Path:
    """The issue's case: track 0 "Commentary" (not default) says tone 500 at 1 s; track 1 "Main"
    (default, what players play) says tone 1000 at 4.2 s, or the same as track 0."""
    commentary = tones_wav(tmp_path / "commentary.wav", 8.0, [Tone(1.0, 500)])
    main = commentary if main_is_copy else tones_wav(tmp_path / "main.wav", 8.0, [Tone(4.2, 1000)])
    return mux(
        tmp_path / "tracks.mkv",
        [*picture(8), "-i", str(commentary), "-i", str(main)],
        *("-map", "0:v", "-map", "1:a", "-map", "2:a", "-c:a", "libopus"),
        *("-metadata:s:a:0", "title=Commentary", "-metadata:s:a:0", "language=eng"),
        *("-metadata:s:a:1", "title=Main", "-metadata:s:a:1", "language=ita"),
        *("-disposition:a:0", "0", "-disposition:a:1", "default"),
    )


def test_every_audio_track_is_heard_the_main_one_first(tmp_path: Path) -> None:
    path = two_tracks(tmp_path)
    info = decode.probe(path)
    assert [(t.title, t.language, t.default) for t in info.tracks] == [
        ("Commentary", "eng", False),
        ("Main", "ita", True),
    ]
    assert info.main_track is not None and info.main_track.index == 1
    indexed = VideoIndexer(SPEECH.index_params(), Models(speech=HeardTones())).index(path)
    assert heard(indexed.spans) == [(1.0, 0, "tone 500 hertz"), (4.2, 1, "tone 1000 hertz")]


def test_only_the_main_track_is_heard_when_the_settings_say_so(tmp_path: Path, caplog) -> None:
    caplog.set_level(logging.INFO)
    settings = Settings(modalities=("speech",), audio_tracks="main")
    indexed = VideoIndexer(settings.index_params(), Models(speech=HeardTones())).index(two_tracks(tmp_path))
    assert heard(indexed.spans) == [(4.2, 1, "tone 1000 hertz")]
    assert "heard only track 2 (Main, ita) of 2 audio tracks" in caplog.text


def test_what_two_tracks_both_say_is_found_once(tmp_path: Path) -> None:
    """A stereo and a surround mix of the same sound: one sentence, from the main track."""
    indexed = VideoIndexer(SPEECH.index_params(), Models(speech=HeardTones())).index(
        two_tracks(tmp_path, main_is_copy=True)
    )
    assert heard(indexed.spans) == [(1.0, 1, "tone 500 hertz")]


def test_the_track_a_moment_was_heard_on_is_in_its_evidence(tmp_path: Path) -> None:
    path = two_tracks(tmp_path)
    index_paths([path], tmp_path / "index", SPEECH, models=Models(speech=HeardTones(), sentences=HashedWords()))
    with VideoSearch(tmp_path / "index", SPEECH, sentences=HashedWords()) as engine:
        main = engine.search("tone 1000 hertz")[0]
        commentary = engine.search("tone 500 hertz")[0]
        video, _ = engine.info(path)
    assert main.start == pytest.approx(4.2, abs=0.05) and main.segment_ids
    assert main.to_json()["matched"]["speech"]["track"] == {
        "index": 1,
        "language": "ita",
        "title": "Main",
        "default": True,
    }
    assert commentary.to_json()["matched"]["speech"]["track"]["title"] == "Commentary"
    assert [t.title for t in video.tracks] == ["Commentary", "Main"]


def test_one_track_is_not_worth_naming_in_the_evidence(tmp_path: Path) -> None:
    sound = tones_wav(tmp_path / "t.wav", 4.0, [Tone(1.0, 700)])
    path = mux(tmp_path / "one.mp4", [*picture(4), "-i", str(sound)], "-c:a", "aac")
    index_paths([path], tmp_path / "index", SPEECH, models=Models(speech=HeardTones(), sentences=HashedWords()))
    with VideoSearch(tmp_path / "index", SPEECH, sentences=HashedWords()) as engine:
        assert "track" not in engine.search("tone 700 hertz")[0].to_json()["matched"]["speech"]


SOUND_FORMATS = [
    ("mp3", ["-c:a", "libmp3lame"]),
    ("m4a", ["-c:a", "aac"]),
    ("wav", []),
    ("flac", []),
    ("ogg", ["-c:a", "libvorbis"]),
    ("opus", ["-c:a", "libopus"]),
]


@pytest.fixture(scope="module")
def podcasts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of 14 s recordings in every common sound format, something said at 2 and 9.5 s."""
    folder = tmp_path_factory.mktemp("podcasts")
    sound = tones_wav(folder.parent / "talk.wav", 14.0, [Tone(2.0, 600), Tone(9.5, 900)])
    for suffix, options in SOUND_FORMATS:
        mux(folder / f"talk.{suffix}", ["-i", str(sound)], *options)
    return folder


def test_sound_files_in_a_folder_are_indexed_for_what_is_said(podcasts: Path, tmp_path: Path) -> None:
    report = index_paths(
        [podcasts], tmp_path / "index", SPEECH, models=Models(speech=HeardTones(), sentences=HashedWords())
    )
    assert sorted(p.suffix for p in report.indexed) == sorted(f".{s}" for s, _ in SOUND_FORMATS)
    assert report.failed == ()
    with VideoSearch(tmp_path / "index", SPEECH, sentences=HashedWords()) as engine:
        hits = engine.search("tone 900 hertz", k=len(SOUND_FORMATS))
        assert {h.video.name for h in hits} == {f"talk.{s}" for s, _ in SOUND_FORMATS}
        for hit in hits:
            assert hit.start == pytest.approx(9.5, abs=0.1) and hit.segment_ids and not hit.has_video
            video, segments = engine.info(hit.video)
            assert not video.has_video and video.duration == pytest.approx(14.0, abs=0.1)
            assert segments[0].start == 0.0 and segments[-1].end == pytest.approx(video.duration)
            with pytest.raises(NoPicture):
                engine.thumbnail(hit.segment_ids[0])


def test_a_sound_file_is_served_for_playing_with_its_type_and_ranges(podcasts: Path, tmp_path: Path) -> None:
    index_paths(
        [podcasts / "talk.mp3"], tmp_path / "index", SPEECH, models=Models(speech=HeardTones(), sentences=HashedWords())
    )
    with VideoSearch(tmp_path / "index", SPEECH, sentences=HashedWords()) as engine:
        client = TestClient(create_app(engine, ApiOptions()))
        (video,) = client.get("/videos").json()["videos"]
        assert video["has_video"] is False and video["audio_tracks"][0]["index"] == 0
        whole = client.get(f"/videos/{video['id']}/stream")
        assert whole.status_code == 200 and whole.headers["content-type"] == "audio/mpeg"
        assert whole.content == (podcasts / "talk.mp3").read_bytes()
        part = client.get(f"/videos/{video['id']}/stream", headers={"Range": "bytes=100-199"})
        assert part.status_code == 206 and part.content == whole.content[100:200]
        segment = client.get(f"/videos/{video['id']}").json()["segments"][0]["id"]
        thumbnail = client.get(f"/segments/{segment}/thumbnail")
        assert thumbnail.status_code == 404 and "sound only" in thumbnail.text


def test_a_sound_file_with_cover_art_shows_its_cover(tmp_path: Path) -> None:
    sound = tones_wav(tmp_path / "t.wav", 3.0, [Tone(1.0, 600)])
    cover = mux(tmp_path / "cover.png", ["-f", "lavfi", "-i", "color=c=red:s=300x300:d=1"], "-frames:v", "1")
    path = mux(
        tmp_path / "song.mp3",
        ["-i", str(sound), "-i", str(cover)],
        *("-map", "0:a", "-map", "1:v", "-c:v", "png", "-disposition:v", "attached_pic"),
    )
    index_paths([path], tmp_path / "index", SPEECH, models=Models(speech=HeardTones(), sentences=HashedWords()))
    with VideoSearch(tmp_path / "index", SPEECH, sentences=HashedWords()) as engine:
        (hit,) = engine.search("tone 600 hertz")
        picture_ = engine.thumbnail(hit.segment_ids[0], short_side=100)
    assert picture_.shape == (100, 100, 3) and picture_[..., 0].mean() > 200 > picture_[..., 1].mean()


def test_a_sound_file_whose_sound_does_not_decode_fails_alone_with_a_reason(tmp_path: Path) -> None:
    good = tones_wav(tmp_path / "good.wav", 2.0, [Tone(0.5, 600)])
    bad = tmp_path / "bad.mp3"
    bad.write_bytes(b"ID3" + bytes(5000))
    report = index_paths(
        [good, bad], tmp_path / "index", SPEECH, models=Models(speech=HeardTones(), sentences=HashedWords())
    )
    assert report.indexed == (good,) and [f.path for f in report.failed] == [bad]


def said(start: float, end: float) -> TextSpan:
    return TextSpan("speech", start, end, "words", 0.9)


def test_sound_is_segmented_in_the_longest_pause_of_each_stretch() -> None:
    sentences = [said(0.5, 4.0), said(4.2, 6.0), said(7.5, 9.5), said(10.0, 14.0), said(16.0, 24.0)]
    segments = pause_segments(0.0, 25.0, sentences, cap=10.0)
    assert segments == [Segment(0.0, 6.75), Segment(6.75, 15.0), Segment(15.0, 25.0)]


def test_sound_without_pauses_is_cut_at_the_cap() -> None:
    assert pause_segments(5.0, 26.0, [said(5.0, 26.0)], cap=10.0) == [
        Segment(5.0, 15.0),
        Segment(15.0, 25.0),
        Segment(25.0, 26.0),
    ]


def test_a_short_stretch_of_sound_is_one_segment() -> None:
    assert pause_segments(5.0, 12.0, [said(6.0, 7.0), said(9.0, 10.0)], cap=10.0) == [Segment(5.0, 12.0)]


def test_two_mixes_of_one_sentence_are_one_sentence_even_when_transcribed_a_word_apart() -> None:
    """../shared's NASA clip carries its narration twice (8 and 16 kHz); Whisper hears "... in the
    world" on one and "... in the world at" on the other."""
    main = [TextSpan("speech", 0.34, 8.1, "in one of the largest clean rooms in the world", 0.9)]
    other = [
        TextSpan("speech", 0.34, 8.68, "in one of the largest clean rooms in the world at", 0.9),
        TextSpan("speech", 8.7, 12.0, "the rooms are kept very clean", 0.9),
        TextSpan("audio", 0.5, 2.0, "Speech", 0.8),
    ]
    assert tracks.unrepeated(other, main) == other[1:]


def test_a_commentary_over_the_same_pictures_is_not_a_repeat() -> None:
    main = [TextSpan("speech", 1.0, 4.0, "the striker shoots from the edge of the box", 0.9)]
    commentary = [TextSpan("speech", 1.5, 4.5, "what a strike that was from the edge of the box", 0.9)]
    assert tracks.unrepeated(commentary, main) == commentary
