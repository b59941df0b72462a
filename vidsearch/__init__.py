"""vidsearch: multimodal video search. `vidsearch.cli` is the command line; `search.VideoSearch` the API."""

__version__ = "0.1.0"
WRITER = f"vidsearch {__version__}"
"""What an index is told wrote it (its writer row, each model record)."""
FILE_OUTCOME = "file_outcome"
"""Set on the log records of a file's outcome that an indexing run's listener also hears (the CLI
prints those once, as the listener's line)."""
