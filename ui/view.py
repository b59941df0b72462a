"""The video view of the search page: a hit opened into its video. A player streamed by HTTP range
from the API the page mounts at /api, a timeline with one lane per modality marking where the query
matches along the whole video (and a lane of this video's results), the transcript and screen
text in time order beside the player, and the video's shots as thumbnails; clicking any of them
seeks. Drawn by ui/video_view.js (with ui/video_view.css) as an `st.components.v2` component:
inline in the page, no iframe, so its relative media URLs are the page's own origin.

Everything from the index (file names, transcript, screen text) reaches the browser as JSON data
of the component and is put in the page as text (`textContent`), never as HTML.
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
    """The timeline's lanes: this video's results first, then, for a query in words, one lane per
    modality it searched that the video was indexed for (an empty lane: no match there)."""
    moments = [{"start": round(a, 3), "end": round(b, 3), "score": round(s, 4)} for a, b, s in opened.moments]
    found = [{"modality": MOMENTS, "label": "results", "marks": moments}]
    if opened.query:
        indexed = set(video.modalities) or set(opened.modalities)
        for modality in (m for m in Modality if m in opened.modalities and m in indexed):
            mine = [m.to_json() for m in marks if m.modality == modality]
            found.append({"modality": str(modality), "label": modality.label, "marks": mine})
    return found


def payload(engine: VideoSearch, opened: Opened, sign: Callable[[str], str]) -> tuple[dict[str, Any], str | None]:
    """The view's data (JSON-ready: see ui/video_view.js) and a one-line note when the query's
    matches could not be marked (its models failed); `sign` turns an API route path into the
    URL the browser fetches. VideoNotFound when the video left the index."""
    video, segments = engine.video(opened.video_id)
    marks: list[Mark] = []
    note = None
    if opened.query:
        try:
            marks = engine.timeline(opened.video_id, opened.query, opened.modalities or None)
        except (SearchError, IndexerError) as exc:
            note = f"The timeline cannot mark the query's matches: {describe(exc)}"
    spans = engine.transcript(opened.video_id, PANELS)
    present = {span.modality for span in spans}
    data = {
        "key": str(opened.video_id),
        "seek": {"time": round(opened.start, 3), "n": opened.n},
        "title": printable(video.path.name),
        "duration": round(video.duration, 3),
        "has_video": video.has_video,
        "stream": sign(f"/videos/{opened.video_id}/stream"),
        "words": list(opened.words),
        "lanes": lanes(video, opened, marks),
        "panels": [{"modality": str(m), "label": m.label} for m in PANELS if m in present],
        "transcript": [_line(span) for span in spans],
        "shots": [_shot(s, sign) for s in segments] if video.has_video else [],
    }
    return data, note


COMPONENT = component(
    "vidsearch_video_view",
    js=(HERE / "video_view.js").read_text(encoding="utf-8"),
    css=(HERE / "video_view.css").read_text(encoding="utf-8"),
)


def show(data: dict[str, Any]) -> None:
    """Draw the view with `data` (from `payload`)."""
    COMPONENT(data=data, key="video-view", height="content")
