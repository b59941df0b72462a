"""Fuzzing the probe and decode path with mutated containers.

Small valid files (H.264 mp4 with and without audio, moov first and last, VP9 webm, H.264 and
VP8 mkv) are synthesised, then mutated (bits flipped, bytes and 32-bit sizes overwritten,
truncated, ranges zeroed, deleted or duplicated, chunks of another file spliced in). Each
mutant goes where a file goes in the indexer: `decode.probe`, then `decode.frames` with every
decoder, and `decode.audio_chunks` / `decode.audio`. The only acceptable outcomes are success or an `IndexerError`
(`VideoError`); any other exception, a malformed frame, a crash or a hang is a finding.

The loop runs in a child process (`python -m tests.test_fuzz`) so that a segfault or abort in
FFmpeg or decord cannot take pytest down; the parent restarts it after the crashing case. Each
case is reproducible from (seed, iteration) and every finding's mutant is kept on disk with a
replay command. `VIDSEARCH_FUZZ_SECONDS` (default 20) bounds the fuzzing time,
`VIDSEARCH_FUZZ_SEED` (default 0) picks the sequence of mutants.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import random
import shutil
import subprocess
import sys
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from indexer.types import Frame

pytestmark = pytest.mark.slow  # a fuzzing campaign and its known bad mutants

ROOT = Path(__file__).resolve().parent.parent
SECONDS_ENV = "VIDSEARCH_FUZZ_SECONDS"
SEED_ENV = "VIDSEARCH_FUZZ_SEED"
HANG_SECONDS = 15.0
"""A child silent (no new case started) for this long is stuck on one mutant: killed, reported as a hang."""
MAX_FRAMES = 3000
"""Frames taken from one decoder per mutant (the bases have 15); more is noted as a runaway, not a failure."""
MEMORY_LIMIT = 4 << 30
"""Resident bytes at which the parent kills the child (a finding): a mutant must not make a decoder
allocate wildly. (Not RLIMIT_AS: thread stacks and malloc arenas reserve gigabytes of address
space they never touch, and FFmpeg then fails to start its threads.)"""
SHORT_SIDE, DETAIL_SIDE = 64, 128
CHUNK = 0.3
"""Seconds of sound per piece when checking `decode.audio_chunks`."""

_VIDEO = ["-f", "lavfi", "-i", "testsrc2=s=160x120:r=15:d=1"]
_SOUND = ["-f", "lavfi", "-i", "sine=frequency=440:duration=1:sample_rate=16000"]
_H264 = ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-g", "5", "-preset", "ultrafast"]
BASES: dict[str, list[str]] = {
    "h264_aac.mp4": [*_VIDEO, *_SOUND, *_H264, "-c:a", "aac", "-shortest"],
    "h264_faststart.mp4": [*_VIDEO, *_SOUND, *_H264, "-c:a", "aac", "-shortest", "-movflags", "+faststart"],
    "h264_silent.mp4": [*_VIDEO, *_H264],
    "vp9_opus.webm": [*_VIDEO, *_SOUND, "-c:v", "libvpx-vp9", "-g", "5", "-deadline", "realtime", "-c:a", "libopus"],
    "h264_flac.mkv": [*_VIDEO, *_SOUND, *_H264, "-c:a", "flac"],
    "vp8_silent.mkv": [*_VIDEO, "-c:v", "libvpx", "-g", "5", "-deadline", "realtime"],
}
"""Base files (1 s, 160x120, 15 fps, a keyframe every 5 frames) and the ffmpeg arguments that make them."""


def make_bases(folder: Path) -> list[Path]:
    """Synthesise the base files into `folder` with the ffmpeg that imageio-ffmpeg ships."""
    from tests.media import run

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, args in BASES.items():
        run([*args, "-fflags", "+bitexact", str(folder / name)])
        paths.append(folder / name)
    return paths


# -- mutations ---------------------------------------------------------------------------------

Mutation = Callable[[bytearray, random.Random, Sequence[bytes]], str]


def _at(rng: random.Random, size: int) -> int:
    """A position in a file of `size` bytes: anywhere, or near either end, where containers keep headers."""
    if size <= 1:
        return 0
    where = rng.random()
    if where < 0.5:
        return rng.randrange(size)
    if where < 0.75:
        return rng.randrange(min(size, 2048))
    return rng.randrange(max(0, size - 2048), size)


def _length(rng: random.Random) -> int:
    return rng.choice((1, 2, 4, 8, 16, 64, 256, 1024, 4096)) * rng.randint(1, 3)


def flip(data: bytearray, rng: random.Random, _donors: Sequence[bytes]) -> str:
    spots = [_at(rng, len(data)) for _ in range(rng.randint(1, 16))]
    for spot in spots:
        data[spot] ^= 1 << rng.randrange(8)
    return f"flip@{spots[0]}x{len(spots)}"


def overwrite_int(data: bytearray, rng: random.Random, _donors: Sequence[bytes]) -> str:
    """A 32-bit big-endian boundary value where a box size, count or timestamp may be."""
    spot = _at(rng, len(data))
    value = rng.choice((0, 1, 0x7F, 0x80, 0xFF, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, rng.getrandbits(32)))
    data[spot : spot + 4] = value.to_bytes(4, "big")[: len(data) - spot]
    return f"int@{spot}={value:#x}"


def truncate(data: bytearray, rng: random.Random, _donors: Sequence[bytes]) -> str:
    keep = rng.randrange(len(data) + 1)
    del data[keep:]
    return f"truncate@{keep}"


def zero(data: bytearray, rng: random.Random, _donors: Sequence[bytes]) -> str:
    spot, length = _at(rng, len(data)), _length(rng)
    end = min(len(data), spot + length)
    data[spot:end] = bytes(end - spot)
    return f"zero@{spot}+{end - spot}"


def delete(data: bytearray, rng: random.Random, _donors: Sequence[bytes]) -> str:
    spot, length = _at(rng, len(data)), _length(rng)
    del data[spot : spot + length]
    return f"delete@{spot}+{length}"


def duplicate(data: bytearray, rng: random.Random, _donors: Sequence[bytes]) -> str:
    spot, length, to = _at(rng, len(data)), _length(rng), _at(rng, len(data))
    data[to:to] = data[spot : spot + length]
    return f"duplicate@{spot}+{length}->{to}"


def splice(data: bytearray, rng: random.Random, donors: Sequence[bytes]) -> str:
    """A chunk of another base file inserted, or written over this one's bytes."""
    donor = rng.choice(donors)
    spot, length, to = _at(rng, len(donor)), _length(rng), _at(rng, len(data))
    chunk = donor[spot : spot + length]
    if rng.random() < 0.5:
        data[to:to] = chunk
        return f"splice-in@{to}+{len(chunk)}"
    data[to : to + len(chunk)] = chunk
    return f"splice-over@{to}+{len(chunk)}"


