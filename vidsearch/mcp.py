"""The MCP server: one index's search, transcripts, chapters, summaries and similar videos as tools
an assistant calls (Model Context Protocol, the official `mcp` SDK's `MCPServer`).

`build_server(engine)` makes the server around one open `VideoSearch` (tests drive it in process
with the SDK's `Client`); `serve` opens an index and speaks the protocol on stdin/stdout, the
models loading in the background as it starts. Every tool takes typed arguments and gives a
structured result (the pydantic models below: their JSON Schema is the tool's output schema);
times are seconds from the video's start, and every moment carries a `file://` link with a media
fragment (`#t=start,end`) that players open at that moment. A library error (unknown video, no
index, a model that cannot load) is a tool error whose text says why, in one line.

Only the protocol goes to standard output: the SDK points file descriptor 1 at standard error
while it serves, and vidsearch's logging goes to standard error.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any, TypeVar

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, ConfigDict, Field

from indexer.errors import VidsearchError, describe
from indexer.types import Modality
from search import VideoSearch
from search.errors import VideoNotIndexed
from search.types import Evidence, Hit, SpanRecord, VideoRecord, path_text
from vidsearch import __version__
from vidsearch.settings import Settings

log = logging.getLogger(__name__)

NAME = "vidsearch"
MAX_K = 50
"""Most moments or videos one call returns."""
INSTRUCTIONS = """\
Search a library of the user's own videos and recordings by what is said in them, shown, written on
screen and heard. `search` finds moments (video, start and end in seconds, a file:// link that opens
at the moment, and the evidence: the sentence said, the text on screen, the sound); `transcript`,
`chapters` and `summary` describe one video (by the `video_id` of a moment, or its path);
`similar_videos` recommends others like it. Quote the evidence and give the times as mm:ss."""

VideoRef = Annotated[
    int | str,
    Field(description="a video: its `video_id` (from search results or `videos`) or the path of its file"),
]


class Result(BaseModel):
    model_config = ConfigDict(extra="ignore")


class EvidenceOut(Result):
    """Why a moment matched in one modality."""

    modality: Modality = Field(description="visual (how it looks), speech (said), ocr (written on screen), audio")
    score: float = Field(description="that modality's match, in its own scale (0..1 for the word modalities)")
    text: str = Field("", description="what matched: the sentence said, the text on screen, the sound's label")
    start: float | None = Field(None, description="seconds: where that sentence, text or sound starts")
    end: float | None = Field(None, description="seconds: where it ends")


class MomentOut(Result):
    """A moment of a video that matches the query."""

    video_id: int | None = Field(description="the video's id, for transcript, chapters, summary, similar_videos")
    video: str = Field(description="the video file's path")
    start: float = Field(description="seconds from the video's start")
    end: float = Field(description="seconds from the video's start")
    score: float = Field(description="how well it matches, 0..1 (higher is better)")
    link: str = Field(description="file:// URI of the video with #t=start,end: players open it at the moment")
    evidence: list[EvidenceOut] = Field(description="why it matched, one item per modality that matched")


class SearchOut(Result):
    """The best moments for a query, best first (none when nothing in the library matches)."""

    query: str
    moments: list[MomentOut]


class VideoOut(Result):
    """An indexed video."""

    video_id: int
    video: str = Field(description="the file's path")
    duration: float = Field(description="seconds")
    language: str | None = Field(description="ISO 639-1 code of what is said (null: unknown)")
    modalities: list[Modality] = Field(description="what was indexed: visual, speech, ocr, audio")


class VideosOut(Result):
    """Every searchable video of the library, by path."""

    videos: list[VideoOut]


class SpanOut(Result):
    """A line of the transcript."""

    modality: Modality = Field(description="speech (said) or ocr (written on screen)")
    start: float = Field(description="seconds")
    end: float = Field(description="seconds")
    text: str
    track: int | None = Field(None, description="the audio track it was heard on (from 0), for a file with several")


class TranscriptOut(Result):
    """What is said and written on screen in a video, in time order."""

    video_id: int
    video: str
    duration: float = Field(description="seconds")
    spans: list[SpanOut]


class ChapterOut(Result):
    """A chapter: where the topic changes, titled from the video itself."""

    start: float = Field(description="seconds")
    end: float = Field(description="seconds")
    title: str
    source: str = Field(description="where the title comes from: screen, speech, or shots")


class ChaptersOut(Result):
    """A video's chapters: contiguous, in time order, covering the whole video."""

    video_id: int
    video: str
    chapters: list[ChapterOut]


