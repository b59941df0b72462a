"""Indexing throughput: the pipeline against the naive loop and the model-bound ceiling.

What it measures, on a library folder (the sample library by default, and a longer one made by
looping it, `--long-minutes`), all in one run on this machine:

- end to end: a fresh `vidsearch index LIBRARY --index NEW` process (imports and model loading
  included), wall seconds and video seconds per wall second (x real time). This is the figure
  the targets are about.
- per stage: the same indexing in this process with the models already loaded, wall and the
  seconds of each stage from the library's own stage clock. Stages overlap (the sound is worked
  on beside the pictures, frames are decoded ahead), so they can add up to more than the wall.
- the model-bound ceiling: each model alone, on inputs decoded beforehand, doing the work the
  pipeline did (as many OCR reads and keyframe embeddings as it made, the whole sound track
  transcribed and classified, every span embedded); the ceiling is video seconds over the sum.
- the naive loop: decode every frame at full size (PyAV, RGB) and call each frame model once
  per frame (OCR; CLIP when visual is on), then speech and sound events on the whole track as
  the pipeline does; timed on the first `--naive-seconds` of each video and scaled per video second.

The visual model has RANDOM weights (no CLIP weights can be downloaded here; speed does not
depend on their values) and is measured only when `visual` is among `--modalities`; speech,
OCR, text and YAMNet (`--audio-model`) are the real offline models. Nothing is asserted.

Usage: python benchmarks/bench_index.py [--library data/library] [--long-minutes 10]
            [--modalities speech,ocr,audio] [--audio-model yamnet.tflite] [--naive-seconds 4]
            [--clip-model ViT-B-32] [--cache /tmp/vidsearch-bench]
"""

from __future__ import annotations

import argparse
import os
import platform
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

    def read(self, image: np.ndarray) -> object:
        self.calls += 1
        return self.model.read(image)  # type: ignore[attr-defined]

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


def end_to_end(library: Path, settings: Settings, scratch: Path) -> tuple[float, float]:
    """(wall seconds, video seconds) of a fresh `vidsearch index` process on `library`."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "VIDSEARCH_OFFLINE": "1"}
    if settings.audio_model is not None:
        env["VIDSEARCH_AUDIO_MODEL"] = str(settings.audio_model)
    if "visual" in settings.modalities:
        return 0.0, 0.0  # no CLIP weights here: the CLI cannot load the visual model
    command = [str(Path(sys.executable).parent / "vidsearch"), "index", str(library)]
    command += ["--index", str(scratch / "cli-index"), "--json", "--modalities", ",".join(settings.modalities)]
    began = time.perf_counter()
    subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - began
    videos = list(discover([library]))
    return wall, sum(decode.probe(v).duration for v in videos)


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


def ceiling(videos: Sequence[Path], settings: Settings, models: Models) -> dict[str, float]:
    """Seconds each model alone takes for the work the pipeline gave it, inputs decoded beforehand."""
    spent: dict[str, float] = {}
    if isinstance(models.ocr, Counted) and models.ocr.calls:
        frames = sampled_frames(videos, settings.ocr_size, 12)
        per_read = timed(lambda: [models.ocr.model.read(f) for f in frames]) / len(frames)  # type: ignore[union-attr]
        spent["ocr"] = per_read * models.ocr.calls
    if isinstance(models.images, Counted) and models.images.items:
        batch = [np.random.default_rng(0).integers(0, 255, (224, 224, 3), np.uint8)] * settings.batch_size
        per_image = timed(lambda: models.images.model.encode(batch)) / len(batch)  # type: ignore[union-attr]
        spent["embed"] = per_image * models.images.items
    tracks = [decode.audio(v) for v in videos]
    if models.speech is not None:
        spent["speech"] = timed(lambda: [models.speech.transcribe(t) for t in tracks if len(t)])  # type: ignore[union-attr]
    if models.audio is not None:
        spent["audio"] = timed(lambda: [models.audio.detect(t) for t in tracks if len(t)])  # type: ignore[union-attr]
    if isinstance(models.sentences, Counted) and models.sentences.items:
        texts = ["a sentence of about the usual length that speech gives"] * models.sentences.items
        spent["embed-text"] = timed(lambda: models.sentences.model.encode(texts))  # type: ignore[union-attr]
    return spent


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


def report(label: str, library: Path, args: argparse.Namespace, settings: Settings, scratch: Path) -> None:
    videos = list(discover([library]))
    e2e_wall, e2e_video = end_to_end(library, settings, scratch)
    models = load_models(settings, args.clip_model)
    wall, run = index_once(library, scratch / f"{label}-index", settings, models)
    video = run.video_seconds
    print(f"\n== {label}: {library} ({len(videos)} videos, {video:.0f} s of video)")
    if e2e_wall:
        speed = x(e2e_video, e2e_wall)
        print(f"  end to end (fresh `vidsearch index`, model loading included): {e2e_wall:.1f} s = {speed}")
    print(f"  pipeline, models loaded:  {wall:.1f} s = {x(video, wall)}")
    for stage in STAGES:
        if run.stage_seconds.get(stage):
            print(f"    {stage:<13}{run.stage_seconds[stage]:8.2f} s {x(video, run.stage_seconds[stage])}")
    alone = ceiling(videos, settings, models)
    total = sum(alone.values())
    parts = ", ".join(f"{k} {v:.1f} s" for k, v in alone.items())
    print(f"  model-bound ceiling: {total:.1f} s = {x(video, total)} ({parts})")
    print(f"  pipeline wall / ceiling = {wall / total:.2f} (1 = as fast as the models alone)")
    if isinstance(models.ocr, Counted):
        print(f"  OCR reads {models.ocr.calls} ({models.ocr.calls / video:.2f} per video second)")
    naive_frames, covered = naive(videos, models, args.naive_seconds)
    per_second = naive_frames / covered + (alone.get("speech", 0) + alone.get("audio", 0)) / video
    print(
        f"  naive loop: {per_second:.3f} s per video second = {x(1.0, per_second)} "
        f"(frames: {naive_frames:.1f} s for {covered:.0f} s); pipeline is {per_second * video / wall:.1f}x faster"
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    settings = settings_for(args)
    videos = ensure_library(args.library)
    print("vidsearch indexing throughput (CPU)")
    print(f"  machine    {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"  modalities {','.join(settings.modalities)}  audio model {args.audio_model or 'OFF'}")
    with tempfile.TemporaryDirectory(prefix="vidsearch-bench-") as scratch:
        report("sample library", args.library, args, settings, Path(scratch))
        if args.long_minutes > 0:
            long = looped_library(videos, args.long_minutes, args.cache)
            report(f"{args.long_minutes:g}-minute library", long, args, settings, Path(scratch))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
