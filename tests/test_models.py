"""The real speech, OCR and sentence models, from the offline packages the project installs.

Whisper reads ../shared's recording (skipped without it); OCR reads captions drawn by ffmpeg.
"""

from __future__ import annotations

import difflib
import itertools
from pathlib import Path

import numpy as np
import pytest

from indexer import decode
from indexer.encoders.ocr import RapidOcr
from indexer.encoders.speech import Whisper, WhisperSpec
from indexer.encoders.text import SentenceEncoder, SentenceSpec
from indexer.pipeline import Models, VideoIndexer
from tests.media import Caption, captioned_video, font
from vidsearch.settings import Settings

pytestmark = [pytest.mark.models, pytest.mark.slow]  # loads the real Whisper, PP-OCR and MiniLM

CAPTIONS = (
    Caption("QUARTERLY REVENUE 2031", 1.0, 4.0, 40, "40", "30"),
    Caption("meet the harbour pilots", 3.0, 7.0, 15, "w-tw-20", "h-th-20"),
    Caption("Gate B12 closed", 5.0, 8.0, 22, "(w-tw)/2", "(h-th)/2"),
)


@pytest.fixture(scope="module")
def captioned(tmp_path_factory: pytest.TempPathFactory) -> Path:
    fontfile = font()
    if fontfile is None:
        pytest.skip("no TrueType font for ffmpeg drawtext (install fonts-dejavu-core)")
    path = tmp_path_factory.mktemp("ocr") / "captions.mp4"
    captioned_video(path, 9.0, CAPTIONS, fontfile)
    return path


def test_text_on_screen_is_read_with_the_time_it_is_visible(captioned: Path) -> None:
    settings = Settings(modalities=("ocr",))
    indexed = VideoIndexer(settings.index_params(), Models(ocr=RapidOcr())).index(captioned)
    read = [span.text for span in indexed.spans]
    for caption in CAPTIONS:
        span = max(indexed.spans, key=lambda s: _likeness(s.text, caption.text))
        assert _likeness(span.text, caption.text) > 0.9, f"{caption.text!r} not read; got {read}"
        assert span.start == pytest.approx(caption.start, abs=1.01) and span.end == pytest.approx(caption.end, abs=1.01)


def _likeness(a: str, b: str) -> float:
    """OCR may slip a letter; 1.0 is identical (case ignored)."""
    return difflib.SequenceMatcher(None, a.lower(), b.lower()).ratio()


@pytest.mark.parametrize("batch_size", [8, 1], ids=["batched", "one stretch at a time"])
def test_speech_becomes_sentences_with_word_times(shared: Path, batch_size: int) -> None:
    samples = decode.audio(shared / "speech" / "jfk.flac")
    spans, language = Whisper(WhisperSpec(batch_size=batch_size)).transcribe(samples)
    text = " ".join(s.text for s in spans).lower()
    assert language == "en"
    assert "ask not what your country can do for you" in text.replace(",", "")
    words = [w for s in spans for w in s.words]
    assert all(a.start <= b.start for a, b in itertools.pairwise(words))
    assert words[-1].end == pytest.approx(len(samples) / decode.SAMPLE_RATE, abs=1.5)


def test_speech_after_a_long_silence_keeps_its_time_when_stretches_are_decoded_together(shared: Path) -> None:
    speech = decode.audio(shared / "speech" / "jfk.flac")
    quiet = np.zeros(decode.SAMPLE_RATE * 45, np.float32)
    samples = np.concatenate([quiet, speech, quiet, speech])
    alone, _ = Whisper(WhisperSpec(batch_size=1)).transcribe(speech)
    spans, _ = Whisper(WhisperSpec()).transcribe(samples)
    first = [s for s in spans if s.start < 45 + len(speech) / decode.SAMPLE_RATE]
    second = [s for s in spans if s not in first]
    length = len(speech) / decode.SAMPLE_RATE
    for heard, offset in ((first, 45.0), (second, 90.0 + length)):
        assert heard[0].start == pytest.approx(offset + alone[0].start, abs=0.5)
        assert heard[-1].end == pytest.approx(offset + alone[-1].end, abs=0.5)


def test_silence_has_no_transcript() -> None:
    spans, _ = Whisper(WhisperSpec()).transcribe(np.zeros(16000 * 5, np.float32))
    assert spans == []


def test_paraphrases_are_closer_than_unrelated_sentences() -> None:
    for model in ("english", "multilingual"):
        encoder = SentenceEncoder(SentenceSpec(model))
        said, paraphrase, other = encoder.encode(
            ["The bank raised interest rates", "Interest rates went up at the bank", "A picnic on the river bank"]
        )
        assert encoder.dim == 384 and float(said @ paraphrase) > float(said @ other) + 0.3, model
