"""open_clip image and text towers. The only module that imports torch or open_clip.

Weights come from, in order: a local checkpoint file (`checkpoint`), the local cache of the
pretrained tag's hub download, or the hub itself when it can be reached. Random weights are
only ever used when `random_init=True`, which nothing outside the tests sets.

Architectures whose text tower is a Hugging Face transformers model (`text_cfg.hf_model_name`,
e.g. the multilingual `xlm-roberta-base-ViT-B-32`) also need that model's config and tokenizer
(`HF_TEXT_FILES`; its weights are in the CLIP checkpoint): a local directory when the config
names one, else the Hugging Face cache, else the hub, under the same offline rules as the
weights. They are resolved here to a local directory before open_clip sees them, so neither
open_clip nor transformers ever reaches for the network on its own.
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
from indexer.encoders.hub import local_dir, reachable
from indexer.errors import ModelUnavailable, describe
from indexer.files import content_hash
from indexer.types import Modality

log = logging.getLogger(__name__)

MODALITY = Modality.VISUAL
T = TypeVar("T")

HF_TEXT_FILES = ("config.json", "tokenizer*.json", "special_tokens_map.json", "*.model", "vocab.*", "merges.txt")
"""Files of a Hugging Face text tower's repository that a CLIP needs besides its own checkpoint:
the config (layer sizes) and the tokenizer in any of its formats (sentencepiece `*.model`, BPE
`vocab.json` + `merges.txt`, WordPiece `vocab.txt`, `tokenizer.json`). For xlm-roberta-base
about 14 MB (tokenizer.json 9 MB, sentencepiece.bpe.model 5 MB)."""


DEFAULT_MODEL = "ViT-B-32"
DEFAULT_PRETRAINED = "laion2b_s34b_b79k"


@dataclass(frozen=True)
class ClipSpec:
    """Which CLIP to load. `model` is an open_clip architecture name or a model-config JSON file;
    `pretrained` an open_clip pretrained tag of it, or "" for the architecture's own one
    (DEFAULT_PRETRAINED for DEFAULT_MODEL, else its only tag: `laion5b_s13b_b90k` for the
    multilingual `xlm-roberta-base-ViT-B-32`)."""

    model: str = DEFAULT_MODEL
    pretrained: str = DEFAULT_PRETRAINED
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
    def pretrained(self) -> str:
        """The pretrained tag the weights come by when no checkpoint is given: the spec's, else the
        architecture's own (see `ClipSpec`). ModelUnavailable when it has none, or several."""
        if self.spec.pretrained:
            return self.spec.pretrained
        if self.architecture == DEFAULT_MODEL:
            return DEFAULT_PRETRAINED
        from open_clip import pretrained

        self._register_config()
        tags = pretrained.list_pretrained_tags_by_model(self.architecture)
        if len(tags) != 1:
            known = ", ".join(tags) or "none"
            raise ModelUnavailable(MODALITY, self.spec.model, f"name a pretrained tag (known: {known})")
        return str(tags[0])

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
        text_cfg = self._hf_text_cfg()
        device = _pick_device(self.spec.device)
        try:
            model, _, preprocess = open_clip.create_model_and_transforms(
                self.architecture,
                pretrained=weights,
                device=device,
                precision="fp16" if device.startswith("cuda") else "fp32",
                pretrained_text=False,
                **({"text_cfg": text_cfg} if text_cfg is not None else {}),
            )
            tokenizer = open_clip.get_tokenizer(self.architecture) if text_cfg is None else _hf_tokenizer(text_cfg)
        except Exception as exc:  # open_clip and transformers raise plain RuntimeError/KeyError/OSError
            raise ModelUnavailable(MODALITY, self.spec.model, describe(exc)) from exc
        model.eval()
        torch.set_grad_enabled(False)
        log.info("loaded CLIP %s (%s) on %s", self.architecture, self._weights_id, device)
        return model, preprocess, tokenizer, device

    def _hf_text_cfg(self) -> dict[str, Any] | None:
        """The architecture's `text_cfg` with its Hugging Face model and tokenizer names replaced
        by local directories, and the tower's own pretrained weights off (the CLIP checkpoint holds
        them); None for open_clip's built-in text towers. Raises ModelUnavailable."""
        import open_clip

        text_cfg = dict(open_clip.get_model_config(self.architecture)["text_cfg"])
        if "hf_model_name" not in text_cfg:
            return None
        model = text_cfg["hf_model_name"]
        tokenizer = text_cfg.get("hf_tokenizer_name") or model
        model_dir = _hf_text_dir(model, self.spec.offline)
        tokenizer_dir = model_dir if tokenizer == model else _hf_text_dir(tokenizer, self.spec.offline)
        return {
            **text_cfg,
            "hf_model_name": model_dir,
            "hf_tokenizer_name": tokenizer_dir,
            "hf_model_pretrained": False,
        }

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
        tag = self.pretrained
        return _pretrained_file(self.architecture, tag, spec.offline), tag

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
        features = model.encode_text(_unpadded(tokenizer(list(texts)), model).to(device))
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


