"""Finding the API that a page or `vidsearch serve` runs on an index, so that `vidsearch search`
can ask it instead of loading the query models itself (seconds to half a minute per process).

A server announces itself while it serves: `<index>/serving/<pid>.json`, readable by its owner
alone (it may hold the token): {"url", "token", "pid", "host"}, `url` being the base URL the API's
routes live under. A client reads those files, passes over the unreadable ones and those of
processes gone from this host (removing the latter), and takes the first server, newest first,
whose `GET {url}/ready` answers 200 in time.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import os
import signal
import socket
import tempfile
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from indexer.types import AudioTrack, Modality
from search.types import Evidence, Filters, Hit

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)

FOLDER = "serving"
"""The index's subfolder of announcements, one `<pid>.json` per serving process."""
SEARCH_SECONDS = 60.0
"""How long a query to a ready server may take (it answers one search at a time)."""


@dataclass(frozen=True)
class Served:
    """A server answering queries on an index: its API's base URL (no trailing slash), the bearer
    token its routes ask for (None: none) and its process id."""

    url: str
    token: str | None
    pid: int

    def headers(self) -> dict[str, str]:
        """The request headers its guarded routes need."""
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}


class ServerFailed(Exception):
    """A found server did not answer a query: refused, timed out, or an error status. One line."""


@contextlib.contextmanager
def announce(index: Path, url: str, token: str | None) -> Iterator[None]:
    """Tell clients on this host that the API at `url` (its base URL) answers queries on `index`
    while the block runs: `<index>/serving/<pid>.json`, mode 0600, written atomically and removed
    on the way out. An index this process cannot write to is served unannounced (logged)."""
    folder = Path(index) / FOLDER
    target = folder / f"{os.getpid()}.json"
    record = {"url": url.rstrip("/"), "token": token, "pid": os.getpid(), "host": socket.gethostname()}
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
        _write(target, json.dumps(record))
    except OSError as exc:
        log.info("not announced in %s (vidsearch search will load its own models): %s", folder, exc)
        yield
        return
    try:
        with _terminated_as_exit():
            yield
    finally:
        with contextlib.suppress(OSError):
            target.unlink()


@contextlib.contextmanager
def _terminated_as_exit() -> Iterator[None]:
    """SIGTERM (where it would end the process at once) raises SystemExit(143) in the block, so
    that `finally` clauses run. uvicorn puts back the handler it found when it stops and then
    raises the signal it stopped for again: without this, a terminated API left its announcement
    behind (clients pass over and remove those, once they see the process is gone)."""
    if threading.current_thread() is not threading.main_thread() or signal.getsignal(signal.SIGTERM) != signal.SIG_DFL:
        yield
        return

    def leave(number: int, _frame: FrameType | None) -> None:
        raise SystemExit(128 + number)

    signal.signal(signal.SIGTERM, leave)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _write(target: Path, text: str) -> None:
    """`text` into `target` atomically (a temporary file beside it, then renamed), mode 0600."""
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def find_server(index: Path, timeout: float = 0.5) -> Served | None:
    """A server announced on `index` whose `GET {url}/ready` answers 200 within `timeout` seconds
    (each), newest announcement first; None when there is none. Announcements of processes gone
    from this host are removed; unreadable or malformed ones are passed over."""
    folder = Path(index) / FOLDER
    try:
        found = sorted(folder.glob("*.json"), key=_age)
    except OSError:
        return None
    for path in found:
        served = _read(path)
        if served is None:
            continue
        if served[1] == socket.gethostname() and not _alive(served[0].pid):
            log.debug("removing %s: process %d is gone", path, served[0].pid)
            with contextlib.suppress(OSError):
                path.unlink()
            continue
        if _ready(served[0], timeout):
            return served[0]
    return None


def _age(path: Path) -> float:
    """Sort key, newest first; a file that vanished sorts last."""
    try:
        return -path.stat().st_mtime
    except OSError:
        return 0.0


