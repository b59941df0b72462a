"""Text on screen over time: which frames to read, and for how long each line stays visible.

OCR is the slowest stage on a CPU, so frames are sampled (`fps` per second) and read only when
they differ from the last frame read: a little almost anywhere (a caption appears, the camera
moves) or a lot in one small place (a digit of a counter or a price changes).

Where the reader can run its two steps apart (a `BoxReader`: find boxes of text and recognise
them, then recognise given boxes again), a changed frame is not searched for text each time.
The changed frames of `detect_every` samples are kept, and only the last is searched; the kept
ones are read from the boxes of the searches on either side: a box read the same in the same
place by both stayed all along, and only the others (text that came, went or changed between
the two searches) are recognised again in each kept frame, about a seventh of a search each (a
search costs 141 ms a frame of the sample library on 2 cores, one box 21 ms). So a counter keeps
every value and a title its first and last sample, as with a search at every sample. What a
window can hide: text shown and gone inside it where neither search found text (missed), and a
text that both searches found in its place but that left and came back between them (taken for
present throughout).

A line seen in consecutive reads is one span from when it appeared to when it was last seen (plus
one sample interval). Two readings are one line only if they differ by OCR noise (`same_line`),
never by a number or a word. A reading like the line (`near`) seen at a single sample is taken
for a slip of OCR (a word lost for one read, a misreading as the line appears): it neither breaks
nor shortens the line's span, and keeps a span of its own. Spans end at shot cuts: a line last
seen before a cut ends at the cut, a line first seen at the first sample after a cut starts at
the cut, and a line seen on both sides of a cut (a logo) is two spans that meet at the cut.
"""

from __future__ import annotations

import bisect
import difflib
import logging
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from indexer.encoders import BoxReader, TextReader
from indexer.encoders.ocr import TEXT_SCORE, known_word
from indexer.shots import ShotParams
from indexer.types import Frame, Modality, TextLine, TextSpan

log = logging.getLogger(__name__)

MODALITY = Modality.OCR
CHANGED_LEVEL = 32
"""Grey-level difference (0-255) at which a pixel counts as changed between samples."""
CHANGED_SHARE = 0.001
"""Share of changed pixels that makes a frame worth reading again (small captions are ~0.2 %)."""
BLOCK = 8
"""Side in pixels of the squares (overlapping by half) of the working-size frame searched for a
small, dense change."""
DENSE = 12
"""Changed pixels in one square that make a frame worth reading again: a digit changed in a
caption 4-6 % of the picture high changes 27-41, one 3 % high 13; H.264 at crf 38 and heavy film
grain change at most 8 (film grain, measured on the detail-size frame, would trigger every read)."""
SAME_TEXT = 0.8
"""difflib ratio below which two readings are never one line."""
NOISE = 2
"""Most characters one misreading changes in a row ("rn" read as "m")."""
MIN_WORD = 4
"""Letters a word needs before a change in it may be a misreading; then one per this many letters."""
AT_CUT = 1e-4
"""Seconds within which a sample counts as at a cut (cut times are frame times)."""
MIN_SHOT = ShotParams.min_shot
"""Seconds a cut must follow the one before to count (the segmenter's default shortest shot)."""
OVERLAP = 0.5
"""Intersection over union at which boxes of two searches are in the same place."""
DETECT_EVERY = 3
"""Samples per window of reading (see the module); 1 searches every changed sample."""
LOOKALIKE = {"0": "o", "1": "l", "5": "s", "8": "b"}
"""Digits the recogniser reads for letters inside a word ("B0ARDING", "c1osed")."""


@dataclass(eq=False)
class _Line:
    text: str
    """The most confident reading."""
    confidence: float
    latest: str
    """The latest reading."""
    first: int
    last: int
    """The first and last samples (indices) the line was on screen at; it was at every one between."""


@dataclass
class _Seen:
    """One line's stretch of samples once its neighbouring misreadings are taken in."""

    text: str
    confidence: float
    first: int
    last: int


