"""Videos like a video (recommendation) and its duplicates, from what the index stores: no model runs.

A video's `Profile` pools what the index holds of it: the mean sentence vector of what is said
(speech spans) and of what is written on screen (OCR spans), each span weighted by how long it
lasts, the mean CLIP vector of its keyframes (when the index has them), and a histogram of its
sound labels (confidence x seconds). Two videos' similarity is the weighted mean (`WEIGHTS`) of
the cosines of the parts both have (negative cosines count as 0), so it is 0..1; sound labels are
weighted by their inverse document frequency in the library, so a label every video has
("Speech") says nothing.

In a paired sentence space (`indexer.encoders.text.PairedEncoder`) two videos whose text is all
English are compared by whole rows (both models), any other two by the multilingual part's
columns alone (`profile_columns`): the English model's half of an Italian sentence is noise,
while the multilingual half puts an Italian and an English talk about one thing near each other.
Measured on the evaluation library with copies (`benchmarks/bench_related.py`, English videos
only share topics there): precision@3 0.600 by whole rows, 0.533 by the multilingual half, 0.500
by the English half. In a space of one model, the whole row always.

A duplicate is the same content re-encoded or trimmed: what it says and shows comes in the same
order at one constant time offset. `align` pairs alike landmarks of the two videos (spoken words
by their recognised times, so a transcript cut into other sentences still pairs; screen texts
whose letters nearly agree, `search.textmatch.same_reading`; keyframes, `SAME_PICTURE`), finds the offset most pairs
agree on (within `TOLERANCE`), and counts the landmarks of each video inside the shared stretch
that found their partner there. Duplicates share at least `MIN_SHARED` of the longer video's
time and `DUPLICATE` of their landmarks in that stretch; the same file at two paths (one content
hash) is one at once. Two videos on one topic, or sharing a title or a sentence, are not
duplicates: their landmarks do not line up. Sound labels count only for videos with too few
other landmarks (`MIN_MOMENTS`), since labels such as "Speech" recur everywhere.

Cost: a profile reads a video's span rows and vectors once (5-15 ms for a 30 s video with ~20
spans, measured on 2 cores; about 8 KB kept per video: three pooled float32 vectors and its label
weights), cached by content hash and indexed modalities, so a re-indexed video is profiled again
(profiles of removed or re-indexed videos stay until the engine closes). The first `related`
over a library profiles every video (10,000 such videos: about 2 minutes once, some 80 MB kept);
later ones only score the profiles (a few dot products per video: ~15 ms for 28 videos, so about
a second for 10,000) and align the few candidates: the videos whose profiles are close
(`CANDIDATE`) and whose durations allow a duplicate.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from indexer.encoders.text import Part
from indexer.types import Modality, Space
from search import textmatch
from search.language import span_is_english
from search.store import Store
from search.types import SpanRecord, VideoRecord, path_json

log = logging.getLogger(__name__)

WEIGHTS = {"speech": 1.0, "screen": 1.0, "visual": 1.0, "sound": 0.5}
"""How much each part of a profile counts in a similarity (sound labels are coarse: half)."""
SAME_PICTURE = 0.9
"""Cosine (CLIP) over which two keyframes show the same picture."""
TOLERANCE = 1.0
"""Seconds two pairs' offsets may differ and still agree (screen text is read about once a second)."""
MIN_SHARED = 0.5
"""Least share of the longer video's duration a duplicate's aligned stretch covers: a trimmed copy
keeps most; a short excerpt of a long video is a similar video, not a duplicate. Measured: two
evaluation videos that show one scene (its sentence and caption) line up at 0.64 there, over 0.41
of their time; copies trimmed by 2-5 s of 30-40 share 0.71-1.0."""
DUPLICATE = 0.6
"""Least share of each video's landmarks in the shared stretch that find their partner at the
offset. Measured (`benchmarks/bench_related.py`): re-encoded and trimmed copies 0.76-1.0 (the
lowest: Italian speech at CRF 36, whose words Whisper hears a little otherwise); other videos
sharing half their time or more at most 0.26."""
MIN_MATCHED = 2
"""Least landmarks paired at the offset."""
MIN_MOMENTS = 3
"""A video with fewer words, screen texts and keyframes than this is aligned by its sound labels too."""
MIN_LETTERS = 3
"""Spoken words shorter than this are not aligned (articles and particles pair with anything)."""
MAX_REPEATS = 8
"""A word or label said more often than this in a video is not aligned (it pairs at every offset)."""
OFFSETS = 5
"""Offsets tried in full: the most agreed-on ones of the TOLERANCE-wide bins of all pairs' offsets."""
ALIKE = 0.3
"""Least profile similarity of a video listed as like another (duplicates are listed whatever it
is). Measured on the evaluation test split with 8 copies (`benchmarks/bench_related.py`'s index):
same-topic pairs score 0.32-0.49 (5th-95th percentile, median 0.40), other pairs 0.06-0.52 (median
0.31); 0.3 keeps 98% of same-topic pairs and leaves out 43% of the others. Profiles separate topics
only loosely: this drops what shares next to nothing, it does not certify a topic."""
CANDIDATE = 0.5
"""Least profile similarity at which two videos are aligned to check for a duplicate (copies in
the benchmark: 0.875-1.0)."""


