"""The evaluation library's plan: ground-truth checks, and what it holds when voices or the CJK font are missing.

Planning needs no media: sentences get made-up lengths (about flite's and festival's pace), nothing is rendered.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from pathlib import Path

import pytest

from scripts import make_eval_library as lib

FULL = (*lib.LANGUAGES, lib.SCREEN_LANGUAGE)


def voices(split: lib.Split) -> dict[str, lib.Voice]:
    """Every sentence of the split, English and not, as a made-up WAV of about 14 letters a second."""
    texts = lib.spoken_texts(split)
    texts += [text for talk in split.world.talk.values() for text in (*(s.text for s in talk.targets), *talk.fillers)]
    return {text: lib.Voice(Path("unused.wav"), 0.4 + len(text) / 14, 0.1, 0.3 + len(text) / 14) for text in texts}


def plan(made: tuple[str, ...]) -> tuple[list[lib.VideoPlan], list[lib.Record]]:
    prefix, split = lib.SPLITS["test"]
    return lib.plan_split(split, prefix, voices(split), None, made, "font.ttc")


def test_both_splits_pass_the_ground_truth_checks() -> None:
    lib.check_splits()


def test_a_keyword_query_that_another_sentence_also_answers_is_refused() -> None:
    _, split = lib.SPLITS["test"]
    talk = split.world.talk["it"]
    ferry = dataclasses.replace(talk.targets[0], keyword="traghetto Cagliari")  # the late ferry says it too
    world = dataclasses.replace(
        split.world, talk={**split.world.talk, "it": dataclasses.replace(talk, targets=(ferry, *talk.targets[1:]))}
    )

    with pytest.raises(ValueError, match="also matches"):
        lib.check_world("test", dataclasses.replace(split, world=world))


def test_an_off_topic_query_about_the_library_is_refused() -> None:
    _, split = lib.SPLITS["test"]
    world = dataclasses.replace(split.world, offtopic={**split.world.offtopic, "zh": ("四川火锅很辣",)})

    with pytest.raises(ValueError, match="shares characters"):
        lib.check_world("test", dataclasses.replace(split, world=world))


def test_the_full_library_appends_videos_and_queries_in_every_language() -> None:
    plans, queries = plan(FULL)
    kinds = Counter(str(query["kind"]) for query in queries)

    assert [p.name for p in plans] == [f"test_{n:02d}.mp4" for n in range(1, 21)]
    assert all(kinds[kind] >= lib.MIN_WORLD_QUERIES for kind in lib.WORLD_KINDS)
    spoken = {s.get("language") for p in plans[12:18] for s in p.sentences}
    assert spoken == {"it", "ru", "ca"}
    signs = [t for p in plans[18:] for t in p.texts]
    assert len(signs) == 16 and all(t["font"] == "font.ttc" and t["language"] == "zh" for t in signs)
    screen = [q for q in queries if q["kind"] == "screen:zh"]
    assert all(q["query"] in q["source"] for q in screen)


def test_without_voices_or_font_no_query_points_at_missing_media() -> None:
    full, _ = plan(FULL)
    plans, queries = plan(())
    kinds = {str(query["kind"]) for query in queries}

    assert [p.name for p in plans] == [p.name for p in full[:12]]
    assert [p.record() for p in plans] == [p.record() for p in full[:12]]  # English ground truth unchanged
    assert not {kind for kind in kinds if kind.startswith(("same:", "cross:en-", "screen:"))}
    assert {"cross:it-en", "cross:es-en", "cross:ru-en", "offtopic:zh", "offtopic:it"} <= kinds
    videos = {p.name for p in plans}
    assert all(query["video"] in videos for query in queries if query["video"] is not None)


def test_one_missing_voice_drops_only_its_own_videos() -> None:
    plans, queries = plan(("it", "ca", "zh"))
    kinds = {str(query["kind"]) for query in queries}

    assert "test_15.mp4" not in {p.name for p in plans} and "test_16.mp4" not in {p.name for p in plans}
    assert "test_17.mp4" in {p.name for p in plans}  # numbers stay where they were
    assert "same:ru" not in kinds and "cross:en-ru" not in kinds
    assert {"same:it", "same:ca", "screen:zh", "cross:ru-en", "offtopic:ru"} <= kinds


def test_a_voice_festival_cannot_use_is_reported_with_its_package(tmp_path: Path) -> None:
    _, split = lib.SPLITS["test"]

    spoken, missing = lib.synthesise_world(split.world, "/bin/false", tmp_path)
    absent, reasons = lib.synthesise_world(split.world, None, tmp_path)

    assert spoken == {} and set(missing) == set(lib.LANGUAGES)
    assert "festvox-ru" in missing["ru"] and "voice_msu_ru_nsh_clunits" in missing["ru"]
    assert absent == {} and all("festival is not installed" in reason for reason in reasons.values())


def test_missing_content_is_announced_with_its_videos_and_kinds(capsys: pytest.CaptureFixture[str]) -> None:
    lib.warn_missing({"ru": "no voice", "zh": "no font"}, "cal", Path("data/eval/calibration"))

    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2
    assert "WARNING" in err[0] and "cal_15.mp4, cal_16.mp4" in err[0] and "same:ru, cross:en-ru" in err[0]
    assert "cal_19.mp4, cal_20.mp4" in err[1] and "screen:zh, cross:en-zh" in err[1]