class ScreenText:
    """Feed every frame with `push`; `finish(end, cuts)` returns the text spans found.

    `reads` counts the changed samples: those read, or kept to be read from a window's boxes."""

    def __init__(self, reader: TextReader, fps: float, detect_every: int = DETECT_EVERY) -> None:
        self.reader = reader
        self.interval = 1.0 / fps
        self._next = 0.0
        self._last_read: np.ndarray | None = None
        self._samples: list[float] = []
        self._open: list[_Line] = []
        self._done: list[_Line] = []
        self._boxes = _Boxes(reader, detect_every) if isinstance(reader, BoxReader) and detect_every > 1 else None
        self.reads = 0

    def push(self, frame: Frame) -> None:
        """Consider `frame`; read it if a sample is due and the picture changed since the last read."""
        if frame.time + 1e-6 < self._next:
            return
        self._next = frame.time + self.interval
        self._samples.append(frame.time)
        sample = len(self._samples) - 1
        grey = frame.image.mean(axis=2, dtype=np.float32)
        image = None
        if self._last_read is None or _changed(self._last_read, grey):
            self._last_read = grey
            self.reads += 1
            image = frame.detail if frame.detail is not None else frame.image
        if self._boxes is not None:
            for at, lines in self._boxes.push(sample, image):
                self._take(at, lines)
        else:
            self._take(sample, None if image is None else self.reader.read(image))

    def _take(self, sample: int, lines: list[TextLine] | None) -> None:
        """The lines read at `sample`; None: the picture is the one read before."""
        if lines is not None:
            self._update(lines, sample)
            return
        for line in self._open:
            line.last = sample

    def _update(self, lines: list[TextLine], sample: int) -> None:
        still: list[_Line] = []
        for line in lines:
            key = _key(line.text)
            if len(key) < 2 and not key.isdigit():  # a lone letter is mostly texture; a lone digit counts
                continue
            match = next((o for o in self._open if o not in still and _continues(o, line.text)), None)
            if match is None:
                match = _Line(line.text, line.confidence, line.text, sample, sample)
            elif line.confidence > match.confidence:
                match.text, match.confidence = line.text, line.confidence
            match.latest, match.last = line.text, sample
            still.append(match)
        self._done += [o for o in self._open if o not in still]
        self._open = still

    def finish(self, end: float, cuts: Sequence[float] = ()) -> list[TextSpan]:
        """Every span, in order of appearance; none outlasts `end` seconds or crosses a cut.
        `cuts`: the shot cuts of the video (seconds: the time of the first frame of each new shot);
        like the segmenter, a cut less than a shortest shot after the one before is no cut."""
        if self._boxes is not None:
            for at, lines in self._boxes.flush():
                self._take(at, lines)
        shot_cuts = _shot_cuts(cuts, end)
        shots = [_shot(shot_cuts, time) for time in self._samples]
        seen = _bridged(self._done + self._open, shots)
        spans = [span for line in seen for span in self._spans(line, shots, shot_cuts, end)]
        self._open, self._done, self._samples = [], [], []
        return sorted(spans, key=lambda s: (s.start, s.text))

    def _spans(self, line: _Seen, shots: list[int], cuts: list[float], end: float) -> Iterator[TextSpan]:
        """`line` cut into one span per shot its samples fall in."""
        first = line.first
        for at in range(line.first, line.last + 1):
            if at < line.last and shots[at + 1] == shots[first]:
                continue
            shot = shots[first]
            start = self._samples[first]
            if shot > 0 and (first == 0 or shots[first - 1] < shot):
                start = cuts[shot - 1]  # seen at the first sample of its shot: it came with the shot
            stop = min(self._samples[at] + self.interval, end, cuts[shot] if shot < len(cuts) else end)
            yield TextSpan(MODALITY, start, max(start, stop), line.text, line.confidence)
            first = at + 1


_Read = tuple[int, "list[TextLine] | None"]
"""What a sample showed: (sample, lines; None when the picture is the one read before)."""


