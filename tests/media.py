"""Synthesising test videos with the ffmpeg binary that imageio-ffmpeg ships."""

from __future__ import annotations

import math
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


# Cut-detection test sets: fixed-camera footage with jump cuts, and continuous shots with motion.
# Frames are drawn with OpenCV (anti-aliased, sub-pixel positions) and piped to libx264.

FOOTAGE_SIZE = (320, 240)
"""Width and height (px) of the drawn footage unless a size is given."""
JUMP = 0.2
"""A drop of time makes a visible jump cut when some subject's centre moves by at least this share
of its width and by more than it moved in the `USUAL` seconds before (so the cut is not mistaken
for a few dropped frames), or when a subject enters or leaves the picture."""
USUAL = 0.2


@dataclass(frozen=True)
class Take:
    """One continuous take of a fixed camera: a static backdrop and moving subjects.

    `subject`: "head" (head and shoulders swaying, nodding, talking and blinking: an interview),
    "walkers" (small people walking across a street: a surveillance camera), "lecturer" (a figure
    pacing and gesturing in front of a board) or "balls" (balls bouncing fast, and a passer-by
    crossing close to the camera). `scale` multiplies the subjects' size and `speed` their motion;
    `noise` is the sensor noise (standard deviation, grey levels); `brightness` the scene's gain
    (1 normal, 0.4 dim); `seed` draws the scene, its colours and (for jump cuts) the cut times.
    """

    subject: str = "head"
    scale: float = 1.0
    speed: float = 1.0
    noise: float = 3.0
    brightness: float = 1.0
    seed: int = 0


JUMP_CUT_TAKES = {
    "interview": Take("head"),
    "interview, small": Take("head", scale=0.6),
    "interview, close and slow": Take("head", scale=1.4, speed=0.5),
    "interview, fast": Take("head", speed=3.0),
    "interview, dim and noisy": Take("head", noise=8.0, brightness=0.4),
    "surveillance": Take("walkers", noise=4.0),
    "surveillance, small": Take("walkers", scale=0.6),
    "surveillance, night": Take("walkers", speed=1.5, noise=8.0, brightness=0.4),
    "lecture": Take("lecturer"),
    "lecture, small, fast and dim": Take("lecturer", scale=0.7, speed=2.0, noise=5.0, brightness=0.6),
    "fast motion": Take("balls"),
}
"""Fixed-camera takes for the jump-cut test sets: each varies subject size, speed, noise or light."""
MOTION_KINDS = ("pan", "zoom", "shake", "walk", "fast", "lighting")
"""Kinds of `motion_video`: continuous shots that must not be cut."""


def jump_cut_video(
    path: Path,
    take: Take,
    seconds: float,
    size: tuple[int, int] = FOOTAGE_SIZE,
    gap: tuple[float, float] = (1.2, 3.2),
    drop: tuple[float, float] = (0.6, 6.0),
) -> list[float]:
    """Film `take` as one long continuous take and cut stretches of time out of it: the backdrop
    stays identical while the subjects jump. Returns the cut times (seconds, frame-exact: each is
    the time of the first frame after a dropped stretch).

    Cuts come every `gap` seconds (drawn uniformly, so at irregular times) and each drops `drop`
    seconds (drawn uniformly until the jump is visible, see `JUMP`), never within 0.8 s of either end.
    """
    import numpy as np

    rng = np.random.default_rng(take.seed)
    scene = _Scene(take, size, size, rng)
    frames = round(seconds * RATE)
    cut_frames: list[int] = []
    skips: list[float] = []
    at = round(rng.uniform(0.8, 0.8 + gap[1] - gap[0]) * RATE)
    while at <= frames - 0.8 * RATE:
        before = (at - 1) / RATE + sum(skips)
        tries = [rng.uniform(*drop) for _ in range(20)]
        visible = [d for d in tries if scene.jumped(before, before + 1 / RATE + d)]
        skips.append(visible[0] if visible else max(tries))
        cut_frames.append(at)
        at += round(rng.uniform(*gap) * RATE)

    def clock(i: int) -> float:
        return i / RATE + sum(d for f, d in zip(cut_frames, skips) if f <= i)

    _encode(path, size, (scene.render(clock(i), i) for i in range(frames)))
    return [f / RATE for f in cut_frames]


