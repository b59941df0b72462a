"""Generate the lecture library: talks about several topics in turn, with their true topic changes,
to measure chapters and summaries on the material people chapter (lectures, talks, podcasts).

Six videos of 2-4 minutes, each 4-6 topics of 4-8 English sentences (flite's `slt` voice) drawn
from the subjects of `lecture_topics.py`; a topic's sentences share vocabulary and meaning. Three
ways of showing them:

- "slides": one static slide per topic with its title (a cut at every topic change: there every
  shot cut is a topic change);
- "camera": camera-style cuts between moving backgrounds every 10-25 s that do NOT follow the
  topics (so "every shot cut" is a real baseline, not an oracle), and in `titled` topics a title
  card for the topic's first seconds;
- "podcast": one still picture with the show's name all the way through (no visual change).

Splits: `tune` (lecture_t1-t3) and `report` (lecture_r1-r3) share no subject and no sentence;
choose chapter parameters on the first and report on the second.

Outputs in `--out`: `lecture_*.mp4` (H.264 + AAC, 640x360, 25 fps) and `lectures.json`: each
video's split, style, duration, true shot cuts and topics (start = first words of the topic's
first sentence, end = the next topic's start; title; sentences with their voiced start and end),
in seconds. Existing videos are kept unless `--force` or their plan changed.

Usage: python scripts/make_lectures.py --out data/lectures [--force]
"""

from __future__ import annotations

import argparse
import array
import hashlib
import itertools
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Any

try:
    from lecture_topics import SUBJECTS
    from make_eval_library import Voice, voiced_bounds
    from make_samples import FPS, HEIGHT, ROOT, SAMPLE_RATE, WIDTH, escape, find_font, speak
except ImportError:  # imported as scripts.make_lectures
    from scripts.lecture_topics import SUBJECTS
    from scripts.make_eval_library import Voice, voiced_bounds
    from scripts.make_samples import FPS, HEIGHT, ROOT, SAMPLE_RATE, WIDTH, escape, find_font, speak

RENDER_VERSION = "1"
LEAD, TAIL = 1.0, 2.0
"""Seconds of silence before the first sentence and after the last."""
PAUSE = (0.35, 0.9)
"""Seconds between two sentences of a topic (uniform)."""
TOPIC_PAUSE = (0.7, 1.5)
"""Seconds between the last sentence of a topic and the first of the next (uniform): a little
longer, as a speaker's, but overlapping the range above."""
SHOT = (10.0, 25.0)
"""Seconds a camera-style shot lasts (uniform)."""
TITLE_CARD = 4.0
"""Seconds a title card shows from a topic's start."""
APART = 4.0
"""Seconds a camera cut keeps away from a topic change (a cut that falls nearer moves past it)."""
SHORTEST_SHOT = 2.0
"""A camera cut closer than this to a title card's edge is dropped (no flash shots)."""


@dataclass(frozen=True)
class Topic:
    """`count` sentences of `subject`, from its sentence `first` on (wrapping round)."""

    subject: str
    count: int
    first: int = 0
    titled: bool = False

    def sentences(self) -> list[str]:
        said = SUBJECTS[self.subject][1]
        return [said[(self.first + n) % len(said)] for n in range(self.count)]


@dataclass(frozen=True)
class Lecture:
    name: str
    split: str
    style: str
    topics: tuple[Topic, ...]
    seed: int
    show: str = ""
    """The podcast's name, shown all the way through."""