class SummaryItemOut(Result):
    """A sentence, on-screen title or sound that sums up part of the video, with its time."""

    kind: str = Field(description="speech, screen, or sound")
    start: float = Field(description="seconds")
    end: float = Field(description="seconds")
    text: str


class SummaryOut(Result):
    """An extractive summary: the video's own words (nothing generated), each with its time."""

    video_id: int
    video: str
    languages: list[str] = Field(description="ISO 639-1 codes of what is said and written, most first")
    items: list[SummaryItemOut] = Field(description="in time order")


class RelatedOut(Result):
    """A video like the one asked about."""

    video_id: int
    video: str
    duration: float = Field(description="seconds")
    score: float = Field(description="how alike, 0..1")
    duplicate: bool = Field(description="the same content re-encoded or trimmed")
    aligned: float | None = Field(None, description="for a duplicate: the share of their content that lines up, 0..1")
    offset: float | None = Field(
        None, description="for a duplicate: seconds to add to a time in the video asked about for the same moment here"
    )


class SimilarOut(Result):
    """Videos like one video, most alike first; near-duplicates of it apart."""

    video_id: int
    video: str
    similar: list[RelatedOut]
    duplicates: list[RelatedOut] = Field(description="the same content re-encoded or trimmed")


_T = TypeVar("_T")


def _asked(call: Callable[[], _T]) -> _T:
    """`call()`, a library error turned into a tool error with its one-line reason."""
    try:
        return call()
    except VidsearchError as exc:
        raise ToolError(describe(exc)) from exc


def _link(path: Path, start: float, end: float) -> str:
    """`file:///...#t=START,END` (W3C Media Fragments): the file, opened at the moment."""
    return f"{path.as_uri()}#t={start:.3f},{end:.3f}"


def _moment(hit: Hit) -> MomentOut:
    return MomentOut(
        video_id=hit.video_id,
        video=path_text(hit.video),
        start=round(hit.start, 3),
        end=round(hit.end, 3),
        score=round(hit.score, 4),
        link=_link(hit.video, hit.start, hit.end),
        evidence=[_evidence(e) for e in hit.evidence],
    )


def _evidence(evidence: Evidence) -> EvidenceOut:
    start = None if evidence.start is None else round(evidence.start, 3)
    end = None if evidence.end is None else round(evidence.end, 3)
    return EvidenceOut(
        modality=evidence.modality, score=round(evidence.score, 4), text=evidence.text, start=start, end=end
    )


def _video_out(video: VideoRecord) -> VideoOut:
    return VideoOut(
        video_id=video.id,
        video=path_text(video.path),
        duration=round(video.duration, 3),
        language=video.language or None,
        modalities=list(video.modalities),
    )


def _span(span: SpanRecord) -> SpanOut:
    return SpanOut(
        modality=span.modality, start=round(span.start, 3), end=round(span.end, 3), text=span.text, track=span.track
    )


def _related(found: dict[str, Any]) -> RelatedOut:
    """A `RelatedVideo.to_json()` (id, path, duration, score, duplicate; aligned and offset for a
    duplicate) as a result."""
    return RelatedOut.model_validate({**found, "video_id": found["id"], "video": found["path"]})


def find_video(engine: VideoSearch, video: int | str) -> VideoRecord:
    """The indexed video `video` names: an id (a whole number, or digits that are not an indexed
    path), else a path. VideoNotFound, VideoNotIndexed."""
    if isinstance(video, str):
        try:
            return engine.info(Path(video).expanduser())[0]
        except VideoNotIndexed:
            if not video.strip().isdigit():
                raise
            video = int(video)
    return engine.video(video)[0]