@dataclass(frozen=True)
class RelatedVideo:
    """A video like the one asked about: `score` 0..1 (the similarity of their profiles),
    `duplicate` when it is the same content re-encoded or trimmed; then `aligned` (0..1, the share
    of their landmarks that line up) and `offset` (seconds: a time in the asked video plus `offset`
    is the same moment in this one)."""

    video: VideoRecord
    score: float
    duplicate: bool
    aligned: float | None = None
    offset: float | None = None

    def to_json(self) -> dict[str, Any]:
        """id, path (+ `path_bytes`), duration (s), score, duplicate; aligned and offset (s) for a duplicate."""
        found: dict[str, Any] = {
            "id": self.video.id,
            **path_json("path", self.video.path),
            "duration": round(self.video.duration, 3),
            "score": round(self.score, 4),
            "duplicate": self.duplicate,
        }
        if self.aligned is not None and self.offset is not None:
            found.update(aligned=round(self.aligned, 3), offset=round(self.offset, 3))
        return found


@dataclass(frozen=True)
class VideosLike:
    """The videos like one video (`similar`, best first; its duplicates among them, marked, only
    when asked) and its duplicates apart (`duplicates`, most aligned first), from one comparison."""

    similar: tuple[RelatedVideo, ...]
    duplicates: tuple[RelatedVideo, ...]


@dataclass(frozen=True)
class Profile:
    """A video pooled: unit vectors of its `speech`, `screen` text (whole sentence rows) and
    keyframes (`visual`), None when it has none; `sounds`: label -> confidence x seconds;
    `english`: all its text is English (`search.language.span_is_english`)."""

    speech: np.ndarray | None = None
    screen: np.ndarray | None = None
    visual: np.ndarray | None = None
    sounds: dict[str, float] = field(default_factory=dict)
    english: bool = True

    def parts(self, columns: slice | None = None) -> dict[str, np.ndarray]:
        """Its vectors by part; the sentence ones cut to `columns` (unit again) when given."""
        found = {"visual": self.visual} if self.visual is not None else {}
        for name, vector in (("speech", self.speech), ("screen", self.screen)):
            if vector is not None:
                cut = vector if columns is None else vector[columns]
                norm = float(np.linalg.norm(cut))
                if norm > 0:
                    found[name] = cut / norm
        return found


@dataclass(frozen=True)
class Landmark:
    """Something a video says, shows or sounds at `time` seconds: a spoken word or a sound label
    (`key`, compared equal), a screen text (`key`, compared by `search.textmatch.same_reading`) or a keyframe (`vector`,
    unit, compared by `SAME_PICTURE`); `kind` is its modality."""

    kind: Modality
    time: float
    key: str = ""
    vector: np.ndarray | None = None


@dataclass(frozen=True)
class Alignment:
    """How two videos line up: `aligned` (0..1, the smaller share of either's landmarks in the
    shared stretch that paired at the offset), `offset` (seconds, second minus first), `matched`
    pairs, `shared` (0..1, the shared stretch over the longer duration)."""

    aligned: float
    offset: float
    matched: int
    shared: float

    @property
    def duplicate(self) -> bool:
        return self.matched >= MIN_MATCHED and self.aligned >= DUPLICATE and self.shared >= MIN_SHARED


