"""Indexing throughput: the pipeline against the naive loop and the model-bound ceiling.

What it measures, on a library folder (the sample library by default, and a longer one made by
looping it, `--long-minutes`), all in one run on this machine:

- end to end: a fresh `vidsearch index LIBRARY --index NEW` process (imports and model loading
  included), wall seconds and video seconds per wall second (x real time). This is the figure
  the targets are about.
- per stage: the same indexing in this process with the models already loaded, wall and the
  seconds of each stage from the library's own stage clock. Stages overlap (the sound is worked
  on beside the pictures, frames are decoded ahead), so they can add up to more than the wall.
- the model-bound ceiling: each model alone (on every core), on inputs decoded beforehand, doing
  the work the pipeline did (as many OCR reads and keyframe embeddings as it made, the whole sound track
  transcribed and classified, every span embedded); the ceiling is video seconds over the sum.
- the naive loop: decode every frame at full size (PyAV, RGB) and call each frame model once
  per frame (OCR; CLIP when visual is on), then speech and sound events on the whole track as
  the pipeline does; timed on the first `--naive-seconds` of each video and scaled per video second.
- the pipeline a user would script instead (as videocr-style tools do): the whole sound track
  decoded and given to Whisper and to YAMNet at once, one frame a second decoded (PyAV, every
  frame decoded, one a second converted) and read by OCR whole, every text embedded; timed on
  the first library (it scales with the length of the video) and taken per video second.
- the first answer: a fresh `vidsearch search` process on the index the end-to-end run built
  (imports and the query model included), then p50/p95 of `--queries` searches in one process.
- peak memory: the end-to-end process's peak resident set (the kernel's VmHWM, read every 50 ms).

With `--repeat N` every figure is the median of N runs (the table says so).

The visual model has RANDOM weights (no CLIP weights can be downloaded here; speed does not
depend on their values) and is measured only when `visual` is among `--modalities`; speech,
OCR, text and YAMNet (`--audio-model`) are the real offline models. Nothing is asserted.

Usage: python benchmarks/bench_index.py [--library data/library] [--long-minutes 10]
            [--modalities speech,ocr,audio] [--audio-model yamnet.tflite] [--naive-seconds 4]
            [--clip-model ViT-B-32] [--cache /tmp/vidsearch-bench] [--repeat 3] [--queries 50]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from indexer import decode  # noqa: E402
from indexer.encoders.clip import ClipSpec, OpenClip  # noqa: E402
from indexer.files import discover  # noqa: E402
from indexer.pipeline import Models  # noqa: E402
from vidsearch import models as registry  # noqa: E402
from vidsearch.library import IndexReport, index_paths  # noqa: E402
from vidsearch.settings import Settings  # noqa: E402

STAGES = ("decode", "segment", "embed", "ocr", "decode-audio", "speech", "audio", "embed-text", "hash", "store")


@dataclass
class Counted:
    """A model wrapped to count the work the pipeline gives it (calls and items)."""

    model: object
    calls: int = 0
    items: int = 0

    def __getattr__(self, name: str) -> object:
        return getattr(self.model, name)

    reread_boxes: int = 0
    rereads: int = 0

    def read(self, image: np.ndarray) -> object:
        self.calls += 1
        return self.model.read(image)  # type: ignore[attr-defined]

    def find(self, image: np.ndarray) -> object:
        self.calls += 1
        return self.model.find(image)  # type: ignore[attr-defined]

    def reread(self, image: np.ndarray, boxes: Sequence[object]) -> object:
        self.rereads += 1
        self.reread_boxes += len(boxes)
        return self.model.reread(image, boxes)  # type: ignore[attr-defined]

    def group(self, boxes: Sequence[object]) -> object:
        return self.model.group(boxes)  # type: ignore[attr-defined]

    def encode(self, batch: Sequence[object]) -> np.ndarray:
        self.calls += 1
        self.items += len(batch)
        return self.model.encode(batch)  # type: ignore[attr-defined]


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--library", type=Path, default=ROOT / "data" / "library", help="folder of videos")
    parser.add_argument(
        "--long-minutes", type=float, default=10.0, help="also a library looped to this length (0: off)"
    )
    parser.add_argument("--modalities", default="speech,ocr,audio", help="comma-separated modalities to index")
    parser.add_argument("--audio-model", type=Path, help="YAMNet .tflite (sound events are OFF without one)")
    parser.add_argument("--naive-seconds", type=float, default=4.0, help="seconds of each video the naive loop runs on")
    parser.add_argument("--clip-model", default="ViT-B-32", help="open_clip architecture (random weights)")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "vidsearch-bench")
    parser.add_argument("--repeat", type=int, default=1, help="runs; every figure is their median")
    parser.add_argument("--queries", type=int, default=50, help="searches timed after the first answer")
    return parser.parse_args(argv)


def ensure_library(library: Path) -> list[Path]:
    """The library's videos, synthesising the sample library first when the folder has none."""
    if not library.is_dir() or not list(discover([library])):  # discover() names a missing path as it is
        script = ROOT / "scripts" / "make_samples.py"
        subprocess.run([sys.executable, str(script), "--out", str(library)], check=True)
    videos = list(discover([library]))
    if not videos:
        raise SystemExit(f"no videos under {library}")
    return videos


