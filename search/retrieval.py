"""Each modality's candidates for one query, scored 0..1 and past its no-match floor.

A query is words (for keyword search) and/or a vector per embedding space: the CLIP space of the
keyframes and the sentence space of transcripts, screen text and sound labels. Text queries have
both; an image has only a CLIP vector; "more like this" has the vectors of a segment.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from indexer.encoders.text import Part
from indexer.types import Modality, Space
from search import textmatch
from search.fusion import Candidate
from search.language import span_is_english
from search.moments import ScoredSegment, merge
from search.params import Retrieval
from search.store import Store
from search.types import Evidence, KeyframeRecord, Mark, SpanRecord, VideoRecord

CANDIDATES = 50
"""Spans each text modality considers per query, by meaning and by keyword each."""
VIDEO_WORDS = frozenset(
    {"video", "clip", "moment", "scene", "shows", "show", "showing", "someone", "something"}
    | {"says", "said", "saying", "talks", "talking"}
)
"""Words of `textmatch.STOPWORDS` that say how people phrase a video query: left out of keyword
matching, but alone they still ask for something ("someone talking" is a sound and a picture)."""
FRAGMENT_LETTERS = 12
"""A transcript or screen-text span of one word (`textmatch.words`) with fewer letters and digits
than this ("I", "The", "it.", "Okay.") is a fragment: short text lies near any short query by
meaning, so a fragment is a candidate only when the query's words find it or it matches by
meaning at FRAGMENT_MATCH or over. Sound labels (one word from a fixed list) are not fragments;
a run-together screen text is longer."""
FRAGMENT_MATCH = 0.7
"""The meaning match a fragment needs without the query's words. Measured with the index's default
sentence space (all-MiniLM-L6-v2 for English) on a transcript of fragments: what junk queries
reach is under it ('' -> "So" 0.67, "I" 0.66; "yes" -> "Yeah." 0.53; "the" -> "I" 0.49; "hmm" ->
"Yeah." 0.47), while "ok" -> "Okay." (0.75) stays a match."""
SOUND_DOUBT = 0.6
"""A sound's match is scaled from this (classifier unsure) to 1 (certain), so a clear sound event
outranks a faint one with the same label."""


@dataclass(frozen=True)
class Query:
    """What the modalities search with. `text` feeds keyword search; `visual` is a unit vector in
    the CLIP space, `sentence` one in the sentence space (None where there is none).

    `parts`: how the sentence space's columns split between models (a paired space,
    `indexer.encoders.text.PairedEncoder`); empty for one model. `english`: whether the query
    reads as English (`search.language`); an English-only part scores only English text, and
    only for English queries; the other part scores the rest."""

    text: str = ""
    visual: np.ndarray | None = None
    sentence: np.ndarray | None = None
    parts: tuple[Part, ...] = ()
    english: bool = True

    def probes(self) -> list[np.ndarray]:
        """The vectors to look for neighbours with: one per part that may score (its columns
        alone), or the sentence vector itself for one model."""
        if self.sentence is None:
            return []
        if not self.parts:
            return [self.sentence]
        probes = []
        for part in self.parts:
            if part.english and not self.english:
                continue
            probe = np.zeros_like(self.sentence)
            probe[part.start : part.end] = self.sentence[part.start : part.end]
            probes.append(probe)
        return probes

    def multilingual(self, english: np.ndarray) -> np.ndarray:
        """Which stored rows (`english`: n bools, whether each is English text) a multilingual
        part scores (they are held to the multilingual floors); n bools."""
        if not self.parts:
            return np.zeros(len(english), bool)
        if any(part.english for part in self.parts):
            return ~(english & self.english)
        return np.ones(len(english), bool)

    def similarity(self, rows: np.ndarray, english: np.ndarray) -> np.ndarray:
        """Cosine of the query with each stored row (n, dim), per the part that scores it:
        for a paired space, the English part's for English rows (`english`, n bools) when the
        query is English, else the other part's. float32 (n,)."""
        if self.sentence is None or not len(rows):
            return np.zeros(len(rows), np.float32)
        if not self.parts:
            return (rows @ self.sentence).astype(np.float32)
        scores = np.zeros(len(rows), np.float32)
        chosen = np.zeros(len(rows), bool)
        for part in sorted(self.parts, key=lambda p: not p.english):
            mine = english & self.english if part.english else ~chosen
            if mine.any():
                cosines = _cosines(rows[mine, part.start : part.end], self.sentence[part.start : part.end])
                scores[mine] = part.scale * cosines + part.shift
                chosen |= mine
        return scores


