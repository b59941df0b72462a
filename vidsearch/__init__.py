"""vidsearch: multimodal video search. `vidsearch.cli` is the command line; `search.VideoSearch` the API."""

__version__ = "0.1.0"
