"""The one settings object, built at an entry point (CLI, API, page) and passed down.

Every field can be set from the environment with the `VIDSEARCH_` prefix, e.g.
`VIDSEARCH_MAX_SEGMENT=6`; command-line options override the environment. The layers below take
small parameter objects instead (`index_params`, `search_params`, `clip_spec`, `sentence_spec`),
and own the defaults that the fields here repeat by reference.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from indexer.encoders.clip import DEFAULT_MODEL, DEFAULT_PRETRAINED, ClipSpec
from indexer.encoders.speech import BATCH as SPEECH_BATCH
from indexer.encoders.text import SentenceSpec
from indexer.pipeline import IndexParams
from indexer.shots import ShotParams
from indexer.types import Modality
from search.params import FLOORS, MULTILINGUAL_FLOORS, WEIGHTS, Device, Retrieval, SearchParams

INDEXING = IndexParams()
SEARCHING = SearchParams()
CLIP_FIELDS = frozenset({"clip_model", "clip_pretrained", "clip_checkpoint"})
"""The fields that name a CLIP; one given makes it the model asked for by name."""


class Settings(BaseSettings):
    """Indexing and search settings. Times are seconds."""

    model_config = SettingsConfigDict(env_prefix="VIDSEARCH_", frozen=True)

    clip_model: str = Field(
        DEFAULT_MODEL,
        description="open_clip architecture name (xlm-roberta-base-ViT-B-32: queries in ~100 languages), "
        "or a model-config JSON file",
    )
    clip_pretrained: str = Field(
        DEFAULT_PRETRAINED,
        description=f"open_clip pretrained tag (hub weights); unless named, {DEFAULT_PRETRAINED} for "
        f"{DEFAULT_MODEL}, else the architecture's only tag (laion5b_s13b_b90k for xlm-roberta-base-ViT-B-32)",
    )
    clip_checkpoint: Path | None = Field(None, description="local CLIP weights file; overrides the pretrained tag")
    device: str = Field("auto", description="'auto' (CUDA when present, else CPU), 'cpu', 'cuda', 'cuda:1'...")
    threads: int = Field(0, ge=0, description="CPU threads per model (0: OMP_NUM_THREADS, else one per core)")
    offline: bool = Field(False, description="never try to download weights, use only local files and caches")

    decoder: Literal["auto", "decord", "pyav"] = Field(
        "pyav", description="pyav (FFmpeg, streaming); decord decodes ~20 % faster but holds ~1.3 GB ahead"
    )
    frame_size: int = Field(INDEXING.frame_size, ge=32, description="short side in pixels that frames are decoded to")
    max_segment: float = Field(INDEXING.shots.max_segment, gt=0, description="longest segment, seconds")
    min_shot: float = Field(INDEXING.shots.min_shot, ge=0, description="shortest shot, seconds")
    cut_threshold: float = Field(INDEXING.shots.cut_threshold, gt=0, description="content-change score of a hard cut")
    fade_threshold: float = Field(
        INDEXING.shots.fade_threshold, ge=0, description="mean pixel level (0-255) of a black frame"
    )
    jump_threshold: float = Field(
        INDEXING.shots.jump_threshold,
        ge=0,
        description="how far a jump cut's change stands out from the frames around it (ratio); 0: off",
    )
    keyframes: int = Field(INDEXING.keyframes, ge=1, description="most keyframes embedded per segment")
    keyframe_fps: float = Field(
        INDEXING.keyframe_fps, gt=0, description="rate at which keyframe candidates are sampled"
    )
    batch_size: int = Field(INDEXING.batch_size, ge=1, description="images per model call")

    whisper_model: str | None = Field(None, description="faster-whisper model dir or hub name; default: installed")
    whisper_compute_type: str = Field("default", description="CTranslate2 compute type (default int8 CPU, fp16 GPU)")
    whisper_batch_size: int = Field(
        SPEECH_BATCH, ge=1, description="stretches of speech Whisper decodes at once (1: one after another)"
    )
    language: str | None = Field(None, description="spoken language (ISO code); default: detected per file")
    text_model: str | None = Field(
        None,
        description="sentence model: 'multilingual' (multilingual-e5-small, the default), 'english' "
        "(all-MiniLM-L6-v2), or a sentence-transformers dir or hub name",
    )
    audio_tracks: Literal["all", "main"] = Field(
        "all", description="audio tracks heard: all, or only the main one (flagged default, else the first)"
    )
    audio_model: Path | None = Field(None, description="YAMNet .tflite file (class map CSV beside it)")
    audio_threshold: float = Field(0.3, gt=0, le=1, description="lowest class score that counts as a sound event")
    ocr_fps: float = Field(
        INDEXING.ocr_fps, gt=0, description="rate at which frames are checked for new on-screen text"
    )
    ocr_size: int = Field(
        INDEXING.ocr_size, ge=64, description="short side in pixels of frames read by OCR (never upscaled)"
    )
    ocr_detect_every: int = Field(
        INDEXING.ocr_detect_every,
        ge=1,
        le=10,
        description="samples per window of on-screen text reading: only the last changed frame of a window "
        "is searched for text, the others are read from the boxes found (1: search every changed frame)",
    )
    ocr_detect_side: int = Field(480, ge=32, description="short side frames are scaled up to to find text")
    ocr_confidence: float = Field(0.6, ge=0, le=1, description="lowest OCR line confidence kept")

    time_limit: float = Field(
        INDEXING.time_limit, gt=0, description="seconds one file may take to index, plus the next"
    )
    time_limit_per_second: float = Field(
        INDEXING.time_limit_per_second, ge=0, description="extra seconds allowed per second of video"
    )

    ray_cpus: float = Field(2.0, ge=0.01, description="CPUs each Ray worker reserves (index --ray)")
    ray_gpus: float = Field(1.0, ge=0, description="GPUs each Ray worker reserves on a cluster with GPUs")
    ray_workers: int = Field(0, ge=0, description="most Ray workers (0: as many as the cluster holds)")

    modalities: tuple[Modality, ...] = Field(tuple(Modality), description="modalities to index, and to search")
    max_moment: float = Field(
        SEARCHING.retrieval.max_moment, gt=0, description="longest moment that adjacent hits merge into"
    )
    merge_margin: float = Field(
        SEARCHING.retrieval.merge_margin, ge=0, description="score gap within which touching segments merge"
    )
    fusion: Literal["score", "rrf"] = Field("score", description="how modalities combine into one ranking")
    weight_visual: float = Field(WEIGHTS[Modality.VISUAL], ge=0, description="weight of visual evidence in the ranking")
    weight_speech: float = Field(WEIGHTS[Modality.SPEECH], ge=0, description="weight of transcript evidence")
    weight_ocr: float = Field(WEIGHTS[Modality.OCR], ge=0, description="weight of on-screen text evidence")
    weight_audio: float = Field(WEIGHTS[Modality.AUDIO], ge=0, description="weight of sound-event evidence")
    floor_visual: float = Field(
        FLOORS[Modality.VISUAL], ge=-1, le=1, description="CLIP cosine below which a keyframe is no match"
    )
    floor_speech: float = Field(
        FLOORS[Modality.SPEECH], ge=0, le=1, description="match score below which a sentence is no match"
    )
    floor_ocr: float = Field(
        FLOORS[Modality.OCR], ge=0, le=1, description="match score below which screen text is no match"
    )
    floor_audio: float = Field(
        FLOORS[Modality.AUDIO], ge=0, le=1, description="match score below which a sound is no match"
    )
    floor_speech_multilingual: float = Field(
        MULTILINGUAL_FLOORS[Modality.SPEECH],
        ge=0,
        le=1,
        description="floor_speech, multilingual model",
    )
    floor_ocr_multilingual: float = Field(
        MULTILINGUAL_FLOORS[Modality.OCR], ge=0, le=1, description="floor_ocr, multilingual model"
    )
    floor_audio_multilingual: float = Field(
        MULTILINGUAL_FLOORS[Modality.AUDIO],
        ge=0,
        le=1,
        description="floor_audio, multilingual model",
    )

    @field_validator("modalities", mode="before")
    @classmethod
    def _known(cls, names: object) -> tuple[Modality, ...]:
        """Names as `Modality.parse` reads them (`sound` is `audio`; repeats dropped); a string is
        a comma-separated list."""
        if isinstance(names, str):
            names = [n for n in names.split(",") if n.strip()]
        if not isinstance(names, Iterable):
            raise ValueError("expected a list of modality names")
        return Modality.parse(str(n) for n in names)

    def cpu_threads(self) -> int:
        """Threads each model may use on the CPU: `threads`, else OMP_NUM_THREADS (Ray sets it to
        a worker's CPUs), else the cores this process may run on, halved when models of the
        pictures (OCR, CLIP) and of the sound (Whisper, YAMNet) are both on: the sound is worked
        on beside the pictures, and their thread pools wait for work by spinning. On 2 cores, a
        thread each indexed the 10-minute benchmark library in 57 s (72 s of CPU); two each took
        65 s (112 s of CPU); Whisper's own default (4) was slower still."""
        if self.threads > 0:
            return self.threads
        given = os.environ.get("OMP_NUM_THREADS", "")
        if given.isdigit() and int(given) > 0:
            return int(given)
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
        pictures = {Modality.VISUAL, Modality.OCR} & set(self.modalities)
        sound = {Modality.SPEECH, Modality.AUDIO} & set(self.modalities)
        return max(1, cores // 2) if pictures and sound else cores

    def weights(self) -> dict[Modality, float]:
        """Each modality's weight in the fused ranking."""
        return {
            Modality.VISUAL: self.weight_visual,
            Modality.SPEECH: self.weight_speech,
            Modality.OCR: self.weight_ocr,
            Modality.AUDIO: self.weight_audio,
        }

    def floors(self) -> dict[Modality, float]:
        """Each modality's no-match floor, in its match-score scale."""
        return {
            Modality.VISUAL: self.floor_visual,
            Modality.SPEECH: self.floor_speech,
            Modality.OCR: self.floor_ocr,
            Modality.AUDIO: self.floor_audio,
        }

    def multilingual_floors(self) -> dict[Modality, float]:
        """The word modalities' floors for text the multilingual model scores (`search.params.MULTILINGUAL_FLOORS`)."""
        return {
            Modality.SPEECH: self.floor_speech_multilingual,
            Modality.OCR: self.floor_ocr_multilingual,
            Modality.AUDIO: self.floor_audio_multilingual,
        }

    def index_params(self) -> IndexParams:
        """What the indexer needs of these settings."""
        shots = ShotParams(
            cut_threshold=self.cut_threshold,
            fade_threshold=self.fade_threshold,
            min_shot=self.min_shot,
            max_segment=self.max_segment,
            jump_threshold=self.jump_threshold,
        )
        return IndexParams(
            shots=shots,
            keyframes=self.keyframes,
            keyframe_fps=self.keyframe_fps,
            batch_size=self.batch_size,
            frame_size=self.frame_size,
            decoder=self.decoder,
            ocr_fps=self.ocr_fps,
            ocr_size=self.ocr_size,
            ocr_detect_every=self.ocr_detect_every,
            every_track=self.audio_tracks == "all",
            time_limit=self.time_limit,
            time_limit_per_second=self.time_limit_per_second,
        )

    def clip_spec(self) -> ClipSpec:
        """The CLIP these settings name; another architecture than the default, named without a
        pretrained tag, comes with its own (`ClipSpec`)."""
        named = self.model_fields_set
        own_tag = "clip_model" in named and "clip_pretrained" not in named
        return ClipSpec(
            model=self.clip_model,
            pretrained="" if own_tag else self.clip_pretrained,
            checkpoint=self.clip_checkpoint,
            device=self.device,
            batch_size=self.batch_size,
            offline=self.offline,
        )

    def sentence_spec(self) -> SentenceSpec:
        """The sentence model these settings name (None: the installed default)."""
        return SentenceSpec(model=self.text_model, device=self.device, offline=self.offline, threads=self.cpu_threads())

    def search_params(self) -> SearchParams:
        """What search needs of these settings. A CLIP or sentence model is passed on only when it
        was named (option or environment); otherwise the engine loads the index's own."""
        named = self.model_fields_set
        return SearchParams(
            modalities=self.modalities,
            fusion=self.fusion,
            weights=self.weights(),
            retrieval=Retrieval(self.floors(), self.merge_margin, self.max_moment, self.multilingual_floors()),
            clip=self.clip_spec() if CLIP_FIELDS & named else None,
            sentence_model=self.text_model if "text_model" in named else None,
            device=Device(self.device, self.offline, self.batch_size),
        )
