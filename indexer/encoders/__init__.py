"""Encoders turn a batch of inputs into L2-normalised float32 vectors of one space.

Each model family lives in its own module (the only importer of its library) and registers a
backend here by name; a backend builds the encoders for one modality from the settings.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar

import numpy as np

T_contra = TypeVar("T_contra", contravariant=True)


class Encoder(Protocol[T_contra]):
    """`name` identifies model and weights (stored with the vectors); `dim` is the vector size."""

    @property
    def name(self) -> str: ...

    @property
    def dim(self) -> int: ...

    def encode(self, batch: Sequence[T_contra]) -> np.ndarray:
        """Vectors for `batch`: float32 array of shape (len(batch), dim), rows of unit length."""
        ...


def normalise(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit L2 length, as float32 (zero rows stay zero)."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)
