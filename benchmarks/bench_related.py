"""Similar videos and duplicates, measured on the evaluation library with re-encoded and trimmed copies.

The library: the evaluation split's 20 videos (`scripts/make_eval_library.py`: 12 English videos of four
scenes each, then Italian, Russian, Catalan speech and Chinese titles) plus `COPIES`, made here with
ffmpeg: re-encoded at other CRFs and sizes, and trimmed (seconds cut off the head, the tail or both).
The evaluation index is copied (`--index`, read-only) and only the copies are indexed into the copy, with
the models the index records (`vidsearch index --offline`), so the originals' figures are exact.

Same topic, from library.json: the split's cross-modal grids (`Split.grids`) are its only content that
recurs across videos. A grid is one topic (two titles, two sentences: "BRIDGE CLOSED"/"ROAD WORKS" with
diversion and delay announcements) shown in four videos, each pairing of title and sentence once, so two
videos of a grid may share no sentence and no title, only the topic. Two videos share a topic when their
scenes show titles or say sentences of one grid (a copy has its original's topics). Every other scene's
sentences, titles and sounds are drawn once per split (only sound kinds recur), so videos without a grid
have no same-topic video.

Printed: precision@3 of same-topic videos over the videos that have one (duplicates left out by
`similar_videos`, as users get it), with chance level beside it; duplicate detection precision and recall
over every pair of the library (a pair is a duplicate when one is a copy of the other, or both copies of one
video); each copy's score and the best-scoring non-duplicate pair; and the time to profile the library.

Usage: python benchmarks/bench_related.py [--library data/eval/test] [--index data/eval-index/test]
       [--work /tmp/related] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from scripts.make_eval_library import TEST  # noqa: E402
from search.engine import VideoSearch  # noqa: E402
from search.related import DUPLICATE, MIN_MATCHED, MIN_SHARED, Related  # noqa: E402
from search.types import VideoRecord  # noqa: E402
from tests.media import ffmpeg  # noqa: E402

YAMNET = ROOT.parent / "shared/models/yamnet/yamnet.tflite"
"""The sound model `make eval-index` indexes with, where the shared folder has it."""


@dataclass(frozen=True)
class Copy:
    """A copy of library video `source`: ffmpeg input options (`before`: seeking), output options."""

    name: str
    source: str
    before: tuple[str, ...] = ()
    after: tuple[str, ...] = ()


COPIES: tuple[Copy, ...] = (
    Copy("test_01_crf34_270p.mp4", "test_01.mp4", after=("-vf", "scale=480:270", "-crf", "34", "-b:a", "64k")),
    Copy("test_05_crf28_180p.mp4", "test_05.mp4", after=("-vf", "scale=320:180", "-crf", "28")),
    Copy("test_14_crf36.mp4", "test_14.mp4", after=("-crf", "36", "-preset", "veryfast", "-b:a", "48k")),
    Copy("test_19_480p.mp4", "test_19.mp4", after=("-vf", "scale=854:480", "-crf", "23")),
    Copy("test_03_head3.mp4", "test_03.mp4", before=("-ss", "3"), after=("-crf", "23")),
    Copy("test_07_tail30.mp4", "test_07.mp4", after=("-t", "30", "-crf", "23")),
    Copy("test_16_both2.mp4", "test_16.mp4", before=("-ss", "2"), after=("-t", "28", "-crf", "26")),
    Copy("test_10_head5_240p.mp4", "test_10.mp4", before=("-ss", "5"), after=("-vf", "scale=426:240", "-crf", "30")),
)
"""Re-encoded copies (CRF 23-36, 180p-480p), trimmed ones (3-5 s off the head, a tail, both) of English,
Italian, Russian and Chinese-titled videos."""


def prepare(library: Path, index: Path, work: Path, audio_model: Path | None) -> Path:
    """Make the copies in `work`/lib and index them into a copy of `index` (`work`/index), once: what is
    there is kept (`audio_model`: the YAMNet file the evaluation index was made with). Returns the index."""
    copies = work / "lib"
    copies.mkdir(parents=True, exist_ok=True)
    for copy in COPIES:
        target = copies / copy.name
        if not target.exists():
            partial = target.with_suffix(".part.mp4")
            command = [ffmpeg(), "-hide_banner", "-loglevel", "error", "-y", *copy.before]
            command += ["-i", str(library / copy.source), "-c:v", "libx264", "-c:a", "aac", *copy.after, str(partial)]
            subprocess.run(command, check=True)
            partial.replace(target)
    scratch = work / "index"
    if not (scratch / "index.db").exists():
        shutil.copytree(index, scratch, ignore=shutil.ignore_patterns("serving", "*.log", ".lock"))
    command = [sys.executable, "-m", "vidsearch.cli", "index", "--index", str(scratch), "--offline"]
    command += ["--modalities", "speech,ocr,audio", *(str(copies / c.name) for c in COPIES)]
    environment = {**os.environ, **({"VIDSEARCH_AUDIO_MODEL": str(audio_model)} if audio_model else {})}
    subprocess.run(command, check=True, cwd=ROOT, env=environment)
    return scratch


def topics(library: Path, copies: Sequence[Copy] = COPIES) -> dict[str, frozenset[int]]:
    """Each video's topics (file name -> indices of `TEST.grids` it shows or says), copies included."""
    grid_of = {text: n for n, grid in enumerate(TEST.grids) for text in (*grid.titles, *grid.sentences)}
    videos = json.loads((library / "library.json").read_text())["videos"]
    found = {
        name: frozenset(grid_of[item["text"]] for item in (*v["sentences"], *v["texts"]) if item["text"] in grid_of)
        for name, v in videos.items()
    }
    return found | {c.name: found[c.source] for c in copies}


