"""Subtitles from a video's stored transcript: timed cues laid out by the rules of common subtitle
guidelines, written as SubRip (`srt`) or WebVTT (`webvtt-py`).

The rules (`SubtitleRules`) follow the BBC Subtitle Guidelines and Netflix's Timed Text Style
Guide: at most two lines of 42 columns, each cue on screen 1 to 7 seconds (shorter only when the
speech is), read at 20 characters a second where the pauses leave the time, a two-frame gap
between cues that closes gaps under half a second, lines and cues broken at natural points
(sentence ends, clause punctuation, pauses, before a conjunction or preposition; never after an
article). Cues come from the words' own times (`SpanRecord.words`): a long sentence is split
where its words are said, so each cue shows while its words are spoken. `cues` chooses the
breaks of a whole track at once (dynamic programming over the word boundaries), so short
sentences share a cue, a line each, rather than flash by.
"""

from __future__ import annotations

import datetime
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import srt
import webvtt
from webvtt.models import Timestamp

from indexer.types import AudioTrack, Modality, main_track
from search.errors import SearchError
from search.types import SpanRecord, VideoRecord


class TrackNotFound(SearchError):
    """A video has no audio track with this index. Tracks are told counted from `first`: 0 as
    `AudioTrack.index` and the API count them, 1 as the CLI does."""

    def __init__(self, path: Path, track: int, tracks: tuple[AudioTrack, ...], first: int = 0) -> None:
        have = ", ".join(str(t.index + first) for t in tracks) or "none"
        super().__init__(f"{path} has no audio track {track} (its tracks: {have})")
        self.path = path
        self.track = track
        self.tracks = tracks


@dataclass(frozen=True)
class Cue:
    """One subtitle: `lines` (at most `SubtitleRules.lines`, each of about `SubtitleRules.line`
    columns) shown from `start` to `end` seconds."""

    start: float
    end: float
    lines: tuple[str, ...]

    @property
    def text(self) -> str:
        """The lines joined by newlines."""
        return "\n".join(self.lines)

    def to_json(self) -> dict[str, Any]:
        """start, end (s), lines."""
        return {"start": round(self.start, 3), "end": round(self.end, 3), "lines": list(self.lines)}


@dataclass(frozen=True)
class SubtitleRules:
    """How cues are laid out. Sources: Netflix Timed Text Style Guide, general requirements
    (42 characters a line, 2 lines, 5/6 s to 7 s a cue, 20 characters a second for adults, 2
    frames between cues, gaps under 12 frames closed); BBC Subtitle Guidelines (line breaks at
    natural linguistic points; new sentences on a new line)."""

    line: int = 42
    """Columns a line holds (a wide CJK character takes two)."""
    lines: int = 2
    shortest: float = 1.0
    """Seconds a cue stays at least, where the next one leaves the time."""
    longest: float = 7.0
    """Seconds a cue stays at most (unless a single word is said for longer)."""
    reading: float = 20.0
    """Characters a second a viewer reads; a cue stays longer, into a pause, to be read at this pace."""
    gap: float = 0.083
    """Seconds between one cue and the next (two frames at 24 fps)."""
    chain: float = 0.5
    """A gap shorter than this, seconds, is closed to `gap`: cues that flicker off and on are tiring."""
    silence: float = 1.5
    """A pause this long (seconds) between two words always ends a cue: text never shows long before it is said."""


RULES = SubtitleRules()

BREAK_BEFORE = frozenset(
    "and but or nor so yet because although though while whereas if unless until when where whether which who "  # noqa: SIM905
    "whom whose that than to of in on at for with from by about into through over under between after before".split()
)
"""English words a line or cue may start with (conjunctions, prepositions: BBC "line breaks")."""
NO_BREAK_AFTER = frozenset(
    "a an the my your his her its our their this these those every each some any no to of in on at for with "  # noqa: SIM905
    "from by into mr. mrs. ms. dr. st.".split()
)
"""English words a line or cue should not end with (an article or preposition parted from its noun)."""
CLAUSE_END = (",", ";", ":", "–", "—", "...", "…")
SENTENCE_END = (".", "?", "!", "。", "？", "！", '."', '?"', '!"')
NATURAL_PAUSE = 0.3
"""Seconds of silence between two words that make a natural break."""
CUE_COST = 4.0
"""What one more cue costs the layout (so cues are filled rather than many and short)."""
SPLIT_COST = 6.0
"""What ending a cue inside a sentence costs on top of the break itself: a sentence that fits in
one cue is kept in one (BBC: a subtitle should hold a whole sentence where it can)."""
SHORT_COST = 40.0
"""What a cue costs for each second it stays less than `SubtitleRules.shortest`."""
EARLY_COST = 20.0
"""What a cue costs for each second of pause between two sentences it holds (the second shows early)."""


@dataclass(frozen=True)
class _Token:
    start: float
    end: float
    text: str
    width: int
    ends_sentence: bool


