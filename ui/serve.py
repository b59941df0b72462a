"""What `vidsearch ui` serves: the search page (ui/app.py) and, in the same process, the vidsearch
API mounted at /api over the page's own engine (`ui.library`), as one ASGI app (`st.App`).

`streamlit run ui/serve.py` finds `app` below and serves it with uvicorn (`--server.port` and
`--server.address` apply). As the server starts, the index is opened and its query models start
loading in the background (the page shows "Loading models…" until they are ready), and the API is
announced to `vidsearch search` on this host (`vidsearch.serving`) with a random per-process
token. The page plays videos and shows thumbnails from the mounted API by signed relative URLs
(`ui.library.media_url`): streamed by HTTP range from the checked file, never read into memory.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import streamlit as st
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse
from starlette.routing import Mount
from starlette.types import ASGIApp, Receive, Scope, Send
from streamlit import config

from indexer.errors import IndexerError, describe
from search.errors import SearchError
from ui import library
from vidsearch.api import ApiOptions, create_app
from vidsearch.page import INDEX_ENV
from vidsearch.serving import announce

log = logging.getLogger("vidsearch.ui")

PAGE = Path(__file__).resolve().parent / "app.py"
"""The page's script."""


def index() -> str | None:
    """The page's index as an absolute directory, None when none was given."""
    given = library.index_dir()
    return str(given.absolute()) if given is not None else None


@functools.cache
def api(directory: str) -> ASGIApp:
    """The API over the page's engine of `directory`, guarded by this process's token."""
    return create_app(library.engine(directory), ApiOptions(token=library.token()), signer=library.signer())


class Api:
    """The ASGI app mounted at /api: the API over the page's engine, made on first use (so a
    missing or damaged index is a 503 with its one-line reason, retried on the next request,
    rather than a server that does not start)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            return
        directory = index()
        try:
            if directory is None:
                raise LookupError(f"no index given: start the page with `vidsearch ui --index DIR` (or {INDEX_ENV})")
            app = await run_in_threadpool(api, directory)
        except (SearchError, IndexerError, LookupError) as exc:
            if scope["type"] == "http":
                await JSONResponse({"error": describe(exc)}, 503)(scope, receive, send)
            return
        await app(scope, receive, send)


def base_url() -> str:
    """The API's base URL as clients on this host reach it (the port the server took)."""
    host = str(config.get_option("server.address") or "127.0.0.1")
    host = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{config.get_option('server.port')}{library.API_ROOT}"


@contextlib.asynccontextmanager
async def lifespan(_app: Any) -> AsyncIterator[None]:
    """Open the index and start loading its models as the server starts; announce the API while
    it serves. A missing index is left to the page to report (it says how to make one)."""
    directory = index()
    if directory is None:
        yield
        return
    try:
        await run_in_threadpool(library.engine, directory)
    except (SearchError, IndexerError) as exc:
        log.warning("the page's index cannot be opened: %s", describe(exc))
        yield
        return
    with announce(Path(directory), base_url(), library.token()):
        yield


app = st.App(PAGE, routes=[Mount(library.API_ROOT, app=Api())], lifespan=lifespan)
