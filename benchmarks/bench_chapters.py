"""Chapter and summary figures on the evaluation library (`scripts/make_eval_library.py`).

Truth: each video's scenes (library.json), hard-cut stretches over different backgrounds, each with
its own sentences, titles and sounds; a scene change is a change of topic. Chapters are scored by
boundary precision and recall within TOLERANCE seconds (one reported boundary per true one) and by
WindowDiff (Pevzner & Hearst 2002, "A Critique and Improvement of an Evaluation Metric for Text
Segmentation", Computational Linguistics 28(1); k = half the mean true chapter length, positions
every STEP seconds), lower is better), against two baselines from the same index: every segment
start (the shot cuts, and the splits of the indexer's 10 s segment cap), and fixed 60 s chapters.

Videos: each of a split's (micro-averaged P/R; WindowDiff the mean over videos), then one long
video of the split's videos one after another, two ways: `--long DIR` (an index of the
concatenated file, made with the same models: `ffmpeg` concat filter, then `vidsearch index`),
and "stitched" (every video's stored spans, vectors and segments shifted by its offset into one
`Material`, no indexing). The long video's truth: every scene change, and only the joins between
videos (coarser topics).

Summaries: for each video, the share of its scenes (of those with speech) that the 3 sentences
picked come from, beside lead-3 (the first three sentences) and three spread evenly; and whether
each item points at the right time: a sentence overlaps the true sentence it quotes (text alike,
`difflib` ratio >= 0.5 after folding), a screen title the true text it reads, a sound a true
sound event.

`--sweep` also prints the chapter parameters and MMR's lambda swept on the split given (run it
on `calibration`).

`--lectures DIR --lectures-index DIR` scores the lecture library instead (`scripts/make_lectures.py`:
talks of 4-6 topics of several sentences each, shown as slides, under camera cuts that do not follow
the topics, or as a podcast's still picture); truth: each topic's first words. Per split (`tune`,
`report`) and per style: chapters against every true shot cut, every stored segment start and
fixed 60 s chapters; summaries: the share of a video's topics its 3 sentences come from (MMR with
and without chapters, lead-3, three spread evenly; also as many sentences as topics). With
`--sweep`, the chapter parameters are swept, ranked by the F1 on the `tune` split plus the F1 on
the evaluation library's calibration split (`--eval`, `--index`, when it is there), each with its
`report` figure beside it (the defaults are chosen so).

Usage: python benchmarks/bench_chapters.py [--split test] [--eval data/eval] [--index data/eval-index]
       [--long /tmp/vs-long/index] [--sweep]
       python benchmarks/bench_chapters.py --lectures data/lectures --lectures-index /tmp/lectures-index [--sweep]
"""

from __future__ import annotations

import argparse
import dataclasses
import difflib
import itertools
import json
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from search.chapters import ChapterParams, Material, chapters, fold, gather  # noqa: E402
from search.store import Store  # noqa: E402
from search.summary import LAMBDA, key_sentences, summarise  # noqa: E402
from search.types import SegmentRecord, SpanRecord  # noqa: E402

TOLERANCE = 3.0
STEP = 0.5
FIXED = 60.0
TEXT_ALIKE = 0.5

Boundaries = Callable[[Material], list[float]]


def chapter_starts(params: ChapterParams) -> Boundaries:
    return lambda material: [c.start for c in chapters(material, params)[1:]]


def shot_starts(material: Material) -> list[float]:
    return [g.start for g in material.segments[1:]]


