"""Encoders turn a batch of inputs into L2-normalised float32 vectors of one space.

Each model family lives in its own module (the only importer of its library) and registers a
backend here by name; a backend builds the encoders for one modality from the settings.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar, runtime_checkable

import numpy as np

from indexer.types import TextLine, TextSpan

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


@runtime_checkable
class QueryEncoder(Encoder[str], Protocol):
    """A text encoder that embeds queries unlike passages (E5's "query: " prefix): `encode` is
    for what is said or shown, `encode_queries` for what people search with; same shapes."""

    def encode_queries(self, batch: Sequence[str]) -> np.ndarray: ...


def normalise(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit L2 length, as float32 (zero rows stay zero)."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


class Transcriber(Protocol):
    """Speech to sentences: `transcribe(16 kHz mono float32) -> (spans, ISO language or '')`."""

    @property
    def name(self) -> str: ...

    def transcribe(self, samples: np.ndarray) -> tuple[list[TextSpan], str]: ...


class TextReader(Protocol):
    """On-screen text: `read(HxWx3 uint8 RGB) -> lines`, top to bottom."""

    @property
    def name(self) -> str: ...

    def read(self, image: np.ndarray) -> list[TextLine]: ...


@runtime_checkable
class BoxReader(TextReader, Protocol):
    """A TextReader whose two steps can be run apart, so text already found is read again
    without looking for text anew: `find` detects and recognises the boxes of text in an image
    (each with its `corners`); `reread` recognises the given boxes in another image of the same
    size (same boxes, new text and confidence); `group` joins boxes into the lines `read` gives.
    `read(image) == group(find(image))`."""

    def find(self, image: np.ndarray) -> list[TextLine]: ...

    def reread(self, image: np.ndarray, boxes: Sequence[TextLine]) -> list[TextLine]: ...

    def group(self, boxes: Sequence[TextLine]) -> list[TextLine]: ...


class SoundDetector(Protocol):
    """Sound events: `detect(16 kHz mono float32) -> labelled spans` (modality 'audio')."""

    @property
    def name(self) -> str: ...

    def detect(self, samples: np.ndarray) -> list[TextSpan]: ...
