"""Chapters of a video: where what is said and shown turns to something else, each with a title
taken from the video itself.

Boundaries come from TextTiling (Hearst 1997, "TextTiling: Segmenting Text into Multi-paragraph
Subtopic Passages", Computational Linguistics 23(1)), with stored sentence vectors in place of
term counts: the video's units (spoken sentences and lines of screen text, in time order) are
compared across every gap between two units, `block` units a side (the cosine of the two blocks'
summed vectors); a gap's depth is how far its similarity lies below the nearest peaks on either
side; gaps deeper than the video's mean depth (`ChapterParams.spread`; Hearst's cutoff was the
mean less half a standard deviation), and at least `ChapterParams.depth_floor`, are boundaries,
deepest first, as long as every chapter stays `ChapterParams.shortest` long. A boundary moves to
a shot cut within `snap` seconds that falls in no sentence, else into the pause before the
sentence that opens the new topic.

The sentence space may be a paired one (`indexer.encoders.text.PairedEncoder`): units are
compared by their whole stored vectors (unit rows), i.e. the mean of the two models' cosines,
which needs no model loaded and treats every language alike.

A video with too little text falls back to its shots (`segments`), adjacent shots that look alike
(CLIP keyframe vectors, when the index has them) grouped into one chapter.

Titles (`Chapter.source`): "screen", a short title-like line of screen text shown at least
TITLE_SHOWN seconds near the chapter's start (the index keeps no text size or position, so case
and length stand in for "large"); else "speech", the chapter's most central sentence (nearest
the mean of its units' vectors), shortened; else "shots", "Shot n" (or the clock time for sound
alone).
"""

from __future__ import annotations

import itertools
import logging
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from indexer.encoders import normalise
from indexer.types import Modality, Space
from search.retrieval import fragment
from search.store import Store
from search.types import SegmentRecord, SpanRecord, VideoRecord, clock

log = logging.getLogger(__name__)

SHORTEST = 5.0
"""Seconds a chapter lasts at least, in a video of a few minutes or less (measured on the
evaluation library's calibration split, news-like videos of 8-12 s scenes: 10 s, YouTube's least
chapter length, found 0.18 of the scene changes there, 5 s 0.68; `benchmarks/bench_chapters.py`)."""
MOST = 40
"""Chapters a video is cut into at most: a long video's shortest chapter is its duration over this
(a list a person can scan), from SHORTEST up to LONGEST_SHORTEST."""
LONGEST_SHORTEST = 120.0
"""The shortest chapter of a very long video need not be longer than this, seconds."""
SNAP = 3.0
"""Seconds a boundary may move to land on a shot cut."""
PAUSE_LEAD = 1.0
"""Seconds before the first words of a new topic that a boundary in a long pause is put."""
INSIDE = 0.25
"""Seconds a cut may reach into a sentence and still count as falling between sentences."""
TITLE_SHOWN = 1.0
"""Seconds a line of screen text must show to be a title."""
TITLE_WITHIN = 10.0
"""Seconds after a chapter's start (at most a third of the chapter) that its screen title must appear by."""
TITLE_WORDS = 6
TITLE_CHARS = 48
"""Longest screen text taken for a title (words, characters); a longer one is a caption or body text."""
UNCASED_CHARS = 16
"""Longest screen text in a script without case (CJK...) taken for a title, characters."""
SPOKEN_CHARS = 60
"""A spoken title is cut after a word to at most this many characters."""
READ_CONFIDENCE = 0.8
"""Least OCR confidence of a screen title (garbled reads score lower)."""
WATERMARK = 0.5
"""Screen text shown over more than this share of a video (a logo, a channel name, a copyright
line) says nothing about any part of it: it is neither a unit nor a title..."""
COUNTED = 3
"""Screen texts alike but for their numbers that make a numbered label (`Material.untitled`)."""
WATERMARK_SECONDS = 30.0
"""...when it is also shown this long: a short clip's title may well stay up most of it (a 10 s
clip titled "SILENT FILM" for 6 s)."""
BLOCK = (3, 6)
"""The fewest and most units compared on each side of a gap when the block follows the video:
as many as the shortest chapter holds on average (Hearst compared blocks of 6 token-sequences of
20 words: some 6 sentences). At least 3 (measured on the lecture library's tune split,
`scripts/make_lectures.py`: a block of 1 or 2 sentences sees a dip wherever two neighbouring
sentences of one topic differ; F1 0.58 with 1, 0.77 with 2, 0.89 with 3 at the cutoff `ChapterParams.spread` 0)."""
FEWEST_UNITS = 4
"""A video with fewer units of text than this is cut by its shots (unless they cover it: ONE_TOPIC)."""
ONE_TOPIC = 0.5
"""Share of a video's time that its few units of text (under FEWEST_UNITS) must cover for it to be
one chapter about what they say, not cut by its shots: a 13 s clip spoken over in one sentence
(../shared/media's NASA clip) is one topic, not "Shots 1–2" and a chapter of its sentence."""


