"""GPU figure: indexing speed per stage and end to end, and FAISS search latency at 1M vectors,
on the GPU (`--device cuda`, the default when torch sees one) or on the CPU (`--device cpu`).

What it measures, all in this one process:

- the machine: GPU (torch, nvidia-smi), CPU cores, and the libraries' view of the GPU;
- model loading: seconds to build and warm each model on `--device` (a model that fails there is
  loaded on the CPU instead, and the output says so), and where each one really runs: CLIP and
  MiniLM on their torch device, Whisper on CTranslate2's (device, compute type), OCR on the
  onnxruntime providers its three sessions use, YAMNet on the CPU (LiteRT has no GPU path here);
- indexing: `vidsearch.library.index_paths` with those models over a library made by looping the
  sample library to `--minutes` of video: wall seconds and x real time (video seconds per wall
  second), and each stage's seconds from the library's stage clock with its x real time. Stages
  overlap (sound beside pictures, frames decoded ahead), so they can add up to more than the wall;
- end to end: model loading plus indexing, and its x real time;
- FAISS: exact inner product (`IndexFlatIP`) over `--vectors` random unit float32 vectors of
  `--dim`: build seconds (adding them, the copy to the GPU included) and latency p50/p95 of one
  query and of a batch of 64 queries at k=`--k`; on the GPU (`index_cpu_to_gpu`) when faiss has
  GPU support and sees one and `--device` is not cpu, else on the CPU, and the output says which.

CLIP (`--clip-model`, ViT-B-32) has RANDOM weights: its speed does not depend on their values.
Whisper, PP-OCR and MiniLM are the offline packages' real models; sound events need YAMNet
(`--audio-model`, or the product's own cache or download) and are off without it. The latency
loops stop when their share of `--budget-seconds` is spent; the run says whether it kept to the
budget. Nothing is asserted.

Usage: python benchmarks/bench_gpu.py [--device cuda|cpu] [--minutes 5] [--vectors 1000000]
            [--dim 512] [--k 10] [--budget-seconds 300] [--audio-model yamnet.tflite]
            [--clip-model ViT-B-32] [--library data/library] [--cache /tmp/vidsearch-bench]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_index import ROOT, STAGES, Counted, ensure_library, looped_library, sampled_frames

from indexer.encoders.clip import ClipSpec, OpenClip
from indexer.encoders.ocr import RapidOcr
from indexer.files import discover
from indexer.pipeline import Models
from indexer.types import Modality, ModelRole, Space
from vidsearch import models as registry
from vidsearch.library import index_paths
from vidsearch.settings import Settings

ROLES: tuple[ModelRole, ...] = (Modality.VISUAL, Modality.SPEECH, Modality.OCR, Modality.AUDIO, Space.SENTENCE)
GPU_VECTORS = 1_000_000
CPU_VECTORS = 200_000
"""Default vector count when FAISS searches on the CPU (exact search at 1M takes ~10x as long)."""
BATCH = 64


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", choices=("cuda", "cpu"), help="where the models run (default: cuda when present)")
    parser.add_argument("--minutes", type=float, default=5.0, help="length of the looped library, minutes of video")
    parser.add_argument("--vectors", type=int, help=f"FAISS vectors (default {GPU_VECTORS}; {CPU_VECTORS} on CPU)")
    parser.add_argument("--dim", type=int, default=512, help="FAISS vector size (CLIP ViT-B: 512)")
    parser.add_argument("--k", type=int, default=10, help="neighbours per FAISS query")
    parser.add_argument("--budget-seconds", type=float, default=300.0, help="time the whole run should keep to")
    parser.add_argument("--audio-model", type=Path, help="YAMNet .tflite (else the product's cache or download)")
    parser.add_argument("--clip-model", default="ViT-B-32", help="open_clip architecture (random weights)")
    parser.add_argument("--library", type=Path, default=ROOT / "data" / "library", help="folder of videos to loop")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "vidsearch-bench")
    args = parser.parse_args(argv)
    if args.device is None:
        import torch

        args.device = "cuda" if torch.cuda.is_available() else "cpu"
    return args


def machine(device: str) -> list[str]:
    """What the run is on: CPU, GPU, and what torch, CTranslate2, onnxruntime and faiss see of it."""
    import ctranslate2
    import faiss
    import onnxruntime
    import torch

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    cpu = next((line.split(":", 1)[1].strip() for line in _cpuinfo() if line.startswith("model name")), "?")
    lines = [f"cpu        {cores} cores ({cpu}), {platform.machine()}, Python {platform.python_version()}"]
    if torch.cuda.is_available():
        names = ", ".join(torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count()))
        lines.append(f"gpu        {names} (torch {torch.__version__}, CUDA {torch.version.cuda})")
    else:
        lines.append(f"gpu        none visible to torch {torch.__version__}")
    smi = _nvidia_smi()
    if smi:
        lines.append(f"nvidia-smi {smi}")
    try:
        ct2_gpus = ctranslate2.get_cuda_device_count()
    except RuntimeError:
        ct2_gpus = 0
    lines.append(f"ctranslate2 {ctranslate2.__version__}: {ct2_gpus} CUDA device(s)")
    providers = ", ".join(onnxruntime.get_available_providers())
    lines.append(f"onnxruntime {onnxruntime.__version__} ({onnxruntime.get_device()}): {providers}")
    gpus = faiss.get_num_gpus() if hasattr(faiss, "get_num_gpus") else 0
    gpu_build = hasattr(faiss, "StandardGpuResources")
    lines.append(f"faiss      {faiss.__version__}, GPU support {'yes' if gpu_build else 'no'}, {gpus} GPU(s)")
    lines.append(f"device     {device}")
    return lines


def _cpuinfo() -> list[str]:
    try:
        return Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return []


def _nvidia_smi() -> str:
    if shutil.which("nvidia-smi") is None:
        return ""
    query = ["nvidia-smi", "--query-gpu=name,memory.total,driver_version", "--format=csv,noheader"]
    try:
        return subprocess.run(query, capture_output=True, text=True, timeout=20).stdout.strip().replace("\n", "; ")
    except (OSError, subprocess.SubprocessError):
        return ""


@dataclass
class Loaded:
    """The run's models, the seconds each took to build and warm, where each runs, and what went wrong."""

    models: dict[ModelRole, Any] = field(default_factory=dict)
    seconds: dict[ModelRole, float] = field(default_factory=dict)
    where: dict[ModelRole, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def build(role: ModelRole, settings: Settings, clip_model: str) -> Any:
    """One model as the product builds it; CLIP with random weights."""
    if role == Modality.VISUAL:
        spec = ClipSpec(model=clip_model, random_init=True, device=settings.device, batch_size=settings.batch_size)
        return OpenClip(spec).images
    model, _ = registry.BUILDERS[role](settings)
    return model


def warm(role: ModelRole, model: Any, frames: Sequence[np.ndarray], batch_size: int) -> None:
    """Run `model` once on real work, so that weights, kernels and sessions are all set up. Whisper
    is called without voice detection (on silence it would never run the model)."""
    if role == Modality.VISUAL:
        model.encode([np.zeros((224, 224, 3), np.uint8)] * batch_size)
    elif role == Modality.SPEECH:
        noise = np.random.default_rng(0).normal(0, 0.1, 16000 * 3).astype(np.float32)
        chunks, _ = model._load().transcribe(noise, beam_size=1, vad_filter=False, word_timestamps=True)
        list(chunks)
    elif role == Modality.OCR:
        for frame in frames:
            model.read(frame)
    elif role == Modality.AUDIO:
        model.detect(np.zeros(16000, np.float32))
    else:
        model.encode(["warm up the sentence model"])


def where(role: ModelRole, model: Any) -> str:
    """Where `model` runs, as its library reports it ("?" when it cannot tell)."""
    try:
        return _where(role, model)
    except Exception as exc:  # read through the libraries' internals, which may change
        return f"? ({type(exc).__name__}: {exc})"


def _where(role: ModelRole, model: Any) -> str:
    if role == Modality.VISUAL:
        device = model.clip.load()[3]
        return f"torch {device}" + (" fp16" if str(device).startswith("cuda") else " fp32")
    if role == Modality.SPEECH:
        whisper = getattr(model._load(), "model", None)
        return f"ctranslate2 {getattr(whisper, 'device', '?')} {getattr(whisper, 'compute_type', '?')}"
    if role == Modality.OCR and isinstance(model, RapidOcr):
        used = model.providers
        return "onnxruntime " + ", ".join(f"{part}: {'/'.join(names)}" for part, names in used.items())
    if role == Modality.AUDIO:
        return "LiteRT on the CPU"
    return f"torch {getattr(model._load(), 'device', '?')}"


def load_models(settings: Settings, clip_model: str, frames: Sequence[np.ndarray]) -> Loaded:
    """Every model of the run, built and warmed on `settings.device`, each falling back to the CPU
    when it fails there; a model that fails on the CPU too is left out (its modality is off)."""
    loaded = Loaded()
    cpu = settings.model_copy(update={"device": "cpu"})
    for role in ROLES:
        if role != Space.SENTENCE and role not in settings.modalities:
            continue
        began = time.perf_counter()
        gpu_first = settings.device != "cpu" and role != Modality.AUDIO  # LiteRT runs YAMNet on the CPU alone
        for attempt in (settings, cpu) if gpu_first else (cpu,):
            try:
                model = build(role, attempt, clip_model)
                warm(role, model, frames, settings.batch_size)
                loaded.models[role] = model
                break
            except Exception as exc:  # each library fails in its own classes: the CPU, else off
                reason = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:240]
                loaded.notes.append(f"{role} on {attempt.device} failed: {reason}")
        loaded.seconds[role] = time.perf_counter() - began
        if role in loaded.models:
            loaded.where[role] = where(role, loaded.models[role])
    return loaded


