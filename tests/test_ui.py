"""The search page. AppTest runs ui/app.py in this process (no browser); one end-to-end test
(marked `browser`) starts it as `vidsearch ui` does and drives headless Chromium through Selenium.

The index is real: a short video with captions drawn on screen, indexed for on-screen text with
PP-OCR and MiniLM from the offline packages, so the page loads and runs the real models."""

from __future__ import annotations

import logging
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from indexer.pipeline import Models
from search.store import Store
from search.types import VideoRecord
from tests.media import Caption, captioned_video, font
from tests.streams import HeardTones, Tone, mux, tones_wav
from vidsearch import page as launch
from vidsearch.library import index_paths
from vidsearch.settings import Settings

log = logging.getLogger(__name__)

APP = Path(__file__).resolve().parent.parent / "ui" / "app.py"
CAPTIONS = (
    Caption("HARBOUR PILOTS BRIEFING", 1.0, 4.0, 36, "40", "40"),
    Caption("Gate B12 closed", 5.0, 8.0, 30, "(w-tw)/2", "(h-th)/2"),
)
QUERY = "harbour pilots briefing"
RANGE = re.compile(r"(\d\d):(\d\d)–(\d\d):(\d\d)")
CHROMIUM = ("/usr/bin/chromium", "chromium", "chromium-browser")
CHROMEDRIVER = ("/usr/bin/chromedriver", "chromedriver")


class Library(NamedTuple):
    video: Path
    directory: Path


def build(folder: Path, name: str = "captions.mp4") -> Library:
    """A 9 s video with CAPTIONS, indexed for on-screen text with the real offline models."""
    fontfile = font()
    if fontfile is None:
        pytest.skip("no TrueType font for ffmpeg drawtext (install fonts-dejavu-core)")
    video = folder / name
    captioned_video(video, 9.0, CAPTIONS, fontfile)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("HF_HUB_OFFLINE", "1")
        report = index_paths([video], folder / "index", Settings(modalities=("ocr",), offline=True))
    assert report.indexed == (video,), report
    return Library(video, folder / "index")


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Library:
    return build(tmp_path_factory.mktemp("ui"))


def page(monkeypatch: pytest.MonkeyPatch, index: Path | None) -> Any:
    """The page, run once against `index` (None: no index given)."""
    from streamlit.testing.v1 import AppTest

    if index is None:
        monkeypatch.delenv(launch.INDEX_ENV, raising=False)
    else:
        monkeypatch.setenv(launch.INDEX_ENV, str(index))
    app = AppTest.from_file(str(APP), default_timeout=90)
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def texts(elements: Any) -> list[str]:
    return [str(e.value) for e in elements]


def moment_range(markdown: list[str], name: str) -> tuple[int, int]:
    """(start, end) seconds of the first moment of file `name` in the page's Markdown."""
    escaped = name.replace("_", "\\_").replace(".", "\\.")
    line = next((m for m in markdown if m.startswith(f"**{escaped}**")), None)
    assert line is not None, f"no moment of {name} in {markdown}"
    found = RANGE.search(line)
    assert found is not None, line
    a, b, c, d = (int(g) for g in found.groups())
    return a * 60 + b, c * 60 + d


# --- AppTest: the page without a browser ---------------------------------------------------------


@pytest.mark.models
@pytest.mark.slow
def test_the_overview_shows_the_index_and_its_models(library: Library, monkeypatch: pytest.MonkeyPatch) -> None:
    app = page(monkeypatch, library.directory)
    metrics = {m.label: m.value for m in app.sidebar.metric}
    assert metrics["Videos"] == "1" and int(metrics["Segments"]) >= 1 and metrics["Keyframes"] == "0"
    models = " ".join(texts(app.sidebar.markdown))
    assert "rapidocr" in models and "all-MiniLM-L6-v2" in models
    assert not app.error
    assert any("Search by image needs the visual modality" in i for i in texts(app.info))


def test_no_index_is_one_error_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = page(monkeypatch, tmp_path / "nowhere")
    assert len(app.error) == 1 and app.error[0].value.startswith(f"no index at {tmp_path / 'nowhere'}")
    assert "vidsearch index" in app.error[0].value


def test_no_index_given_says_how_to_give_one(monkeypatch: pytest.MonkeyPatch) -> None:
    app = page(monkeypatch, None)
    assert len(app.error) == 1 and "vidsearch ui --index DIR" in app.error[0].value


def test_an_empty_index_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    Store.open(tmp_path / "empty", create=True).close()
    app = page(monkeypatch, tmp_path / "empty")
    assert not app.error
    assert len(app.info) == 1 and "has no videos yet" in app.info[0].value