@dataclass(frozen=True)
class ChapterParams:
    """How chapters are cut. `block`: units compared on each side of a gap (None: as many as
    the shortest chapter holds on average, within BLOCK); `depth_floor`: least
    depth of a boundary (so a video about one thing stays one chapter); `shortest`: least chapter
    length in seconds (None: SHORTEST, longer for long videos, see MOST); `snap`: seconds a
    boundary may move to a cut; `screen`: whether screen text counts as units (else speech alone);
    `look_alike`: least cosine of CLIP keyframe vectors for adjacent shots to group."""

    block: int | None = None
    depth_floor: float = 0.05
    """A guard, in the paired sentence space's cosine units: on the lecture library's tune split
    0 to 0.1 cut alike at `spread` 0 (0.2 and more drop the evaluation library's scene changes,
    whose depths are small: every sentence there is a topic of its own)."""
    spread: float = 0.0
    """Standard deviations below the mean depth that a boundary's depth must reach at least
    (Hearst 1997: 0.5, her conservative cutoff; 1, her liberal one). 0, a gap deeper than the
    video's mean, chosen by the sum of the F1 on the lecture library's tune split (talks of
    topics of 4-8 sentences: 0.89, against 0.56 at 0.5) and on the evaluation library's
    calibration split (a topic each sentence: 0.68, against 0.76 at 0.5);
    `benchmarks/bench_chapters.py`."""
    shortest: float | None = None
    snap: float = SNAP
    screen: bool = True
    look_alike: float = 0.85

    def least(self, duration: float) -> float:
        """The shortest chapter of a video `duration` seconds long."""
        if self.shortest is not None:
            return self.shortest
        return min(max(SHORTEST, duration / MOST), LONGEST_SHORTEST)

    def units_a_side(self, units: int, duration: float) -> int:
        """Units compared on each side of a gap among `units` over `duration` seconds."""
        if self.block is not None:
            return self.block
        held = round(units * self.least(duration) / max(duration, 1e-9))
        return min(max(held, BLOCK[0]), BLOCK[1])


@dataclass(frozen=True)
class Chapter:
    """[start, end) seconds of a video about one thing, and its `title` from the video itself;
    `source` says where the title came from: "screen", "speech" or "shots" (see the module)."""

    start: float
    end: float
    title: str
    source: str

    def to_json(self) -> dict[str, Any]:
        """start, end (s), title, source."""
        return {"start": round(self.start, 3), "end": round(self.end, 3), "title": self.title, "source": self.source}


