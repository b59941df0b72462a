"""Where downloaded and assembled model files live, and whether a download server answers."""

from __future__ import annotations

import os
import socket
from pathlib import Path


def cache_dir(kind: str) -> Path:
    """`$XDG_CACHE_HOME/vidsearch/<kind>` (default `~/.cache/vidsearch/<kind>`); not created here."""
    root = os.environ.get("XDG_CACHE_HOME") or str(Path("~/.cache").expanduser())
    return Path(root) / "vidsearch" / kind


def reachable(host: str, timeout: float = 3.0) -> bool:
    """Whether a TCP connection to `host`:443 opens; saves the hub clients' minute of retries offline."""
    try:
        socket.create_connection((host, 443), timeout=timeout).close()
    except OSError:
        return False
    return True
