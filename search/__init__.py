"""The store (SQLite + FAISS) and the search API over it: `from search import VideoSearch`.

The names below load on first use (PEP 562), so importing a module of this package (the store,
the database) does not import the engine and the model libraries behind it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from indexer.types import Modality
    from search.engine import IndexStats, VideoSearch
    from search.params import SearchParams
    from search.types import Evidence, Filters, Hit

EXPORTS = {
    "Evidence": "search.types",
    "Filters": "search.types",
    "Hit": "search.types",
    "IndexStats": "search.engine",
    "Modality": "indexer.types",
    "SearchParams": "search.params",
    "VideoSearch": "search.engine",
}

__all__ = ["Evidence", "Filters", "Hit", "IndexStats", "Modality", "SearchParams", "VideoSearch"]


def __getattr__(name: str) -> object:
    if name not in EXPORTS:
        raise AttributeError(f"module 'search' has no attribute {name!r}")
    return getattr(importlib.import_module(EXPORTS[name]), name)
