"""The HTTP API: search, more like this, search by image, videos, their transcripts, timelines and
subtitles, thumbnails and streams of one index.

The only module that imports fastapi, starlette and uvicorn. `create_app` builds the app around one
open `VideoSearch`; `serve` opens the index and runs it with uvicorn. Every answer that is not a
success has one shape, `{"error": "<one line>"}` (a 422 adds FastAPI's `detail` list), and the
OpenAPI document lists them: library errors, HTTP errors, validation errors, bad ranges, even
uvicorn's own 400 for a malformed request. /health is liveness, /ready says whether the query
models are loaded; /docs and /redoc load their scripts from the app itself.

Hits and videos carry the URLs of their stream and thumbnail (videos: and subtitles). With a token,
those URLs are signed (`vidsearch.signing`) and the media routes accept the signature instead of the
header, as `<video src>`, `<track src>` and `<img src>` send none.

Files are only ever named by their index ids in URLs, never by path, and only served while they
are the very file that was indexed (`search.engine.open_indexed`: a path swapped for a link to
another file, a FIFO or a device is a 410), so nothing outside the index can be served. Endpoints
are plain `def`s, run in a thread pool: `VideoSearch` runs searches one at a time, everything
else reads SQLite concurrently. Search by image is the exception: it refuses an index without
visual vectors before reading the upload, and decodes at most DECODERS pictures at a time.
"""

from __future__ import annotations

import errno
import hmac
import io
import json
import logging
import math
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import uvicorn
from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi import Path as PathParam
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi_offline import FastAPIOffline
from PIL import Image
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers, UploadFile
from starlette.exceptions import HTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import MalformedRangeHeader, RangeNotSatisfiable
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.auto import AutoHTTPProtocol

from indexer.errors import IndexerError, ModelUnavailable
from indexer.files import MEDIA_TYPES, printable
from indexer.heap import HeapTrimmer
from indexer.types import Modality, UnknownModality
from search import Filters, VideoSearch
from search.errors import (
    IndexEmpty,
    IndexNotFound,
    IndexUnusable,
    ModelMismatch,
    NoPicture,
    NoSearchableModality,
    SchemaMismatch,
    SearchError,
    SegmentNotFound,
    VectorFileError,
    VideoFileMissing,
    VideoNotFound,
    VideoNotIndexed,
)
from search.served import IndexedFile
from search.subtitles import FORMATS, SUBTITLE_TYPES, TrackNotFound
from search.types import Hit, LoadState, SegmentRecord, VideoRecord
from vidsearch import __version__, pictures
from vidsearch.serving import announce
from vidsearch.settings import Settings
from vidsearch.signing import UrlSigner

log = logging.getLogger(__name__)


MAX_ID = 2**63 - 1
"""Largest SQLite integer: a bigger id could never exist, and would overflow the driver."""
MULTIPART_SLACK = 64 * 1024
"""Bytes of multipart framing allowed on top of the image itself before the body is cut off."""
DECODERS = 2
"""Pictures decoded at once; more uploads wait for a turn (for at most DECODE_WAIT seconds, then 503)."""
DECODE_WAIT = 30.0
"""Seconds an upload waits for a turn to be decoded before it is answered 503."""
THUMBNAIL_QUALITY = 85
"""JPEG quality of thumbnails (0-100)."""
STATUS: tuple[tuple[type[Exception], int], ...] = (
    (VideoFileMissing, 410),
    (IndexUnusable, 503),
    (VectorFileError, 503),
    (NoPicture, 404),
    (SegmentNotFound, 404),
    (VideoNotFound, 404),
    (VideoNotIndexed, 404),
    (TrackNotFound, 404),
    (IndexEmpty, 409),
    (NoSearchableModality, 409),
    (ModelMismatch, 503),
    (ModelUnavailable, 503),
    (IndexNotFound, 503),
    (SchemaMismatch, 503),
)
"""HTTP status of each library error: the client can fix a 404/409 (other id, other modalities,
index something first); a 503 is the server's models or index; a 410 a file gone since indexing."""


@dataclass(frozen=True)
class ApiOptions:
    """How the API is exposed. `token`: when set, every route but /health, /ready and the docs needs
    `Authorization: Bearer <token>` (streams and thumbnails: or a signed URL from an answer).
    `cors_origins`: browser origins allowed to call the API (none: same origin only). `max_k`: most
    moments per request. `max_query`: longest query, characters. `max_upload`: largest image for
    search by image, bytes."""

    token: str | None = None
    cors_origins: tuple[str, ...] = ()
    max_k: int = 100
    max_query: int = 500
    max_upload: int = 10 * 1024 * 1024

    def __post_init__(self) -> None:
        if self.token is not None and not self.token.strip():
            raise ValueError("the API token must not be empty")
        if min(self.max_k, self.max_query, self.max_upload) < 1:
            raise ValueError("max_k, max_query and max_upload must be at least 1")


@dataclass
class Service:
    """The one engine every request shares (it runs searches one at a time itself, and reads of
    videos, segments, stats and thumbnails side by side, so a slow search never stalls thumbnails
    or /health), the API's options, the signer of media URLs (None: URLs go unsigned, as there is
    no token), and the bounds on decoding uploaded pictures."""

    engine: VideoSearch
    options: ApiOptions
    signer: UrlSigner | None = None
    decoding: threading.BoundedSemaphore = field(default_factory=lambda: threading.BoundedSemaphore(DECODERS))
    trim: HeapTrimmer = field(default_factory=lambda: HeapTrimmer(every=0.0))

    def decode(self, upload: UploadFile) -> np.ndarray:
        """An uploaded picture as a small HxWx3 uint8 RGB array, decoded when its turn comes (at
        most DECODERS at once); the C heap is trimmed after, so a burst of big pictures leaves no
        resident memory behind (glibc keeps freed image buffers otherwise)."""
        data = upload.file.read(self.options.max_upload + 1)
        if len(data) > self.options.max_upload:
            raise HTTPException(413, f"the image is larger than {self.options.max_upload} bytes")
        if not self.decoding.acquire(timeout=DECODE_WAIT):
            raise HTTPException(503, "too many pictures are being decoded; try again shortly", {"Retry-After": "5"})
        try:
            return pictures.decode_picture(data)
        except pictures.PictureTooLarge as exc:
            raise HTTPException(413, str(exc)) from exc
        except pictures.PictureUnreadable as exc:
            raise HTTPException(415, str(exc)) from exc
        finally:
            self.decoding.release()
            del data
            self.trim()


