"""Subtitle figure: how the cues of `search.subtitles` keep the rules of subtitle guidelines on the
transcripts of real indexes (Whisper's sentences and word times), beside one cue per sentence
wrapped at 42 columns (the obvious way), and how long laying out an hour of speech takes.

Per index: cues; the share that hold at most two lines of 42 columns, stay 1-7 s, read at 20
characters a second or less; cues overlapping the next (per video); cue durations and reading
speeds. Then the same on a synthetic hour of speech (7,700 words in sentences of 3-30 words), and
the time `cues` takes to lay it out.

The indexes are opened as readers (`Store.open`), never written.

Usage: python benchmarks/bench_subtitles.py INDEX [INDEX ...]
"""

from __future__ import annotations

import argparse
import itertools
import random
import statistics
import sys
import textwrap
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from indexer.types import Modality, Word  # noqa: E402
from search.store import Store  # noqa: E402
from search.subtitles import RULES, Cue, cues, track_spans, width  # noqa: E402
from search.types import SpanRecord, VideoRecord  # noqa: E402

SLACK = 1e-3
"""Rounding allowed when a cue is held to exactly a limit (1 s; 20 characters a second)."""


def _report(name: str, found: list[list[Cue]]) -> str:
    flat = [cue for video in found for cue in video]
    if not flat:
        return f"  {name}: no cues"
    count = len(flat)
    fits = sum(len(c.lines) <= RULES.lines and all(width(line) <= RULES.line for line in c.lines) for c in flat)
    durations = [c.end - c.start for c in flat]
    timed = sum(RULES.shortest - SLACK <= d <= RULES.longest + SLACK for d in durations)
    speeds = [sum(map(len, c.lines)) / max(d, 1e-3) for c, d in zip(flat, durations)]
    readable = sum(s <= RULES.reading * (1 + SLACK) for s in speeds)
    overlaps = sum(a.end > b.start for video in found for a, b in itertools.pairwise(video))
    return (
        f"  {name}: {count} cues; two lines of 42 at most {fits / count:.1%}; 1-7 s {timed / count:.1%}; "
        f"20 characters/s or less {readable / count:.1%}; overlapping {overlaps}; "
        f"duration median {statistics.median(durations):.2f} s [{min(durations):.2f}, {max(durations):.2f}]; "
        f"speed median {statistics.median(speeds):.1f} max {max(speeds):.1f} characters/s"
    )


def _wrapped(spans: Sequence[SpanRecord]) -> list[Cue]:
    return [Cue(s.start, s.end, tuple(textwrap.wrap(" ".join(s.text.split()), RULES.line))) for s in spans]


def measure(index: Path) -> None:
    store = Store.open(index)
    try:
        ours, wrapped, sentences = [], [], 0
        for video in store.videos():
            spans = track_spans(video, store.video_spans(video, Modality.SPEECH))
            sentences += len(spans)
            ours.append(cues(spans))
            wrapped.append(_wrapped(spans))
        print(f"{index}: {len(ours)} videos, {sentences} sentences")
        print(_report("search.subtitles", ours))
        print(_report("one cue per sentence, wrapped at 42", wrapped))
    finally:
        store.close()


def hour(seed: int = 0) -> Sequence[SpanRecord]:
    """An hour of speech: sentences of 3-30 words of 0.2-0.5 s, pauses of up to 2 s between them."""
    rng = random.Random(seed)
    vocabulary = "the committee met in spring after months of argument about a budget chair proposed plans"
    video = VideoRecord(1, Path("/hour.mp4"), "", 0, 0.0, 3600.0, 25.0, 640, 360)
    spans: list[SpanRecord] = []
    at = 0.0
    while at < 3600:
        words = []
        for _ in range(rng.randint(3, 30)):
            said = rng.uniform(0.2, 0.5)
            words.append(Word(at, at + said, rng.choice(vocabulary.split())))
            at += said + rng.uniform(0.0, 0.1)
        text = " ".join(w.text for w in words)
        spans.append(
            SpanRecord(len(spans), video, Modality.SPEECH, words[0].start, words[-1].end, text, 0.9, tuple(words))
        )
        at += rng.uniform(0.1, 2.0)
    return spans


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("indexes", nargs="*", type=Path)
    args = parser.parse_args()
    for index in args.indexes:
        measure(index)
    spans = hour()
    began = time.perf_counter()
    found = cues(spans)
    took = time.perf_counter() - began
    words = sum(len(s.words) for s in spans)
    print(f"an hour of speech ({len(spans)} sentences, {words} words): {len(found)} cues in {took:.2f} s")
    print(_report("search.subtitles", [found]))
    print(_report("one cue per sentence, wrapped at 42", [_wrapped(spans)]))


if __name__ == "__main__":
    main()
