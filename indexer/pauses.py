"""Segments of sound without pictures: a podcast, a voice memo, or the part of a video whose
sound goes on after its pictures end. With no shots to follow, segments are cut in the pauses
between sentences, no longer than the segment cap.
"""

from __future__ import annotations

from collections.abc import Sequence

from indexer.types import Segment, TextSpan

PAUSE = 0.3
"""Shortest silence between two sentences, seconds, that a segment may end in."""
SHORTEST = 1.0
"""Shortest segment, seconds, that a pause may end (a cap's worth of talk is cut, not crumbs)."""


def pause_segments(start: float, end: float, sentences: Sequence[TextSpan], cap: float) -> list[Segment]:
    """Segments covering [start, end) seconds contiguously, each at most `cap` long. A segment that
    must end (the next `cap` seconds are not the end) ends in the middle of the longest pause
    between `sentences` in the second half of its reach; else of the last pause in the first
    half (at least SHORTEST in); else at `cap`, mid-word if someone speaks on that long."""
    pauses = _pauses(sentences, start, end)
    segments: list[Segment] = []
    at = start
    while end - at > cap:
        late = [(length, middle) for length, middle in pauses if at + cap / 2 <= middle <= at + cap]
        early = [middle for _, middle in pauses if at + SHORTEST <= middle < at + cap / 2]
        cut = max(late)[1] if late else max(early, default=at + cap)
        segments.append(Segment(at, cut))
        at = cut
    if end > at:
        segments.append(Segment(at, end))
    return segments


def _pauses(sentences: Sequence[TextSpan], start: float, end: float) -> list[tuple[float, float]]:
    """(length, middle) in seconds of each silence of at least PAUSE between the sentences."""
    found = []
    reach = start
    for sentence in sorted(sentences, key=lambda s: s.start):
        if sentence.start - reach >= PAUSE and start < (sentence.start + reach) / 2 < end:
            found.append((sentence.start - reach, (sentence.start + reach) / 2))
        reach = max(reach, sentence.end)
    return found
