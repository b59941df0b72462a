"""Synthesising files whose streams are unusual: sound that starts late, holes, several audio
tracks, sound without pictures, formats that change mid-stream; and a fake transcriber that
"hears" tone bursts exactly, so tests can check where the pipeline puts what was heard."""

from __future__ import annotations

import wave
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from indexer.types import TextSpan, Word
from tests.media import run

RATE = 44_100


@dataclass(frozen=True)
class Tone:
    """A burst of a sine tone: `pitch` Hz from `start` for `seconds`."""

    start: float
    pitch: int
    seconds: float = 0.4


def tones_wav(path: Path, duration: float, tones: Sequence[Tone], rate: int = RATE) -> Path:
    """A mono 16-bit WAV of `duration` seconds, silent but for `tones`."""
    samples = np.zeros(round(duration * rate), np.float32)
    for tone in tones:
        first, count = round(tone.start * rate), round(tone.seconds * rate)
        time = np.arange(count) / rate
        samples[first : first + count] = 0.5 * np.sin(2 * np.pi * tone.pitch * time)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes((samples * 32767).astype("<i2").tobytes())
    return path


def picture(seconds: float, size: str = "160x120") -> list[str]:
    """ffmpeg input arguments of a moving test picture lasting `seconds`."""
    return ["-f", "lavfi", "-i", f"testsrc2=s={size}:r=25:d={seconds}"]


def bursts(samples: np.ndarray, rate: int = 16_000) -> list[tuple[float, float, int]]:
    """(start, end, pitch rounded to 100 Hz) of each burst of sound in `samples`, found on 10 ms
    windows louder than -30 dBFS."""
    window = rate // 100
    count = len(samples) // window
    loud = np.sqrt(np.square(samples[: count * window]).reshape(count, window).mean(axis=1)) > 0.03
    found: list[tuple[float, float, int]] = []
    n = 0
    while n < count:
        if not loud[n]:
            n += 1
            continue
        m = n
        while m < count and loud[m]:
            m += 1
        piece = samples[n * window : m * window]
        spectrum = np.abs(np.fft.rfft(piece))
        pitch = int(round(np.argmax(spectrum) * rate / len(piece) / 100) * 100)
        found.append((n * window / rate, m * window / rate, pitch))
        n = m
    return found


class HeardTones:
    """A stand-in transcriber: each tone burst in the samples it is given is a sentence naming its
    pitch ("tone 1000 hertz"), at the time it sounds within those samples."""

    name = "fake:tones"

    def __init__(self) -> None:
        self.calls = 0

    def transcribe(self, samples: np.ndarray) -> tuple[list[TextSpan], str]:
        self.calls += 1
        spans = []
        for start, end, pitch in bursts(samples):
            words = (Word(start, end, "tone"), Word(start, end, str(pitch)), Word(start, end, "hertz"))
            spans.append(TextSpan("speech", start, end, f"tone {pitch} hertz", 0.9, words))
        return spans, "en"


def heard(spans: Sequence[TextSpan]) -> list[tuple[float, int | None, str]]:
    """(start rounded to 10 ms, track, text) of the speech spans, in time order."""
    return sorted((round(s.start, 2), s.track, s.text) for s in spans if s.modality == "speech")


def mux(path: Path, inputs: Sequence[str], *options: str) -> Path:
    """Run ffmpeg with `inputs` (its -i arguments) and `options`, writing `path`."""
    run([*inputs, *options, str(path)])
    return path