@dataclass(frozen=True)
class MediaUrls:
    """The URLs of streams and thumbnails as one request's client should fetch them: under the API's
    root (`root`, the ASGI root_path: `/api` when the API is mounted there) and, when the API has a
    token, signed (`signer`), so that `<video src>` and `<img src>` work without a header."""

    root: str
    signer: UrlSigner | None

    def _url(self, path: str, query: str = "") -> str:
        signed = self.signer.sign(path) if self.signer is not None else path
        joiner = "&" if "?" in signed else "?"
        return f"{self.root}{signed}{joiner}{query}" if query else f"{self.root}{signed}"

    def stream(self, video_id: int) -> str:
        """The URL of a video's file (GET with Range, or HEAD)."""
        return self._url(f"/videos/{video_id}/stream")

    def thumbnail(self, segment_id: int, time: float | None = None) -> str:
        """The URL of a segment's thumbnail, at `time` seconds when given: rounded up to the
        millisecond, so it is never the frame before the moment asked for."""
        if time is None:
            return self._url(f"/segments/{segment_id}/thumbnail")
        shown = max(0.0, math.ceil(time * 1000 - 1e-6) / 1000)
        return self._url(f"/segments/{segment_id}/thumbnail", f"time={shown:.3f}".rstrip("0").rstrip("."))

    def subtitles(self, video_id: int, kind: str = "vtt") -> str:
        """The URL of a video's subtitles, WebVTT (`vtt`, what `<track src>` loads) or SubRip (`srt`)."""
        return self._url(f"/videos/{video_id}/subtitles.{kind}")

    def hit(self, hit: Hit) -> dict[str, Any]:
        """A hit's JSON (`Hit.to_json`) with `stream_url` (null without a video id) and
        `thumbnail_url`, the frame of its evidence (null for sound alone or a hit without segments)."""
        found = hit.to_json()
        found["stream_url"] = self.stream(hit.video_id) if hit.video_id is not None else None
        still = hit.still
        found["thumbnail_url"] = self.thumbnail(still.segment_id, still.time) if still is not None else None
        return found

    def video(self, video: VideoRecord, segments: list[SegmentRecord]) -> dict[str, Any]:
        """A video's JSON with `stream_url`, `thumbnail_url` (its first segment's picture; null for
        sound alone), `subtitles_url` (WebVTT of its main audio track) and its segments, each with
        its `thumbnail_url`."""
        pictured = video.has_video and bool(segments)
        return {
            **video.to_json(),
            "stream_url": self.stream(video.id),
            "subtitles_url": self.subtitles(video.id),
            "thumbnail_url": self.thumbnail(segments[0].id) if pictured else None,
            "segments": [
                {**s.to_json(), "thumbnail_url": self.thumbnail(s.id) if video.has_video else None} for s in segments
            ],
        }


def _urls(request: Request) -> MediaUrls:
    return MediaUrls(str(request.scope.get("root_path", "")), _service(request).signer)


BLANKS = "\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"
"""The characters Python's str.strip() takes for blanks, as a regular-expression class body (the
OpenAPI document says a query must hold something else; JSON Schema's \\s is another set)."""
_NAME = "|".join(Modality)
MODALITY_LIST = f"^[{BLANKS}]*({_NAME})?[{BLANKS}]*(,[{BLANKS}]*({_NAME})?[{BLANKS}]*)*$"
"""The `modalities` parameter as a regular expression: the names, comma-separated (the document
lists the canonical names; `sound`, another name for `audio`, is accepted as well)."""


def _service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


def _invalid(where: str, name: str, kind: str, message: str, value: object, **ctx: object) -> RequestValidationError:
    """A 422 in FastAPI's usual shape, for checks a type annotation cannot express."""
    error: dict[str, Any] = {"type": kind, "loc": (where, name), "msg": message, "input": value}
    if ctx:
        error["ctx"] = ctx
    return RequestValidationError([error])


def _modalities(
    modalities: Annotated[
        str | None,
        Query(
            description=f"comma-separated subset of {','.join(Modality)}; default: all indexed",
            json_schema_extra={"pattern": MODALITY_LIST},
        ),
    ] = None,
) -> tuple[Modality, ...] | None:
    """The modalities asked for (None: all); unknown names are a 422."""
    try:
        chosen = Modality.parse(m for m in (modalities or "").split(",") if m.strip())
    except UnknownModality as exc:
        raise _invalid("query", "modalities", "value_error", str(exc), modalities) from exc
    return chosen or None


def _filters(
    folder: Annotated[
        str | None, Query(description="only videos under this absolute folder", json_schema_extra={"pattern": "^(/|$)"})
    ] = None,
    min_duration: Annotated[float | None, Query(ge=0, description="only videos at least this long, seconds")] = None,
    max_duration: Annotated[float | None, Query(ge=0, description="only videos at most this long, seconds")] = None,
) -> Filters | None:
    """Which videos a search may return (None: all). A folder is only a filter, never read."""
    if folder and not os.path.isabs(folder):
        raise _invalid("query", "folder", "value_error", "folder must be an absolute path", folder)
    if min_duration is not None and max_duration is not None and max_duration < min_duration:
        raise _invalid("query", "max_duration", "value_error", "max_duration is below min_duration", max_duration)
    if not folder and min_duration is None and max_duration is None:
        return None
    return Filters(Path(os.path.normpath(folder)) if folder else None, min_duration, max_duration)


