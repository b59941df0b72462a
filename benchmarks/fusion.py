"""How fusion rules rank and how honestly their scores read, on labelled queries (the evaluation
library's `queries.jsonl`).

Each query is searched once (floors as configured); its candidates are then fused by every rule:
`agreement` (`search.fusion`) with each damping of `--damping` (1 is the noisy OR that was the
default; 0 the best match alone) and `rrf`. Per rule it prints:

- R@1, R@5 and MRR per query kind and over all (as `vidsearch eval`);
- how the top hit's score reads: for the top hits of all queries (off-topic ones count as wrong
  when they find anything), per score band the number of top hits and the share that are right,
  the Brier score, mean (score - right)^2 (lower: the score says better how likely the top hit is
  right), and the highest score of a wrong one; the same over the first SHOWN hits of every
  query, and over those of them where two or more modalities agree (a hit other than the case's
  moment counts as wrong);
- what the issue's example, matches of 0.53 and 0.72, fuses to.

It prints figures only; the chosen damping goes into `search.fusion.AGREEMENT` by hand.

Usage: python benchmarks/fusion.py data/eval/test/queries.jsonl --index data/eval-index/test
                                   [--damping 1,0.7,0.5,0.35,0.25,0] [-k 10]
"""

from __future__ import annotations

import argparse
import functools
import itertools
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from indexer.types import Modality  # noqa: E402
from search import VideoSearch  # noqa: E402
from search.evaluate import ALL, Case, evaluate, hit_matches, load_cases  # noqa: E402
from search.fusion import Candidate, Rule, agreement, fuse, reciprocal_rank  # noqa: E402
from search.types import Evidence, Hit  # noqa: E402
from vidsearch.settings import Settings  # noqa: E402

SHOWN = 5
"""Hits per query whose scores are judged in the first 5 rows (a page's first row of cards)."""
BANDS = (0.0, 0.5, 0.7, 0.8, 0.9, 1.0001)
OFF_TOPIC = ("offtopic", "off-topic")

Found = tuple[list[Candidate], Mapping[Modality, float]]


def candidates(engine: VideoSearch, query: str, k: int) -> Found:
    """The candidates (and weights) one search would fuse."""
    seen: list[Found] = []

    def record(found: Sequence[Candidate], weights: Mapping[Modality, float], rule: Any) -> list[Any]:
        seen.append((list(found), dict(weights)))
        return []

    with mock.patch("search.engine.fuse", record):
        engine.search(query, k)
    return seen[0] if seen else ([], {})


def ranked(found: Found, rule: Rule, k: int) -> list[Hit]:
    moments = fuse(found[0], found[1], rule)[:k]
    hits = []
    for moment in moments:
        evidence: tuple[Evidence, ...] = tuple(c.evidence for c in moment.best.values())
        seed = moment.seed
        hits.append(Hit(seed.video.path, seed.start, seed.end, moment.score, (), evidence))
    return hits


def honesty(top: Sequence[tuple[float, bool]]) -> str:
    if not top:
        return "none"
    scores = np.array([s for s, _ in top])
    right = np.array([r for _, r in top], float)
    cells = []
    for low, high in itertools.pairwise(BANDS):
        inside = (scores >= low) & (scores < high)
        share = f"{right[inside].mean():.2f}" if inside.any() else "  - "
        cells.append(f"[{low:.1f},{min(high, 1.0):.1f}) n={int(inside.sum()):3d} right {share}")
    brier = float(np.mean((scores - right) ** 2))
    wrong = f"{scores[right == 0].max():.3f}" if (right == 0).any() else "-"
    return f"Brier {brier:.3f}; highest wrong {wrong}; " + "; ".join(cells)


def report(name: str, rule: Rule, cases: Sequence[Case], found: dict[str, Found], root: Path, k: int) -> None:
    hits = {query: ranked(f, rule, k) for query, f in found.items()}
    result = evaluate(cases, lambda q: hits[q], root, k)
    kinds = [row.kind for row in result.rows]
    print(f"== {name}")
    for kind in kinds:
        figures = "  ".join(f"{m} {_cell(result.metric(kind, m))}" for m in ("n", "R@1", "R@5", "MRR"))
        print(f"  {kind:18} {figures}")
    if result.off_topic is not None:
        print(f"  {result.off_topic.kind}: n={result.off_topic.n} rejected {result.off_topic.rejected:.3f}")
    top: list[tuple[float, bool]] = []
    shown: list[tuple[float, bool]] = []
    agreeing: list[tuple[float, bool]] = []
    for case in cases:
        for rank, hit in enumerate(hits[case.query][:SHOWN]):
            right = case.video is not None and hit_matches(case, hit, root)
            top += [(hit.score, right)] if rank == 0 else []
            shown.append((hit.score, right))
            agreeing += [(hit.score, right)] if len(hit.evidence) > 1 else []
    print(f"  top hits       {honesty(top)}")
    print(f"  first {SHOWN}        {honesty(shown)}")
    print(f"  2+ modalities  {honesty(agreeing)}")
    example = {
        Modality.SPEECH: _example(Modality.SPEECH, 0.72),
        Modality.OCR: _example(Modality.OCR, 0.53),
    }
    print(f"  0.53 and 0.72 fuse to {rule(example, {}):.3f}")


def _example(modality: Modality, match: float) -> Candidate:
    from search.types import VideoRecord

    video = VideoRecord(0, Path("/example.mp4"), "", 0, 0.0, 1.0, 25.0, 1, 1)
    return Candidate(video, 0.0, 1.0, match, 1, Evidence(modality, match, 0.0, 0.0, 1.0))


def _cell(value: float | None) -> str:
    return "  -  " if value is None else (f"{value:3.0f}" if value > 1 else f"{value:.3f}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("queries", type=Path)
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--damping", default="1,0.7,0.5,0.35,0.25,0")
    parser.add_argument("-k", type=int, default=10)
    args = parser.parse_args(argv)
    cases = load_cases(args.queries)
    with VideoSearch(args.index, Settings()) as engine:
        found = {case.query: candidates(engine, case.query, args.k) for case in cases}
    rules: dict[str, Rule] = {
        f"agreement {d}": functools.partial(agreement, damping=float(d)) for d in args.damping.split(",")
    }
    rules["rrf"] = reciprocal_rank
    for name, rule in rules.items():
        report(name, rule, cases, found, args.queries.parent, args.k)
    print(f"({ALL}: every query that names a video)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