def _read(path: Path) -> tuple[Served, str] | None:
    """The server an announcement names and the host it runs on, or None when it cannot be read."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        served = Served(str(record["url"]).rstrip("/"), record.get("token") or None, int(record["pid"]))
        host = str(record.get("host", ""))
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
        log.debug("passing over %s: %s", path, exc)
        return None
    if not served.url.startswith(("http://", "https://")) or served.pid < 1:
        return None
    return served, host


def _alive(pid: int) -> bool:
    """Whether process `pid` exists on this host (someone else's counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except (OSError, OverflowError):
        return False
    return True


def _ready(served: Served, timeout: float) -> bool:
    import httpx

    try:
        answer = httpx.get(f"{served.url}/ready", headers=served.headers(), timeout=timeout)
    except httpx.HTTPError as exc:
        log.debug("%s is not answering: %s", served.url, exc)
        return False
    return answer.status_code == 200


class Remote:
    """Queries to a found server, over one connection. Close it when done (or use `with`)."""

    def __init__(self, served: Served, timeout: float = SEARCH_SECONDS) -> None:
        import httpx

        self.served = served
        self._client = httpx.Client(base_url=served.url, headers=served.headers(), timeout=timeout)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Remote:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def search(
        self, text: str, k: int, modalities: Sequence[Modality] | None = None, filters: Filters | None = None
    ) -> list[Hit]:
        """`GET /search`: the hits the server finds, as `VideoSearch.search` would return them
        here. ServerFailed when it does not answer, or answers other than 200 with hits."""
        import httpx

        params: dict[str, Any] = {"q": text, "k": k}
        if modalities is not None:
            params["modalities"] = ",".join(modalities)
        if filters is not None:
            if filters.folder is not None:
                params["folder"] = str(filters.folder)
            if filters.min_duration is not None:
                params["min_duration"] = filters.min_duration
            if filters.max_duration is not None:
                params["max_duration"] = filters.max_duration
        try:
            answer = self._client.get("/search", params=params)
        except httpx.HTTPError as exc:
            raise ServerFailed(f"{self.served.url} did not answer: {exc or type(exc).__name__}") from exc
        if answer.status_code != 200:
            raise ServerFailed(f"{self.served.url} answered {answer.status_code}: {_error_text(answer)}")
        try:
            return [hit_from_json(hit) for hit in answer.json()["hits"]]
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise ServerFailed(f"{self.served.url} answered what is not a list of hits ({exc!r})") from exc


def _error_text(answer: httpx.Response) -> str:
    """The API's one-line `error`, else the start of the body."""
    try:
        return str(answer.json()["error"])
    except (ValueError, TypeError, KeyError):
        return answer.text[:200] or answer.reason_phrase


def hit_from_json(data: dict[str, Any]) -> Hit:
    """A hit back from its JSON (`Hit.to_json`, as the API sends it; keys it adds are ignored).
    Raises KeyError, ValueError or TypeError when `data` is not a hit."""
    video = Path(os.fsdecode(base64.b64decode(data["video_bytes"]))) if "video_bytes" in data else Path(data["video"])
    segment = data.get("segment_id")
    return Hit(
        video=video,
        start=float(data["start"]),
        end=float(data["end"]),
        score=float(data["score"]),
        segment_ids=() if segment is None else (int(segment),),
        evidence=tuple(_evidence(Modality(name), found) for name, found in data["matched"].items()),
        video_id=data.get("video_id"),
    )


def _evidence(modality: Modality, found: dict[str, Any]) -> Evidence:
    track = found.get("track")
    return Evidence(
        modality=modality,
        score=float(found["score"]),
        time=float(found["time"]),
        start=found.get("start"),
        end=found.get("end"),
        text=str(found.get("text", "")),
        words=tuple(found.get("matched_words", ())),
        confidence=found.get("confidence"),
        track=AudioTrack(**track) if isinstance(track, dict) else None,
    )
