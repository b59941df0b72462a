"""The issue's own inputs, heard by the real Whisper (the offline package) and found by the real
sentence model: speech that starts late, on a second audio track, after the pictures end, and in
files of sound alone. Sentences are spoken by Debian's flite (the test skips without it)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from search import VideoSearch
from tests.streams import mux, picture
from vidsearch.library import index_paths
from vidsearch.settings import Settings

pytestmark = [pytest.mark.models, pytest.mark.slow]  # the module's fixture speaks and muxes (~7 s) before Whisper

SPEECH = Settings(modalities=("speech",))
NEAR = 0.5
"""Seconds within which a sentence must be placed (Whisper's word times wobble by a few tenths)."""


def spoken(folder: Path, name: str, sentence: str, before: float, length: float) -> Path:
    """A WAV of `length` seconds: `before` seconds of silence, then `sentence` in flite's slt voice."""
    flite = shutil.which("flite")
    if flite is None:
        pytest.skip("flite is not installed (Debian: apt-get install flite; `make test` installs it as root)")
    voice = folder / f"{name}-voice.wav"
    subprocess.run([flite, "-voice", "slt", "-t", sentence, "-o", str(voice)], check=True, capture_output=True)
    graph = f"[0]adelay={int(before * 1000)},apad=whole_dur={length}"
    return mux(folder / f"{name}.wav", ["-i", str(voice)], "-filter_complex", graph)


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("real")
    media = folder / "media"
    media.mkdir()
    late = spoken(folder, "late", "The harbour opens at seven in the morning.", 2.0, 7.0)
    mux(media / "late.mkv", [*picture(14), "-itsoffset", "5", "-i", str(late)], "-c:a", "libopus")
    commentary = spoken(folder, "commentary", "The referee was wrong about the penalty.", 1.0, 10.0)
    main = spoken(folder, "main", "The lighthouse stands on the northern cliff.", 4.0, 10.0)
    mux(
        media / "tracks.mkv",
        [*picture(10), "-i", str(commentary), "-i", str(main)],
        *("-map", "0:v", "-map", "1:a", "-map", "2:a", "-c:a", "libopus"),
        *("-metadata:s:a:0", "title=Commentary", "-metadata:s:a:1", "title=Main"),
        *("-disposition:a:0", "0", "-disposition:a:1", "default"),
    )
    outlast = spoken(folder, "outlast", "Remember to water the tomato plants tomorrow.", 8.0, 12.0)
    mux(media / "outlast.mp4", [*picture(5), "-i", str(outlast)], "-c:a", "aac")
    memo = spoken(folder, "memo", "Buy fresh bread and oat milk on the way home.", 3.0, 9.0)
    mux(media / "memo.mp3", ["-i", str(memo)])
    index = folder / "index"
    report = index_paths([media], index, SPEECH, models=None)
    assert report.failed == () and len(report.indexed) == 4, report
    return index


@pytest.mark.parametrize(
    ("query", "name", "start", "track"),
    [
        ("the harbour opens at seven", "late.mkv", 7.0, None),
        ("lighthouse on the northern cliff", "tracks.mkv", 4.0, "Main"),
        ("the referee was wrong about the penalty", "tracks.mkv", 1.0, "Commentary"),
        ("water the tomato plants", "outlast.mp4", 8.0, None),
        ("buy bread and oat milk", "memo.mp3", 3.0, None),
    ],
)
def test_what_is_said_is_found_where_a_player_says_it(
    library: Path, query: str, name: str, start: float, track: str | None
) -> None:
    with VideoSearch(library, SPEECH) as engine:
        top = engine.search(query, k=1)[0]
    speech = top.to_json()["matched"]["speech"]
    assert top.video.name == name, speech
    assert top.start == pytest.approx(start + 0.2, abs=NEAR), speech  # flite starts speaking ~0.2 s in
    assert top.segment_ids, "every moment has a segment"
    assert (speech["track"]["title"] if "track" in speech else None) == track
