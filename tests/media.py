"""Synthesising test videos with the ffmpeg binary that imageio-ffmpeg ships."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

SIZE = "320x240"
RATE = 25


@dataclass(frozen=True)
class Shot:
    """One shot: `colour` background with a grid (so it is not blank), lasting `seconds`."""

    colour: str
    seconds: float


def ffmpeg() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def run(args: Sequence[str]) -> None:
    subprocess.run([ffmpeg(), "-hide_banner", "-loglevel", "error", "-y", *args], check=True)


def shots_video(path: Path, shots: Sequence[Shot], fade: bool = False, audio: bool = True) -> list[float]:
    """Write hard-cut shots one after another; returns the true cut times (seconds).

    With `fade=True` each shot fades out to black over its last 0.5 s and in over its first 0.5 s.
    """
    inputs: list[str] = []
    chains = []
    for n, shot in enumerate(shots):
        inputs += ["-f", "lavfi", "-i", f"color=c={shot.colour}:s={SIZE}:r={RATE}:d={shot.seconds}"]
        chain = f"[{n}:v]drawgrid=w=40:h=40:t=6:c=white@0.8,drawbox=x={20 + 30 * n}:y=60:w=80:h=80:c=black:t=fill"
        if fade:
            chain += f",fade=t=in:st=0:d=0.5,fade=t=out:st={shot.seconds - 0.5}:d=0.5"
        chains.append(chain + f"[v{n}]")
    graph = ";".join(chains) + ";" + "".join(f"[v{n}]" for n in range(len(shots)))
    graph += f"concat=n={len(shots)}:v=1:a=0[out]"
    total = sum(s.seconds for s in shots)
    audio_args = ["-f", "lavfi", "-i", f"sine=frequency=440:duration={total}"] if audio else []
    maps = ["-map", "[out]"] + (["-map", f"{len(shots)}:a", "-c:a", "aac", "-shortest"] if audio else [])
    run(
        [
            *inputs,
            *audio_args,
            "-filter_complex",
            graph,
            *maps,
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
            "-g",
            "50",
            str(path),
        ]
    )
    cuts, at = [], 0.0
    for shot in shots[:-1]:
        at += shot.seconds
        cuts.append(at)
    return cuts


def pattern_video(path: Path, seconds: float, source: str = "testsrc2", extra: Sequence[str] = ()) -> None:
    """A single shot of a moving lavfi test pattern."""
    run(
        [
            "-f",
            "lavfi",
            "-i",
            f"{source}=s={SIZE}:r={RATE}:d={seconds}",
            *extra,
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
            str(path),
        ]
    )


@dataclass(frozen=True)
class Caption:
    """Text drawn from `start` to `end` seconds, `size` px high, at ffmpeg expressions `x`, `y`."""

    text: str
    start: float
    end: float
    size: int
    x: str
    y: str


def font() -> Path | None:
    """A TrueType font for drawtext (the static ffmpeg has no default font)."""
    for candidate in (
        Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
        Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    ):
        if candidate.is_file():
            return candidate
    try:
        import matplotlib
    except ImportError:
        return None
    bundled = Path(matplotlib.__file__).parent / "mpl-data" / "fonts" / "ttf" / "DejaVuSans-Bold.ttf"
    return bundled if bundled.is_file() else None


def captioned_video(path: Path, seconds: float, captions: Sequence[Caption], fontfile: Path) -> None:
    """640x360 moving gradient background with `captions` drawn at their times."""
    draws = [
        f"drawtext=fontfile={fontfile}:text='{c.text}':fontsize={c.size}:fontcolor=white:box=1:boxcolor=black@0.7"
        f":boxborderw=6:x={c.x}:y={c.y}:enable='between(t,{c.start},{c.end})'"
        for c in captions
    ]
    run(
        [
            "-f",
            "lavfi",
            "-i",
            f"gradients=s=640x360:r={RATE}:d={seconds}:speed=0.02",
            "-vf",
            ",".join(draws),
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
            str(path),
        ]
    )
