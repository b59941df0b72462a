"""Measure the API server's memory under a pixel flood: eight concurrent POST /search/image of a
small PNG (about 130 KB) of 6320x6320 pixels.

    .venv/bin/python -m tests.api_flood [--api FILE] [--no-visual] [--requests 8] [--side 6320] [--kind png]

Builds a throwaway index of the red/blue/green test video with the fake models (with visual
vectors, or without them with --no-visual), starts `uvicorn` on it in a child process (the API
module loaded from FILE when given, e.g. an older vidsearch/api.py to compare with), sends the
flood, and prints one JSON line: the child's resident memory before, at its peak (VmHWM) and two
seconds after, in MB, with the status codes the flood got. Used by tests/test_api_attacks.py.
"""

from __future__ import annotations

import argparse
import io
import json
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

SERVER = r"""
import importlib.util, sys
from pathlib import Path
import uvicorn
from search import VideoSearch
from tests.conftest import ColourImages, ColourTexts
from tests.fakes import HashedWords, fake_engine
from vidsearch.settings import Settings

api_file, index, port = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
if api_file:
    spec = importlib.util.spec_from_file_location("api_under_test", api_file)
    api = sys.modules["api_under_test"] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(api)
else:
    from vidsearch import api
engine = fake_engine(index)
uvicorn.run(api.create_app(engine, api.ApiOptions()), host="127.0.0.1", port=port, log_level="warning")
"""


KINDS = ("png", "png-rgba", "jpeg", "jpeg-progressive")


def flood_picture(side: int, kind: str = "png") -> bytes:
    """A picture of side x side pixels of one colour: a few hundred KB that decode to side² x 3
    bytes or more (`kind`: an RGB or RGBA PNG, a baseline or progressive JPEG)."""
    from PIL import Image

    buffer = io.BytesIO()
    if kind.startswith("png"):
        mode, colour = ("RGBA", (0, 160, 0, 255)) if kind == "png-rgba" else ("RGB", (0, 160, 0))
        Image.new(mode, (side, side), colour).save(buffer, "PNG", compress_level=9)
    else:
        Image.new("RGB", (side, side), (0, 160, 0)).save(buffer, "JPEG", progressive=kind == "jpeg-progressive")
    return buffer.getvalue()


def build_index(folder: Path, visual: bool) -> Path:
    from indexer.pipeline import Models
    from tests.conftest import COLOURED_SHOTS, ColourImages
    from tests.fakes import HashedWords, ScriptedSpeech
    from tests.media import shots_video
    from vidsearch.library import index_paths
    from vidsearch.settings import Settings

    video = folder / "colours.mp4"
    shots_video(video, COLOURED_SHOTS)
    models = Models(
        images=ColourImages(), speech=ScriptedSpeech(((0.5, 3.0, "ships leave the harbour"),)), sentences=HashedWords()
    )
    modalities = ("visual", "speech") if visual else ("speech",)
    report = index_paths([video], folder / "index", Settings(modalities=modalities), models=models)
    assert not report.failed, report.failed
    return folder / "index"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _memory(pid: int) -> dict[str, float]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) / 1024
    return fields


def _post(url: str, body: bytes, boundary: str) -> int:
    request = urllib.request.Request(url, body, {"Content-Type": f"multipart/form-data; boundary={boundary}"})
    try:
        with urllib.request.urlopen(request, timeout=300) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def measure(index: Path, api_file: str, requests: int, side: int, kind: str = "png") -> dict[str, object]:
    port = _free_port()
    root = Path(__file__).resolve().parent.parent
    child = subprocess.Popen([sys.executable, "-c", SERVER, api_file, str(index), str(port)], cwd=root)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(600):
            if child.poll() is not None:
                raise RuntimeError(f"the server exited with status {child.returncode}")
            try:
                urllib.request.urlopen(f"{base}/health", timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        time.sleep(0.5)
        before = _memory(child.pid)["VmRSS"]
        image = flood_picture(side, kind)
        boundary = "floodboundary"
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="flood.png"\r\n'
                f"Content-Type: image/png\r\n\r\n"
            ).encode()
            + image
            + f"\r\n--{boundary}--\r\n".encode()
        )
        began = time.monotonic()
        with ThreadPoolExecutor(requests) as pool:
            statuses = list(pool.map(lambda _: _post(f"{base}/search/image", body, boundary), range(requests)))
        seconds = time.monotonic() - began
        peak = _memory(child.pid)["VmHWM"]
        time.sleep(2.0)
        after = _memory(child.pid)["VmRSS"]
        return {
            "kind": kind,
            "bytes": len(image),
            "pixels": side * side,
            "statuses": sorted(statuses),
            "rss_before_mb": round(before),
            "rss_peak_mb": round(peak),
            "rss_after_mb": round(after),
            "seconds": round(seconds, 2),
        }
    finally:
        child.terminate()
        child.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--api", default="", help="load the API module from this file instead of vidsearch.api")
    parser.add_argument("--no-visual", action="store_true", help="index without visual vectors")
    parser.add_argument("--requests", type=int, default=8)
    parser.add_argument("--side", type=int, default=6320)
    parser.add_argument("--kind", choices=KINDS, default="png")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        index = build_index(Path(folder), visual=not args.no_visual)
        result = measure(index, args.api, args.requests, args.side, args.kind)
    print(json.dumps({"visual": not args.no_visual, "api": args.api or "vidsearch.api", **result}))


if __name__ == "__main__":
    main()
