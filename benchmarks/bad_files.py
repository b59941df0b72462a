"""Bad files figure: how `vidsearch index` (the real CLI) ends on every odd file of the shared media.

Indexes every file of `../shared/media/broken` and `../shared/media/edge` (named one by one, so
audio-only and text files are attempted too) and the videos of `scenes/`, `codecs/` and `speech/`
into one fresh temporary index, in one `vidsearch index --json` run, and prints a table: file,
outcome (indexed / failed), reason (the error, or the first warning logged about an indexed file),
duration, segments, the longest segment, keyframes and spans per modality (read from the index);
then what the CLI logged, and the run's wall time and peak RSS (the CLI process's own, from
`os.wait4`).

Models: speech, OCR and text from the offline packages; sound events from YAMNet when
`../shared/models/yamnet` is there; visual from a tiny open_clip config with RANDOM weights
(`tests/data/tiny-clip.json`, a seeded checkpoint written here): it exercises the keyframe
path, its vectors mean nothing. `--modalities` chooses others (`--no-visual` leaves CLIP off).

Usage: python benchmarks/bad_files.py [--shared ../shared] [--modalities speech,ocr] [--no-visual]
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLI = Path(sys.executable).parent / "vidsearch"
TINY_CLIP = ROOT / "tests" / "data" / "tiny-clip.json"
NAMED = ("broken", "edge")
"""Folders whose every file is named to the CLI, whatever its suffix."""
SWEPT = ("scenes", "codecs", "speech")
"""Folders given as folders: only their video files are indexed."""
SPAN_MODALITIES = ("speech", "ocr", "audio")


@dataclass(frozen=True)
class CliRun:
    """One run of the CLI: exit status, output, wall seconds, peak resident set (MiB, from the
    kernel's accounting of that process) and its resident set sampled over time (seconds, MiB)."""

    status: int
    stdout: str
    stderr: str
    wall: float
    peak_mib: float
    samples: tuple[tuple[float, float], ...] = ()


def _resident_mib(pid: int) -> float:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    line = next((line for line in status.splitlines() if line.startswith("VmRSS:")), "VmRSS: 0 kB")
    return int(line.split()[1]) / 1024


def run_cli(args: Sequence[str], env: dict[str, str] | None = None, every: float = 0.25) -> CliRun:
    """Run `vidsearch ARGS`; peak RSS is that process's own (`wait4`), sampled every `every` s too."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        began = time.perf_counter()
        child = subprocess.Popen([str(CLI), *args], stdout=out, stderr=err, env=env)
        samples = []
        while True:
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            samples.append((time.perf_counter() - began, _resident_mib(child.pid)))
            time.sleep(every)
        wall = time.perf_counter() - began
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0), err.seek(0)
        text, errors = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    return CliRun(child.returncode, text, errors, wall, usage.ru_maxrss / 1024, tuple(samples))


def offline_env(shared: Path) -> dict[str, str]:
    """The environment for the CLI: no hub, YAMNet from the shared models when it is there."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "VIDSEARCH_OFFLINE": "1"}
    yamnet = shared / "models" / "yamnet" / "yamnet.tflite"
    if yamnet.is_file() and "VIDSEARCH_AUDIO_MODEL" not in env:
        env["VIDSEARCH_AUDIO_MODEL"] = str(yamnet)
    return env


def tiny_clip_checkpoint(folder: Path) -> Path:
    """A seeded random checkpoint of the tiny CLIP config (as tests/conftest.py makes), in `folder`."""
    path = folder / "tiny-clip.pt"
    if not path.is_file():
        code = (
            "import sys, open_clip, torch; open_clip.add_model_config(sys.argv[1]); torch.manual_seed(0); "
            "torch.save(open_clip.create_model('tiny-clip', pretrained=None).state_dict(), sys.argv[2])"
        )
        subprocess.run([sys.executable, "-c", code, str(TINY_CLIP), str(path)], check=True)
    return path


def clip_args(checkpoint: Path) -> list[str]:
    return ["--clip-model", str(TINY_CLIP), "--clip-checkpoint", str(checkpoint), "--device", "cpu"]


def summary(run: CliRun) -> dict[str, object]:
    """The JSON summary line that `vidsearch index --json` ends with."""
    for line in reversed(run.stdout.splitlines()):
        if line.startswith("{"):
            return dict(json.loads(line))
    raise SystemExit(f"vidsearch index printed no JSON summary (exit {run.status}):\n{run.stderr[-3000:]}")


@dataclass
class Row:
    """One file of the figure."""

    path: Path
    outcome: str = "not reached"
    reason: str = ""
    duration: float | None = None
    segments: int = 0
    longest: float = 0.0
    keyframes: int = 0
    spans: dict[str, int] = field(default_factory=dict)


def read_index(index: Path, rows: dict[Path, Row]) -> None:
    """Fill in duration, segments, keyframes and spans per modality of the indexed rows."""
    db = sqlite3.connect(f"file:{index / 'index.db'}?mode=ro", uri=True)
    try:
        for vid, path, duration in db.execute("SELECT id, path, duration FROM videos"):
            row = rows.get(Path(path))
            if row is None:
                continue
            row.duration = duration
            row.segments, row.longest = db.execute(
                'SELECT count(*), coalesce(max("end" - start), 0) FROM segments WHERE video_id=?', (vid,)
            ).fetchone()
            row.keyframes = db.execute(
                "SELECT count(*) FROM keyframes k JOIN segments s ON k.segment_id=s.id WHERE s.video_id=?", (vid,)
            ).fetchone()[0]
            counts = db.execute("SELECT modality, count(*) FROM spans WHERE video_id=? GROUP BY modality", (vid,))
            row.spans = dict(counts.fetchall())
    finally:
        db.close()


def first_warning(stderr: str, path: Path) -> str:
    """The first line the CLI logged about `path` (a decoding that stopped early, say)."""
    for line in stderr.splitlines():
        if str(path) in line:
            return line.split(f"{path}:", 1)[-1].strip()
    return ""


def inputs(media: Path) -> tuple[list[Path], list[Path]]:
    """(what to pass to the CLI, the files expected in the figure)."""
    named = sorted(p for folder in NAMED for p in (media / folder).iterdir() if p.is_file())
    swept = [media / folder for folder in SWEPT if (media / folder).is_dir()]
    return named + swept, named


def collect(run: CliRun, index: Path, expected: Sequence[Path]) -> list[Row]:
    """One row per file the CLI reported or was expected to report."""
    result = summary(run)
    rows = {p.absolute(): Row(p.absolute()) for p in expected}
    for path in result["indexed"]:  # type: ignore[union-attr]
        row = rows.setdefault(Path(path), Row(Path(path)))
        row.outcome, row.reason = "indexed", first_warning(run.stderr, Path(path))
    for failure in result["failed"]:  # type: ignore[union-attr]
        row = rows.setdefault(Path(failure["path"]), Row(Path(failure["path"])))
        row.outcome, row.reason = "failed", failure["error"]
    if (index / "index.db").is_file():
        read_index(index, rows)
    return sorted(rows.values(), key=lambda r: (r.path.parent.name, r.path.name))


def print_table(rows: Sequence[Row], media: Path) -> None:
    head = f"{'file':<44} {'outcome':<8} {'dur s':>7} {'segs':>5} {'max s':>6} {'kf':>4}"
    head += "".join(f" {m:>6}" for m in SPAN_MODALITIES) + "  reason"
    print(head)
    print("-" * len(head))
    for row in rows:
        name = str(row.path.relative_to(media)) if row.path.is_relative_to(media) else str(row.path)
        duration = f"{row.duration:7.2f}" if row.duration is not None else f"{'-':>7}"
        line = f"{name:<44} {row.outcome:<8} {duration} {row.segments:>5} {row.longest:>6.2f} {row.keyframes:>4}"
        line += "".join(f" {row.spans.get(m, 0):>6}" for m in SPAN_MODALITIES)
        print(f"{line}  {row.reason[:90]}")


def print_footer(run: CliRun, rows: Sequence[Row]) -> None:
    """What the CLI logged (each line once), the counts, wall time and peak RSS."""
    logged = list(dict.fromkeys(line for line in run.stderr.splitlines() if line.startswith("vidsearch:")))
    print("\nlogged by the CLI:" if logged else "\nthe CLI logged nothing")
    for line in logged:
        print(f"  {line[:160]}")
    indexed = sum(r.outcome == "indexed" for r in rows)
    video = sum(r.duration or 0.0 for r in rows)
    print(f"\n{indexed} indexed, {sum(r.outcome == 'failed' for r in rows)} failed, exit status {run.status}")
    print(f"wall {run.wall:.1f} s for {video:.1f} s of video; peak RSS {run.peak_mib:.0f} MiB")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=Path(os.environ.get("VIDSEARCH_SHARED", ROOT.parent / "shared")))
    parser.add_argument("--modalities", help="passed to vidsearch index (default: all it can have)")
    parser.add_argument("--no-visual", action="store_true", help="no tiny random CLIP: visual is OFF")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    media = (args.shared / "media").absolute()
    if not media.is_dir():
        raise SystemExit(f"no shared media at {media}")
    paths, expected = inputs(media)
    with tempfile.TemporaryDirectory(prefix="vidsearch-bad-") as scratch:
        index = Path(scratch) / "index"
        extra = [] if args.no_visual else clip_args(tiny_clip_checkpoint(Path(scratch)))
        extra += ["--modalities", args.modalities] if args.modalities else []
        run = run_cli(["index", *map(str, paths), "--index", str(index), "--json", *extra], offline_env(args.shared))
        rows = collect(run, index, expected)
        missing = summary(run)["missing_modalities"]
    print(f"vidsearch index over {media}/{{{','.join(NAMED)}}} (every file) + {{{','.join(SWEPT)}}} (videos)")
    print(f"  options: {' '.join(extra) or '(defaults)'}; modalities missing: {missing or 'none'}\n")
    print_table(rows, media)
    print_footer(run, rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