def x(video_seconds: float, seconds: float) -> str:
    return f"{video_seconds / seconds:7.1f}x" if seconds > 0 else "      -"


def index_figure(args: argparse.Namespace, settings: Settings, scratch: Path) -> None:
    """Load the models, index the looped library with them, print loading, stages and end to end."""
    began = time.perf_counter()
    videos = ensure_library(args.library)
    library = looped_library(videos, args.minutes, args.cache)
    looped = list(discover([library]))
    frames = sampled_frames(looped, settings.ocr_size, 2)
    print(f"\n== library {library}: {len(looped)} videos (setup {time.perf_counter() - began:.1f} s)", flush=True)

    loaded = load_models(settings, args.clip_model, frames)
    loading = sum(loaded.seconds.values())
    print(f"\n== model loading (build + one warm-up call each): {loading:.1f} s")
    for role in loaded.seconds:
        print(f"  {role:<10} {loaded.seconds[role]:6.1f} s  {loaded.where.get(role, 'OFF')}")
    for note in loaded.notes:
        print(f"  note: {note}")
    import onnxruntime

    print(f"  onnxruntime providers available: {', '.join(onnxruntime.get_available_providers())}", flush=True)

    models = {role: Counted(m) if role in (Modality.VISUAL, Modality.OCR) else m for role, m in loaded.models.items()}
    modalities = tuple(m for m in settings.modalities if m in models)
    run_settings = settings.model_copy(update={"modalities": modalities})
    began = time.perf_counter()
    report = index_paths([library], scratch / "index", run_settings, models=Models.from_roles(models))
    wall = time.perf_counter() - began
    if report.failed:
        print(f"  FAILED files: {[(str(f.path), f.error) for f in report.failed]}")
    if report.stopped_by is not None:
        print(f"  STOPPED by signal {report.stopped_by}: the figures cover part of the library")
    video = report.video_seconds
    print(f"\n== indexing {video:.0f} s of video ({len(report.indexed)} files; {','.join(modalities)})")
    print(f"  pipeline wall {wall:8.2f} s {x(video, wall)}   (models loaded)")
    for stage in STAGES:
        seconds = report.stage_seconds.get(stage)
        if seconds:
            print(f"    {stage:<13}{seconds:8.2f} s {x(video, seconds)}")
    for stage, seconds in report.stage_seconds.items():
        if stage not in STAGES and seconds:
            print(f"    {stage:<13}{seconds:8.2f} s {x(video, seconds)}")
    for role, label, unit in ((Modality.OCR, "OCR", "frames searched"), (Modality.VISUAL, "CLIP", "batches")):
        counted = models.get(role)
        if isinstance(counted, Counted):
            items = f", {counted.items} images" if counted.items else ""
            print(f"  {label} {unit}: {counted.calls}{items}")
    total = loading + wall
    print(
        f"  end to end (loading {loading:.1f} s + indexing {wall:.1f} s): {total:.1f} s {x(video, total)}", flush=True
    )


