"""On-screen text with RapidOCR (PP-OCR detection + recognition, ONNX models inside the wheel).

The only module that imports rapidocr, onnxruntime and wordninja. Word boxes are grouped into
lines; words the recogniser ran together (it drops the spaces of small text: "smallcaptionhere")
are split again with wordninja, so keyword search finds each word. `known_word` lends wordninja's
English word list to the screen-text tracker (is a changed word another real word, or a misreading?).
On a GPU (`device`), its three ONNX sessions run on onnxruntime's CUDA provider when it has one.

Text turned sideways: RapidOCR turns a tall crop (height >= 1.5 x width) a quarter turn
counter-clockwise before recognising it, which rights text turned clockwise (read top to bottom)
and puts text turned counter-clockwise (a book spine, read bottom to top) upside down. The
180-degree classifier, skipped for whole frames, is run on tall crops alone; one it is sure is
upside down is recognised again turned a half turn, and the more confident reading is kept.
Frames without tall boxes cost nothing extra. (Recognising every tall crop both ways instead
reads texture as confident CJK: "中中" at 0.78.)
"""

from __future__ import annotations

import ctypes
import logging
import re
from collections.abc import Sequence
from functools import cache
from typing import Any

import numpy as np

from indexer.errors import ModelUnavailable, describe
from indexer.types import Modality, TextLine

log = logging.getLogger(__name__)

MODALITY = Modality.OCR
RUN_TOGETHER = re.compile(r"^[A-Za-z0-9]{7,}$")
"""A word that may be English words run together: ASCII letters and digits only, so accented
Latin, Cyrillic, CJK and every other script are never split."""
COMMON = ((3, 4_000), (6, 10_000), (None, 50_000))
"""(longest piece, most common words it must be among) for the pieces of a split: wordninja cuts
any word it does not know into English-looking pieces ("temperatura" -> "tempera tura",
"domenica" -> "dome nica"), so a split is kept only when each piece is a common English word,
short pieces the more common. Measured (benchmarks/ocr_splits.py, with the test library): of 196
non-English words that wordninja splits into 3+ letter pieces, 2 still are; of 92 English
run-togethers, 88 still are."""
TEXT_SCORE = 0.5
"""Lowest word-box score kept (RapidOCR's own default, applied here after turning tall boxes)."""
TALL = 1.5
"""Height / width of a box at which RapidOCR reads it as text turned sideways."""
UPSIDE_DOWN = 0.9
"""Score at which the classifier's "180" is believed (RapidOCR's own threshold): real text
turned scores 1.0; texture taken for tall text scores 0.5-0.8 either way."""


