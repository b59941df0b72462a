"""The video view of the page (ui/view.py and ui/video_view.js): its data, and the component
itself in headless Chromium, outside Streamlit (a page that imports the module and gives it the
data), so the timeline, the transcript's seeking, the keys and the escaping are checked without
models or a Streamlit server."""

from __future__ import annotations

import json
import re
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from indexer.types import Modality
from search import VideoSearch
from search.types import Evidence, Hit
from tests.conftest import ColourTexts
from tests.fakes import HashedWords, fake_models
from tests.test_multimodal import ALL, SOUNDS
from tests.test_ui import browser, driver, free_port  # noqa: F401  (the Chromium fixtures)
from ui import view
from vidsearch.library import index_paths

UI = Path(__file__).resolve().parent.parent / "ui"
EVIL = '</script><img src=x onerror="window.pwned=1">“quoted” & <b>bold</b>'
SAID = (
    (0.5, 3.5, "The bank raised interest rates"),
    (4.5, 6.5, EVIL),
    (8.0, 11.0, "The ships leave the harbour at dawn"),
)
CHAPTERS = ((0.0, 4.0, "Interest rates"), (4.0, 7.5, EVIL), (7.5, 12.0, "Harbour at dawn"))
SUBTITLES = """WEBVTT

00:00:00.500 --> 00:00:03.500
The bank raised interest rates

00:00:08.000 --> 00:00:11.000
The ships leave the harbour at dawn
"""


def sign(path: str) -> str:
    return f"/api{path}?expires=1&signature=ab"


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory, coloured: Path) -> Iterator[VideoSearch]:
    index = tmp_path_factory.mktemp("view") / "index"
    assert index_paths([coloured], index, ALL, models=fake_models(SAID, SOUNDS)).failed == ()
    with VideoSearch(index, ALL, texts=ColourTexts(), sentences=HashedWords()) as found:  # type: ignore[arg-type]
        yield found


def test_the_view_data_carries_the_index_text_as_data(engine: VideoSearch) -> None:
    video = engine.videos()[0]
    said = Evidence(Modality.SPEECH, 0.7, 8.0, 8.0, 11.0, "x", ("harbour",))
    hit = Hit(video.path, 8.0, 11.0, 0.7, (), (said,), video_id=video.id)
    opened = view.opened_from(hit, 3, "ships in the harbour", tuple(Modality), [])
    assert opened is not None and opened.words == ("harbour",) and opened.moments == ((8.0, 11.0, 0.7),)
    data, notes = view.payload(engine, opened, sign)
    assert notes == []
    assert json.loads(json.dumps(data)) == data
    assert data["seek"] == {"time": 8.0, "n": 3} and data["duration"] == pytest.approx(12.0, abs=0.1)
    assert data["stream"] == f"/api/videos/{video.id}/stream?expires=1&signature=ab"
    said = [line["text"] for line in data["transcript"] if line["modality"] == "speech"]
    assert said == [text for _, _, text in SAID], "the transcript is the text itself, unescaped data"
    lanes = {lane["modality"]: lane for lane in data["lanes"]}
    assert list(lanes) == ["moments", "visual", "speech", "ocr", "audio"]
    assert [(m["start"], m["end"]) for m in lanes["speech"]["marks"]][:1] == [(8.0, 11.0)]
    assert [shot["start"] for shot in data["shots"]] == [0.0, 4.0, 7.0]
    assert all(
        re.fullmatch(r"/api/segments/\d+/thumbnail\?expires=1&signature=ab&size=\d+", s["thumbnail"])
        for s in data["shots"]
    )


def test_a_hit_without_a_video_id_cannot_be_opened() -> None:
    assert view.opened_from(Hit(Path("/v.mp4"), 0.0, 1.0, 0.5, (), ()), 1, "", (), []) is None