MUTATIONS: tuple[Mutation, ...] = (flip, flip, overwrite_int, overwrite_int, truncate, zero, delete, duplicate, splice)


@dataclass(frozen=True)
class Case:
    """One mutant: which base, what was done to it, and the seed and iteration that reproduce it."""

    seed: int
    iteration: int
    base: str
    ops: tuple[str, ...]


def mutate(seed: int, iteration: int, bases: Sequence[Path], contents: Sequence[bytes]) -> tuple[Case, bytes]:
    """The mutant number `iteration` of the sequence `seed` (deterministic given the bases)."""
    rng = random.Random(f"{seed}:{iteration}")
    pick = rng.randrange(len(bases))
    data = bytearray(contents[pick])
    ops = []
    for _ in range(rng.choice((1, 1, 1, 2, 2, 3))):
        if data:
            ops.append(rng.choice(MUTATIONS)(data, rng, contents))
    return Case(seed, iteration, bases[pick].name, tuple(ops)), bytes(data)


# -- exercising the decode path ----------------------------------------------------------------


class Malformed(Exception):
    """Decoding succeeded but produced something the pipeline cannot use (a bad frame or sample)."""


@dataclass
class Outcome:
    """What the decode path did with one file: steps that passed, failed cleanly, or broke."""

    steps: dict[str, str] = field(default_factory=dict)
    problems: list[dict[str, str]] = field(default_factory=list)
    runaway: bool = False