LECTURES = (
    Lecture(
        "lecture_t1",
        "tune",
        "slides",
        (Topic("bread", 7), Topic("astronomy", 6), Topic("football", 6), Topic("banking", 7), Topic("bees", 5)),
        seed=1,
    ),
    Lecture(
        "lecture_t2",
        "tune",
        "camera",
        (
            Topic("gardening", 5, titled=True),
            Topic("trains", 6),
            Topic("volcanoes", 4, titled=True),
            Topic("bees", 7, 2),
            Topic("bread", 5, 3, titled=True),
            Topic("astronomy", 4, 4),
        ),
        seed=2,
    ),
    Lecture(
        "lecture_t3",
        "tune",
        "camera",
        (Topic("banking", 8, 1), Topic("gardening", 6, 2), Topic("volcanoes", 7), Topic("football", 5, 3)),
        seed=3,
    ),
    Lecture(
        "lecture_r1",
        "report",
        "slides",
        (Topic("chess", 6), Topic("photography", 7), Topic("coffee", 5), Topic("sailing", 6), Topic("dinosaurs", 6)),
        seed=4,
    ),
    Lecture(
        "lecture_r2",
        "report",
        "camera",
        (
            Topic("dinosaurs", 6, titled=True),
            Topic("weather", 5),
            Topic("knitting", 7, 1, titled=True),
            Topic("bicycles", 6),
            Topic("chess", 4, 5),
            Topic("coffee", 6, 3, titled=True),
        ),
        seed=5,
    ),
    Lecture(
        "lecture_r3",
        "report",
        "podcast",
        (
            Topic("sailing", 7, 2),
            Topic("bicycles", 5, 4),
            Topic("photography", 6, 3),
            Topic("weather", 8),
            Topic("dinosaurs", 5, 2),
        ),
        seed=6,
        show="THE LONG TABLE PODCAST",
    ),
)

CAMERA_SOURCES = (
    "gradients=c0=0x1b3a5c:c1=0x8fb8de:speed=0.02:seed=11",
    "cellauto=rule=30:seed=12",
    "gradients=c0=0x5c2a1b:c1=0xe8a36f:speed=0.03:type=radial:seed=13",
    "life=mold=10:ratio=0.2:seed=14:life_color=0x40a0c0:death_color=0x102030",
    "mandelbrot=start_scale=1.5:end_scale=0.6",
    "gradients=c0=0x1b5c2a:c1=0xa0e0a0:speed=0.015:type=circular:seed=15",
    "testsrc2",
    "gradients=c0=0x4a1b5c:c1=0xd8a0e8:speed=0.02:type=spiral:seed=16",
)
"""Moving lavfi backgrounds standing in for camera shots (each at 320x180, scaled up)."""
SLIDE_COLOURS = ("0x203a5a", "0x5a2a20", "0x205a30", "0x4a3a10", "0x3a205a", "0x205a5a")


def synthesise(flite: str, folder: Path) -> dict[str, Voice]:
    """Every sentence of the library spoken once and measured."""
    texts = dict.fromkeys(s for lecture in LECTURES for t in lecture.topics for s in t.sentences())
    voices = {}
    for n, text in enumerate(texts):
        path = speak(text, flite, folder / f"s{n:03d}.wav")
        seconds, onset, offset = voiced_bounds(path)
        voices[text] = Voice(path, seconds, onset, offset)
    return voices


def plan(lecture: Lecture, voices: dict[str, Voice]) -> dict[str, Any]:
    """Where every sentence, topic and shot of `lecture` falls (the lectures.json entry, plus the
    placement of each sentence's WAV under "placed")."""
    rng = random.Random(lecture.seed)
    at = LEAD
    topics, placed = [], []
    for k, topic in enumerate(lecture.topics):
        if k:
            at += rng.uniform(*TOPIC_PAUSE)
        sentences = []
        for n, text in enumerate(topic.sentences()):
            if n:
                at += rng.uniform(*PAUSE)
            voice = voices[text]
            begin = at - voice.onset
            placed.append((round(begin, 3), text))
            sentences.append({"start": round(at, 3), "end": round(begin + voice.offset, 3), "text": text})
            at = begin + voice.offset
        title = SUBJECTS[topic.subject][0]
        topics.append({"subject": topic.subject, "title": title, "titled": topic.titled, "sentences": sentences})
    duration = round(at + TAIL, 1)
    for k, topic in enumerate(topics):
        topic["start"] = 0.0 if k == 0 else topic["sentences"][0]["start"]
        topic["end"] = topics[k + 1]["sentences"][0]["start"] if k + 1 < len(topics) else duration
    changes = [
        round((topics[k - 1]["sentences"][-1]["end"] + topics[k]["sentences"][0]["start"]) / 2, 2)
        for k in range(1, len(topics))
    ]
    shots = shot_plan(lecture, topics, changes, duration, rng)
    return {
        "split": lecture.split,
        "style": lecture.style,
        "duration": duration,
        "cuts": [s["start"] for s in shots[1:]],
        "topics": topics,
        "shots": shots,
        "placed": placed,
    }


