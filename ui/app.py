"""The search page: `vidsearch ui --index DIR` serves it (ui/serve.py: Streamlit, with the API
mounted at /api in the same process).

The engine (index and models) is opened once per process (`ui.library`) and shared by every
browser session and the mounted API; its models start loading as the server starts, and the page
says "Loading models…" until they are ready (a search asked meanwhile waits for them). Everything
a session chooses (what it searched, the video it opened) lives in `st.session_state`. Every
failure is one `st.error` or `st.info` line, never a traceback.

Results are grouped by video, best moment first. Opening one shows the video view (`ui.view`):
player (with subtitles), timeline with chapters, chapters, summary, transcript and shots. "Videos
like this" (on a card or in the view) lists the videos most like one (`VideoSearch.similar_videos`),
and its copies apart (`VideoSearch.duplicates`), each opening into the view. Keys (ui/keys.js):
"/" focuses the search box, ↑/↓ select a result, Enter opens it, Esc closes the view; in the view
j/l and ←/→ seek, k or space pauses, c turns the subtitles on or off.
The query and the filters are forms: moving a slider with the arrow keys searches nothing until
the form is submitted.

The index directory comes from `--index DIR` after `--` on the `streamlit run` line, or from the
environment variable VIDSEARCH_UI_INDEX (which `vidsearch.page` sets).
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
import re
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import streamlit as st
from streamlit.components.v2 import component
from streamlit.runtime.uploaded_file_manager import UploadedFile

from indexer.errors import IndexerError, describe
from indexer.files import printable
from indexer.types import Modality, ModelRole, Space
from search.engine import IndexStats, VideoSearch
from search.errors import IndexEmpty, NoPicture, SearchError, VideoFileMissing
from search.related import RelatedVideo
from search.types import Evidence, Filters, Hit, LoadState, VideoGroup, VideoRecord, clock, group_by_video
from ui import library, view
from ui.library import index_dir
from ui.view import Opened
from vidsearch.page import INDEX_ENV

log = logging.getLogger("vidsearch.ui")

COLOURS = {Modality.VISUAL: "blue", Modality.SPEECH: "green", Modality.OCR: "violet", Modality.AUDIO: "orange"}
MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$:])")
WORD = re.compile(r"\w+")
# (A string after a constant would be drawn on the page: Streamlit shows a script's bare expressions.)
# How many moments a search may ask for (the "Moments" choice; 12 unless changed).
MOMENT_COUNTS = (6, 12, 24, 48)
# How many videos "videos like this" lists, and how many a row.
SIMILAR_VIDEOS = 12
RELATED_COLUMNS = 4
# How a fused score (0..1) is said in words beside its number: the lowest score of each word.
SCORE_WORDS = ((0.8, "strong match"), (0.6, "good match"), (0.4, "fair match"), (0.0, "weak match"))
KEYS = component("vidsearch_keys", js=(Path(__file__).resolve().parent / "keys.js").read_text(encoding="utf-8"))


class Source(NamedTuple):
    """What the results answer: the typed words, an uploaded image, "more like" a segment
    ("similar") or the videos like a video ("videos")."""

    kind: str = "text"
    segment_id: int = 0
    label: str = ""
    video_id: int = 0


class Request(NamedTuple):
    source: Source
    query: str
    k: int
    modalities: tuple[Modality, ...]
    filters: Filters
    image_digest: str = ""


class PageError(Exception):
    """Bad input on the page itself (an upload that is not a picture)."""


# --- Formatting ---------------------------------------------------------------------------------


def span(start: float, end: float) -> str:
    return f"{clock(start)}–{clock(end)}"


def md(text: str) -> str:
    """`text` with everything Markdown (or Streamlit's :directives: and $maths$) would read escaped."""
    return MARKDOWN_SPECIAL.sub(r"\\\1", text)


def highlight(text: str, words: Sequence[str]) -> str:
    """`text` as Markdown with the matched `words` marked: whole words, or inside a word for the
    terms OCR ran together ("harbourpilots")."""
    tokens = {t.lower() for t in WORD.findall(text)}
    parts = [rf"\b{re.escape(w)}\b" if w.lower() in tokens else re.escape(w) for w in words if w]
    if not parts:
        return md(text)
    pattern = re.compile("|".join(sorted(parts, key=len, reverse=True)), re.IGNORECASE)
    out, at = [], 0
    for found in pattern.finditer(text):
        out += [md(text[at : found.start()]), f":orange-background[**{md(found.group())}**]"]
        at = found.end()
    return "".join([*out, md(text[at:])])


def score_words(score: float) -> str:
    """A fused score as people read it: words and the number ("good match 0.64")."""
    word = next(w for floor, w in SCORE_WORDS if score >= floor)
    return f"{word} {score:.2f}"


def hours_text(hours: float) -> str:
    """A length of video as people say it: "9 s" below a minute, "41 min" below an hour, else "1.3 h"."""
    if hours < 1 / 60:
        return f"{hours * 3600:.0f} s"
    return f"{hours * 60:.0f} min" if hours < 1 else f"{hours:.1f} h"


def badges(hit: Hit) -> str:
    return " ".join(f":{COLOURS.get(e.modality, 'gray')}-badge[{e.modality.label}]" for e in hit.evidence)


def evidence_line(evidence: Evidence) -> str:
    """One line of why a moment matched: what was said, shown, heard or seen, and how well."""
    at = clock(evidence.time)
    if evidence.modality == Modality.VISUAL:
        return f":material/image: looks like it at {at} · similarity {evidence.score:.2f}"
    if evidence.modality == Modality.AUDIO:
        sure = f" (confidence {evidence.confidence:.2f})" if evidence.confidence is not None else ""
        return f":material/volume_up: heard **{md(evidence.text)}**{sure} at {at} · match {evidence.score:.2f}"
    icon, verb = (
        (":material/record_voice_over:", "said")
        if evidence.modality == Modality.SPEECH
        else (":material/subtitles:", "on screen")
    )
    return f"{icon} {verb} at {at}: “{highlight(evidence.text, evidence.words)}” · match {evidence.score:.2f}"


# --- Index and engine, once per process -----------------------------------------------------------


def engine_of(index: str) -> VideoSearch:
    """The engine of `index`, shared with the API (`ui.library`); IndexEmpty while it holds no videos."""
    engine = library.engine(index)
    if engine.video_count() == 0:
        raise IndexEmpty(engine.directory)
    return engine


@st.cache_data(ttl=30, show_spinner=False)
def overview(index: str) -> tuple[IndexStats, list[VideoRecord]]:
    """Counts, models and videos of the index, re-read at most every 30 s."""
    engine = library.engine(index)
    return engine.stats(), engine.videos()


@st.cache_data(max_entries=2000, show_spinner=False)
def thumbnail(index: str, segment_id: int, time: float | None) -> np.ndarray:
    """The picture at `time` seconds in a segment (None: its keyframe), decoded once (a missing
    file raises, and is not cached)."""
    return library.engine(index).thumbnail(segment_id, time=time)


@st.cache_data(ttl=30, show_spinner="Comparing videos…")
def related(index: str, video_id: int, k: int) -> tuple[list[RelatedVideo], list[RelatedVideo]]:
    """The `k` videos most like a video, and its copies (re-encoded or trimmed), asked again at
    most every 30 s."""
    like = library.engine(index).videos_like(video_id, k)
    return list(like.similar), list(like.duplicates)


# --- Session state and callbacks ------------------------------------------------------------------


def use_text() -> None:
    st.session_state["source"] = Source("text")


def use_image() -> None:
    st.session_state["source"] = Source("image" if st.session_state.get("image") is not None else "text")


def more_like(segment_id: int, label: str) -> None:
    st.session_state["source"] = Source("similar", segment_id, label)


def more_videos(video_id: int, label: str) -> None:
    st.session_state["source"] = Source("videos", label=label, video_id=video_id)


def open_moment(opened: Opened) -> None:
    """Open the video view at a moment (again: each open seeks, even to the same moment)."""
    count = int(st.session_state.get("opens", 0)) + 1
    st.session_state["opens"] = count
    st.session_state["opened"] = dataclasses.replace(opened, n=count)


def close_view() -> None:
    st.session_state.pop("opened", None)


# --- Sidebar: filters, then what the index holds ---------------------------------------------------


def role_label(role: ModelRole) -> str:
    """How the model of `role` is named to people."""
    return role.label if isinstance(role, Modality) else "sentence model" if role == Space.SENTENCE else str(role)


def searchable_line(stats: IndexStats) -> str:
    """What a query can search, in one line: "Searchable: speech · on-screen text — 20 videos, 1.3 h"."""
    videos = f"{stats.videos} video{'s' if stats.videos != 1 else ''}, {hours_text(stats.hours)}"
    if not stats.searchable:
        return f"Nothing is searchable yet — {videos}"
    return f"Searchable: {' · '.join(m.label for m in stats.searchable)} — {videos}"


def show_overview(stats: IndexStats) -> None:
    """The index in one line, and its models (why one is off) in an expander."""
    st.caption(md(searchable_line(stats)))
    off = [record for record in stats.models if not record.available]
    with st.expander(f"Models · {len(off)} off" if off else "Models"):
        for record in stats.models:
            name = md(role_label(record.role))
            if record.available:
                st.markdown(f":material/check_circle: **{name}**: `{record.model}`")
            else:
                st.markdown(f":material/block: **{name}** is off: {md(record.reason or 'not indexed')}")
        shots = f"{stats.segments} segment{'s' if stats.segments != 1 else ''}"
        keyframes = f" · {stats.keyframes} keyframes" if stats.keyframes else ""
        st.caption(f"{shots}{keyframes} in {stats.videos} video{'s' if stats.videos != 1 else ''}")


def folders(videos: Sequence[VideoRecord]) -> list[Path]:
    """The folders a search can be narrowed to: every folder holding videos, and those between
    them and the folder common to all (which is "all folders")."""
    parents = {v.path.parent for v in videos}
    if len(parents) < 2:
        return []
    common = Path(os.path.commonpath([str(p) for p in parents]))
    found = {f for p in parents for f in (p, *p.parents) if common in f.parents}
    return sorted(found)


def duration_range(videos: Sequence[VideoRecord]) -> tuple[float | None, float | None]:
    """(shortest, longest) video length the user admits; None where the slider is left at its end."""
    longest = float(np.ceil(max((v.duration for v in videos), default=0.0)))
    if longest <= 1:
        return None, None
    low, high = st.slider("Video length (s)", 0.0, longest, (0.0, longest), step=1.0, key="durations")
    return (low if low > 0 else None), (high if high < longest else None)


def show_filters(engine: VideoSearch, videos: Sequence[VideoRecord]) -> tuple[tuple[Modality, ...], Filters]:
    """The modalities and filters chosen in the sidebar: a form, applied when submitted (so the
    arrow keys on a slider search nothing until then)."""
    searchable = engine.searchable()
    with st.form("filters", border=False):
        st.subheader("Filters")
        chosen = st.multiselect(
            "Modalities", searchable, default=list(searchable), format_func=lambda m: m.label, key="modalities"
        )
        options: list[Path | None] = [None, *folders(videos)]
        folder = st.selectbox(
            "Folder", options, format_func=lambda f: "All folders" if f is None else printable(f), key="folder"
        )
        shortest, longest = duration_range(videos)
        st.form_submit_button("Apply filters", width="stretch")
    return tuple(chosen), Filters(folder, shortest, longest)


# --- Main area: the query, the video view, the results --------------------------------------------


@st.fragment(run_every=1.0)
def loading_note(index: str) -> None:
    """ "Loading models…" with the seconds so far, redrawn every second; the whole page is run
    again once they are loaded (or failed), which drops the note."""
    readiness = library.engine(index).readiness()
    if readiness.state != LoadState.LOADING:
        st.rerun()
    st.info(
        f"Loading models… {readiness.seconds:.0f} s. You can type your search now; it runs once they are ready.",
        icon=":material/hourglass_top:",
    )


def show_readiness(index: str, engine: VideoSearch) -> None:
    """The models' state when it is not plain ready: loading (a note that follows it) or failed (one line)."""
    readiness = engine.readiness()
    if readiness.state == LoadState.LOADING:
        loading_note(index)
    elif readiness.state == LoadState.FAILED:
        st.error(f"The models cannot be loaded: {md(readiness.error)}", icon=":material/error:")


def read_image(upload: UploadedFile) -> np.ndarray:
    """An uploaded picture as small HxWx3 uint8 RGB (see vidsearch.pictures: a pixel flood is
    refused from its header, before anything is decoded)."""
    from vidsearch.pictures import PictureError, decode_picture

    try:
        return decode_picture(upload.getvalue())
    except PictureError as exc:
        raise PageError(f"{upload.name} cannot be searched by: {exc}") from exc


def missing_visual(stats: IndexStats) -> str | None:
    """Why the index cannot be searched by image (None when it can)."""
    record = next((m for m in stats.models if m.role == Modality.VISUAL), None)
    if record is None:
        return "the videos were indexed without the visual modality"
    return None if record.available else record.reason or "the visual model is missing"


def show_query(stats: IndexStats) -> tuple[str, int, UploadedFile | None]:
    """The query box and the number of moments (a form: Enter searches), and the picture to
    search by (or None)."""
    with st.form("search", border=False, enter_to_submit=True):
        words, count, go = st.columns([7, 1, 1], vertical_alignment="bottom")
        query = words.text_input(
            "Search", key="query", placeholder="What was shown, said, written on screen or heard  (press / to type)"
        )
        k = count.selectbox("Moments", MOMENT_COUNTS, index=MOMENT_COUNTS.index(12), key="k")
        go.form_submit_button("Search", key="search", on_click=use_text, width="stretch")
    with st.expander("Search by image"):
        reason = missing_visual(stats)
        if reason is not None:
            st.info(f"Search by image needs the visual modality, which this index lacks: {md(reason)}.")
            return query.strip(), int(k), None
        upload = st.file_uploader(
            "A picture like the moment you want", type=["png", "jpg", "jpeg", "webp"], key="image", on_change=use_image
        )
    return query.strip(), int(k), upload


def request_for(
    query: str, k: int, upload: UploadedFile | None, modalities: tuple[Modality, ...], filters: Filters
) -> Request | None:
    """What to search for now, or None when there is nothing to ask yet. New words in the box
    are a search by words again (after a search by image or "more like this")."""
    if query != st.session_state.get("asked"):
        st.session_state["asked"] = query
        if query:
            use_text()
    source = st.session_state.get("source", Source())
    if source.kind == "image" and upload is None:
        source = Source()
    if source.kind == "text" and not query:
        return None
    digest = hashlib.sha1(upload.getvalue()).hexdigest() if source.kind == "image" and upload is not None else ""
    return Request(source, query, k, modalities, filters, digest)


def find(engine: VideoSearch, request: Request, upload: UploadedFile | None) -> list[Hit]:
    source = request.source
    if source.kind == "similar":
        return engine.similar(source.segment_id, request.k, request.filters)
    if source.kind == "image" and upload is not None:
        return engine.search_image(read_image(upload), request.k, request.filters)
    return engine.search(request.query, request.k, request.modalities, request.filters)


def results(engine: VideoSearch, request: Request, upload: UploadedFile | None) -> tuple[list[Hit], float]:
    """The hits of `request` and the seconds they took; a session asks the engine again only when
    the request changed (not when a button is clicked or a video opened)."""
    memo = st.session_state.get("memo")
    if memo is not None and memo[0] == request:
        return memo[1], memo[2]
    began = time.perf_counter()
    waiting = engine.readiness().state in (LoadState.LOADING, LoadState.IDLE)
    with st.spinner("Searching… (waiting for the models to load)" if waiting else "Searching…", show_time=True):
        hits = find(engine, request, upload)
    seconds = time.perf_counter() - began
    log.info("%s %r: %d hits in %.3f s", request.source.kind, request.query, len(hits), seconds)
    st.session_state["memo"] = (request, hits, seconds)
    return hits, seconds


def view_data(engine: VideoSearch, opened: Opened) -> tuple[dict[str, Any], list[str]]:
    """The view's data for `opened` and notes of what it lacks, remembered per video and query (the
    timeline, chapters and summary are made once; its media URLs are signed anew every half hour,
    well within their hour)."""
    key = (dataclasses.replace(opened, start=0.0, n=0), int(time.time() // 1800))
    memo = st.session_state.get("view")
    if memo is None or memo[0] != key:
        memo = (key, *view.payload(engine, opened, library.media_url))
        st.session_state["view"] = memo
    data, notes = memo[1], memo[2]
    return {**data, "seek": {"time": round(opened.start, 3), "n": opened.n}}, notes


def show_video(engine: VideoSearch, opened: Opened) -> None:
    """The video view of `opened`, or why the video cannot be played. Only the file that was
    indexed is played: it is checked here (`open_file`: a path swapped since for a link to another
    file, a FIFO or a device is refused) and again by the API that streams it, by HTTP range from
    the checked descriptor, never read into the page's memory."""
    try:
        video, _segments = engine.video(opened.video_id)
        engine.open_file(video).close()
    except VideoFileMissing as exc:
        st.error(f"Cannot play {md(printable(exc.path))}: {md(exc.reason)}; re-index or `vidsearch remove` it.")
        return
    except SearchError:  # removed from the index since the search
        st.error("Cannot play it: it is no longer in the index.")
        return
    title, like, close = st.columns([7, 2, 1], vertical_alignment="center")
    title.markdown(f"**{md(printable(video.path.name))}** · {clock(opened.start)} · {md(printable(video.path.parent))}")
    like.button(
        "More videos like this",
        key="videos-view",
        icon=":material/video_library:",
        on_click=more_videos,
        args=(video.id, printable(video.path.name)),
        width="stretch",
    )
    close.button("Close", key="close-view", icon=":material/close:", on_click=close_view, help="Esc", width="stretch")
    data, notes = view_data(engine, opened)
    view.show(data)
    for note in notes:
        st.caption(md(note))


def show_thumbnail(index: str, hit: Hit) -> None:
    """The picture of a moment where it shows what matched (`Hit.still`)."""
    if hit.still is None:
        if not hit.has_video:
            st.markdown(":material/graphic_eq: sound only")
        return
    try:
        st.image(thumbnail(index, hit.still.segment_id, hit.still.time), width="stretch")
    except NoPicture:
        st.markdown(":material/graphic_eq: sound only")
    except SearchError as exc:  # the file is gone (VideoFileMissing), or the index changed under us
        st.info(f"No preview: {exc}")


def opener(hit: Hit, request: Request, hits: Sequence[Hit]) -> Opened | None:
    """What opening `hit` shows: its video from the moment, the query's matches marked."""
    words = request.query if request.source.kind == "text" else ""
    return view.opened_from(hit, 0, words, request.modalities, hits)


def show_group(index: str, group: VideoGroup, rank: int, request: Request, hits: Sequence[Hit]) -> None:
    """One video of the results: its best moment (picture, file, time range, score, evidence,
    buttons) and "n more in this video" behind an expander."""
    best = group.hits[0]
    with st.container(border=True, key=f"result-{rank}"):
        picture, body = st.columns([1, 3])
        with picture:
            show_thumbnail(index, best)
        with body:
            st.markdown(f"**{md(printable(best.video.name))}** · {span(best.start, best.end)}")
            st.caption(f"{score_words(best.score)} · {md(printable(best.video.parent))}")
            st.markdown(badges(best))
            for evidence in best.evidence:
                st.markdown(evidence_line(evidence))
            left, right, videos, _rest = st.columns([1, 1, 1, 1])
            opened = opener(best, request, hits)
            open_button(left, f"open-{rank}", opened, "Enter on a selected result")
            if best.segment_ids:
                label = f"{printable(best.video.name)} {span(best.start, best.end)}"
                right.button(
                    "More like this",
                    key=f"like-{rank}",
                    on_click=more_like,
                    args=(best.segment_ids[0], label),
                    width="stretch",
                    help="Moments like this one",
                )
            if best.video_id is not None:
                videos.button(
                    "Videos like this",
                    key=f"videos-{rank}",
                    on_click=more_videos,
                    args=(best.video_id, printable(best.video.name)),
                    width="stretch",
                    help="Other videos like this whole video",
                )
        more = group.hits[1:]
        if more:
            with st.expander(f"{len(more)} more in this video"):
                for number, hit in enumerate(more, 1):
                    line, button = st.columns([6, 1], vertical_alignment="center")
                    first = evidence_line(hit.evidence[0]) if hit.evidence else ""
                    line.markdown(f"{span(hit.start, hit.end)} · {score_words(hit.score)} · {first}")
                    opened = opener(hit, request, hits)
                    open_button(button, f"open-{rank}-{number}", opened)


def open_button(where: Any, key: str, opened: Opened | None, tip: str | None = None) -> None:
    """The Open button of a result (in `where`: a column, or `st`): opens the video view at
    `opened` (disabled when None)."""
    where.button(
        "Open",
        key=key,
        icon=":material/play_arrow:",
        on_click=open_moment,
        args=(opened,),
        disabled=opened is None,
        width="stretch",
        help=tip,
    )


def video_picture(index: str, engine: VideoSearch, video: VideoRecord) -> None:
    """A picture of a whole video: its middle shot's keyframe (a note for sound alone)."""
    if not video.has_video:
        st.markdown(":material/graphic_eq: sound only")
        return
    try:
        _video, segments = engine.video(video.id)
        if segments:
            st.image(thumbnail(index, segments[len(segments) // 2].id, None), width="stretch")
    except NoPicture:
        st.markdown(":material/graphic_eq: sound only")
    except SearchError as exc:
        st.info(f"No preview: {exc}")


def likeness(found: RelatedVideo) -> str:
    """How a video is like the one asked about, in words: "similarity 0.47", or for a copy
    "copy (re-encoded or trimmed) 0.97 · 3.0 s later" (where its moments are in it)."""
    if not found.duplicate:
        return f"similarity {found.score:.2f}"
    shift = found.offset or 0.0
    moved = f" · {abs(shift):.1f} s {'later' if shift > 0 else 'earlier'}" if abs(shift) >= 0.05 else ""
    return f"copy (re-encoded or trimmed) {found.score:.2f}{moved}"


def show_related_video(index: str, engine: VideoSearch, found: RelatedVideo, rank: int) -> None:
    """One video of "videos like this": its picture, name, length, likeness and folder, a button
    that opens it and one for the videos like it."""
    video = found.video
    with st.container(border=True, key=f"result-{rank}"):
        video_picture(index, engine, video)
        st.markdown(f"**{md(printable(video.path.name))}** · {clock(video.duration)}")
        st.caption(f"{likeness(found)} · {md(printable(video.path.parent))}")
        open_button(st, f"open-{rank}", Opened(video.id, 0.0, 0), "Enter on a selected result")
        st.button(
            "Videos like this",
            key=f"videos-{rank}",
            on_click=more_videos,
            args=(video.id, printable(video.path.name)),
            width="stretch",
        )


def show_related_grid(index: str, engine: VideoSearch, videos: Sequence[RelatedVideo], first: int) -> None:
    """`videos` as a grid of RELATED_COLUMNS cards a row, ranked from `first` (their keys)."""
    for top in range(0, len(videos), RELATED_COLUMNS):
        columns = st.columns(RELATED_COLUMNS)
        for offset, (column, found) in enumerate(zip(columns, videos[top : top + RELATED_COLUMNS])):
            with column:
                show_related_video(index, engine, found, first + top + offset)


def show_related(index: str, engine: VideoSearch, source: Source) -> None:
    """The videos most like `source`'s video, then its copies apart."""
    st.subheader(f"Videos like {md(source.label)}")
    st.button("Back to the search", key="back", on_click=use_text)
    try:
        similar, copies = related(index, source.video_id, SIMILAR_VIDEOS)
    except (SearchError, IndexerError) as exc:  # the video left the index, or videos cannot be compared
        st.info(f"No videos like it: {md(describe(exc))}")
        return
    if not similar:
        st.info("No other video is like this one.")
    show_related_grid(index, engine, similar, 0)
    if copies:
        st.subheader(f"Copies of {md(source.label)}")
        show_related_grid(index, engine, copies, len(similar))


def show_results(index: str, engine: VideoSearch, request: Request, upload: UploadedFile | None) -> None:
    if request.source.kind == "videos":
        show_related(index, engine, request.source)
        return
    if request.source.kind == "similar":
        st.subheader(f"Moments like {md(request.source.label)}")
        st.button("Back to the search", key="back", on_click=use_text)
    hits, seconds = results(engine, request, upload)
    if not hits:
        st.info("No matching moments")
        return
    groups = group_by_video(hits)
    moments = f"{len(hits)} moment{'s' if len(hits) != 1 else ''}"
    st.caption(f"{moments} in {len(groups)} video{'s' if len(groups) != 1 else ''} · {seconds:.2f} s")
    for rank, group in enumerate(groups):
        show_group(index, group, rank, request, hits)


def page(index: str) -> None:
    """The whole page for one index; raises SearchError/IndexerError for `main` to report."""
    engine = engine_of(index)
    stats, videos = overview(index)
    with st.sidebar:
        modalities, filters = show_filters(engine, videos)
        show_overview(stats)
    notice = st.empty()
    with notice.container():
        show_readiness(index, engine)
    query, k, upload = show_query(stats)
    request = request_for(query, k, upload, modalities, filters)
    opened = st.session_state.get("opened")
    if opened is not None:
        show_video(engine, opened)
    if not modalities:
        st.info("Choose at least one modality in the sidebar.")
    elif request is None:
        st.caption("Type what you remember: what was shown, said, written on screen or heard.")
    else:
        show_results(index, engine, request, upload)
    if engine.readiness().state == LoadState.READY:  # the search drawn above found the models loaded
        notice.empty()
    shown = hashlib.sha1(repr((request, modalities)).encode()).hexdigest()[:16]
    KEYS(data={"results": shown}, key="keys", height=0)


def main() -> None:
    st.set_page_config(page_title="vidsearch", page_icon="🎞️", layout="wide")
    st.title("vidsearch")
    index = index_dir()
    if index is None:
        st.error(f"No index given: start the page with `vidsearch ui --index DIR` (or set {INDEX_ENV}).")
        return
    try:
        page(str(index.absolute()))
    except IndexEmpty as exc:
        st.info(f"{exc}: add videos with `vidsearch index PATH --index {exc.directory}`.")
    except (SearchError, IndexerError, PageError) as exc:
        st.error(str(exc))
    except Exception as exc:  # the page's edge: a line for the user, the traceback for the log
        log.exception("the search page failed")
        st.error(f"Something went wrong: {describe(exc)} (details are in the server log)")


if __name__ == "__main__":  # `streamlit run` and AppTest run the page as __main__; importing it does nothing
    main()