def duplicate_truth(copies: Sequence[Copy] = COPIES) -> set[frozenset[str]]:
    """Pairs of names that are one content: each copy and its source, and two copies of one source."""
    pairs = {frozenset((c.name, c.source)) for c in copies}
    return pairs | {frozenset((a.name, b.name)) for a in copies for b in copies if a != b and a.source == b.source}


def variant(engine: VideoSearch, pairing: str) -> Related:
    """The engine's `Related` ("auto"), or one comparing every two videos by the multilingual
    columns or by whole rows."""
    return engine._related if pairing == "auto" else Related(engine.store, engine._parts(), pairing)


def evaluate(engine: VideoSearch, related: Related, topic: dict[str, frozenset[int]], k: int) -> dict[str, Any]:
    """precision@k of same-topic videos (originals and all videos as queries), chance level, and
    duplicate precision/recall over every pair."""
    videos = {v.path.name: v for v in engine.videos()}
    truth = duplicate_truth()
    originals = {c.source for c in COPIES} | {n for n in videos if n not in {c.name for c in COPIES}}
    precision: dict[str, list[float]] = {"originals": [], "all": []}
    chance: dict[str, list[float]] = {"originals": [], "all": []}
    predicted: set[frozenset[str]] = set()
    scores: dict[frozenset[str], float] = {}
    aligned: dict[frozenset[str], float] = {}
    for name, video in sorted(videos.items()):
        found = related.related(video)
        for r in found:
            pair = frozenset((name, r.video.path.name))
            scores[pair] = r.score
            if r.duplicate:
                predicted.add(pair)
                aligned[pair] = r.aligned or 0.0
        if not topic[name]:
            continue
        shown = [r for r in found if not r.duplicate][:k]
        pool = [n for n in videos if n != name and frozenset((name, n)) not in truth]
        relevant = {n for n in pool if topic[n] & topic[name]}
        hit = sum(r.video.path.name in relevant for r in shown) / k
        for group in ("all", "originals") if name in originals else ("all",):
            precision[group].append(hit)
            chance[group].append(len(relevant) / len(pool))
    true = len(predicted & truth)
    others = [(scores.get(p, 0.0), sorted(p)) for p in scores if p not in truth]
    return {
        "precision": {g: round(float(np.mean(v)), 3) for g, v in precision.items()},
        "queries": {g: len(v) for g, v in precision.items()},
        "chance": {g: round(float(np.mean(v)), 3) for g, v in chance.items()},
        "duplicates": {
            "precision": round(true / len(predicted), 3) if predicted else None,
            "recall": round(true / len(truth), 3),
            "found": len(predicted),
            "true": len(truth),
            "wrong": sorted(sorted(p) for p in predicted - truth),
            "missed": sorted(sorted(p) for p in truth - predicted),
        },
        "copies": {" ~ ".join(sorted(p)): [round(scores.get(p, 0.0), 3), aligned.get(p)] for p in truth},
        "closest_other": max(others) if others else None,
    }