def fixed_starts(material: Material) -> list[float]:
    return [FIXED * n for n in range(1, int(material.duration // FIXED) + 1) if FIXED * n < material.duration - 1e-6]


def matches(truth: Sequence[float], found: Sequence[float], tolerance: float = TOLERANCE) -> int:
    """One-to-one matches within `tolerance`, closest pairs first."""
    pairs = sorted(
        (abs(t - f), i, j) for i, t in enumerate(truth) for j, f in enumerate(found) if abs(t - f) <= tolerance
    )
    used_t: set[int] = set()
    used_f: set[int] = set()
    for _, i, j in pairs:
        if i not in used_t and j not in used_f:
            used_t.add(i)
            used_f.add(j)
    return len(used_t)


def window_diff(truth: Sequence[float], found: Sequence[float], duration: float) -> float:
    """WindowDiff over positions every STEP s; k = half the mean true segment, in positions."""
    positions = max(int(duration / STEP), 2)
    k = max(1, round(duration / (len(truth) + 1) / 2 / STEP))
    if k >= positions:
        k = positions - 1

    def counts(bounds: Sequence[float]) -> list[int]:
        placed = [min(round(b / STEP), positions) for b in bounds]
        cumulative, at = [], 0
        for i in range(positions + 1):
            at += placed.count(i)
            cumulative.append(at)
        return cumulative

    r, h = counts(truth), counts(found)
    wrong = sum((r[i + k] - r[i]) != (h[i + k] - h[i]) for i in range(positions - k))
    return wrong / (positions - k)


@dataclasses.dataclass
class Score:
    truths: int = 0
    found: int = 0
    hits: int = 0
    windowdiffs: list[float] = dataclasses.field(default_factory=list)

    def add(self, truth: Sequence[float], found: Sequence[float], duration: float) -> None:
        self.truths += len(truth)
        self.found += len(found)
        self.hits += matches(truth, found)
        self.windowdiffs.append(window_diff(truth, found, duration))

    def precision(self) -> float:
        return self.hits / self.found if self.found else float("nan")

    def recall(self) -> float:
        return self.hits / self.truths if self.truths else float("nan")

    def f1(self) -> float:
        return 2 * self.hits / (self.found + self.truths) if self.hits else 0.0

    def windowdiff(self) -> float:
        return statistics.mean(self.windowdiffs)

    def brief(self) -> str:
        return f"P {self.precision():4.2f} R {self.recall():4.2f} F1 {self.f1():4.2f} WD {self.windowdiff():5.3f}"

    def line(self, name: str) -> str:
        precision, recall, f1, wd = self.precision(), self.recall(), self.f1(), self.windowdiff()
        return (
            f"  {name:38} P {precision:5.2f}  R {recall:5.2f}  F1 {f1:5.2f}  WindowDiff {wd:5.3f}"
            f"  ({self.found} found, {self.truths} true)"
        )


def library(eval_dir: Path, split: str) -> dict[str, dict]:
    return json.loads((eval_dir / split / "library.json").read_text())["videos"]


def materials(store: Store) -> dict[str, Material]:
    found = {}
    for video in store.videos():
        found[video.path.name] = gather(store, video, store.segments(video))
    return found


def scene_starts(entry: dict, offset: float = 0.0) -> list[float]:
    return [offset + s["start"] for s in entry["scenes"][1:]]


def score_split(truth: dict[str, dict], held: dict[str, Material], methods: dict[str, Boundaries]) -> dict[str, Score]:
    scores = {name: Score() for name in methods}
    for name, entry in truth.items():
        material = held.get(name)
        if material is None:
            continue
        for method, boundaries in methods.items():
            scores[method].add(scene_starts(entry), boundaries(material), material.duration)
    return scores


def stitched(truth: dict[str, dict], held: dict[str, Material]) -> tuple[Material, list[float], list[float]]:
    """The split's videos as one `Material` (times shifted by each one's offset), with the true
    scene changes and joins."""
    names = [n for n in sorted(truth) if n in held]
    first = held[names[0]].video
    spans: dict[str, list[SpanRecord]] = {"said": [], "shown": [], "heard": []}
    segments: list[SegmentRecord] = []
    vectors = {}
    scenes, joins, offset = [], [], 0.0
    for name in names:
        material, entry = held[name], truth[name]
        if offset:
            joins.append(offset)
            scenes.append(offset)
        scenes += scene_starts(entry, offset)
        for kind in spans:
            spans[kind] += [
                dataclasses.replace(s, start=s.start + offset, end=s.end + offset) for s in getattr(material, kind)
            ]
        segments += [dataclasses.replace(g, start=g.start + offset, end=g.end + offset) for g in material.segments]
        vectors.update(material.vectors)
        offset += entry["duration"]
    video = dataclasses.replace(first, duration=offset)
    combined = Material(
        video, tuple(segments), *(tuple(spans[k]) for k in ("said", "shown", "heard")), vectors, (None,) * len(segments)
    )
    return combined, scenes, joins


def long_truth(truth: dict[str, dict]) -> tuple[list[float], list[float], float]:
    scenes, joins, offset = [], [], 0.0
    for name in sorted(truth):
        if offset:
            joins.append(offset)
            scenes.append(offset)
        scenes += scene_starts(truth[name], offset)
        offset += truth[name]["duration"]
    return scenes, joins, offset


def alike(one: str, other: str) -> bool:
    return difflib.SequenceMatcher(None, fold(one), fold(other)).ratio() >= TEXT_ALIKE


def overlaps(start: float, end: float, item: dict) -> bool:
    return min(end, item["end"]) > max(start, item["start"])


def scene_of(entry: dict, time: float) -> int:
    return next((n for n, s in enumerate(entry["scenes"]) if s["start"] <= time < s["end"]), len(entry["scenes"]) - 1)


def summaries(truth: dict[str, dict], held: dict[str, Material], balances: Sequence[float]) -> None:
    pickers: dict[str, Callable[[Material], list[SpanRecord]]] = {
        f"MMR lambda {b:g}": (lambda m, b=b: key_sentences(m, 3, b)) for b in balances
    }
    for b in balances:
        pickers[f"MMR lambda {b:g} + chapters"] = lambda m, b=b: key_sentences(
            m, 3, b, [c.start for c in chapters(m)[1:]]
        )
    pickers["lead-3 (first three)"] = lambda m: list(m.said[:3])
    pickers["spread (three evenly)"] = lambda m: (
        [m.said[int(len(m.said) / 3 * n + len(m.said) / 6)] for n in range(3)] if len(m.said) > 3 else list(m.said)
    )
    for label, pick in pickers.items():
        shares, of_spoken = [], []
        for name, entry in truth.items():
            material = held.get(name)
            if material is None:
                continue
            spoken_scenes = {scene_of(entry, (s["start"] + s["end"]) / 2) for s in entry["sentences"]}
            picked = {scene_of(entry, (s.start + s.end) / 2) for s in pick(material)}
            shares.append(len(picked) / len(entry["scenes"]))
            of_spoken.append(len(picked & spoken_scenes) / max(1, min(3, len(spoken_scenes))))
        print(
            f"  {label:24} scenes covered {statistics.mean(shares):.3f} of all scenes, "
            f"{statistics.mean(of_spoken):.3f} of the most coverable (min(3, scenes with speech), {len(shares)} videos)"
        )


def item_times(truth: dict[str, dict], held: dict[str, Material]) -> None:
    right: dict[str, list[bool]] = {"speech": [], "screen": [], "sound": []}
    quoted = []
    for name, entry in truth.items():
        material = held.get(name)
        if material is None:
            continue
        stored = {(s.start, s.end, s.text.strip()) for s in (*material.said, *material.shown, *material.heard)}
        for item in summarise(material, 3).items:
            quoted.append(
                any(
                    a == item.start and b == item.end and (t == item.text or fold(t) == fold(item.text))
                    for a, b, t in stored
                )
            )
            if item.kind == "speech":
                right["speech"].append(
                    any(overlaps(item.start, item.end, s) and alike(item.text, s["text"]) for s in entry["sentences"])
                )
            elif item.kind == "screen":
                right["screen"].append(
                    any(overlaps(item.start, item.end, t) and alike(item.text, t["text"]) for t in entry["texts"])
                )
            else:
                right["sound"].append(any(overlaps(item.start, item.end, s) for s in entry["sounds"]))
    print(f"  items quoting a stored span at its own times: {sum(quoted)}/{len(quoted)}")
    for kind, found in right.items():
        print(f"  {kind:6} items at the true time of what they quote: {sum(found)}/{len(found)}")


def lecture_truth(entry: dict) -> list[float]:
    return [t["start"] for t in entry["topics"][1:]]


def topic_of(entry: dict, time: float) -> int:
    return next((n for n, t in enumerate(entry["topics"]) if t["start"] <= time < t["end"]), len(entry["topics"]) - 1)


def lecture_methods(truth: dict[str, dict], params: dict[str, ChapterParams]) -> dict[str, Boundaries]:
    by_name = {name: entry["cuts"] for name, entry in truth.items()}
    methods: dict[str, Boundaries] = {name: chapter_starts(p) for name, p in params.items()}
    methods["baseline: every shot cut (true cuts)"] = lambda m: list(by_name[m.video.path.stem])
    methods["baseline: every segment start"] = shot_starts
    methods[f"baseline: fixed {FIXED:g} s"] = fixed_starts
    return methods


def score_lectures(
    truth: dict[str, dict], held: dict[str, Material], methods: dict[str, Boundaries], names: Sequence[str]
) -> dict[str, Score]:
    scores = {name: Score() for name in methods}
    for name in names:
        for method, boundaries in methods.items():
            scores[method].add(lecture_truth(truth[name]), boundaries(held[name]), held[name].duration)
    return scores


def lecture_summaries(truth: dict[str, dict], held: dict[str, Material], names: Sequence[str]) -> None:
    pickers: dict[str, Callable[[Material, int], list[SpanRecord]]] = {
        "MMR across chapters": lambda m, k: key_sentences(m, k, LAMBDA, [c.start for c in chapters(m)[1:]]),
        "MMR alone": lambda m, k: key_sentences(m, k, LAMBDA),
        "lead (the first ones)": lambda m, k: list(m.said[:k]),
        "spread evenly": lambda m, k: (
            [m.said[int(len(m.said) / k * n + len(m.said) / k / 2)] for n in range(k)]
            if len(m.said) > k
            else list(m.said)
        ),
    }
    for label, pick in pickers.items():
        shares, distinct, as_many = [], [], []
        for name in names:
            entry, material = truth[name], held[name]
            topics = len(entry["topics"])
            picked = {topic_of(entry, (s.start + s.end) / 2) for s in pick(material, 3)}
            shares.append(len(picked) / topics)
            distinct.append(len(picked) / min(3, topics))
            as_many.append(len({topic_of(entry, (s.start + s.end) / 2) for s in pick(material, topics)}) / topics)
        print(
            f"  {label:22} 3 sentences: topics covered {statistics.mean(shares):.3f} of all, "
            f"{statistics.mean(distinct):.3f} of the most 3 can; as many sentences as topics: "
            f"{statistics.mean(as_many):.3f} ({len(names)} videos)"
        )


def lectures(
    folder: Path,
    index: Path,
    sweep: bool,
    full: bool = False,
    calibration: tuple[dict[str, dict], dict[str, Material]] | None = None,
) -> None:
    truth = json.loads((folder / "lectures.json").read_text())["videos"]
    with Store.open(index) as store:
        held = {path.removesuffix(".mp4"): m for path, m in materials(store).items()}
    missing = sorted(set(truth) - set(held))
    if missing:
        print(f"not in the index (left out): {', '.join(missing)}")
    splits = {
        split: [n for n in sorted(truth) if truth[n]["split"] == split and n in held] for split in ("tune", "report")
    }
    methods = lecture_methods(
        truth,
        {"chapters (defaults)": ChapterParams(), "chapters, Hearst's cutoff (spread 0.5)": ChapterParams(spread=0.5)},
    )
    for split, names in splits.items():
        topics = sum(len(truth[n]["topics"]) for n in names)
        seconds = sum(held[n].duration for n in names)
        print(f"lectures {split}: {len(names)} videos, {seconds:.0f} s, {topics} topics; within {TOLERANCE:g} s")
        for name, score in score_lectures(truth, held, methods, names).items():
            print(score.line(name))
    for style in sorted({truth[n]["style"] for n in held}):
        names = [n for n in sorted(held) if n in truth and truth[n]["style"] == style]
        print(f"lectures, {style} ({', '.join(names)}):")
        for name, score in score_lectures(truth, held, methods, names).items():
            print(score.line(name))
    everything = [n for split in splits.values() for n in split]
    print("each video, chapters (defaults): true topic starts | found")
    for name in everything:
        found = chapter_starts(ChapterParams())(held[name])
        true = [round(t) for t in lecture_truth(truth[name])]
        print(f"  {name} {truth[name]['style']:7} {true} | {[round(f) for f in found]}")
    for split, names in splits.items():
        print(f"summaries, lectures {split}:")
        lecture_summaries(truth, held, names)
    if sweep:
        sweep_lectures(truth, held, splits, calibration, full)


def sweep_lectures(
    truth: dict[str, dict],
    held: dict[str, Material],
    splits: dict[str, list[str]],
    calibration: tuple[dict[str, dict], dict[str, Material]] | None,
    full: bool,
) -> None:
    """The chapter parameters swept; ranked by the F1 on the lecture tune split plus (when given)
    the F1 on the evaluation library's calibration split, the two splits parameters are chosen on;
    the lecture report split beside them."""
    print(
        f"sweep (F1 within {TOLERANCE:g} s, WindowDiff), best first by tune F1"
        f"{' + calibration F1' if calibration else ''}; report beside:"
    )
    rows = []
    for block, floor, spread, shortest in itertools.product(
        (None, 1, 2, 3, 4, 6), (0.0, 0.05, 0.1, 0.2, 0.3, 0.4), (1.0, 0.5, 0.0, -0.5, -1.0), (None, 10.0, 20.0)
    ):
        method = {"x": chapter_starts(ChapterParams(block=block, depth_floor=floor, spread=spread, shortest=shortest))}
        tune = score_lectures(truth, held, method, splits["tune"])["x"]
        report = score_lectures(truth, held, method, splits["report"])["x"]
        chosen = score_split(*calibration, method)["x"] if calibration else None
        label = f"block {block} floor {floor:g} spread {spread:g} shortest {shortest}"
        rank = tune.f1() + (chosen.f1() if chosen else 0.0)
        rows.append((-round(rank, 6), tune.windowdiff(), label, tune, chosen, report))
    for _, _, label, tune, chosen, report in sorted(rows, key=lambda r: r[:3])[: len(rows) if full else 25]:
        also = f"   calibration {chosen.brief()}" if chosen else ""
        print(f"  {label:44} tune {tune.brief()}{also}   report {report.brief()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", default="test")
    parser.add_argument("--eval", type=Path, default=ROOT / "data" / "eval")
    parser.add_argument("--index", type=Path, default=ROOT / "data" / "eval-index")
    parser.add_argument("--long", type=Path, help="index of the split's videos concatenated into one file")
    parser.add_argument("--sweep", action="store_true")
    parser.add_argument("--full", action="store_true", help="print every row of the lecture sweep (else the best 25)")
    parser.add_argument("--lectures", type=Path, help="the lecture library (scripts/make_lectures.py) to score instead")
    parser.add_argument("--lectures-index", type=Path, help="its index")
    args = parser.parse_args()
    if args.lectures is not None:
        if args.lectures_index is None:
            parser.error("--lectures needs --lectures-index")
        calibration = None
        if args.sweep and (args.index / "calibration" / "index.db").is_file():
            with Store.open(args.index / "calibration") as store:
                calibration = (library(args.eval, "calibration"), materials(store))
        lectures(args.lectures, args.lectures_index, args.sweep, args.full, calibration)
        return
    truth = library(args.eval, args.split)
    with Store.open(args.index / args.split) as store:
        held = materials(store)
    methods: dict[str, Boundaries] = {
        "chapters (defaults)": chapter_starts(ChapterParams()),
        "chapters, shortest 10 s": chapter_starts(ChapterParams(shortest=10.0)),
        "chapters, Hearst's cutoff (spread 0.5)": chapter_starts(ChapterParams(spread=0.5)),
        "baseline: every segment start": shot_starts,
        f"baseline: fixed {FIXED:g} s": fixed_starts,
    }
    began = time.perf_counter()
    scores = score_split(truth, held, methods)
    took = (time.perf_counter() - began) / max(1, len(held)) / len(methods)
    print(
        f"{args.split}: {len(held)} videos, boundaries within {TOLERANCE:g} s ({took * 1000:.1f} ms a video and method)"
    )
    for name, score in scores.items():
        print(score.line(name))

    long_methods = methods
    combined, scenes, joins = stitched(truth, held)
    print(f"stitched long video ({combined.duration:.0f} s, {len(scenes)} scene changes, {len(joins)} joins):")
    for name, boundaries in long_methods.items():
        found = boundaries(combined)
        for label, true in (("scenes", scenes), ("joins", joins)):
            score = Score()
            score.add(true, found, combined.duration)
            print(score.line(f"{name} / {label}"))
    if args.long is not None:
        with Store.open(args.long) as store:
            (video,) = store.videos()
            material = gather(store, video, store.segments(video))
        scenes, joins, duration = long_truth(truth)
        print(f"indexed long video {video.path.name} ({video.duration:.0f} s, language {video.language or '?'}):")
        for name, boundaries in long_methods.items():
            found = boundaries(material)
            for label, true in (("scenes", scenes), ("joins", joins)):
                score = Score()
                score.add(true, found, duration)
                print(score.line(f"{name} / {label}"))

    print("summaries (3 sentences):")
    summaries(truth, held, (0.7,) if not args.sweep else (0.3, 0.5, 0.7, 1.0))
    item_times(truth, held)

    if args.sweep:
        print(f"sweep on {args.split} (F1 within {TOLERANCE:g} s, WindowDiff):")
        for block, floor, screen, shortest in itertools.product(
            (None, 1, 2, 3), (0.0, 0.05, 0.1), (True, False), (None, 10.0)
        ):
            params = ChapterParams(block=block, depth_floor=floor, screen=screen, shortest=shortest)
            score = score_split(truth, held, {"x": chapter_starts(params)})["x"]
            print(score.line(f"block {block} floor {floor:g} screen {screen!s:5} shortest {shortest}"))


if __name__ == "__main__":
    main()
