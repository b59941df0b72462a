"""Similar videos and duplicates: videos on one topic rank above an unrelated one; a re-encoded or
trimmed copy is a duplicate (with its time offset), never a similar video unless asked; the CLI
and the API show both lists. Fake models script what each video says."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from indexer.types import Modality
from search import VideoSearch
from search.errors import VideoNotFound
from search.related import Landmark, align
from tests.conftest import ColourTexts
from tests.fakes import HashedWords, fake_models
from tests.media import Shot, run, shots_video
from vidsearch.api import ApiOptions, create_app
from vidsearch.cli import main
from vidsearch.library import index_paths
from vidsearch.settings import Settings

FINANCE = (
    (0.5, 3.5, "The central bank raised interest rates on savings accounts"),
    (4.5, 7.0, "Mortgage payments will rise with the interest rates"),
    (8.0, 11.0, "Investors expect the bank to cut rates next year"),
)
MARKETS = (
    (0.5, 3.0, "Savings accounts pay more interest after the bank decision"),
    (4.0, 7.5, "Interest rates on mortgage loans went up again"),
    (8.5, 11.0, "The bank may cut rates when inflation falls"),
)
HARBOUR = (
    (0.5, 3.5, "The fishing boats leave the harbour at dawn"),
    (4.5, 7.0, "Gulls follow the trawler out past the lighthouse"),
    (8.0, 11.0, "The tide turns shortly after midnight"),
)
SOUNDS = ((9.0, 10.0, "Applause", 0.8),)
TRIM = 2.0
ALL = Settings(modalities=tuple(Modality))


def _index(path: Path, index: Path, sentences: tuple[tuple[float, float, str], ...]) -> None:
    report = index_paths([path], index, ALL, models=fake_models(sentences, SOUNDS))
    assert report.failed == () and len(report.indexed) == 1


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Path]]:
    """Three 12 s videos of the same shots (cut at slightly other times) and captions, two on
    interest rates and one on a harbour; a re-encoded copy of the first (smaller, CRF 35) and one
    with its first 2 s cut off."""
    folder = tmp_path_factory.mktemp("related")
    paths = {name: folder / f"{name}.mp4" for name in ("rates", "markets", "harbour", "copy", "trimmed")}
    shots_video(paths["rates"], (Shot("red", 4.0), Shot("blue", 3.0), Shot("green", 5.0)))
    shots_video(paths["markets"], (Shot("red", 4.4), Shot("blue", 3.0), Shot("green", 4.6)))
    shots_video(paths["harbour"], (Shot("red", 3.6), Shot("blue", 3.4), Shot("green", 5.0)))
    run(["-i", str(paths["rates"]), "-vf", "scale=160:120", "-c:v", "libx264", "-crf", "35", str(paths["copy"])])
    run(["-ss", str(TRIM), "-i", str(paths["rates"]), "-c:v", "libx264", "-c:a", "aac", str(paths["trimmed"])])
    index = folder / "index"
    for name, said in (("rates", FINANCE), ("markets", MARKETS), ("harbour", HARBOUR), ("copy", FINANCE)):
        _index(paths[name], index, said)
    shifted = tuple((start - TRIM, end - TRIM, text) for start, end, text in FINANCE if start >= TRIM)
    _index(paths["trimmed"], index, shifted)  # what a recogniser hears in the trimmed file
    return index, paths


@pytest.fixture(scope="module")
def engine(library: tuple[Path, dict[str, Path]]) -> Iterator[VideoSearch]:
    with VideoSearch(library[0], Settings(), texts=ColourTexts(), sentences=HashedWords()) as opened:  # type: ignore[arg-type]
        yield opened


def _ids(engine: VideoSearch) -> dict[str, int]:
    return {video.path.stem: video.id for video in engine.videos()}


def _names(found: list) -> list[str]:  # type: ignore[type-arg]
    return [r.video.path.stem for r in found]


def test_two_videos_on_one_topic_rank_above_an_unrelated_one(engine: VideoSearch) -> None:
    ids = _ids(engine)
    found = engine.similar_videos(ids["rates"])
    assert _names(found) == ["markets", "harbour"], "its copies are duplicates, not similar videos"
    assert 0 <= found[1].score < found[0].score <= 1 and not any(r.duplicate for r in found)
    assert engine.similar_videos(ids["rates"], k=1)[0].video.path.stem == "markets"


def test_a_reencoded_or_trimmed_copy_is_a_duplicate_with_its_offset(engine: VideoSearch) -> None:
    ids = _ids(engine)
    duplicates = {r.video.path.stem: r for r in engine.duplicates(ids["rates"])}
    assert set(duplicates) == {"copy", "trimmed"}
    assert duplicates["copy"].offset == pytest.approx(0.0, abs=0.3)
    assert duplicates["trimmed"].offset == pytest.approx(-TRIM, abs=0.3), "its moments come 2 s earlier"
    assert all(r.duplicate and (r.aligned or 0) >= 0.6 for r in duplicates.values())
    assert {r.video.path.stem for r in engine.duplicates(ids["trimmed"])} == {"rates", "copy"}
    assert engine.duplicates(ids["markets"]) == [], "one topic, other words: not a copy"


def test_duplicates_rank_among_similar_videos_only_when_asked(engine: VideoSearch) -> None:
    ids = _ids(engine)
    found = engine.similar_videos(ids["rates"], include_duplicates=True)
    assert set(_names(found[:2])) == {"copy", "trimmed"} and all(r.duplicate for r in found[:2])
    assert _names(found[2:]) == ["markets", "harbour"]


def test_an_unknown_video_is_a_clear_error(engine: VideoSearch) -> None:
    with pytest.raises(VideoNotFound):
        engine.similar_videos(999)
    with pytest.raises(VideoNotFound):
        engine.duplicates(999)


def _said(start: float, text: str) -> list[Landmark]:
    return [Landmark(Modality.SPEECH, start + n * 0.4, word) for n, word in enumerate(text.split(" "))]


def test_one_shared_sentence_at_another_time_is_not_a_copy() -> None:
    said = _said(1.0, "the bank raised its rates")
    mine = said + _said(10.0, "gulls follow boats")
    theirs = [Landmark(s.kind, s.time + 5.0, s.key) for s in said] + _said(20.0, "storms closed the harbour")
    found = align(mine, theirs, (30.0, 30.0))
    assert found is not None and found.offset == pytest.approx(5.0) and not found.duplicate
    copy = [Landmark(s.kind, s.time - 0.5, s.key) for s in mine]
    assert (again := align(mine, copy, (30.0, 29.5))) is not None and again.duplicate
    picture = np.array([1.0, 0.0, 0.0], np.float32)
    assert align([Landmark(Modality.VISUAL, 1.0, vector=picture)], [], (10.0, 10.0)) is None


def test_cli_lists_similar_videos_then_duplicates(
    library: tuple[Path, dict[str, Path]], capsys: pytest.CaptureFixture[str]
) -> None:
    index, paths = library
    assert main(["similar", str(paths["rates"]), "--index", str(index)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("like ") and "rates.mp4" in lines[0]
    assert "markets.mp4" in lines[1] and "harbour.mp4" in lines[2]
    assert all(line.lstrip().startswith("duplicate") for line in lines[3:]) and len(lines) == 5
    assert main(["similar", str(paths["rates"]), "--index", str(index), "-k", "1", "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert [Path(r["path"]).stem for r in answer["similar"]] == ["markets"]
    assert {Path(r["path"]).stem for r in answer["duplicates"]} == {"copy", "trimmed"}
    assert all(r["duplicate"] and "offset" in r and "aligned" in r for r in answer["duplicates"])
    assert main(["similar", str(index / "nothing.mp4"), "--index", str(index)]) == 1


def test_api_answers_similar_and_duplicates_apart(engine: VideoSearch) -> None:
    client = TestClient(create_app(engine, ApiOptions()))
    ids = _ids(engine)
    answer = client.get(f"/videos/{ids['rates']}/similar", params={"k": 5})
    assert answer.status_code == 200
    body = answer.json()
    assert body["video_id"] == ids["rates"]
    assert [Path(r["path"]).stem for r in body["similar"]] == ["markets", "harbour"]
    assert {Path(r["path"]).stem for r in body["duplicates"]} == {"copy", "trimmed"}
    assert all(r["stream_url"].endswith(f"/videos/{r['id']}/stream") for r in body["similar"])
    asked = client.get(f"/videos/{ids['rates']}/similar", params={"duplicates": "true"}).json()
    assert sum(r["duplicate"] for r in asked["similar"]) == 2
    assert client.get("/videos/999/similar").status_code == 404
    assert client.get(f"/videos/{ids['rates']}/similar", params={"k": 0}).status_code == 422


def test_an_assistant_gets_the_same_similar_videos_and_copies_with_their_offsets(engine: VideoSearch) -> None:
    import anyio
    from mcp import Client

    from vidsearch.mcp import build_server

    ids = _ids(engine)

    async def ask() -> Any:
        async with Client(build_server(engine)) as client:
            return (await client.call_tool("similar_videos", {"video": ids["rates"], "k": 5})).structured_content

    found = anyio.run(ask)
    assert [Path(r["video"]).stem for r in found["similar"]] == ["markets", "harbour"]
    copies = {Path(r["video"]).stem: r for r in found["duplicates"]}
    assert copies["trimmed"]["offset"] == pytest.approx(-TRIM, abs=0.3) and copies["copy"]["aligned"] >= 0.6


def test_videos_less_alike_than_the_floor_are_left_out_but_copies_never(
    engine: VideoSearch, monkeypatch: pytest.MonkeyPatch
) -> None:
    from search import related

    ids = _ids(engine)
    monkeypatch.setattr(related, "ALIKE", 0.999)
    fresh = related.Related(engine.store, ())
    found = fresh.related(engine.video(ids["rates"])[0])
    assert {r.video.path.stem for r in found} == {"copy", "trimmed"} and all(r.duplicate for r in found)
