"""Time comes from timestamps: what is heard is placed where a player plays it, whatever the file's
streams do (start late, stop for a while, change format, restart their clock, wrap around, outlast
the pictures), and every second of the file is covered by segments."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from indexer import decode
from indexer.pipeline import Models, VideoIndexer
from indexer.types import IndexedVideo, Segment
from search import Filters, VideoSearch
from tests.fakes import HashedWords
from tests.streams import HeardTones, Tone, bursts, heard, mux, picture, tones_wav
from vidsearch.library import index_paths
from vidsearch.settings import Settings

SPEECH = Settings(modalities=("speech",))
EXACT = 0.05
"""Seconds within which a tone must be placed (a 10 ms detection window and an encoder's frame)."""


def index(path: Path, settings: Settings = SPEECH) -> IndexedVideo:
    return VideoIndexer(settings.index_params(), Models(speech=HeardTones())).index(path)


def starts(indexed: IndexedVideo) -> list[float]:
    return [start for start, _, _ in heard(indexed.spans)]


def assert_covers(segments: tuple[Segment, ...], duration: float) -> None:
    assert segments[0].start == 0.0
    assert segments[-1].end == pytest.approx(duration, abs=0.1)
    for before, after in itertools.pairwise(segments):
        assert before.end == after.start and after.end > after.start


@pytest.mark.parametrize(("suffix", "codec"), [(".mp4", "aac"), (".mkv", "libopus"), (".mov", "pcm_s16le")])
def test_sound_that_starts_late_is_heard_when_a_player_plays_it(tmp_path: Path, suffix: str, codec: str) -> None:
    """The issue's case: sound muxed 5 s late (-itsoffset 5), a tone 2.2 s into it: 7.2 s, not 2.2."""
    sound = tones_wav(tmp_path / "late.wav", 6.0, [Tone(2.2, 1000)])
    path = mux(tmp_path / f"late{suffix}", [*picture(14), "-itsoffset", "5", "-i", str(sound)], "-c:a", codec)
    assert [round(t, 1) for t, _, _ in bursts(decode.audio(path))] == [7.2]
    indexed = index(path)
    assert starts(indexed) == pytest.approx([7.2], abs=EXACT)
    assert_covers(indexed.segments, 14.0)


def test_sound_alone_is_timed_from_its_own_start_as_players_time_it(tmp_path: Path) -> None:
    """A file's time 0 is its first timestamp (FFmpeg's start_time): with no pictures to wait for,
    sound stamped from 3 s plays at once."""
    sound = tones_wav(tmp_path / "late.wav", 4.0, [Tone(1.0, 800)])
    path = mux(tmp_path / "late.mka", ["-itsoffset", "3", "-i", str(sound)], "-c:a", "flac")
    assert starts(index(path)) == pytest.approx([1.0], abs=EXACT)


@pytest.mark.parametrize(("suffix", "codec"), [(".mkv", "flac"), (".mp4", "aac")])
@pytest.mark.parametrize("hole", [(4.0, 5.0), (4.0, 9.0)], ids=["1s-hole", "5s-hole"])
def test_holes_in_the_sound_are_silence_and_what_follows_keeps_its_time(
    tmp_path: Path, suffix: str, codec: str, hole: tuple[float, float]
) -> None:
    """Packets cut out without re-stamping the rest: a player plays silence in the hole."""
    sound = tones_wav(tmp_path / "t.wav", 14.0, [Tone(1.0, 600), Tone(3.0, 700), Tone(10.0, 800), Tone(12.0, 900)])
    cut = f"aselect='not(between(t,{hole[0]},{hole[1]}))'"
    path = mux(tmp_path / f"hole{suffix}", [*picture(14), "-i", str(sound)], "-af", cut, "-c:a", codec)
    assert starts(index(path)) == pytest.approx([1.0, 3.0, 10.0, 12.0], abs=EXACT)


def test_a_change_of_sample_rate_and_channels_mid_stream_is_followed(tmp_path: Path) -> None:
    sound = tones_wav(tmp_path / "t.wav", 12.0, [Tone(2.0, 500), Tone(8.0, 900)])
    first = mux(tmp_path / "a.ts", ["-i", str(sound)], "-t", "6", "-c:a", "mp2", "-ar", "44100", "-ac", "1")
    second = mux(
        tmp_path / "b.ts",
        ["-ss", "6", "-i", str(sound)],
        *("-c:a", "mp2", "-ar", "48000", "-ac", "2", "-output_ts_offset", "6"),
    )
    path = tmp_path / "changes.ts"
    path.write_bytes(first.read_bytes() + second.read_bytes())
    assert starts(index(path)) == pytest.approx([2.0, 8.0], abs=EXACT)


def test_a_clock_that_restarts_mid_file_plays_on_in_order(tmp_path: Path) -> None:
    """Two recordings joined byte for byte (`cat a.ts b.ts`): the second's timestamps start again
    at zero; players play it after the first, and so is it heard."""
    sound = tones_wav(tmp_path / "t.wav", 12.0, [Tone(2.0, 500), Tone(8.0, 900)])
    first = mux(tmp_path / "a.ts", [*picture(6), "-i", str(sound)], "-t", "6", "-c:a", "mp2")
    second = mux(tmp_path / "b.ts", [*picture(6), "-ss", "6", "-i", str(sound)], "-c:a", "mp2")
    path = tmp_path / "joined.ts"
    path.write_bytes(first.read_bytes() + second.read_bytes())
    indexed = index(path)
    assert starts(indexed) == pytest.approx([2.0, 8.0], abs=EXACT)
    assert_covers(indexed.segments, 12.0)
    times = [frame.time for frame in decode.frames(decode.probe(path), 64)]
    assert len(times) == 300 and all(b > a for a, b in itertools.pairwise(times)), "the pictures play on too"


def test_timestamps_that_wrap_around_keep_their_order(tmp_path: Path) -> None:
    """MPEG-TS clocks wrap after 2^33 ticks of 90 kHz (26.5 hours); this file crosses the wrap."""
    sound = tones_wav(tmp_path / "t.wav", 12.0, [Tone(2.0, 500), Tone(9.0, 900)])
    options = ("-c:v", "libx264", "-c:a", "mp2", "-output_ts_offset", str(2**33 / 90_000 - 6))
    path = mux(tmp_path / "wrap.ts", [*picture(12), "-i", str(sound)], *options)
    indexed = index(path)
    assert starts(indexed) == pytest.approx([2.0, 9.0], abs=EXACT)
    assert_covers(indexed.segments, 12.0)


def test_an_edit_list_shifts_sound_and_pictures_alike(tmp_path: Path) -> None:
    """A copy cut 2.5 s in without re-encoding (mp4 edit list): what was at 5 s is at 2.5 s."""
    sound = tones_wav(tmp_path / "t.wav", 12.0, [Tone(5.0, 700), Tone(9.0, 900)])
    full = mux(tmp_path / "full.mp4", [*picture(12), "-i", str(sound)], "-c:a", "aac")
    cut = mux(tmp_path / "cut.mp4", ["-ss", "2.5", "-i", str(full)], "-c", "copy")
    indexed = index(cut)
    assert starts(indexed) == pytest.approx([2.5, 6.5], abs=EXACT)
    assert_covers(indexed.segments, 9.5)


def test_a_change_of_picture_size_mid_stream_does_not_fail_the_file(tmp_path: Path) -> None:
    small = mux(tmp_path / "a.ts", picture(4, "320x240"), "-c:v", "libx264")
    large = mux(tmp_path / "b.ts", picture(4, "640x360"), "-c:v", "libx264", "-output_ts_offset", "4")
    path = tmp_path / "sizes.ts"
    path.write_bytes(small.read_bytes() + large.read_bytes())
    indexed = VideoIndexer(Settings().index_params(), Models()).index(path)
    assert_covers(indexed.segments, 8.0)


def test_sound_that_outlasts_the_pictures_is_covered_by_segments(tmp_path: Path) -> None:
    """The issue's case: pictures for 5 s, sound for 12 s, something said at 8.2 s. The file lasts
    12 s and the sentence has a segment (a thumbnail, "more like this")."""
    sound = tones_wav(tmp_path / "t.wav", 12.0, [Tone(8.2, 1000)])
    path = mux(tmp_path / "outlast.mp4", [*picture(5), "-i", str(sound)], "-c:a", "aac")
    indexed = index(path)
    assert indexed.info.duration == pytest.approx(12.0, abs=0.1)
    assert_covers(indexed.segments, 12.0)
    (said,) = [s for s in indexed.spans if s.modality == "speech"]
    assert said.start == pytest.approx(8.2, abs=EXACT)
    assert any(g.start <= said.start < g.end for g in indexed.segments)
    assert any(g.start == pytest.approx(5.0, abs=0.05) for g in indexed.segments), "pictures end at 5 s"


def test_sound_outlasting_the_pictures_is_covered_even_when_not_decoded(tmp_path: Path) -> None:
    """With no sound model, the container's word for the sound's length stands."""
    sound = tones_wav(tmp_path / "t.wav", 12.0, [Tone(8.2, 1000)])
    path = mux(tmp_path / "outlast.mkv", [*picture(5), "-i", str(sound)], "-c:a", "flac")
    indexed = VideoIndexer(Settings().index_params(), Models()).index(path)
    assert_covers(indexed.segments, 12.0)


def test_a_file_cut_short_is_not_believed_about_its_sound_either(tmp_path: Path) -> None:
    """A download cut in half still declares its whole length for both streams: neither counts."""
    sound = tones_wav(tmp_path / "t.wav", 10.0, [Tone(1.0, 1000)])
    whole = mux(
        tmp_path / "whole.mp4", [*picture(10, "320x240"), "-i", str(sound)], "-c:a", "aac", "-movflags", "+faststart"
    )
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    indexed = VideoIndexer(Settings().index_params(), Models()).index(cut)
    assert indexed.segments[-1].end < 8.0


def test_sound_quietly_longer_than_the_pictures_by_a_frame_joins_the_last_segment(tmp_path: Path) -> None:
    sound = tones_wav(tmp_path / "t.wav", 6.3, [Tone(1.0, 1000)])
    path = mux(tmp_path / "over.mp4", [*picture(6), "-i", str(sound)], "-c:a", "aac")
    indexed = index(path)
    assert len(indexed.segments) == 1 and indexed.segments[0].end == pytest.approx(6.3, abs=0.1)


def test_the_whole_sound_decodes_as_one_timeline(tmp_path: Path) -> None:
    """`decode.audio` puts a late start and long holes back as silence: sample n is at n / 16 kHz."""
    sound = tones_wav(tmp_path / "t.wav", 14.0, [Tone(1.0, 600), Tone(12.0, 900)])
    hole = mux(tmp_path / "hole.mkv", [*picture(14), "-i", str(sound)], "-af", "aselect='lt(t,3)+gt(t,10)'")
    samples = decode.audio(hole)
    assert [round(start, 1) for start, _, _ in bursts(samples)] == [1.0, 12.0]
    assert len(samples) / decode.SAMPLE_RATE == pytest.approx(14.0, abs=0.1)
    chunks = list(decode.audio_chunks(hole))
    assert [offset for offset, _ in chunks] == pytest.approx([0.0, 10.0], abs=0.15), "a long hole: a new chunk"
    assert all(piece.dtype == np.float32 for _, piece in chunks)


def test_a_moment_after_the_last_picture_has_a_thumbnail_and_counts_the_whole_length(tmp_path: Path) -> None:
    sound = tones_wav(tmp_path / "t.wav", 12.0, [Tone(8.2, 1000)])
    path = mux(tmp_path / "outlast.mp4", [*picture(5), "-i", str(sound)], "-c:a", "aac")
    index_paths([path], tmp_path / "index", SPEECH, models=Models(speech=HeardTones(), sentences=HashedWords()))
    with VideoSearch(tmp_path / "index", SPEECH, sentences=HashedWords()) as engine:
        (hit,) = engine.search("tone 1000 hertz", filters=Filters(min_duration=11.0))
        assert hit.start == pytest.approx(8.2, abs=EXACT) and hit.segment_ids
        assert engine.thumbnail(hit.segment_ids[0], short_side=60).shape == (60, 80, 3)  # the last frame
        assert engine.info(path)[0].duration == pytest.approx(12.0, abs=0.1)
