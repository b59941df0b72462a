"""Short-lived signed URLs, so that media tags (`<video src>`, `<img src>`) can fetch from an API
that needs a bearer token: a browser sends no Authorization header for them.

A signed URL is `PATH?expires=<unix seconds>&signature=<hex HMAC-SHA256 of "PATH\\nexpires">`, where
PATH is the route's path relative to the API's root, without a query (e.g. `/videos/3/stream`), so
the same signature holds wherever the API is mounted. The key is derived from the API's token
(`UrlSigner.for_token`): a signature reveals nothing of the token, and URLs signed by one process
hold in another started with the same token (the page and the API it mounts).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import time as clock

SIGNING_CONTEXT = b"vidsearch signed media urls v1"
"""Mixed into the key derived from a token, so the key is good for nothing else."""


class UrlSigner:
    """Signs and checks media URLs. `secret`: the HMAC key (at least 16 bytes). `ttl`: how long a
    URL holds, seconds. `step`: expiry times are rounded up to a multiple of it (seconds), so the
    URLs of one resource stay the same for that long and a browser's cache can keep what they
    fetched; a URL holds for `ttl` to `ttl + step` seconds."""

    def __init__(self, secret: bytes, ttl: float = 3600.0, step: int = 300) -> None:
        if len(secret) < 16:
            raise ValueError("a URL signing secret needs at least 16 bytes")
        if ttl <= 0 or step < 1:
            raise ValueError("ttl must be positive and step at least 1 second")
        self._secret = secret
        self.ttl = ttl
        self.step = step

    @classmethod
    def for_token(cls, token: str, ttl: float = 3600.0, step: int = 300) -> UrlSigner:
        """A signer whose key is derived from an API token (HMAC-SHA256 of SIGNING_CONTEXT under it)."""
        return cls(hmac.new(token.encode(), SIGNING_CONTEXT, hashlib.sha256).digest(), ttl, step)

    def _signature(self, path: str, expires: int) -> str:
        return hmac.new(self._secret, f"{path}\n{expires}".encode(), hashlib.sha256).hexdigest()

    def sign(self, path: str, now: float | None = None) -> str:
        """`path?expires=<unix int>&signature=<64 hex digits>`; `path` is a route path without a
        query (ValueError if it has one). `now`: the current unix time (for tests)."""
        if "?" in path or "#" in path:
            raise ValueError(f"only a path without a query can be signed, not {path!r}")
        now = clock.time() if now is None else now
        expires = math.ceil((now + self.ttl) / self.step) * self.step
        return f"{path}?expires={expires}&signature={self._signature(path, expires)}"

    def valid(self, path: str, expires: str | None, signature: str | None, now: float | None = None) -> bool:
        """Whether `signature` was made by this signer for `path` and `expires` (a unix time in
        whole seconds, as text) and that time has not passed. Compared in constant time."""
        if not expires or not signature or not expires.isascii() or not expires.isdigit() or len(expires) > 12:
            return False
        deadline = int(expires)
        if deadline < (clock.time() if now is None else now):
            return False
        return hmac.compare_digest(self._signature(path, deadline).encode(), signature.encode("utf-8", "replace"))