@dataclass(frozen=True, eq=False)
class Material:
    """What an index holds about one video that chapters and summaries are made of: its shots
    (`segments`, time order), spoken sentences (`said`), screen text (`shown`) and sound labels
    (`heard`), each in time order; `vectors`, the unit sentence vector of each speech and screen
    span by id (absent: none stored); `looks`, each segment's unit mean CLIP keyframe vector
    (None: no keyframes, or no CLIP)."""

    video: VideoRecord
    segments: tuple[SegmentRecord, ...] = ()
    said: tuple[SpanRecord, ...] = ()
    shown: tuple[SpanRecord, ...] = ()
    heard: tuple[SpanRecord, ...] = ()
    vectors: dict[int, np.ndarray] = field(default_factory=dict)
    looks: tuple[np.ndarray | None, ...] = ()

    @property
    def duration(self) -> float:
        ends = [self.video.duration, *(s.end for s in self.segments)]
        return max(ends)

    def watermarks(self) -> frozenset[str]:
        """Folded texts of screen text shown over more than WATERMARK of the video and WATERMARK_SECONDS."""
        shown: dict[str, float] = {}
        for span in self.shown:
            shown[fold(span.text)] = shown.get(fold(span.text), 0.0) + span.end - span.start
        least = max(WATERMARK * self.duration, WATERMARK_SECONDS)
        return frozenset(text for text, seconds in shown.items() if seconds > least)

    def untitled(self) -> frozenset[str]:
        """Folded texts of screen text that is never a title: watermarks, and numbered labels
        (texts alike but for their numbers, COUNTED or more of them: "Slide 2", "Slide 3",
        "Slide 4"; a scoreboard's "ROUND 3"; a frame counter), which number parts, not name them."""
        series: dict[str, set[str]] = {}
        for span in self.shown:
            key = fold(span.text)
            if any(c.isdigit() for c in key):
                series.setdefault(re.sub(r"\d+", "#", key), set()).add(key)
        counters = {key for keys in series.values() if len(keys) >= COUNTED for key in keys}
        return self.watermarks() | counters


def gather(store: Store, video: VideoRecord, segments: Sequence[SegmentRecord]) -> Material:
    """A video's `Material` from `store`: its spans of speech, screen text and sound, the sentence
    vectors of the first two, and the mean CLIP vector of each segment's keyframes. Reads only
    what is stored: no model is loaded."""
    said = tuple(store.video_spans(video, Modality.SPEECH))
    shown = tuple(store.video_spans(video, Modality.OCR))
    heard = tuple(store.video_spans(video, Modality.AUDIO))
    vectors: dict[int, np.ndarray] = {}
    record = store.space_model(Space.SENTENCE)
    if record is not None:
        for modality, spans in ((Modality.SPEECH, said), (Modality.OCR, shown)):
            if spans and modality in video.modalities:
                rows = store.vectors(modality, record.dim).vectors([s.id for s in spans])
                vectors.update((s.id, row) for s, row in zip(spans, rows) if np.linalg.norm(row) > 0)
    looks: list[np.ndarray | None] = [None] * len(segments)
    clip = store.space_model(Space.CLIP)
    if clip is not None and Modality.VISUAL in video.modalities and segments:
        keyframes = store.video_keyframes(video)
        ids = sorted(keyframes)
        rows = store.vectors(Modality.VISUAL, clip.dim).vectors(ids) if ids else np.zeros((0, clip.dim))
        place = {g.id: n for n, g in enumerate(segments)}
        found: dict[int, list[np.ndarray]] = {}
        for key, row in zip(ids, rows):
            n = place.get(keyframes[key].segment.id)
            if n is not None and np.linalg.norm(row) > 0:
                found.setdefault(n, []).append(row)
        for n, kept in found.items():
            looks[n] = normalise(np.mean(kept, axis=0, keepdims=True))[0]
    return Material(video, tuple(segments), said, shown, heard, vectors, tuple(looks))


