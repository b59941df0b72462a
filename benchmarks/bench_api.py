"""Load test of the HTTP API: /search latency and throughput under 1, 8 and 32 concurrent clients,
against the same query answered in-process (no HTTP) in the same run.

- index: `--index DIR`, by default `data/index` as `make demo` builds it (the sample library,
  indexed with the real Whisper, PP-OCR and MiniLM models);
- in-process baseline: `VideoSearch.search` of the query in this process, one call at a time,
  after a warm-up call that loads the sentence model;
- server: `vidsearch.api.serve` in a subprocess (its own interpreter, so the clients' threads do
  not share its GIL) on a free loopback port; the time to its first /health and the first query
  (which loads the models) are reported apart;
- each level: that many client threads, each with its own keep-alive `httpx.Client`, send
  `GET /search` until `--seconds` have passed or `--requests` were sent, whichever comes first;
  reported: p50 and p95 latency (ms), requests per second, errors (non-200 or transport);
- two query modes: `repeated` sends the one query every time (the engine caches its sentence
  vector, so this is retrieval, fusion and HTTP), `unique` appends a counter word so every request
  also encodes the query with the sentence model.

It prints figures only; nothing is asserted.

Usage: python benchmarks/bench_api.py [--index data/index] [--query "welcome to the harbour"] [-k 10]
                                      [--levels 1,8,32] [--seconds 10] [--requests 200]
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from search import VideoSearch  # noqa: E402
from vidsearch.settings import Settings  # noqa: E402

SERVER = (
    "import sys; from pathlib import Path; from vidsearch.api import serve; from vidsearch.settings import Settings; "
)
SERVER += "serve(Path(sys.argv[1]), Settings(), port=int(sys.argv[2]))"
"""The server process: the API as `vidsearch serve` would run it, settings from the environment."""
STARTUP_LIMIT = 180.0
"""Seconds the server may take to answer /health before the benchmark gives up."""


@dataclass
class Level:
    """What one load level measured: latencies of successful requests (seconds) and failures."""

    name: str
    clients: int
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    first_error: str = ""

    def row(self) -> str:
        done = sorted(self.latencies)
        p50, p95 = (percentile(done, q) * 1000 for q in (0.50, 0.95))
        rate = len(done) / self.seconds if self.seconds else 0.0
        sent = len(done) + self.errors
        return f"{self.name:12} {self.clients:7d} {sent:8d} {self.errors:6d} {p50:8.1f} {p95:8.1f} {rate:8.1f}"


def percentile(ordered: list[float], q: float) -> float:
    """The `q` quantile of sorted values (nearest rank); NaN when there are none."""
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def queries(query: str, unique: bool) -> Callable[[], str]:
    """The next query to send: always `query`, or `query` with a fresh counter word appended."""
    counter = itertools.count()
    lock = threading.Lock()

    def following() -> str:
        if not unique:
            return query
        with lock:
            return f"{query} q{next(counter)}"

    return following


def in_process(engine: VideoSearch, query: str, k: int, unique: bool, seconds: float, requests: int) -> Level:
    """The baseline: the engine called directly in this process, one query at a time."""
    level = Level("in-process", 1)
    following = queries(query, unique)
    start = time.perf_counter()
    while len(level.latencies) < requests and time.perf_counter() - start < seconds:
        began = time.perf_counter()
        engine.search(following(), k)
        level.latencies.append(time.perf_counter() - began)
    level.seconds = time.perf_counter() - start
    return level


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(index: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    """The API in its own process, logging to `log`; returns once /health answers."""
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-c", SERVER, str(index), str(port)], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT
        )
    deadline = time.monotonic() + STARTUP_LIMIT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"bench_api: the server exited ({server.returncode}):\n{log.read_text()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1.0).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    server.terminate()
    raise SystemExit(f"bench_api: the server did not answer /health within {STARTUP_LIMIT:.0f} s")


def over_http(base: str, clients: int, next_query: Callable[[], str], k: int, seconds: float, requests: int) -> Level:
    """`clients` threads sending GET /search until `seconds` pass or `requests` were sent."""
    level = Level("http", clients)
    lock = threading.Lock()
    sent = 0
    start = time.perf_counter()

    def claim() -> bool:
        nonlocal sent
        with lock:
            if sent >= requests or time.perf_counter() - start >= seconds:
                return False
            sent += 1
            return True

    def client() -> None:
        with httpx.Client(base_url=base, timeout=60.0) as http:
            while claim():
                began = time.perf_counter()
                outcome = _get(http, next_query(), k)
                took = time.perf_counter() - began
                with lock:
                    if outcome:
                        level.errors += 1
                        level.first_error = level.first_error or outcome
                    else:
                        level.latencies.append(took)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    level.seconds = time.perf_counter() - start
    return level


def _get(http: httpx.Client, query: str, k: int) -> str:
    """One search; '' when it succeeded, else what went wrong (one line)."""
    try:
        response = http.get("/search", params={"q": query, "k": k})
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}: {exc}"
    return "" if response.status_code == 200 else f"{response.status_code}: {response.text[:200]}"


def first_query(base: str, query: str, k: int) -> float:
    """Seconds of the server's first search (it loads the sentence model)."""
    began = time.perf_counter()
    response = httpx.get(f"{base}/search", params={"q": query, "k": k}, timeout=STARTUP_LIMIT)
    response.raise_for_status()
    return time.perf_counter() - began


