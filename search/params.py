"""What a caller tells search: how to rank and which query models to load. The entry layer
builds `SearchParams` from its settings; the defaults here are the settings' defaults.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Protocol

from indexer.encoders.clip import ClipSpec
from indexer.types import Modality

FLOORS: Mapping[Modality, float] = MappingProxyType(
    {Modality.VISUAL: 0.22, Modality.SPEECH: 0.37, Modality.OCR: 0.41, Modality.AUDIO: 0.35}
)
"""Each modality's no-match floor, in its own scale (CLIP cosine for visual, 0..1 match for the
word modalities): chosen by `benchmarks/calibrate.py` on the calibration split of the evaluation
library, so that right answers stay above it and the top hits of off-topic queries fall below."""
MULTILINGUAL_FLOORS: Mapping[Modality, float] = MappingProxyType(
    {Modality.SPEECH: 0.41, Modality.OCR: 0.52, Modality.AUDIO: 0.35}
)
"""The word modalities' floors for text scored by the multilingual model of the sentence space
(anything but English text against an English query: `indexer.encoders.text.PairedEncoder`), in
the same 0..1 match scale: chosen by `benchmarks/calibrate.py` on the calibration split's queries
in other languages and across languages, so that each language's off-topic queries are rejected
by each modality alone at least 9 times in 10: speech 0.41 (Italian and Russian off-topic tops
reach 0.42; it keeps 80 % of the right answers), screen text 0.52 (Chinese off-topic queries score
0.37-0.52 on Chinese titles by meaning alone; Chinese words are still found by keyword), sound as
in English (no off-topic query in another language scored over 0.32)."""
VISUAL_SPAN = 0.3
"""CLIP cosine above the visual floor at which a keyframe counts as a certain match (1.0) for a
query in words; the visual match score rises linearly from 0.5 at the floor. Not calibrated: no
CLIP weights here."""
IMAGE_FLOOR = 0.75
"""The visual floor when the query is a picture ("more like this": the mean of a segment's
keyframes; search by image): a CLIP cosine between two pictures, which runs far higher than
between words and a picture (the text floor, 0.22). Published figures for CLIP ViT-B/32 put
unrelated photographs at about 0.4-0.65 and pictures of the same kind of scene at 0.75 and over
(near-duplicates 0.9+, as dataset de-duplication uses); the match score then rises linearly from
0.5 at the floor to 1 at identical pictures. Not calibrated on this project's data: no CLIP
weights were at hand (the tests' tiny random CLIP checks only that the floor applies)."""
WEIGHTS: Mapping[Modality, float] = MappingProxyType(
    {Modality.VISUAL: 1.0, Modality.SPEECH: 1.0, Modality.OCR: 1.0, Modality.AUDIO: 0.8}
)
"""Each modality's default weight in the fused ranking: sound labels, a few words from a fixed
list of 521 classes, count for less than the other modalities (a choice, not calibrated)."""


@dataclass(frozen=True)
class Retrieval:
    """How each modality picks its candidates: `floors` (see FLOORS; a modality left out has
    floor 0) and `multilingual` (see MULTILINGUAL_FLOORS) for text the multilingual model scored,
    and for visual hits, touching segments within `merge_margin` of each other's score join into
    moments of at most `max_moment` seconds (see `search.moments.merge`). A visual match rises
    from 0.5 at the floor to 1 at `visual_span` above it; `image_floor` is the visual floor for a
    picture as the query (`by_image`)."""

    floors: Mapping[Modality, float] = field(default_factory=lambda: dict(FLOORS))
    merge_margin: float = 0.02
    max_moment: float = 30.0
    multilingual: Mapping[Modality, float] = field(default_factory=lambda: dict(MULTILINGUAL_FLOORS))
    image_floor: float = IMAGE_FLOOR
    visual_span: float = VISUAL_SPAN

    def floor(self, modality: Modality, multilingual: bool = False) -> float:
        return (self.multilingual if multilingual else self.floors).get(modality, 0.0)

    def by_image(self) -> Retrieval:
        """These floors for a query that is a picture or a moment ("more like this"): the visual
        floor is `image_floor` and a match is certain only at an identical picture; the word
        modalities keep theirs (sentence vectors of spans compare with each other as a query's do
        with them)."""
        floors = {**self.floors, Modality.VISUAL: self.image_floor}
        return replace(self, floors=floors, visual_span=max(1.0 - self.image_floor, 1e-3))


@dataclass(frozen=True)
class Device:
    """Where query encoders run and whether they may download: `name` as torch names the device
    ("auto": CUDA when present), `offline`, and `batch_size` (images per CLIP call)."""

    name: str = "auto"
    offline: bool = False
    batch_size: int = 32


@dataclass(frozen=True)
class SearchParams:
    """How a `VideoSearch` ranks, and which query encoders it loads. The entry layer builds it
    from its settings (`vidsearch.settings.Settings.search_params`), whose defaults are these.

    `modalities`: searched when a call names none (those indexed, of these). `fusion`: a rule of
    `search.fusion.RULES`; `weights`: each modality's weight in it (a modality left out weighs 1).
    `retrieval`: no-match floors and how visual hits merge. `clip` / `sentence_model`: a query
    model named explicitly (it must be the one the index was made with; None: load the index's
    own). `device`: where and how those models run."""

    modalities: tuple[Modality, ...] = tuple(Modality)
    fusion: str = "score"
    weights: Mapping[Modality, float] = field(default_factory=lambda: dict(WEIGHTS))
    retrieval: Retrieval = field(default_factory=Retrieval)
    clip: ClipSpec | None = None
    sentence_model: str | None = None
    device: Device = field(default_factory=Device)


class SearchConfig(Protocol):
    """Anything that gives search parameters (the entry layer's `Settings` does)."""

    def search_params(self) -> SearchParams: ...