def chapters(material: Material, params: ChapterParams | None = None) -> list[Chapter]:
    """The chapters of a video: contiguous, in time order, covering [0, duration] (module docstring)."""
    params = params or ChapterParams()
    duration = material.duration
    if duration <= 0:
        return [Chapter(0.0, 0.0, _shot_title(material, 0, 1), "shots")]
    units = text_units(material, params.screen)
    if len(units) >= FEWEST_UNITS:
        found = boundaries(material, units, params)
    elif covered(units) >= ONE_TOPIC * duration:
        found = []
    else:
        found = shot_boundaries(material, params)
    edges = [0.0, *found, duration]
    return [_titled(material, start, end, units) for start, end in itertools.pairwise(edges)]


def covered(spans: Sequence[SpanRecord]) -> float:
    """Seconds of the union of the spans' [start, end)."""
    total, reach = 0.0, float("-inf")
    for span in sorted(spans, key=lambda s: s.start):
        if span.end > reach:
            total += span.end - max(span.start, reach)
            reach = span.end
    return total


def text_units(material: Material, screen: bool = True) -> list[SpanRecord]:
    """The spans TextTiling compares, in time order: spoken sentences and (with `screen`) lines of
    screen text that have a vector, are no fragment (`search.retrieval.fragment`), and are no
    watermark."""
    marks = material.watermarks()
    shown = [s for s in material.shown if fold(s.text) not in marks] if screen else []
    found = [s for s in (*material.said, *shown) if s.id in material.vectors and not fragment(s)]
    return sorted(found, key=lambda s: (s.start, s.end, s.id))


def gap_similarity(vectors: np.ndarray, block: int) -> np.ndarray:
    """(n-1,) the cosine, across each gap between consecutive rows of `vectors` (n, dim), of the
    sums of the `block` rows before it and the `block` rows after it (fewer at the ends)."""
    n = len(vectors)
    if n < 2:
        return np.zeros(0, np.float32)
    sums = np.vstack([np.zeros((1, vectors.shape[1]), np.float64), np.cumsum(vectors, axis=0, dtype=np.float64)])
    found = np.zeros(n - 1, np.float32)
    for gap in range(n - 1):
        left = sums[gap + 1] - sums[max(0, gap + 1 - block)]
        right = sums[min(n, gap + 1 + block)] - sums[gap + 1]
        norms = float(np.linalg.norm(left) * np.linalg.norm(right))
        found[gap] = float(left @ right) / norms if norms > 0 else 0.0
    return found


def depth_scores(similarity: np.ndarray) -> np.ndarray:
    """Hearst's depth of each gap: (left peak - s) + (right peak - s), a peak being the highest
    similarity reached climbing monotonically away from the gap on that side."""
    depths = np.zeros(len(similarity), np.float32)
    for gap, value in enumerate(similarity.tolist()):
        left = right = value
        for other in similarity[gap - 1 :: -1].tolist() if gap else []:
            if other < left:
                break
            left = other
        for other in similarity[gap + 1 :].tolist():
            if other < right:
                break
            right = other
        depths[gap] = left + right - 2 * value
    return depths


def boundaries(material: Material, units: Sequence[SpanRecord], params: ChapterParams) -> list[float]:
    """Interior chapter boundaries (seconds, ascending) where the topic of `units` changes."""
    vectors = np.stack([material.vectors[u.id] for u in units]).astype(np.float32)
    block = params.units_a_side(len(units), material.duration)
    depths = depth_scores(gap_similarity(vectors, block))
    if not len(depths):
        return []
    cutoff = max(float(depths.mean() - params.spread * depths.std()), params.depth_floor)
    said = [(s.start, s.end) for s in material.said]
    cuts = [g.start for g in material.segments[1:]]
    duration, least = material.duration, params.least(material.duration)
    chosen: list[float] = []
    for gap in np.argsort(-depths, kind="stable").tolist():
        if depths[gap] < cutoff or depths[gap] <= 0:
            break
        at = place(units[gap + 1].start, cuts, said, params.snap)
        if at >= least and duration - at >= least and all(abs(at - other) >= least for other in chosen):
            chosen.append(at)
    return sorted(chosen)