def _check_frames(frames: Iterator[Frame]) -> bool:
    """Consume frames (at most MAX_FRAMES), checking each; True when the cap was hit."""
    shape = None
    for count, frame in enumerate(frames):
        image, stamp = frame.image, frame.time
        if image.dtype.name != "uint8" or image.ndim != 3 or image.shape[2] != 3 or 0 in image.shape:
            raise Malformed(f"frame {count}: image {image.dtype} {image.shape}")
        if shape is not None and image.shape != shape:
            raise Malformed(f"frame {count}: shape {image.shape} after {shape}")
        if not math.isfinite(stamp) or stamp < 0:
            raise Malformed(f"frame {count}: time {stamp}")
        shape = image.shape
        if count + 1 >= MAX_FRAMES:
            return True
    return False


def _check_audio(samples: object) -> None:
    import numpy as np

    if not isinstance(samples, np.ndarray) or samples.dtype != np.float32 or samples.ndim != 1:
        raise Malformed(
            f"audio {type(samples).__name__} {getattr(samples, 'dtype', '')} {getattr(samples, 'shape', '')}"
        )
    if samples.size and not np.isfinite(samples).all():
        raise Malformed("audio has non-finite samples")


def _check_audio_chunks(path: Path) -> None:
    """Sound in CHUNK-second pieces (as the pipeline reads it, with tiny pieces so that the 1 s
    bases are cut): each piece well formed and not empty, each starting where the previous one
    ended or later (after a hole in the sound), and the whole track as long as the pieces reach."""
    from indexer import decode

    expected = 0
    for offset, samples in decode.audio_chunks(path, CHUNK):
        _check_audio(samples)
        at = round(offset * decode.SAMPLE_RATE)
        if not math.isfinite(offset) or at < expected or samples.size == 0:
            raise Malformed(f"chunk at {offset} s of {samples.size} samples after {expected} samples")
        expected = at + samples.size
    whole = decode.audio(path)
    _check_audio(whole)
    if whole.size != expected:
        raise Malformed(f"chunks reach {expected} samples, the whole track {whole.size}")


def exercise(path: Path) -> Outcome:
    """Probe `path`; when it probes, decode its frames with every decoder and its audio."""
    from indexer import decode
    from indexer.errors import IndexerError

    outcome = Outcome()

    def step(name: str, action: Callable[[], object]) -> object:
        try:
            result = action()
        except IndexerError as exc:
            outcome.steps[name] = type(exc).__name__
            return None
        except Exception as exc:
            outcome.steps[name] = "BROKE"
            trace = traceback.format_exception(type(exc), exc, exc.__traceback__)
            where = next((line.strip().splitlines()[0] for line in reversed(trace) if 'File "' in line), "")
            message = str(exc).splitlines()[0][:200] if str(exc) else ""
            outcome.problems.append({"step": name, "error": f"{type(exc).__name__}: {message}", "where": where})
            return None
        outcome.steps[name] = "ok"
        return result

    info = step("probe", lambda: decode.probe(path))
    if info is None:
        return outcome
    for decoder in ("auto", "pyav", "decord"):
        detail = DETAIL_SIDE if decoder == "auto" else 0
        capped = step(decoder, lambda d=decoder, s=detail: _check_frames(decode.frames(info, SHORT_SIDE, d, s)))
        outcome.runaway |= bool(capped)
    step("audio", lambda: _check_audio_chunks(path))
    return outcome


# -- the child: the fuzz loop ------------------------------------------------------------------