def closest_alignment(related: Related, videos: Sequence[VideoRecord]) -> dict[str, Any]:
    """Margins under the duplicate rule, over every two videos that are not one content, aligned
    whatever their profiles: the highest `aligned` of those sharing MIN_SHARED of their time, and
    the highest `shared` of those aligned at DUPLICATE or over (with the pair)."""
    truth = duplicate_truth()
    aligned: list[tuple[float, list[str]]] = [(0.0, [])]
    shared: list[tuple[float, list[str]]] = [(0.0, [])]
    for n, first in enumerate(videos):
        for second in videos[n + 1 :]:
            names = sorted((first.path.name, second.path.name))
            found = related.alignment(first, second)
            if frozenset(names) in truth or found is None or found.matched < MIN_MATCHED:
                continue
            if found.shared >= MIN_SHARED:
                aligned.append((round(found.aligned, 3), names))
            if found.aligned >= DUPLICATE:
                shared.append((round(found.shared, 3), names))
    return {"aligned": max(aligned), "shared": max(shared)}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--library", type=Path, default=ROOT / "data/eval/test")
    parser.add_argument("--index", type=Path, default=ROOT / "data/eval-index/test")
    parser.add_argument("--work", type=Path, default=Path("/tmp/related"))
    parser.add_argument("--audio-model", type=Path, default=YAMNET if YAMNET.exists() else None)
    parser.add_argument("--prepare", action="store_true", help="only make the copies and index them")
    parser.add_argument("-k", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    started = time.monotonic()
    scratch = prepare(args.library.resolve(), args.index.resolve(), args.work, args.audio_model)
    print(f"prepared {scratch} in {time.monotonic() - started:.0f} s", flush=True)
    if args.prepare:
        return
    topic = topics(args.library)
    report: dict[str, Any] = {}
    with VideoSearch(scratch) as engine:
        started = time.monotonic()
        for video in engine.videos():
            engine._related.profile(video)
        report["profile_seconds"] = round(time.monotonic() - started, 3)
        started = time.monotonic()
        engine.similar_videos(engine.videos()[0].id)
        report["similar_seconds"] = round(time.monotonic() - started, 3)
        report["closest_alignment"] = closest_alignment(engine._related, engine.videos())
        for columns in ("auto", "multilingual", "whole"):
            report[columns] = evaluate(engine, variant(engine, columns), topic, args.k)
    report["videos"] = len(topic)
    report["topics"] = {name: sorted(t) for name, t in sorted(topic.items()) if t}
    if args.json:
        print(json.dumps(report))
        return
    print(
        f"{report['videos']} videos; profiling them all took {report['profile_seconds']} s, one similar_videos "
        f"then {report['similar_seconds']} s"
    )
    for columns in ("auto", "multilingual", "whole"):
        found = report[columns]
        dup = found["duplicates"]
        print(
            f"[{columns} columns] precision@{args.k} same topic: originals {found['precision']['originals']} "
            f"({found['queries']['originals']} queries, chance {found['chance']['originals']}), all "
            f"{found['precision']['all']} ({found['queries']['all']}, chance {found['chance']['all']}); "
            f"duplicates precision {dup['precision']} recall {dup['recall']} ({dup['found']} found, "
            f"{dup['true']} true; wrong {dup['wrong']}, missed {dup['missed']})"
        )
    print("copies (score, aligned):", json.dumps(report["auto"]["copies"]))
    print("closest other pair by profile:", report["auto"]["closest_other"])
    margin = report["closest_alignment"]
    print(
        f"other pairs, all aligned: highest aligned where shared >= {MIN_SHARED}: {margin['aligned']}; "
        f"highest shared where aligned >= {DUPLICATE}: {margin['shared']}"
    )


if __name__ == "__main__":
    main()