@pytest.mark.models
@pytest.mark.slow
def test_a_query_finds_plays_and_extends_the_moment(library: Library, monkeypatch: pytest.MonkeyPatch) -> None:
    app = page(monkeypatch, library.directory)
    app.text_input(key="query").input(QUERY).run()
    assert not app.error and not app.exception
    start, end = moment_range(texts(app.main.markdown), library.video.name)
    assert start == pytest.approx(CAPTIONS[0].start, abs=1.01) and end == pytest.approx(CAPTIONS[0].end, abs=1.01)
    assert any(":orange-background[**HARBOUR**]" in m for m in texts(app.main.markdown)), "matched words not marked"

    app.button(key="play-0").click().run()
    videos = app.get("video")
    assert len(videos) == 1 and videos[0].proto.start_time == start

    app.button(key="like-0").click().run()
    assert not app.error and texts(app.subheader)[0].startswith("Moments like captions")


@pytest.mark.models
@pytest.mark.slow
def test_a_query_about_nothing_says_no_matching_moments(library: Library, monkeypatch: pytest.MonkeyPatch) -> None:
    app = page(monkeypatch, library.directory)
    app.text_input(key="query").input("a recipe for chocolate cake").run()
    assert "No matching moments" in texts(app.info) and not app.error and not app.main.markdown


@pytest.mark.models
@pytest.mark.slow
def test_a_deleted_video_is_a_message_not_a_traceback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    doomed = build(tmp_path, "doomed.mp4")
    doomed.video.unlink()
    app = page(monkeypatch, doomed.directory)
    app.text_input(key="query").input(QUERY).run()
    assert any("No preview" in i and "the file is gone" in i for i in texts(app.info)), texts(app.info)
    app.button(key="play-0").click().run()
    assert any(e.startswith("Cannot play") for e in texts(app.error)) and not app.exception
    assert not app.get("video")


