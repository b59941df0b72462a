"""Memory figure: peak resident memory of `vidsearch index` on one file, by file size and length.

Each measurement is one fresh `vidsearch index FILE --index NEW_DIR` process (the real CLI); its
peak RSS is the kernel's figure for that process (`os.wait4`), and its RSS is also sampled every
0.25 s, to show whether memory grows along the file (it should not: frames are streamed).

Files: a small one (10 s, 640x360), the shared 4K clip (`broken/chaplin_upscaled_4k.mp4`, 3 s),
a medium and a long one (320x240, 25 fps, `--medium-minutes`, `--long-minutes`). The synthetic
files (testsrc2 pictures; the JFK speech of `../shared/media/speech/jfk.flac` looped, else a
tone) are made once with the ffmpeg of imageio-ffmpeg and cached in `--cache`.

Modalities: `visual` with the tiny open_clip config and a seeded RANDOM checkpoint (the path of
the real model, and its vectors mean nothing); `speech,ocr` with the real Whisper base, PP-OCR
and MiniLM of the offline packages. Those index about 2 s of video per second on 2 CPU cores (an
hour of video takes half an hour), so they run on the medium file, and on the long one with
`--long-speech`.

Then the speech path alone, step by step, on each synthetic file (a fresh process each): resident
memory and the peak of each step (VmHWM, reset between steps) after loading Whisper; over the
pipeline's windows (`decode.audio_chunks`, 600 s each, each given to faster-whisper, whose
`transcribe()` runs VAD over all it is given, copies the speech out and computes log-mel features
for all of it before it returns; then one sentence is decoded); and, for comparison, the same on
the whole track at once (`decode.audio`).

Usage: python benchmarks/bench_memory.py [--cache /tmp/vidsearch-bench] [--medium-minutes 15]
                                         [--long-minutes 60] [--long-speech] [--skip-long]
                                         [--skip-index] [--skip-sound]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bad_files import ROOT, CliRun, clip_args, offline_env, run_cli, tiny_clip_checkpoint

from indexer.decode import probe

SHARED = Path(os.environ.get("VIDSEARCH_SHARED", ROOT.parent / "shared"))
VISUAL, SPOKEN = "visual", "speech,ocr"


@dataclass(frozen=True)
class Measured:
    """One file indexed with one set of modalities."""

    label: str
    path: Path
    modalities: str
    run: CliRun
    duration: float
    size: str


def ffmpeg() -> str:
    import imageio_ffmpeg

    return str(imageio_ffmpeg.get_ffmpeg_exe())


def synthesise(path: Path, seconds: float, size: str) -> Path:
    """A testsrc2 video of `seconds` at `size`, 25 fps, with looped speech (or a tone); cached."""
    if path.is_file():
        return path
    speech = SHARED / "media" / "speech" / "jfk.flac"
    sound = ["-stream_loop", "-1", "-i", str(speech)] if speech.is_file() else ["-f", "lavfi", "-i", "sine=f=440"]
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part.mp4")
    command = [ffmpeg(), "-hide_banner", "-loglevel", "error", "-y"]
    command += ["-f", "lavfi", "-i", f"testsrc2=s={size}:r=25:d={seconds}", *sound, "-t", str(seconds)]
    command += ["-map", "0:v", "-map", "1:a", "-c:v", "libx264", "-preset", "fast", "-b:v", "150k", "-g", "250"]
    command += ["-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "32k", "-ac", "1", str(partial)]
    subprocess.run(command, check=True)
    partial.rename(path)
    return path


def measure(label: str, path: Path, modalities: str, checkpoint: Path) -> Measured:
    """Index `path` alone into a fresh index in a fresh CLI process."""
    extra = clip_args(checkpoint) if VISUAL in modalities else []
    with tempfile.TemporaryDirectory(prefix="vidsearch-mem-") as scratch:
        args = ["index", str(path), "--index", str(Path(scratch) / "index"), "--json"]
        run = run_cli([*args, "--modalities", modalities, *extra], offline_env(SHARED))
    if run.status != 0:
        raise SystemExit(f"vidsearch index {path} failed ({run.status}):\n{run.stdout[-2000:]}{run.stderr[-2000:]}")
    info = probe(path)
    print(f"  measured {label} {modalities}: {run.wall:.1f} s, peak {run.peak_mib:.0f} MiB", flush=True)
    return Measured(label, path, modalities, run, info.duration, f"{info.width}x{info.height}")


def rss_at(run: CliRun, share: float) -> float:
    """The sampled RSS (MiB) at `share` of the run's wall time."""
    if not run.samples:
        return 0.0
    return min(run.samples, key=lambda sample: abs(sample[0] - share * run.wall))[1]


def print_table(rows: Sequence[Measured]) -> None:
    base = {m.modalities: m.run.peak_mib for m in rows if m.label == "small"}
    head = f"{'file':<10} {'duration':>9} {'size':>10} {'modalities':<11} {'wall s':>8} {'x real':>7}"
    head += f" {'peak MiB':>9} {'vs small':>8}  {'RSS MiB at 25/50/75/95 % of wall':<32}"
    print(head)
    print("-" * len(head))
    for m in rows:
        ratio = m.run.peak_mib / base[m.modalities] if m.modalities in base else float("nan")
        timeline = "/".join(f"{rss_at(m.run, s):.0f}" for s in (0.25, 0.5, 0.75, 0.95))
        line = f"{m.label:<10} {m.duration:>8.1f}s {m.size:>10} {m.modalities:<11} {m.run.wall:>8.1f}"
        line += f" {m.duration / m.run.wall:>6.1f}x {m.run.peak_mib:>9.0f} {ratio:>7.2f}x  {timeline}"
        print(line)


