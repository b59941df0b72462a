"""Where downloaded and assembled model files live, and whether a download server answers."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from pathlib import Path

from indexer.errors import ModelUnavailable
from indexer.types import ModelRole

HF_HUB = "huggingface.co"


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


def local_dir(configured: str | None) -> Path | None:
    """`configured` as an absolute directory when it names one (a model the user has on disk)."""
    if configured and Path(configured).expanduser().is_dir():
        return Path(configured).expanduser().resolve()
    return None


def require_hub(modality: ModelRole, name: str, offline: bool, ways_out: str, host: str = HF_HUB) -> None:
    """Raise ModelUnavailable (with `ways_out`) unless downloads are allowed and `host` answers."""
    if offline or not reachable(host):
        why = "offline" if offline else f"{host} cannot be reached"
        raise ModelUnavailable(modality, name, f"{why}; {ways_out}")


class Resolvable:
    """A model known by name before its weights load: `name` resolves where the weights are (and
    fails early, with the ways out) without the cost of importing the model's library."""

    def __init__(self, resolve: Callable[[], tuple[str, str]]) -> None:
        self._resolve = resolve
        self._resolved: tuple[str, str] | None = None

    @property
    def name(self) -> str:
        """The model's identity, stored with what it produced."""
        return self.resolved[0]

    @property
    def resolved(self) -> tuple[str, str]:
        """(identity, what the model library loads: a directory or a hub name)."""
        if self._resolved is None:
            self._resolved = self._resolve()
        return self._resolved