def profile_columns(parts: Sequence[Part], dim: int) -> slice:
    """The sentence-vector columns profiles pool: the multilingual part's in a paired space
    (module docstring), else all `dim`."""
    multilingual = [part for part in parts if not part.english]
    if len(parts) > 1 and multilingual:
        return slice(multilingual[0].start, multilingual[0].end)
    return slice(0, dim)


def similarity(
    first: Profile, second: Profile, idf: dict[str, float] | None = None, columns: slice | None = None
) -> float | None:
    """0..1: the `WEIGHTS`-weighted mean cosine (negative ones as 0) of the parts both profiles
    have, sound labels weighted by `idf` (label -> weight; default 1); None when they share none.
    Sentence vectors are compared in `columns` unless both profiles are English (module docstring)."""
    total = weight = 0.0
    if first.english and second.english:
        columns = None
    theirs = second.parts(columns)
    for name, vector in first.parts(columns).items():
        if name in theirs:
            total += WEIGHTS[name] * max(0.0, float(vector @ theirs[name]))
            weight += WEIGHTS[name]
    sounds = _sound_cosine(first.sounds, second.sounds, idf or {})
    if sounds is not None:
        total += WEIGHTS["sound"] * sounds
        weight += WEIGHTS["sound"]
    return total / weight if weight else None


def _sound_cosine(first: dict[str, float], second: dict[str, float], idf: dict[str, float]) -> float | None:
    if not first or not second:
        return None
    labels = sorted(set(first) | set(second))
    a = np.array([first.get(label, 0.0) * idf.get(label, 1.0) for label in labels])
    b = np.array([second.get(label, 0.0) * idf.get(label, 1.0) for label in labels])
    norms = float(np.linalg.norm(a) * np.linalg.norm(b))
    return float(a @ b) / norms if norms > 0 else 0.0


def inverse_frequency(profiles: Sequence[Profile]) -> dict[str, float]:
    """Each sound label's weight: log((1 + n) / (1 + videos with it)) over `profiles` (0 for a
    label every video has)."""
    counts = Counter(label for p in profiles for label in p.sounds)
    return {label: math.log((1 + len(profiles)) / (1 + count)) for label, count in counts.items()}


def align(first: Sequence[Landmark], second: Sequence[Landmark], durations: tuple[float, float]) -> Alignment | None:
    """The best constant-offset alignment of two videos' landmarks (module docstring); None when
    no two are alike. `durations`: the two videos' seconds."""
    pairs = np.array(_pairs(first, second), np.float64).reshape(-1, 3)
    if not len(pairs):
        return None
    bins = np.round(pairs[:, 2] / TOLERANCE).astype(np.int64)
    counts = Counter(bins.tolist())
    tried = sorted(counts, key=lambda b: -(counts[b - 1] + counts[b] + counts[b + 1]))[:OFFSETS]
    best: Alignment | None = None
    for centre in tried:
        near = pairs[np.abs(bins - centre) <= 1]
        offset = float(np.median(near[:, 2]))
        found = _at(first, second, durations, pairs[np.abs(pairs[:, 2] - offset) <= TOLERANCE])
        if best is None or (found.matched, found.aligned) > (best.matched, best.aligned):
            best = found
    return best


def _pairs(first: Sequence[Landmark], second: Sequence[Landmark]) -> list[tuple[int, int, float]]:
    """(index in first, index in second, time offset) of every two alike landmarks of one kind."""
    found: list[tuple[int, int, float]] = []
    for kind in {m.kind for m in first} & {m.kind for m in second}:
        mine = [i for i, m in enumerate(first) if m.kind == kind]
        theirs = [j for j, m in enumerate(second) if m.kind == kind]
        if kind == Modality.VISUAL:
            cosines = _stacked(first, mine) @ _stacked(second, theirs).T
            alike = [(mine[int(a)], theirs[int(b)]) for a, b in zip(*np.nonzero(cosines >= SAME_PICTURE))]
        elif kind == Modality.OCR:
            alike = [(i, j) for i in mine for j in theirs if textmatch.same_reading(first[i].key, second[j].key)]
        else:
            where: dict[str, list[int]] = {}
            for j in theirs:
                where.setdefault(second[j].key, []).append(j)
            alike = [(i, j) for i in mine for j in where.get(first[i].key, [])]
        found += [(i, j, second[j].time - first[i].time) for i, j in alike]
    return found


