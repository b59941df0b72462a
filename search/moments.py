"""Turning per-segment scores into moments: adjacent strong segments of one video merge."""

from __future__ import annotations

from dataclasses import dataclass

from search.types import Evidence, Hit, SegmentRecord, VideoRecord

ADJACENT = 1e-3
"""Seconds between one segment's end and the next one's start that still count as touching."""


@dataclass(frozen=True)
class ScoredSegment:
    segment: SegmentRecord
    video: VideoRecord
    score: float
    evidence: Evidence


def merge(scored: list[ScoredSegment], margin: float, max_length: float) -> list[Hit]:
    """Moments, best first. Each seeds at the best unused segment and grows over touching
    neighbours that scored within `margin` of the seed, up to `max_length` seconds."""
    by_video: dict[int, list[ScoredSegment]] = {}
    for item in scored:
        by_video.setdefault(item.video.id, []).append(item)
    for items in by_video.values():
        items.sort(key=lambda s: s.segment.start)
    used: set[int] = set()
    hits = []
    for seed in sorted(scored, key=lambda s: -s.score):
        if seed.segment.id in used:
            continue
        run = _grow(by_video[seed.video.id], seed, used, margin, max_length)
        used.update(item.segment.id for item in run)
        hits.append(_hit(run, seed))
    return hits


def _grow(
    row: list[ScoredSegment], seed: ScoredSegment, used: set[int], margin: float, cap: float
) -> list[ScoredSegment]:
    i = j = next(n for n, item in enumerate(row) if item.segment.id == seed.segment.id)

    def joins(item: ScoredSegment, start: float, end: float) -> bool:
        return item.segment.id not in used and item.score >= seed.score - margin and end - start <= cap

    while True:
        start, end = row[i].segment.start, row[j].segment.end
        if i > 0 and row[i - 1].segment.end >= start - ADJACENT and joins(row[i - 1], row[i - 1].segment.start, end):
            i -= 1
        elif (
            j + 1 < len(row)
            and row[j + 1].segment.start <= end + ADJACENT
            and joins(row[j + 1], start, row[j + 1].segment.end)
        ):
            j += 1
        else:
            return row[i : j + 1]


def _hit(run: list[ScoredSegment], seed: ScoredSegment) -> Hit:
    return Hit(
        video=seed.video.path,
        start=run[0].segment.start,
        end=run[-1].segment.end,
        score=seed.score,
        segment_ids=tuple(item.segment.id for item in run),
        evidence=(seed.evidence,),
    )
