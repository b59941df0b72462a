"""The search page. AppTest runs ui/app.py in this process (no browser, no mounted API); one
end-to-end test (marked `browser`) starts it as `vidsearch ui` does (ui/serve.py: the page and the
API at /api in one process) and drives headless Chromium through Selenium.

The index of most tests is real: a short video with captions drawn on screen, indexed for
on-screen text with PP-OCR and MiniLM from the offline packages, so the page loads and runs the
real models. Those about grouping, loading and the forms use fake models and a stubbed search."""

from __future__ import annotations

import json
import logging
import os
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
from indexer.types import Modality
from search.engine import VideoSearch
from search.store import Store
from search.types import Evidence, Hit, LoadState, Readiness, VideoRecord
from tests.fakes import fake_models
from tests.media import Caption, captioned_video, font
from tests.streams import HeardTones, Tone, mux, tones_wav
from vidsearch import page as launch
from vidsearch.library import index_paths
from vidsearch.settings import Settings

log = logging.getLogger(__name__)

APP = Path(__file__).resolve().parent.parent / "ui" / "app.py"
SERVE = APP.with_name("serve.py")
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


def search(app: Any, query: str) -> Any:
    """Type `query` and press Search (the box is in a form: Enter or the button searches)."""
    app.text_input(key="query").input(query)
    return app.button(key="search").click().run()


def view_data(app: Any) -> dict[str, Any] | None:
    """The data the video view was drawn with, None when no video is open."""
    found = [e.proto for e in app.get("bidi_component") if e.proto.component_name == "vidsearch_video_view"]
    return json.loads(found[0].json) if found else None


def unescaped(markdown: str) -> str:
    return markdown.replace("\\", "")


# --- AppTest: the page without a browser ---------------------------------------------------------


