"""On-screen text with RapidOCR (PP-OCR detection + recognition, ONNX models inside the wheel).

The only module that imports rapidocr. Word boxes are grouped into lines; words the recogniser
ran together (it drops the spaces of small text: "smallcaptionhere") are split again with
wordninja, so keyword search finds each word.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import numpy as np

from indexer.errors import ModelUnavailable, describe
from indexer.types import TextLine

log = logging.getLogger(__name__)

MODALITY = "ocr"
RUN_TOGETHER = re.compile(r"^[A-Za-z0-9]{7,}$")


class RapidOcr:
    """PP-OCR through onnxruntime, loaded lazily and once.

    `detect_side` is the short side in pixels below which frames are scaled up for detecting
    text (small text gets big enough to find); words are then recognised on crops of the frame
    as given. Detection dominates the cost, which grows with the square of the side.
    `threads` caps onnxruntime's threads (0: one per core)."""

    def __init__(self, min_confidence: float = 0.6, detect_side: int = 480, threads: int = 0) -> None:
        self.min_confidence = min_confidence
        self.detect_side = detect_side
        self.threads = threads
        self._engine: Any = None

    @property
    def name(self) -> str:
        from importlib.metadata import version

        return f"rapidocr:{version('rapidocr-onnxruntime')}"

    def load(self) -> Any:
        """The engine, created on first call (also how a missing package is found early)."""
        if self._engine is None:
            try:
                from rapidocr_onnxruntime import RapidOCR
            except ImportError as exc:
                raise ModelUnavailable(MODALITY, "rapidocr", "install rapidocr-onnxruntime") from exc
            try:
                self._engine = RapidOCR(**self._options())
            except (OSError, RuntimeError) as exc:
                raise ModelUnavailable(MODALITY, "rapidocr", describe(exc)) from exc
        return self._engine

    def _options(self) -> dict[str, Any]:
        threads = {"intra_op_num_threads": self.threads} if self.threads > 0 else {}
        return {"det_limit_side_len": self.detect_side, "det_limit_type": "min", **threads}

    def read(self, image: np.ndarray) -> list[TextLine]:
        """Lines of text in `image` (HxWx3 uint8 RGB), top to bottom, confident ones only.

        Upright text only: the 180-degree orientation classifier is skipped (video text is
        upright; the classifier costs a tenth of the time)."""
        found, _ = self.load()(np.ascontiguousarray(image[:, :, ::-1]), use_cls=False)
        boxes = [_box(points, text, float(score)) for points, text, score in found or []]
        lines = [line for line in _lines(boxes) if line.confidence >= self.min_confidence and line.text]
        return _blocks(lines)


def _box(points: list[list[float]], text: str, score: float) -> TextLine:
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return TextLine(_respace(text.strip()), score, (min(xs), min(ys), max(xs), max(ys)))


def _respace(text: str) -> str:
    """Split words the recogniser ran together ("GateB12closed" -> "Gate B12 closed"); a split is
    kept only when every piece is a plausible word (3+ letters), a number, or a letter+number code."""
    import wordninja

    words: list[str] = []
    for word in text.split():
        pieces = _codes(wordninja.split(word)) if RUN_TOGETHER.match(word) else [word]
        words += pieces if all(_plausible(p) for p in pieces) else [word]
    return " ".join(words)


def _codes(pieces: list[str]) -> list[str]:
    """Rejoin a lone letter with the number after it ("B", "12" -> "B12")."""
    joined: list[str] = []
    for piece in pieces:
        if piece.isdigit() and joined and len(joined[-1]) == 1 and joined[-1].isalpha():
            joined[-1] += piece
        else:
            joined.append(piece)
    return joined


def _plausible(piece: str) -> bool:
    return len(piece) >= 3 or piece.isdigit() or (piece[:1].isalpha() and piece[1:].isdigit())


def _lines(boxes: list[TextLine]) -> list[TextLine]:
    """Join word boxes that sit on one line (centres within half a height, gap under two heights),
    left to right."""
    lines: list[TextLine] = []
    for box in sorted(boxes, key=lambda b: b.box[0]):
        last = next((i for i in range(len(lines) - 1, -1, -1) if _same_line(lines[i], box)), None)
        if last is None:
            lines.append(box)
            continue
        line = lines[last]
        joined = (
            min(line.box[0], box.box[0]),
            min(line.box[1], box.box[1]),
            max(line.box[2], box.box[2]),
            max(line.box[3], box.box[3]),
        )
        lines[last] = TextLine(f"{line.text} {box.text}", min(line.confidence, box.confidence), joined)
    return sorted(lines, key=lambda b: (b.box[1], b.box[0]))


def _same_line(line: TextLine, box: TextLine) -> bool:
    height = max(line.box[3] - line.box[1], box.box[3] - box.box[1], 1.0)
    centre_a, centre_b = (line.box[1] + line.box[3]) / 2, (box.box[1] + box.box[3]) / 2
    gap = max(box.box[0] - line.box[2], line.box[0] - box.box[2])
    return abs(centre_a - centre_b) < height / 2 and gap < 2 * height


def _blocks(lines: list[TextLine]) -> list[TextLine]:
    """Join lines stacked into one block (a two-line title), top to bottom: similar heights,
    overlapping horizontally, less than a line apart."""
    blocks: list[TextLine] = []
    for line in lines:
        if blocks and _stacked(blocks[-1], line):
            above = blocks[-1]
            box = (min(above.box[0], line.box[0]), above.box[1], max(above.box[2], line.box[2]), line.box[3])
            blocks[-1] = TextLine(f"{above.text} {line.text}", min(above.confidence, line.confidence), box)
        else:
            blocks.append(line)
    return blocks


def _stacked(above: TextLine, below: TextLine) -> bool:
    height_a, height_b = above.box[3] - above.box[1], below.box[3] - below.box[1]
    similar = max(height_a, height_b) <= 1.5 * max(1.0, min(height_a, height_b))
    overlapping = below.box[0] < above.box[2] and below.box[2] > above.box[0]
    return similar and overlapping and 0 <= below.box[1] - above.box[3] < min(height_a, height_b)
