"""The HTTP API: search, more like this, search by image, videos, thumbnails and streams of one index.

The only module that imports fastapi, starlette and uvicorn. `create_app` builds the app around one
open `VideoSearch`; `serve` opens the index and runs it with uvicorn. Library errors become JSON
`{"error": "<one line>"}` here and nowhere else; bad parameters get FastAPI's usual 422 body.

Files are only ever named by their index ids in URLs, never by path, so nothing outside the index
can be served. Endpoints are plain `def`s, run in a thread pool: searches go through one lock (see
`Service`), everything else reads SQLite concurrently.
"""

from __future__ import annotations

import hmac
import io
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, TypeVar

import numpy as np
import uvicorn
from fastapi import APIRouter, Depends, FastAPI, File, Query, Request, UploadFile
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from PIL import Image, ImageOps, UnidentifiedImageError
from starlette.exceptions import HTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from indexer.errors import IndexerError, ModelUnavailable
from indexer.files import MEDIA_TYPES, printable
from search import Filters, Hit, VideoSearch
from search.errors import (
    IndexEmpty,
    IndexNotFound,
    ModelMismatch,
    NoPicture,
    NoSearchableModality,
    SchemaMismatch,
    SearchError,
    SegmentNotFound,
    VideoFileMissing,
    VideoNotFound,
    VideoNotIndexed,
)
from search.types import SegmentRecord, VideoRecord, path_json, track_json
from vidsearch import __version__
from vidsearch.settings import MODALITIES, Settings

log = logging.getLogger(__name__)

T = TypeVar("T")

MAX_ID = 2**63 - 1
"""Largest SQLite integer: a bigger id could never exist, and would overflow the driver."""
MULTIPART_SLACK = 64 * 1024
"""Bytes of multipart framing allowed on top of the image itself before the body is cut off."""
MAX_PIXELS = 40_000_000
"""Largest uploaded image, pixels (a 40 MP photo): bigger ones are refused before decoding."""
THUMBNAIL_QUALITY = 85
"""JPEG quality of thumbnails (0-100)."""
STATUS: tuple[tuple[type[Exception], int], ...] = (
    (VideoFileMissing, 410),
    (NoPicture, 404),
    (SegmentNotFound, 404),
    (VideoNotFound, 404),
    (VideoNotIndexed, 404),
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
    """How the API is exposed. `token`: when set, every route but /health and the docs needs
    `Authorization: Bearer <token>`. `cors_origins`: browser origins allowed to call the API (none:
    same origin only). `max_k`: most moments per request. `max_query`: longest query, characters.
    `max_upload`: largest image for search by image, bytes."""

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
    """The one engine every request shares, and the lock its searches take.

    Searches touch FAISS, the torch models and the engine's lazily filled caches, none of which may
    be used from two threads at once, so they run one at a time. Metadata reads (videos, segments,
    stats, thumbnails) go through SQLAlchemy's pool, one SQLite connection per thread, and run
    concurrently, so a slow search never stalls thumbnails or /health.
    """

    engine: VideoSearch
    options: ApiOptions
    lock: threading.Lock = field(default_factory=threading.Lock)

    def searching(self, call: Callable[[VideoSearch], T]) -> T:
        with self.lock:
            return call(self.engine)


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
        str | None, Query(description=f"comma-separated subset of {','.join(MODALITIES)}; default: all indexed")
    ] = None,
) -> tuple[str, ...] | None:
    """The modalities asked for (None: all); unknown names are a 422."""
    chosen = tuple(dict.fromkeys(m.strip() for m in (modalities or "").split(",") if m.strip()))
    unknown = [m for m in chosen if m not in MODALITIES]
    if unknown:
        message = f"unknown modality {', '.join(unknown)}; choose from {', '.join(MODALITIES)}"
        raise _invalid("query", "modalities", "value_error", message, modalities)
    return chosen or None