def shot_plan(
    lecture: Lecture, topics: list[dict[str, Any]], changes: list[float], duration: float, rng: random.Random
) -> list[dict[str, Any]]:
    """The shots of a lecture: start, end, what they show ("slide", "camera", "card", "still")."""
    if lecture.style == "podcast":
        return [{"start": 0.0, "end": duration, "kind": "still", "text": lecture.show, "look": 0}]
    if lecture.style == "slides":
        edges = [0.0, *changes, duration]
        return [
            {"start": a, "end": b, "kind": "slide", "text": topics[k]["title"], "look": k}
            for k, (a, b) in enumerate(itertools.pairwise(edges))
        ]
    cards = [
        (([0.0, *changes])[k], ([0.0, *changes])[k] + TITLE_CARD, topics[k]["title"])
        for k, t in enumerate(lecture.topics)
        if t.titled
    ]
    cuts, at = [], rng.uniform(*SHOT)
    while at < duration - SHOT[0] / 2:
        near = [c for c in changes if abs(c - at) < APART]
        if near:
            at = max(near) + APART
            continue
        cuts.append(round(at, 2))
        at += rng.uniform(*SHOT)
    cuts = [c for c in cuts if all(c < a - SHORTEST_SHOT or c > b + SHORTEST_SHOT for a, b, _ in cards)]
    edges = sorted({0.0, *cuts, *(round(a, 2) for a, _, _ in cards), *(round(b, 2) for _, b, _ in cards)})
    shots, look = [], 0
    for a, b in zip(edges, [*edges[1:], duration]):
        card = next((text for s, e, text in cards if s - 1e-6 <= a < e - 1e-6), None)
        if card is not None:
            shots.append({"start": a, "end": b, "kind": "card", "text": card, "look": 0})
        else:
            shots.append({"start": a, "end": b, "kind": "camera", "text": "", "look": look % len(CAMERA_SOURCES)})
            look += 1
    return shots


def shot_chain(shot: dict[str, Any], font: Path, n: int) -> str:
    seconds = round(shot["end"] - shot["start"], 3)
    if shot["kind"] == "camera":
        source = CAMERA_SOURCES[shot["look"]]
        head = f"{source}{':' if '=' in source else '='}s=320x180:r={FPS}"
    elif shot["kind"] == "slide":
        head = f"color=c={SLIDE_COLOURS[shot['look'] % len(SLIDE_COLOURS)]}:s={WIDTH}x{HEIGHT}:r={FPS}"
    else:
        head = f"color=c=0x181818:s={WIDTH}x{HEIGHT}:r={FPS}"
    filters = [head, f"trim=duration={seconds}", "setpts=PTS-STARTPTS"]
    filters += [f"scale={WIDTH}:{HEIGHT}:flags=neighbor:out_range=tv", "setsar=1", "format=yuv420p"]
    if shot["kind"] == "slide":
        filters.append("drawgrid=w=640:h=90:t=3:c=white@0.3")
    if shot["text"]:
        size = 44 if shot["kind"] != "still" else 34
        y = "60" if shot["kind"] == "slide" else "(h-text_h)/2"
        filters.append(
            f"drawtext=text={escape(shot['text'])}:expansion=none:fontfile={escape(str(font))}:fontsize={size}"
            f":fontcolor=white:box=1:boxcolor=black@0.5:boxborderw=10:x=(w-text_w)/2:y={y}"
        )
    return ",".join(filters) + f"[v{n}]"


