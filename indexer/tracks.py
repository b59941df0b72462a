"""Hearing a file's several audio tracks: which are heard, in what order, and what one track only
repeats of another (the same program in a stereo and a surround mix, or at two bitrates)."""

from __future__ import annotations

import bisect
import difflib
import re
from collections.abc import Sequence

from indexer.types import AudioTrack, TextSpan, VideoInfo

OVERLAP = 0.5
"""Share of the shorter of two spans that the other must cover for them to be one thing heard."""
SAME_WORDS = 0.8
"""difflib ratio of two spans' word sequences above which they say the same: two transcriptions
of one sentence from two mixes differ by a word at an edge ("... the world" / "... the world at")."""
LONGEST = 60.0
"""Seconds no span lasts longer than (sentences are cut at pauses; sounds are single events)."""


def heard(info: VideoInfo, every: bool) -> list[AudioTrack]:
    """The tracks to hear, the main one (flagged default, else the first) first; with `every`
    False only the main one."""
    main = info.main_track
    if main is None:
        return []
    return [main, *(t for t in info.tracks if t != main)] if every else [main]


def unrepeated(found: Sequence[TextSpan], kept: Sequence[TextSpan]) -> list[TextSpan]:
    """The spans of `found` (heard on one track) that no span of `kept` (heard on tracks before it)
    already says: the same modality, at the same time (OVERLAP), in the same words (SAME_WORDS)."""
    ordered = sorted(kept, key=lambda s: s.start)
    starts = [s.start for s in ordered]
    fresh = []
    for span in found:
        first = bisect.bisect_left(starts, span.start - LONGEST)
        last = bisect.bisect_left(starts, span.end)
        if not any(_repeats(span, other) for other in ordered[first:last]):
            fresh.append(span)
    return fresh


def _repeats(span: TextSpan, other: TextSpan) -> bool:
    if span.modality != other.modality:
        return False
    shared = min(span.end, other.end) - max(span.start, other.start)
    shorter = min(span.end - span.start, other.end - other.start)
    if shared <= 0 or shared < OVERLAP * shorter:
        return False
    words, others = _words(span.text), _words(other.text)
    return words == others or difflib.SequenceMatcher(None, words, others).ratio() >= SAME_WORDS


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.casefold())