def _filters(
    folder: Annotated[str | None, Query(description="only videos under this absolute folder")] = None,
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
Modalities = Annotated[tuple[str, ...] | None, Depends(_modalities)]
SearchFilters = Annotated[Filters | None, Depends(_filters)]
QueryText = Annotated[str, Query(min_length=1, description="what to find, in words (at most max_query characters)")]
TopK = Annotated[int, Query(ge=1, description="most moments to return (at most max_k, 100 by default)")]
VideoId = Annotated[int, PathParam(ge=1, le=MAX_ID, description="a video id from /videos or a hit")]
SegmentId = Annotated[int, PathParam(ge=1, le=MAX_ID, description="a segment id from /videos/{id} or a hit")]
ShortSide = Annotated[int, Query(ge=32, le=720, description="short side of the thumbnail, pixels")]
ImageUpload = Annotated[UploadFile, File(description="a picture (JPEG, PNG, WebP...) to find moments like")]


def _within(options: ApiOptions, k: int, query: str | None = None) -> None:
    """The limits of this app's options, and a query of only blanks, as 422s like FastAPI's own."""
    if query is not None and not query:
        raise _invalid("query", "q", "string_too_short", "the query is blank", query, min_length=1)
    if k > options.max_k:
        message = f"Input should be less than or equal to {options.max_k}"
        raise _invalid("query", "k", "less_than_equal", message, k, le=options.max_k)
    if query is not None and len(query) > options.max_query:
        message = f"String should have at most {options.max_query} characters"
        raise _invalid("query", "q", "string_too_long", message, query, max_length=options.max_query)


def _hit_json(engine: VideoSearch, hit: Hit) -> dict[str, Any]:
    """A hit as `vidsearch search --json` prints it, plus the ids a client fetches thumbnails
    (`segment_id`, the hit's first segment) and the stream (`video_id`) by."""
    segment_id = hit.segment_ids[0] if hit.segment_ids else None
    try:
        video = engine.segment(segment_id)[1] if segment_id is not None else engine.info(hit.video)[0]
    except SearchError:  # removed from the index since the search: the hit stands, without ids
        return {**hit.to_json(), "segment_id": None, "video_id": None}
    return {**hit.to_json(), "segment_id": segment_id, "video_id": video.id}


def _video_json(video: VideoRecord) -> dict[str, Any]:
    return {
        "id": video.id,
        **path_json("path", video.path),
        "duration": round(video.duration, 3),
        "width": video.width,
        "height": video.height,
        "fps": round(video.fps, 3),
        "modalities": list(video.modalities),
        "language": video.language or None,
        "has_video": video.has_video,
        "audio_tracks": [track_json(t) for t in video.tracks],
    }


def _segment_json(segment: SegmentRecord) -> dict[str, Any]:
    return {"id": segment.id, "start": round(segment.start, 3), "end": round(segment.end, 3)}


def search_text(
    service: Engine, modalities: Modalities, filters: SearchFilters, q: QueryText, k: TopK = 10
) -> dict[str, Any]:
    """The `k` best moments for `q`, best first: exactly what `vidsearch search --json` prints for
    one query, each hit with its `segment_id` and `video_id` added. Times are seconds; scores are
    fused match scores, 0..1. No hits when nothing in the library matches."""
    text = q.strip()
    _within(service.options, k, text)
    hits = service.searching(lambda engine: engine.search(text, k, modalities, filters))
    return {"query": text, "hits": [_hit_json(service.engine, hit) for hit in hits]}


def similar(service: Engine, filters: SearchFilters, segment_id: SegmentId, k: TopK = 10) -> dict[str, Any]:
    """Moments like segment `segment_id` ("more like this"), near it in the visual and sentence
    spaces; never the segment itself."""
    _within(service.options, k)
    hits = service.searching(lambda engine: engine.similar(segment_id, k, filters))
    return {"segment_id": segment_id, "hits": [_hit_json(service.engine, hit) for hit in hits]}


def search_image(service: Engine, filters: SearchFilters, image: ImageUpload, k: TopK = 10) -> dict[str, Any]:
    """Moments that look like the uploaded picture (multipart field `image`), by the visual
    modality alone; 409 when the index has no visual vectors."""
    _within(service.options, k)
    pixels = _decode_image(image, service.options.max_upload)
    hits = service.searching(lambda engine: engine.search_image(pixels, k, filters))
    return {"hits": [_hit_json(service.engine, hit) for hit in hits]}


def _decode_image(upload: UploadFile, limit: int) -> np.ndarray:
    """The upload as HxWx3 uint8 RGB, upright by its EXIF orientation; 413 when over `limit` bytes
    or MAX_PIXELS, 415 when PIL cannot read it."""
    data = upload.file.read(limit + 1)
    if len(data) > limit:
        raise HTTPException(413, f"the image is larger than {limit} bytes")
    try:
        with Image.open(io.BytesIO(data)) as picture:
            if picture.width * picture.height > MAX_PIXELS:
                raise HTTPException(413, f"the image has more than {MAX_PIXELS} pixels")
            return np.asarray(ImageOps.exif_transpose(picture).convert("RGB"))
    except Image.DecompressionBombError as exc:  # PIL's own cap, far above MAX_PIXELS
        raise HTTPException(413, f"the image has more than {MAX_PIXELS} pixels") from exc
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise HTTPException(415, f"not an image that can be read ({type(exc).__name__})") from exc


def list_videos(service: Engine) -> dict[str, Any]:
    """Every searchable video, by path: id, path, duration (seconds), size (pixels), frame rate,
    indexed modalities and spoken language (null when unknown)."""
    return {"videos": [_video_json(video) for video in service.engine.videos()]}


def get_video(service: Engine, video_id: VideoId) -> dict[str, Any]:
    """One video's record and its segments in time order (ids for thumbnails and "more like this")."""
    video, segments = service.engine.video(video_id)
    return {**_video_json(video), "segments": [_segment_json(s) for s in segments]}


def thumbnail(service: Engine, segment_id: SegmentId, size: ShortSide = 180) -> Response:
    """A JPEG of the segment (its first keyframe, else its middle), decoded from the video on
    demand; 410 when the file is gone. Cacheable for an hour: segment ids are never reused."""
    picture = Image.fromarray(service.engine.thumbnail(segment_id, short_side=size))
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=THUMBNAIL_QUALITY)
    scope = "private" if service.options.token else "public"
    return Response(buffer.getvalue(), media_type="image/jpeg", headers={"Cache-Control": f"{scope}, max-age=3600"})


