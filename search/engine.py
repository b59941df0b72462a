"""The search API: open an index directory, ask in words, get ranked moments.

Each modality finds its own candidates (keyframes by CLIP; sentences, screen text and sound labels
by meaning and by keyword), drops those under its no-match floor, and `search.fusion` makes one
ranking. The CLI, the HTTP API and the page all go through `VideoSearch`, so they rank alike.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from indexer import decode
from indexer import errors as indexer_errors
from indexer.encoders import Encoder, QueryEncoder, normalise
from indexer.encoders.clip import ClipSpec, OpenClip
from indexer.encoders.sound import BACKGROUND
from indexer.encoders.text import PairedEncoder, Part, SentenceEncoder, SentenceSpec, spec_of
from indexer.encoders.text import sentence_encoder as make_sentence_encoder
from indexer.errors import VideoError, VidsearchError, describe
from indexer.types import Modality, Space
from search.chapters import Chapter, ChapterParams, gather
from search.chapters import chapters as find_chapters
from search.errors import (
    IndexEmpty,
    ModelMismatch,
    NoPicture,
    NoSearchableModality,
    SegmentNotFound,
    VideoFileMissing,
    VideoNotFound,
    VideoNotIndexed,
)
from search.fusion import Candidate, Moment, fuse
from search.language import QueryLanguage
from search.params import Device, Retrieval, SearchConfig, SearchParams
from search.related import Related, RelatedVideo, VideosLike
from search.retrieval import Query, asks_something, span_candidates, video_marks, visual_candidates
from search.served import IndexedFile, open_indexed
from search.store import Store
from search.subtitles import Cue, cues, track_spans
from search.summary import SENTENCES, Summary, summarise
from search.types import (
    Evidence,
    Filters,
    Hit,
    LoadState,
    Mark,
    ModelRecord,
    Readiness,
    SegmentRecord,
    SpanRecord,
    Still,
    VideoRecord,
)

log = logging.getLogger(__name__)

QUERY_CACHE = 64
"""Query texts whose sentence vectors an engine keeps (a page re-asks the same few often)."""
WARM_QUERY = "a person talking"
"""The query `VideoSearch.load` answers to warm the models and vector files up."""


class Loading:
    """Loading an engine's models in a background thread, once, and how it went."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._state = LoadState.IDLE
        self._error = ""
        self._began = 0.0
        self._took = 0.0

    def start(self, load: Callable[[], None], name: str) -> None:
        """Run `load` in a daemon thread unless it was started before."""
        with self._guard:
            if self._state != LoadState.IDLE:
                return
            self._state, self._began = LoadState.LOADING, time.monotonic()
        threading.Thread(target=self._run, args=(load, name), name="vidsearch-load", daemon=True).start()

    def _run(self, load: Callable[[], None], name: str) -> None:
        try:
            load()
        except VidsearchError as exc:
            log.warning("the models of %s cannot be loaded: %s", name, describe(exc))
            state, error = LoadState.FAILED, describe(exc)
        except Exception as exc:  # a thread's edge: the reason is kept for readiness(), the traceback logged
            log.exception("loading the models of %s failed", name)
            state, error = LoadState.FAILED, describe(exc)
        else:
            state, error = LoadState.READY, ""
            log.info("models of %s loaded in %.1f s", name, time.monotonic() - self._began)
        with self._guard:
            self._state, self._error, self._took = state, error, time.monotonic() - self._began

    def proven(self) -> None:
        """A query was answered, so its models are loaded whatever loading said: ready (a load that
        failed on a passing fault no longer reads as failed)."""
        with self._guard:
            if self._state != LoadState.READY and self._state != LoadState.LOADING:
                self._state, self._error = LoadState.READY, ""

    def readiness(self) -> Readiness:
        with self._guard:
            running = self._state == LoadState.LOADING
            seconds = time.monotonic() - self._began if running else self._took
            return Readiness(self._state, self._error, seconds)


@dataclass(frozen=True)
class IndexStats:
    """What an index holds: counts, hours of video, each model (or why it is missing), and the
    modalities a query can use now."""

    videos: int
    segments: int
    keyframes: int
    hours: float
    models: tuple[ModelRecord, ...]
    searchable: tuple[Modality, ...] = ()

    def to_json(self) -> dict[str, object]:
        """The CLI/API contract: videos, segments, keyframes, hours, models, searchable."""
        return {
            "videos": self.videos,
            "segments": self.segments,
            "keyframes": self.keyframes,
            "hours": round(self.hours, 4),
            "models": [m.to_json() for m in self.models],
            "searchable": [str(m) for m in self.searchable],
        }


