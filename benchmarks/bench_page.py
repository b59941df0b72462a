"""The search page in headless Chromium, as `vidsearch ui` serves it (the page and its API in one
process): how soon it answers after start, how long a search takes from Enter to results drawn,
and how much memory the server holds while a ~1 GB video plays.

- first answer: `vidsearch ui --index DIR` is started and, at once, Chromium loads the page until
  its search box is there, types the first query and presses Enter; reported: seconds from the
  launch to the page, to /api/ready answering 200 (models loaded) and to the first results drawn.
  The index is copied to a scratch folder first (the server announces itself inside its index);
- Enter to results: the next `--count` queries of `--queries` (one JSON object a line with a
  `query`, as data/eval/test/queries.jsonl), each typed into the box; the clock runs from Enter to
  the page naming the new results (`data-vidsearch-results`, set by the page's last element once
  the results above it are drawn). Reported: median, p95 and max, milliseconds;
- memory while playing: a video of `--big-seconds` of noisy 720p at `--big-mbps` (about 1 GB by
  default, made with ffmpeg unless `--big-video` names one), indexed into a scratch index for
  speech with a scripted transcript (no model reads it), served by `vidsearch ui`; Chromium
  searches, opens the hit and plays it, seeking to 20/40/60/80 % meanwhile. Reported: the server's
  resident memory (VmRSS of the process that announced itself) before opening, and its peak and
  last value while playing, against the file's size: it stays flat because the file is streamed by
  HTTP range from its descriptor, never read into memory. Its value once the view is drawn is
  reported apart: opening decodes the shots' thumbnails (ffmpeg's buffers), which is not streaming.

It prints figures only; nothing is asserted. Needs chromium and chromedriver (Debian's) and selenium.

Usage: python benchmarks/bench_page.py [--index data/eval-index/test] [--queries data/eval/test/queries.jsonl]
                                       [--count 20] [--big-video PATH | --big-seconds 120 --big-mbps 64]
                                       [--play-seconds 30] [--skip-latency] [--skip-memory]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from indexer.pipeline import Models  # noqa: E402
from tests.fakes import ScriptedSpeech  # noqa: E402
from tests.media import ffmpeg  # noqa: E402
from vidsearch.library import index_paths  # noqa: E402
from vidsearch.settings import Settings  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
BOX = 'input[aria-label="Search"]'
SHOWN = "return document.documentElement.dataset.vidsearchResults || ''"
VIEW = (
    "const root = [...document.querySelectorAll('[data-testid=stBidiComponentIsolated]')]"
    ".map(e => e.shadowRoot).find(r => r && r.querySelector('.vs-view'));"
)
SAID = "a red car drives slowly through the night"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def chrome() -> Any:
    from selenium import webdriver

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000"):
        options.add_argument(argument)
    options.add_argument("--autoplay-policy=no-user-gesture-required")
    options.add_argument("--mute-audio")
    return webdriver.Chrome(service=webdriver.ChromeService(CHROMEDRIVER), options=options)


@contextmanager
def page_server(index: Path, port: int, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`vidsearch ui --index index --port port`, stopped (SIGTERM) on the way out."""
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "vidsearch.cli", "ui", "--index", str(index), "--port", str(port)],
            stdout=sink,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"},
        )
        try:
            yield process
        finally:
            process.terminate()
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()


def wait_ready(url: str, began: float, found: dict[str, float]) -> None:
    """Record in `found["ready"]` the seconds since `began` at which GET /api/ready answers 200."""
    while time.monotonic() - began < 300:
        try:
            with urllib.request.urlopen(f"{url}/api/ready", timeout=1) as answer:
                if answer.status == 200:
                    found["ready"] = time.monotonic() - began
                    return
        except OSError:
            pass
        time.sleep(0.05)


def until(driver: Any, check: Any, seconds: float = 120.0, poll: float = 0.01) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, seconds, poll_frequency=poll).until(check)


def ask(driver: Any, query: str) -> float:
    """Type `query`, press Enter: seconds until the page names new results."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    box = driver.find_element(By.CSS_SELECTOR, BOX)
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(query)
    before = driver.execute_script(SHOWN)
    began = time.perf_counter()
    box.send_keys(Keys.ENTER)
    until(driver, lambda d: d.execute_script(SHOWN) != before)
    return time.perf_counter() - began


def open_page(driver: Any, url: str, seconds: float = 120.0) -> None:
    """Load the page until its search box is there (retrying while the server is not listening)."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By

    began = time.monotonic()
    while True:
        try:
            driver.get(url)
            until(driver, lambda d: d.find_elements(By.CSS_SELECTOR, BOX), 10, 0.05)
            return
        except WebDriverException:
            if time.monotonic() - began > seconds:
                raise
            time.sleep(0.2)


