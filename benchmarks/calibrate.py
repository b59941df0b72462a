"""Choose each modality's no-match floor from data: the calibration split of the evaluation library.

For every modality alone, with all floors at 0, it records per query the match score of the
first hit that is right (queries that modality should answer) and the score of the top hit of
every off-topic query. A floor is good when right answers stay above it and off-topic top hits
fall below it; the script prints both distributions and, per modality, the floor that maximises
(share of right answers kept) + (share of off-topic queries rejected) - 1 (Youden's J).

Queries in other languages count for the modality that answers them: speech answers `same:*` and
`cross:*` (but `cross:en-zh`), OCR answers `screen:*` and `cross:en-zh`; every `offtopic*` kind is
off-topic, and the off-topic top scores are also printed per kind (per language).

It prints figures only; the chosen floors go into `vidsearch/settings.py` by hand, with the
numbers that justify them.

Usage: python benchmarks/calibrate.py data/eval/calibration/queries.jsonl --index data/eval-index/calibration
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from collections.abc import Sequence
from fnmatch import fnmatchcase
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from search import VideoSearch  # noqa: E402
from search.evaluate import Case, hit_matches, load_cases  # noqa: E402
from vidsearch.settings import Settings  # noqa: E402

ANSWERS = {
    "speech": ("speech_keyword", "speech_paraphrase", "cross_modal", "same:*", "cross:*"),
    "ocr": ("ocr", "cross_modal", "screen:*", "cross:en-zh"),
    "audio": ("audio",),
    "visual": (),
}
"""The kinds (fnmatch patterns) each modality should answer, less those in `NOT_ANSWERS`."""
NOT_ANSWERS = {"speech": ("cross:en-zh",)}
"""English queries for Chinese on-screen text are OCR's, not speech's."""
OFF_TOPIC = ("offtopic", "off-topic")
"""Off-topic kinds start with one of these ("offtopic:it" too)."""
GROUPS = {"English": lambda kind: ":" not in kind, "other languages": lambda kind: ":" in kind}
"""Floors are chosen apart for English queries on English text (scored by the English model of the
paired space) and for the rest (kinds named `<what>:<language>`, scored by the multilingual model)."""
DEPTH = 50
STRICT = 0.975


def answers(modality: str, kind: str) -> bool:
    """Whether queries of `kind` are ones that `modality` should answer."""
    wanted = any(fnmatchcase(kind, pattern) for pattern in ANSWERS[modality])
    return wanted and not any(fnmatchcase(kind, pattern) for pattern in NOT_ANSWERS.get(modality, ()))


def off_topic(kind: str) -> bool:
    return kind.startswith(OFF_TOPIC)


def scores(
    engine: VideoSearch, cases: Sequence[Case], modality: str, root: Path
) -> tuple[list[float], dict[str, list[float]]]:
    """(scores of the first right hit of answerable queries, top-hit scores of off-topic queries by kind)."""
    right: list[float] = []
    wrong: dict[str, list[float]] = defaultdict(list)
    for case in cases:
        if not answers(modality, case.kind) and not off_topic(case.kind):
            continue
        hits = engine.search(case.query, DEPTH, (modality,))
        if off_topic(case.kind):
            wrong[case.kind].append(hits[0].evidence[0].score if hits else 0.0)
            continue
        found = next((h for h in hits if hit_matches(case, h, root)), None)
        right.append(found.evidence[0].score if found else 0.0)
    return right, wrong


def best_floor(right: list[float], wrong: list[float]) -> tuple[float, float, float]:
    """(floor, share of right kept, share of off-topic rejected) maximising their sum."""
    candidates = sorted({round(x, 3) for x in right + wrong if x > 0})
    best = (0.0, 1.0, 0.0)
    for floor in candidates:
        kept = float(np.mean([x >= floor for x in right])) if right else 0.0
        rejected = float(np.mean([x < floor for x in wrong])) if wrong else 0.0
        if kept + rejected > best[1] + best[2]:
            best = (floor, kept, rejected)
    return best


def strict_floor(wrong: list[float], share: float) -> float:
    """The lowest floor under which at least `share` of off-topic top hits fall. A query is
    rejected only when every modality rejects it, so each must reject more than the target."""
    ordered = sorted(wrong)
    return ordered[min(len(ordered) - 1, int(np.ceil(share * len(ordered))) - 1)] + 1e-3 if ordered else 0.0


def describe(values: list[float]) -> str:
    if not values:
        return "none"
    p = np.percentile(values, [5, 25, 50, 75, 95])
    return f"n={len(values):3d}  p5 {p[0]:.3f}  p25 {p[1]:.3f}  median {p[2]:.3f}  p75 {p[3]:.3f}  p95 {p[4]:.3f}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("queries", type=Path)
    parser.add_argument("--index", type=Path, required=True)
    args = parser.parse_args(argv)
    cases = load_cases(args.queries)
    zero = Settings(
        floor_visual=-1.0,
        **{f"floor_{m}{part}": 0.0 for m in ("speech", "ocr", "audio") for part in ("", "_multilingual")},
    )
    with VideoSearch(args.index, zero) as engine:
        for modality in engine.searchable():
            for group, chosen in GROUPS.items():
                mine = [case for case in cases if chosen(case.kind)]
                if mine:
                    report(engine, mine, modality, args.queries.parent, f"{modality}, {group}")
    return 0


def report(engine: VideoSearch, cases: Sequence[Case], modality: str, root: Path, title: str) -> None:
    """Print the score distributions of one modality and the floors they suggest."""
    right, by_kind = scores(engine, cases, modality, root)
    if not right and not by_kind:
        return
    wrong = [score for kind in sorted(by_kind) for score in by_kind[kind]]
    floor, kept, rejected = best_floor(right, wrong)
    print(f"{title}")
    print(f"  right answers   {describe(right)}")
    print(f"  off-topic tops  {describe(wrong)}")
    if len(by_kind) > 1:
        width = max(map(len, by_kind))
        for kind in sorted(by_kind):
            print(f"    {kind:{width}}  {describe(by_kind[kind])}")
    print(f"  floor {floor:.3f}: keeps {kept:.0%} of right answers, rejects {rejected:.0%} of off-topic")
    strict = strict_floor(wrong, STRICT)
    kept = float(np.mean([x >= strict for x in right])) if right else 0.0
    print(f"  floor {strict:.3f}: rejects {STRICT:.0%}+ of off-topic alone, keeps {kept:.0%} of right answers")


if __name__ == "__main__":
    raise SystemExit(main())