class RapidOcr:
    """PP-OCR through onnxruntime, loaded lazily and once.

    `detect_side` is the short side in pixels below which frames are scaled up for detecting
    text (small text gets big enough to find); words are then recognised on crops of the frame
    as given. Detection dominates the cost, which grows with the square of the side.
    `threads` caps onnxruntime's threads (0: one per core). `device` is "cpu", "auto" or "cuda"
    ("cuda:N" too, though RapidOCR always runs on the first GPU): the GPU is used when onnxruntime
    has its CUDA provider (the onnxruntime-gpu package), else the CPU, with a warning when "cuda"
    was asked for."""

    def __init__(
        self, min_confidence: float = 0.6, detect_side: int = 480, threads: int = 0, device: str = "cpu"
    ) -> None:
        self.min_confidence = min_confidence
        self.detect_side = detect_side
        self.threads = threads
        self.device = device
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

    @property
    def providers(self) -> dict[str, list[str]]:
        """The onnxruntime providers each of the engine's sessions (det, cls, rec) runs with, best first."""
        engine = self.load()
        sessions = {"det": engine.text_det.infer, "cls": engine.text_cls.infer, "rec": engine.text_rec.session}
        return {part: list(session.session.get_providers()) for part, session in sessions.items()}

    def _options(self) -> dict[str, Any]:
        threads = {"intra_op_num_threads": self.threads} if self.threads > 0 else {}
        # every box comes back, however unsure: a sideways one may read well only once turned
        options = {"det_limit_side_len": self.detect_side, "det_limit_type": "min", "text_score": 0.0, **threads}
        return {**options, **_cuda_options(self.device)}

    def read(self, image: np.ndarray) -> list[TextLine]:
        """Lines of text in `image` (HxWx3 uint8 RGB), top to bottom, confident ones only."""
        return self.group(self.find(image))

    def find(self, image: np.ndarray) -> list[TextLine]:
        """The boxes of text in `image` (HxWx3 uint8 RGB), each recognised, with its corners.

        The 180-degree orientation classifier is skipped for the frame (video text is upright;
        the classifier costs a tenth of the time) and run on tall boxes alone, so text turned a
        quarter either way is read (see the module)."""
        engine = self.load()
        bgr = np.ascontiguousarray(image[:, :, ::-1])
        found, _ = engine(bgr, use_cls=False)
        readings = [(points, text, float(score)) for points, text, score in found or []]
        return [_box(points, text, score) for points, text, score in _sideways(engine, bgr, readings)]

    def reread(self, image: np.ndarray, boxes: Sequence[TextLine]) -> list[TextLine]:
        """`boxes` (from `find` on an image of this size) recognised again in `image`, in order:
        recognition alone, about a third of what `find` costs for a frame (measured on the
        sample library: detection is the rest)."""
        if not boxes:
            return []
        engine = self.load()
        bgr = np.ascontiguousarray(image[:, :, ::-1])
        corners = [np.array(box.corners, np.float32) for box in boxes]
        recognised, _ = engine.text_rec(engine.get_crop_img_list(bgr, corners))
        readings = [(c.tolist(), str(text), float(score)) for c, (text, score, *_) in zip(corners, recognised)]
        return [_box(points, text, score) for points, text, score in _sideways(engine, bgr, readings)]

    def group(self, boxes: Sequence[TextLine]) -> list[TextLine]:
        """Boxes joined into lines and stacked lines into blocks, top to bottom; boxes and lines
        below the confidence thresholds are left out."""
        kept = [box for box in boxes if box.confidence >= TEXT_SCORE]
        lines = [line for line in _lines(kept) if line.confidence >= self.min_confidence and line.text]
        return _blocks(lines)


CUDA_PROVIDER = "CUDAExecutionProvider"


def _cuda_options(device: str) -> dict[str, bool]:
    """RapidOCR's options that put its three sessions on the GPU, for `device`: none for "cpu", nor
    when onnxruntime lacks its CUDA provider (a warning then, if "cuda" was asked for), nor for
    "auto" without a GPU (onnxruntime-gpu lists its provider all the same)."""
    if device == "cpu":
        return {}
    import onnxruntime

    if CUDA_PROVIDER not in onnxruntime.get_available_providers():
        if device.startswith("cuda"):
            log.warning("OCR runs on the CPU: onnxruntime has no %s (install onnxruntime-gpu)", CUDA_PROVIDER)
        return {}
    if device == "auto" and not _cuda_devices():
        return {}
    preload = getattr(onnxruntime, "preload_dlls", None)
    if preload is not None:  # CUDA and cuDNN from the nvidia-* wheels, found without LD_LIBRARY_PATH
        preload()
    return {"det_use_cuda": True, "cls_use_cuda": True, "rec_use_cuda": True}


def _cuda_devices() -> int:
    """GPUs the CUDA driver sees (0 without the driver)."""
    try:
        driver = ctypes.CDLL("libcuda.so.1")
    except OSError:
        return 0
    count = ctypes.c_int(0)
    if driver.cuInit(0) != 0 or driver.cuDeviceGetCount(ctypes.byref(count)) != 0:
        return 0
    return count.value


