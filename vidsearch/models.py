"""Which model serves each modality, built from the settings: one builder per modality in a dict.

A builder resolves its model's identity (cheaply where it can: no weights are loaded until the
first file needs them) and returns the model with the record the index keeps about it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from indexer.encoders.clip import OpenClip
from indexer.encoders.ocr import RapidOcr
from indexer.encoders.sound import SoundSpec, YamNet
from indexer.encoders.speech import Whisper, WhisperSpec
from indexer.encoders.text import SentenceEncoder
from indexer.errors import ModelUnavailable
from indexer.pipeline import Models
from search.engine import clip_spec, sentence_spec
from search.store import TEXT, VISUAL
from search.types import ModelRecord
from vidsearch.settings import Settings

log = logging.getLogger(__name__)

Built = tuple[Any, ModelRecord]


def _visual(settings: Settings) -> Built:
    spec = clip_spec(settings)
    clip = OpenClip(spec)
    name = clip.name
    weights = str(spec.checkpoint.absolute()) if spec.checkpoint else spec.pretrained
    config = str(Path(spec.model).absolute()) if spec.model.endswith(".json") else spec.model
    return clip.images, ModelRecord(VISUAL, name, clip.dim, True, config=config, weights=weights)


def _speech(settings: Settings) -> Built:
    spec = WhisperSpec(
        model=settings.whisper_model,
        device=settings.device,
        compute_type=settings.whisper_compute_type,
        language=settings.language,
        offline=settings.offline,
        threads=settings.cpu_threads(),
    )
    whisper = Whisper(spec)
    return whisper, ModelRecord("speech", whisper.name, 0, True, config=settings.whisper_model or "")


def _ocr(settings: Settings) -> Built:
    reader = RapidOcr(settings.ocr_confidence, settings.ocr_detect_side, settings.cpu_threads())
    reader.load()
    return reader, ModelRecord("ocr", reader.name, 0, True)


def _audio(settings: Settings) -> Built:
    spec = SoundSpec(model=settings.audio_model, offline=settings.offline, threshold=settings.audio_threshold)
    sounds = YamNet(spec)
    return sounds, ModelRecord("audio", sounds.name, 0, True, weights=str(settings.audio_model or ""))


def _text(settings: Settings) -> Built:
    encoder = SentenceEncoder(sentence_spec(settings))
    return encoder, ModelRecord(TEXT, encoder.name, encoder.dim, True, config=settings.text_model or "")


BUILDERS: dict[str, Callable[[Settings], Built]] = {
    VISUAL: _visual,
    "speech": _speech,
    "ocr": _ocr,
    "audio": _audio,
    TEXT: _text,
}
"""Model builders by modality; `text` is the sentence space the other three need."""

FIELDS = {"visual": "images", "speech": "speech", "ocr": "ocr", "audio": "sounds", TEXT: "sentences"}


@dataclass(frozen=True)
class Resolved:
    """The models of a run and what to record: available ones, and missing ones with the reason."""

    models: Models
    records: tuple[ModelRecord, ...]

    @property
    def missing(self) -> tuple[ModelRecord, ...]:
        return tuple(r for r in self.records if not r.available)


def resolve(settings: Settings, given: Models | None = None, strict: frozenset[str] = frozenset()) -> Resolved:
    """Build the model of every modality in `settings.modalities` (plus the sentence model they
    need). `given` supplies models directly (tests, apps). A model that cannot be had is skipped
    loudly, or raises ModelUnavailable when its modality is in `strict` (the user named it)."""
    wanted = [m for m in BUILDERS if m in settings.modalities]
    if set(wanted) & {"speech", "ocr", "audio"}:
        wanted.append(TEXT)
    chosen: dict[str, Any] = {}
    records: list[ModelRecord] = []
    for modality in wanted:
        supplied = getattr(given, FIELDS[modality]) if given is not None else None
        try:
            model, record = _given(modality, supplied, settings) if supplied else BUILDERS[modality](settings)
        except ModelUnavailable as error:
            if modality in strict:
                raise
            log.warning("%s", ways_out(error))
            records.append(ModelRecord(modality, error.model, 0, False, reason=error.reason))
            continue
        chosen[FIELDS[modality]] = model
        records.append(record)
    return Resolved(replace(Models(), **chosen), tuple(records))


def _given(modality: str, model: Any, settings: Settings) -> Built:
    config = settings.clip_model if modality == VISUAL else ""
    return model, ModelRecord(modality, model.name, int(getattr(model, "dim", 0)), True, config=config)


def ways_out(error: ModelUnavailable) -> str:
    """The loud message for a modality whose model cannot be had, with the ways out."""
    if error.modality != VISUAL:
        return f"{error.modality} search is OFF: {error}. Or leave it out with --modalities to silence this."
    return (
        f"{error.modality} search is OFF: {error}. Ways out: connect to the internet once so the "
        f"weights download into the local cache; or pass --clip-checkpoint PATH (a local weights file); "
        f"or leave the modality out (--modalities) to silence this."
    )