def _memory() -> tuple[float, float]:
    """(resident, peak resident since the last reset) of this process, MiB."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def _step(name: str, began: float, **extra: object) -> None:
    """Print one step's memory as a JSON line, then reset the peak (clear_refs 5) for the next."""
    rss, peak = _memory()
    print(json.dumps({"step": name, "rss": rss, "peak": peak, "s": time.perf_counter() - began, **extra}), flush=True)
    Path("/proc/self/clear_refs").write_text("5")


def _first_sentence(model: object, samples: object) -> None:
    """faster-whisper's `transcribe()` runs VAD and computes the features of all of `samples`
    before it returns; then only the first sentence is decoded (the rest costs time, not memory)."""
    chunks, _info = model.transcribe(samples, beam_size=1, word_timestamps=True, vad_filter=True)  # type: ignore[attr-defined]
    next(iter(chunks), None)


def sound_steps(path: Path) -> None:
    """The child of `--sound-steps`: the speech path on `path` as the pipeline runs it (windows of
    AUDIO_CHUNK seconds), then on the whole track at once; one JSON line per step."""
    from indexer import decode
    from indexer.encoders.speech import Whisper, WhisperSpec
    from indexer.pipeline import AUDIO_CHUNK

    began = time.perf_counter()
    model = Whisper(WhisperSpec(device="cpu", offline=True))._load()
    _step("Whisper base loaded", began)
    windows = 0
    for _offset, samples in decode.audio_chunks(path, AUDIO_CHUNK):
        _first_sentence(model, samples)
        windows += 1
    _step(f"windows of {AUDIO_CHUNK:.0f} s (pipeline)", began, windows=windows)
    samples = decode.audio(path)
    _step("whole: decode.audio", began, seconds=len(samples) / decode.SAMPLE_RATE, mib=samples.nbytes / 2**20)
    _first_sentence(model, samples)
    _step("whole: VAD + features", began)


def measure_sound(path: Path) -> list[dict[str, float]]:
    command = [sys.executable, __file__, "--sound-steps", str(path)]
    done = subprocess.run(command, capture_output=True, text=True, env=offline_env(SHARED), check=True)
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def print_sound(label: str, steps: Sequence[dict[str, float]]) -> None:
    for step in steps:
        extra = f"  ({step['seconds']:.0f} s of audio = {step['mib']:.0f} MiB)" if "mib" in step else ""
        extra += f"  ({step['windows']:.0f} windows)" if "windows" in step else ""
        line = f"{label:<10} {step['step']:<30} {step['s']:>7.1f} {step['rss']:>9.0f} {step['peak']:>9.0f}"
        print(line + extra)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "vidsearch-bench")
    parser.add_argument("--medium-minutes", type=float, default=15.0)
    parser.add_argument("--long-minutes", type=float, default=60.0)
    parser.add_argument("--long-speech", action="store_true", help="also speech,ocr on the long file (slow)")
    parser.add_argument("--skip-long", action="store_true", help="no long file at all")
    parser.add_argument("--skip-index", action="store_true", help="no indexing table")
    parser.add_argument("--skip-sound", action="store_true", help="no step-by-step sound path figures")
    parser.add_argument("--sound-steps", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def plan(args: argparse.Namespace) -> list[tuple[str, Path, str]]:
    """(label, file, modalities) of every measurement, making the synthetic files first."""
    cache = args.cache
    small = synthesise(cache / "small-10s-640x360.mp4", 10, "640x360")
    four_k = SHARED / "media" / "broken" / "chaplin_upscaled_4k.mp4"
    medium = synthesise(cache / f"medium-{args.medium_minutes:g}min-320x240.mp4", args.medium_minutes * 60, "320x240")
    runs = [("small", small, VISUAL), ("small", small, SPOKEN)]
    runs += [("4K", four_k, VISUAL), ("4K", four_k, SPOKEN)] if four_k.is_file() else []
    runs += [("medium", medium, VISUAL), ("medium", medium, SPOKEN)]
    if not args.skip_long:
        long = synthesise(cache / f"long-{args.long_minutes:g}min-320x240.mp4", args.long_minutes * 60, "320x240")
        runs += [("long", long, VISUAL)] + ([("long", long, SPOKEN)] if args.long_speech else [])
    return runs


def sound_section(runs: Sequence[tuple[str, Path, str]]) -> None:
    """The step-by-step sound path figures, one fresh process per synthetic file."""
    print("\nspeech path alone, one fresh process per file (peak: of that step alone)")
    print(f"{'file':<10} {'step':<30} {'at s':>7} {'RSS MiB':>9} {'peak MiB':>9}")
    for label, path in dict.fromkeys((label, path) for label, path, _ in runs if label != "4K"):
        print_sound(label, measure_sound(path))


def index_section(runs: Sequence[tuple[str, Path, str]], checkpoint: Path) -> None:
    """The indexing table: each file with each set of modalities, one fresh CLI process each."""
    rows = [measure(label, path, modalities, checkpoint) for label, path, modalities in runs]
    print()
    print_table(rows)
    print("\ncommands (each into a fresh --index):")
    print(f"  vidsearch index FILE --index DIR --json --modalities {VISUAL} {' '.join(clip_args(checkpoint))}")
    print(f"  vidsearch index FILE --index DIR --json --modalities {SPOKEN}")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.sound_steps is not None:
        sound_steps(args.sound_steps)
        return 0
    runs = plan(args)
    checkpoint = tiny_clip_checkpoint(args.cache)
    print(f"vidsearch index, one file per fresh process ({os.cpu_count()} CPUs); files in {args.cache}")
    if not args.skip_index:
        index_section(runs, checkpoint)
    if not args.skip_sound:
        sound_section(runs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
