"""The store (SQLite + FAISS) and the search API over it."""

from search.engine import IndexStats, VideoSearch
from search.types import Evidence, Filters, Hit

__all__ = ["Evidence", "Filters", "Hit", "IndexStats", "VideoSearch"]
