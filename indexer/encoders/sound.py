"""Sound events with Google's YAMNet (AudioSet, 521 classes). The only module that imports ai_edge_litert.

The model file comes from, in order: the configured `.tflite` path (its `yamnet_class_map.csv`
beside it); the user cache `$XDG_CACHE_HOME/vidsearch/yamnet/`; a one-time download of the public
model and class map into that cache, when not offline and the servers answer. Downloads are
checked against pinned SHA-256 digests and land atomically (temporary file + rename).

Audio is scored in 0.975 s windows (15600 samples at 16 kHz, the model's fixed input) every
`hop` seconds; a class scoring at least `threshold` in consecutive windows becomes one span.
"""

from __future__ import annotations

import csv
import hashlib
import logging
import os
import tempfile
import threading
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np

from indexer.encoders.hub import cache_dir, reachable
from indexer.errors import ModelUnavailable, describe
from indexer.files import content_hash
from indexer.types import SAMPLE_RATE, Modality, TextSpan

log = logging.getLogger(__name__)

MODALITY = Modality.AUDIO
MODEL = "yamnet"
BACKGROUND = frozenset({"speech", "silence", "inside, small room", "inside, large room or hall"})
"""AudioSet labels (lower case) that say nothing about a moment: speech has its own modality,
silence and room tone are everywhere. Summaries leave them out; "more like this" does not look
for them (every talking segment would be "like" every other)."""
WINDOW = 15_600
"""Samples per scored window (0.975 s): the model's fixed input length."""
MODEL_FILE = "yamnet.tflite"
CLASS_MAP_FILE = "yamnet_class_map.csv"
IGNORED = frozenset({"Silence"})
"""Labels never reported: silence is the absence of an event, not one worth searching for."""

MODEL_URL = "https://storage.googleapis.com/mediapipe-models/audio_classifier/yamnet/float32/1/yamnet.tflite"
MODEL_SHA256 = "4d8b4a53282dc83ef04e3e7dbc4fbc98082e34e44ed798e16c3a0cdd4c584faf"
CLASS_MAP_URL = (
    "https://raw.githubusercontent.com/tensorflow/models/master/research/audioset/yamnet/yamnet_class_map.csv"
)
CLASS_MAP_SHA256 = "cdf24d193e196d9e95912a2667051ae203e92a2ba09449218ccb40ef787c6df2"
WAYS_OUT = (
    f"set VIDSEARCH_AUDIO_MODEL=/path/{MODEL_FILE} (with {CLASS_MAP_FILE} beside it), or run once online to download it"
)


@dataclass(frozen=True)
class SoundSpec:
    """How to detect sounds. `model`: a YAMNet `.tflite` file (None: cache or download);
    `threshold`: the lowest class score (0..1) that counts as an event; `hop`: seconds between
    the starts of consecutive 0.975 s windows (0.48 is YAMNet's own framing)."""

    model: Path | None = None
    offline: bool = False
    threshold: float = 0.3
    hop: float = 0.48

    def __post_init__(self) -> None:
        if not 0.0 < self.threshold <= 1.0:
            raise ValueError(f"threshold must be in (0, 1], not {self.threshold}")
        if not 1.0 / SAMPLE_RATE <= self.hop <= WINDOW / SAMPLE_RATE:
            raise ValueError(f"hop must be between one sample and one window (0.975 s), not {self.hop}")


@dataclass(frozen=True)
class _Loaded:
    """A ready interpreter and what is needed to feed it and read its class scores."""

    path: Path
    labels: tuple[str, ...]
    interpreter: Any
    input_index: int
    input_shape: tuple[int, ...]
    output_index: int