def stored_clip_spec(record: ModelRecord, device: Device) -> ClipSpec:
    """The CLIP an index was built with (from its record), to run on `device`."""
    checkpoint = Path(record.weights) if os.path.isabs(record.weights) else None
    pretrained = record.weights if checkpoint is None else ""
    return ClipSpec(
        model=record.config,
        pretrained=pretrained,
        checkpoint=checkpoint,
        device=device.name,
        batch_size=device.batch_size,
        offline=device.offline,
    )


def stored_sentence_spec(record: ModelRecord, params: SearchParams) -> SentenceSpec:
    """The sentence model an index was built with (from its record; or the one `params` names,
    which must be the same), to run on `params.device`."""
    model = params.sentence_model or spec_of(record.model, record.config)
    return SentenceSpec(model=model, device=params.device.name, offline=params.device.offline)


class VideoSearch:
    """Search over one index directory. Models load on first use, once.

    `params` says how to rank (a `SearchParams`, or settings that give one; default:
    `SearchParams()`, whatever the environment says: the entry points read the environment).
    `texts` and `images` (CLIP's towers) and `sentences` inject query encoders (tests, or apps
    that manage models themselves); by default the index's own models are loaded, or the ones the
    parameters name explicitly, which must match them.

    Safe to share between threads: searches (FAISS, the models and their caches) run one at a
    time under the engine's lock; reads of records, thumbnails and files run side by side (one
    SQLite connection per thread).
    """

    def __init__(
        self,
        index: Path,
        params: SearchParams | SearchConfig | None = None,
        texts: Encoder[str] | None = None,
        sentences: Encoder[str] | None = None,
        images: Encoder[np.ndarray] | None = None,
    ) -> None:
        if params is None:
            params = SearchParams()
        self.params = params if isinstance(params, SearchParams) else params.search_params()
        self.store = Store.open(index)
        self._texts = texts
        self._sentences = sentences
        self._images = images
        self._clip_model: OpenClip | None = None
        self._query_vector = functools.lru_cache(maxsize=QUERY_CACHE)(self._sentence_vector)
        self._query_language: QueryLanguage | None = None
        self._lock = threading.RLock()
        self._loading = Loading()

    @property
    def directory(self) -> Path:
        """The index directory (absolute)."""
        return self.store.directory

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> VideoSearch:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def searchable(self, modalities: tuple[Modality, ...] | None = None) -> tuple[Modality, ...]:
        """The modalities a query can use: asked for (default: the parameters'), and indexed.
        NoSearchableModality (with each one's reason) when there are none."""
        records = self.store.models()
        asked = modalities if modalities is not None else self.params.modalities
        ready = [m for m in Modality if m in asked and m in records and records[m].available]
        if not ready:
            reasons = [f"{m}: {records[m].reason}" for m in asked if m in records and records[m].reason]
            raise NoSearchableModality(self.store.directory, "; ".join(reasons) or "no modality was indexed")
        return tuple(ready)

    def video_count(self) -> int:
        """How many videos searches see."""
        return self.store.counts()[0]

    def ready(self, modalities: tuple[Modality, ...] | None = None) -> tuple[Modality, ...]:
        """`searchable(modalities)`, after making sure there is something to search: IndexEmpty
        when the index has no videos, NoSearchableModality when none of them can be used."""
        if self.video_count() == 0:
            raise IndexEmpty(self.store.directory)
        return self.searchable(modalities)

    def text_encoder(self) -> Encoder[str]:
        """The query encoder for the visual space, checked against the model the index was built with."""
        with self._lock:
            if self._texts is None:
                self._texts = self._clip().texts
            return self._texts

    def image_encoder(self) -> Encoder[np.ndarray]:
        """The image tower of the index's own CLIP (for search by image)."""
        with self._lock:
            if self._images is None:
                self._images = self._clip().images
            return self._images

    def _clip(self) -> OpenClip:
        """The index's own CLIP (or the one the parameters name explicitly, which must match it), loaded once."""
        if self._clip_model is None:
            record = self.store.models()[Modality.VISUAL]
            clip = OpenClip(self.params.clip or stored_clip_spec(record, self.params.device))
            if clip.name != record.model:
                raise ModelMismatch(self.store.directory, Modality.VISUAL, record.model, clip.name)
            self._clip_model = clip
        return self._clip_model

    def sentence_encoder(self) -> Encoder[str] | None:
        """The query encoder for the sentence space, or None when the index has no sentence vectors."""
        record = self.store.space_model(Space.SENTENCE)
        if record is None:
            return None
        with self._lock:
            if self._sentences is None:
                encoder = make_sentence_encoder(stored_sentence_spec(record, self.params))
                if encoder.name != record.model:
                    raise ModelMismatch(self.store.directory, Space.SENTENCE, record.model, encoder.name)
                self._sentences = encoder
            return self._sentences

    def search(
        self, text: str, k: int = 10, modalities: tuple[Modality, ...] | None = None, filters: Filters | None = None
    ) -> list[Hit]:
        """The `k` best moments for `text`, best first, from `modalities` (default: all indexed
        ones the parameters allow) among the videos `filters` lets through. Scores are fused match
        scores (higher is better; 0..1 with the default `score` fusion, `search.fusion.AGREEMENT`
        says what they mean); fewer than `k`, or none, when little matches; none for a query
        that asks nothing (no word, or only stop words: `search.retrieval.asks_something`).
        IndexEmpty, NoSearchableModality; ModelMismatch or ModelUnavailable when a query model
        cannot be had."""
        active = self.ready(modalities)
        if not asks_something(text):
            return []
        with self._lock:
            query = self._text_query(text, active)
            self._loading.proven()
            return self._ranked(query, active, k, filters)

    def _text_query(self, text: str, active: tuple[Modality, ...]) -> Query:
        """`text` as the `active` modalities search with it (call under the lock)."""
        sentence, english = self._query_vector(text) if set(active) - {Modality.VISUAL} else (None, True)
        return Query(
            text=text,
            visual=self.text_encoder().encode([text])[0] if Modality.VISUAL in active else None,
            sentence=sentence,
            parts=self._parts() if sentence is not None else (),
            english=english,
        )

    def search_image(self, image: np.ndarray, k: int = 10, filters: Filters | None = None) -> list[Hit]:
        """Moments that look like `image` (HxWx3 uint8 RGB), by the visual modality alone, held to
        the floor for pictures (`search.params.IMAGE_FLOOR`): fewer than `k`, or none, when little
        looks alike."""
        active = self.ready((Modality.VISUAL,))
        with self._lock:
            query = Query(visual=self.image_encoder().encode([image])[0])
            return self._ranked(query, active, k, filters, self.params.retrieval.by_image())

    def similar(self, segment_id: int, k: int = 10, filters: Filters | None = None) -> list[Hit]:
        """Moments like segment `segment_id` ("more like this"): near its keyframes in the visual
        space and its sentences, screen text and sounds in the sentence space, each held to its
        no-match floor (`Retrieval.by_image`: the word modalities' own, the visual one for
        pictures), so fewer than `k`, or none, when little is alike; moments overlapping the
        segment itself are left out. SegmentNotFound, IndexEmpty, NoSearchableModality."""
        found = self.store.segment(segment_id)
        if found is None:
            raise SegmentNotFound(self.store.directory, segment_id)
        segment, video, keyframes = found
        active = self.ready(None)
        with self._lock:
            query = Query(
                visual=self._mean(Modality.VISUAL, [key for key, _ in keyframes])
                if Modality.VISUAL in active
                else None,
                sentence=self._mean_spans(video, segment),
                parts=self._parts(),
            )
            own = sum(map(len, self.store.span_ids_between(video, segment.start, segment.end).values()))
            room = k + 3 + own + len(keyframes)  # the segment's own moments come first, and go
            hits = self._ranked(query, active, room, filters, self.params.retrieval.by_image())
        return [h for h in hits if not (h.video == video.path and h.start < segment.end and h.end > segment.start)][:k]

    def _ranked(
        self,
        query: Query,
        active: tuple[Modality, ...],
        k: int,
        filters: Filters | None,
        retrieval: Retrieval | None = None,
    ) -> list[Hit]:
        params = retrieval or self.params.retrieval
        candidates: list[Candidate] = []
        for modality in active:
            if modality == Modality.VISUAL:
                candidates += visual_candidates(self.store, query, params)
            else:
                candidates += span_candidates(self.store, modality, query, params)
        if filters is not None:
            candidates = [c for c in candidates if filters.admits(c.video)]
        return [self._hit(moment) for moment in fuse(candidates, self.params.weights, self.params.fusion)[:k]]

    def _parts(self) -> tuple[Part, ...]:
        """How the index's sentence space splits between models (empty: one model)."""
        encoder = self.sentence_encoder()
        return encoder.parts if isinstance(encoder, PairedEncoder | SentenceEncoder) else ()

    def _english(self, text: str) -> bool:
        """Whether a query reads as English (`search.language`), among the index's languages."""
        if self._query_language is None:
            self._query_language = QueryLanguage(self.store.languages())
        return self._query_language.english(text)

    def _sentence_vector(self, text: str) -> tuple[np.ndarray | None, bool]:
        """`text` in the sentence space (None: the index has none), and whether it reads as
        English where the space tells English apart; `_query_vector` is this, remembering the
        QUERY_CACHE most recently asked."""
        encoder = self.sentence_encoder()
        if encoder is None:
            return None, True
        vector = (encoder.encode_queries if isinstance(encoder, QueryEncoder) else encoder.encode)([text])[0]
        return vector, self._english(text) if any(part.english for part in self._parts()) else True

    def _mean(self, modality: Modality, ids: list[int]) -> np.ndarray | None:
        """The unit mean of the stored vectors `ids` of `modality` (None when there are none)."""
        record = self.store.space_model(modality.space)
        if not ids or record is None:
            return None
        rows = self.store.vectors(modality, record.dim).vectors(ids)
        rows = rows[np.linalg.norm(rows, axis=1) > 0]
        return normalise(rows.mean(axis=0, keepdims=True))[0] if len(rows) else None

    def _mean_spans(self, video: VideoRecord, segment: SegmentRecord) -> np.ndarray | None:
        """The mean sentence vector of what is said, shown as text and heard in a segment (not
        of background sounds, `indexer.encoders.sound.BACKGROUND`: "Speech" would make every
        talking segment alike)."""
        spans = self.store.span_ids_between(video, segment.start, segment.end)
        heard = self.store.spans(spans.get(Modality.AUDIO, []))
        spans[Modality.AUDIO] = [key for key, span in heard.items() if span.text.strip().lower() not in BACKGROUND]
        found = [mean for mean in (self._mean(m, ids) for m, ids in spans.items()) if mean is not None]
        return normalise(np.mean(found, axis=0, keepdims=True))[0] if found else None

    def _hit(self, moment: Moment) -> Hit:
        seed = moment.seed
        evidence = tuple(moment.best[m].evidence for m in Modality if m in moment.best)
        segments = self.store.overlapping(seed.video, seed.start, seed.end)
        ids = tuple(g.id for g in segments)
        video = seed.video
        still = self._still(seed, segments, evidence) if video.has_video and segments else None
        return Hit(video.path, seed.start, seed.end, moment.score, ids, evidence, video.has_video, video.id, still)

    def _still(self, seed: Candidate, segments: list[SegmentRecord], evidence: tuple[Evidence, ...]) -> Still:
        """The picture of a hit: at the `Evidence.frame` of its text on screen if any, else of its
        keyframe, else of its first evidence, kept inside the hit (screen text shown long before
        and into it is pictured where it overlaps the hit); in the segment showing that time."""
        shown = next((e for m in (Modality.OCR, Modality.VISUAL) for e in evidence if e.modality == m), evidence[0])
        time, video = shown.frame, seed.video
        if not seed.start <= time < seed.end and shown.start is not None and shown.end is not None:
            low, high = max(shown.start, seed.start), min(shown.end, seed.end)
            time = (low + high) / 2 if low < high else time
        holding = [g for g in segments if g.start <= time < g.end] or self.store.overlapping(video, time, time + 1e-3)
        return Still((holding or segments)[0].id, time)

    def load(self) -> None:
        """Load every query model this index needs now rather than on the first query: CLIP's
        text tower when it has visual vectors, the sentence model, the query-language guesser;
        then answer one query, so the vector files are read and the first real query is as fast
        as the next. Idempotent. ModelUnavailable or ModelMismatch when a model cannot be had;
        nothing to do for an index without videos."""
        try:
            active = self.ready()
        except (IndexEmpty, NoSearchableModality):
            return
        with self._lock:
            self.search(WARM_QUERY, 1, active)

    def load_in_background(self) -> None:
        """Start `load` in a daemon thread (once; later calls do nothing): `readiness` says how
        it goes. What a server calls as it starts, so models are ready before the first query."""
        self._loading.start(self.load, str(self.directory))

    def readiness(self) -> Readiness:
        """Whether the query models are loaded: idle (nobody asked yet: the first query loads
        them), loading, ready, or failed with the one-line reason."""
        return self._loading.readiness()

    def transcript(
        self, video_id: int, modalities: tuple[Modality, ...] = (Modality.SPEECH, Modality.OCR)
    ) -> list[SpanRecord]:
        """What is said and written on screen in a video (or the spans of other `modalities`), in
        time order: the panel beside a player. VideoNotFound for an unknown id."""
        video, _segments = self.video(video_id)
        spans = [span for modality in modalities for span in self.store.video_spans(video, modality)]
        return sorted(spans, key=lambda span: (span.start, span.end, span.modality != Modality.SPEECH))

    def timeline(self, video_id: int, text: str, modalities: tuple[Modality, ...] | None = None) -> list[Mark]:
        """Every place along a whole video where `text` matches, past each modality's no-match
        floor, in time order (one lane per modality on a timeline): the spans of the text
        modalities and the segments of the visual one, scored as `search` scores them.
        VideoNotFound, IndexEmpty, NoSearchableModality, and the model errors of `search`."""
        video, _segments = self.video(video_id)
        active = self.ready(modalities)
        if not asks_something(text):
            return []
        with self._lock:
            query = self._text_query(text, active)
            marks = [mark for m in active for mark in video_marks(self.store, video, m, query, self.params.retrieval)]
        return sorted(marks, key=lambda mark: (mark.start, mark.end))

    def thumbnail(self, segment_id: int, short_side: int = 180, time: float | None = None) -> np.ndarray:
        """A picture of a segment (HxWx3 uint8 RGB): the frame shown at `time` seconds (kept inside
        the segment; a hit's `Evidence.frame`, given as is, shows what matched: a time rounded
        down can pick the frame before a title appears), else its first keyframe, else its
        middle. Decoded on demand from the video file, only while it is the file that was indexed
        (`open_indexed`): raises VideoFileMissing when the file is gone, VideoFileChanged when it is
        another file now, NoPicture when it is sound alone without cover art (with cover art, that is
        its picture)."""
        found = self.store.segment(segment_id)
        if found is None:
            raise SegmentNotFound(self.store.directory, segment_id)
        segment, video, keyframes = found
        if time is not None:
            last = (
                segment.end - 0.5 / video.fps if video.fps > 0 else segment.end - 1e-2
            )  # not the next shot's first frame
            time = min(max(time, segment.start), max(segment.start, last))
        elif keyframes:
            time = keyframes[0][1]
        else:
            time = (segment.start + segment.end) / 2
        with self.open_file(video) as file:
            try:
                picture = decode.frame_at(file.reopenable, time, short_side)
            except indexer_errors.NoPicture as exc:
                raise NoPicture(video.path) from exc
            except VideoError as exc:
                raise VideoFileMissing(video.path, exc.reason) from exc
            if file.reopenable == video.path:  # read by path (no /proc): make sure it was this file
                file.confirm()
            return picture

    def open_file(self, video: VideoRecord) -> IndexedFile:
        """The file of an indexed video, opened only if it is still the file that was indexed (see
        `open_indexed`): what the API streams and the page plays. Close it when done."""
        return open_indexed(video)

    def segment(self, segment_id: int) -> tuple[SegmentRecord, VideoRecord]:
        """A segment and its video; raises SegmentNotFound."""
        found = self.store.segment(segment_id)
        if found is None:
            raise SegmentNotFound(self.store.directory, segment_id)
        return found[0], found[1]

    def video(self, video_id: int) -> tuple[VideoRecord, list[SegmentRecord]]:
        """A video by id and its segments in time order; raises VideoNotFound."""
        video = self.store.video_by_id(video_id)
        if video is None:
            raise VideoNotFound(self.store.directory, video_id)
        return video, self.store.segments(video)

    def videos(self) -> list[VideoRecord]:
        """Every searchable video, by path."""
        return self.store.videos()

    def info(self, path: Path) -> tuple[VideoRecord, list[SegmentRecord]]:
        """A video's record and its segments in time order."""
        video = self.store.video(Path(os.path.abspath(path)))
        if video is None:
            raise VideoNotIndexed(Path(path))
        return video, self.store.segments(video)

    def stats(self) -> IndexStats:
        """Counts, hours, models and what a query can search now."""
        videos, segments, keyframes = self.store.counts()
        hours = sum(v.duration for v in self.store.videos()) / 3600
        try:
            searchable = self.searchable()
        except NoSearchableModality:
            searchable = ()
        return IndexStats(videos, segments, keyframes, hours, tuple(self.store.models().values()), searchable)

    @functools.cached_property
    def _related(self) -> Related:
        """Video profiles for `similar_videos`, cached by content for this engine's life."""
        try:
            parts = self._parts()
        except VidsearchError as exc:  # the stored vectors serve without the model: pool whole rows
            log.info("similar videos pool whole sentence vectors: %s", describe(exc))
            parts = ()
        return Related(self.store, parts)

    def videos_like(self, video_id: int, k: int = 10, include_duplicates: bool = False) -> VideosLike:
        """The `k` videos most like video `video_id` by what is said, shown on screen, seen and
        heard in them as a whole (`search.related`: pooled profiles; score 0..1), best first,
        videos sharing nothing with it left out, and its duplicates apart (same content re-encoded
        or trimmed, its moments at one time offset, `search.related.align`: most aligned first,
        each with `aligned` and `offset`), ranked among the similar too, marked, only with
        `include_duplicates`. One comparison serves both lists. No model runs. The first call over
        a library profiles every video (reads all span rows and vectors once); later ones reuse
        the profiles. VideoNotFound."""
        video, _segments = self.video(video_id)
        with self._lock:
            related = self._related
        found = related.related(video)
        copies = sorted((r for r in found if r.duplicate), key=lambda r: (-(r.aligned or 0.0), -r.score))
        return VideosLike(tuple(r for r in found if include_duplicates or not r.duplicate)[:k], tuple(copies))

    def similar_videos(self, video_id: int, k: int = 10, include_duplicates: bool = False) -> list[RelatedVideo]:
        """`videos_like(...).similar`."""
        return list(self.videos_like(video_id, k, include_duplicates).similar)

    def duplicates(self, video_id: int) -> list[RelatedVideo]:
        """`videos_like(...).duplicates`."""
        return list(self.videos_like(video_id).duplicates)

    def chapters(self, video_id: int, params: ChapterParams | None = None) -> list[Chapter]:
        """A video's chapters (`search.chapters`): contiguous, in time order, covering [0,
        duration] seconds, each titled from the video itself. From stored spans and vectors
        alone (no model is loaded). VideoNotFound for an unknown id."""
        video, segments = self.video(video_id)
        with self._lock:  # vector files are read as searches read them
            material = gather(self.store, video, segments)
        return find_chapters(material, params)

    def summary(self, video_id: int, sentences: int = SENTENCES) -> Summary:
        """A video's extractive summary (`search.summary`): up to `sentences` key sentences, its
        screen titles and main sound events in time order, and its languages. From stored spans
        and vectors alone. VideoNotFound for an unknown id."""
        video, segments = self.video(video_id)
        with self._lock:
            material = gather(self.store, video, segments)
        return summarise(material, sentences)

    def subtitles(self, video_id: int, track: int | None = None) -> list[Cue]:
        """Subtitles of what is said in a video, from its stored sentences and their word times
        (`search.subtitles.cues`: two lines of 42 columns at most, 1-7 s each, time order, no
        overlap), heard on audio track `track` (`AudioTrack.index`, 0 the file's first; None: the
        main track); empty when nothing was transcribed. VideoNotFound; TrackNotFound for a track
        the file does not have."""
        video, _segments = self.video(video_id)
        return cues(track_spans(video, self.store.video_spans(video, Modality.SPEECH), track))