Reading = tuple[list[list[float]], str, float]


def _sideways(engine: Any, bgr: np.ndarray, readings: list[Reading]) -> list[Reading]:
    """`readings` with each tall box that RapidOCR's 180-degree classifier finds upside down (as
    RapidOCR turned it) recognised again turned a half turn, keeping the more confident text.
    Nothing more runs for a frame without tall boxes; the classifier runs on tall crops only."""
    tall = [i for i, (points, _, _) in enumerate(readings) if _tall(points)]
    if not tall:
        return readings
    crops = engine.get_crop_img_list(bgr, [np.array(readings[i][0], np.float32) for i in tall])
    _, turns, _ = engine.text_cls(crops)
    flipped = [k for k, (label, score) in enumerate(turns) if str(label) == "180" and float(score) >= UPSIDE_DOWN]
    if not flipped:
        return readings
    again, _ = engine.text_rec([np.ascontiguousarray(np.rot90(crops[k], 2)) for k in flipped])
    better = list(readings)
    for k, (text, score, *_) in zip(flipped, again):
        i = tall[k]
        if float(score) > readings[i][2]:
            better[i] = (readings[i][0], str(text), float(score))
    return better


def _tall(points: list[list[float]]) -> bool:
    """Whether RapidOCR turns this box's crop a quarter turn (its own test, on the box's sides)."""
    p = np.asarray(points, np.float32)
    width = max(np.linalg.norm(p[0] - p[1]), np.linalg.norm(p[2] - p[3]))
    height = max(np.linalg.norm(p[0] - p[3]), np.linalg.norm(p[1] - p[2]))
    return bool(int(height) >= TALL * max(int(width), 1))


def known_word(word: str) -> bool:
    """Whether `word` (any case) is in wordninja's English word list (~126k words, by frequency
    in Wikipedia; it holds some misspellings too). False for every word when wordninja is absent."""
    return word.lower() in _words()


@cache
def _words() -> frozenset[str]:
    try:
        import wordninja
    except ImportError:
        log.warning("wordninja is not installed: screen text compares words by spelling alone")
        return frozenset()
    return frozenset(getattr(wordninja.DEFAULT_LANGUAGE_MODEL, "_wordcost", {}))


def _box(points: list[list[float]], text: str, score: float) -> TextLine:
    xs, ys = [float(p[0]) for p in points], [float(p[1]) for p in points]
    corners = tuple(zip(xs, ys))
    return TextLine(_respace(text.strip()), score, (min(xs), min(ys), max(xs), max(ys)), corners)


def _respace(text: str) -> str:
    """Split words the recogniser ran together ("GateB12closed" -> "Gate B12 closed"); a split is
    kept only when every piece is a number, a letter+number code, or a common English word of 3+
    letters (COMMON), so words of other languages stay whole."""
    import wordninja

    words: list[str] = []
    for word in text.split():
        pieces = _codes(wordninja.split(word)) if RUN_TOGETHER.match(word) else [word]
        words += pieces if len(pieces) == 1 or all(_plausible(p) for p in pieces) else [word]
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
    """Whether `piece` of a split word stands alone: a number, a letter+number code ("B12"), or a
    common English word (COMMON) of 3+ letters."""
    if piece.isdigit() or (piece[:1].isalpha() and piece[1:].isdigit()):
        return True
    if len(piece) < 3:
        return False
    rank = _ranks().get(piece.lower())
    limit = next(most for longest, most in COMMON if longest is None or len(piece) <= longest)
    return rank is not None and rank < limit


@cache
def _ranks() -> dict[str, int]:
    """wordninja's English words by frequency rank (0 the most common)."""
    import wordninja

    costs: dict[str, float] = getattr(wordninja.DEFAULT_LANGUAGE_MODEL, "_wordcost", {})
    return {word: rank for rank, word in enumerate(sorted(costs, key=costs.__getitem__))}


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
