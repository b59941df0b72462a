"""open_clip image and text towers. The only module that imports torch or open_clip.

Weights come from, in order: a local checkpoint file (`checkpoint`), the local cache of the
pretrained tag's hub download, or the hub itself when it can be reached. Random weights are
only ever used when `random_init=True`, which nothing outside the tests sets.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar
from urllib.parse import urlparse

import numpy as np

from indexer.encoders import normalise
from indexer.encoders.hub import reachable
from indexer.errors import ModelUnavailable, describe
from indexer.files import content_hash
from indexer.types import Modality

log = logging.getLogger(__name__)

MODALITY = Modality.VISUAL
T = TypeVar("T")


@dataclass(frozen=True)
class ClipSpec:
    """Which CLIP to load. `model` is an open_clip architecture name or a model-config JSON file."""

    model: str = "ViT-B-32"
    pretrained: str = "laion2b_s34b_b79k"
    checkpoint: Path | None = None
    device: str = "auto"
    batch_size: int = 32
    offline: bool = False
    random_init: bool = False


class OpenClip:
    """One CLIP model, loaded lazily and once, shared by its image and text encoders."""

    def __init__(self, spec: ClipSpec) -> None:
        self.spec = spec
        self._loaded: tuple[Any, Any, Any, str] | None = None
        self._weights_id: str | None = None

    @property
    def architecture(self) -> str:
        path = Path(self.spec.model)
        return path.stem if path.suffix == ".json" else self.spec.model

    @property
    def name(self) -> str:
        """Identity of architecture + weights, e.g. `open_clip:ViT-B-32:laion2b_s34b_b79k`.

        Resolving it needs the weights (a checkpoint is named by its content hash), so it loads them.
        """
        self.load()
        assert self._weights_id is not None
        return f"open_clip:{self.architecture}:{self._weights_id}"

    @property
    def dim(self) -> int:
        """Embedding size, read from the architecture's config (no weights needed)."""
        import open_clip

        self._register_config()
        return int(open_clip.get_model_config(self.architecture)["embed_dim"])

    def load(self) -> tuple[Any, Any, Any, str]:
        """(model, preprocess, tokenizer, device); raises ModelUnavailable when weights cannot be had."""
        if self._loaded is None:
            self._loaded = self._load()
        return self._loaded

    def _load(self) -> tuple[Any, Any, Any, str]:
        import open_clip
        import torch

        self._register_config()
        weights, self._weights_id = self._resolve_weights()
        device = _pick_device(self.spec.device)
        try:
            model, _, preprocess = open_clip.create_model_and_transforms(
                self.architecture,
                pretrained=weights,
                device=device,
                precision="fp16" if device.startswith("cuda") else "fp32",
            )
        except Exception as exc:  # open_clip raises plain RuntimeError/KeyError for bad names or files
            raise ModelUnavailable(MODALITY, self.spec.model, describe(exc)) from exc
        model.eval()
        torch.set_grad_enabled(False)
        log.info("loaded CLIP %s (%s) on %s", self.architecture, self._weights_id, device)
        return model, preprocess, open_clip.get_tokenizer(self.architecture), device

    def _register_config(self) -> None:
        import open_clip

        path = Path(self.spec.model)
        if path.suffix != ".json":
            if self.spec.model not in open_clip.list_models():
                raise ModelUnavailable(MODALITY, self.spec.model, "unknown open_clip architecture")
            return
        if not path.is_file():
            raise ModelUnavailable(MODALITY, self.spec.model, "model config file not found")
        open_clip.add_model_config(path)

    def _resolve_weights(self) -> tuple[str | None, str]:
        """(what to pass open_clip as `pretrained`, a stable id of those weights)."""
        spec = self.spec
        if spec.checkpoint is not None:
            if not spec.checkpoint.is_file():
                raise ModelUnavailable(MODALITY, str(spec.checkpoint), "checkpoint file not found")
            return str(spec.checkpoint), f"sha256-{content_hash(spec.checkpoint)[:16]}"
        if spec.random_init:
            return None, "random-init"
        return _pretrained_file(self.architecture, spec.pretrained, spec.offline), spec.pretrained

    def encode_images(self, images: Sequence[np.ndarray]) -> np.ndarray:
        """Unit vectors for RGB uint8 HxWx3 images, computed in batches of `spec.batch_size`."""
        import torch
        from PIL import Image

        model, preprocess, _, device = self.load()
        out = []
        for first in range(0, len(images), self.spec.batch_size):
            chunk = images[first : first + self.spec.batch_size]
            pixels = torch.stack([preprocess(Image.fromarray(image)) for image in chunk])
            features = model.encode_image(pixels.to(device, dtype=_dtype(model)))
            out.append(features.float().cpu().numpy())
        return normalise(np.concatenate(out)) if out else np.zeros((0, self.dim), np.float32)

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors for query strings, in the same space as `encode_images`."""
        model, _, tokenizer, device = self.load()
        features = model.encode_text(tokenizer(list(texts)).to(device))
        return normalise(features.float().cpu().numpy())

    @functools.cached_property
    def images(self) -> ClipTower[np.ndarray]:
        """The image tower as an `Encoder` of RGB uint8 arrays."""
        return ClipTower(self, self.encode_images)

    @functools.cached_property
    def texts(self) -> ClipTower[str]:
        """The text tower as an `Encoder` of strings."""
        return ClipTower(self, self.encode_texts)


@dataclass(frozen=True)
class ClipTower(Generic[T]):
    """One tower of an `OpenClip`, seen through the `Encoder` protocol."""

    clip: OpenClip
    encode_fn: Callable[[Sequence[T]], np.ndarray]

    @property
    def name(self) -> str:
        return self.clip.name

    @property
    def dim(self) -> int:
        return self.clip.dim

    def encode(self, batch: Sequence[T]) -> np.ndarray:
        return self.encode_fn(batch)


def _pretrained_file(architecture: str, tag: str, offline: bool) -> str:
    """Local path of the pretrained weights: from the cache, else downloaded once."""
    from open_clip import pretrained

    cfg = pretrained.get_pretrained_cfg(architecture, tag)
    if not cfg:
        known = ", ".join(pretrained.list_pretrained_tags_by_model(architecture)) or "none"
        raise ModelUnavailable(MODALITY, f"{architecture}:{tag}", f"unknown pretrained tag (known: {known})")
    cached = _cached_file(cfg)
    if cached:
        return cached
    if offline:
        raise ModelUnavailable(
            MODALITY, f"{architecture}:{tag}", "weights are not in the local cache and offline mode is on"
        )
    host = _hub_host(cfg)
    if not reachable(host):
        raise ModelUnavailable(
            MODALITY, f"{architecture}:{tag}", f"weights are not in the local cache and {host} cannot be reached"
        )
    try:
        return str(pretrained.download_pretrained(cfg))
    except Exception as exc:  # network and hub errors come in many classes
        raise ModelUnavailable(MODALITY, f"{architecture}:{tag}", f"download failed: {describe(exc)}") from exc


def _cached_file(cfg: dict[str, Any]) -> str | None:
    if cfg.get("hf_hub"):
        from huggingface_hub import try_to_load_from_cache

        repo, filename = os.path.split(cfg["hf_hub"])
        for name in ("open_clip_model.safetensors", filename or "open_clip_pytorch_model.bin"):
            found = try_to_load_from_cache(repo, name)
            if isinstance(found, str):
                return found
    if cfg.get("url"):
        path = Path("~/.cache/clip").expanduser() / os.path.basename(cfg["url"])
        return str(path) if path.is_file() else None
    return None


def _hub_host(cfg: dict[str, Any]) -> str:
    if cfg.get("hf_hub"):
        from huggingface_hub import constants

        return urlparse(constants.ENDPOINT).hostname or "huggingface.co"
    return urlparse(cfg.get("url", "")).hostname or "the download server"


def _pick_device(device: str) -> str:
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


def _dtype(model: Any) -> Any:
    return next(model.parameters()).dtype
