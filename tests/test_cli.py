"""The `vidsearch` command line as other tools use it: JSON contracts, exit codes, one-line errors.

Visual vectors come from the real checkpoint-loading path, with a tiny random-weight CLIP saved
to a file (`--clip-model tiny-clip.json --clip-checkpoint FILE`).
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import TINY_CLIP
from vidsearch.cli import main

ROOT = Path(__file__).resolve().parent.parent


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def tiny(tiny_checkpoint: Path) -> list[str]:
    return ["--clip-model", str(TINY_CLIP), "--clip-checkpoint", str(tiny_checkpoint)]


@pytest.fixture
def indexed(tmp_path: Path, coloured: Path, tiny: list[str], capsys: pytest.CaptureFixture[str]) -> Path:
    folder = tmp_path / "videos"
    folder.mkdir()
    shutil.copy(coloured, folder / "colours.mp4")
    code, _, _ = cli(capsys, "index", folder, "--index", tmp_path / "index", *tiny)
    assert code == 0
    return tmp_path / "index"


@pytest.mark.slow
def test_index_json_summary_and_exit_status(tmp_path: Path, coloured: Path, tiny: list[str], capsys) -> None:
    bad = tmp_path / "bad.mp4"
    bad.write_text("not a video")
    code, out, _ = cli(capsys, "index", coloured, bad, "--index", tmp_path / "index", "--json", *tiny)
    summary = json.loads(out.strip().splitlines()[-1])
    assert code == 1
    assert summary["indexed"] == [str(coloured)] and summary["skipped"] == []
    assert summary["failed"][0]["path"] == str(bad) and summary["failed"][0]["error"]
    code, out, _ = cli(capsys, "index", coloured, "--index", tmp_path / "index", "--json", *tiny)
    assert code == 0 and json.loads(out.splitlines()[-1])["skipped"] == [str(coloured)]


def test_search_json_contract(indexed: Path, capsys, tiny: list[str]) -> None:
    code, out, _ = cli(capsys, "search", "a red square", "--index", indexed, "-k", "2", "--json")
    result = json.loads(out)
    assert code == 0 and result["query"] == "a red square"
    assert 1 <= len(result["hits"]) <= 2
    hit = result["hits"][0]
    assert set(hit) == {"video", "start", "end", "score", "matched", "segment_id", "video_id"}
    assert Path(hit["video"]).is_absolute() and 0 <= hit["start"] < hit["end"] <= 12.0
    assert set(hit["matched"]) == {"visual"} and {"score", "time"} <= set(hit["matched"]["visual"])
    scores = [h["score"] for h in result["hits"]]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.slow
def test_queries_file_prints_one_json_object_per_query(indexed: Path, tmp_path: Path, capsys) -> None:
    queries = tmp_path / "queries.txt"
    queries.write_text("red\n\nblue things\ngreen\n")
    code, out, _ = cli(capsys, "search", "--queries-file", queries, "--index", indexed, "-k", "1", "--json")
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and [r["query"] for r in lines] == ["red", "blue things", "green"]


@pytest.mark.slow
def test_human_search_output_reads_as_ranked_moments(indexed: Path, capsys) -> None:
    code, out, _ = cli(capsys, "search", "red", "--index", indexed, "-k", "1")
    assert code == 0
    assert "colours.mp4  00:0" in out and "–00:" in out and "visual" in out


@pytest.mark.slow
def test_info_json_lists_contiguous_segments(indexed: Path, coloured: Path, tmp_path: Path, capsys) -> None:
    code, out, _ = cli(capsys, "info", tmp_path / "videos" / "colours.mp4", "--index", indexed, "--json")
    info = json.loads(out)
    assert code == 0 and info["duration"] == pytest.approx(12.0, abs=0.05)
    bounds = [(s["start"], s["end"]) for s in info["segments"]]
    assert [round(b[0]) for b in bounds] == [0, 4, 7]
    assert all(a[1] == b[0] for a, b in itertools.pairwise(bounds))


@pytest.mark.slow
def test_remove_then_search_finds_nothing_of_it(indexed: Path, tmp_path: Path, capsys) -> None:
    video = tmp_path / "videos" / "colours.mp4"
    assert cli(capsys, "remove", video, "--index", indexed)[0] == 0
    code, _, err = cli(capsys, "search", "red", "--index", indexed)
    assert code == 1 and "no videos" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["search", "red", "--index", "{tmp}/missing"], "no index at"),
        (["index", "{tmp}/nope.mp4", "--index", "{tmp}/i"], "no such file or folder"),
        (["search", "red", "--index", "{tmp}/i", "--bogus"], "unrecognized arguments"),
        (["index", "{tmp}", "--index", "{tmp}/i", "--modalities", "smell"], "unknown modality"),
        (["search", "--index", "{tmp}/i"], "give a QUERY"),
    ],
)
def test_bad_input_gets_one_line_and_nonzero_exit(tmp_path: Path, capsys, args: list[str], message: str) -> None:
    code, out, err = cli(capsys, *[a.format(tmp=tmp_path) for a in args])
    assert code != 0 and out == ""
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


@pytest.mark.slow
def test_searching_with_another_model_is_refused(indexed: Path, tmp_path: Path, capsys) -> None:
    import open_clip
    import torch

    other = tmp_path / "other.pt"
    open_clip.add_model_config(TINY_CLIP)
    torch.manual_seed(1)
    torch.save(open_clip.create_model("tiny-clip").state_dict(), other)
    args = ["--clip-model", str(TINY_CLIP), "--clip-checkpoint", str(other)]
    code, _, err = cli(capsys, "search", "red", "--index", indexed, *args)
    assert code == 1 and "holds visual vectors of open_clip:tiny-clip:sha256-" in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.slow
def test_missing_clip_weights_are_reported_once_recorded_and_indexing_goes_on(
    tmp_path: Path, coloured: Path, capsys, caplog: pytest.LogCaptureFixture
) -> None:
    second = tmp_path / "again.mp4"
    shutil.copy(coloured, second)
    code, out, _ = cli(capsys, "index", coloured, second, "--index", tmp_path / "index", "--json")
    summary = json.loads(out.splitlines()[-1])
    assert code == 0 and summary["indexed"] == [str(coloured), str(second)]
    assert summary["missing_modalities"][0]["modality"] == "visual"
    warnings = [r.getMessage() for r in caplog.records if "visual search is OFF" in r.getMessage()]
    assert len(warnings) == 1
    assert all(way in warnings[0] for way in ("connect to the internet once", "--clip-checkpoint PATH", "--modalities"))
    code, out, _ = cli(capsys, "stats", "--index", tmp_path / "index", "--json")
    assert json.loads(out)["modalities"][0]["available"] is False
    code, _, err = cli(capsys, "search", "red", "--index", tmp_path / "index", "--modalities", "visual")
    assert code == 1 and "nothing to search with" in err


def test_asking_for_visual_without_weights_stops(tmp_path: Path, coloured: Path, capsys) -> None:
    code, out, err = cli(capsys, "index", coloured, "--index", tmp_path / "index", "--modalities", "visual")
    assert code == 1 and out == ""
    assert "visual model ViT-B-32" in err and len(err.strip().splitlines()) == 1


@pytest.mark.slow
def test_console_script_warns_on_stderr_and_errors_in_one_line(tmp_path: Path, coloured: Path) -> None:
    script = Path(sys.executable).parent / "vidsearch"
    if not script.exists():
        pytest.skip("vidsearch console script not installed in this environment")
    done = subprocess.run([script, "search", "x", "--index", tmp_path], capture_output=True, text=True)
    assert done.returncode == 1 and done.stderr.startswith("vidsearch: error: no index at")
    done = subprocess.run([script, "index", coloured, "--index", tmp_path / "i"], capture_output=True, text=True)
    assert done.returncode == 0 and done.stderr.count("visual search is OFF") == 1, done.stderr


@pytest.mark.slow
def test_eval_prints_recall_per_kind_and_compares_modalities(
    tmp_path: Path, indexed: Path, tiny: list[str], capsys
) -> None:
    queries = tmp_path / "queries.jsonl"
    lines = [
        {"query": "red", "video": "videos/colours.mp4", "start": 0, "end": 4, "kind": "visual"},
        {"query": "green", "video": "videos/colours.mp4", "start": 7, "end": 12, "kind": "visual"},
        {"query": "a cat playing piano", "video": None, "start": 0, "end": 0, "kind": "offtopic"},
    ]
    queries.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    code, out, err = cli(capsys, "eval", queries, "--index", indexed, "--json", *tiny)
    assert code == 0, err
    report = json.loads(out)["fused"]
    assert code == 0 and report["kinds"]["visual"]["n"] == 2 and report["off_topic"]["n"] == 1
    code, out, _ = cli(capsys, "eval", queries, "--index", indexed, "--compare", *tiny)
    assert code == 0 and "R@1" in out and "fused" in out and "visual" in out


@pytest.mark.slow
def test_eval_rejects_a_malformed_queries_file_in_one_line(tmp_path: Path, indexed: Path, capsys) -> None:
    queries = tmp_path / "queries.jsonl"
    queries.write_text('{"query": "red", "video": "a.mp4"}\nnot json\n')
    code, _, err = cli(capsys, "eval", queries, "--index", indexed)
    assert code == 2 and ":2:" in err and len(err.strip().splitlines()) == 1


@pytest.mark.slow
def test_update_revisits_the_indexed_videos_without_naming_them(indexed: Path, capsys) -> None:
    code, out, _ = cli(capsys, "index", "--update", "--index", indexed, "--json")
    assert code == 0 and len(json.loads(out.splitlines()[-1])["skipped"]) == 1
    code, _, err = cli(capsys, "index", "--index", indexed)
    assert code == 2 and "--update" in err


@pytest.mark.slow
def test_search_by_image_like_a_segment_and_within_a_folder(
    tmp_path: Path, indexed: Path, tiny: list[str], capsys
) -> None:
    from PIL import Image

    picture = tmp_path / "red.png"
    Image.new("RGB", (64, 64), (220, 0, 0)).save(picture)
    code, out, _ = cli(capsys, "search", "--image", picture, "--index", indexed, "--json", *tiny)
    assert code == 0 and json.loads(out)["hits"]
    code, out, _ = cli(capsys, "info", tmp_path / "videos" / "colours.mp4", "--index", indexed, "--json")
    first = json.loads(out)["segments"][0]
    code, out, _ = cli(capsys, "search", "--like", first["id"], "--index", indexed, "--json", *tiny)
    hits = json.loads(out)["hits"]
    assert code == 0 and all(h["start"] >= first["end"] or h["end"] <= first["start"] for h in hits)
    code, out, _ = cli(capsys, "search", "red", "--folder", tmp_path / "elsewhere", "--index", indexed, "--json", *tiny)
    assert code == 0 and json.loads(out)["hits"] == []
    code, _, err = cli(capsys, "search", "--image", tmp_path / "nope.png", "--index", indexed, *tiny)
    assert code == 2 and "cannot read image" in err


def test_serve_refuses_a_missing_index_and_an_empty_token_in_one_line(tmp_path: Path, capsys, monkeypatch) -> None:
    code, _, err = cli(capsys, "serve", "--index", tmp_path / "none")
    assert code == 1 and "no index at" in err and len(err.strip().splitlines()) == 1
    monkeypatch.setenv("VIDSEARCH_API_TOKEN", "")
    code, _, err = cli(capsys, "serve", "--index", tmp_path / "none", "--token", "")
    assert code == 1 and "no index at" in err


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["search", "--like", "18446744073709551616"], "is not a segment id"),
        (["search", "q", "--min-duration", "-5"], "is not a number of seconds"),
        (["search", "q", "--max-duration", "nan"], "is not a number of seconds"),
        (["search", "q", "--min-duration", "9", "--max-duration", "3"], "is more than --max-duration"),
        (["serve", "--port", "99999"], "is not a port number"),
        (["serve", "--port", "-1"], "is not a port number"),
        (["ui", "--port", "70000"], "is not a port number"),
    ],
)
@pytest.mark.slow
def test_out_of_range_numbers_are_one_line_usage_errors(indexed: Path, capsys, args: list[str], says: str) -> None:
    code, _, err = cli(capsys, *args, "--index", indexed)
    assert code == 2 and says in err and len(err.strip().splitlines()) == 1, err


@pytest.mark.parametrize(("value", "says"), [("foo", "lists are JSON"), ('["foo"]', "unknown modality foo")])
@pytest.mark.slow
def test_a_bad_setting_in_the_environment_is_one_line(
    indexed: Path, capsys, monkeypatch, value: str, says: str
) -> None:
    monkeypatch.setenv("VIDSEARCH_MODALITIES", value)
    code, _, err = cli(capsys, "search", "q", "--index", indexed)
    assert code == 2 and says in err and len(err.strip().splitlines()) == 1, err


@pytest.mark.slow
def test_a_queries_file_that_is_not_text_is_one_line(indexed: Path, tmp_path: Path, capsys) -> None:
    queries = tmp_path / "q.txt"
    queries.write_bytes(b"red\n\xff\xfe blue\n")
    code, _, err = cli(capsys, "search", "--queries-file", queries, "--index", indexed)
    assert code == 2 and "is not UTF-8 text" in err


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
@pytest.mark.slow
def test_a_fifo_is_refused_not_waited_on(indexed: Path, tmp_path: Path, capsys) -> None:
    fifo = tmp_path / "x.mp4"
    os.mkfifo(fifo)
    code, out, _ = cli(capsys, "index", fifo, "--index", indexed, "--modalities", "none")
    assert code == 1 and "not a regular file (a FIFO)" in out
    code, _, err = cli(capsys, "search", "--image", fifo, "--index", indexed)
    assert code == 1 and "not a regular file (a FIFO)" in err


def test_an_empty_folder_says_there_is_nothing_to_index(tmp_path: Path, capsys, caplog) -> None:
    (tmp_path / "empty").mkdir()
    code, out, _ = cli(capsys, "index", tmp_path / "empty", "--index", tmp_path / "index", "--modalities", "none")
    assert code == 0 and "no video or audio files in" in caplog.text and "0 indexed" in out


@pytest.mark.slow
def test_output_cut_short_by_a_closed_pipe_ends_quietly(indexed: Path, tmp_path: Path) -> None:
    queries = tmp_path / "q.txt"
    queries.write_text("a red square\n" * 2000)  # far more output than a pipe holds
    command = f"{sys.executable} -m vidsearch.cli search --queries-file {queries} --index {indexed} --json | head -c 1"
    done = subprocess.run(["bash", "-o", "pipefail", "-c", command], cwd=ROOT, capture_output=True, text=True)
    assert done.stdout == "{" and done.stderr == "" and done.returncode == 141


@pytest.mark.models
def test_doctor_repair_rebuilds_a_lost_vector_file_with_the_index_own_model(tmp_path: Path, capsys) -> None:
    """The issue's case: speech.faiss deleted. Search says so in one line; the repair recomputes the
    vectors from the stored sentences with the index's own (real, offline) sentence model, and no
    video is lost."""
    from indexer.pipeline import Models
    from tests.streams import HeardTones, Tone, mux, picture, tones_wav
    from vidsearch.library import index_paths
    from vidsearch.settings import Settings

    sound = tones_wav(tmp_path / "t.wav", 3.0, [Tone(1.0, 700)])
    videos = [mux(tmp_path / f"v{n}.mp4", [*picture(3), "-i", str(sound)], "-c:a", "aac") for n in range(3)]
    settings = Settings(modalities=("speech",), offline=True)
    index_paths(videos, tmp_path / "index", settings, models=Models(speech=HeardTones()))
    _, before, _ = cli(
        capsys, "search", "tone 700 hertz", "--index", tmp_path / "index", "--json", "--modalities", "speech"
    )
    (tmp_path / "index" / "speech.faiss").unlink()
    code, _, err = cli(capsys, "search", "tone 700 hertz", "--index", tmp_path / "index", "--modalities", "speech")
    assert code == 1 and "speech.faiss is missing" in err and "--repair" in err and len(err.strip().splitlines()) == 1
    code, out, _ = cli(capsys, "doctor", "--index", tmp_path / "index", "--repair")
    assert code == 0 and "rebuilt 3 speech span vector(s)" in out, out
    _, after, _ = cli(
        capsys, "search", "tone 700 hertz", "--index", tmp_path / "index", "--json", "--modalities", "speech"
    )
    assert json.loads(after) == json.loads(before) and len(json.loads(after)["hits"]) == 3


def test_version_is_printed(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0 and capsys.readouterr().out.strip().startswith("vidsearch ")


@pytest.mark.slow  # a fresh interpreter, as a user runs it
def test_each_failed_file_is_printed_once(tmp_path: Path) -> None:
    empty = tmp_path / "empty.mp4"
    empty.touch()
    run = [sys.executable, "-m", "vidsearch.cli", "index", str(empty), "--index", str(tmp_path / "index")]
    done = subprocess.run([*run, "--modalities", "speech"], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 1
    assert (done.stdout + done.stderr).count(str(empty)) == 1, done.stdout + done.stderr
    assert str(empty) in (tmp_path / "index" / "vidsearch.log").read_text()


@pytest.mark.slow
def test_several_queries_in_one_process_each_under_its_own_heading(indexed: Path, tiny: list[str], capsys) -> None:
    code, out, err = cli(capsys, "search", "red", "green", "--index", indexed, "-k", "1", *tiny)
    assert code == 0, err
    red, green = out.split("\n\n")
    assert red.startswith("== red\n") and "colours.mp4" in red and green.startswith("== green\n")
    code, out, _ = cli(capsys, "search", "red", "--index", indexed, "-k", "1", *tiny)
    assert out.startswith(str(indexed.parent / "videos" / "colours.mp4"))  # one query: no heading, as before
    code, out, _ = cli(capsys, "search", "red", "green", "--index", indexed, "--json", *tiny)
    assert [json.loads(line)["query"] for line in out.splitlines()] == ["red", "green"]