def motion_video(path: Path, kind: str, seconds: float, seed: int = 0, size: tuple[int, int] = FOOTAGE_SIZE) -> None:
    """One continuous shot (no cut) with camera or subject motion, the kind that fools cut detectors.

    `kind`: "pan" (sliding over a street three frames wide, up to 1.3 frame widths a second, with
    accelerations), "zoom" (1x to 2.2x and back, with quick zooms), "shake" (handheld: a damped
    random walk of about 3 % of the frame and half a degree of roll, plus a 0.5 px jitter, around an
    interview), "walk" (handheld while walking: 2 Hz bob, drift, slow push in, over a street),
    "fast" (fixed camera: balls crossing the frame in about half a second, a passer-by close to the
    lens), "lighting" (fixed camera on a lecture while the light dims to 40 % and back every 6 s,
    with a soft shadow drifting across, noisy).
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    width, height = size
    frames = round(seconds * RATE)
    takes = {
        "pan": (Take("walkers", 1.2, 1.0, 2.0, 1.0, seed), 3.0),
        "zoom": (Take("lecturer", 1.0, 1.5, 2.0, 1.0, seed), 1.0),
        "shake": (Take("head", 1.0, 1.5, 3.0, 1.0, seed), 1.0),
        "walk": (Take("walkers", 1.0, 1.0, 3.0, 0.9, seed), 2.0),
        "fast": (Take("balls", 1.0, 1.0, 3.0, 1.0, seed), 1.0),
        "lighting": (Take("lecturer", 1.0, 1.0, 6.0, 1.0, seed), 1.0),
    }
    take, wide = takes[kind]
    scene = _Scene(take, (round(width * wide), height), size, rng)
    shake = _shake(rng, frames, 0.03 * width, 0.5 if kind == "shake" else 0.2)

    def camera(i: int) -> tuple[float, float, float, float]:
        """Centre (world px), zoom and roll (degrees) of frame `i`."""
        t = i / RATE
        if kind == "pan":
            return (
                1.5 * width + width * (0.9 * math.sin(2 * math.pi * t / 7) + 0.1 * math.sin(2 * math.pi * t / 1.3)),
                0.5 * height,
                1.0,
                0.0,
            )
        if kind == "zoom":
            zoom = 1.6 - 0.6 * math.cos(2 * math.pi * t / 5) + 0.1 * math.sin(2 * math.pi * t / 1.1)
            return width * (0.5 + 0.08 * math.sin(t)), height * (0.45 + 0.05 * math.sin(0.7 * t)), max(1.0, zoom), 0.0
        if kind in ("shake", "walk"):
            dx, dy, roll = shake[i]
            if kind == "shake":
                return 0.5 * width + dx, 0.5 * height + dy, 1.08, roll
            bob = 0.02 * height * math.sin(2 * math.pi * 2.0 * t)
            return width * (0.6 + 0.05 * t) + dx, 0.5 * height + dy + bob, 1.1 + 0.03 * t, roll
        return 0.5 * width, 0.5 * height, 1.0, 0.0

    def frame(i: int) -> Any:
        t = i / RATE
        gain = 0.7 + 0.3 * math.cos(2 * math.pi * t / 6) if kind == "lighting" else 1.0
        shadow = (t * 0.08 * width) % (2 * width) - 0.5 * width if kind == "lighting" else None
        return scene.render(t, i, camera(i), gain, shadow)

    _encode(path, size, (frame(i) for i in range(frames)))


@dataclass(frozen=True)
class Drift:
    """A still shot of a fixed camera over fresh sensor noise, with one subject moving slowly or
    steadily: the kind a noise-sensitive jump-cut detector takes for a string of small steps.

    `subject`: "box" (a flat-coloured rectangle, as ffmpeg's overlay filter draws one) or "head"
    (the interview's head and shoulders, talking and blinking); `size` its height as a share of the
    frame's. `speed`: px/s at 640 px wide (scaled with the frame): with `sway` 0 the subject drifts
    across at that speed and back; with `sway` (Hz) it swings to and fro, that fast at the middle of
    a swing and slowing to a halt at its ends. `snap`: positions rounded down to this many pixels
    (2: ffmpeg's overlay on 4:2:0 video, which moves the subject in 2-px steps between held frames;
    1: whole pixels; 0: exact sub-pixel coverage). `noise`: the sensor noise (standard deviation,
    grey levels, the same in every colour channel, new every frame). `backdrop`: "flat" (mid grey)
    or "textured" (the interview takes' blotches, grain and furniture)."""

    subject: str = "box"
    speed: float = 30.0
    noise: float = 3.5
    size: float = 0.4
    backdrop: str = "flat"
    sway: float = 0.0
    snap: int = 2
    seed: int = 0


DRIFT_SHOTS = {
    "box drifting, 30 px/s": Drift(),
    "box drifting, 25 px/s, whole pixels": Drift(speed=25.0, snap=1),
    "box drifting, 10 px/s, noise 6": Drift(speed=10.0, noise=6.0),
    "box drifting, 60 px/s, noise 10, sub-pixel": Drift(speed=60.0, noise=10.0, snap=0),
    "small box, textured, 20 px/s, noise 5": Drift(speed=20.0, noise=5.0, size=0.15, backdrop="textured"),
    "large box, textured, 45 px/s, noise 8": Drift(speed=45.0, noise=8.0, size=0.7, backdrop="textured", snap=1),
    "box swaying, 0.15 Hz": Drift(speed=40.0, sway=0.15),
    "box swaying, 0.3 Hz, textured, noise 3": Drift(speed=60.0, noise=3.0, sway=0.3, backdrop="textured", snap=0),
    "head swaying, textured, noise 6": Drift("head", speed=30.0, noise=6.0, size=0.5, backdrop="textured", sway=0.1),
    "head drifting, 15 px/s, noise 10": Drift("head", speed=15.0, noise=10.0, size=0.35, snap=0),
}
"""Still shots with slow or steady subject motion over sensor noise (see `Drift`): continuous shots
that must not be cut. Speeds 10-60 px/s at 640x360, noise 3-10 grey levels, subjects 15-70 % of
the frame's height, flat and textured backdrops, steady drift and smooth sway."""


def drift_video(path: Path, drift: Drift, seconds: float, size: tuple[int, int] = FOOTAGE_SIZE) -> None:
    """One continuous still shot of `drift` (no cut), `seconds` long at `size`."""
    import numpy as np

    rng = np.random.default_rng(drift.seed)
    width, height = size
    scene = _Scene(Take("head", seed=drift.seed), size, size, rng)
    backdrop = scene.backdrop.astype(np.float32) if drift.backdrop == "textured" else None
    if backdrop is None:
        backdrop = np.full((height, width, 3), 128, np.float32)
    colour = np.array((255, 165, 0), np.float32)  # orange on grey: 45 grey levels apart, as the user's
    tall = drift.size * height
    head = tall / 2.5  # the head's height: head and shoulders are 2.5 of it tall and 2.2 wide
    wide = 0.6 * tall if drift.subject == "box" else 2.2 * head
    speed = drift.speed * width / 640
    span = max(1.0, width - wide - 0.2 * width)  # the subject's left edge stays between 10 % and 90 % - wide

    def left(t: float) -> float:
        if drift.sway:
            return (
                0.1 * width
                + span / 2
                + min(span / 2, speed / (2 * math.pi * drift.sway)) * math.sin(2 * math.pi * drift.sway * t)
            )
        return 0.1 * width + _reflect(speed * t + span / 3, 0.0, span)

    def frame(i: int) -> Any:
        t = i / RATE
        x = left(t)
        if drift.snap:
            x = drift.snap * math.floor(x / drift.snap)
        top = 0.5 * (height - tall)
        if drift.subject == "box":
            cover = np.outer(_coverage(top, top + tall, height), _coverage(x, x + wide, width))[:, :, None]
            picture = backdrop * (1 - cover) + colour * cover
        else:
            image = np.clip(backdrop, 0, 255).astype(np.uint8)
            _head(image, x + wide / 2, top + 0.5 * head, head, 0.0, *_talk(t), scene.colours)
            picture = image.astype(np.float32)
        picture += drift.noise * rng.standard_normal((height, width, 1), dtype=np.float32)
        return np.clip(picture, 0, 255).astype(np.uint8)

    _encode(path, size, (frame(i) for i in range(round(seconds * RATE))))


OVERLAY_DRIFTS = {
    "box at 30 px/s, noise 6 (the report)": ("520-abs(mod(200+30*t,1040)-520)", 6, False),
    "box at 12 px/s, noise 10": ("520-abs(mod(100+12*t,1040)-520)", 10, False),
    "box at 50 px/s, noise 17, weave": ("520-abs(mod(50*t,1040)-520)", 17, True),
    "box swaying 40 px in 8 s, noise 6": ("280+40*sin(2*PI*t/8)", 6, False),
    "box swaying 120 px in 5 s, noise 12, weave": ("280+120*sin(2*PI*t/5)", 12, True),
}
"""`overlay_video` arguments (x, noise, textured) for still shots with a box drifting to and fro
(from x = 200 at 30 px/s, the report's case, for its first 10 s) or swaying, under noise of 3.5-10
grey levels: continuous shots that must not be cut."""


def overlay_video(path: Path, seconds: float, x: str = "200+t*30", noise: int = 6, textured: bool = False) -> None:
    """A user's report of false jump cuts, as ffmpeg draws it: an orange 80x140 box laid over a
    still 640x360 grey picture (`textured`: a grey weave, 25-31 px a cycle, 60 grey levels deep) at
    x = `x` (an expression of the time t, seconds; the overlay moves it in 2-px steps) and y = 100,
    under ffmpeg's temporal noise of strength `noise` (Gaussian, new every frame: 6 is a standard
    deviation of 3.5 grey levels), encoded as the report's file was (libx264 ultrafast, CRF 18,
    which keeps the noise)."""
    weave = "geq=lum='128+30*sin(X/5)*sin(Y/4)':cb=128:cr=128," if textured else ""
    timing = f"r={RATE}:d={seconds}"
    run(
        [
            *("-f", "lavfi", "-i", f"color=c=gray:s=640x360:{timing}"),
            *("-f", "lavfi", "-i", f"color=c=orange:s=80x140:{timing}"),
            *("-filter_complex", f"[0]{weave}null[back];[back][1]overlay=x='{x}':y=100,noise=alls={noise}:allf=t"),
            *("-c:v", "libx264", "-preset", "ultrafast", "-crf", "18", "-pix_fmt", "yuv420p", str(path)),
        ]
    )


def _coverage(start: float, end: float, count: int) -> Any:
    """How much of each of `count` pixels (0-1) the span from `start` to `end` (px) covers."""
    import numpy as np

    edges = np.arange(count, dtype=np.float32)
    return np.clip(np.minimum(edges + 1, end) - np.maximum(edges, start), 0, 1)


def _talk(t: float) -> tuple[float, float]:
    """Mouth opening (0-1) and eyes open (0 or 1) of a talking head at time `t`."""
    mouth = max(0.0, math.sin(2 * math.pi * 3.1 * t) * math.sin(2 * math.pi * 0.4 * t))
    return mouth, 0.0 if (0.3 * t) % 1.0 < 0.04 else 1.0


def _shake(rng: Any, frames: int, amplitude: float, roll: float) -> list[tuple[float, float, float]]:
    """Handheld camera offsets (px, px, degrees) per frame: a damped random walk (velocity decays by
    0.85 a frame, position by 0.95) scaled to about `amplitude`, plus a 0.5 px jitter."""
    import numpy as np

    out = np.zeros((frames, 3))
    position, velocity = np.zeros(3), np.zeros(3)
    for i in range(frames):
        velocity = 0.85 * velocity + rng.normal(0, 1, 3)
        position = 0.95 * position + velocity
        out[i] = position
    out /= max(1e-9, float(np.abs(out[:, :2]).std()))
    out[:, :2] *= amplitude
    out[:, :2] += rng.normal(0, 0.5, (frames, 2))
    out[:, 2] *= roll
    return [(float(a), float(b), float(c)) for a, b, c in out]


def _encode(path: Path, size: tuple[int, int], frames: Iterator[Any]) -> None:
    """Pipe RGB frames (HxWx3 uint8) at `RATE` to libx264 (CRF 20, yuv420p), one at a time."""
    command = [ffmpeg(), "-hide_banner", "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24"]
    command += ["-s", f"{size[0]}x{size[1]}", "-r", str(RATE), "-i", "-", "-c:v", "libx264", "-preset", "veryfast"]
    command += ["-crf", "20", "-pix_fmt", "yuv420p", "-g", "50", str(path)]
    with subprocess.Popen(command, stdin=subprocess.PIPE) as encoder:
        assert encoder.stdin is not None
        for image in frames:
            encoder.stdin.write(image.tobytes())
        encoder.stdin.close()
        if encoder.wait() != 0:
            raise subprocess.CalledProcessError(encoder.returncode, command)


def _reflect(value: float, low: float, high: float) -> float:
    """`value` bounced back and forth between `low` and `high` (a ball between walls)."""
    span = high - low
    m = (value - low) % (2 * span)
    return low + (m if m <= span else 2 * span - m)


class _Scene:
    """A take's world: the backdrop (drawn once, `world` size) and its subjects at any time `t`."""

    def __init__(self, take: Take, world: tuple[int, int], frame: tuple[int, int], rng: Any) -> None:
        import numpy as np

        self.take = take
        self.width, self.height = world
        self.frame = frame
        self.backdrop = self._backdrop(rng)
        h = frame[1] * take.scale
        self.colours = [tuple(int(c) for c in rng.integers(30, 230, 3)) for _ in range(24)]
        self.phases = rng.uniform(0, 2 * math.pi, 16)
        if take.subject == "walkers":
            count = max(3, round(4 * self.width / frame[0]))
            depth = rng.uniform(0.62, 0.95, count) * frame[1]
            self.walkers = [
                (float(rng.uniform(0, self.width)), float(y), 0.22 * h * y / frame[1], float(v))
                for y, v in zip(depth, rng.choice([-1, 1], count) * rng.uniform(0.05, 0.14, count) * frame[0])
            ]
        if take.subject == "balls":
            self.balls = [
                (float(rng.uniform(0, 1)), float(rng.uniform(0, 1)), float(vx), float(vy), float(r))
                for vx, vy, r in zip(
                    rng.choice([-1, 1], 5) * rng.uniform(0.9, 1.9, 5),
                    rng.choice([-1, 1], 5) * rng.uniform(0.6, 1.4, 5),
                    rng.uniform(0.05, 0.11, 5) * h,
                )
            ]
        self.noise = [rng.normal(0, 1, (frame[1] + 16, frame[0] + 16, 3)).astype(np.float32) for _ in range(8)]

    def _backdrop(self, rng: Any) -> Any:
        """A textured still: smooth colour blotches, a fine grain, and furniture, buildings or a board."""
        import cv2
        import numpy as np

        w, h = self.width, self.height
        coarse = rng.uniform(70, 190, (h // 40 + 2, w // 40 + 2, 3)).astype(np.float32)
        image = cv2.resize(coarse, (w, h), interpolation=cv2.INTER_CUBIC)
        image += cv2.GaussianBlur(rng.normal(0, 12, (h, w, 3)).astype(np.float32), (0, 0), 1.2)
        image = np.clip(image, 0, 255).astype(np.uint8)
        kind = self.take.subject
        for _ in range(int(w * h / 1500)):
            x, y = int(rng.integers(0, w)), int(rng.integers(0, h))
            rw, rh = int(rng.integers(4, max(6, w // 12))), int(rng.integers(4, max(6, h // 6)))
            if kind == "walkers" and y > 0.55 * h:
                continue
            colour = tuple(int(c) for c in rng.integers(20, 240, 3))
            cv2.rectangle(image, (x, y), (x + rw, y + rh), colour, -1 if rng.random() < 0.7 else 2)
        if kind == "walkers":
            image[int(0.55 * h) :] = (image[int(0.55 * h) :] * 0.3 + 70).astype(np.uint8)
            for x in range(0, w, 60):
                cv2.rectangle(image, (x, int(0.78 * h)), (x + 30, int(0.79 * h) + 2), (220, 220, 200), -1)
        if kind == "lecturer":
            top, bottom = int(0.12 * h), int(0.62 * h)
            cv2.rectangle(image, (int(0.08 * w), top), (int(0.92 * w), bottom), (40, 70, 50), -1)
            for y in range(top + 8, bottom - 8, 12):
                x = int(0.1 * w)
                while x < 0.88 * w:
                    length = int(rng.integers(8, 40))
                    if rng.random() < 0.8:
                        cv2.line(image, (x, y), (min(x + length, int(0.9 * w)), y), (220, 220, 210), 2)
                    x += length + 6
        return image

    def anchors(self, t: float) -> list[tuple[float, float, float]]:
        """Centre (x, y) and width (px) of each subject at take time `t`, NaN centre when outside the frame."""
        kind, s, (fw, fh) = self.take.subject, self.take.speed, self.frame
        h = fh * self.take.scale
        if kind == "head":
            x, y, _, _, _ = self._head(t)
            return [(x, y, 0.22 * h)]
        if kind == "lecturer":
            x, _, _ = self._lecturer(t)
            return [(x, 0.5 * fh, 0.15 * h)]
        if kind == "walkers":
            out = []
            for x0, y, ph, v in self.walkers:
                x = (x0 + v * s * t) % (self.width + 2 * ph) - ph
                out.append((x if 0 <= x < fw else math.nan, y, 0.3 * ph))
            return out
        return [(bx, by, 2 * r) for bx, by, r in self._balls(t)]

    def jumped(self, before: float, after: float) -> bool:
        """Whether going from take time `before` to `after` in one frame is a visible jump."""
        for (xp, yp, _), (x0, y0, w), (x1, y1, _) in zip(
            self.anchors(before - USUAL), self.anchors(before), self.anchors(after)
        ):
            if math.isnan(x0) != math.isnan(x1):
                return True
            moved, usual = math.hypot(x1 - x0, y1 - y0), math.hypot(x0 - xp, y0 - yp)
            if moved >= JUMP * w and not moved <= usual:
                return True
        return False

    def _head(self, t: float) -> tuple[float, float, float, float, float]:
        """Head centre x, y, tilt (degrees), mouth opening (0-1) and eyes open (0 or 1)."""
        s, p, (fw, fh) = self.take.speed, self.phases, self.frame
        sway = 0.6 * math.sin(2 * math.pi * 0.11 * s * t + p[0]) + 0.4 * math.sin(2 * math.pi * 0.27 * s * t + p[1])
        x = 0.5 * fw + 0.12 * fw * sway
        y = 0.45 * fh + 0.02 * fh * math.sin(2 * math.pi * 0.19 * s * t + p[2])
        tilt = 8 * math.sin(2 * math.pi * 0.15 * s * t + p[3])
        mouth = max(0.0, math.sin(2 * math.pi * 3.1 * t) * math.sin(2 * math.pi * 0.4 * t + p[4]))
        eyes = 0.0 if (0.3 * t + p[5]) % 1.0 < 0.04 else 1.0
        return x, y, tilt, mouth, eyes

    def _lecturer(self, t: float) -> tuple[float, float, float]:
        """Lecturer's x (pacing), and the two arms' angles (degrees from hanging down)."""
        s, p, fw = self.take.speed, self.phases, self.frame[0]
        pace = math.sin(2 * math.pi * 0.07 * s * t + p[0])
        x = 0.5 * fw + 0.3 * fw * math.copysign(abs(pace) ** 0.6, pace)
        left = 30 + 50 * (0.5 + 0.5 * math.sin(2 * math.pi * 0.45 * s * t + p[1]))
        right = 20 + 100 * (0.5 + 0.5 * math.sin(2 * math.pi * 0.23 * s * t + p[2])) ** 2
        return x, left, right

    def _balls(self, t: float) -> list[tuple[float, float, float]]:
        fw, fh, s = self.frame[0], self.frame[1], self.take.speed
        return [
            (_reflect(x * fw + vx * fw * s * t, r, fw - r), _reflect(y * fh + vy * fh * s * t, r, fh - r), r)
            for x, y, vx, vy, r in self.balls
        ]

    def render(
        self,
        t: float,
        index: int,
        camera: tuple[float, float, float, float] | None = None,
        gain: float = 1.0,
        shadow: float | None = None,
    ) -> Any:
        """The picture at take time `t` (RGB uint8, frame size): subjects drawn on the backdrop, seen
        by `camera` (centre x, y in world px, zoom, roll in degrees), lit by `gain`, with a soft
        shadow band centred at x = `shadow`, and fresh sensor noise (`index` picks it)."""
        import cv2
        import numpy as np

        image = self.backdrop.copy()
        self._draw(image, t)
        fw, fh = self.frame
        if camera is not None:
            cx, cy, zoom, roll = camera
            a = math.radians(roll)
            c, s_ = math.cos(a) / zoom, math.sin(a) / zoom
            matrix = np.array([[c, -s_, cx - c * fw / 2 + s_ * fh / 2], [s_, c, cy - s_ * fw / 2 - c * fh / 2]])
            flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
            image = cv2.warpAffine(image, matrix, (fw, fh), flags=flags, borderMode=cv2.BORDER_REFLECT)
        elif image.shape[1] != fw:
            image = image[:, :fw]
        light = np.float32(gain * self.take.brightness)
        picture = image.astype(np.float32) * light
        if shadow is not None:
            xs = np.arange(fw, dtype=np.float32)
            picture *= (1 - 0.45 * np.exp(-(((xs - shadow) / (0.25 * fw)) ** 2)))[None, :, None]
        noise = self.noise[index % len(self.noise)]
        dy, dx = (index * 7) % 16, (index * 11) % 16
        picture += self.take.noise * noise[dy : dy + fh, dx : dx + fw]
        return np.clip(picture, 0, 255).astype(np.uint8)

    def _draw(self, image: Any, t: float) -> None:
        kind, col, fh = self.take.subject, self.colours, self.frame[1]
        h = fh * self.take.scale
        if kind == "head":
            x, y, tilt, mouth, eyes = self._head(t)
            _head(image, x, y, 0.3 * h, tilt, mouth, eyes, col)
        elif kind == "lecturer":
            x, left, right = self._lecturer(t)
            _person(image, x, 0.92 * fh, 0.62 * h, 0.0, left, right, col)
        elif kind == "walkers":
            for n, (x0, y, ph, v) in enumerate(self.walkers):
                x = (x0 + v * self.take.speed * t) % (self.width + 2 * ph) - ph
                swing = 25 * math.sin(2 * math.pi * 1.8 * self.take.speed * t + self.phases[n % 16])
                _person(image, x, y, ph, swing, 15 + swing, 15 - swing, col[3 * n % 24 :] + col)
        else:
            for n, (x, y, r) in enumerate(self._balls(t)):
                _disc(image, x, y, r, col[n])
                _disc(image, x - 0.3 * r, y - 0.3 * r, 0.3 * r, (240, 240, 240))
            fw = self.frame[0]
            x = (t * 1.6 * fw * self.take.speed) % (4 * fw) - fw
            _ellipse(image, x, 0.55 * fh, 0.35 * fw, 0.7 * fh, 0, (25, 25, 30))


def _ellipse(image: Any, x: float, y: float, ax: float, ay: float, angle: float, colour: Any) -> None:
    import cv2

    centre, axes = (round(x * 16), round(y * 16)), (max(1, round(ax * 16)), max(1, round(ay * 16)))
    cv2.ellipse(image, centre, axes, angle, 0, 360, colour, -1, cv2.LINE_AA, 4)


def _disc(image: Any, x: float, y: float, r: float, colour: Any) -> None:
    _ellipse(image, x, y, r, r, 0, colour)


def _line(image: Any, a: tuple[float, float], b: tuple[float, float], width: float, colour: Any) -> None:
    import cv2

    points = (round(a[0] * 16), round(a[1] * 16)), (round(b[0] * 16), round(b[1] * 16))
    cv2.line(image, *points, colour, max(1, round(width)), cv2.LINE_AA, 4)


def _head(image: Any, x: float, y: float, h: float, tilt: float, mouth: float, eyes: float, col: Any) -> None:
    """Head (height `h` px) and shoulders centred at `x`, `y`, tilted by `tilt` degrees."""
    a = math.radians(tilt)

    def at(dx: float, dy: float) -> tuple[float, float]:
        return x + dx * math.cos(a) - dy * math.sin(a), y + dx * math.sin(a) + dy * math.cos(a)

    _ellipse(image, x, y + 1.25 * h, 1.1 * h, 0.75 * h, 0, col[0])
    _ellipse(image, *at(0, 0.55 * h), 0.16 * h, 0.2 * h, tilt, (200, 160, 130))
    _ellipse(image, *at(0, 0), 0.37 * h, 0.5 * h, tilt, (225, 180, 150))
    _ellipse(image, *at(0, -0.28 * h), 0.39 * h, 0.25 * h, tilt, col[1])
    for side in (-1, 1):
        _ellipse(image, *at(side * 0.15 * h, -0.02 * h), 0.06 * h, max(0.01, 0.035 * h * eyes), tilt, (30, 30, 40))
    _ellipse(image, *at(0, 0.25 * h), 0.1 * h, 0.01 * h + 0.07 * h * mouth, tilt, (120, 40, 50))


def _person(image: Any, x: float, feet: float, h: float, swing: float, left: float, right: float, col: Any) -> None:
    """A standing or walking figure `h` px tall, feet at (`x`, `feet`): legs `swing` degrees apart,
    arms at `left` and `right` degrees from hanging down."""
    hip, shoulder = (x, feet - 0.48 * h), (x, feet - 0.78 * h)
    for sign in (-1, 1):
        a = math.radians(sign * swing)
        _line(image, hip, (x + 0.48 * h * math.sin(a), feet - 0.48 * h * (1 - math.cos(a))), 0.08 * h, col[2])
    for sign, angle in ((-1, left), (1, right)):
        a = math.radians(angle)
        hand = (shoulder[0] + sign * 0.32 * h * math.sin(a), shoulder[1] + 0.32 * h * math.cos(a))
        _line(image, shoulder, hand, 0.06 * h, col[0])
    _ellipse(image, x, feet - 0.64 * h, 0.12 * h, 0.18 * h, 0, col[0])
    _disc(image, x, feet - 0.9 * h, 0.085 * h, (220, 180, 150))


def boards_video(path: Path, shots: Sequence[Shot], captions: Sequence[Caption], fontfile: Path) -> list[float]:
    """640x360 still shots of plain colour (hard cuts between them), with `captions` drawn at their
    times (seconds from the start of the video); returns the cut times."""
    sources = [f"color=c={s.colour}:s=640x360:r={RATE}:d={s.seconds}" for s in shots]
    inputs = [arg for source in sources for arg in ("-f", "lavfi", "-i", source)]
    graph = "".join(f"[{n}:v]" for n in range(len(shots))) + f"concat=n={len(shots)}:v=1:a=0"
    graph += "".join(
        f",drawtext=fontfile={fontfile}:text='{c.text}':fontsize={c.size}:fontcolor=white:box=1:boxcolor=black@0.7"
        f":boxborderw=6:x={c.x}:y={c.y}:enable='between(t,{c.start},{c.end})'"
        for c in captions
    )
    encode = ["-c:v", "libx264", "-pix_fmt", "yuv420p", str(path)]
    run([*inputs, "-filter_complex", graph + "[out]", "-map", "[out]", *encode])
    return [sum(s.seconds for s in shots[: n + 1]) for n in range(len(shots) - 1)]


def sideways_video(path: Path, seconds: float, text: str, turn: int, fontfile: Path, size: int = 32) -> None:
    """640x360 still picture with `text` turned a quarter: `turn` 1 clockwise (read top to bottom),
    2 counter-clockwise (read bottom to top, like a book spine), as ffmpeg's transpose filter.
    The text is drawn on a transparent layer, turned, and laid over the middle of the picture."""
    layer = f"color=c=black@0.0:s={int(size * 0.75 * len(text)) + 40}x{size + 24}:r={RATE}:d={seconds},format=rgba"
    draw = (
        f"[1:v]drawtext=fontfile={fontfile}:text='{text}':fontsize={size}:fontcolor=white:box=1:boxcolor=black@0.7"
        f":boxborderw=6:x=(w-tw)/2:y=(h-th)/2,transpose={turn}[turned];[0:v][turned]overlay=x=(W-w)/2:y=(H-h)/2"
    )
    run(
        [
            *("-f", "lavfi", "-i", f"color=c=steelblue:s=640x360:r={RATE}:d={seconds}"),
            *("-f", "lavfi", "-i", layer),
            *("-filter_complex", draw, "-c:v", "libx264", "-pix_fmt", "yuv420p", str(path)),
        ]
    )


def montage_video(
    path: Path, takes: Sequence[Take], seconds: float, size: tuple[int, int] = FOOTAGE_SIZE
) -> list[float]:
    """Ordinary hard cuts: `seconds` of each take in turn (each its own backdrop, drawn from its
    seed, and its own moment of the take), cut together. Returns the cut times (seconds)."""
    import numpy as np

    scenes = [_Scene(take, size, size, np.random.default_rng(take.seed)) for take in takes]
    each = round(seconds * RATE)
    starts = [float(np.random.default_rng(take.seed).uniform(0, 30)) for take in takes]

    def frame(i: int) -> Any:
        n, k = divmod(i, each)
        return scenes[n].render(starts[n] + k / RATE, i)

    _encode(path, size, (frame(i) for i in range(each * len(takes))))
    return [n * each / RATE for n in range(1, len(takes))]