Engine = Annotated[Service, Depends(_service)]
Modalities = Annotated[tuple[Modality, ...] | None, Depends(_modalities)]
SearchFilters = Annotated[Filters | None, Depends(_filters)]
QueryText = Annotated[
    str,
    Query(
        min_length=1,
        description="what to find, in words (at most max_query characters; not only blanks)",
        json_schema_extra={"pattern": f"[^{BLANKS}]"},
    ),
]
TopK = Annotated[int, Query(ge=1, description="most moments to return (at most max_k, 100 by default)")]
VideoId = Annotated[int, PathParam(ge=1, le=MAX_ID, description="a video id from /videos or a hit", examples=[1])]
SegmentId = Annotated[
    int, PathParam(ge=1, le=MAX_ID, description="a segment id from /videos/{id} or a hit", examples=[1])
]
ShortSide = Annotated[int, Query(ge=32, le=720, description="short side of the thumbnail, pixels")]
FrameTime = Annotated[
    float | None,
    Query(
        ge=0,
        allow_inf_nan=False,
        description="seconds from the video's start: the frame there (kept inside the segment); "
        "default: the segment's first keyframe",
    ),
]


def _within(options: ApiOptions, k: int | None, query: str | None = None) -> None:
    """The limits of this app's options, and a query of only blanks, as 422s like FastAPI's own
    (the length is that of `q` as sent, so that the OpenAPI document's maxLength says it exactly)."""
    if query is not None and not query.strip():
        raise _invalid("query", "q", "string_too_short", "the query is blank", query, min_length=1)
    if k is not None and k > options.max_k:
        message = f"Input should be less than or equal to {options.max_k}"
        raise _invalid("query", "k", "less_than_equal", message, k, le=options.max_k)
    if query is not None and len(query) > options.max_query:
        message = f"String should have at most {options.max_query} characters"
        raise _invalid("query", "q", "string_too_long", message, query, max_length=options.max_query)


def search_text(
    request: Request, service: Engine, modalities: Modalities, filters: SearchFilters, q: QueryText, k: TopK = 10
) -> dict[str, Any]:
    """The `k` best moments for `q`, best first: what `vidsearch search --json` prints for one
    query, each hit with its `segment_id` and `video_id`, and the `stream_url` and `thumbnail_url`
    to fetch its video and its picture by (signed when the API has a token; the thumbnail is the
    frame of the evidence). Times are seconds; scores are fused match scores, 0..1. No hits when
    nothing in the library matches. A query that comes while the models load waits for them."""
    _within(service.options, k, q)
    text = q.strip()
    hits = service.engine.search(text, k, modalities, filters)
    urls = _urls(request)
    return {"query": text, "hits": [urls.hit(hit) for hit in hits]}


def similar(
    request: Request, service: Engine, filters: SearchFilters, segment_id: SegmentId, k: TopK = 10
) -> dict[str, Any]:
    """Moments like segment `segment_id` ("more like this"), near it in the visual and sentence
    spaces; never the segment itself. Hits as /search gives them."""
    _within(service.options, k)
    hits = service.engine.similar(segment_id, k, filters)
    urls = _urls(request)
    return {"segment_id": segment_id, "hits": [urls.hit(hit) for hit in hits]}


async def search_image(request: Request, service: Engine, filters: SearchFilters, k: TopK = 10) -> dict[str, Any]:
    """Moments that look like the uploaded picture (multipart field `image`: JPEG, PNG, WebP, GIF
    or BMP of at most pictures.MAX_PIXELS pixels), by the visual modality alone. 409 when the index has no
    videos or no visual vectors, answered before the upload is read."""
    _within(service.options, k)
    await run_in_threadpool(service.engine.ready, (Modality.VISUAL,))
    async with request.form(max_files=1, max_fields=8) as form:
        upload = form.get("image")
        if not isinstance(upload, UploadFile):
            raise _invalid("body", "image", "missing", "Field required: a multipart file named image", None)
        pixels = await run_in_threadpool(service.decode, upload)
    hits = await run_in_threadpool(service.engine.search_image, pixels, k, filters)
    urls = _urls(request)
    return {"hits": [urls.hit(hit) for hit in hits]}


IMAGE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["image"],
                    "properties": {
                        "image": {
                            "type": "string",
                            "format": "binary",
                            "contentMediaType": "application/octet-stream",
                            "description": "a picture (JPEG, PNG, WebP, GIF, BMP) to find moments like",
                        }
                    },
                }
            }
        },
    }
}
"""The request body of POST /search/image, for the OpenAPI document (the endpoint reads the form
itself, after refusing an index without visual vectors)."""


def list_videos(service: Engine) -> dict[str, Any]:
    """Every searchable video, by path: id, path, duration (seconds), size (pixels), frame rate,
    indexed modalities and spoken language (null when unknown)."""
    return {"videos": [video.to_json() for video in service.engine.videos()]}


def get_video(request: Request, service: Engine, video_id: VideoId) -> dict[str, Any]:
    """One video's record, its `stream_url`, `thumbnail_url` and `subtitles_url` (WebVTT), and its
    segments (shots) in time order, each with its id (for "more like this") and `thumbnail_url`."""
    video, segments = service.engine.video(video_id)
    return _urls(request).video(video, segments)