def _stacked(landmarks: Sequence[Landmark], chosen: list[int]) -> np.ndarray:
    return np.stack([v for v in (landmarks[i].vector for i in chosen) if v is not None])


def _at(
    first: Sequence[Landmark],
    second: Sequence[Landmark],
    durations: tuple[float, float],
    pairs: np.ndarray,
) -> Alignment:
    """The alignment the agreeing `pairs` (n, 3: i, j, offset) make: their median offset, and the
    share of each video's landmarks inside the stretch both cover that paired."""
    offset = float(np.median(pairs[:, 2]))
    start, end = max(0.0, -offset), min(durations[0], durations[1] - offset)
    shared = max(0.0, end - start) / max(durations[0], durations[1], 1e-9)
    inside_first = sum(start - TOLERANCE <= m.time <= end + TOLERANCE for m in first)
    inside_second = sum(start - TOLERANCE <= m.time - offset <= end + TOLERANCE for m in second)
    paired = min(len(set(pairs[:, 0].tolist())), len(set(pairs[:, 1].tolist())))
    aligned = paired / max(inside_first, inside_second, 1)
    return Alignment(min(1.0, aligned), offset, paired, shared)


class Related:
    """Similar videos and duplicates over one store. Profiles are cached by content hash and
    indexed modalities (a library of thousands keeps a few megabytes); thread-safe."""

    def __init__(self, store: Store, parts: Sequence[Part] = (), pairing: str = "auto") -> None:
        """`parts`: how the sentence space splits (`Query.parts`; empty: one model). `pairing`:
        "auto" (module docstring), or "multilingual" / "whole" to compare every two videos so."""
        self.store = store
        self.parts = tuple(parts)
        self.pairing = pairing
        self._profiles: dict[tuple[str, tuple[Modality, ...]], Profile] = {}
        self._guard = threading.Lock()

    def profile(self, video: VideoRecord) -> Profile:
        """`video`'s profile (module docstring), computed once per content and indexed modalities."""
        key = (video.content_hash, video.modalities)
        with self._guard:
            found = self._profiles.get(key)
        if found is None:
            found = self._profile(video)
            with self._guard:
                self._profiles[key] = found
        return found

    def _profile(self, video: VideoRecord) -> Profile:
        pooled: dict[str, np.ndarray | None] = {}
        english = True
        for name, modality in (("speech", Modality.SPEECH), ("screen", Modality.OCR)):
            spans = self.store.video_spans(video, modality)
            rows = self._sentence_rows(modality, [s.id for s in spans])
            weights = np.array([max(s.end - s.start, 0.1) for s in spans])
            pooled[name] = _pool(rows, weights) if rows is not None else None
            english = english and all(span_is_english(s) for s in spans)
        times, pictures = self._keyframes(video)
        sounds: dict[str, float] = {}
        for span in self.store.video_spans(video, Modality.AUDIO):
            sounds[span.text] = sounds.get(span.text, 0.0) + span.confidence * max(span.end - span.start, 0.1)
        visual = _pool(pictures, np.ones(len(times))) if times else None
        return Profile(pooled["speech"], pooled["screen"], visual, sounds, english)

    def _sentence_rows(self, modality: Modality, ids: list[int]) -> np.ndarray | None:
        """Stored sentence vectors of `modality`'s spans `ids`."""
        record = self.store.space_model(Space.SENTENCE)
        if record is None or not ids:
            return None
        return self.store.vectors(modality, record.dim).vectors(ids)

    def _columns(self) -> slice | None:
        """The columns two videos not both English are compared in (None: whole rows)."""
        record = self.store.space_model(Space.SENTENCE)
        if record is None or self.pairing == "whole":
            return None
        return profile_columns(self.parts, record.dim)

    def _keyframes(self, video: VideoRecord) -> tuple[list[float], np.ndarray]:
        """Times (s) of a video's keyframes and their CLIP vectors (none without CLIP)."""
        record = self.store.space_model(Space.CLIP)
        if record is None or not video.has_video:
            return [], np.zeros((0, 1), np.float32)
        keyframes = sorted(self.store.video_keyframes(video).values(), key=lambda k: k.time)
        rows = self.store.vectors(Modality.VISUAL, record.dim).vectors([k.id for k in keyframes])
        return [k.time for k in keyframes], rows

    def landmarks(self, video: VideoRecord, sounds: bool = False) -> list[Landmark]:
        """What `video` says (words), shows (screen texts, keyframes) and, with `sounds`, sounds
        like (labels), with times, for alignment; words and labels repeated more than MAX_REPEATS
        times left out."""
        found = [
            Landmark(Modality.SPEECH, start, word)
            for span in self.store.video_spans(video, Modality.SPEECH)
            for start, word in _timed_words(span)
            if len(word) >= MIN_LETTERS
        ]
        for span in self.store.video_spans(video, Modality.OCR):
            text = "".join(textmatch.TOKEN.findall(span.text.lower()))
            if text:
                found.append(Landmark(Modality.OCR, span.start, text))
        times, rows = self._keyframes(video)
        found += [Landmark(Modality.VISUAL, t, vector=r) for t, r in zip(times, _units(rows)) if r.any()]
        if sounds:
            found += [Landmark(Modality.AUDIO, s.start, s.text) for s in self.store.video_spans(video, Modality.AUDIO)]
        counts: Counter[tuple[Modality, str]] = Counter(
            (m.kind, m.key) for m in found if m.kind in (Modality.SPEECH, Modality.AUDIO)
        )
        return [m for m in found if counts[(m.kind, m.key)] <= MAX_REPEATS]

    def alignment(self, first: VideoRecord, second: VideoRecord) -> Alignment | None:
        """How two videos line up (`align`), their sound labels counted too when either has fewer
        than MIN_MOMENTS sentences, screen texts and keyframes."""
        if first.content_hash == second.content_hash:
            return Alignment(1.0, 0.0, 0, 1.0)
        mine, theirs = self.landmarks(first), self.landmarks(second)
        if min(len(mine), len(theirs)) < MIN_MOMENTS:
            mine, theirs = self.landmarks(first, sounds=True), self.landmarks(second, sounds=True)
        return align(mine, theirs, (first.duration, second.duration))

    def related(self, video: VideoRecord) -> list[RelatedVideo]:
        """Every other video sharing a part with `video` and alike at least ALIKE, and its
        duplicates (marked), best first."""
        target = self.profile(video)
        others = [v for v in self.store.videos() if v.id != video.id]
        profiles = [self.profile(v) for v in others]
        idf = inverse_frequency([target, *profiles])
        columns = self._columns()
        if self.pairing == "multilingual":
            target = dataclasses.replace(target, english=False)
        found = []
        for other, profile in zip(others, profiles):
            same = other.content_hash == video.content_hash
            score = 1.0 if same else similarity(target, profile, idf, columns)
            if score is None:
                continue
            checked = same or (score >= CANDIDATE and _may_share(video, other))
            alignment = self.alignment(video, other) if checked else None
            if alignment is not None and (alignment.duplicate or same):
                found.append(RelatedVideo(other, score, True, alignment.aligned, alignment.offset))
            elif score >= ALIKE:
                found.append(RelatedVideo(other, score, False))
        return sorted(found, key=lambda r: (-r.score, str(r.video.path)))


