"""The one settings object, built at an entry point (CLI, API, page) and passed down.

Every field can be set from the environment with the `VIDSEARCH_` prefix, e.g.
`VIDSEARCH_MAX_SEGMENT=6`; command-line options override the environment.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MODALITIES = ("visual", "speech", "ocr", "audio")
"""What can be indexed and searched: keyframes (CLIP), what is said (Whisper), text on screen
(OCR) and sounds (YAMNet). Transcripts, screen text and sound labels share one sentence space."""


class Settings(BaseSettings):
    """Indexing and search settings. Times are seconds."""

    model_config = SettingsConfigDict(env_prefix="VIDSEARCH_", frozen=True)

    clip_model: str = Field("ViT-B-32", description="open_clip architecture name, or a model-config JSON file")
    clip_pretrained: str = Field("laion2b_s34b_b79k", description="open_clip pretrained tag (hub weights)")
    clip_checkpoint: Path | None = Field(None, description="local CLIP weights file; overrides the pretrained tag")
    device: str = Field("auto", description="'auto' (CUDA when present, else CPU), 'cpu', 'cuda', 'cuda:1'...")
    threads: int = Field(0, ge=0, description="CPU threads per model (0: OMP_NUM_THREADS, else one per core)")
    offline: bool = Field(False, description="never try to download weights, use only local files and caches")

    decoder: Literal["auto", "decord", "pyav"] = Field(
        "pyav", description="pyav (FFmpeg, streaming); decord decodes ~20 % faster but holds ~1.3 GB ahead"
    )
    frame_size: int = Field(224, ge=32, description="short side in pixels that frames are decoded to")
    max_segment: float = Field(10.0, gt=0, description="longest segment, seconds")
    min_shot: float = Field(0.5, ge=0, description="shortest shot, seconds")
    cut_threshold: float = Field(27.0, gt=0, description="content-change score of a hard cut")
    fade_threshold: float = Field(12.0, ge=0, description="mean pixel level (0-255) of a black frame")
    jump_threshold: float = Field(
        3.0, ge=0, description="how far a jump cut's change stands out from the frames around it (ratio); 0: off"
    )
    keyframes: int = Field(3, ge=1, description="most keyframes embedded per segment")
    keyframe_fps: float = Field(2.0, gt=0, description="rate at which keyframe candidates are sampled")
    batch_size: int = Field(32, ge=1, description="images per model call")

    whisper_model: str | None = Field(None, description="faster-whisper model dir or hub name; default: installed")
    whisper_compute_type: str = Field("default", description="CTranslate2 compute type (default int8 CPU, fp16 GPU)")
    language: str | None = Field(None, description="spoken language (ISO code); default: detected per file")
    text_model: str | None = Field(None, description="sentence-transformers dir or hub name; default all-MiniLM-L6-v2")
    audio_tracks: Literal["all", "main"] = Field(
        "all", description="audio tracks heard: all, or only the main one (flagged default, else the first)"
    )
    audio_model: Path | None = Field(None, description="YAMNet .tflite file (class map CSV beside it)")
    audio_threshold: float = Field(0.3, gt=0, le=1, description="lowest class score that counts as a sound event")
    ocr_fps: float = Field(1.0, gt=0, description="rate at which frames are checked for new on-screen text")
    ocr_size: int = Field(720, ge=64, description="short side in pixels of frames read by OCR (never upscaled)")
    ocr_detect_side: int = Field(480, ge=32, description="short side frames are scaled up to to find text")
    ocr_confidence: float = Field(0.6, ge=0, le=1, description="lowest OCR line confidence kept")

    time_limit: float = Field(300.0, gt=0, description="seconds one file may take to index, plus the next")
    time_limit_per_second: float = Field(4.0, ge=0, description="extra seconds allowed per second of video")

    ray_cpus: float = Field(2.0, ge=0.01, description="CPUs each Ray worker reserves (index --ray)")
    ray_gpus: float = Field(1.0, ge=0, description="GPUs each Ray worker reserves on a cluster with GPUs")
    ray_workers: int = Field(0, ge=0, description="most Ray workers (0: as many as the cluster holds)")

    modalities: tuple[str, ...] = Field(MODALITIES, description="modalities to index, and to search")
    max_moment: float = Field(30.0, gt=0, description="longest moment that adjacent hits merge into")
    merge_margin: float = Field(0.02, ge=0, description="score gap within which touching segments merge")
    fusion: Literal["score", "rrf"] = Field("score", description="how modalities combine into one ranking")
    weight_visual: float = Field(1.0, ge=0, description="weight of visual evidence in the fused ranking")
    weight_speech: float = Field(1.0, ge=0, description="weight of transcript evidence")
    weight_ocr: float = Field(1.0, ge=0, description="weight of on-screen text evidence")
    weight_audio: float = Field(0.8, ge=0, description="weight of sound-event evidence")
    floor_visual: float = Field(0.22, ge=-1, le=1, description="CLIP cosine below which a keyframe is no match")
    floor_speech: float = Field(0.37, ge=0, le=1, description="match score below which a sentence is no match")
    floor_ocr: float = Field(0.41, ge=0, le=1, description="match score below which screen text is no match")
    floor_audio: float = Field(0.35, ge=0, le=1, description="match score below which a sound is no match")

    @field_validator("modalities")
    @classmethod
    def _known(cls, modalities: tuple[str, ...]) -> tuple[str, ...]:
        unknown = sorted(set(modalities) - set(MODALITIES))
        if unknown:
            raise ValueError(f"unknown modality {', '.join(unknown)}; choose from {', '.join(MODALITIES)}")
        return modalities

    def cpu_threads(self) -> int:
        """Threads each model may use on the CPU: `threads`, else OMP_NUM_THREADS (Ray sets it to
        a worker's CPUs), else one per core this process may run on. Whisper's own default (4)
        oversubscribed 2 cores while OCR ran beside it."""
        if self.threads > 0:
            return self.threads
        given = os.environ.get("OMP_NUM_THREADS", "")
        if given.isdigit() and int(given) > 0:
            return int(given)
        return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1

    def weight(self, modality: str) -> float:
        """The fusion weight of `modality` (0 for unknown ones)."""
        return float(getattr(self, f"weight_{modality}", 0.0))

    def floor(self, modality: str) -> float:
        """The no-match cut-off of `modality`, in its match-score scale."""
        return float(getattr(self, f"floor_{modality}", 0.0))
