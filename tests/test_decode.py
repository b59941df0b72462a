from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from indexer import decode
from indexer.errors import VideoError
from tests.media import pattern_video, run


@pytest.fixture(scope="module")
def pattern(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("decode") / "pattern.mp4"
    pattern_video(path, 3.0)
    return path


def test_probe_reads_duration_rate_and_size(pattern: Path) -> None:
    info = decode.probe(pattern)
    assert info.duration == pytest.approx(3.0, abs=0.05)
    assert info.fps == pytest.approx(25.0)
    assert (info.width, info.height) == (320, 240)
    assert info.rotation == 0


@pytest.mark.parametrize("decoder", sorted(decode.DECODERS))
def test_every_decoder_streams_every_frame_at_working_size(pattern: Path, decoder: str) -> None:
    info = decode.probe(pattern)
    frames = list(decode.frames(info, 112, decoder))
    assert len(frames) == 75
    assert frames[0].image.shape == (112, 150, 3)
    times = [f.time for f in frames]
    assert times[0] == 0.0
    assert times[-1] == pytest.approx(2.96, abs=1e-3)
    assert times == sorted(times)


@pytest.mark.parametrize("decoder", sorted(decode.DECODERS))
def test_every_decoder_gives_the_larger_copy_for_reading_text_when_asked(pattern: Path, decoder: str) -> None:
    info = decode.probe(pattern)
    plain = list(decode.frames(info, 112, decoder))
    frames = list(decode.frames(info, 112, decoder, detail_side=240))
    assert [f.time for f in frames] == [f.time for f in plain] and plain[0].detail is None
    assert frames[0].image.shape == (112, 150, 3) and frames[40].detail.shape == (240, 320, 3)
    small = np.asarray(Image.fromarray(frames[40].detail).resize((150, 112)), dtype=int)
    assert abs(small - frames[40].image.astype(int)).mean() < 8  # the same picture


def test_pyav_scales_the_larger_copy_only_for_the_frames_whose_copy_is_read(pattern: Path) -> None:
    info = decode.probe(pattern)
    frames = list(decode.frames(info, 112, "pyav", detail_side=240))
    assert all("detail" not in vars(f) for f in frames)
    assert frames[3].detail is frames[3].detail and "detail" in vars(frames[3])
    plain = list(decode.frames(info, 112, "pyav"))
    assert all((a.image == b.image).all() for a, b in zip(frames, plain))  # the working copy does not depend on it


def test_frames_are_never_upscaled(pattern: Path) -> None:
    info = decode.probe(pattern)
    assert decode.working_size(info, 1000) == (320, 240)


def test_rotation_tag_turns_frames_upright(tmp_path: Path, pattern: Path) -> None:
    rotated = tmp_path / "rotated.mp4"
    run(["-display_rotation", "90", "-i", str(pattern), "-c", "copy", str(rotated)])
    info = decode.probe(rotated)
    assert info.rotation in (90, 270)
    assert (info.width, info.height) == (240, 320)
    frame = next(iter(decode.frames(info, 120, "pyav")))
    assert frame.image.shape == (160, 120, 3)


@pytest.mark.parametrize(
    ("content", "reason"),
    [(b"", "empty file"), (b"this is not a video\n" * 50, "not a readable media file")],
)
def test_unreadable_files_fail_with_a_reason_naming_the_file(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "bad.mp4"
    path.write_bytes(content)
    with pytest.raises(VideoError, match=reason) as caught:
        decode.probe(path)
    assert caught.value.path == path


def test_a_file_of_sound_alone_probes_as_sound(tmp_path: Path) -> None:
    path = tmp_path / "tone.m4a"
    run(["-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:a", "aac", str(path)])
    info = decode.probe(path)
    assert not info.has_video and info.has_audio and len(info.tracks) == 1
    assert info.duration == pytest.approx(1.0, abs=0.05) and (info.width, info.height) == (0, 0)


def test_a_file_with_neither_pictures_nor_sound_is_refused(tmp_path: Path) -> None:
    captions = tmp_path / "c.srt"
    captions.write_text("1\n00:00:00,000 --> 00:00:01,000\nhello\n")
    path = tmp_path / "captions.mkv"
    run(["-i", str(captions), str(path)])
    with pytest.raises(VideoError, match="no video or audio stream"):
        decode.probe(path)


def test_shared_vfr_and_rotated_files_decode(shared: Path) -> None:
    vfr = decode.probe(shared / "scenes" / "goldeneye-vfr-drop3.mp4")
    frames = list(decode.frames(vfr, 64))
    assert frames[-1].time <= vfr.duration
    rotated = decode.probe(shared / "scenes" / "issue-134-rotate.mp4")
    assert rotated.height > rotated.width