def build_server(engine: VideoSearch, load: bool = False) -> MCPServer[Any]:
    """The MCP server of `engine`'s index; with `load`, the engine's models start loading
    (`VideoSearch.load_in_background`) when the server starts, so the first search is quick."""

    @asynccontextmanager
    async def lifespan(_server: MCPServer[Any]) -> AsyncIterator[None]:
        if load:
            engine.load_in_background()
        yield

    server: MCPServer[Any] = MCPServer(NAME, version=__version__, instructions=INSTRUCTIONS, lifespan=lifespan)

    @server.tool()
    def search(
        query: Annotated[str, Field(min_length=1, description="what to find, in words: said, shown, written, heard")],
        k: Annotated[int, Field(ge=1, le=MAX_K, description="most moments to return")] = 10,
        modalities: Annotated[
            list[Modality] | None,
            Field(description="search only these: visual, speech, ocr, audio (default: all indexed)"),
        ] = None,
    ) -> SearchOut:
        """Find the moments of the library's videos that match `query`, best first: each with its
        video, start and end (seconds), a link that opens the file there, a 0..1 score and the
        evidence (the sentence said, the text on screen, the sound). None when nothing matches."""
        chosen = tuple(modalities) if modalities else None
        hits = _asked(lambda: engine.search(query.strip(), k, chosen))
        return SearchOut(query=query.strip(), moments=[_moment(hit) for hit in hits])

    @server.tool()
    def videos() -> VideosOut:
        """Every video of the library: id, path, duration (seconds), spoken language, what was indexed."""
        return VideosOut(videos=[_video_out(v) for v in _asked(engine.videos)])

    @server.tool()
    def transcript(video: VideoRef) -> TranscriptOut:
        """What is said (speech) and written on screen (ocr) in a video, as timed lines in time order."""
        record = _asked(lambda: find_video(engine, video))
        spans = _asked(lambda: engine.transcript(record.id))
        return TranscriptOut(
            video_id=record.id,
            video=path_text(record.path),
            duration=round(record.duration, 3),
            spans=[_span(span) for span in spans],
        )

    @server.tool()
    def chapters(video: VideoRef) -> ChaptersOut:
        """A video's chapters, where its topic changes, each titled from the video itself (a title on
        screen, else its most central sentence), contiguous from start to end."""
        record = _asked(lambda: find_video(engine, video))
        found = _asked(lambda: engine.chapters(record.id))
        return ChaptersOut(
            video_id=record.id,
            video=path_text(record.path),
            chapters=[ChapterOut.model_validate(chapter.to_json()) for chapter in found],
        )

    @server.tool()
    def summary(
        video: VideoRef,
        sentences: Annotated[int, Field(ge=1, le=20, description="how many key sentences")] = 3,
    ) -> SummaryOut:
        """An extractive summary of a video: the sentences that cover it best, its on-screen titles,
        its main sounds and languages, each with its time (the video's own words, nothing made up)."""
        record = _asked(lambda: find_video(engine, video))
        found = _asked(lambda: engine.summary(record.id, sentences)).to_json()
        return SummaryOut.model_validate({**found, "video_id": record.id, "video": path_text(record.path)})

    @server.tool()
    def similar_videos(
        video: VideoRef,
        k: Annotated[int, Field(ge=1, le=MAX_K, description="most videos to return")] = 10,
    ) -> SimilarOut:
        """Videos like this one (by what is said, shown and heard), most alike first; copies of the
        same content (re-encoded or trimmed) are listed apart as duplicates."""
        record = _asked(lambda: find_video(engine, video))
        like = _asked(lambda: engine.videos_like(record.id, k))
        return SimilarOut(
            video_id=record.id,
            video=path_text(record.path),
            similar=[_related(found.to_json()) for found in like.similar],
            duplicates=[_related(found.to_json()) for found in like.duplicates],
        )

    return server


def serve(index: Path, settings: Settings) -> None:
    """Open the index and serve MCP on stdin/stdout until the client closes it. IndexNotFound and
    the other errors of opening an index before anything is served."""
    with VideoSearch(index, settings) as engine:
        log.info("MCP server on %s: %d videos", engine.directory, engine.video_count())
        build_server(engine, load=True).run("stdio")