def place(start: float, cuts: Sequence[float], said: Sequence[tuple[float, float]], snap: float = SNAP) -> float:
    """Where a chapter opening with a unit that starts at `start` should begin: the nearest shot
    cut (of `cuts`) within `snap` seconds with no sentence of `said` ((start, end) seconds)
    between it and `start` (a boundary moves to a cut, never across words); else, in the pause
    before the sentence under way at `start` (or the next one), half way through it and at most
    PAUSE_LEAD before that sentence's first words."""

    def between(cut: float) -> bool:
        low, high = min(cut, start), max(cut, start)
        return any(a + INSIDE < high and b - INSIDE > low for a, b in said)

    free = [c for c in cuts if abs(c - start) <= snap and not between(c)]
    if free:
        return min(free, key=lambda c: (abs(c - start), c))
    under_way = [a for a, b in said if a <= start < b]
    opening = min(under_way, default=start)
    before = max((b for _, b in said if b <= opening), default=0.0)
    return max((before + opening) / 2, opening - PAUSE_LEAD, 0.0)


def shot_boundaries(material: Material, params: ChapterParams) -> list[float]:
    """Interior boundaries from the shots alone: adjacent shots whose CLIP vectors are at least
    `params.look_alike` alike group, then groups shorter than the shortest chapter join the
    neighbour they look most like (the shorter neighbour without vectors)."""
    segments = material.segments
    if len(segments) < 2:
        return []
    groups: list[list[int]] = [[0]]
    for n in range(1, len(segments)):
        mean = _look(material, groups[-1])
        look = material.looks[n] if n < len(material.looks) else None
        if mean is not None and look is not None and float(mean @ look) >= params.look_alike:
            groups[-1].append(n)
        else:
            groups.append([n])
    least = params.least(material.duration)
    while len(groups) > 1:
        lengths = [_span(segments, g) for g in groups]
        short = min(range(len(groups)), key=lambda i: lengths[i])
        if lengths[short] >= least:
            break
        into = _neighbour(material, groups, short, lengths)
        low, high = sorted((short, into))
        groups[low : high + 1] = [groups[low] + groups[high]]
    return [segments[g[0]].start for g in groups[1:]]


def _span(segments: Sequence[SegmentRecord], group: list[int]) -> float:
    return segments[group[-1]].end - segments[group[0]].start


def _look(material: Material, group: list[int]) -> np.ndarray | None:
    looks = [material.looks[n] if n < len(material.looks) else None for n in group]
    rows = [look for look in looks if look is not None]
    return normalise(np.mean(rows, axis=0, keepdims=True))[0] if rows else None


def _neighbour(material: Material, groups: list[list[int]], short: int, lengths: list[float]) -> int:
    """The group next to `short` that it joins: the one it looks most like, else the shorter."""
    sides = [i for i in (short - 1, short + 1) if 0 <= i < len(groups)]
    mine = _look(material, groups[short])
    if mine is not None:
        alike = {i: _look(material, groups[i]) for i in sides}
        scored = {i: float(mine @ v) for i, v in alike.items() if v is not None}
        if scored:
            return max(scored, key=lambda i: scored[i])
    return min(sides, key=lambda i: lengths[i])


def _titled(material: Material, start: float, end: float, units: Sequence[SpanRecord]) -> Chapter:
    title = screen_title(material, start, end)
    if title:
        return Chapter(start, end, title, "screen")
    spoken = spoken_title(material, start, end, units)
    if spoken:
        return Chapter(start, end, spoken, "speech")
    first = next((n for n, g in enumerate(material.segments) if g.end > start + 1e-6), 0)
    last = max(first, next((n for n, g in enumerate(material.segments) if g.end >= end - 1e-6), first))
    return Chapter(start, end, _shot_title(material, first, last + 1, start), "shots")