def asks_something(text: str) -> bool:
    """Whether a text query has anything to find: a word with a letter or digit that is not an
    English stop word (`textmatch.STOPWORDS`, less VIDEO_WORDS). "", "???", "the", "of it" ask
    nothing: searching them by meaning finds whatever short text lies nearest."""
    found = [word for word in textmatch.words(text) if any(c.isalnum() for c in word)]
    return any(word not in textmatch.STOPWORDS or word in VIDEO_WORDS for word in found)


def fragment(span: SpanRecord) -> bool:
    """Whether a span is too little text to match by meaning alone (see FRAGMENT_LETTERS)."""
    if span.modality == Modality.AUDIO:
        return False
    return len(textmatch.words(span.text)) <= 1 and sum(c.isalnum() for c in span.text) < FRAGMENT_LETTERS


def _cosines(rows: np.ndarray, vector: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(rows, axis=1) * max(float(np.linalg.norm(vector)), 1e-12)
    return (rows @ vector / np.maximum(norms, 1e-12)).astype(np.float32)


def visual_candidates(store: Store, query: Query, params: Retrieval) -> list[Candidate]:
    """Segments whose best keyframe is near `query.visual`; touching strong segments merge."""
    record = store.space_model(Space.CLIP)
    if query.visual is None or record is None:
        return []
    scores, ids = store.vectors(Modality.VISUAL, record.dim).search(query.visual[None, :], CANDIDATES * 4)
    found = store.keyframes([int(i) for i in ids[0] if i >= 0])
    best: dict[int, ScoredSegment] = {}
    floor = params.floor(Modality.VISUAL)
    for score, key in zip(scores[0].tolist(), ids[0].tolist()):
        keyframe = found.get(key)
        if keyframe is None or score < floor:
            continue
        if keyframe.segment.id not in best or best[keyframe.segment.id].score < score:
            best[keyframe.segment.id] = _scored(keyframe, score)
    runs = merge(list(best.values()), params.merge_margin, params.max_moment)
    videos = {item.video.path: item.video for item in best.values()}
    return [
        Candidate(
            videos[hit.video],
            hit.start,
            hit.end,
            _visual_match(hit.score, floor, params.visual_span),
            rank,
            hit.evidence[0],
        )
        for rank, hit in enumerate(runs, 1)
    ]


def span_candidates(store: Store, modality: Modality, query: Query, params: Retrieval) -> list[Candidate]:
    """Spans of `modality` matching the query by meaning or keyword, scored 0..1, floor applied;
    a fragment (`fragment`) only where the query's words match it or its meaning is close
    (FRAGMENT_MATCH)."""
    keys = _neighbours(store, modality, query)
    keywords = textmatch.Keywords(query.text)
    keys.update(_keyword_ids(store, modality, keywords))
    spans = list(store.spans(sorted(keys)).values())
    kept = _matching(store, modality, spans, query, params, keywords)
    return [_span_candidate(span, match, words, rank) for rank, (match, span, words) in enumerate(kept, 1)]


def video_marks(store: Store, video: VideoRecord, modality: Modality, query: Query, params: Retrieval) -> list[Mark]:
    """Every place in `video` where `modality` matches the query past its floor, in time order:
    each span of a text modality scored as search scores it, each segment by its best keyframe
    for the visual one. A timeline's lane: the whole video is scored, not only the spans that
    made a search's top candidates."""
    if modality != Modality.VISUAL:
        spans = store.video_spans(video, modality)
        found = _matching(store, modality, spans, query, params, textmatch.Keywords(query.text))
        return sorted((Mark(modality, s.start, s.end, match, s.text) for match, s, _ in found), key=_by_time)
    record = store.space_model(Space.CLIP)
    if query.visual is None or record is None:
        return []
    keyframes = store.video_keyframes(video)
    ids = sorted(keyframes)
    cosines = store.vectors(Modality.VISUAL, record.dim).vectors(ids) @ query.visual if ids else []
    floor = params.floor(Modality.VISUAL)
    best: dict[int, tuple[float, KeyframeRecord]] = {}
    for key, cosine in zip(ids, [float(c) for c in cosines]):
        segment = keyframes[key].segment.id
        if cosine >= floor and (segment not in best or best[segment][0] < cosine):
            best[segment] = (cosine, keyframes[key])
    marks = (
        Mark(modality, k.segment.start, k.segment.end, _visual_match(c, floor, params.visual_span))
        for c, k in best.values()
    )
    return sorted(marks, key=_by_time)


def _by_time(mark: Mark) -> tuple[float, float]:
    return mark.start, mark.end


def _matching(
    store: Store,
    modality: Modality,
    spans: list[SpanRecord],
    query: Query,
    params: Retrieval,
    keywords: textmatch.Keywords,
) -> list[tuple[float, SpanRecord, tuple[str, ...]]]:
    """(match, span, matched words) of the `spans` whose match is past their floor, best first."""
    similarity = np.zeros(len(spans), np.float32)
    english = np.fromiter((span_is_english(span) for span in spans), bool, len(spans))
    text = store.space_model(Space.SENTENCE)
    if spans and query.sentence is not None and text is not None:
        rows = store.vectors(modality, text.dim).vectors([span.id for span in spans])
        similarity = query.similarity(rows, english)
    floors = [params.floor(modality, other) for other in query.multilingual(english).tolist()]
    scored = [_span_match(span, float(s), keywords) for span, s in zip(spans, similarity)]
    real = [s for s in zip(scored, floors) if s[0][2] or s[0][0] >= FRAGMENT_MATCH or not fragment(s[0][1])]
    return sorted((s for s, floor in real if s[0] >= floor), key=lambda s: -s[0])


def _keyword_ids(store: Store, modality: Modality, keywords: textmatch.Keywords) -> list[int]:
    """Ids of the spans the query's words find (CANDIDATES per search): as typed (the index's
    porter tokenizer stems English), by Snowball stem prefixes in the videos of each other spoken
    language of the library (in those videos alone, so the English candidates stay as they were;
    none for sound labels, which are English), and by CJK pairs inside longer runs."""
    found = []
    expression = textmatch.fts_query(keywords.text)
    if expression:
        found += store.keyword(expression, modality, CANDIDATES)
    for language in store.languages() if modality != Modality.AUDIO else []:
        expression = keywords.prefix_query(language)
        if expression:
            found += store.keyword(expression, modality, CANDIDATES, language)
    expression = keywords.grams_query()
    if expression:
        found += store.keyword_grams(expression, modality, CANDIDATES)
    return [key for key, _ in found]


def _neighbours(store: Store, modality: Modality, query: Query) -> set[int]:
    """The CANDIDATES spans of `modality` nearest the query, per probe (`Query.probes`)."""
    record = store.space_model(Space.SENTENCE)
    if record is None:
        return set()
    probes = query.probes()
    if not probes:
        return set()
    _, ids = store.vectors(modality, record.dim).search(np.stack(probes), CANDIDATES)
    return {int(key) for key in ids.ravel() if key >= 0}


def _scored(keyframe: KeyframeRecord, score: float) -> ScoredSegment:
    return ScoredSegment(keyframe.segment, keyframe.video, score, Evidence(Modality.VISUAL, score, keyframe.time))


def _visual_match(cosine: float, floor: float, span: float) -> float:
    return min(1.0, 0.5 + 0.5 * (cosine - floor) / span)


def _span_match(
    span: SpanRecord, similarity: float, keywords: textmatch.Keywords
) -> tuple[float, SpanRecord, tuple[str, ...]]:
    """(match 0..1, span, matched words): meaning alone, or meaning and keywords averaged,
    whichever is higher, so an exact keyword hit lifts a span and a paraphrase still counts;
    keywords are compared in the span's language (`textmatch.span_language`); a sound's match
    is also scaled by how sure the classifier was."""
    language = textmatch.span_language(span.modality, span.text, span.video.language)
    covered, words = keywords.coverage(span.text, language, glued=span.modality == Modality.OCR)
    match = max(similarity, (similarity + covered) / 2)
    if span.modality == Modality.AUDIO:
        match *= SOUND_DOUBT + (1 - SOUND_DOUBT) * span.confidence
    return match, span, words


def _bare(word: str) -> str:
    return "".join(textmatch.TOKEN.findall(word.lower()))


def _span_candidate(span: SpanRecord, match: float, words: tuple[str, ...], rank: int) -> Candidate:
    spoken = {w.lower() for w in words}
    first = next((w.start for w in span.words if _bare(w.text) in spoken), span.start)
    evidence = Evidence(
        span.modality, match, first, span.start, span.end, span.text, words, round(span.confidence, 3), span.heard_on
    )
    return Candidate(span.video, span.start, span.end, match, rank, evidence)
