"""Screen text over time with a scripted screen: which readings are one line, and where spans
start and end (shot cuts included). No OCR model: the fake reader knows what each frame shows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pytest

from indexer.screentext import ScreenText, _changed, same_line
from indexer.types import Frame, TextLine, TextSpan

RATE = 25
"""Frames per second of the scripted videos (ScreenText samples one a second)."""


@dataclass(frozen=True)
class Shown:
    """From `start` to `end` seconds the screen is `background` (a grey level) showing `lines`."""

    start: float
    end: float
    lines: tuple[str, ...]
    background: int = 60


class Screen:
    """A scripted screen and a perfect reader of it. What is shown is drawn as a small white
    square whose place names the lines (so a change of text changes a few pixels, as a changed
    digit does); `read` looks the square up. `misreads` replaces readings, by read number."""

    name = "fake:screen"

    def __init__(self, script: Sequence[Shown], misreads: dict[int, tuple[str, ...]] | None = None) -> None:
        self.script = script
        self.misreads = misreads or {}
        self.shown: list[tuple[str, ...]] = []
        self.reads = 0

    def frame(self, index: int) -> Frame:
        time = index / RATE
        now = next(s for s in self.script if s.start <= time < s.end)
        if now.lines not in self.shown:
            self.shown.append(now.lines)
        image = np.full((90, 160, 3), now.background, np.uint8)
        at = 8 * self.shown.index(now.lines)
        image[2:10, at : at + 8] = 255
        return Frame(index, time, image)

    def read(self, image: np.ndarray) -> list[TextLine]:
        lines = self.misreads.get(self.reads, self.shown[int(np.argmax(image[5, :, 0] == 255)) // 8])
        self.reads += 1
        return [TextLine(text, 0.9, (10.0, 20.0 + 12 * n, 150.0, 30.0 + 12 * n)) for n, text in enumerate(lines)]


def spans_of(screen: Screen, cuts: Sequence[float] = ()) -> list[TextSpan]:
    end = screen.script[-1].end
    text = ScreenText(screen, fps=1.0)
    for index in range(round(end * RATE)):
        text.push(screen.frame(index))
    return text.finish(end, cuts)


def times(spans: list[TextSpan]) -> list[tuple[str, float, float]]:
    return [(s.text, s.start, s.end) for s in spans]


def assert_spans(spans: list[TextSpan], expected: Sequence[tuple[str, float, float]], within: float = 0.5) -> None:
    assert [s.text for s in spans] == [text for text, _, _ in expected], times(spans)
    for span, (_, start, end) in zip(spans, expected):
        assert span.start == pytest.approx(start, abs=within) and span.end == pytest.approx(end, abs=within), times(
            spans
        )


def test_a_changed_gate_number_on_the_same_background_is_a_new_span() -> None:
    screen = Screen([Shown(0, 5, ("GATE B12 BOARDING",)), Shown(5, 10, ("GATE B14 BOARDING",))])
    assert_spans(spans_of(screen), [("GATE B12 BOARDING", 0, 5), ("GATE B14 BOARDING", 5, 10)])


def test_text_changed_across_a_cut_is_split_exactly_at_the_cut() -> None:
    screen = Screen([Shown(0, 4.6, ("PLATFORM 4",), 60), Shown(4.6, 10, ("PLATFORM 7",), 160)])
    assert_spans(spans_of(screen, [4.6]), [("PLATFORM 4", 0, 4.6), ("PLATFORM 7", 4.6, 10)], within=1e-6)


def test_a_ticking_timecode_is_a_span_per_value() -> None:
    screen = Screen([Shown(n, n + 1, (f"LIVE 00:00:{n:02d}",)) for n in range(6)])
    assert_spans(spans_of(screen), [(f"LIVE 00:00:{n:02d}", n, n + 1) for n in range(6)])


def test_a_counter_of_single_digits_keeps_every_value() -> None:
    screen = Screen([Shown(n, n + 1, (str(n),)) for n in range(10)])
    assert_spans(spans_of(screen), [(str(n), n, n + 1) for n in range(10)])


def test_a_scoreboard_and_slide_numbers_keep_every_value() -> None:
    script = ["HOME 2 - 1 AWAY", "HOME 2 - 2 AWAY", "HOME 12 - 2 AWAY", "Slide 9 of 12", "Slide 10 of 12"]
    screen = Screen([Shown(2 * n, 2 * n + 2, (text,)) for n, text in enumerate(script)])
    assert_spans(spans_of(screen), [(text, 2 * n, 2 * n + 2) for n, text in enumerate(script)])


def test_a_price_change_is_a_new_span() -> None:
    screen = Screen([Shown(0, 3, ("COFFEE $2.50",)), Shown(3, 6, ("COFFEE $2.75",)), Shown(6, 9, ("COFFEE $2.57",))])
    assert_spans(spans_of(screen), [("COFFEE $2.50", 0, 3), ("COFFEE $2.75", 3, 6), ("COFFEE $2.57", 6, 9)])


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("STOP", "SHOP"),
        ("SHOP OPEN", "SHOP OPENS"),
        ("GATE B12", "GATE B12 BOARDING"),
        ("GATE B12 BOARDING NOW", "GATE B12 BOARDING"),
        ("PLAN A", "PLAN B"),
        ("the harbour closes at noon", "the harbour closed at noon"),
    ],
)
def test_a_word_added_removed_or_changed_is_a_new_span(before: str, after: str) -> None:
    screen = Screen([Shown(0, 4, (before,)), Shown(4, 8, (after,))])
    assert_spans(spans_of(screen), [(before, 0, 4), (after, 4, 8)])


@pytest.mark.parametrize(
    "variants",
    [
        ("GATE B12 BOARDING", "GATE B12 BOARDNG", "GATE B12 B0ARDING", "GATE B12 BOARDING"),
        ("small caption here", "smallcaptionhere", "small captlon here", "smallcaption here"),
        ("QUARTERLY REVENUE 2031", "QUARTERIY REVENUE 2031", "QUARTERLY REVENUE 2031.", "Quarterly Revenue 2031"),
        ("Gate B12 closed", "Gate B12 c1osed", "Gate B12 - closed", "Gate B12, closed!"),
        ("Bahnsteig vier", "Bahnstieg vier", "Bahnsteig vler", "Bahnsteigvier"),
    ],
)
def test_ocr_noise_on_a_steady_caption_stays_one_span(variants: tuple[str, ...]) -> None:
    """The picture moves (so every sample is read) and the reader wobbles between variants."""
    screen = Screen([Shown(n, n + 1, (variants[0],), 40 + 50 * (n % 2)) for n in range(8)])
    screen.misreads = {n: (variants[n % len(variants)],) for n in range(8)}
    spans = spans_of(screen)
    assert screen.reads == 8
    assert_spans(spans, [(variants[0], 0, 8)])


def test_a_word_lost_for_one_read_keeps_the_caption_one_span() -> None:
    """OCR drops a short word for one read and finds it again: the caption is one span, and the
    other reading keeps its own (no reading is lost)."""
    screen = Screen([Shown(n, n + 1, ("all times are local",), 40 + 50 * (n % 2)) for n in range(5)])
    screen.misreads = {1: ("times are local",)}
    spans = spans_of(screen)
    assert_spans(spans, [("all times are local", 0, 5), ("times are local", 1, 2)], within=1e-6)


def test_a_caption_misread_as_it_appears_starts_when_it_appeared() -> None:
    script = [Shown(0, 2.5, (), 60)] + [
        Shown(n + 2.5, n + 3.5, ("times are local",), 90 + 50 * (n % 2)) for n in range(4)
    ]
    screen = Screen(script, misreads={1: ("cmesare! local",)})
    spans = spans_of(screen, [2.5])
    assert_spans(spans, [("cmesare! local", 2.5, 4), ("times are local", 2.5, 6.5)], within=1e-6)


def test_a_change_that_stays_is_not_taken_for_a_misreading() -> None:
    """A word added for good (seen at more than one sample) does not stretch the line before it."""
    screen = Screen([Shown(0, 3, ("BOARDING",)), Shown(3, 6, ("BOARDING NOW",))])
    assert_spans(spans_of(screen), [("BOARDING", 0, 3), ("BOARDING NOW", 3, 6)], within=1e-6)


def test_cuts_closer_than_a_shortest_shot_count_once() -> None:
    screen = Screen([Shown(0, 4, ("PLATFORM 4",), 60), Shown(4, 8, ("PLATFORM 7",), 160)])
    assert_spans(spans_of(screen, [4.0, 4.2]), [("PLATFORM 4", 0, 4), ("PLATFORM 7", 4, 8)], within=1e-6)


def test_a_logo_seen_on_both_sides_of_a_cut_is_two_spans_meeting_at_the_cut() -> None:
    screen = Screen([Shown(0, 4.5, ("NEWS 24", "STORM WARNING"), 60), Shown(4.5, 9, ("NEWS 24",), 160)])
    spans = spans_of(screen, [4.5])
    assert_spans(spans, [("NEWS 24", 0, 4.5), ("STORM WARNING", 0, 4.5), ("NEWS 24", 4.5, 9)], within=1e-6)


def test_a_line_first_seen_right_after_a_cut_starts_at_the_cut() -> None:
    script = [
        Shown(0, 3.3, (), 60),
        Shown(3.3, 6.2, ("OPENING NIGHT",), 160),
        Shown(6.2, 8.5, (), 90),
        Shown(8.5, 12, ("TICKETS AT THE DOOR",), 90),
    ]
    spans = spans_of(Screen(script), [3.3, 6.2])
    # came with the shot at 3.3, left with it at 6.2; the second appeared within its shot (read at 9)
    assert_spans(spans, [("OPENING NIGHT", 3.3, 6.2), ("TICKETS AT THE DOOR", 9.0, 12)], within=1e-6)


def test_a_line_gone_before_a_cut_ends_after_its_last_sighting() -> None:
    screen = Screen([Shown(0, 2.5, ("EXIT",), 60), Shown(2.5, 6, (), 60), Shown(6, 8, (), 160)])
    assert_spans(spans_of(screen, [6.0]), [("EXIT", 0, 3)], within=1e-6)


def test_spans_never_outlast_the_video() -> None:
    screen = Screen([Shown(0, 3.5, ("THE END",))])
    assert_spans(spans_of(screen), [("THE END", 0, 3.5)], within=1e-6)


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("GATE B12 BOARDING", "GATE B14 BOARDING", False),
        ("PLATFORM 4", "PLATFORM 7", False),
        ("00:01:59", "00:02:00", False),
        ("$4.99", "$5.99", False),
        ("1,000", "1,001", False),
        ("STOP", "SHOP", False),
        ("OPEN", "OPENS", False),
        ("GATE B12 BOARDING", "GATE B12 BOARDING NOW", False),
        ("meet the harbour pilots", "meet the pilots", False),
        ("Abfahrt", "Ankunft", False),
        ("GATE B12 BOARDING", "GATE B12 BOARDNG", True),
        ("small caption here", "smallcaptionhere", True),
        ("small caption here", "smallcaptlonhere", True),
        ("GATE B12 - BOARDING", "gate b12 boarding.", True),
        ("CENTRAL STATION", "CENTRAI STATION", True),
        ("Gate B12 closed", "Gate B12 c1osed", True),
        ("GATE B12 B0ARDING", "GATE B12 BOARDING", True),
        ("PLATE KX1PQ", "PLATE KX5PQ", False),
        ("ROOM B1LK", "ROOM B5LK", False),
        ("7", "8", False),
        ("Bahnsteig vier", "Bahnstieg vier", True),
        ("北京欢迎你们大家", "北京欢迎你们大众", True),
    ],
)
def test_same_line(a: str, b: str, same: bool) -> None:
    assert same_line(a, b) is same and same_line(b, a) is same


def test_a_small_dense_change_is_seen_and_scattered_noise_is_not() -> None:
    """On the working-size frame (224 px high) one changed digit of a caption is 0.05 % of the
    picture, under the share that counts as a change anywhere; as many noisy pixels scattered
    are not a change."""
    rng = np.random.default_rng(0)
    before = np.full((224, 398), 80.0, np.float32)
    digit = before.copy()
    digit[190:198, 300:306] = 255.0
    noise = before.copy()
    noise.flat[rng.choice(noise.size, 80, replace=False)] = 255.0
    assert _changed(before, digit)
    assert not _changed(before, noise)


SLOTS = 3
"""Places on the tracked screen where a line of text may stand (one above the other)."""


@dataclass(frozen=True)
class Showing:
    """From `start` to `end` seconds, `slot` of the tracked screen shows `text`."""

    start: float
    end: float
    slot: int
    text: str


class TrackedScreen:
    """A scripted screen read by a fake `BoxReader`: each line stands in its slot as a light band
    with a white mark where the text's number says, the background showing above and below it
    inside the box, as through the translucent box of a caption; `moving` redraws the background (noise) every frame,
    so every box's pixels change at every sample. Counts its searches and recognitions."""

    name = "fake:tracked"

    def __init__(self, script: Sequence[Showing], end: float, moving: bool = True) -> None:
        self.script = script
        self.end = end
        self.moving = moving
        self.texts = sorted({s.text for s in script})
        self.finds = 0
        self.recognised = 0

    def frame(self, index: int) -> Frame:
        time = index / RATE
        seed = index if self.moving else 0
        image = np.random.default_rng(seed).integers(0, 100, (90, 160, 3), dtype=np.uint8)
        for shown in self.script:
            if shown.start <= time < shown.end:
                top, mark = int(self._box(shown.slot)[1]), 20 + 10 * self.texts.index(shown.text)
                image[top + 4 : top + 8, 20:140] = 200
                image[top + 4 : top + 8, mark : mark + 6] = 255
        return Frame(index, time, image)

    def _box(self, slot: int) -> tuple[float, float, float, float]:
        return (20.0, 10.0 + 25 * slot, 140.0, 22.0 + 25 * slot)

    def _at(self, image: np.ndarray, box: tuple[float, float, float, float]) -> TextLine:
        row = image[int(box[1]) + 6, 20:140, 0]
        text = self.texts[int(np.argmax(row == 255)) // 10] if row[-1] == 200 else ""
        corners = ((box[0], box[1]), (box[2], box[1]), (box[2], box[3]), (box[0], box[3]))
        return TextLine(text, 0.9 if text else 0.1, box, corners)

    def find(self, image: np.ndarray) -> list[TextLine]:
        self.finds += 1
        found = [self._at(image, self._box(slot)) for slot in range(SLOTS)]
        return [line for line in found if line.text]

    def reread(self, image: np.ndarray, boxes: Sequence[TextLine]) -> list[TextLine]:
        self.recognised += len(boxes)
        return [self._at(image, box.box) for box in boxes]

    def group(self, boxes: Sequence[TextLine]) -> list[TextLine]:
        return sorted((box for box in boxes if box.confidence >= 0.5), key=lambda box: box.box[1])

    def read(self, image: np.ndarray) -> list[TextLine]:
        return self.group(self.find(image))


def tracked_spans(screen: TrackedScreen, detect_every: int) -> list[tuple[str, float, float]]:
    text = ScreenText(screen, fps=1.0, detect_every=detect_every)
    for index in range(round(screen.end * RATE)):
        text.push(screen.frame(index))
    return times(text.finish(screen.end))


TRACKED = {
    "a caption over moving pictures": ([Showing(0, 12, 0, "CITY TOUR")], 12.0),
    "a title that comes in between two searches": ([Showing(4, 12, 1, "SECOND TITLE")], 12.0),
    "a second line beside one that stays": (
        [Showing(0, 14, 0, "HARBOUR CAM"), Showing(5, 11, 2, "STORM WARNING")],
        14.0,
    ),
    "a counter that changes every second": (
        [Showing(t, t + 1, 0, f"SCORE {t}") for t in range(9)] + [Showing(2, 9, 1, "LIVE")],
        9.0,
    ),
    "lines that go one by one": (
        [Showing(0, 4, 0, "ONE"), Showing(0, 7, 1, "TWO"), Showing(3, 10, 2, "THREE")],
        10.0,
    ),
}


@pytest.mark.parametrize("moving", [True, False], ids=["moving pictures", "still pictures"])
@pytest.mark.parametrize("case", list(TRACKED))
def test_tracking_the_boxes_of_text_gives_the_spans_of_a_search_at_every_sample(case: str, moving: bool) -> None:
    script, end = TRACKED[case]
    every_sample = tracked_spans(TrackedScreen(script, end, moving), detect_every=1)
    expected = sorted((s.text, float(s.start), float(s.end)) for s in script)
    assert sorted(every_sample) == expected
    assert sorted(tracked_spans(TrackedScreen(script, end, moving), detect_every=3)) == expected


def test_text_that_stays_over_moving_pictures_is_searched_for_a_third_as_often_and_not_recognised_again() -> None:
    script, end = [Showing(0, 30, 0, "CITY TOUR"), Showing(0, 30, 2, "LIVE")], 30.0
    searched, tracked = TrackedScreen(script, end), TrackedScreen(script, end)
    assert tracked_spans(searched, detect_every=1) == tracked_spans(tracked, detect_every=3)
    assert searched.finds == 30
    assert tracked.finds == 11 and tracked.recognised == 0  # sample 0, then every third, and the last


def test_only_the_box_that_changes_is_recognised_again_in_the_frames_between_searches() -> None:
    script = [Showing(t, t + 1, 0, f"SCORE {t}") for t in range(9)] + [Showing(0, 9, 1, "LIVE")]
    screen = TrackedScreen(script, 9.0)
    assert len(tracked_spans(screen, detect_every=3)) == 10
    assert screen.finds == 4 and screen.recognised == 5  # searched at 0, 3, 6, 8; SCORE read at 1, 2, 4, 5, 7


def test_text_shown_and_gone_between_two_searches_where_no_text_is_can_be_missed() -> None:
    script, end = [Showing(0, 9, 0, "CITY TOUR"), Showing(4, 5, 2, "FLASH")], 9.0
    assert ("FLASH", 4.0, 5.0) in tracked_spans(TrackedScreen(script, end), detect_every=1)
    assert tracked_spans(TrackedScreen(script, end), detect_every=3) == [("CITY TOUR", 0.0, 9.0)]


def test_a_still_box_is_not_recognised_again() -> None:
    screen = TrackedScreen([Showing(0, 20, 0, "SLIDE TITLE")], 20.0, moving=False)
    assert tracked_spans(screen, detect_every=3) == [("SLIDE TITLE", 0.0, 20.0)]
    assert screen.finds == 1 and screen.recognised == 0