class YamNet:
    """One YAMNet model, loaded lazily and once; `detect` turns a waveform into sound-event spans."""

    def __init__(self, spec: SoundSpec) -> None:
        self.spec = spec
        self._loaded: _Loaded | None = None
        self._name: str | None = None
        self._lock = threading.Lock()  # a TFLite interpreter is not thread-safe

    @property
    def name(self) -> str:
        """Identity of the weights, `yamnet:sha256-<first 16 hex digits of the file's SHA-256>`."""
        if self._name is None:
            self._name = f"{MODEL}:sha256-{content_hash(self._load().path)[:16]}"
        return self._name

    @property
    def labels(self) -> tuple[str, ...]:
        """Display names of the classes, in the order of the model's scores."""
        return self._load().labels

    def _load(self) -> _Loaded:
        with self._lock:
            if self._loaded is None:
                self._loaded = _open(resolve(self.spec))
            return self._loaded

    def scores(self, waveform: np.ndarray) -> np.ndarray:
        """Class scores (0..1) per window: float32 (windows, classes) for 16 kHz mono samples.

        Window i starts at sample i * hop; the last one is zero-padded past the end. One invoke
        per window is cheap (~0.4 ms on one CPU core), so no batching is attempted."""
        model = self._load()
        samples = _padded(np.asarray(waveform, dtype=np.float32).reshape(-1), self.hop_samples)
        starts = range(0, samples.size - WINDOW + 1, self.hop_samples)
        out = np.empty((len(starts), len(model.labels)), np.float32)
        with self._lock:
            for row, start in enumerate(starts):
                window = samples[start : start + WINDOW].reshape(model.input_shape)
                model.interpreter.set_tensor(model.input_index, window)
                model.interpreter.invoke()
                out[row] = model.interpreter.get_tensor(model.output_index).reshape(-1)
        return out

    @property
    def hop_samples(self) -> int:
        """Samples between the starts of consecutive windows (`spec.hop` seconds, rounded)."""
        return max(1, round(self.spec.hop * SAMPLE_RATE))

    def detect(self, waveform: np.ndarray) -> list[TextSpan]:
        """Sound events in `waveform` (float32 mono 16 kHz in [-1, 1]) as `audio` spans in seconds,
        sorted by start then label; an empty waveform has none."""
        size = int(np.asarray(waveform).size)
        if size == 0:
            return []
        return merge_events(
            self.scores(waveform),
            self.labels,
            hop=self.hop_samples / SAMPLE_RATE,
            duration=size / SAMPLE_RATE,
            threshold=self.spec.threshold,
        )


def merge_events(
    scores: np.ndarray,
    labels: Sequence[str],
    hop: float,
    duration: float,
    threshold: float,
    window: float = WINDOW / SAMPLE_RATE,
    ignored: frozenset[str] = IGNORED,
) -> list[TextSpan]:
    """Spans from a (windows x classes) score matrix; window i covers [i * hop, i * hop + window) s.

    Each run of consecutive windows where a class scores >= `threshold` (a single window dipping
    below it does not break the run) becomes one span from the
    run's first window start to its last window end, clipped to `duration`, with the run's best
    score as confidence. Labels in `ignored` are skipped. Sorted by start, then label."""
    scores = np.asarray(scores, dtype=np.float32).reshape(-1, len(labels))
    hits = scores >= threshold
    spans = []
    for cls in np.flatnonzero(hits.any(axis=0)).tolist():
        if labels[cls] in ignored:
            continue
        for first, last in _runs(_bridged(hits[:, cls])):
            start = first * hop
            end = min(last * hop + window, duration)
            best = float(scores[first : last + 1, cls].max())
            spans.append(TextSpan(MODALITY, start, max(end, start), labels[cls], best))
    return sorted(spans, key=lambda span: (span.start, span.text))


