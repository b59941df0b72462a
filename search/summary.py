"""An extractive summary of a video: the few sentences that cover what is said best, its on-screen
titles, its main sound events and its languages, each with the time to jump to. Nothing in it is
generated: every text is a stored span's (a screen title cleaned of stray edge punctuation).

Sentences are picked by maximal marginal relevance (Carbonell & Goldstein 1998, "The Use of MMR,
Diversity-Based Reranking for Reordering Documents and Producing Summaries", SIGIR): each next
pick maximises LAMBDA * relevance - (1 - LAMBDA) * (its greatest similarity to a sentence already
picked), relevance being the cosine of a sentence's stored vector with the unit mean vector of all
the video's sentences, over whole stored vectors (see `search.chapters`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from indexer.encoders import normalise
from indexer.encoders.sound import BACKGROUND
from indexer.types import Modality
from search.chapters import Material, chapters, clean, fold, titlelike
from search.retrieval import fragment
from search.textmatch import ENGLISH, same_reading, script_language, span_language
from search.types import SpanRecord

LAMBDA = 0.7
"""MMR's trade-off between relevance (1) and novelty (0); 0.7 leans to relevance, as in
Carbonell & Goldstein's summarisation runs (0.3-0.7 covered the calibration split's scenes alike)."""
SENTENCES = 3
"""Sentences a summary picks unless asked for another number."""
TITLES = 5
"""Screen titles a summary lists at most (those shown longest, in time order)."""
SOUNDS = 3
"""Sound labels a summary lists at most."""
TITLE_SHOWN = 1.0
"""Seconds a line of screen text must show to be listed as a title."""
READ_CONFIDENCE = 0.5
"""Least OCR confidence of screen text whose language counts."""
SOUND_CONFIDENCE = 0.3
"""Least classifier confidence of a sound event counted."""
VOICED_CONFIDENCE = 0.6
"""Least confidence of a sound event heard mostly while someone speaks: under it, the label is the
classifier's other reading of the voice (on the evaluation library's test split, "Chant" 0.38,
"Music" 0.46, "Cacophony" 0.50, "Speech synthesizer" 0.45 over synthetic speech)."""


@dataclass(frozen=True)
class SummaryItem:
    """One line of a summary: `kind` "speech" (a sentence said), "screen" (a title shown) or
    "sound" (a sound label heard); [start, end) seconds of the span it quotes; its `text`."""

    kind: str
    start: float
    end: float
    text: str

    def to_json(self) -> dict[str, Any]:
        """kind, start, end (s), text."""
        return {"kind": self.kind, "start": round(self.start, 3), "end": round(self.end, 3), "text": self.text}


@dataclass(frozen=True)
class Summary:
    """A video's summary: `languages` (ISO 639-1) of what is said and written in it, most first;
    `items` in time order."""

    video_id: int
    languages: tuple[str, ...]
    items: tuple[SummaryItem, ...]

    def to_json(self) -> dict[str, Any]:
        """video_id, languages, items (`SummaryItem.to_json`)."""
        items = [item.to_json() for item in self.items]
        return {"video_id": self.video_id, "languages": list(self.languages), "items": items}


def summarise(material: Material, sentences: int = SENTENCES) -> Summary:
    """The summary of a video from its `Material` with at most `sentences` sentences (module docstring)."""
    parts = [chapter.start for chapter in chapters(material)[1:]]
    items = [
        *(
            SummaryItem("speech", s.start, s.end, s.text.strip())
            for s in key_sentences(material, sentences, LAMBDA, parts)
        ),
        *titles(material),
        *main_sounds(material),
    ]
    items.sort(key=lambda i: (i.start, i.end, i.kind))
    return Summary(material.video.id, languages(material), tuple(items))


def key_sentences(
    material: Material, count: int, balance: float = LAMBDA, parts: Sequence[float] | None = None
) -> list[SpanRecord]:
    """Up to `count` spoken sentences picked by MMR (module docstring; `balance` its lambda), in
    time order; with `parts` (the start times of chapters after the first), two sentences of one
    chapter are as redundant as two alike; without stored vectors, sentences spread evenly
    through the video."""
    said = [s for s in material.said if not fragment(s) and s.text.strip()] or [
        s for s in material.said if s.text.strip()
    ]
    if count <= 0 or not said:
        return []
    if len(said) <= count:
        return said
    known = [s for s in said if s.id in material.vectors]
    if len(known) < count:
        step = len(said) / count
        return [said[int(step * n + step / 2)] for n in range(count)]
    rows = np.stack([material.vectors[s.id] for s in known]).astype(np.float32)
    relevance = rows @ normalise(rows.mean(axis=0, keepdims=True))[0]
    similarity = rows @ rows.T
    if parts is not None:
        chapter = np.searchsorted(np.asarray(parts, np.float64), [(s.start + s.end) / 2 for s in known], side="right")
        similarity = np.maximum(similarity, (chapter[:, None] == chapter[None, :]).astype(np.float32))
    picked = mmr(similarity, relevance, count, balance)
    return sorted((known[n] for n in picked), key=lambda s: (s.start, s.id))


def mmr(similarity: np.ndarray, relevance: np.ndarray, count: int, balance: float = LAMBDA) -> list[int]:
    """Indices of `count` items picked by maximal marginal relevance, in the order picked, given
    their pairwise `similarity` (n, n) and `relevance` (n,): the most relevant first, then each
    maximising balance * relevance - (1 - balance) * its greatest similarity to one picked."""
    picked: list[int] = []
    left = list(range(len(relevance)))
    while left and len(picked) < count:
        redundancy = similarity[np.ix_(left, picked)].max(axis=1) if picked else np.zeros(len(left))
        scores = balance * relevance[left] - (1 - balance) * redundancy
        best = left[int(np.argmax(scores))]
        picked.append(best)
        left.remove(best)
    return picked


def titles(material: Material, most: int = TITLES) -> list[SummaryItem]:
    """The distinct title-like screen texts (`search.chapters.titlelike`, no watermark) shown
    TITLE_SHOWN seconds or more, cleaned: a title OCR read several ways (`textmatch.same_reading`)
    once, as its variant shown longest; each at its first showing, the `most` shown longest, in
    time order; no watermark or numbered label (`Material.untitled`)."""
    marks = material.untitled()
    first: dict[str, SpanRecord] = {}
    shown: dict[str, float] = {}
    for span in material.shown:
        key = fold(span.text)
        if span.end - span.start < TITLE_SHOWN or not titlelike(span.text) or key in marks or not key:
            continue
        first.setdefault(key, span)
        shown[key] = shown.get(key, 0.0) + (span.end - span.start) * span.confidence
    read: dict[str, float] = {}  # one title read several ways: its best-read variant, all their time
    for key in sorted(shown, key=lambda key: -shown[key]):
        same = next((kept for kept in read if same_reading(kept, key)), key)
        read[same] = read.get(same, 0.0) + shown[key]
    kept = sorted(read, key=lambda key: -read[key])[:most]
    return [SummaryItem("screen", first[k].start, first[k].end, clean(first[k].text)) for k in kept]


def main_sounds(material: Material, most: int = SOUNDS) -> list[SummaryItem]:
    """Up to `most` sound events: labels by their total seconds x confidence (speech, silence,
    room tone, and unsure events heard over speech, VOICED_CONFIDENCE, left out), each at its
    strongest event (longest x most confident); a label whose strongest event is mostly the same
    stretch as one listed before (the classifier's other names for one sound: "Telephone",
    "Dial tone", "Alarm") is left out."""
    total: dict[str, float] = {}
    strongest: dict[str, SpanRecord] = {}
    untold = {fold(label) for label in BACKGROUND}
    for span in material.heard:
        label = span.text.strip()
        if fold(label) in untold or span.confidence < SOUND_CONFIDENCE or not label:
            continue
        if span.confidence < VOICED_CONFIDENCE and _voiced(span, material.said):
            continue
        weight = (span.end - span.start) * span.confidence
        total[label] = total.get(label, 0.0) + weight
        held = strongest.get(label)
        if held is None or weight > (held.end - held.start) * held.confidence:
            strongest[label] = span
    kept: list[SpanRecord] = []
    for label in sorted(total, key=lambda label: -total[label]):
        event = strongest[label]
        if len(kept) < most and not any(_same_stretch(event, other) for other in kept):
            kept.append(event)
    return [SummaryItem("sound", s.start, s.end, s.text.strip()) for s in kept]


def _voiced(span: SpanRecord, said: Sequence[SpanRecord]) -> bool:
    """Whether someone speaks over more than half of a span."""
    spoken = sum(max(0.0, min(span.end, s.end) - max(span.start, s.start)) for s in said)
    return spoken > 0.5 * (span.end - span.start)


def _same_stretch(one: SpanRecord, other: SpanRecord) -> bool:
    """Whether two spans overlap over more than half of the shorter."""
    overlap = min(one.end, other.end) - max(one.start, other.start)
    return overlap > 0.5 * min(one.end - one.start, other.end - other.start)


def languages(material: Material) -> tuple[str, ...]:
    """The languages (ISO 639-1) of what is said (by seconds spoken) and of screen text read
    with confidence READ_CONFIDENCE or more, no watermark (by seconds shown; its language by its
    script, `search.textmatch.span_language`), most first; unknown ones left out, Latin-script
    text in a video without a known spoken language among them (a film's English-looking credits,
    a counter's "Frame = 11": its language would be a guess)."""
    weight: dict[str, float] = {}
    marks = material.watermarks()
    spans: Sequence[SpanRecord] = [
        *material.said,
        *(s for s in material.shown if s.confidence >= READ_CONFIDENCE and fold(s.text) not in marks),
    ]
    for span in spans:
        language = span_language(span.modality, span.text, span.video.language)
        if span.modality == Modality.OCR and not span.video.language and script_language(span.text, "") == ENGLISH:
            continue  # Latin letters in a video of no known spoken language: English is only a guess
        if language and span.text.strip():
            weight[language] = weight.get(language, 0.0) + max(span.end - span.start, 0.0)
    return tuple(sorted(weight, key=lambda code: -weight[code]))
