"""Schemathesis against the API's own OpenAPI document, in process (ASGI), bounded.

Every operation gets EXAMPLES generated requests that fit the document (positive) and EXAMPLES
that break it (negative), from a fixed seed, with a bearer token; schemathesis checks each answer:
no 5xx, a status the document lists, the documented content type and headers, a body that fits
its schema (the one error shape included), schema-valid requests accepted and invalid ones
refused, and the token actually required (or, for streams and thumbnails, a signed URL). 2,402
generated requests (3,509 answered, with those of the checks) in about 35 s on two cores: `slow`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from indexer.pipeline import Models
from indexer.types import Modality
from search import VideoSearch
from search.types import LoadState
from tests.conftest import ColourImages
from tests.fakes import ColourCaptions, HashedWords, ScriptedSounds, ScriptedSpeech, fake_engine
from vidsearch.api import ApiOptions, create_app
from vidsearch.library import index_paths
from vidsearch.settings import Settings

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is in the test extra")
hypothesis = pytest.importorskip("hypothesis")

log = logging.getLogger(__name__)

EXAMPLES = 100
"""Generated requests per operation and mode (positive, negative), before schemathesis's own checks
add theirs (the same request without the token, for one)."""
TOKEN = "fuzz-token"


class Counted:
    """ASGI wrapper that counts the HTTP requests the app answers."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.requests = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self.requests += 1
        await self.app(scope, receive, send)


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory, coloured: Path) -> Iterator[VideoSearch]:
    index = tmp_path_factory.mktemp("fuzz") / "index"
    models = Models(
        images=ColourImages(),
        speech=ScriptedSpeech(((0.5, 3.5, "The bank raised interest rates"), (8.0, 11.0, "Ships leave at dawn"))),
        ocr=ColourCaptions(),
        audio=ScriptedSounds(((1.0, 3.0, "Applause", 0.8),)),
        sentences=HashedWords(),
    )
    report = index_paths([coloured], index, Settings(modalities=tuple(Modality)), models=models)
    assert report.failed == () and len(report.indexed) == 1
    with fake_engine(index) as opened:
        opened.load_in_background()  # as `serve` does: /ready is 200, not the 503 of models not loaded
        deadline = time.monotonic() + 30
        while opened.readiness().state is not LoadState.READY and time.monotonic() < deadline:
            time.sleep(0.05)
        assert opened.readiness().state is LoadState.READY, opened.readiness()
        yield opened


def _durations_in_order(_context: Any, query: Any) -> bool:
    """min_duration <= max_duration: a relation JSON Schema cannot state (the API's 422 for it is tested
    in test_api.py)."""
    if not isinstance(query, dict):
        return True
    low, high = query.get("min_duration"), query.get("max_duration")
    if isinstance(low, bool) or isinstance(high, bool):
        return True
    if isinstance(low, (int, float)) and isinstance(high, (int, float)):
        return high >= low
    return True


def _attack(operation: Any, mode: Any, headers: dict[str, str], excluded: list[Any], counts: dict[str, int]) -> None:
    """EXAMPLES requests of `mode` at one operation, each answer checked by schemathesis."""
    from hypothesis import HealthCheck, Phase, given, settings

    key = f"{operation.label} {mode.value}"

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],
        verbosity=hypothesis.Verbosity.quiet,
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def attack(case: Any) -> None:
        counts[key] = counts.get(key, 0) + 1
        # the token replaces a generated Authorization header; a case made invalid by dropping that
        # header goes without it (sending the token anyway would make it a valid request)
        given = headers if "Authorization" in (case.headers or {}) else {}
        case.call_and_validate(headers=given, excluded_checks=excluded)

    attack()


@pytest.mark.slow
def test_schemathesis_finds_no_server_error_and_no_answer_outside_the_document(
    engine: VideoSearch, record_property: Any
) -> None:
    from hypothesis.errors import Unsatisfiable
    from schemathesis import GenerationMode
    from schemathesis.checks import positive_data_acceptance

    app = Counted(create_app(engine, ApiOptions(token=TOKEN)))
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    schema.hook("filter_query")(_durations_in_order)
    auth = {"Authorization": f"Bearer {TOKEN}"}
    generated: dict[str, int] = {}
    for found in schema.get_all_operations():
        operation = found.ok()
        # random bytes fit the upload's schema (a binary string) and are rightly a 415: not a picture
        excluded = [positive_data_acceptance] if operation.path == "/search/image" else []
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                _attack(operation, mode, auth, excluded, generated)
            except Unsatisfiable:  # no parameter to make invalid (GET /health, /videos, /stats)
                assert mode is GenerationMode.NEGATIVE and "{" not in operation.path
    total = sum(generated.values())
    record_property("generated_requests", total)
    record_property("answered_requests", app.requests)
    log.info("schemathesis: %d generated requests, %d answered: %s", total, app.requests, generated)
    assert total >= 500 and app.requests >= total