def latency(index: Path, queries: list[str], scratch: Path) -> None:
    copy = scratch / "index"
    shutil.copytree(index, copy, ignore=shutil.ignore_patterns("serving"))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    found: dict[str, float] = {}
    driver = chrome()
    try:
        began = time.monotonic()
        with page_server(copy, port, scratch / "latency.log"):
            threading.Thread(target=wait_ready, args=(url, began, found), daemon=True).start()
            open_page(driver, url)
            found["page"] = time.monotonic() - began
            ask(driver, queries[0])
            found["first"] = time.monotonic() - began
            times = [ask(driver, query) for query in queries[1:]]
    finally:
        driver.quit()
    print(f"index {index}: {len(queries) - 1} queries after the first")
    print(f"  start -> page shown          {found['page']:6.2f} s")
    print(f"  start -> /api/ready 200      {found.get('ready', float('nan')):6.2f} s")
    print(f"  start -> first results drawn {found['first']:6.2f} s  ({queries[0]!r})")
    ms = sorted(1000 * t for t in times)
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    print(f"  Enter -> results drawn: median {statistics.median(ms):.0f} ms, p95 {p95:.0f} ms, max {ms[-1]:.0f} ms")


def big_video(path: Path, seconds: int, mbps: int) -> None:
    """Noisy 720p test pattern with a tone, `seconds` long at about `mbps` Mbit/s (noise keeps the
    encoder from making it small)."""
    subprocess.run(
        [
            ffmpeg(),
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            f"testsrc2=size=1280x720:rate=25:duration={seconds}",
            "-f",
            "lavfi",
            "-i",
            f"sine=frequency=440:duration={seconds}",
            "-vf",
            "noise=alls=40:allf=t+u",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-b:v",
            f"{mbps}M",
            "-maxrate",
            f"{mbps}M",
            "-bufsize",
            f"{mbps}M",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-shortest",
            str(path),
        ],
        check=True,
    )


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def memory(video: Path, play_seconds: float, scratch: Path) -> None:
    from selenium.webdriver.common.by import By

    index = scratch / "big-index"
    settings = Settings(modalities=("speech",), offline=True)
    began = time.monotonic()
    report = index_paths([video], index, settings, models=Models(speech=ScriptedSpeech([(2.0, 6.0, SAID)])))
    if report.indexed != (video,):
        raise SystemExit(f"indexing {video} failed: {report}")
    print(f"indexed {video} ({video.stat().st_size / 1e9:.2f} GB) in {time.monotonic() - began:.0f} s")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    driver = chrome()
    try:
        with page_server(index, port, scratch / "memory.log"):
            open_page(driver, url)
            ask(driver, "red car at night")
            (announced,) = (index / "serving").glob("*.json")
            pid = int(json.loads(announced.read_text())["pid"])
            time.sleep(2)
            before = rss_mb(pid)
            driver.find_element(By.CSS_SELECTOR, ".st-key-open-0 button").click()
            playing = VIEW + "const v = root && root.querySelector('video'); return v ? v.currentTime : -1"
            until(driver, lambda d: d.execute_script(playing) > 1.0, 60, 0.1)
            duration = driver.execute_script(VIEW + "return root.querySelector('video').duration")
            pictures = VIEW + "return [...root.querySelectorAll('.vs-shot img')].every(i => i.complete)"
            until(driver, lambda d: d.execute_script(pictures), 60, 0.1)
            opened = rss_mb(pid)
            samples, marks = [], iter((0.2, 0.4, 0.6, 0.8))
            start, seek_every = time.monotonic(), play_seconds / 5
            next_seek = start + seek_every
            while time.monotonic() - start < play_seconds:
                samples.append(rss_mb(pid))
                if time.monotonic() >= next_seek:
                    share = next(marks, None)
                    if share is not None:
                        driver.execute_script(VIEW + f"root.querySelector('video').currentTime = {share * duration}")
                    next_seek += seek_every
                time.sleep(0.25)
            position = driver.execute_script(playing)
    finally:
        driver.quit()
    size = video.stat().st_size / 1e6
    print(f"  server RSS before opening {before:.0f} MB; the view and its shots' pictures drawn {opened:.0f} MB")
    print(f"  playing {play_seconds:.0f} s, seeking to 20-80 %: peak {max(samples):.0f} MB, last {samples[-1]:.0f} MB")
    print(f"  (+{max(samples) - opened:.0f} MB over the drawn view at peak; the file is {size:.0f} MB)")
    print(f"  player at {position:.1f} s of {duration:.1f} s at the end")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, default=ROOT / "data" / "eval-index" / "test")
    parser.add_argument("--queries", type=Path, default=ROOT / "data" / "eval" / "test" / "queries.jsonl")
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--big-video", type=Path)
    parser.add_argument("--big-seconds", type=int, default=120)
    parser.add_argument("--big-mbps", type=int, default=64)
    parser.add_argument("--play-seconds", type=float, default=30.0)
    parser.add_argument("--skip-latency", action="store_true")
    parser.add_argument("--skip-memory", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-page-") as folder:
        scratch = Path(folder)
        if not args.skip_latency:
            lines = [json.loads(line) for line in args.queries.read_text().splitlines() if line.strip()]
            queries = list(dict.fromkeys(line["query"] for line in lines))[: args.count + 1]
            latency(args.index, queries, scratch)
        if not args.skip_memory:
            video = args.big_video
            if video is None:
                video = scratch / "big.mp4"
                began = time.monotonic()
                big_video(video, args.big_seconds, args.big_mbps)
                print(f"made {video} in {time.monotonic() - began:.0f} s")
            memory(video, args.play_seconds, scratch)


if __name__ == "__main__":
    main()
