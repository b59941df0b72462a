"""Which model serves each modality, built from the settings: one builder per role in a dict.

A builder resolves its model's identity (cheaply where it can: no weights are loaded until the
first file needs them) and returns the model with the record the index keeps about it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from indexer.encoders.clip import OpenClip
from indexer.encoders.ocr import RapidOcr
from indexer.encoders.sound import SoundSpec, YamNet
from indexer.encoders.speech import Whisper, WhisperSpec
from indexer.encoders.text import sentence_encoder
from indexer.errors import ModelUnavailable
from indexer.pipeline import AnyModel, Models
from indexer.types import Modality, ModelRole, Space
from search.types import ModelRecord
from vidsearch.settings import Settings

log = logging.getLogger(__name__)

Built = tuple[AnyModel, ModelRecord]


def _visual(settings: Settings) -> Built:
    spec = settings.clip_spec()
    clip = OpenClip(spec)
    name = clip.name
    weights = str(spec.checkpoint.absolute()) if spec.checkpoint else clip.pretrained
    config = str(Path(spec.model).absolute()) if spec.model.endswith(".json") else spec.model
    return clip.images, ModelRecord(Modality.VISUAL, name, clip.dim, True, config=config, weights=weights)


def _speech(settings: Settings) -> Built:
    spec = WhisperSpec(
        model=settings.whisper_model,
        device=settings.device,
        compute_type=settings.whisper_compute_type,
        language=settings.language,
        offline=settings.offline,
        threads=settings.cpu_threads(),
        batch_size=settings.whisper_batch_size,
    )
    whisper = Whisper(spec)
    return whisper, ModelRecord(Modality.SPEECH, whisper.name, 0, True, config=settings.whisper_model or "")


def _ocr(settings: Settings) -> Built:
    reader = RapidOcr(settings.ocr_confidence, settings.ocr_detect_side, settings.cpu_threads(), settings.device)
    reader.load()
    return reader, ModelRecord(Modality.OCR, reader.name, 0, True)


def _audio(settings: Settings) -> Built:
    spec = SoundSpec(model=settings.audio_model, offline=settings.offline, threshold=settings.audio_threshold)
    sounds = YamNet(spec)
    return sounds, ModelRecord(Modality.AUDIO, sounds.name, 0, True, weights=str(settings.audio_model or ""))


def _text(settings: Settings) -> Built:
    encoder = sentence_encoder(settings.sentence_spec())
    return encoder, ModelRecord(Space.SENTENCE, encoder.name, encoder.dim, True, config=encoder.config)


BUILDERS: dict[ModelRole, Callable[[Settings], Built]] = {
    Modality.VISUAL: _visual,
    Modality.SPEECH: _speech,
    Modality.OCR: _ocr,
    Modality.AUDIO: _audio,
    Space.SENTENCE: _text,
}
"""Model builders by role: each modality's, and the sentence space's that the word modalities need."""


@dataclass(frozen=True)
class Resolved:
    """The models of a run and what to record: available ones, and missing ones with the reason."""

    models: Models
    records: tuple[ModelRecord, ...]

    @property
    def missing(self) -> tuple[ModelRecord, ...]:
        return tuple(r for r in self.records if not r.available)


def resolve(settings: Settings, given: Models | None = None, strict: frozenset[ModelRole] = frozenset()) -> Resolved:
    """Build the model of every modality in `settings.modalities` (plus the sentence model they
    need). `given` supplies models directly (tests, apps). A model that cannot be had is skipped
    loudly, or raises ModelUnavailable when its modality is in `strict` (the user named it)."""
    wanted: list[ModelRole] = [m for m in Modality if m in settings.modalities]
    if any(m.space == Space.SENTENCE for m in settings.modalities):
        wanted.append(Space.SENTENCE)
    chosen: dict[ModelRole, AnyModel] = {}
    records: list[ModelRecord] = []
    for role in wanted:
        supplied = given.of(role) if given is not None else None
        try:
            model, record = _given(role, supplied, settings) if supplied else BUILDERS[role](settings)
        except ModelUnavailable as error:
            if role in strict:
                raise
            log.warning("%s", ways_out(error))
            records.append(ModelRecord(role, error.model, 0, False, reason=error.reason))
            continue
        chosen[role] = model
        records.append(record)
    return Resolved(Models.from_roles(chosen), tuple(records))


def sentence_model(settings: Settings, given: Models | None = None) -> Built:
    """The sentence model the settings name (or `given` supplies), with its record; raises ModelUnavailable."""
    supplied = given.of(Space.SENTENCE) if given is not None else None
    return _given(Space.SENTENCE, supplied, settings) if supplied else _text(settings)


def _given(role: ModelRole, model: AnyModel, settings: Settings) -> Built:
    config = settings.clip_model if role == Modality.VISUAL else ""
    return model, ModelRecord(role, model.name, int(getattr(model, "dim", 0)), True, config=config)


def ways_out(error: ModelUnavailable) -> str:
    """The loud message for a modality whose model cannot be had, with the ways out."""
    if error.modality != Modality.VISUAL:
        return f"{error.modality} search is OFF: {error}. Or leave it out with --modalities to silence this."
    return (
        f"{error.modality} search is OFF: {error}. Ways out: connect to the internet once so the "
        f"weights download into the local cache; or pass --clip-checkpoint PATH (a local weights file); "
        f"or leave the modality out (--modalities) to silence this."
    )
