"""The page's index, opened once per process and shared by the page script (ui/app.py, run anew for
every interaction) and the API mounted beside it (ui/serve.py): one `VideoSearch`, so its models
load once, at start, and serve both.

The index directory comes from `--index DIR` after `--` on the `streamlit run` line, or from the
environment variable VIDSEARCH_UI_INDEX (which `vidsearch.page` sets).
"""

from __future__ import annotations

import functools
import logging
import os
import secrets
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from search.engine import VideoSearch
from vidsearch.page import INDEX_ENV
from vidsearch.settings import Settings
from vidsearch.signing import UrlSigner

log = logging.getLogger("vidsearch.ui")

API_ROOT = "/api"
"""Where ui/serve.py mounts the API on the page's own origin (so the page's media URLs are relative)."""
OPENING = threading.Lock()
"""Held while an index is opened, so the page and the API opening it at once get one engine."""


def index_dir(argv: Sequence[str] | None = None) -> Path | None:
    """The index directory: `--index DIR` after `--` on the streamlit line, else $VIDSEARCH_UI_INDEX."""
    args = list(sys.argv[1:] if argv is None else argv)
    if "--index" in args[:-1]:
        return Path(args[args.index("--index") + 1])
    value = os.environ.get(INDEX_ENV, "").strip()
    return Path(value) if value else None


@functools.cache
def _open(index: str) -> VideoSearch:
    engine = VideoSearch(Path(index), Settings())
    engine.load_in_background()
    log.info("opened index %s; its models are loading", index)
    return engine


def engine(index: str) -> VideoSearch:
    """The engine of `index` (an absolute directory), opened once per process; its query models
    start loading in the background as it opens (`VideoSearch.readiness` tells how it goes).
    IndexNotFound or SchemaMismatch when it cannot be opened (not kept: a later call retries)."""
    with OPENING:
        return _open(index)


@functools.cache
def token() -> str:
    """This process's API token (random, 256 bits): what `vidsearch search` reads from the
    announcement file to ask the page's API instead of loading models itself."""
    return secrets.token_urlsafe(32)


@functools.cache
def signer() -> UrlSigner:
    """Signs the page's media URLs (streams, thumbnails) for the API mounted at API_ROOT: a
    `<video src>` sends no Authorization header, so the URL carries a signature instead."""
    return UrlSigner.for_token(token())


def media_url(path: str) -> str:
    """A signed URL of the mounted API for `path` (a route path such as `/videos/3/stream`),
    relative to the page's origin."""
    return API_ROOT + signer().sign(path)