def _quiet() -> None:
    """The library's warnings about broken files are expected here by the thousand."""
    logging.disable(logging.WARNING)
    try:
        import av.logging

        av.logging.set_level(None)
    except (ImportError, AttributeError):
        pass


def fuzz_loop(bases: Sequence[Path], work: Path, seed: int, start: int, seconds: float) -> dict[str, int]:
    """Mutate and exercise until `seconds` pass, from iteration `start`. Before each case its
    mutant and description are written to `work` (case.*), so the parent can report a crash."""
    contents = [p.read_bytes() for p in bases]
    counts = {"iterations": 0, "probed": 0, "rejected": 0, "runaway": 0, "findings": 0}
    deadline = time.monotonic() + seconds
    iteration = start
    while time.monotonic() < deadline:
        case, data = mutate(seed, iteration, bases, contents)
        mutant = work / f"case{Path(case.base).suffix}"
        mutant.write_bytes(data)
        (work / "case.json").write_text(json.dumps({**case.__dict__, "file": mutant.name, "counts": counts}))
        outcome = exercise(mutant)
        counts["iterations"] += 1
        counts["probed" if outcome.steps.get("probe") == "ok" else "rejected"] += 1
        counts["runaway"] += outcome.runaway
        if outcome.problems:
            counts["findings"] += 1
            _keep(work, case, mutant, outcome.problems)
        iteration += 1
    return counts


def _keep(work: Path, case: Case, mutant: Path, problems: Sequence[dict[str, str]]) -> None:
    """Save a finding's mutant under work/findings/ and append it to findings.jsonl."""
    keep = work / "findings" / f"{case.seed}-{case.iteration}-{case.base}"
    keep.parent.mkdir(exist_ok=True)
    shutil.copyfile(mutant, keep)
    record = {"case": case.__dict__, "file": str(keep), "problems": list(problems)}
    with (work / "findings.jsonl").open("a") as out:
        out.write(json.dumps(record) + "\n")


def replay(path: Path) -> int:
    """Run the decode path on one file and print what each step did (the reproducer)."""
    outcome = exercise(path)
    print(json.dumps({"file": str(path), "steps": outcome.steps, "problems": outcome.problems}, indent=1))
    return 1 if outcome.problems else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="the fuzz loop (run by test_fuzz.py), or --replay FILE")
    parser.add_argument("--bases", type=Path)
    parser.add_argument("--work", type=Path)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--start", type=int, default=0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--replay", type=Path, help="exercise this one file and print the outcome")
    args = parser.parse_args(argv)
    _quiet()
    if args.replay is not None:
        return replay(args.replay)
    bases = sorted(args.bases.iterdir())
    counts = fuzz_loop(bases, args.work, args.seed, args.start, args.seconds)
    print("FUZZ " + json.dumps(counts), flush=True)
    return 0


# -- the parent: pytest ------------------------------------------------------------------------


@dataclass
class Campaign:
    """Everything the children did: counts, and the crashes and hangs the parent saw."""

    counts: dict[str, int] = field(default_factory=dict)
    crashes: list[dict[str, object]] = field(default_factory=list)
    children: int = 0

    def add(self, counts: dict[str, int]) -> None:
        for key, value in counts.items():
            self.counts[key] = self.counts.get(key, 0) + value


def _child(bases: Path, work: Path, seed: int, start: int, seconds: float) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "tests.test_fuzz", "--bases", str(bases), "--work", str(work)]
    command += ["--seed", str(seed), "--start", str(start), "--seconds", f"{seconds:.2f}"]
    with (work / "child.out").open("wb") as out, (work / "child.log").open("ab") as log:
        return subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=log)