def _hf_text_dir(name: str, offline: bool) -> str:
    """A local directory holding the `HF_TEXT_FILES` of the Hugging Face model `name` (a directory
    already, or a hub repository: from the cache, else downloaded once). Raises ModelUnavailable."""
    given = local_dir(name)
    if given is not None:
        return str(given)
    what = f"text tower {name} (its config and tokenizer)"
    if name.startswith(("/", ".", "~")):
        raise ModelUnavailable(MODALITY, what, "directory not found")
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HFValidationError, LocalEntryNotFoundError

    try:
        cached = snapshot_download(name, allow_patterns=list(HF_TEXT_FILES), local_files_only=True)
    except LocalEntryNotFoundError:
        cached = None
    except HFValidationError as exc:
        raise ModelUnavailable(MODALITY, what, f"neither a directory nor a hub name: {describe(exc)}") from exc
    if cached is not None and (Path(cached) / "config.json").is_file():
        return str(cached)
    missing = "not in the local Hugging Face cache (a model config may name a local directory instead)"
    if offline:
        raise ModelUnavailable(MODALITY, what, f"{missing} and offline mode is on")
    host = _hub_host({"hf_hub": name})
    if not reachable(host):
        raise ModelUnavailable(MODALITY, what, f"{missing} and {host} cannot be reached")
    try:
        return str(snapshot_download(name, allow_patterns=list(HF_TEXT_FILES)))
    except Exception as exc:  # network and hub errors come in many classes
        raise ModelUnavailable(MODALITY, what, f"download failed: {describe(exc)}") from exc


def _hf_tokenizer(text_cfg: dict[str, Any]) -> Any:
    """open_clip's wrapper of the Hugging Face tokenizer in `text_cfg["hf_tokenizer_name"]` (a local
    directory), as `open_clip.get_tokenizer` builds it: `context_length` from the config, else
    open_clip's default (77 tokens: the LAION multilingual configs name none, so they were trained
    with it)."""
    from open_clip.tokenizer import DEFAULT_CONTEXT_LENGTH, HFTokenizer

    return HFTokenizer(
        text_cfg["hf_tokenizer_name"],
        context_length=text_cfg.get("context_length", DEFAULT_CONTEXT_LENGTH),
        tokenizer_mode=text_cfg.get("tokenizer_mode"),
        **text_cfg.get("tokenizer_kwargs", {}),
    )


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


TRIMMABLE_POOLERS = frozenset({"MeanPooler", "ClsPooler", "ClsLastHiddenStatePooler"})
"""open_clip's poolers of Hugging Face text towers whose vectors do not depend on trailing padding."""


def _unpadded(tokens: Any, model: Any) -> Any:
    """`tokens` (batch x context ids, padded on the right) without the columns that are padding in
    every row, for a Hugging Face text tower that masks padding out (attention mask from the pad
    id, `TRIMMABLE_POOLERS`): the same vectors (within float rounding) for a fraction of the work,
    as a query of 15 tokens then runs 15 positions, not the context's 77. open_clip's built-in
    tower adds all 77 positional embeddings and pools at the end-of-text token, so it keeps them."""
    text = getattr(model, "text", None)
    pad = getattr(getattr(text, "config", None), "pad_token_id", None)
    if pad is None or type(getattr(text, "pooler", None)).__name__ not in TRIMMABLE_POOLERS:
        return tokens
    used = (tokens != pad).any(dim=0).nonzero()
    return tokens[:, : int(used.max()) + 1] if len(used) else tokens


def _pick_device(device: str) -> str:
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


def _dtype(model: Any) -> Any:
    return next(model.parameters()).dtype