def stream(service: Engine, video_id: VideoId) -> FileResponse:
    """The indexed video file itself, with HTTP Range support (206 Partial Content) so players can
    seek; 410 when the file is gone since it was indexed."""
    video, _segments = service.engine.video(video_id)
    if not video.path.is_file():
        raise VideoFileMissing(video.path)
    kind = MEDIA_TYPES.get(video.path.suffix.lower(), "application/octet-stream")
    name = printable(video.path.name)  # a header must be text; the file itself is served byte for byte
    return FileResponse(video.path, media_type=kind, filename=name, content_disposition_type="inline")


def stats(service: Engine) -> dict[str, Any]:
    """What the index holds: counts, hours of video, each modality's model (or why it is missing),
    and the modalities a query can use now."""
    found = service.engine.stats()
    try:
        searchable = list(service.engine.searchable())
    except NoSearchableModality:
        searchable = []
    models = [
        {"modality": m.modality, "model": m.model, "available": m.available, "reason": m.reason} for m in found.models
    ]
    return {
        "videos": found.videos,
        "segments": found.segments,
        "keyframes": found.keyframes,
        "hours": round(found.hours, 4),
        "models": models,
        "searchable": searchable,
    }


def health(service: Engine) -> dict[str, Any]:
    """Liveness: 200 with the number of searchable videos; needs no token."""
    return {"status": "ok", "videos": service.engine.store.counts()[0]}


BEARER = HTTPBearer(auto_error=False, description="the token `vidsearch serve` was started with")


def require_token(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)]
) -> None:
    """401 unless the request carries this app's bearer token (compared in constant time)."""
    token = _service(request).options.token
    if token is None:
        return
    if credentials is None:
        raise HTTPException(401, "this API needs Authorization: Bearer <token>", {"WWW-Authenticate": "Bearer"})
    if not hmac.compare_digest(credentials.credentials.encode(), token.encode()):
        raise HTTPException(401, "wrong bearer token", {"WWW-Authenticate": 'Bearer error="invalid_token"'})


def _routes(options: ApiOptions) -> APIRouter:
    """The guarded routes (everything but /health and the docs)."""
    router = APIRouter(dependencies=[Depends(require_token)] if options.token else [])
    router.add_api_route("/search", search_text, methods=["GET"])
    router.add_api_route("/similar/{segment_id}", similar, methods=["GET"])
    router.add_api_route("/search/image", search_image, methods=["POST"])
    router.add_api_route("/videos", list_videos, methods=["GET"])
    router.add_api_route("/videos/{video_id}", get_video, methods=["GET"])
    router.add_api_route("/videos/{video_id}/stream", stream, methods=["GET"], response_class=FileResponse)
    thumbnails: dict[int | str, dict[str, Any]] = {200: {"content": {"image/jpeg": {}}}}
    router.add_api_route(
        "/segments/{segment_id}/thumbnail", thumbnail, methods=["GET"], response_class=Response, responses=thumbnails
    )
    router.add_api_route("/stats", stats, methods=["GET"])
    return router


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
    """Starlette's and FastAPI's HTTP errors (401, 404 route, 405, 413, 415) in the same shape."""
    assert isinstance(exc, HTTPException)
    return JSONResponse({"error": str(exc.detail)}, exc.status_code, headers=exc.headers)


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


def create_app(engine: VideoSearch, options: ApiOptions) -> FastAPI:
    """The API over one open engine (the caller closes it). OpenAPI docs at /docs."""
    app = FastAPI(
        title="vidsearch",
        version=__version__,
        description="Find the moment in your videos by what was shown, said, written on screen or heard.",
    )
    app.state.service = Service(engine, options)
    app.add_api_route("/health", health, methods=["GET"])
    app.include_router(_routes(options))
    app.add_exception_handler(SearchError, _library_error)
    app.add_exception_handler(IndexerError, _library_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_middleware(Unexpected)
    app.add_middleware(BodyLimit, limit=options.max_upload + MULTIPART_SLACK)
    if options.cors_origins:  # added last: outermost, so errors and 401s carry the CORS headers too
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(options.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type", "Range"],
            expose_headers=["Content-Range", "Accept-Ranges", "Content-Length"],
            max_age=600,
        )
    return app


def serve(
    index: Path,
    settings: Settings,
    host: str = "127.0.0.1",
    port: int = 8000,
    options: ApiOptions | None = None,
) -> None:
    """Open the index once and serve the API with uvicorn until interrupted. Models load on the
    first query, once. Raises IndexNotFound or SchemaMismatch before binding the port."""
    options = options or ApiOptions()
    if options.token is None and host not in ("127.0.0.1", "localhost", "::1"):
        log.warning("serving on %s with no token: anyone who can reach it can search and stream your videos", host)
    engine = VideoSearch(index, settings)
    try:
        uvicorn.run(create_app(engine, options), host=host, port=port, timeout_graceful_shutdown=5)
    finally:
        engine.close()