def _shot_title(material: Material, first: int, stop: int, start: float = 0.0) -> str:
    if not material.video.has_video or not material.segments:
        return clock(start)
    return f"Shot {first + 1}" if stop - first <= 1 else f"Shots {first + 1}–{stop}"


def screen_title(material: Material, start: float, end: float) -> str:
    """The first title-like screen text (`titlelike`) appearing within TITLE_WITHIN seconds (at
    most a third of the chapter) of `start`, not before it by more than a second, and shown
    TITLE_SHOWN seconds or more, no watermark or numbered label (`Material.untitled`; of lines
    shown alike, the one with most letters); cleaned (`clean`). "" when there is none."""
    reach = start + min(TITLE_WITHIN, (end - start) / 3)
    marks = material.untitled()
    found = [
        s
        for s in material.shown
        if start - 1.0 <= s.start <= reach
        and s.start < end
        and s.end - s.start >= TITLE_SHOWN
        and s.confidence >= READ_CONFIDENCE
        and titlelike(s.text)
        and fold(s.text) not in marks
    ]
    if not found:
        return ""
    return clean(min(found, key=lambda s: (max(s.start, start), -(s.end - s.start), -_letters(s.text), s.id)).text)


def _letters(text: str) -> int:
    return sum(c.isalpha() for c in text)


def titlelike(text: str) -> bool:
    """Whether screen text reads like a title: at most TITLE_WORDS words and TITLE_CHARS
    characters with at least two letters, and all its cased words in capitals or Title Case (in a
    script without case: at most UNCASED_CHARS characters)."""
    text = clean(text)
    letters = [c for c in text if c.isalpha()]
    if len(letters) < 2 or len(text) > TITLE_CHARS or len(text.split()) > TITLE_WORDS:
        return False
    cased = [w for w in re.findall(r"\w+", text) if any(c.isupper() or c.islower() for c in w)]
    if not cased:
        return len(text) <= UNCASED_CHARS
    return all(w.isupper() or (w[0].isupper() and w[1:].islower()) or w.isdigit() for w in cased)


def spoken_title(material: Material, start: float, end: float, units: Sequence[SpanRecord]) -> str:
    """The chapter's most central sentence (the spoken unit in [start, end) nearest the mean of
    all its units' vectors), shortened (`shorten`); "" when nothing is said in it."""
    inside = [u for u in units if start <= (u.start + u.end) / 2 < end]
    spoken = [u for u in inside if u.modality == Modality.SPEECH]
    if not spoken:
        spoken = [
            s
            for s in material.said
            if start <= (s.start + s.end) / 2 < end and s.id in material.vectors and not fragment(s)
        ]
        inside = spoken
    if not spoken:
        return ""
    centre = normalise(np.mean([material.vectors[u.id] for u in inside], axis=0, keepdims=True))[0]
    best = max(spoken, key=lambda u: (float(material.vectors[u.id] @ centre), -u.start))
    return shorten(best.text)


def shorten(text: str, most: int = SPOKEN_CHARS) -> str:
    """`text` on one line, without its final full stop, cut after a word to at most `most`
    characters and ended with "…" when cut."""
    text = " ".join(text.split()).rstrip(".。")
    if len(text) <= most:
        return text
    cut = text.rfind(" ", 0, most)
    head = text[: cut if cut > most // 2 else most - 1].rstrip(" ,;:-–")
    return head + "…"


def clean(text: str) -> str:
    """Screen text as a title: one line, without the stray punctuation OCR reads at its edges."""
    text = " ".join(unicodedata.normalize("NFC", text).split())
    return text.strip(" .,;:!?|-_~*'\"`·•")


def fold(text: str) -> str:
    """Text compared loosely: letters and digits only, case folded."""
    return "".join(c for c in unicodedata.normalize("NFKC", text).casefold() if c.isalnum())