class _Boxes:
    """Reads samples a window at a time (see the module): the changed frames of up to `every`
    samples are kept, then the last one is searched for text, and the frames kept before it are
    read from the boxes of the two searches around them, recognising again only the boxes whose
    text is not the same at both searches."""

    def __init__(self, reader: BoxReader, every: int) -> None:
        self.reader = reader
        self.every = every
        self.found: list[TextLine] | None = None
        """The confident boxes of the last search, with their readings (None: no search yet)."""
        self.pending: list[tuple[int, np.ndarray | None]] = []

    def push(self, sample: int, image: np.ndarray | None) -> list[_Read]:
        """Sample `sample` shows `image` (None: the picture read before); returns the samples
        whose lines are known now, in order."""
        if self.found is None and image is not None:
            self.found = self._search(image)
            return [(sample, self.reader.group(self.found))]
        if not self.pending and image is None:
            return [(sample, None)]
        self.pending.append((sample, image))
        if sample - self.pending[0][0] < self.every - 1:
            return []
        return self.flush()

    def flush(self) -> list[_Read]:
        """Search the last changed frame kept and read every sample kept."""
        pending, self.pending = self.pending, []
        last = max((i for i, (_, image) in enumerate(pending) if image is not None), default=-1)
        if last < 0:
            return [(sample, None) for sample, _ in pending]
        before = self.found or []
        image = pending[last][1]
        assert image is not None
        self.found = self._search(image)
        steady = [box for box in before if any(_same_place(box, now) for now in self.found)]
        changed = [box for box in before if box not in steady]
        changed += [now for now in self.found if not any(_same_place(box, now) for box in before)]
        doubtful = _widest(changed)
        reads: list[_Read] = []
        for sample, kept in pending[:last]:
            if kept is None:
                reads.append((sample, None))
                continue
            again = self.reader.reread(kept, doubtful) if doubtful else []
            seen = _apart(steady + [box for box in again if box.confidence >= TEXT_SCORE])
            reads.append((sample, self.reader.group(seen)))
        reads.append((pending[last][0], self.reader.group(self.found)))
        return reads + [(sample, None) for sample, _ in pending[last + 1 :]]

    def _search(self, image: np.ndarray) -> list[TextLine]:
        return [box for box in self.reader.find(image) if box.confidence >= TEXT_SCORE]


def _same_place(before: TextLine, now: TextLine) -> bool:
    """Whether two boxes of two searches are one text that stayed: the same reading, overlapping."""
    return _overlap(before.box, now.box) >= OVERLAP and same_line(before.text, now.text)


Box = tuple[float, float, float, float]


def _area(box: Box) -> float:
    """Area of a (left, top, right, bottom) box."""
    return max(0.0, box[2] - box[0]) * max(0.0, box[3] - box[1])


def _intersection(a: Box, b: Box) -> float:
    return _area((max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])))


def _widest(boxes: list[TextLine]) -> list[TextLine]:
    """`boxes` less each one that mostly lies in a larger one, or in an earlier one as large
    (where a text changed, the box of its reading before and the box of its reading after; where
    two searches cut a line into words differently, the line's box and its words' boxes: one
    crop, the larger, reads them all)."""

    def inside(i: int, box: TextLine) -> bool:
        return any(
            (_area(o.box), -j) > (_area(box.box), -i) and _within(box.box, o.box) >= OVERLAP
            for j, o in enumerate(boxes)
        )

    return [box for i, box in enumerate(boxes) if not inside(i, box)]


def _apart(boxes: list[TextLine]) -> list[TextLine]:
    """`boxes` less each one that mostly lies in one before it, or holds one mostly (a reading
    already had there)."""
    kept: list[TextLine] = []
    for box in boxes:
        if not any(_within(box.box, other.box) >= OVERLAP or _within(other.box, box.box) >= OVERLAP for other in kept):
            kept.append(box)
    return kept


def _within(a: Box, b: Box) -> float:
    """The share of box `a`'s area that lies in box `b`."""
    return _intersection(a, b) / max(_area(a), 1e-9)


def _overlap(a: Box, b: Box) -> float:
    """Intersection over union of two boxes."""
    inter = _intersection(a, b)
    return inter / max(_area(a) + _area(b) - inter, 1e-9)


def _continues(line: _Line, text: str) -> bool:
    return same_line(line.text, text) or same_line(line.latest, text)