def width(text: str) -> int:
    """Columns `text` takes on screen: wide and full-width characters (CJK) count two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def track_spans(video: VideoRecord, spans: Sequence[SpanRecord], track: int | None = None) -> list[SpanRecord]:
    """The sentences of `spans` heard on audio track `track` (its `AudioTrack.index`; None: the
    main track, the one players play), in time order. Indexing keeps what another track only
    repeats of the main one once, on the main track; so a track in the main track's language (or
    either untagged) takes the main track's sentences where it has none of its own, and a track in
    another language (a dub) only its own. TrackNotFound for a track the file does not have."""
    speech = sorted((s for s in spans if s.modality == Modality.SPEECH), key=lambda s: (s.start, s.end))
    main = main_track(video.tracks)
    if track is not None and not any(t.index == track for t in video.tracks):
        raise TrackNotFound(video.path, track, video.tracks)
    if main is None:
        return speech
    chosen = main.index if track is None else track
    own = [s for s in speech if s.track == chosen or (s.track is None and chosen == main.index)]
    if chosen == main.index:
        return own
    language = next(t.language for t in video.tracks if t.index == chosen)
    if language and main.language and language != main.language:
        return own
    repeated = [s for s in speech if s.track == main.index and not any(_overlap(s, o) for o in own)]
    return sorted(own + repeated, key=lambda s: (s.start, s.end))


def _overlap(a: SpanRecord, b: SpanRecord) -> bool:
    return min(a.end, b.end) > max(a.start, b.start)


def cues(spans: Sequence[SpanRecord], rules: SubtitleRules = RULES) -> list[Cue]:
    """The cues of spoken sentences `spans` (one audio track, time order), laid out by `rules`.
    A sentence without word times has its words spread over it by their length."""
    tokens = _tokens(spans)
    if not tokens:
        return []
    breaks = _layout(tokens, rules)
    found: list[Cue] = []
    for (first, last), following in zip(breaks, [*breaks[1:], None]):
        chosen = tokens[first:last]
        lines = _lines(chosen, rules)[1]
        start = chosen[0].start
        end = _end(start, max(t.end for t in chosen), lines, tokens[following[0]].start if following else None, rules)
        found.append(Cue(start, end, lines))
    return found


def _tokens(spans: Sequence[SpanRecord]) -> list[_Token]:
    """Every word of `spans` with its time, in time order; the last of each sentence marked."""
    found: list[_Token] = []
    for span in spans:
        timed = [(w.start, w.end, " ".join(w.text.split())) for w in span.words]
        timed = [(a, b, text) for a, b, text in timed if text]
        if not timed:
            timed = _spread(span.start, span.end, span.text.split())
        for place, (a, b, text) in enumerate(timed):
            last = place == len(timed) - 1
            found.append(_Token(a, max(a, b), text, width(text), last or text.endswith(SENTENCE_END)))
    return sorted(found, key=lambda t: t.start)


def _spread(start: float, end: float, words: list[str]) -> list[tuple[float, float, str]]:
    """`words` said over [start, end), each for a time in proportion to its length."""
    total = sum(len(w) + 1 for w in words)
    found, at = [], start
    for word in words:
        step = (end - start) * (len(word) + 1) / total
        found.append((at, at + step, word))
        at += step
    return found


def _break_cost(tokens: Sequence[_Token], after: int) -> float:
    """How natural a break between tokens[after] and tokens[after + 1] is (0: a sentence end)."""
    word, following = tokens[after], tokens[after + 1]
    if word.ends_sentence:
        return 0.0
    cost = 8.0
    if word.text.endswith(CLAUSE_END) or following.start - word.end >= NATURAL_PAUSE:
        cost = 2.0
    elif following.text.lower() in BREAK_BEFORE:
        cost = 4.0
    if word.text.lower() in NO_BREAK_AFTER:
        cost += 8.0
    return cost


def _lines(tokens: Sequence[_Token], rules: SubtitleRules) -> tuple[float, tuple[str, ...]]:
    """The best layout of `tokens` in at most two lines of `rules.line` columns, and its cost
    (inf: they do not fit; a single word too long is one line). One line when it fits and holds
    one sentence; else broken at the most natural point, lines of like length, the top one
    shorter if either."""
    text = " ".join(t.text for t in tokens)
    total = sum(t.width for t in tokens) + len(tokens) - 1
    sentences = sum(t.ends_sentence for t in tokens[:-1])
    best: tuple[float, tuple[str, ...]] = (float("inf"), (text,))
    if total <= rules.line or len(tokens) == 1:
        best = (6.0 * sentences, (text,))
    if rules.lines < 2:
        return best
    used = 0
    for cut in range(1, len(tokens)):
        used += tokens[cut - 1].width + (1 if cut > 1 else 0)
        rest = total - used - 1
        if used > rules.line or rest > rules.line:
            continue
        inside = sentences - tokens[cut - 1].ends_sentence
        cost = 2.0 + _break_cost(tokens, cut - 1) + abs(used - rest) / 6 + (1.0 if used > rest else 0.0)
        cost += 10.0 * inside
        if cost < best[0]:
            top = " ".join(t.text for t in tokens[:cut])
            best = (cost, (top, " ".join(t.text for t in tokens[cut:])))
    return best


def _layout(tokens: Sequence[_Token], rules: SubtitleRules) -> list[tuple[int, int]]:
    """The cues as [first, last) token ranges: the cheapest way to cut the whole track (dynamic
    programming over the word boundaries; a cue holds at most two full lines)."""
    count = len(tokens)
    best = [0.0] + [float("inf")] * count
    back = [0] * (count + 1)
    reach = rules.lines * (rules.line + 1)
    for first in range(count):
        if best[first] == float("inf"):
            continue
        columns = -1
        for last in range(first + 1, count + 1):
            columns += tokens[last - 1].width + 1
            if columns > reach and last > first + 1:
                break
            if last > first + 1:
                said = tokens[last - 1].end - tokens[first].start
                paused = tokens[last - 1].start - tokens[last - 2].end
                if said > rules.longest or paused >= rules.silence:
                    break
            cost = best[first] + _cue_cost(tokens, first, last, rules)
            if cost < best[last]:
                best[last], back[last] = cost, first
    found, last = [], count
    while last > 0:
        found.append((back[last], last))
        last = back[last]
    return found[::-1]


def _cue_cost(tokens: Sequence[_Token], first: int, last: int, rules: SubtitleRules) -> float:
    layout, lines = _lines(tokens[first:last], rules)
    if layout == float("inf"):
        return layout
    cost = CUE_COST + layout
    cost += EARLY_COST * sum(
        tokens[k + 1].start - tokens[k].end for k in range(first, last - 1) if tokens[k].ends_sentence
    )
    start = tokens[first].start
    shown = max(tokens[last - 1].end - start, rules.shortest)
    if last < len(tokens):
        cost += _break_cost(tokens, last - 1) + (0.0 if tokens[last - 1].ends_sentence else SPLIT_COST)
        room = tokens[last].start - rules.gap - start
        if room < rules.shortest:
            cost += SHORT_COST * (rules.shortest - room)
        shown = min(max(shown, room), rules.longest)
    characters = sum(len(line) for line in lines)
    speed = characters / max(shown, 1e-3)
    if speed > rules.reading:
        cost += speed - rules.reading
    return cost


def _end(start: float, said: float, lines: tuple[str, ...], following: float | None, rules: SubtitleRules) -> float:
    """When a cue starting at `start` whose words end at `said` leaves: once it has been up
    `shortest` seconds and long enough to read (at most `longest`), before the next cue (at
    `following`) with a gap of `gap` seconds, or right up to it when that gap would be under `chain`."""
    reading = sum(len(line) for line in lines) / rules.reading
    end = max(said, min(start + max(rules.shortest, reading), start + rules.longest))
    if following is None:
        return end
    limit = following - rules.gap
    if 0 < limit - end < rules.chain and limit - start <= rules.longest:
        end = limit
    end = min(end, limit)
    return end if end > start else max(start, min(following, said))


def to_srt(found: Sequence[Cue]) -> str:
    """SubRip text of `found` (composed by the `srt` library): numbered from 1, times
    HH:MM:SS,mmm. SubRip has no escapes: a "-->" in the text (which a reader could take for a
    timing line) is written "->"."""
    subtitles = [
        srt.Subtitle(
            place,
            datetime.timedelta(milliseconds=round(cue.start * 1000)),
            datetime.timedelta(milliseconds=round(cue.end * 1000)),
            "\n".join(line.replace("-->", "->") for line in cue.lines),
        )
        for place, cue in enumerate(found, start=1)
    ]
    return str(srt.compose(subtitles, reindex=False))


def to_vtt(found: Sequence[Cue]) -> str:
    """WebVTT text of `found` (written by `webvtt-py`): the `WEBVTT` header, then each cue with
    times HH:MM:SS.mmm. The text is escaped as cue text must be ("&", "<" and ">" as character
    references, which also keeps "-->" out of it)."""
    captions = [
        webvtt.Caption(
            str(Timestamp.from_seconds(cue.start)),
            str(Timestamp.from_seconds(cue.end)),
            [_vtt_escape(line) for line in cue.lines],
        )
        for cue in found
    ]
    return str(webvtt.WebVTT(captions=captions).content)


def _vtt_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


FORMATS = {"srt": to_srt, "vtt": to_vtt}
"""Subtitle writers by format name (the file suffix)."""
SUBTITLE_TYPES = {"srt": "application/x-subrip", "vtt": "text/vtt"}
"""The media type of each format."""