@pytest.mark.models
@pytest.mark.slow
def test_the_sidebar_says_what_is_searchable_in_a_line_and_models_below(
    library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = page(monkeypatch, library.directory)
    captions = [unescaped(c) for c in texts(app.sidebar.caption)]
    assert captions[0] == "Searchable: on-screen text — 1 video, 9 s", captions
    assert not app.sidebar.metric, "counts read as faults (Keyframes 0)"
    (models,) = app.sidebar.expander
    assert "rapidocr" in " ".join(texts(models.markdown)) and "all-MiniLM-L6-v2" in " ".join(texts(models.markdown))
    assert not app.error, texts(app.error)
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
    assert not app.error, texts(app.error)
    assert len(app.info) == 1 and "has no videos yet" in app.info[0].value


@pytest.mark.models
@pytest.mark.slow
def test_a_query_finds_opens_and_extends_the_moment(library: Library, monkeypatch: pytest.MonkeyPatch) -> None:
    app = search(page(monkeypatch, library.directory), QUERY)
    assert not app.error and not app.exception, texts(app.error)
    start, end = moment_range(texts(app.main.markdown), library.video.name)
    assert start == pytest.approx(CAPTIONS[0].start, abs=1.01) and end == pytest.approx(CAPTIONS[0].end, abs=1.01)
    assert any(":orange-background[**HARBOUR**]" in m for m in texts(app.main.markdown)), "matched words not marked"
    assert texts(app.caption)[0].startswith("1 moment in 1 video · ")
    assert view_data(app) is None

    app.button(key="open-0").click().run()
    data = view_data(app)
    assert data is not None and not app.error, texts(app.error)
    assert data["seek"]["time"] == pytest.approx(start, abs=1.01) and data["duration"] == pytest.approx(9.0, abs=0.1)
    assert data["stream"].startswith(f"/api/videos/{data['key']}/stream?expires=")
    lanes = {lane["modality"]: lane["marks"] for lane in data["lanes"]}
    assert [round(m["start"]) for m in lanes["ocr"]] == [round(CAPTIONS[0].start)], lanes
    assert any("HARBOUR PILOTS BRIEFING" in line["text"] for line in data["transcript"])
    assert "HARBOUR" in {w.upper() for w in data["words"]}
    assert not app.get("video"), "the page never reads the video into memory (st.video)"

    app.button(key="like-0").click().run()
    assert not app.error and texts(app.subheader)[0].startswith("Moments like captions"), texts(app.error)
    app.button(key="close-view").click().run()
    assert view_data(app) is None


@pytest.mark.models
@pytest.mark.slow
def test_a_query_about_nothing_says_no_matching_moments(library: Library, monkeypatch: pytest.MonkeyPatch) -> None:
    app = search(page(monkeypatch, library.directory), "a recipe for chocolate cake")
    assert "No matching moments" in texts(app.info) and not app.error and not app.main.markdown, texts(app.error)


@pytest.mark.models
@pytest.mark.slow
def test_a_deleted_video_is_a_message_not_a_traceback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    doomed = build(tmp_path, "doomed.mp4")
    doomed.video.unlink()
    app = search(page(monkeypatch, doomed.directory), QUERY)
    assert any("No preview" in i and "the file is gone" in i for i in texts(app.info)), texts(app.info)
    app.button(key="open-0").click().run()
    assert any(e.startswith("Cannot play") for e in texts(app.error)) and not app.exception
    assert view_data(app) is None


@pytest.mark.models
def test_a_recording_without_pictures_opens_in_an_audio_player(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sound = tones_wav(tmp_path / "memo.wav", 6.0, [Tone(3.0, 900)])
    memo = mux(tmp_path / "memo.mp3", ["-i", str(sound)])
    settings = Settings(modalities=("speech",), offline=True)
    report = index_paths([memo], tmp_path / "index", settings, models=Models(speech=HeardTones()))
    assert report.indexed == (memo,), report
    app = search(page(monkeypatch, tmp_path / "index"), "tone 900 hertz")
    assert any("sound only" in m for m in texts(app.main.markdown)) and not app.error, texts(app.error)
    app.button(key="open-0").click().run()
    data = view_data(app)
    assert data is not None and data["has_video"] is False and data["shots"] == []
    assert data["seek"]["time"] == pytest.approx(3.0, abs=0.5)


# --- AppTest with fake models: grouping, loading, forms --------------------------------------------


class Fake(NamedTuple):
    directory: Path
    videos: list[VideoRecord]


@pytest.fixture
def fake(tmp_path: Path, coloured: Path) -> Fake:
    """Two indexed copies of the coloured video (fake models); the page's searches are stubbed."""
    copies = [tmp_path / name for name in ("alpha.mp4", "beta.mp4")]
    for copy in copies:
        shutil.copy(coloured, copy)
    settings = Settings(modalities=("speech", "ocr"))
    sentences = ((0.5, 3.5, "The ships leave the harbour"), (8.0, 11.0, "Welcome to the harbour"))
    report = index_paths(copies, tmp_path / "index", settings, models=fake_models(sentences, ()))
    assert report.failed == ()
    with VideoSearch(tmp_path / "index") as engine:
        return Fake(tmp_path / "index", engine.videos())


READY = Readiness(LoadState.READY)


def stub(monkeypatch: pytest.MonkeyPatch, hits: list[Hit], state: Readiness = READY) -> list[str]:
    """Searches answer `hits` (the queries asked are returned); the models are in `state`."""
    asked: list[str] = []

    def answer(_engine: VideoSearch, text: str, *_args: Any, **_kwargs: Any) -> list[Hit]:
        asked.append(text)
        return hits

    monkeypatch.setattr(VideoSearch, "search", answer)
    monkeypatch.setattr(VideoSearch, "load_in_background", lambda _engine: None)
    monkeypatch.setattr(VideoSearch, "readiness", lambda _engine: state)
    monkeypatch.setattr(VideoSearch, "timeline", lambda *_args, **_kwargs: [])
    return asked


def said(video: VideoRecord, start: float, score: float) -> Hit:
    evidence = Evidence(Modality.SPEECH, score, start, start, start + 3, "the harbour", ("harbour",))
    return Hit(video.path, start, start + 3, score, (), (evidence,), video_id=video.id)


def test_results_are_grouped_by_video_best_first_with_a_count_and_the_time(
    fake: Fake, monkeypatch: pytest.MonkeyPatch
) -> None:
    alpha, beta = fake.videos
    stub(monkeypatch, [said(beta, 8.0, 0.9), said(alpha, 0.5, 0.7), said(beta, 0.5, 0.5)])
    app = search(page(monkeypatch, fake.directory), "harbour")
    assert not app.error and not app.exception, texts(app.error)
    assert re.fullmatch(r"3 moments in 2 videos · \d+\.\d\d s", texts(app.main.caption)[0]), texts(app.main.caption)
    cards = [m for m in texts(app.main.markdown) if m.startswith("**")]
    assert cards == ["**beta\\.mp4** · 00:08–00:11", "**alpha\\.mp4** · 00:00–00:03"]
    assert [e.label for e in app.main.expander if "more in this video" in e.label] == ["1 more in this video"]
    assert texts(app.main.caption)[1].startswith("strong match 0.90")

    app.button(key="open-0-1").click().run()
    data = view_data(app)
    assert data is not None and data["key"] == str(beta.id) and data["seek"]["time"] == 0.5
    assert [(m["start"], m["score"]) for m in data["lanes"][0]["marks"]] == [(8.0, 0.9), (0.5, 0.5)]


def test_while_models_load_the_page_says_so_and_a_search_still_runs(
    fake: Fake, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked = stub(monkeypatch, [said(fake.videos[0], 0.5, 0.7)], Readiness(LoadState.LOADING, seconds=3.2))
    app = page(monkeypatch, fake.directory)
    assert any(i.startswith("Loading models… 3 s") for i in texts(app.info)), texts(app.info)
    search(app, "harbour")
    assert asked == ["harbour"] and not app.error, texts(app.error)


def test_models_that_failed_are_one_error_line(fake: Fake, monkeypatch: pytest.MonkeyPatch) -> None:
    stub(monkeypatch, [], Readiness(LoadState.FAILED, "the sentence model is missing"))
    app = page(monkeypatch, fake.directory)
    assert texts(app.error) == ["The models cannot be loaded: the sentence model is missing"]
    assert not any(i.startswith("Loading models") for i in texts(app.info))


def test_a_failed_load_that_a_search_then_proves_wrong_leaves_no_error(
    fake: Fake, monkeypatch: pytest.MonkeyPatch
) -> None:
    failed = Readiness(LoadState.FAILED, "the cache was busy")
    asked = stub(monkeypatch, [said(fake.videos[0], 0.5, 0.7)], failed)
    app = page(monkeypatch, fake.directory)
    assert texts(app.error) == ["The models cannot be loaded: the cache was busy"]
    answered = iter([failed, READY, READY, READY])  # drawn before the search, asked again after it
    monkeypatch.setattr(VideoSearch, "readiness", lambda _engine: next(answered, READY))
    search(app, "harbour")
    assert asked == ["harbour"] and not app.error, texts(app.error)


def test_filters_and_the_moment_count_search_only_when_submitted(fake: Fake, monkeypatch: pytest.MonkeyPatch) -> None:
    asked = stub(monkeypatch, [said(fake.videos[0], 0.5, 0.7)])
    app = search(page(monkeypatch, fake.directory), "harbour")
    assert asked == ["harbour"]
    for step in range(1, 11):  # ten arrow-key steps of the slider, each a value the browser sends
        app.slider(key="durations").set_value((float(step), 12.0)).run()
    app.selectbox(key="k").set_value(24).run()
    assert asked == ["harbour"], "a filter searched before it was applied"
    app.slider(key="durations").set_value((10.0, 12.0))
    app.button(key="FormSubmitter:filters-Apply filters").click().run()
    assert asked == ["harbour", "harbour"]


# --- Helpers of the page and of the launcher -----------------------------------------------------
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
    from ui.library import index_dir

    monkeypatch.setenv(launch.INDEX_ENV, "/from/env")
    assert index_dir(["--index", "/from/argv"]) == Path("/from/argv")
    assert index_dir([]) == Path("/from/env")
    monkeypatch.delenv(launch.INDEX_ENV)
    assert index_dir(["--index"]) is None


def test_scores_and_lengths_are_said_in_words() -> None:
    from ui.app import hours_text, score_words

    assert [score_words(s) for s in (0.93, 0.64, 0.45, 0.2)] == [
        "strong match 0.93",
        "good match 0.64",
        "fair match 0.45",
        "weak match 0.20",
    ]
    assert [hours_text(h) for h in (9 / 3600, 0.69, 1.34)] == ["9 s", "41 min", "1.3 h"]


def test_launch_runs_streamlit_on_the_server_with_the_index(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    started: dict[str, Any] = {}

    class Server:
        def __init__(self, args: list[str], env: dict[str, str]) -> None:
            started.update(args=args, env=env)

        def wait(self, timeout: float | None = None) -> int:
            return 3

    monkeypatch.setattr(launch.subprocess, "Popen", Server)
    assert launch.run(tmp_path, port=8765, host="0.0.0.0", headless=False) == 3
    args = started["args"]
    assert args[:5] == [sys.executable, "-m", "streamlit", "run", str(SERVE)]
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


VIEW = (
    "const root = [...document.querySelectorAll('[data-testid=stBidiComponentIsolated]')]"
    ".map(e => e.shadowRoot).find(r => r && r.querySelector('.vs-view'));"
)
"""JavaScript: `root`, the video view's shadow root (undefined while no video is open)."""


def screenshots(tmp_path: Path) -> Path:
    """Where the browser test saves its screenshots: $VIDSEARCH_SCREENSHOTS, else the test's folder."""
    folder = Path(os.environ.get("VIDSEARCH_SCREENSHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.mark.browser
@pytest.mark.models
@pytest.mark.slow
def test_a_browser_finds_opens_and_seeks_the_moment_by_mouse_and_keyboard(
    browser: tuple[str, str], server: str, driver: Any, library: Library, tmp_path: Path
) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    shots = screenshots(tmp_path)
    driver.get(server)
    box = WebDriverWait(driver, 30).until(lambda d: d.find_element(By.CSS_SELECTOR, 'input[aria-label="Search"]'))
    driver.find_element(By.TAG_NAME, "body").send_keys("/")
    WebDriverWait(driver, 5).until(lambda d: d.switch_to.active_element == box)
    box.send_keys(QUERY + Keys.ENTER)
    card = f"{library.video.name} · "
    text = WebDriverWait(driver, 60).until(
        lambda d: all(w in (t := d.find_element(By.TAG_NAME, "main").text) for w in (card, "More like this")) and t
    )
    moment = RANGE.match(text[text.index(card) + len(card) :])
    assert moment is not None, text
    start = int(moment[1]) * 60 + int(moment[2])
    assert start == pytest.approx(CAPTIONS[0].start, abs=1.01) and "HARBOUR" in text
    counted = re.search(r"1 moment in 1 video · \d+\.\d\d s", text)
    assert counted is not None, text
    driver.save_screenshot(str(shots / "results.png"))

    # Ten arrow-key steps on a filter's slider search nothing (the filters are a form).
    thumb = driver.find_element(By.CSS_SELECTOR, '[data-testid="stSlider"] input[type="range"]')
    driver.execute_script("arguments[0].focus()", thumb)
    for _ in range(10):
        ActionChains(driver).send_keys(Keys.ARROW_RIGHT).perform()
    moved = str(min(10, int(thumb.get_attribute("max"))))
    WebDriverWait(driver, 5).until(lambda d: thumb.get_attribute("value") == moved)
    time.sleep(2)
    assert counted.group() in driver.find_element(By.TAG_NAME, "main").text, "a slider step searched again"

    # Keys: from the search box, ArrowDown selects the first result, Enter opens it.
    box.click()
    box.send_keys(Keys.ARROW_DOWN)
    selected = "return (document.getElementById('vidsearch-keys') || {}).textContent || ''"
    WebDriverWait(driver, 5).until(lambda d: "st-key-result-0" in d.execute_script(selected))
    driver.switch_to.active_element.send_keys(Keys.ENTER)
    ready = VIEW + "const v = root && root.querySelector('video'); return v && v.readyState >= 1 ? v.currentTime : -1"
    WebDriverWait(driver, 30).until(lambda d: d.execute_script(ready) >= 0)
    source = driver.execute_script(VIEW + "return root.querySelector('video').getAttribute('src')")
    assert source.startswith("/api/videos/") and "signature=" in source, source
    WebDriverWait(driver, 10).until(lambda d: abs(d.execute_script(ready) - start) < 1.5)

    duration = driver.execute_script(VIEW + "return root.querySelector('video').duration")
    left = driver.execute_script(VIEW + "return root.querySelector('.vs-lane[data-modality=ocr] .vs-mark').style.left")
    assert float(left.rstrip("%")) == pytest.approx(100 * CAPTIONS[0].start / duration, abs=100 * 1.0 / duration)
    driver.save_screenshot(str(shots / "video.png"))

    gate = VIEW + "return [...root.querySelectorAll('.vs-line')].find(l => l.textContent.includes('B12'))"
    line = WebDriverWait(driver, 5).until(lambda d: d.execute_script(gate))
    line.click()
    WebDriverWait(driver, 10).until(lambda d: abs(d.execute_script(ready) - CAPTIONS[1].start) < 1.0)
    now = VIEW + "return root.querySelector('.vs-line.vs-now').textContent"
    WebDriverWait(driver, 5).until(lambda d: "B12" in d.execute_script(now))
    driver.execute_script(VIEW + "root.querySelector('video').pause()")
    driver.save_screenshot(str(shots / "transcript-seek.png"))

    driver.find_element(By.TAG_NAME, "body").send_keys("j")
    WebDriverWait(driver, 5).until(lambda d: d.execute_script(ready) < 1.0)
    driver.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)
    WebDriverWait(driver, 10).until(lambda d: d.execute_script(VIEW + "return !root"))
    log.info(
        "screenshots of the page: %s",
        ", ".join(str(shots / n) for n in ("results.png", "video.png", "transcript-seek.png")),
    )
