"""The per-file pipeline's plumbing: a producer thread ahead of its consumer, and a file whose
stages run side by side failing as one."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from indexer.flow import Ahead
from indexer.pipeline import Models, VideoIndexer
from indexer.types import TextSpan
from tests.conftest import ColourImages
from vidsearch.settings import Settings


def test_items_arrive_in_order_and_the_producers_error_surfaces_where_they_run_out() -> None:
    def items() -> Iterator[int]:
        yield from range(5)
        raise ValueError("broken stream")

    seen: list[int] = []
    with pytest.raises(ValueError, match="broken stream"), Ahead(items(), depth=2) as ahead:
        for item in ahead:
            seen.append(item)
    assert seen == [0, 1, 2, 3, 4]


def test_a_consumer_that_stops_early_stops_the_producer_too() -> None:
    produced: list[int] = []

    def endless() -> Iterator[int]:
        n = 0
        while True:
            produced.append(n)
            yield n
            n += 1

    with Ahead(endless(), depth=3) as ahead:
        for item in ahead:
            if item == 2:
                break
    count = len(produced)
    time.sleep(0.3)
    assert len(produced) == count <= 2 + 3 + 2  # consumed, queued, and the one in hand
    assert not any(t.name == "ahead" for t in threading.enumerate())


class BrokenEars:
    """A transcriber that fails, as a model bug on one file would."""

    name = "broken-ears"

    def transcribe(self, samples: np.ndarray) -> tuple[list[TextSpan], str]:
        raise RuntimeError("the speech model fell over")


def test_a_failing_sound_stage_fails_its_file_with_the_reason(coloured: Path) -> None:
    indexer = VideoIndexer(Settings().index_params(), Models(images=ColourImages(), speech=BrokenEars()))
    with pytest.raises(RuntimeError, match="fell over"):
        indexer.index(coloured)
    assert not any(t.name.startswith("sound") for t in threading.enumerate() if t.is_alive())
