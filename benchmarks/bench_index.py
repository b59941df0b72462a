"""Indexing speed and query latency on CPU, against a naive full-decode baseline.

What it measures, on the videos of a library folder (the sample library by default):

- model load: building the open_clip model (RANDOM weights: none can be downloaded here, and
  speed does not depend on the weights' values), then one warm-up encode; the real Whisper,
  PP-OCR, MiniLM (offline packages) and YAMNet (`--audio-model`) models;
- indexing: wall time of `vidsearch.library.index_paths` into a fresh temporary index, best of
  `--repeat` runs, as video seconds per wall second (x real time), overall and per stage
  (decode, segment, embed, ocr, decode-audio, speech, audio, embed-text, hash, store; from the
  library's own stage clock);
- queries: latency of `VideoSearch.search` over that index (50 queries after 3 warm-ups);
- baseline: decoding every frame at full size to RGB with PyAV (what a naive indexer does before
  any model runs), best of `--repeat` runs, and its ratio to the indexing wall time.

It prints figures only; nothing is asserted.

Usage: python benchmarks/bench_index.py [--library data/library] [--clip-model ViT-B-32|tests/data/tiny-clip.json]
                                        [--repeat 3] [--audio-model yamnet.tflite] [--modalities visual,speech,...]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from indexer.encoders import Encoder  # noqa: E402
from indexer.encoders.clip import ClipSpec, OpenClip  # noqa: E402
from indexer.files import discover  # noqa: E402
from indexer.pipeline import Models  # noqa: E402
from search import VideoSearch  # noqa: E402
from vidsearch import models as registry  # noqa: E402
from vidsearch.library import IndexReport, index_paths  # noqa: E402
from vidsearch.settings import MODALITIES, Settings  # noqa: E402

STAGES = ("decode", "segment", "embed", "ocr", "decode-audio", "speech", "audio", "embed-text", "hash", "store")
QUERIES = (
    "a red car at night",
    "welcome to the harbour",
    "boats in the harbour",
    "chopping onions in the kitchen",
    "a pot of boiling water",
    "fireworks over a bridge",
    "colour bars on an old television",
    "a lecture about the planets",
    "green trees in a park",
    "dinner is served",
)
QUERY_COUNT = 50
WARMUP_QUERIES = 3


@dataclass(frozen=True)
class Run:
    wall: float
    report: IndexReport


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--library", type=Path, default=ROOT / "data" / "library", help="folder of videos")
    parser.add_argument(
        "--clip-model", default="ViT-B-32", help="open_clip architecture or model-config JSON (random weights)"
    )
    parser.add_argument("--repeat", type=int, default=3, help="indexing and baseline runs; the best is reported")
    parser.add_argument("--audio-model", type=Path, help="YAMNet .tflite (sound events are OFF without one)")
    parser.add_argument("--modalities", default=",".join(MODALITIES), help="comma-separated modalities to index")
    return parser.parse_args(argv)


def ensure_library(library: Path) -> list[Path]:
    """The library's videos, synthesising the sample library first when the folder has none."""
    videos = list(discover([library]))
    if not videos:
        script = ROOT / "scripts" / "make_samples.py"
        subprocess.run([sys.executable, str(script), "--out", str(library)], check=True)
        videos = list(discover([library]))
    if not videos:
        raise SystemExit(f"no videos under {library}")
    return videos


def load_model(model: str) -> tuple[Encoder[np.ndarray], Encoder[str], float]:
    """(image encoder, text encoder, seconds to load and warm both) for `model` with random weights."""
    began = time.perf_counter()
    clip = OpenClip(ClipSpec(model=model, random_init=True, device="cpu"))
    images, texts = clip.images, clip.texts
    images.encode([np.zeros((224, 224, 3), np.uint8)])
    texts.encode(["warm up"])
    return images, texts, time.perf_counter() - began


def load_models(settings: Settings, images: Encoder[np.ndarray]) -> tuple[Models, float]:
    """The other modalities' real models, resolved and loaded once (seconds included)."""
    began = time.perf_counter()
    models = registry.resolve(settings, Models(images=images)).models
    if models.sentences is not None:
        models.sentences.encode(["warm up"])
    if models.speech is not None:
        models.speech.transcribe(np.zeros(16000, np.float32))
    if models.ocr is not None:
        models.ocr.read(np.zeros((64, 64, 3), np.uint8))
    return models, time.perf_counter() - began


def index_once(library: Path, index: Path, settings: Settings, models: Models) -> Run:
    began = time.perf_counter()
    report = index_paths([library], index, settings, models=models)
    wall = time.perf_counter() - began
    if report.failed:
        raise SystemExit(f"indexing failed: {report.failed}")
    return Run(wall, report)