def _may_share(first: VideoRecord, second: VideoRecord) -> bool:
    """Whether their durations allow a duplicate (the shorter at least MIN_SHARED of the longer)."""
    return min(first.duration, second.duration) >= MIN_SHARED * max(first.duration, second.duration)


def _timed_words(span: SpanRecord) -> list[tuple[float, str]]:
    """(start, lower-case word) of each word said in a span: its recognised times, else spread
    evenly over the span."""
    if span.words:
        return [(w.start, token) for w in span.words for token in textmatch.TOKEN.findall(w.text.lower())[:1]]
    tokens = textmatch.TOKEN.findall(span.text.lower())
    step = (span.end - span.start) / max(len(tokens), 1)
    return [(span.start + n * step, token) for n, token in enumerate(tokens)]


def _units(rows: np.ndarray) -> np.ndarray:
    return rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)


def _pool(rows: np.ndarray, weights: np.ndarray) -> np.ndarray | None:
    """The unit weighted mean of the non-zero `rows`; None when none is."""
    keep = np.abs(rows).sum(axis=1) > 0
    if not keep.any():
        return None
    mean = (rows[keep] / np.maximum(np.linalg.norm(rows[keep], axis=1, keepdims=True), 1e-12)).T @ weights[keep]
    norm = float(np.linalg.norm(mean))
    return (mean / norm).astype(np.float32) if norm > 0 else None
