"""Deterministic stand-ins for the speech, OCR, sound and sentence models (no weights needed)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from indexer.pipeline import Models
from indexer.types import TextLine, TextSpan, Word
from search import VideoSearch
from tests.conftest import ColourImages, ColourTexts
from vidsearch.settings import Settings


class ScriptedSpeech:
    """Says the given sentences at the given times, word times spread evenly."""

    name = "fake:speech"

    def __init__(self, sentences: Sequence[tuple[float, float, str]]) -> None:
        self.sentences = sentences
        self.calls = 0

    def transcribe(self, samples: np.ndarray) -> tuple[list[TextSpan], str]:
        self.calls += 1
        spans = []
        for start, end, text in self.sentences:
            words = text.split()
            step = (end - start) / len(words)
            timed = tuple(Word(start + i * step, start + (i + 1) * step, w) for i, w in enumerate(words))
            spans.append(TextSpan("speech", start, end, text, 0.9, timed))
        return spans, "en"


class ScriptedSounds:
    """Hears the given labels at the given times."""

    name = "fake:sounds"

    def __init__(self, events: Sequence[tuple[float, float, str, float]]) -> None:
        self.events = events

    def detect(self, samples: np.ndarray) -> list[TextSpan]:
        return [TextSpan("audio", start, end, label, score) for start, end, label, score in self.events]


class ColourCaptions:
    """Reads a caption named after the frame's dominant colour, e.g. 'GREEN VALLEY TOUR'."""

    name = "fake:ocr"
    CAPTIONS = ("RED SUNSET BOULEVARD", "GREEN VALLEY TOUR", "BLUE LAGOON 42")

    def __init__(self) -> None:
        self.reads = 0

    def read(self, image: np.ndarray) -> list[TextLine]:
        self.reads += 1
        channel = int(np.argmax(image.reshape(-1, 3).mean(axis=0)))
        text = self.CAPTIONS[channel]
        height, width = image.shape[:2]
        return [TextLine(text, 0.95, (0.0, 0.0, float(width), float(height) / 5))]


class HashedWords:
    """A sentence encoder that knows only words: bag of hashed word stems, unit length. Texts that
    share words are similar; a tiny synonym table stands in for meaning."""

    name = "fake:words"
    dim = 256
    SYNONYMS = {"boat": "ship", "dog": "bark", "barking": "bark", "clapping": "applause", "hound": "bark"}

    def encode(self, batch: Sequence[str]) -> np.ndarray:
        rows = np.zeros((len(batch), self.dim), np.float32)
        for row, text in enumerate(batch):
            for word in re.findall(r"\w+", text.lower()):
                word = self.SYNONYMS.get(word.rstrip("s"), word.rstrip("s"))
                rows[row, int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dim] += 1.0
        return rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-6)


def fake_models(
    sentences: Sequence[tuple[float, float, str]],
    sounds: Sequence[tuple[float, float, str, float]],
    **given: object,
) -> Models:
    """Every modality served by a fake: colour images, `sentences` spoken and `sounds` heard in
    each file, colour captions on screen, hashed words; `given` replaces any of them by field."""
    defaults = {
        "images": ColourImages(),
        "speech": ScriptedSpeech(sentences),
        "ocr": ColourCaptions(),
        "audio": ScriptedSounds(sounds),
        "sentences": HashedWords(),
    }
    return Models(**{**defaults, **given})  # type: ignore[arg-type]


def fake_engine(index: Path) -> VideoSearch:
    """The engine of an index made with `fake_models`, its query encoders the fakes' own."""
    return VideoSearch(index, Settings(), texts=ColourTexts(), sentences=HashedWords(), images=ColourImages())
