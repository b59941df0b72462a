"""Stages of one file's indexing run side by side: a producer thread works ahead of its consumer
through a bounded queue. Decoders and models release the GIL while they work (PyAV, onnxruntime,
CTranslate2, torch), so threads overlap decoding, OCR and speech recognition on separate cores
while memory stays bounded by the queue's depth."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import Generic, TypeVar

T = TypeVar("T")

_POLL = 0.1
"""Seconds a blocked producer waits before checking whether the consumer has gone."""


class _End:
    """Marks the end of the items, carrying the producer's exception if it failed."""

    def __init__(self, error: BaseException | None = None) -> None:
        self.error = error


class Ahead(Generic[T]):
    """Iterates `items` in a background thread, at most `depth` items ahead of the consumer.

    The producer's exceptions are raised in the consumer, at the point where the items ran out.
    Closing early (`close()`, or leaving a `with` block) stops the producer at its next item."""

    def __init__(self, items: Iterator[T], depth: int, name: str = "ahead") -> None:
        self._queue: queue.Queue[T | _End] = queue.Queue(maxsize=max(1, depth))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._produce, args=(items,), name=name, daemon=True)
        self._thread.start()

    def _produce(self, items: Iterator[T]) -> None:
        try:
            for item in items:
                if not self._put(item):
                    return
        except BaseException as exc:  # handed to the consumer, which decides what it means
            self._put(_End(exc))
            return
        self._put(_End())

    def _put(self, item: T | _End) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=_POLL)
                return True
            except queue.Full:
                continue
        return False

    def __iter__(self) -> Iterator[T]:
        while True:
            item = self._queue.get()
            if isinstance(item, _End):
                if item.error is not None:
                    raise item.error
                return
            yield item

    def close(self) -> None:
        """Stop the producer and wait for its thread to finish its current item."""
        self._stop.set()
        self._thread.join()

    def __enter__(self) -> Ahead[T]:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