def _bridged(lines: list[_Line], shots: list[int]) -> list[_Seen]:
    """Each line's stretch of samples, bridged over OCR's one-read slips. A reading like it
    (`near`) seen at one sample alone, in the same shot, is taken for the line misread:
    between two stretches of the line (a word lost or gained for one read: "all times are local",
    "times are local", "all times are local") it joins them; beside a stretch of two samples or
    more (misread as it appeared or went: "cmesare local" before "times are local") it extends
    it. A change that stays (seen at two samples or more) is never a slip. The slips keep their
    own spans: no reading is lost."""
    once: dict[int, list[str]] = {}
    for line in lines:
        if line.first == line.last:
            once.setdefault(line.first, []).append(line.text)

    def slip(text: str, sample: int, shot: int) -> bool:
        """Whether `text`'s line was misread at `sample` (of `shot`)."""
        if not 0 <= sample < len(shots) or shots[sample] != shot:
            return False
        return any(near(other, text) and not same_line(other, text) for other in once.get(sample, []))

    joined: list[_Seen] = []
    recent: list[_Seen] = []  # the stretches a later one may still meet
    for line in sorted(lines, key=lambda o: o.first):
        seen = _Seen(line.text, line.confidence, line.first, line.last)
        recent = [j for j in recent if j.last + 2 >= seen.first]
        meets = next((j for j in recent if _meet(j, seen, shots, slip)), None)
        if meets is None:
            joined.append(seen)
            recent.append(seen)
            continue
        meets.last = max(meets.last, seen.last)
        if seen.confidence > meets.confidence:
            meets.text, meets.confidence = seen.text, seen.confidence
    for seen in joined:
        if seen.last > seen.first:
            seen.first -= slip(seen.text, seen.first - 1, shots[seen.first])
            seen.last += slip(seen.text, seen.last + 1, shots[seen.last])
    return joined


def _meet(before: _Seen, after: _Seen, shots: list[int], slip: Callable[[str, int, int], bool]) -> bool:
    """Whether stretch `after` (starting no earlier) continues `before`: the same line, touching
    or one slip apart in one shot."""
    if after.first > before.last + 2 or not same_line(before.text, after.text):
        return False
    gap = before.last + 1
    return after.first <= gap or (shots[after.first] == shots[before.last] and slip(before.text, gap, shots[gap]))


def _shot_cuts(cuts: Sequence[float], end: float) -> list[float]:
    kept: list[float] = []
    for cut in sorted(cuts):
        if cut - (kept[-1] if kept else 0.0) >= MIN_SHOT and cut < end:
            kept.append(cut)
    return kept


def _shot(cuts: list[float], time: float) -> int:
    """Which shot `time` falls in (0 before the first cut); a sample at a cut is in the new shot."""
    return bisect.bisect_right(cuts, time + AT_CUT)


def _changed(before: np.ndarray, after: np.ndarray) -> bool:
    if before.shape != after.shape:
        return True
    moved = np.abs(before - after) > CHANGED_LEVEL
    if float(np.mean(moved)) >= CHANGED_SHARE:
        return True
    return _densest(moved) >= DENSE


def _densest(moved: np.ndarray) -> int:
    """Most changed pixels in any BLOCK x BLOCK square of `moved`, squares overlapping by half."""
    half = BLOCK // 2
    rows, cols = moved.shape[0] // half, moved.shape[1] // half
    if rows < 2 or cols < 2:
        return int(moved.sum())
    cells = moved[: rows * half, : cols * half].reshape(rows, half, cols, half).sum(axis=(1, 3))
    return int((cells[:-1, :-1] + cells[1:, :-1] + cells[:-1, 1:] + cells[1:, 1:]).max())


def _key(text: str) -> str:
    return "".join(_words(text))


def _words(text: str) -> list[str]:
    """Lower-case runs of letters and digits."""
    return re.findall(r"[^\W_]+", text.lower())


