"""The video view of the search page: a hit opened into its video. A player streamed by HTTP range
from the API the page mounts at /api (with the video's subtitles as a track when something is said
in it), a timeline with the video's chapters, one lane per modality marking where the query matches
along the whole video (and a lane of this video's results), beside the player the chapters, an
extractive summary and the transcript and screen text in time order, and the video's shots as
thumbnails; clicking any of them seeks. Drawn by ui/video_view.js (with ui/video_view.css) as an
`st.components.v2` component: inline in the page, no iframe, so its relative media URLs are the
page's own origin.

Everything from the index (file names, chapter titles, summary, transcript, screen text) reaches
the browser as JSON data of the component and is put in the page as text (`textContent`), never as
HTML.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from streamlit.components.v2 import component

from indexer.errors import IndexerError, describe
from indexer.files import printable
from indexer.types import Modality
from search.engine import VideoSearch
from search.errors import SearchError
from search.types import Hit, Mark, SegmentRecord, SpanRecord, VideoRecord

log = logging.getLogger("vidsearch.ui")

HERE = Path(__file__).resolve().parent
SHOT_SIZE = 108
"""Short side, pixels, of the shot thumbnails the view asks the API for (shown 54 px high: sharp at 2x)."""
PANELS = (Modality.SPEECH, Modality.OCR)
"""What the panel beside the player lists, in time order."""
KINDS = {Modality.SPEECH: "said", Modality.OCR: "screen"}
"""How a line of the panel is labelled, by modality."""
MOMENTS = "moments"
"""The lane of this video's results (whatever found them: words, a picture, "more like this")."""
SUMMARY_SENTENCES = 3
"""How many key sentences the view's summary holds (`VideoSearch.summary`)."""
SUMMARY_KINDS = {"speech": "said", "screen": "screen", "sound": "sound"}
"""How an item of the summary is labelled, by its kind (`SummaryItem.kind`)."""


@dataclass(frozen=True)
class Opened:
    """A hit opened into its video: the video's id, the moment to start at (`start`, seconds),
    the query whose matches the timeline marks (its text and modalities; "" for a search by
    picture or "more like this"), the words the search matched (highlighted in the transcript),
    this video's moments among the results as (start, end, score), and `n`, which counts opens:
    opening the same moment again seeks there again."""

    video_id: int
    start: float
    n: int
    query: str = ""
    modalities: tuple[Modality, ...] = ()
    words: tuple[str, ...] = ()
    moments: tuple[tuple[float, float, float], ...] = ()


def opened_from(hit: Hit, n: int, query: str, modalities: Sequence[Modality], hits: Sequence[Hit]) -> Opened | None:
    """`hit` opened at its best evidence (where what matched is), with the other `hits` of its
    video as the moments lane; None for a hit without a video id."""
    if hit.video_id is None:
        return None
    mine = [h for h in hits if h.video_id == hit.video_id] or [hit]
    words = tuple(dict.fromkeys(w for h in mine for e in h.evidence for w in e.words))
    return Opened(
        hit.video_id,
        hit.start,
        n,
        query,
        tuple(modalities),
        words,
        tuple((h.start, h.end, h.score) for h in mine),
    )


def _line(span: SpanRecord) -> dict[str, Any]:
    return {
        "modality": str(span.modality),
        "kind": KINDS.get(span.modality, span.modality.label),
        "start": round(span.start, 3),
        "end": round(span.end, 3),
        "text": span.text,
    }


def _shot(segment: SegmentRecord, sign: Callable[[str], str]) -> dict[str, Any]:
    thumbnail = f"{sign(f'/segments/{segment.id}/thumbnail')}&size={SHOT_SIZE}"
    return {"start": round(segment.start, 3), "end": round(segment.end, 3), "thumbnail": thumbnail}