def test_the_components_never_parse_text_as_html() -> None:
    for script in ("video_view.js", "keys.js"):
        code = (UI / script).read_text()
        assert not re.search(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(", code), script


# --- The component in Chromium ---------------------------------------------------------------------

HARNESS = """<!doctype html><html><body style="width:1200px"><div id="host"></div>
<script type="module">
import view from "./video_view.js";
const host = document.getElementById("host").attachShadow({ mode: "open" });
const style = document.createElement("style");
style.textContent = await (await fetch("video_view.css")).text();
host.append(style);
window.host = host;
window.render = (data) => view({ data, parentElement: host });
window.ready = true;
</script></body></html>"""


@pytest.fixture
def harness(tmp_path: Path, coloured: Path) -> Iterator[str]:
    """The component's files, a page that mounts it, and a 12 s video, served over loopback with
    HTTP ranges (as the API serves streams: a player seeks by them)."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.routing import Mount
    from starlette.staticfiles import StaticFiles

    for name in ("video_view.js", "video_view.css"):
        shutil.copy(UI / name, tmp_path / name)
    shutil.copy(coloured, tmp_path / "video.mp4")
    (tmp_path / "subtitles.vtt").write_text(SUBTITLES)
    (tmp_path / "index.html").write_text(HARNESS)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            Starlette(routes=[Mount("/", StaticFiles(directory=tmp_path))]), "127.0.0.1", port, log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started and thread.is_alive():
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}/index.html"
    finally:
        server.should_exit = True
        thread.join(10)


def data(n: int, start: float) -> dict[str, Any]:
    """View data as ui/view.py makes it, for the 12 s video of the harness."""
    return {
        "key": "1",
        "seek": {"time": start, "n": n},
        "title": "video.mp4",
        "duration": 12.0,
        "has_video": True,
        "stream": "video.mp4",
        "subtitles": "subtitles.vtt?expires=1&signature=ab",
        "language": "en",
        "words": ["harbour"],
        "lanes": [
            {"modality": "moments", "label": "results", "marks": [{"start": 8.0, "end": 11.0, "score": 0.7}]},
            {
                "modality": "speech",
                "label": "speech",
                "marks": [{"start": 8.0, "end": 11.0, "score": 0.7, "text": "x"}],
            },
            {"modality": "ocr", "label": "on-screen text", "marks": []},
        ],
        "chapters": [{"start": a, "end": b, "title": t, "source": "speech"} for a, b, t in CHAPTERS],
        "summary": {
            "languages": ["en", "fr"],
            "items": [
                {"kind": "speech", "label": "said", "start": 0.5, "end": 3.5, "text": SAID[0][2]},
                {"kind": "screen", "label": "screen", "start": 4.2, "end": 6.0, "text": EVIL},
                {"kind": "sound", "label": "sound", "start": 9.0, "end": 10.0, "text": "Applause"},
            ],
        },
        "panels": [{"modality": "speech", "label": "speech"}],
        "transcript": [{"modality": "speech", "kind": "said", "start": s, "end": e, "text": t} for s, e, t in SAID],
        "shots": [],
    }


@pytest.mark.browser
def test_the_view_marks_seeks_follows_and_escapes_in_chromium(harness: str, driver: Any) -> None:  # noqa: F811
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(harness)
    WebDriverWait(driver, 20).until(lambda d: d.execute_script("return window.ready === true"))
    driver.execute_script("window.render(arguments[0])", data(1, 2.0))
    time_of = "return window.host.querySelector('video').currentTime"
    loaded = "return window.host.querySelector('video').readyState >= 1"
    WebDriverWait(driver, 20).until(lambda d: d.execute_script(loaded))
    WebDriverWait(driver, 10).until(lambda d: abs(d.execute_script(time_of) - 2.0) < 1.0)

    left = driver.execute_script(
        "return window.host.querySelector('.vs-lane[data-modality=speech] .vs-mark').style.left"
    )
    assert float(left.rstrip("%")) == pytest.approx(100 * 8.0 / 12.0, abs=0.01)

    shown = driver.execute_script(
        "return [...window.host.querySelectorAll('.vs-line .vs-text')].map(e => e.textContent)"
    )
    assert shown == [text for _, _, text in SAID]
    assert driver.execute_script("return window.host.querySelectorAll('img, b').length") == 0
    assert driver.execute_script("return window.pwned === undefined")
    marked = driver.execute_script("return [...window.host.querySelectorAll('.vs-line mark')].map(e => e.textContent)")
    assert marked == ["harbour"]

    driver.execute_script("window.host.querySelectorAll('.vs-line')[2].click()")
    WebDriverWait(driver, 10).until(lambda d: abs(d.execute_script(time_of) - 8.0) < 1.0)
    current = "return window.host.querySelector('.vs-line.vs-now .vs-text').textContent"
    WebDriverWait(driver, 5).until(lambda d: d.execute_script(current) == SAID[2][2])

    driver.execute_script("window.host.querySelector('video').pause()")
    body = driver.find_element("tag name", "body")
    before = driver.execute_script(time_of)
    body.send_keys("j")
    WebDriverWait(driver, 5).until(lambda d: d.execute_script(time_of) == pytest.approx(max(0.0, before - 10), abs=0.5))
    body.send_keys(Keys.ARROW_RIGHT)
    WebDriverWait(driver, 5).until(
        lambda d: d.execute_script(time_of) == pytest.approx(max(0.0, before - 10) + 5, abs=0.5)
    )

    player = driver.execute_script("return window.host.querySelector('video')")
    driver.execute_script("window.render(arguments[0])", data(2, 4.5))
    WebDriverWait(driver, 10).until(lambda d: abs(d.execute_script(time_of) - 4.5) < 1.0)
    assert driver.execute_script("return window.host.querySelector('video')") == player, "reopening rebuilt the player"


@pytest.mark.browser
def test_chapters_summary_and_subtitles_seek_and_follow_in_chromium(harness: str, driver: Any) -> None:  # noqa: F811
    from selenium.webdriver.support.ui import WebDriverWait

    def run(script: str) -> Any:
        return driver.execute_script(f"const root = window.host; {script}")

    driver.get(harness)
    WebDriverWait(driver, 20).until(lambda d: d.execute_script("return window.ready === true"))
    driver.execute_script("window.render(arguments[0])", data(1, 1.0))
    WebDriverWait(driver, 20).until(lambda d: run("return root.querySelector('video').readyState >= 1"))
    time_of = "return root.querySelector('video').currentTime"
    run("root.querySelector('video').pause()")

    track = "const t = root.querySelector('video > track');"
    assert run(f"{track} return [t.kind, t.getAttribute('src'), t.default, t.srclang, t.label]") == [
        "subtitles",
        "subtitles.vtt?expires=1&signature=ab",
        True,
        "en",
        "English",
    ]
    WebDriverWait(driver, 10).until(lambda d: run(f"{track} return t.readyState") == 2)
    assert run(f"{track} return [t.track.mode, [...t.track.cues].map(c => c.text)]") == [
        "showing",
        [SAID[0][2], SAID[2][2]],
    ]
    run("root.querySelector('.vs-captions').click()")
    assert run(f"{track} return [t.track.mode, root.querySelector('.vs-captions').textContent]") == [
        "hidden",
        "Subtitles off",
    ]
    driver.find_element("tag name", "body").send_keys("c")
    assert run(f"{track} return t.track.mode") == "showing"

    bars = "return [...root.querySelectorAll('.vs-lane[data-modality=chapters] .vs-chapter')]"
    assert run(f"{bars}.map(b => b.textContent)") == [t for _, _, t in CHAPTERS], "titles as text"
    assert run(f"{bars}.map(b => parseFloat(b.style.left))") == pytest.approx(
        [100 * a / 12.0 for a, _, _ in CHAPTERS], abs=0.01
    )
    assert run("return root.querySelectorAll('img, b').length") == 0 and driver.execute_script("return !window.pwned")
    ticks = "return [...root.querySelectorAll('.vs-lane')].map(l => l.querySelectorAll('.vs-tick').length)"
    assert run(ticks) == [0, 2, 2, 2], "the chapters' starts ticked across every other lane"
    assert run("return root.querySelector('.vs-chapter-now').textContent") == "Chapter 1 of 3: Interest rates"

    run(f"{bars}[2].click()")
    WebDriverWait(driver, 10).until(lambda d: abs(run(time_of) - 7.5) < 0.5)
    current = "return root.querySelector('.vs-chapter.vs-now').textContent"
    WebDriverWait(driver, 5).until(lambda d: run(current) == "Harbour at dawn")
    assert run("return root.querySelector('.vs-chapter-now').textContent") == "Chapter 3 of 3: Harbour at dawn"

    run("root.querySelector('.vs-tab[data-tab=chapters]').click()")
    rows = "return [...root.querySelectorAll('.vs-chapter-line')]"
    assert run(f"{rows}.map(r => r.querySelector('.vs-text').textContent)") == [t for _, _, t in CHAPTERS]
    assert run("return root.querySelector('.vs-chapter-line.vs-now .vs-text').textContent") == "Harbour at dawn"
    run(f"{rows}[1].click()")
    WebDriverWait(driver, 10).until(lambda d: abs(run(time_of) - 4.0) < 0.5)
    WebDriverWait(driver, 5).until(
        lambda d: run("return root.querySelector('.vs-chapter-line.vs-now .vs-text').textContent") == EVIL
    )

    run("root.querySelector('.vs-tab[data-tab=summary]').click()")
    assert run("return root.querySelector('.vs-languages').textContent") == "Languages: English, French"
    items = "return [...root.querySelectorAll('.vs-summary-item')]"
    assert run(
        f"{items}.map(r => [r.querySelector('.vs-kind').textContent, r.querySelector('.vs-text').textContent])"
    ) == [
        ["said", SAID[0][2]],
        ["screen", EVIL],
        ["sound", "Applause"],
    ]
    run(f"{items}[2].click()")
    WebDriverWait(driver, 10).until(lambda d: abs(run(time_of) - 9.0) < 0.5)
    now = "return (root.querySelector('.vs-summary-item.vs-now .vs-text') || {}).textContent"
    WebDriverWait(driver, 5).until(lambda d: run(now) == "Applause")
    run(f"{items}[0].click()")
    WebDriverWait(driver, 10).until(lambda d: abs(run(time_of) - 0.5) < 0.5)
    WebDriverWait(driver, 5).until(lambda d: run(now) == SAID[0][2])
    assert run("return root.querySelectorAll('img, b').length") == 0 and driver.execute_script("return !window.pwned")