def transcript(service: Engine, video_id: VideoId) -> dict[str, Any]:
    """What is said (speech) and written on screen (ocr) in a video, as timed spans in time order:
    `{"video_id", "spans": [{"modality", "start", "end", "text", "track"?}]}` (seconds; `track`,
    the audio track a sentence was heard on, only for a file with several)."""
    spans = service.engine.transcript(video_id)
    return {"video_id": video_id, "spans": [span.to_json() for span in spans]}


def timeline(service: Engine, video_id: VideoId, modalities: Modalities, q: QueryText) -> dict[str, Any]:
    """Every place along the whole video where `q` matches, one mark per modality and place, in
    time order: `{"video_id", "query", "marks": [{"modality", "start", "end", "score", "text"}]}`
    (seconds; score 0..1, past that modality's no-match floor; text: what matched, empty for
    visual). For a timeline with one lane per modality."""
    _within(service.options, None, q)
    text = q.strip()
    marks = service.engine.timeline(video_id, text, modalities)
    return {"video_id": video_id, "query": text, "marks": [mark.to_json() for mark in marks]}


def similar_videos(
    request: Request, service: Engine, video_id: VideoId, k: TopK = 10, duplicates: bool = False
) -> dict[str, Any]:
    """Videos like video `video_id` as a whole (what is said, shown on screen, seen and heard in
    them; no model runs), best first: `{"video_id", "similar": [{"id", "path", "duration",
    "score", "duplicate", "stream_url"}], "duplicates": [... "aligned", "offset"]}`. Score 0..1;
    its duplicates (the same content re-encoded or trimmed; `offset`: seconds to add to a time in
    this video for the same moment in that one) are listed apart, and ranked among the similar
    too only with `duplicates=true`."""
    _within(service.options, k)
    urls = _urls(request)
    like = service.engine.videos_like(video_id, k, duplicates)
    return {
        "video_id": video_id,
        **{
            name: [{**r.to_json(), "stream_url": urls.stream(r.video.id)} for r in related]
            for name, related in (("similar", like.similar), ("duplicates", like.duplicates))
        },
    }


def chapters(service: Engine, video_id: VideoId) -> dict[str, Any]:
    """A video's chapters, contiguous and in time order from 0 to its duration: `{"video_id",
    "chapters": [{"start", "end", "title", "source"}]}` (seconds; `title` from the video itself,
    `source` "screen", "speech" or "shots": where it came from). From stored data: no model loads."""
    return {"video_id": video_id, "chapters": [c.to_json() for c in service.engine.chapters(video_id)]}


def summary(
    service: Engine,
    video_id: VideoId,
    sentences: Annotated[int, Query(ge=0, le=20, description="key sentences to pick")] = 3,
) -> dict[str, Any]:
    """A video's extractive summary: `{"video_id", "languages": [ISO 639-1, most first], "items":
    [{"kind": "speech"|"screen"|"sound", "start", "end", "text"}]}`, items in time order, each
    quoting a stored span at its time (seconds). From stored data: no model loads."""
    return service.engine.summary(video_id, sentences).to_json()


AudioTrackIndex = Annotated[
    int | None,
    Query(
        ge=0,
        le=MAX_ID,
        description="the audio track (its `index` in the video's `audio_tracks`, 0 the first); "
        "default: the main one, which players play",
    ),
]


def subtitles_vtt(service: Engine, video_id: VideoId, track: AudioTrackIndex = None) -> Response:
    """WebVTT subtitles of what is said in the video, from its transcript: cues of at most two
    lines of 42 columns, 1-7 s each, split where the words are said (`search.subtitles`). What a
    `<track src>` loads: signed URLs (a video's `subtitles_url`) work without the header. A video
    without speech gives a file without cues; 404 for a track the file does not have."""
    return _subtitles(service, video_id, track, "vtt")


def subtitles_srt(service: Engine, video_id: VideoId, track: AudioTrackIndex = None) -> Response:
    """The same subtitles as SubRip (.srt), to download beside the video file."""
    return _subtitles(service, video_id, track, "srt")


def _subtitles(service: Service, video_id: int, track: int | None, kind: str) -> Response:
    text = FORMATS[kind](service.engine.subtitles(video_id, track))
    return Response(text, media_type=f"{SUBTITLE_TYPES[kind]}; charset=utf-8", headers={"Cache-Control": "no-cache"})


def thumbnail(service: Engine, segment_id: SegmentId, size: ShortSide = 180, time: FrameTime = None) -> Response:
    """A JPEG of the segment: the frame at `time` (kept inside the segment; a hit's `thumbnail_url`
    asks for the frame of its evidence), else its first keyframe, else its middle, decoded from the
    video on demand; 410 when the file is gone or is not the file that was indexed any more.
    Cacheable for an hour: segment ids are never reused. HEAD decodes it too, to give GET's headers."""
    picture = Image.fromarray(service.engine.thumbnail(segment_id, short_side=size, time=time))
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=THUMBNAIL_QUALITY)
    return Response(buffer.getvalue(), media_type="image/jpeg", headers=_cache(service))


def _cache(service: Service) -> dict[str, str]:
    scope = "private" if service.options.token else "public"
    return {"Cache-Control": f"{scope}, max-age=3600"}


def stream(service: Engine, video_id: VideoId) -> FileResponse:
    """The indexed video file itself, with HTTP Range support (206 Partial Content) so players can
    seek; sent from the file as it is read, never held in memory; HEAD gives the headers alone.
    Served only while it is the file that was indexed (a regular file of the recorded size and
    modification time, checked on the open descriptor that is then served): 410 when it is gone
    or another file now. A Range that cannot be satisfied, or is malformed, is a 416."""
    video, _segments = service.engine.video(video_id)
    opened = service.engine.open_file(video)
    kind = MEDIA_TYPES.get(video.path.suffix.lower(), "application/octet-stream")
    name = printable(video.path.name)  # a header must be text; the file itself is served byte for byte
    return IndexedFileResponse(opened, media_type=kind, filename=name)