def _resident(pid: int) -> int:
    """Resident bytes of process `pid` (0 where /proc cannot tell)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    line = next((line for line in status.splitlines() if line.startswith("VmRSS:")), "VmRSS: 0 kB")
    return int(line.split()[1]) * 1024


def _wait(child: subprocess.Popen[bytes], work: Path, deadline: float) -> int | str:
    """The child's exit status, or why it was killed: stuck on one case, or grown too big."""
    case_file = work / "case.json"
    while child.poll() is None:
        stamp = case_file.stat().st_mtime if case_file.exists() else time.time()
        stuck = time.time() - stamp > HANG_SECONDS or time.monotonic() > deadline + HANG_SECONDS
        size = _resident(child.pid)
        if stuck or size > MEMORY_LIMIT:
            child.kill()
            child.wait()
            why = f"hung (no progress in {HANG_SECONDS:.0f} s)" if stuck else f"resident {size >> 20} MiB"
            return why
        time.sleep(0.05)
    return child.returncode


def _crashed(work: Path, status: int | str) -> tuple[dict[str, object], dict[str, int], int]:
    """Keep the mutant the child died on; returns its record, the child's counts before it (the
    crashing case included) and the iteration to go on from."""
    log = (work / "child.log").read_text(errors="replace").strip().splitlines()[-3:]
    if not (work / "case.json").exists():
        raise AssertionError(f"the fuzz child failed before its first case ({status}): {log}")
    case = json.loads((work / "case.json").read_text())
    mutant, counts = work / str(case.pop("file")), case.pop("counts")
    counts = {**counts, "iterations": counts["iterations"] + 1, "findings": counts["findings"] + 1}
    keep = work / "findings" / f"{case['seed']}-{case['iteration']}-crash-{case['base']}"
    keep.parent.mkdir(exist_ok=True)
    shutil.copyfile(mutant, keep)
    (work / "case.json").unlink()
    what = f"exit status {status}" if isinstance(status, int) else status
    return {"case": case, "file": str(keep), "what": what, "stderr": log}, counts, int(case["iteration"]) + 1


def campaign(bases: Path, work: Path, seed: int, seconds: float) -> Campaign:
    """Run children until `seconds` of fuzzing are spent, restarting after each crash or hang."""
    work.mkdir(parents=True, exist_ok=True)
    result, start = Campaign(), 0
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0.5:
        child = _child(bases, work, seed, start, left)
        status = _wait(child, work, deadline)
        out = (work / "child.out").read_text(errors="replace")
        result.children += 1
        summary = [line for line in out.splitlines() if line.startswith("FUZZ ")]
        if status == 0 and summary:
            result.add(json.loads(summary[-1][5:]))
            break
        crash, counts, start = _crashed(work, status)
        result.crashes.append(crash)
        result.add(counts)
    return result


def _signature(problem: dict[str, object]) -> str:
    """What a finding is, whatever the mutant: the exception type (or crash) and where it came from."""
    error = str(problem.get("error", "")).split(":", 1)[0]
    return f"{error} at {problem.get('where', '')}".strip()


def _report(result: Campaign, work: Path, seconds: float) -> str:
    """Counts, then each kind of finding once: how many mutants showed it and two reproducers."""
    lines = [f"fuzzed {result.counts} in {seconds:.1f} s over {result.children} child process(es)"]
    findings = work / "findings.jsonl"
    records = [json.loads(line) for line in findings.read_text().splitlines()] if findings.exists() else []
    records += [{**c, "problems": [{"error": c["what"], "where": "; ".join(c["stderr"])}]} for c in result.crashes]
    kinds: dict[str, list[dict[str, object]]] = {}
    steps: dict[str, set[str]] = {}
    for record in records:
        for signature in dict.fromkeys(_signature(problem) for problem in record["problems"]):
            kinds.setdefault(signature, []).append(record)
        for problem in record["problems"]:
            steps.setdefault(_signature(problem), set()).add(str(problem.get("step", "-")))
    for signature, seen in kinds.items():
        lines.append(f"- {len(seen)} mutant(s): {signature} (steps {', '.join(sorted(steps[signature]))})")
        for record in seen[:2]:
            lines.append(f"    {record['case']}")
            lines.append(f"    replay: {sys.executable} -m tests.test_fuzz --replay {record['file']}")
    return "\n".join(lines)


