"""The one settings object, built at an entry point (CLI, API, page) and passed down.

Every field can be set from the environment with the `VIDSEARCH_` prefix, e.g.
`VIDSEARCH_MAX_SEGMENT=6`; command-line options override the environment.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

MODALITIES = ("visual",)
"""Modalities this build can index; later ones (speech, text on screen, audio) join this list."""


class Settings(BaseSettings):
    """Indexing and search settings. Times are seconds."""

    model_config = SettingsConfigDict(env_prefix="VIDSEARCH_", frozen=True)

    clip_model: str = Field("ViT-B-32", description="open_clip architecture name, or a model-config JSON file")
    clip_pretrained: str = Field("laion2b_s34b_b79k", description="open_clip pretrained tag (hub weights)")
    clip_checkpoint: Path | None = Field(None, description="local CLIP weights file; overrides the pretrained tag")
    device: str = Field("auto", description="'auto' (CUDA when present, else CPU), 'cpu', 'cuda', 'cuda:1'...")
    offline: bool = Field(False, description="never try to download weights, use only local files and caches")

    decoder: Literal["auto", "decord", "pyav"] = "auto"
    frame_size: int = Field(224, ge=32, description="short side in pixels that frames are decoded to")
    max_segment: float = Field(10.0, gt=0, description="longest segment, seconds")
    min_shot: float = Field(0.5, ge=0, description="shortest shot, seconds")
    cut_threshold: float = Field(27.0, gt=0, description="content-change score of a hard cut")
    fade_threshold: float = Field(12.0, ge=0, description="mean pixel level (0-255) of a black frame")
    keyframes: int = Field(3, ge=1, description="most keyframes embedded per segment")
    keyframe_fps: float = Field(2.0, gt=0, description="rate at which keyframe candidates are sampled")
    batch_size: int = Field(32, ge=1, description="images per model call")

    modalities: tuple[str, ...] = Field(MODALITIES, description="modalities to index")
    max_moment: float = Field(30.0, gt=0, description="longest moment that adjacent hits merge into")
    merge_margin: float = Field(0.02, ge=0, description="score gap within which touching segments merge")