def _numbers_agree(key_a: str, key_b: str, ops: list[Opcode]) -> bool:
    """Whether two readings (`ops` align their keys) say the same numbers: every difference that
    touches a digit is one digit read for the letter it looks like, or back ("B0ARDING"); a digit
    read as another digit ("KX1PQ", "KX5PQ") is another number."""
    for tag, i1, i2, j1, j2 in ops:
        before, after = key_a[i1:i2], key_b[j1:j2]
        if tag != "equal" and _digits(before + after) and not _lookalike(before, after):
            return False
    return True


def _lookalike(a: str, b: str) -> bool:
    return len(a) == len(b) == 1 and (LOOKALIKE.get(a) == b or LOOKALIKE.get(b) == a)


Opcode = tuple[str, int, int, int, int]


def near(a: str, b: str) -> bool:
    """Whether readings `a` and `b` may be one line misread: the same digits, and at least
    SAME_TEXT alike letter for letter (spaces, case and punctuation aside)."""
    key_a, key_b = _key(a), _key(b)
    if key_a == key_b:
        return True
    matcher = difflib.SequenceMatcher(None, key_a, key_b, autojunk=False)
    return _numbers_agree(key_a, key_b, list(matcher.get_opcodes())) and matcher.ratio() >= SAME_TEXT


def same_line(a: str, b: str) -> bool:
    """Whether readings `a` and `b` are one line of text, differing at most by OCR noise.

    Noise: case, punctuation, spaces run together or split, a lookalike digit inside a word, and a
    letter or two dropped, added or misread inside a word of 4+ letters (one per 4 letters) that
    does not thereby become another English word. Never noise: any difference in the digits (a
    number, price, score, time, slide number), a word added or removed, a change in a word of 1-3
    letters, a word changed into another word (STOP/SHOP, OPEN/OPENS). Words that are not English
    are judged by spelling alone (the edit-distance part of the rule)."""
    words_a, words_b = _words(a), _words(b)
    key_a, key_b = "".join(words_a), "".join(words_b)
    if key_a == key_b:
        return True
    if not key_a or not key_b:
        return False
    matcher = difflib.SequenceMatcher(None, key_a, key_b, autojunk=False)
    if matcher.ratio() < SAME_TEXT:
        return False
    ops: list[Opcode] = list(matcher.get_opcodes())
    longest = max((max(i2 - i1, j2 - j1) for tag, i1, i2, j1, j2 in ops if tag != "equal"), default=0)
    if longest > NOISE or not _numbers_agree(key_a, key_b, ops):
        return False
    flipped = [(tag, j1, j2, i1, i2) for tag, i1, i2, j1, j2 in ops]
    return _only_misread(words_a, key_b, ops) and _only_misread(words_b, key_a, flipped)


def _only_misread(words: list[str], other: str, ops: list[Opcode]) -> bool:
    """Whether every word of `words` holding a changed character is a misreading of what stands
    in its place in `other` (`ops` align the joined `words` to `other`)."""
    at = 0
    for word in words:
        start, end = at, at + len(word)
        at = end
        changed = any(tag != "equal" and i1 < i2 and i1 < end and start < i2 for tag, i1, i2, _, _ in ops)
        if changed and not _misread(word, other[_start_in(ops, start) : _end_in(ops, end)]):
            return False
    return True


def _misread(word: str, read: str) -> bool:
    if not read or (known_word(word) and known_word(read)):
        return False
    return min(len(word), len(read)) >= MIN_WORD and _edits(word, read) <= max(len(word), len(read)) // MIN_WORD


def _edits(a: str, b: str) -> int:
    ops = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    return sum(max(i2 - i1, j2 - j1) for tag, i1, i2, j1, j2 in ops if tag != "equal")


def _start_in(ops: list[Opcode], p: int) -> int:
    """Where the text starting at `p` starts on the other side of `ops`."""
    for tag, i1, i2, j1, _ in ops:
        if i1 <= p < i2:
            return j1 + (p - i1) if tag == "equal" else j1
    return ops[-1][4] if ops else 0


def _end_in(ops: list[Opcode], p: int) -> int:
    """Where the text ending at `p` ends on the other side of `ops`."""
    for tag, i1, i2, j1, j2 in ops:
        if i1 < p <= i2:
            return j1 + (p - i1) if tag == "equal" else j2
    return 0


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())