def latencies(search: Callable[[np.ndarray], object], queries: Sequence[np.ndarray], seconds: float) -> list[float]:
    """Milliseconds of each call of `search` on `queries` in turn (after one warm-up call), until
    they run out or `seconds` are spent (at least 5 calls)."""
    search(queries[0])
    taken: list[float] = []
    deadline = time.perf_counter() + seconds
    for query in queries:
        began = time.perf_counter()
        search(query)
        taken.append((time.perf_counter() - began) * 1000)
        if len(taken) >= 5 and time.perf_counter() > deadline:
            break
    return taken


def p50_p95(taken: Sequence[float]) -> str:
    return f"p50 {np.percentile(taken, 50):8.2f} ms  p95 {np.percentile(taken, 95):8.2f} ms  ({len(taken)} runs)"


def faiss_figure(args: argparse.Namespace, seconds: float) -> None:
    """Exact inner-product search over random unit vectors, on the GPU when it can be, in `seconds`."""
    import faiss

    on_gpu = args.device != "cpu" and hasattr(faiss, "StandardGpuResources") and faiss.get_num_gpus() > 0
    count = args.vectors or (GPU_VECTORS if on_gpu else CPU_VECTORS)
    where = "GPU (faiss.index_cpu_to_gpu)" if on_gpu else "CPU"
    print(f"\n== FAISS IndexFlatIP, {count} x {args.dim} float32, k={args.k}, on the {where}")
    if args.vectors is None and not on_gpu:
        print(f"  ({CPU_VECTORS} vectors, not {GPU_VECTORS}: exact search on the CPU; --vectors sets it)")
    if args.device != "cpu" and not on_gpu:
        print("  faiss has no GPU support here (install faiss-gpu-cu12): searching on the CPU")
    if on_gpu:
        print("  (search.vectors.VectorIndex searches a GPU copy too, index_cpu_to_all_gpus; at 1M its index is IVF)")
    began = time.perf_counter()
    vectors = faiss.randn(count * args.dim, 1).reshape(count, args.dim)
    faiss.normalize_L2(vectors)
    queries = faiss.randn(1000 * args.dim, 2).reshape(1000, args.dim)
    faiss.normalize_L2(queries)
    print(f"  vectors made in {time.perf_counter() - began:.1f} s", flush=True)

    began = time.perf_counter()
    index: Any = faiss.IndexFlatIP(args.dim)
    resources = None
    if on_gpu:
        resources = faiss.StandardGpuResources()
        index = faiss.index_cpu_to_gpu(resources, 0, index)
    index.add(vectors)
    print(f"  build (add{', copy to the GPU' if on_gpu else ''}): {time.perf_counter() - began:.2f} s")
    del vectors
    singles = [queries[i : i + 1] for i in range(len(queries))]
    batches = [np.roll(queries, -i * BATCH, axis=0)[:BATCH] for i in range(100)]
    k = args.k
    print(f"  1 query:     {p50_p95(latencies(lambda q: index.search(q, k), singles, seconds / 2))}")
    print(f"  {BATCH} queries:  {p50_p95(latencies(lambda q: index.search(q, k), batches, seconds / 2))}", flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.device == "cuda":
        import torch

        if not torch.cuda.is_available():
            raise SystemExit("no CUDA device is visible to torch: run with --device cpu")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    started = time.perf_counter()
    print(f"vidsearch GPU figure (budget {args.budget_seconds:.0f} s)")
    for line in machine(args.device):
        print(f"  {line}")
    extra = {"audio_model": args.audio_model} if args.audio_model else {}
    settings = Settings(clip_model=args.clip_model, device=args.device, modalities=tuple(Modality), **extra)
    with tempfile.TemporaryDirectory(prefix="vidsearch-gpu-") as scratch:
        index_figure(args, settings, Path(scratch))
    spent = time.perf_counter() - started
    faiss_figure(args, max(10.0, min(40.0, args.budget_seconds - spent - 30.0)))
    total = time.perf_counter() - started
    verdict = "within" if total <= args.budget_seconds else "OVER"
    print(f"\ntotal {total:.1f} s, {verdict} the budget of {args.budget_seconds:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