@pytest.fixture(scope="module")
def bases(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("fuzz") / "bases"
    make_bases(folder)
    return folder


def test_mutated_containers_decode_or_fail_with_a_video_error(bases: Path, tmp_path: Path) -> None:
    """Every mutant either decodes or fails with an IndexerError; nothing crashes, hangs or breaks."""
    seconds = float(os.environ.get(SECONDS_ENV, "20"))
    seed = int(os.environ.get(SEED_ENV, "0"))
    began = time.monotonic()
    result = campaign(bases, tmp_path / "work", seed, seconds)
    report = _report(result, tmp_path / "work", time.monotonic() - began)
    print(report)
    assert result.counts.get("iterations", 0) > 0, report
    assert result.counts.get("probed", 0) > 0, f"no mutant survived probing; the mutations are too harsh\n{report}"
    assert not result.crashes and not result.counts.get("findings"), report


def _patched(base: Path, atom: bytes, offset: int, value: Callable[[int], int]) -> bytes:
    """`base` with the 32-bit field `offset` bytes past the first `atom` tag set to value(old)."""
    data = bytearray(base.read_bytes())
    at = data.index(atom) + offset
    data[at : at + 4] = value(int.from_bytes(data[at : at + 4], "big")).to_bytes(4, "big")
    return bytes(data)


def _last_sample_of_4_gib(bases: Path) -> bytes:
    """PyAV's FFmpeg skips the sample; decord's refuses the file with a bare RuntimeError."""
    data = (bases / "h264_silent.mp4").read_bytes()
    table = data.index(b"stsz")
    entries = int.from_bytes(data[table + 12 : table + 16], "big")
    return _patched(bases / "h264_silent.mp4", b"stsz", 16 + 4 * (entries - 1), lambda _old: 0xFFFFFFFF)


def _two_billion_frames(bases: Path) -> bytes:
    """The stts sample count with its top bit set: the stream declares 2**31 + 15 frames, and
    decord's VideoReader aborts the process (std::bad_alloc) while opening it."""
    return _patched(bases / "h264_silent.mp4", b"stts", 12, lambda old: old | 0x80000000)


def _fuzzed(seed: int, iteration: int) -> Callable[[Path], bytes]:
    """A mutant the fuzzer found (reproducible while the bundled ffmpeg makes the same bases)."""

    def make(bases: Path) -> bytes:
        paths = sorted(bases.iterdir())
        return mutate(seed, iteration, paths, [p.read_bytes() for p in paths])[1]

    return make


KNOWN: dict[str, tuple[str, Callable[[Path], bytes]]] = {
    "last_sample_of_4_gib": (".mp4", _last_sample_of_4_gib),
    "two_billion_frames": (".mp4", _two_billion_frames),
    "decord_timestamps_missing": (".mkv", _fuzzed(1, 14423)),
    "decord_bad_alloc": (".mp4", _fuzzed(1, 4775)),
}
"""Mutants that broke the decode path once: decord raised RuntimeError or IndexError, or aborted."""


@pytest.mark.parametrize("name", sorted(KNOWN))
def test_known_bad_mutants_decode_with_pyav_and_never_break(bases: Path, tmp_path: Path, name: str) -> None:
    """Each is replayed in a child (decord may abort): PyAV decodes it, decord decodes it or fails
    with a VideoError, and `auto` gets the frames either way."""
    suffix, make = KNOWN[name]
    path = tmp_path / f"{name}{suffix}"
    path.write_bytes(make(bases))
    command = [sys.executable, "-m", "tests.test_fuzz", "--replay", str(path)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)
    tail = done.stderr.strip().splitlines()[-3:]
    assert done.returncode == 0, f"{name}: exit status {done.returncode}\n{done.stdout}\n{tail}"
    steps = json.loads(done.stdout)["steps"]
    assert steps["probe"] == steps["pyav"] == steps["auto"] == "ok", steps
    assert steps["decord"] in ("ok", "VideoError"), steps


if __name__ == "__main__":
    raise SystemExit(main())