def _bridged(mask: np.ndarray) -> np.ndarray:
    """`mask` with single False windows between two True ones set True."""
    bridged = mask.copy()
    bridged[1:-1] |= mask[:-2] & mask[2:]
    return bridged


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) indices, inclusive, of each run of True in a 1-D boolean array."""
    edges = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    return list(zip(np.flatnonzero(edges == 1).tolist(), (np.flatnonzero(edges == -1) - 1).tolist()))


def _padded(samples: np.ndarray, hop: int) -> np.ndarray:
    """`samples` zero-padded so windows every `hop` samples from 0 cover them all (at least one)."""
    extra = max(samples.size - WINDOW, 0)
    windows = 1 + -(-extra // hop)
    return np.pad(samples, (0, (windows - 1) * hop + WINDOW - samples.size))


def resolve(spec: SoundSpec) -> Path:
    """The `.tflite` file to load: the configured one, the cached one, or a fresh download.

    Raises ModelUnavailable, naming the ways out, when none of these can be had."""
    if spec.model is not None:
        path = spec.model.expanduser()
        if not path.is_file():
            raise ModelUnavailable(MODALITY, str(path), "model file not found")
        if not (path.parent / CLASS_MAP_FILE).is_file():
            raise ModelUnavailable(MODALITY, str(path), f"{CLASS_MAP_FILE} not found beside it")
        return path
    cache = cache_dir(MODEL)
    wanted = {CLASS_MAP_URL: CLASS_MAP_SHA256, MODEL_URL: MODEL_SHA256}
    missing = [url for url in wanted if not (cache / _filename(url)).is_file()]
    if missing:
        _check_can_download(missing, cache, spec.offline)
        for url in missing:
            _download(url, cache / _filename(url), wanted[url])
    return cache / MODEL_FILE


def _check_can_download(urls: list[str], cache: Path, offline: bool) -> None:
    """Raise ModelUnavailable at once when offline or a server does not answer a 3 s TCP probe,
    rather than letting urllib wait out its timeouts."""
    if offline:
        raise ModelUnavailable(MODALITY, MODEL, f"offline mode is on and {cache} holds no model; {WAYS_OUT}")
    for host in dict.fromkeys(urlparse(url).hostname or url for url in urls):
        if not reachable(host):
            reason = f"not cached in {cache} and {host} cannot be reached; {WAYS_OUT}"
            raise ModelUnavailable(MODALITY, MODEL, reason)


def _filename(url: str) -> str:
    return os.path.basename(urlparse(url).path)


def _download(url: str, dest: Path, sha256: str) -> None:
    """Fetch `url` into `dest` through a temporary file beside it, renamed only once its digest matches."""
    log.info("downloading %s to %s", url, dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    digest = hashlib.sha256()
    try:
        with os.fdopen(handle, "wb") as out, urllib.request.urlopen(url, timeout=60) as response:
            for block in iter(lambda: response.read(1 << 20), b""):
                digest.update(block)
                out.write(block)
        if digest.hexdigest() != sha256:
            raise ValueError(f"{url} has sha256 {digest.hexdigest()}, expected {sha256}")
        os.replace(tmp, dest)
    except Exception as exc:  # network, HTTP and file errors come in many classes
        Path(tmp).unlink(missing_ok=True)
        raise ModelUnavailable(MODALITY, MODEL, f"download failed: {describe(exc)}; {WAYS_OUT}") from exc


def _open(path: Path) -> _Loaded:
    """Load the class map and the interpreter, checking the model takes one 0.975 s window."""
    from ai_edge_litert.interpreter import Interpreter

    labels = _read_labels(path.parent / CLASS_MAP_FILE)
    try:
        # One thread: a window is ~0.4 ms of work and more threads measured slower (0.5-0.7 ms).
        interpreter = Interpreter(model_path=str(path), num_threads=1)
        interpreter.allocate_tensors()
    except (ValueError, RuntimeError) as exc:
        raise ModelUnavailable(MODALITY, str(path), describe(exc)) from exc
    inputs = interpreter.get_input_details()
    shape = tuple(int(n) for n in inputs[0]["shape"])
    if len(inputs) != 1 or int(np.prod(shape)) != WINDOW or inputs[0]["dtype"] != np.float32:
        raise ModelUnavailable(MODALITY, str(path), f"expects input {shape}, not one float32 {WINDOW}-sample window")
    outputs = [o for o in interpreter.get_output_details() if int(o["shape"][-1]) == len(labels)]
    if not outputs:
        raise ModelUnavailable(MODALITY, str(path), f"has no output of {len(labels)} class scores")
    log.info("loaded YAMNet %s (%d classes)", path, len(labels))
    return _Loaded(path, labels, interpreter, int(inputs[0]["index"]), shape, int(outputs[0]["index"]))


def _read_labels(path: Path) -> tuple[str, ...]:
    """Display names from YAMNet's class map (columns index, mid, display_name), by index."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = sorted(csv.DictReader(handle), key=lambda row: int(row["index"]))
        return tuple(row["display_name"] for row in rows)
    except (OSError, KeyError, ValueError, TypeError) as exc:
        raise ModelUnavailable(MODALITY, str(path), f"unreadable class map: {describe(exc)}") from exc