def speech_track(entry: dict[str, Any], voices: dict[str, Voice], path: Path) -> None:
    """One mono 16-bit WAV of the whole talk: every sentence at its place over silence."""
    rates = set()
    for _, text in entry["placed"]:
        with wave.open(str(voices[text].path), "rb") as audio:
            rates.add(audio.getframerate())
    (rate,) = rates
    track = array.array("h", bytes(2 * round(entry["duration"] * rate)))
    for begin, text in entry["placed"]:
        with wave.open(str(voices[text].path), "rb") as audio:
            samples = array.array("h", audio.readframes(audio.getnframes()))
        at = round(begin * rate)
        track[at : at + len(samples)] = samples[: len(track) - at]
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(track.tobytes())


def render(entry: dict[str, Any], voices: dict[str, Voice], ffmpeg: str, font: Path, out: Path, scratch: Path) -> None:
    speech = scratch / f"{out.stem}.wav"
    speech_track(entry, voices, speech)
    shots = entry["shots"]
    graph = [shot_chain(s, font, n) for n, s in enumerate(shots)]
    graph.append("".join(f"[v{n}]" for n in range(len(shots))) + f"concat=n={len(shots)}:v=1:a=0[v]")
    keyframes = ",".join(str(s["start"]) for s in shots)
    partial = out.with_name(f".{out.name}.tmp")
    args = [ffmpeg, "-hide_banner", "-loglevel", "error", "-y", "-nostdin", "-i", str(speech)]
    args += ["-filter_complex", ";".join(graph), "-map", "[v]", "-map", "0:a", "-t", str(entry["duration"])]
    args += ["-c:v", "libx264", "-preset", "veryfast", "-crf", "26", "-pix_fmt", "yuv420p", "-r", str(FPS)]
    args += ["-force_key_frames", keyframes, "-c:a", "aac", "-b:a", "64k", "-ac", "1", "-ar", str(SAMPLE_RATE)]
    args += ["-movflags", "+faststart", "-map_metadata", "-1", "-f", "mp4", str(partial)]
    try:
        done = subprocess.run(args, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"ffmpeg failed on {out.name}: {done.stderr.strip()[-2000:]}")
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "data" / "lectures")
    parser.add_argument("--force", action="store_true", help="re-render videos that already exist")
    args = parser.parse_args(argv)
    import imageio_ffmpeg

    began = time.monotonic()
    flite, font = shutil.which("flite"), find_font()
    if flite is None or font is None:
        print(
            "make_lectures: needs flite and a TrueType font (apt-get install flite fonts-dejavu-core)", file=sys.stderr
        )
        return 1
    ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    args.out.mkdir(parents=True, exist_ok=True)
    truth_path = args.out / "lectures.json"
    before = json.loads(truth_path.read_text())["videos"] if truth_path.is_file() else {}
    videos, made = {}, 0
    with tempfile.TemporaryDirectory(prefix="vidsearch-lectures-") as scratch:
        voices = synthesise(flite, Path(scratch))
        for lecture in LECTURES:
            entry = plan(lecture, voices)
            digest = hashlib.sha256(json.dumps([RENDER_VERSION, entry], sort_keys=True).encode()).hexdigest()[:16]
            out = args.out / f"{lecture.name}.mp4"
            if args.force or not out.is_file() or before.get(lecture.name, {}).get("render") != digest:
                render(entry, voices, ffmpeg, font, out, Path(scratch))
                made += 1
            del entry["placed"]
            videos[lecture.name] = {"render": digest, **entry}
    truth_path.write_text(json.dumps({"videos": videos}, indent=1) + "\n")
    seconds = sum(v["duration"] for v in videos.values())
    topics = sum(len(v["topics"]) for v in videos.values())
    print(
        f"lectures: {len(videos)} videos ({made} rendered), {seconds:.0f} s, {topics} topics in {args.out} "
        f"[{time.monotonic() - began:.0f} s]"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