class IndexedFileResponse(FileResponse):
    """Starlette's FileResponse over an already opened and checked file (`IndexedFile`): the bytes
    sent are read from that descriptor (through /proc/self/fd; a system without it reads the path
    that was just checked), never from the path again, and the descriptor is closed when the
    response is done. Range errors are
    answered in the API's JSON shape (416 with `Content-Range: bytes */SIZE`); a Range in a unit
    other than bytes is ignored, as RFC 9110 says."""

    def __init__(self, opened: IndexedFile, media_type: str, filename: str) -> None:
        super().__init__(
            opened.reopenable,
            media_type=media_type,
            filename=filename,
            stat_result=opened.stat,
            content_disposition_type="inline",
        )
        self.opened = opened

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            headers = Headers(scope=scope)
            asked = headers.get("range")
            if asked is not None and self._ranged(headers.get("if-range")):
                if asked.partition("=")[0].strip().lower() != "bytes":
                    scope = {**scope, "headers": [(k, v) for k, v in scope["headers"] if k.lower() != b"range"]}
                else:
                    refusal = self._refusal(asked)
                    if refusal is not None:
                        await refusal(scope, receive, send)
                        return
            extensions = {k: v for k, v in scope.get("extensions", {}).items() if k != "http.response.pathsend"}
            await super().__call__({**scope, "extensions": extensions}, receive, send)  # never by path
        finally:
            self.opened.close()

    def _ranged(self, if_range: str | None) -> bool:
        """Whether a Range applies: no If-Range, or one naming this file's validator (else the
        whole file is sent, as FileResponse itself decides)."""
        if if_range is None:
            return True
        return not if_range.startswith("W/") and if_range in (self.headers["etag"], self.headers["last-modified"])

    def _refusal(self, asked: str) -> Response | None:
        size = self.opened.stat.st_size
        shown = printable(asked[:100])
        try:
            self._parse_range_header(asked, size)
        except RangeNotSatisfiable:
            message = f"the range {shown} cannot be satisfied: the file has {size} bytes"
        except MalformedRangeHeader as exc:
            message = f"malformed range {shown} ({exc.content.rstrip('.')})"
        else:
            return None
        return JSONResponse({"error": message}, 416, headers={"Content-Range": f"bytes */{size}"})


def stats(service: Engine) -> dict[str, Any]:
    """What the index holds: counts, hours of video, each modality's model (or why it is missing),
    and the modalities a query can use now."""
    return service.engine.stats().to_json()


def health(service: Engine) -> dict[str, Any]:
    """Liveness: always 200 while the server runs, with the number of searchable videos and the
    state of the query models (`loading`, `ready`, `failed`, or `idle`: not asked to load yet; GET
    /ready says whether a query is answered at once); needs no token."""
    return {"status": "ok", "videos": service.engine.video_count(), "models": service.engine.readiness().state.value}


NOT_READY = {
    LoadState.LOADING: "the models are loading ({seconds:.0f} s so far); queries wait for them",
    LoadState.IDLE: "the models are not loaded yet; the first query loads them",
}
"""What /ready says while the models are not ready, by state."""


def ready(service: Engine) -> JSONResponse:
    """Readiness: 200 `{"state": "ready", "seconds"}` once the query models are loaded (seconds:
    how long loading took), else 503 `{"error", "state", "seconds"}` (`loading`, with Retry-After;
    `failed`, with why in one line, or only that when the API has a token; `idle`). Needs no token."""
    readiness = service.engine.readiness()
    found = {"state": readiness.state.value, "seconds": round(readiness.seconds, 3)}
    if readiness.state is LoadState.READY:
        return JSONResponse(found)
    if readiness.state is LoadState.FAILED:
        shown = _one_line(Exception(readiness.error)) if not service.options.token else "see /stats"
        error = f"the models failed to load: {shown}"
    else:
        error = NOT_READY.get(readiness.state, "the models are not ready").format(seconds=readiness.seconds)
    headers = {"Retry-After": "2"} if readiness.state is LoadState.LOADING else None
    return JSONResponse({"error": error, **found}, 503, headers=headers)


BEARER = HTTPBearer(auto_error=False, description="the token `vidsearch serve` was started with")


Bearer = Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)]


def require_token(request: Request, credentials: Bearer) -> None:
    """401 unless the request carries this app's bearer token (compared in constant time)."""
    token = _service(request).options.token
    if token is None:
        return
    if credentials is None:
        raise HTTPException(401, "this API needs Authorization: Bearer <token>", {"WWW-Authenticate": "Bearer"})
    if not hmac.compare_digest(credentials.credentials.encode(), token.encode()):
        raise HTTPException(401, "wrong bearer token", {"WWW-Authenticate": 'Bearer error="invalid_token"'})


def require_token_or_signature(
    request: Request,
    credentials: Bearer,
    expires: Annotated[
        str | None,
        Query(
            pattern="^[0-9]{1,12}$",
            description="with `signature`, instead of the bearer token: when the signed URL stops "
            "holding, unix seconds (as in a hit's `stream_url` and `thumbnail_url`)",
        ),
    ] = None,
    signature: Annotated[
        str | None,
        Query(pattern="^[0-9a-f]{64}$", description="HMAC-SHA256 of the path and `expires`, from a signed URL"),
    ] = None,
) -> None:
    """For media (streams, thumbnails, subtitles), which `<video>`, `<img>` and `<track>` fetch
    without headers: a signed URL that has not expired does instead of the bearer token (a bearer
    token, when sent, is what counts). 401 for an expired or wrong signature."""
    service = _service(request)
    if credentials is None and (expires is not None or signature is not None) and service.signer is not None:
        route = request.scope["route"]
        if not service.signer.valid(route.path_format.format(**request.path_params), expires, signature):
            raise HTTPException(
                401, "the signed URL has expired or is wrong; ask the API for a new one", {"WWW-Authenticate": "Bearer"}
            )
        return
    require_token(request, credentials)