def describe(engine: VideoSearch, query: str, k: int) -> str:
    """The index, the query and the machine, in two lines (the search also loads the models)."""
    stats = engine.stats()
    hits = len(engine.search(query, k))
    searchable = ",".join(engine.searchable())
    return (
        f"index {engine.store.directory}: {stats.videos} videos, {stats.segments} segments, "
        f"{stats.hours * 3600:.0f} s of video; "
        f"searchable: {searchable}\nquery {query!r}, k={k} ({hits} hits); "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"load average {os.getloadavg()[0]:.2f} (other work on the machine skews every figure)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=ROOT / "data" / "index")
    parser.add_argument("--query", default="welcome to the harbour")
    parser.add_argument("-k", type=int, default=10)
    parser.add_argument("--levels", default="1,8,32", help="concurrent clients per level, comma-separated")
    parser.add_argument("--seconds", type=float, default=10.0, help="longest time per level")
    parser.add_argument("--requests", type=int, default=200, help="most requests per level")
    args = parser.parse_args()
    if not (args.index / "index.db").is_file():
        raise SystemExit(f"bench_api: no index at {args.index}: run `make demo` first, or pass --index DIR")
    levels = [int(n) for n in args.levels.split(",")]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with VideoSearch(args.index, Settings()) as engine, tempfile.TemporaryDirectory() as scratch:
        print(describe(engine, args.query, args.k), flush=True)
        began = time.perf_counter()
        server = start_server(args.index, port, Path(scratch) / "server.log")
        try:
            print(f"server: /health after {time.perf_counter() - began:.1f} s; ", end="")
            print(f"first query (loads the models) {first_query(base, args.query, args.k) * 1000:.0f} ms\n")
            for unique, mode in ((False, "repeated"), (True, "unique")):
                _report(mode, engine, base, levels, args, unique)
        finally:
            server.terminate()
            server.wait(timeout=30)


def _report(
    mode: str, engine: VideoSearch, base: str, levels: list[int], args: argparse.Namespace, unique: bool
) -> None:
    """One query mode: the in-process baseline measured right before the HTTP levels, so that
    both see the same machine."""
    print(f"{mode} query")
    print(f"{'':12} {'clients':>7} {'requests':>8} {'errors':>6} {'p50 ms':>8} {'p95 ms':>8} {'req/s':>8}")
    print(in_process(engine, args.query, args.k, unique, args.seconds, args.requests).row(), flush=True)
    following = queries(args.query, unique)
    for clients in levels:
        level = over_http(base, clients, following, args.k, args.seconds, args.requests)
        print(level.row() + (f"   first error: {level.first_error}" if level.errors else ""), flush=True)
    print()


if __name__ == "__main__":
    main()
