"""The search page: `vidsearch ui --index DIR` serves it with Streamlit.

The engine (index and models) is opened once per process with `st.cache_resource` and shared by
every browser session; its models load on the first query and stay loaded. Everything a session
chooses (what it searched, the moment it plays) lives in `st.session_state`. Every failure is one
`st.error` or `st.info` line, never a traceback.

The index directory comes from `--index DIR` after `--` on the `streamlit run` line, or from the
environment variable VIDSEARCH_UI_INDEX (which `vidsearch.page` sets).
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
import streamlit as st
from streamlit.runtime.uploaded_file_manager import UploadedFile

from indexer.errors import IndexerError, describe
from indexer.files import printable
from indexer.types import Modality, ModelRole, Space
from search.engine import IndexStats, VideoSearch
from search.errors import IndexEmpty, NoPicture, SearchError, VideoFileMissing
from search.types import Evidence, Filters, Hit, VideoRecord, clock
from vidsearch.page import INDEX_ENV
from vidsearch.settings import Settings

log = logging.getLogger("vidsearch.ui")

COLUMNS = 3
COLOURS = {Modality.VISUAL: "blue", Modality.SPEECH: "green", Modality.OCR: "violet", Modality.AUDIO: "orange"}
MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$:])")
WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Library:
    """The engine of one index, shared by all sessions (it runs one search at a time itself)."""

    engine: VideoSearch


class Source(NamedTuple):
    """What the results answer: the typed words, an uploaded image, or "more like" a segment."""

    kind: str = "text"
    segment_id: int = 0
    label: str = ""


class Request(NamedTuple):
    source: Source
    query: str
    k: int
    modalities: tuple[Modality, ...]
    filters: Filters
    image_digest: str = ""


class PageError(Exception):
    """Bad input on the page itself (an upload that is not a picture)."""


class Playing(NamedTuple):
    """The moment playing in its card."""

    path: Path
    start: float
    end: float
    has_video: bool = True


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


def index_dir(argv: Sequence[str] | None = None) -> Path | None:
    """The index directory: `--index DIR` after `--` on the streamlit line, else $VIDSEARCH_UI_INDEX."""
    args = list(sys.argv[1:] if argv is None else argv)
    if "--index" in args[:-1]:
        return Path(args[args.index("--index") + 1])
    value = os.environ.get(INDEX_ENV, "").strip()
    return Path(value) if value else None


@st.cache_resource(show_spinner="Opening the index…")
def open_library(index: str) -> Library:
    """The engine of `index`, opened once per process (failures are not cached: a later run retries)."""
    engine = VideoSearch(Path(index), Settings())
    if engine.video_count() == 0:
        engine.close()
        raise IndexEmpty(engine.directory)
    log.info("opened index %s", index)
    return Library(engine)


@st.cache_data(ttl=30, show_spinner=False)
def overview(index: str) -> tuple[IndexStats, list[VideoRecord]]:
    """Counts, models and videos of the index, re-read at most every 30 s."""
    engine = open_library(index).engine
    return engine.stats(), engine.videos()


@st.cache_data(max_entries=2000, show_spinner=False)
def thumbnail(index: str, segment_id: int, time: float) -> np.ndarray:
    """The picture at `time` seconds in a segment, decoded once (a missing file raises, and is not cached)."""
    return open_library(index).engine.thumbnail(segment_id, time=time)


# --- Session state and callbacks ------------------------------------------------------------------


def use_text() -> None:
    st.session_state["source"] = Source("text")


def use_image() -> None:
    st.session_state["source"] = Source("image" if st.session_state.get("image") is not None else "text")


def more_like(segment_id: int, label: str) -> None:
    st.session_state["source"] = Source("similar", segment_id, label)


def play(moment: Playing) -> None:
    st.session_state["playing"] = moment


def stop_playing() -> None:
    st.session_state.pop("playing", None)


# --- Sidebar: overview and filters -------------------------------------------------------------


def show_overview(stats: IndexStats) -> None:
    st.header("Index")
    videos, hours = st.columns(2)
    videos.metric("Videos", stats.videos)
    hours.metric("Hours", f"{stats.hours:.2f}", help=f"{clock(stats.hours * 3600)} of video")
    segments, keyframes = st.columns(2)
    segments.metric("Segments", stats.segments)
    keyframes.metric("Keyframes", stats.keyframes)
    for record in stats.models:
        name = role_label(record.role)
        if record.available:
            st.markdown(f":material/check_circle: **{md(name)}**: `{record.model}`")
        else:
            st.markdown(f":material/warning: **{md(name)}** is off: {md(record.reason or 'not indexed')}")


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


def role_label(role: ModelRole) -> str:
    """How the model of `role` is named to people."""
    return role.label if isinstance(role, Modality) else "sentence model" if role == Space.SENTENCE else str(role)


def show_filters(engine: VideoSearch, videos: Sequence[VideoRecord]) -> tuple[tuple[Modality, ...], Filters]:
    """The modalities and filters chosen in the sidebar."""
    st.header("Filters")
    searchable = engine.searchable()
    chosen = st.multiselect("Modalities", searchable, default=list(searchable), format_func=lambda m: m.label)
    options: list[Path | None] = [None, *folders(videos)]
    folder = st.selectbox("Folder", options, format_func=lambda f: "All folders" if f is None else printable(f))
    shortest, longest = duration_range(videos)
    return tuple(chosen), Filters(folder, shortest, longest)


# --- Main area: the query, the player, the moments -------------------------------------------------


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
    """The query box, the number of moments and the picture to search by (or None)."""
    words, count = st.columns([5, 1])
    query = words.text_input(
        "Search", key="query", on_change=use_text, placeholder="What was shown, said, written on screen or heard"
    )
    k = count.slider("Moments", 1, 48, 12, key="k")
    with st.expander("Search by image"):
        reason = missing_visual(stats)
        if reason is not None:
            st.info(f"Search by image needs the visual modality, which this index lacks: {md(reason)}.")
            return query.strip(), k, None
        upload = st.file_uploader(
            "A picture like the moment you want", type=["png", "jpg", "jpeg", "webp"], key="image", on_change=use_image
        )
    return query.strip(), k, upload


def request_for(
    query: str, k: int, upload: UploadedFile | None, modalities: tuple[Modality, ...], filters: Filters
) -> Request | None:
    """What to search for now, or None when there is nothing to ask yet."""
    source = st.session_state.get("source", Source())
    if source.kind == "image" and upload is None:
        source = Source()
    if source.kind == "text" and not query:
        return None
    digest = hashlib.sha1(upload.getvalue()).hexdigest() if source.kind == "image" and upload is not None else ""
    return Request(source, query, k, modalities, filters, digest)


def find(library: Library, request: Request, upload: UploadedFile | None) -> list[Hit]:
    engine, source = library.engine, request.source
    if source.kind == "similar":
        return engine.similar(source.segment_id, request.k, request.filters)
    if source.kind == "image" and upload is not None:
        return engine.search_image(read_image(upload), request.k, request.filters)
    return engine.search(request.query, request.k, request.modalities, request.filters)


def results(library: Library, request: Request, upload: UploadedFile | None) -> tuple[list[Hit], float]:
    """The hits of `request` and the seconds they took; a session asks the engine again only when
    the request changed (not when a button in the grid is clicked)."""
    memo = st.session_state.get("memo")
    if memo is not None and memo[0] == request:
        return memo[1], memo[2]
    began = time.perf_counter()
    with st.spinner("Searching… (the server's first search loads the models)", show_time=True):
        hits = find(library, request, upload)
    seconds = time.perf_counter() - began
    log.info("%s %r: %d hits in %.3f s", request.source.kind, request.query, len(hits), seconds)
    st.session_state["memo"] = (request, hits, seconds)
    return hits, seconds


def show_video(engine: VideoSearch, chosen: Playing) -> None:
    """The chosen moment, playing from its start, or why it cannot. Only the file that was indexed
    is played: its bytes are read from a descriptor checked to be that file (`open_indexed`), so a
    path swapped since for a link to another file, a FIFO or a device is refused, never read."""
    try:
        video, _segments = engine.info(chosen.path)
        with engine.open_file(video) as file:
            data = file.read()
    except VideoFileMissing as exc:
        reason = exc.reason
    except SearchError:  # removed from the index since the search
        reason = "it is no longer in the index"
    else:
        player = st.video if chosen.has_video else st.audio
        player(data, start_time=int(chosen.start), autoplay=True)
        return
    st.error(f"Cannot play {md(printable(chosen.path))}: {md(reason)}; re-index or `vidsearch remove` it.")


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


def show_moment(index: str, hit: Hit, rank: int) -> None:
    """One moment of the grid: picture (or the video, once played), file, time range, score,
    modalities, evidence, and its buttons."""
    chosen = Playing(hit.video, hit.start, hit.end, hit.has_video)
    playing = st.session_state.get("playing") == chosen
    with st.container(border=True):
        if playing:
            show_video(open_library(index).engine, chosen)
        else:
            show_thumbnail(index, hit)
        st.markdown(f"**{md(printable(hit.video.name))}** · {span(hit.start, hit.end)}")
        st.caption(f"score {hit.score:.3f} · {md(printable(hit.video.parent))}")
        st.markdown(badges(hit))
        for evidence in hit.evidence:
            st.markdown(evidence_line(evidence))
        left, right = st.columns(2)
        if playing:
            left.button("Stop", key=f"stop-{rank}", icon=":material/stop:", on_click=stop_playing, width="stretch")
        else:
            left.button(
                "Play", key=f"play-{rank}", icon=":material/play_arrow:", on_click=play, args=(chosen,), width="stretch"
            )
        if hit.segment_ids:
            label = f"{printable(hit.video.name)} {span(hit.start, hit.end)}"
            right.button(
                "More like this",
                key=f"like-{rank}",
                on_click=more_like,
                args=(hit.segment_ids[0], label),
                width="stretch",
            )


def show_grid(index: str, hits: Sequence[Hit]) -> None:
    for row in range(0, len(hits), COLUMNS):
        for column, (rank, hit) in zip(st.columns(COLUMNS), enumerate(hits[row : row + COLUMNS], row)):
            with column:
                show_moment(index, hit, rank)


def show_results(library: Library, index: str, request: Request, upload: UploadedFile | None) -> None:
    if request.source.kind == "similar":
        st.subheader(f"Moments like {md(request.source.label)}")
        st.button("Back to the search", key="back", on_click=use_text)
    hits, seconds = results(library, request, upload)
    if not hits:
        st.info("No matching moments")
        return
    st.caption(f"{len(hits)} moment{'s' if len(hits) != 1 else ''} · {seconds * 1000:.0f} ms")
    show_grid(index, hits)


def page(index: str) -> None:
    """The whole page for one index; raises SearchError/IndexerError for `main` to report."""
    library = open_library(index)
    stats, videos = overview(index)
    with st.sidebar:
        show_overview(stats)
        modalities, filters = show_filters(library.engine, videos)
    query, k, upload = show_query(stats)
    if not modalities:
        st.info("Choose at least one modality in the sidebar.")
        return
    request = request_for(query, k, upload, modalities, filters)
    if request is None:
        st.caption("Type what you remember: what was shown, said, written on screen or heard.")
        return
    show_results(library, index, request, upload)


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