def query_latencies(
    index: Path, settings: Settings, texts: Encoder[str], sentences: Encoder[str] | None
) -> list[float]:
    """Milliseconds per `search` call, after the warm-up calls."""
    latencies = []
    with VideoSearch(index, settings, texts=texts, sentences=sentences) as search:
        for n in range(WARMUP_QUERIES + QUERY_COUNT):
            began = time.perf_counter()
            search.search(QUERIES[n % len(QUERIES)], k=10)
            if n >= WARMUP_QUERIES:
                latencies.append((time.perf_counter() - began) * 1000)
    return latencies


def naive_decode(videos: Sequence[Path]) -> tuple[float, int]:
    """(seconds, frames) to decode every frame of `videos` at full size to RGB with PyAV."""
    import av

    frames = 0
    began = time.perf_counter()
    for path in videos:
        with av.open(str(path)) as container:
            container.streams.video[0].thread_type = "AUTO"
            for frame in container.decode(video=0):
                frame.to_ndarray(format="rgb24")
                frames += 1
    return time.perf_counter() - began, frames


def speed(video_seconds: float, seconds: float) -> str:
    return f"{video_seconds / seconds:8.1f}x" if seconds > 0 else "       -"


def print_header(args: argparse.Namespace, videos: Sequence[Path], images: Encoder[np.ndarray], models: Models) -> None:
    import torch

    print("vidsearch indexing benchmark (CPU)")
    threads = torch.get_num_threads()
    print(f"  machine      {platform.machine()}, {threads} torch threads, Python {platform.python_version()}")
    print(f"  library      {args.library} ({len(videos)} videos)")
    print(f"  visual model {args.clip_model} -> {images.name} (dim {images.dim})")
    print("               RANDOM weights: no CLIP weights can be downloaded here; speed does not depend on them")
    for label, model in (("speech", models.speech), ("ocr", models.ocr), ("audio", models.sounds)):
        print(f"  {label:<12} {model.name if model is not None else 'OFF'}")
    print(f"  {'text':<12} {models.sentences.name if models.sentences is not None else 'OFF'}")


def print_indexing(runs: Sequence[Run], load_seconds: float) -> None:
    """Wall and per-stage seconds of the best run, as x real time (video seconds per second)."""
    best = min(runs, key=lambda run: run.wall)
    seconds = best.report.video_seconds
    walls = ", ".join(f"{run.wall:.2f}" for run in runs)
    print(f"\nmodel load + warm-up (imports included): {load_seconds:.2f} s (not counted below)")
    print(f"indexing: {len(best.report.indexed)} videos, best of {len(runs)} runs (wall s: {walls})")
    print(f"  {'':<10}{'seconds':>10}{'x real time':>14}")
    print(f"  {'video':<10}{seconds:>10.2f}")
    print(f"  {'wall':<10}{best.wall:>10.2f}{speed(seconds, best.wall):>14}")
    for stage in STAGES:
        spent = best.report.stage_seconds.get(stage, 0.0)
        print(f"  {stage:<12}{spent:>8.3f}{speed(seconds, spent):>14}")
    other = best.wall - sum(best.report.stage_seconds.values())
    print(f"  {'(other)':<10}{other:>10.3f}")


def print_queries(latencies: Sequence[float]) -> None:
    ordered = sorted(latencies)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    print(f"\nqueries: {len(ordered)} after {WARMUP_QUERIES} warm-ups, k=10")
    print(f"  p50 {statistics.median(ordered):.2f} ms   p95 {p95:.2f} ms   mean {statistics.fmean(ordered):.2f} ms")


def print_baseline(decodes: Sequence[tuple[float, int]], video_seconds: float, index_wall: float) -> None:
    seconds, frames = min(decodes)
    print(f"\nnaive baseline: PyAV decode of every frame at full size to RGB, best of {len(decodes)}")
    print(f"  {frames} frames in {seconds:.2f} s = {speed(video_seconds, seconds).strip()} real time (decode only)")
    print(f"  indexing wall / naive decode = {index_wall / seconds:.2f} (below 1: indexing beats just decoding)")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    videos = ensure_library(args.library)
    chosen = tuple(m for m in args.modalities.split(",") if m)
    settings = Settings(clip_model=args.clip_model, device="cpu", audio_model=args.audio_model, modalities=chosen)
    images, texts, load_seconds = load_model(args.clip_model)
    models, more_seconds = load_models(settings, images)
    print_header(args, videos, images, models)
    with tempfile.TemporaryDirectory(prefix="vidsearch-bench-") as scratch:
        indexes = [Path(scratch) / f"index{n}" for n in range(max(1, args.repeat))]
        runs = [index_once(args.library, index, settings, models) for index in indexes]
        print_indexing(runs, load_seconds + more_seconds)
        print_queries(query_latencies(indexes[-1], settings, texts, models.sentences))
    decodes = [naive_decode(videos) for _ in range(max(1, args.repeat))]
    print_baseline(decodes, runs[0].report.video_seconds, min(run.wall for run in runs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