@pytest.mark.models
def test_a_recording_without_pictures_plays_in_an_audio_player(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sound = tones_wav(tmp_path / "memo.wav", 6.0, [Tone(3.0, 900)])
    memo = mux(tmp_path / "memo.mp3", ["-i", str(sound)])
    settings = Settings(modalities=("speech",), offline=True)
    report = index_paths([memo], tmp_path / "index", settings, models=Models(speech=HeardTones()))
    assert report.indexed == (memo,), report
    app = page(monkeypatch, tmp_path / "index")
    app.text_input(key="query").input("tone 900 hertz").run()
    assert any("sound only" in m for m in texts(app.main.markdown)) and not app.error
    app.button(key="play-0").click().run()
    (player,) = app.get("audio")
    assert player.proto.start_time == 3 and not app.get("video")


# --- Helpers of the page and of the launcher -----------------------------------------------------


def test_matched_words_are_marked_and_markdown_is_escaped() -> None:
    from ui.app import highlight, md

    assert highlight("Welcome to the harbour.", ("Welcome", "harbour")) == (
        ":orange-background[**Welcome**] to the :orange-background[**harbour**]\\."
    )
    assert highlight("MEETTHEHARBOURPILOTS", ("harbour",)) == "MEETTHE:orange-background[**HARBOUR**]PILOTS"
    assert highlight("a barbour harbour", ("harbour",)).count("orange") == 1
    assert md("costs $5 *now* [link](x) :red[no]") == "costs \\$5 \\*now\\* \\[link\\]\\(x\\) \\:red\\[no\\]"


def test_folders_to_filter_by_are_those_below_the_common_one() -> None:
    from ui.app import folders

    def video(path: str) -> VideoRecord:
        return VideoRecord(1, Path(path), "", 0, 0.0, 10.0, 25.0, 320, 240)

    assert folders([video("/lib/a.mp4"), video("/lib/b.mp4")]) == []
    assert folders([video("/lib/trips/x.mp4"), video("/lib/talks/2024/y.mp4")]) == [
        Path("/lib/talks"),
        Path("/lib/talks/2024"),
        Path("/lib/trips"),
    ]


def test_the_index_comes_from_the_command_line_or_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from ui.app import index_dir

    monkeypatch.setenv(launch.INDEX_ENV, "/from/env")
    assert index_dir(["--index", "/from/argv"]) == Path("/from/argv")
    assert index_dir([]) == Path("/from/env")
    monkeypatch.delenv(launch.INDEX_ENV)
    assert index_dir(["--index"]) is None


def test_launch_runs_streamlit_on_the_app_with_the_index(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    started: dict[str, Any] = {}

    class Server:
        def __init__(self, args: list[str], env: dict[str, str]) -> None:
            started.update(args=args, env=env)

        def wait(self, timeout: float | None = None) -> int:
            return 3

    monkeypatch.setattr(launch.subprocess, "Popen", Server)
    assert launch.run(tmp_path, port=8765, host="0.0.0.0", headless=False) == 3
    args = started["args"]
    assert args[:5] == [sys.executable, "-m", "streamlit", "run", str(APP)]
    options = dict(zip(args[5::2], args[6::2]))
    assert options["--server.port"] == "8765" and options["--server.address"] == "0.0.0.0"
    assert options["--server.headless"] == "false" and options["--browser.gatherUsageStats"] == "false"
    assert started["env"][launch.INDEX_ENV] == str(tmp_path.absolute())


def test_stop_ends_a_server() -> None:
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    began = time.monotonic()
    assert launch.stop(process) != 0 and time.monotonic() - began < launch.STOP_SECONDS


# --- End to end, in a real browser -----------------------------------------------------------------


def executable(names: tuple[str, ...]) -> str | None:
    """The first of `names` (absolute paths, or names looked up on PATH) that exists."""
    for name in names:
        path = name if Path(name).is_absolute() else shutil.which(name)
        if path and Path(path).is_file():
            return path
    return None


@pytest.fixture(scope="module")
def browser() -> tuple[str, str]:
    """(chromium, chromedriver) as installed; skips, before any index is built, when they or
    selenium are missing (no browser is ever downloaded)."""
    pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install selenium)")
    chromium, chromedriver = executable(CHROMIUM), executable(CHROMEDRIVER)
    if chromium is None or chromedriver is None:
        pytest.skip("chromium or chromedriver is missing (apt-get install chromium chromium-driver)")
    return chromium, chromedriver


@pytest.fixture
def driver(browser: tuple[str, str]) -> Iterator[Any]:
    """Headless Chromium driven by Selenium."""
    from selenium import webdriver

    options = webdriver.ChromeOptions()
    options.binary_location = browser[0]
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000"):
        options.add_argument(argument)
    options.add_argument("--autoplay-policy=no-user-gesture-required")
    options.add_argument("--mute-audio")
    chrome = webdriver.Chrome(service=webdriver.ChromeService(browser[1]), options=options)
    try:
        yield chrome
    finally:
        chrome.quit()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_healthy(url: str, process: subprocess.Popen[bytes], output: Path, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the page exited with {process.returncode}:\n{output.read_text(errors='replace')[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as answer:
                if answer.read().strip() == b"ok":
                    return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"the page was not healthy within {seconds:.0f} s:\n{output.read_text(errors='replace')[-3000:]}")


@pytest.fixture
def server(library: Library, tmp_path: Path) -> Iterator[str]:
    """The page served as `vidsearch ui --index` serves it, on a free loopback port."""
    port, output = free_port(), tmp_path / "streamlit.log"
    with output.open("wb") as sink:
        process = subprocess.Popen(
            launch.command(port), env=launch.environment(library.directory), stdout=sink, stderr=subprocess.STDOUT
        )
        try:
            url = f"http://127.0.0.1:{port}"
            wait_healthy(url, process, output)
            yield url
        finally:
            launch.stop(process)


@pytest.mark.browser
@pytest.mark.models
@pytest.mark.slow
def test_a_browser_finds_the_moment_and_plays_it_from_its_start(
    browser: tuple[str, str], server: str, driver: Any, library: Library, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(server)
    box = WebDriverWait(driver, 30).until(lambda d: d.find_element(By.CSS_SELECTOR, 'input[aria-label="Search"]'))
    box.send_keys(QUERY + Keys.ENTER)
    card = f"{library.video.name} · "
    done = (card, "More like this")  # the card is drawn in full
    text = WebDriverWait(driver, 60).until(
        lambda d: all(w in (t := d.find_element(By.TAG_NAME, "main").text) for w in done) and t
    )
    moment = RANGE.match(text[text.index(card) + len(card) :])
    assert moment is not None, text
    start = int(moment[1]) * 60 + int(moment[2])
    assert start == pytest.approx(CAPTIONS[0].start, abs=1.01) and "HARBOUR" in text
    driver.save_screenshot(str(tmp_path / "results.png"))

    driver.find_element(By.XPATH, "//button[contains(., 'Play')]").click()
    video = WebDriverWait(driver, 20).until(lambda d: d.find_element(By.TAG_NAME, "video"))
    assert "/media/" in video.get_attribute("src")
    played = "return arguments[0].readyState >= 1 ? arguments[0].currentTime : -1"
    WebDriverWait(driver, 20).until(lambda d: d.execute_script(played, video) >= start)
    screenshot = tmp_path / "playing.png"
    driver.save_screenshot(str(screenshot))
    log.info("screenshots of the page: %s, %s", tmp_path / "results.png", screenshot)