class ErrorBody(BaseModel):
    """Every answer that is not a success: what went wrong, in one line."""

    error: str = Field(description="what went wrong, in one line")


class ValidationProblem(BaseModel):
    """One invalid parameter, as FastAPI reports it."""

    model_config = ConfigDict(extra="allow")

    loc: list[str | int] = Field(description='where: ["query", "k"], ["path", "video_id"], ["body", "image"]')
    msg: str
    type: str


class ValidationErrorBody(ErrorBody):
    """A 422: the first problem in one line, and FastAPI's list of every problem."""

    detail: list[ValidationProblem]


class NotReadyBody(ErrorBody):
    """GET /ready while the query models are not loaded."""

    state: str = Field(description="loading, failed, or idle (not asked to load yet)")
    seconds: float = Field(description="how long loading has taken so far, or took before it failed")


class ReadyBody(BaseModel):
    """GET /ready once the query models are loaded."""

    state: str = Field(description="ready")
    seconds: float = Field(description="how long loading took")


ERRORS: dict[int, str] = {
    400: "malformed request (an unreadable multipart body, or an HTTP request uvicorn cannot parse)",
    401: "missing or wrong bearer token (for streams, thumbnails and subtitles: or an expired or wrong signed URL)",
    404: "no such video or segment in the index (or, for a thumbnail, a recording of sound alone without cover art; "
    "for subtitles, an audio track the video does not have)",
    409: "the index has no videos yet, or nothing to search with (no visual vectors, for search by image)",
    410: "the video's file is gone, or is not the file that was indexed any more; re-index or remove it",
    413: "the upload is too large, in bytes or in pixels",
    415: "the upload is not a picture this API reads",
    416: "the Range cannot be satisfied, or is malformed",
    422: "invalid parameters: `error` says the first problem, `detail` lists them all",
    500: "an unexpected error (the server log has the details)",
    503: "the index or its models cannot be used now (or too many pictures are being decoded: retry; "
    "for /ready: the models are not loaded yet)",
}
"""What each error status means, for the OpenAPI document."""


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI `responses` of these error statuses, all in the one error shape."""
    found: dict[int | str, dict[str, Any]] = {}
    models: dict[int, type[ErrorBody]] = {422: ValidationErrorBody}
    for status in statuses:
        found[status] = {"model": models.get(status, ErrorBody), "description": ERRORS[status]}
    if 416 in found:
        found[416]["headers"] = {
            "Content-Range": {"description": "bytes */SIZE: the file's size", "schema": {"type": "string"}}
        }
    return found


def _routes(options: ApiOptions) -> APIRouter:
    """The guarded routes (everything but /health, /ready and the docs): with a token, each needs
    it, and streams, thumbnails and subtitles take a signed URL instead."""
    guarded = bool(options.token)
    router = APIRouter(responses=_errors(401) if guarded else {})
    token = [Depends(require_token)] if guarded else []
    media = [Depends(require_token_or_signature)] if guarded else []
    router.add_api_route("/search", search_text, methods=["GET"], responses=_errors(409, 422, 503), dependencies=token)
    router.add_api_route(
        "/similar/{segment_id}", similar, methods=["GET"], responses=_errors(404, 409, 422, 503), dependencies=token
    )
    router.add_api_route(
        "/search/image",
        search_image,
        methods=["POST"],
        responses=_errors(400, 409, 413, 415, 422, 503),
        openapi_extra=IMAGE_BODY,
        dependencies=token,
    )
    router.add_api_route("/videos", list_videos, methods=["GET"], dependencies=token)
    router.add_api_route(
        "/videos/{video_id}", get_video, methods=["GET"], responses=_errors(404, 422), dependencies=token
    )
    router.add_api_route(
        "/videos/{video_id}/transcript", transcript, methods=["GET"], responses=_errors(404, 422), dependencies=token
    )
    router.add_api_route(
        "/videos/{video_id}/timeline",
        timeline,
        methods=["GET"],
        responses=_errors(404, 409, 422, 503),
        dependencies=token,
    )
    router.add_api_route(
        "/videos/{video_id}/similar",
        similar_videos,
        methods=["GET"],
        responses=_errors(404, 422, 503),
        dependencies=token,
    )

    for path, endpoint in (("chapters", chapters), ("summary", summary)):
        router.add_api_route(
            f"/videos/{{video_id}}/{path}", endpoint, methods=["GET"], responses=_errors(404, 422), dependencies=token
        )
    kinds: dict[str, Any] = {"video/*": {}, "audio/*": {}, "application/*": {}}  # by the suffix (MEDIA_TYPES)
    streams: dict[int | str, dict[str, Any]] = {
        200: {"description": "the whole file", "content": kinds},
        206: {"description": "the Range asked for (several ranges: multipart/byteranges)", "content": kinds},
        **_errors(404, 410, 416, 422),
    }
    _add_media(router, "/videos/{video_id}/stream", stream, FileResponse, streams, media, ("GET", "HEAD"))
    thumbnails: dict[int | str, dict[str, Any]] = {200: {"content": {"image/jpeg": {}}}, **_errors(404, 410, 422, 503)}
    _add_media(router, "/segments/{segment_id}/thumbnail", thumbnail, Response, thumbnails, media, ("GET", "HEAD"))
    for kind, route in (("vtt", subtitles_vtt), ("srt", subtitles_srt)):
        answers: dict[int | str, dict[str, Any]] = {200: {"content": {SUBTITLE_TYPES[kind]: {}}}, **_errors(404, 422)}
        _add_media(router, f"/videos/{{video_id}}/subtitles.{kind}", route, Response, answers, media, ("GET",))
    router.add_api_route("/stats", stats, methods=["GET"], dependencies=token)
    return router


def _add_media(
    router: APIRouter,
    path: str,
    endpoint: Callable[..., Any],
    response_class: type[Response],
    responses: dict[int | str, dict[str, Any]],
    guard: list[Any],
    methods: tuple[str, ...],
) -> None:
    """A media route (what a `<video>`, `<img>` or `<track>` fetches: `guard` accepts a signed URL
    for the bearer header), one operation per method, each with its own operation id."""
    for method in methods:
        name = f"{endpoint.__name__}_{method.lower()}" if len(methods) > 1 else endpoint.__name__
        router.add_api_route(
            path,
            endpoint,
            methods=[method],
            name=name,
            response_class=response_class,
            responses=responses,
            dependencies=guard,
        )


def _status_of(exc: Exception) -> int:
    return next((status for kind, status in STATUS if isinstance(exc, kind)), 500)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return printable(text.splitlines()[0])  # a path in it may hold bytes JSON cannot carry


async def _library_error(request: Request, exc: Exception) -> Response:
    """A search or indexer error as `{"error": "<one line>"}` with its status (see STATUS)."""
    status = _status_of(exc)
    if status >= 500:
        log.warning("%s %s: %s", request.method, request.url.path, _one_line(exc))
    return JSONResponse({"error": _one_line(exc)}, status)


async def _http_error(_request: Request, exc: Exception) -> Response:
    """Starlette's and FastAPI's HTTP errors (400 multipart, 401, 404 route, 405, 413, 415) in the same shape."""
    assert isinstance(exc, HTTPException)
    return JSONResponse({"error": _one_line(Exception(str(exc.detail)))}, exc.status_code, headers=exc.headers)


async def _validation_error(_request: Request, exc: Exception) -> Response:
    """A 422 in the same shape, its first problem as the one line, and FastAPI's `detail` kept for
    clients that read it."""
    assert isinstance(exc, RequestValidationError)
    problems = jsonable_encoder(exc.errors())
    return JSONResponse({"error": _validation_line(problems), "detail": problems}, 422)


def _validation_line(problems: list[dict[str, Any]]) -> str:
    """E.g. "query parameter k: Input should be greater than or equal to 1"."""
    if not problems:
        return "invalid request"
    first = problems[0]
    where = [str(part) for part in first.get("loc", ())]
    kinds = {"query": "query parameter", "path": "path parameter", "header": "header", "body": "body field"}
    if len(where) >= 2 and where[0] in kinds:
        place = f"{kinds[where[0]]} {'.'.join(where[1:])}"
    else:
        place = ".".join(where) or "request"
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return _one_line(Exception(f"{place}: {first.get('msg', 'invalid')}{more}"))


class Unexpected:
    """ASGI middleware: an exception no handler took is logged with its traceback and answered
    with a one-line JSON 500, so no response ever carries a traceback."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception:
            log.exception("unexpected error answering %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise
            await JSONResponse({"error": "internal error; the server log has the details"}, 500)(scope, receive, send)


class BodyLimit:
    """ASGI middleware: a request body over `limit` bytes is refused with a JSON 413 before it is
    read (by its Content-Length) or as soon as it passes the limit (chunked), so an upload can
    never fill memory or the temporary folder. Starlette's own limit answers in plain text."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length", b"0")
        if length.isdigit() and int(length) > self.limit:
            await JSONResponse({"error": f"the request body is larger than {self.limit} bytes"}, 413)(
                scope, receive, send
            )
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:  # FastAPI passes an HTTPException from body parsing on to its handler
                raise HTTPException(413, f"the request body is larger than {self.limit} bytes")
            return message

        await self.app(scope, counted, send)


def _with_limits(app: FastAPI, options: ApiOptions) -> Callable[[], dict[str, Any]]:
    """The app's OpenAPI document with this app's own limits in it: `k` at most max_k, `q` at most
    max_query characters (they come from the options, not from the parameters' annotations)."""

    def document() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = FastAPI.openapi(app)
            for operation in (op for path in schema.get("paths", {}).values() for op in path.values()):
                for parameter in operation.get("parameters", []):
                    if parameter.get("in") == "query" and parameter.get("name") == "k":
                        parameter["schema"]["maximum"] = options.max_k
                    elif parameter.get("in") == "query" and parameter.get("name") == "q":
                        parameter["schema"]["maxLength"] = options.max_query
        return app.openapi_schema or {}

    return document


def create_app(engine: VideoSearch, options: ApiOptions, signer: UrlSigner | None = None) -> FastAPI:
    """The API over one open engine (the caller closes it; `serve` starts loading its models).
    With a token, media URLs in answers are signed by `signer` (default: one derived from the
    token, `UrlSigner.for_token`, so every app made with the same token accepts the others' URLs).
    Interactive docs at /docs (Swagger UI) and /redoc (ReDoc), their scripts served by the app
    itself (the fastapi-offline package's copies), so they work offline."""
    if options.token and signer is None:
        signer = UrlSigner.for_token(options.token)
    app = FastAPIOffline(
        title="vidsearch",
        version=__version__,
        swagger_ui_parameters={"validatorUrl": None},  # else Swagger UI asks validator.swagger.io about the document
        description=(
            "Find the moment in your videos by what was shown, said, written on screen or heard. "
            'Every answer that is not a success is JSON `{"error": "<one line>"}` (a 422 adds `detail`).'
        ),
        responses=_errors(500),
    )
    app.state.service = Service(engine, options, signer if options.token else None)
    app.openapi = _with_limits(app, options)  # type: ignore[method-assign]
    app.add_api_route("/health", health, methods=["GET"])
    not_ready = {"model": NotReadyBody, "description": "the query models are loading, failed, or not asked to load"}
    app.add_api_route("/ready", ready, methods=["GET"], responses={200: {"model": ReadyBody}, 503: not_ready})
    app.include_router(_routes(options))
    app.add_exception_handler(SearchError, _library_error)
    app.add_exception_handler(IndexerError, _library_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_middleware(Unexpected)
    app.add_middleware(BodyLimit, limit=options.max_upload + MULTIPART_SLACK)
    if options.cors_origins:  # added last: outermost, so errors and 401s carry the CORS headers too
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(options.cors_origins),
            allow_methods=["GET", "HEAD", "POST"],
            allow_headers=["Authorization", "Content-Type", "Range"],
            expose_headers=["Content-Range", "Accept-Ranges", "Content-Length"],
            max_age=600,
        )
    return app


class ServeError(SearchError):
    """The API cannot listen where it was asked to: one line, before uvicorn starts."""


class PortUnavailable(ServeError):
    """The address and port cannot be listened on: taken by another server, not this machine's
    address, or a port below 1024 without the privilege."""

    def __init__(self, host: str, port: int, reason: str) -> None:
        super().__init__(f"cannot listen on {host}:{port}: {reason}")
        self.host = host
        self.port = port
        self.reason = reason


class InvalidPort(ServeError, ValueError):
    """A port outside 0..65535 (a usage error: a ValueError, as ApiOptions' are)."""

    def __init__(self, port: object) -> None:
        super().__init__(f"--port must be a number from 0 to 65535 (0: any free port), not {port}")
        self.port = port


BIND_ERRORS = {
    errno.EADDRINUSE: "the port is in use (another server listens there; choose another --port)",
    errno.EACCES: "permission denied (ports below 1024 need privileges; choose another --port)",
    errno.EADDRNOTAVAIL: "the address is not one of this machine's (check --host)",
}
"""What a failed bind means, in words."""


def check_port(port: int) -> int:
    """`port` when it is a TCP port one can listen on (0..65535, 0 for any free one, which uvicorn
    names when it starts); InvalidPort (a ValueError) otherwise."""
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise InvalidPort(port)
    return port


def listen(host: str, port: int) -> socket.socket:
    """A socket bound to `host`:`port` as uvicorn binds one (SO_REUSEADDR; IPv6 for an address with
    a colon); PortUnavailable, in one line, when that cannot be done. Made with IPPROTO_TCP named:
    asyncio sets TCP_NODELAY only on sockets that say so, and without it every answer on a kept-alive
    connection waited ~40 ms for the client's delayed ACK (48 ms a query against 4 ms in-process)."""
    check_port(port)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except socket.gaierror as exc:
        sock.close()
        raise PortUnavailable(host, port, f"unknown host ({exc.strerror})") from exc
    except OSError as exc:
        sock.close()
        raise PortUnavailable(host, port, BIND_ERRORS.get(exc.errno or -1, exc.strerror or str(exc))) from exc
    sock.set_inheritable(True)
    return sock


class JsonErrorProtocol(AutoHTTPProtocol):  # type: ignore[misc, valid-type]
    """uvicorn's HTTP protocol, but a request it cannot parse gets its 400 in the API's JSON shape
    (uvicorn's own is plain text)."""

    def send_400_response(self, msg: str) -> None:
        body = json.dumps({"error": printable(msg)}).encode()
        head = [b"HTTP/1.1 400 Bad Request"]
        head += [name + b": " + value for name, value in self.server_state.default_headers]
        head += [b"content-type: application/json", b"content-length: %d" % len(body), b"connection: close"]
        self.transport.write(b"\r\n".join(head) + b"\r\n\r\n" + body)
        self.transport.close()


class Server(uvicorn.Server):
    """uvicorn's server on sockets bound beforehand (`listen`), saying where it listens as uvicorn
    does when it binds them itself."""

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if sockets and self.started:
            host, port = sockets[0].getsockname()[:2]
            shown = f"[{host}]" if ":" in host else host
            message = "Uvicorn running on http://%s:%d (Press CTRL+C to quit)"
            logging.getLogger("uvicorn.error").info(message, shown, port)


def server(app: ASGIApp, host: str, port: int) -> uvicorn.Server:
    """The uvicorn server `serve` runs (JSON 400s, five seconds to finish requests on shutdown)."""
    config = uvicorn.Config(app, host=host, port=port, http=JsonErrorProtocol, timeout_graceful_shutdown=5)
    return Server(config)


def local_url(host: str, port: int) -> str:
    """The base URL a client on this machine reaches a server listening on `host`:`port` at (a
    wildcard address is reached on loopback)."""
    shown = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    return f"http://[{shown}]:{port}" if ":" in shown else f"http://{shown}:{port}"


def serve(
    index: Path,
    settings: Settings,
    host: str = "127.0.0.1",
    port: int = 8000,
    options: ApiOptions | None = None,
) -> None:
    """Open the index once and serve the API with uvicorn until interrupted. The query models
    start loading in the background as soon as the port is bound (GET /ready says when they are
    loaded; a query that comes before waits for them). Raises InvalidPort (a ValueError) for a
    port outside 0..65535 before anything else, IndexNotFound or SchemaMismatch before binding the
    port, and PortUnavailable (one line) when the port cannot be listened on; uvicorn gets the
    bound socket, so nothing can take the port in between."""
    check_port(port)
    options = options or ApiOptions()
    if options.token is None and host not in ("127.0.0.1", "localhost", "::1"):
        log.warning("serving on %s with no token: anyone who can reach it can search and stream your videos", host)
    engine = VideoSearch(index, settings)
    try:
        with listen(host, port) as sock:
            engine.load_in_background()
            with announce(index, local_url(host, sock.getsockname()[1]), options.token):
                server(create_app(engine, options), host, port).run(sockets=[sock])
    finally:
        engine.close()