def lanes(video: VideoRecord, opened: Opened, marks: Sequence[Mark]) -> list[dict[str, Any]]:
    """The timeline's lanes: this video's results first (none for a video opened without results,
    as from "more videos like this"), then, for a query in words, one lane per modality it
    searched that the video was indexed for (an empty lane: no match there)."""
    moments = [{"start": round(a, 3), "end": round(b, 3), "score": round(s, 4)} for a, b, s in opened.moments]
    found = [{"modality": MOMENTS, "label": "results", "marks": moments}] if moments else []
    if opened.query:
        indexed = set(video.modalities) or set(opened.modalities)
        for modality in (m for m in Modality if m in opened.modalities and m in indexed):
            mine = [m.to_json() for m in marks if m.modality == modality]
            found.append({"modality": str(modality), "label": modality.label, "marks": mine})
    return found


def chapters(engine: VideoSearch, video_id: int) -> list[dict[str, Any]]:
    """The video's chapters (`VideoSearch.chapters`: contiguous, in time order) as the view draws
    them: start and end (seconds), title and where the title comes from ("screen", "speech",
    "shots")."""
    return [
        {"start": round(c.start, 3), "end": round(c.end, 3), "title": c.title, "source": c.source}
        for c in engine.chapters(video_id)
    ]


def summary(engine: VideoSearch, video_id: int) -> dict[str, Any]:
    """The video's extractive summary (`VideoSearch.summary` of SUMMARY_SENTENCES key sentences)
    as the view draws it: its languages (ISO 639-1 codes, most first) and its items in time order,
    each with its kind, the label shown for it, start and end (seconds) and text."""
    found = engine.summary(video_id, SUMMARY_SENTENCES)
    items = [
        {
            "kind": item.kind,
            "label": SUMMARY_KINDS.get(item.kind, item.kind),
            "start": round(item.start, 3),
            "end": round(item.end, 3),
            "text": item.text,
        }
        for item in found.items
    ]
    return {"languages": list(found.languages), "items": items}


def payload(engine: VideoSearch, opened: Opened, sign: Callable[[str], str]) -> tuple[dict[str, Any], list[str]]:
    """The view's data (JSON-ready: see ui/video_view.js) and one-line notes of what it lacks
    because it could not be made (the query's matches when its models failed, the chapters or
    the summary); `sign` turns an API route path into the URL the browser fetches. The subtitles'
    URL is null for a video where nothing is said (or that has no picture to show them on).
    VideoNotFound when the video left the index."""
    video, segments = engine.video(opened.video_id)
    marks: list[Mark] = []
    notes = []
    if opened.query:
        try:
            marks = engine.timeline(opened.video_id, opened.query, opened.modalities or None)
        except (SearchError, IndexerError) as exc:
            notes.append(f"The timeline cannot mark the query's matches: {describe(exc)}")
    spans = engine.transcript(opened.video_id, PANELS)
    present = {span.modality for span in spans}
    parts: list[Any] = []
    for name, make in (("chapters", chapters), ("summary", summary)):
        try:
            parts.append(make(engine, opened.video_id))
        except (SearchError, IndexerError) as exc:
            parts.append(None)
            notes.append(f"No {name} for this video: {describe(exc)}")
    speech = video.has_video and Modality.SPEECH in present
    data = {
        "key": str(opened.video_id),
        "seek": {"time": round(opened.start, 3), "n": opened.n},
        "title": printable(video.path.name),
        "duration": round(video.duration, 3),
        "has_video": video.has_video,
        "stream": sign(f"/videos/{opened.video_id}/stream"),
        "subtitles": sign(f"/videos/{opened.video_id}/subtitles.vtt") if speech else None,
        "language": video.language or "",
        "words": list(opened.words),
        "lanes": lanes(video, opened, marks),
        "chapters": parts[0] or [],
        "summary": parts[1],
        "panels": [{"modality": str(m), "label": m.label} for m in PANELS if m in present],
        "transcript": [_line(span) for span in spans],
        "shots": [_shot(s, sign) for s in segments] if video.has_video else [],
    }
    return data, notes


COMPONENT = component(
    "vidsearch_video_view",
    js=(HERE / "video_view.js").read_text(encoding="utf-8"),
    css=(HERE / "video_view.css").read_text(encoding="utf-8"),
)


def show(data: dict[str, Any]) -> None:
    """Draw the view with `data` (from `payload`)."""
    COMPONENT(data=data, key="video-view", height="content")