def looped_library(videos: Sequence[Path], minutes: float, cache: Path) -> Path:
    """A folder of the `videos` each looped (stream copy) so that together they last `minutes`."""
    import imageio_ffmpeg

    folder = cache / f"long-{minutes:g}min"
    folder.mkdir(parents=True, exist_ok=True)
    total = sum(decode.probe(v).duration for v in videos)
    loops = max(1, round(minutes * 60 / total))
    for video in videos:
        target = folder / video.name
        if not target.is_file():
            command = [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y"]
            command += ["-stream_loop", str(loops - 1), "-i", str(video), "-c", "copy", str(target)]
            subprocess.run(command, check=True)
    return folder


def settings_for(args: argparse.Namespace) -> Settings:
    chosen = tuple(m for m in args.modalities.split(",") if m)
    return Settings(clip_model=args.clip_model, device="cpu", audio_model=args.audio_model, modalities=chosen)


@dataclass(frozen=True)
class EndToEnd:
    """A fresh `vidsearch index` process: wall seconds, video seconds, peak resident MB, its index."""

    wall: float
    video: float
    peak_mb: float
    index: Path


def cli_env(settings: Settings) -> dict[str, str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "VIDSEARCH_OFFLINE": "1"}
    if settings.audio_model is not None:
        env["VIDSEARCH_AUDIO_MODEL"] = str(settings.audio_model)
    return env


def end_to_end(library: Path, settings: Settings, scratch: Path) -> EndToEnd | None:
    """A fresh `vidsearch index` of `library` into a new index (None with visual on: no CLIP
    weights here, the CLI cannot load the visual model)."""
    if "visual" in settings.modalities:
        return None
    index = scratch / f"cli-index-{time.monotonic_ns()}"
    command = [str(Path(sys.executable).parent / "vidsearch"), "index", str(library)]
    command += ["--index", str(index), "--json", "--modalities", ",".join(settings.modalities)]
    began = time.perf_counter()
    process = subprocess.Popen(command, env=cli_env(settings), stdout=subprocess.DEVNULL)
    peak = 0.0
    while process.poll() is None:
        peak = max(peak, high_water_mb(process.pid))
        time.sleep(0.05)
    wall = time.perf_counter() - began
    if process.returncode:
        raise SystemExit(f"vidsearch index failed with status {process.returncode}")
    videos = list(discover([library]))
    return EndToEnd(wall, sum(decode.probe(v).duration for v in videos), peak, index)


def high_water_mb(pid: int) -> float:
    """Peak resident MB of process `pid` since it started its program (Linux's VmHWM; 0 where
    there is no /proc). Not `wait4`'s ru_maxrss: that counts the pages of this process, which
    the child shares from the moment it is forked until it execs."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    found = [line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")]
    return int(found[0]) / 1024 if found else 0.0


def first_answer(index: Path, settings: Settings, queries: int) -> tuple[float, float, float]:
    """(seconds from starting `vidsearch search` to its answer, p50 and p95 ms of `queries`
    different searches in one process after the first)."""
    command = [str(Path(sys.executable).parent / "vidsearch"), "search", "the city tour", "--index", str(index)]
    began = time.perf_counter()
    subprocess.run(command, check=True, env=cli_env(settings), stdout=subprocess.DEVNULL)
    first = time.perf_counter() - began
    from search import VideoSearch

    engine = VideoSearch(index, settings)
    engine.search("warm up")
    words = ["city", "bread", "planets", "soup", "bridge", "television", "lecture", "dinner", "night", "tour"]
    spent = []
    for n in range(queries):
        query = f"{words[n % len(words)]} {words[(n * 7 + 3) % len(words)]} {n}"
        began = time.perf_counter()
        engine.search(query)
        spent.append((time.perf_counter() - began) * 1000)
    cut = statistics.quantiles(spent, n=20)
    return first, statistics.median(spent), cut[18]


def load_models(settings: Settings, clip_model: str) -> Models:
    """Every model of the run, loaded and warmed once, each wrapped to count its work."""
    images = None
    if "visual" in settings.modalities:
        images = OpenClip(ClipSpec(model=clip_model, random_init=True, device="cpu")).images
    models = registry.resolve(settings, Models(images=images)).models
    if models.sentences is not None:
        models.sentences.encode(["warm up"])
    if models.speech is not None:
        models.speech.transcribe(np.zeros(16000, np.float32))
    if models.ocr is not None:
        models.ocr.read(np.zeros((64, 64, 3), np.uint8))
    if models.images is not None:
        models.images.encode([np.zeros((224, 224, 3), np.uint8)])
    return Models(
        images=Counted(models.images) if models.images else None,  # type: ignore[arg-type]
        speech=models.speech,
        ocr=Counted(models.ocr) if models.ocr else None,  # type: ignore[arg-type]
        audio=models.audio,
        sentences=Counted(models.sentences) if models.sentences else None,  # type: ignore[arg-type]
    )


def index_once(library: Path, index: Path, settings: Settings, models: Models) -> tuple[float, IndexReport]:
    began = time.perf_counter()
    report = index_paths([library], index, settings, models=models)
    if report.failed:
        raise SystemExit(f"indexing failed: {report.failed}")
    return time.perf_counter() - began, report


def timed(call, repeat: int = 1) -> float:  # type: ignore[no-untyped-def]
    began = time.perf_counter()
    for _ in range(repeat):
        call()
    return time.perf_counter() - began


def ceiling(videos: Sequence[Path], settings: Settings, work: Models, alone: Models) -> dict[str, float]:
    """Seconds each model of `alone` (on every core) takes for the work the pipeline gave its
    models (`work`, counted), inputs decoded beforehand."""
    spent: dict[str, float] = {}
    if isinstance(work.ocr, Counted) and isinstance(alone.ocr, Counted) and work.ocr.calls:
        ocr = alone.ocr.model
        frames = sampled_frames(videos, settings.ocr_size, 12)
        finds = [ocr.find(f) for f in frames]  # type: ignore[attr-defined]
        per_search = timed(lambda: [ocr.find(f) for f in frames]) / len(frames)  # type: ignore[attr-defined]
        boxes = max(1, sum(len(b) for b in finds))
        per_box = timed(lambda: [ocr.reread(f, b) for f, b in zip(frames, finds) if b]) / boxes  # type: ignore[attr-defined]
        spent["ocr"] = per_search * work.ocr.calls + per_box * work.ocr.reread_boxes
    if isinstance(work.images, Counted) and isinstance(alone.images, Counted) and work.images.items:
        batch = [np.random.default_rng(0).integers(0, 255, (224, 224, 3), np.uint8)] * settings.batch_size
        per_image = timed(lambda: alone.images.model.encode(batch)) / len(batch)  # type: ignore[union-attr]
        spent["embed"] = per_image * work.images.items
    tracks = [decode.audio(v) for v in videos]
    if alone.speech is not None:
        spent["speech"] = timed(lambda: [alone.speech.transcribe(t) for t in tracks if len(t)])  # type: ignore[union-attr]
    if alone.audio is not None:
        spent["audio"] = timed(lambda: [alone.audio.detect(t) for t in tracks if len(t)])  # type: ignore[union-attr]
    if isinstance(work.sentences, Counted) and isinstance(alone.sentences, Counted) and work.sentences.items:
        texts = ["a sentence of about the usual length that speech gives"] * work.sentences.items
        spent["embed-text"] = timed(lambda: alone.sentences.model.encode(texts))  # type: ignore[union-attr]
    return spent


def scripted(videos: Sequence[Path], models: Models) -> tuple[float, float]:
    """(seconds, video seconds) of the pipeline a user would script (see the module): whole
    tracks to Whisper and YAMNet, OCR on one frame a second, every text embedded."""
    import av

    began = time.perf_counter()
    texts: list[str] = []
    for video in videos:
        track = decode.audio(video)
        if models.speech is not None and len(track):
            texts += [span.text for span in models.speech.transcribe(track)[0]]
        if models.audio is not None and len(track):
            texts += [span.text for span in models.audio.detect(track)]
        ocr = models.ocr.model if isinstance(models.ocr, Counted) else models.ocr
        if ocr is None:
            continue
        with av.open(str(video)) as container:
            due = 0.0
            for frame in container.decode(video=0):
                if frame.time is not None and frame.time >= due:
                    texts += [line.text for line in ocr.read(frame.to_ndarray(format="rgb24"))]  # type: ignore[attr-defined]
                    due += 1.0
    if models.sentences is not None and texts:
        models.sentences.encode(texts)
    return time.perf_counter() - began, sum(decode.probe(v).duration for v in videos)


def sampled_frames(videos: Sequence[Path], short_side: int, count: int) -> list[np.ndarray]:
    """About `count` frames at `short_side`: one a second from the start of each video."""
    frames: list[np.ndarray] = []
    per_video = max(1, count // len(videos))
    for video in videos:
        info = decode.probe(video)
        due = 0.0
        for frame in decode.frames(info, 224, detail_side=short_side):
            if frame.time >= per_video:
                break
            if frame.time >= due:
                frames.append(frame.detail if frame.detail is not None else frame.image)
                due += 1.0
    return frames


def naive(videos: Sequence[Path], models: Models, seconds: float) -> tuple[float, float]:
    """(seconds, video seconds) of the naive loop over the first `seconds` of each video:
    every frame decoded at full size and given to each frame model, one call per frame."""
    import av

    spent = covered = 0.0
    for video in videos:
        began = time.perf_counter()
        with av.open(str(video)) as container:
            for frame in container.decode(video=0):
                if frame.time is not None and frame.time >= seconds:
                    break
                image = frame.to_ndarray(format="rgb24")
                if isinstance(models.ocr, Counted):
                    models.ocr.model.read(image)  # type: ignore[attr-defined]
                if isinstance(models.images, Counted):
                    models.images.model.encode([image])  # type: ignore[attr-defined]
        spent += time.perf_counter() - began
        covered += min(seconds, decode.probe(video).duration)
    return spent, covered


def x(video_seconds: float, seconds: float) -> str:
    return f"{video_seconds / seconds:7.1f}x" if seconds > 0 else "      -"


@dataclass
class Run:
    """The figures of one run on one library (seconds unless named)."""

    video: float = 0.0
    e2e: float = 0.0
    peak_mb: float = 0.0
    wall: float = 0.0
    stages: dict[str, float] = field(default_factory=dict)
    ceiling: dict[str, float] = field(default_factory=dict)
    naive_per_second: float = 0.0
    scripted_per_second: float = 0.0
    first_answer: float = 0.0
    query_p50_ms: float = 0.0
    query_p95_ms: float = 0.0
    searches: int = 0
    reread_boxes: int = 0


def median_run(runs: Sequence[Run]) -> Run:
    """Every figure the median of `runs`' (stage by stage)."""

    def middle(values: Sequence[float]) -> float:
        return statistics.median(values)

    merged = Run()
    for f in fields(Run):
        values = [getattr(r, f.name) for r in runs]
        if isinstance(values[0], dict):
            keys = {k for v in values for k in v}
            setattr(merged, f.name, {k: middle([v.get(k, 0.0) for v in values]) for k in sorted(keys)})
        else:
            setattr(merged, f.name, type(values[0])(middle(values)))
    return merged


def measure(
    library: Path, args: argparse.Namespace, settings: Settings, scratch: Path, scripted_rate: float | None
) -> Run:
    """One run's figures on `library`; the user-scripted pipeline is timed unless its rate is given."""
    videos = list(discover([library]))
    run = Run()
    fresh = end_to_end(library, settings, scratch)
    if fresh is not None:
        run.e2e, run.peak_mb = fresh.wall, fresh.peak_mb
        run.first_answer, run.query_p50_ms, run.query_p95_ms = first_answer(fresh.index, settings, args.queries)
    models = load_models(settings, args.clip_model)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    alone = load_models(settings.model_copy(update={"threads": cores}), args.clip_model)
    wall, report = index_once(library, scratch / f"index-{time.monotonic_ns()}", settings, models)
    run.video, run.wall, run.stages = report.video_seconds, wall, dict(report.stage_seconds)
    run.ceiling = ceiling(videos, settings, models, alone)
    if isinstance(models.ocr, Counted):
        run.searches, run.reread_boxes = models.ocr.calls, models.ocr.reread_boxes
    naive_frames, covered = naive(videos, alone, args.naive_seconds)
    sound = run.ceiling.get("speech", 0) + run.ceiling.get("audio", 0)
    run.naive_per_second = naive_frames / covered + sound / run.video
    if scripted_rate is None:
        seconds, covered = scripted(videos, alone)
        scripted_rate = seconds / covered
    run.scripted_per_second = scripted_rate
    return run


def show(label: str, library: Path, runs: Sequence[Run]) -> None:
    run = median_run(runs)
    video = run.video
    count = len(list(discover([library])))
    how = f"median of {len(runs)} runs" if len(runs) > 1 else "one run"
    print(f"\n== {label}: {library} ({count} videos, {video:.0f} s of video; {how})")
    fastest = run.e2e or run.wall
    if run.e2e:
        print(f"  end to end (fresh `vidsearch index`, model loading included): {run.e2e:.1f} s = {x(video, run.e2e)}")
        print(f"    peak memory of that process: {run.peak_mb:.0f} MB")
    print(f"  pipeline, models loaded:  {run.wall:.1f} s = {x(video, run.wall)}")
    for stage in STAGES:
        if run.stages.get(stage):
            print(f"    {stage:<13}{run.stages[stage]:8.2f} s {x(video, run.stages[stage])}")
    total = sum(run.ceiling.values())
    parts = ", ".join(f"{k} {v:.1f} s" for k, v in run.ceiling.items())
    print(f"  model-bound ceiling: {total:.1f} s = {x(video, total)} ({parts})")
    print(f"  pipeline wall / ceiling = {run.wall / total:.2f} (1 = as fast as the models alone)")
    if run.searches:
        print(
            f"  OCR: {run.searches} frames searched for text ({run.searches / video:.2f} per video second), "
            f"{run.reread_boxes} boxes recognised again"
        )
    naive = run.naive_per_second
    print(
        f"  naive loop: {naive:.3f} s per video second = {x(1.0, naive)}; "
        f"{'end to end' if run.e2e else 'pipeline'} is {naive * video / fastest:.1f}x faster"
    )
    user = run.scripted_per_second
    print(
        f"  user-scripted pipeline (whole-track Whisper + YAMNet, OCR at 1 fps): {user:.3f} s per video second = "
        f"{x(1.0, user)}; {'end to end' if run.e2e else 'pipeline'} is {user * video / fastest:.1f}x faster"
    )
    if run.first_answer:
        print(
            f"  first answer of a fresh `vidsearch search`: {run.first_answer:.2f} s; "
            f"then p50 {run.query_p50_ms:.1f} ms, p95 {run.query_p95_ms:.1f} ms a query"
        )


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    settings = settings_for(args)
    videos = ensure_library(args.library)
    print("vidsearch indexing throughput (CPU)")
    print(f"  machine    {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"  modalities {','.join(settings.modalities)}  audio model {args.audio_model or 'OFF'}")
    libraries = [("sample library", args.library)]
    if args.long_minutes > 0:
        long = looped_library(videos, args.long_minutes, args.cache)
        libraries.append((f"{args.long_minutes:g}-minute library", long))
    rate: float | None = None  # the user-scripted pipeline's, per video second: timed on the first library
    with tempfile.TemporaryDirectory(prefix="vidsearch-bench-") as scratch:
        for label, library in libraries:
            runs = [measure(library, args, settings, Path(scratch), rate) for _ in range(max(1, args.repeat))]
            rate = statistics.median(r.scripted_per_second for r in runs)
            show(label, library, runs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
