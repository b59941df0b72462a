"""Scoring a ranker on labelled queries: ranks, MRR, nDCG, overlap, off-topic rejection, case files, tables."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import pytest

from search.evaluate import Case, EvalError, Report, evaluate, load_cases, side_by_side
from search.types import Hit

LIB = Path("/lib")


def hit(video: str, start: float = 0.0, end: float = 5.0, score: float = 1.0) -> Hit:
    return Hit(video=LIB / video, start=start, end=end, score=score, segment_ids=(), evidence=())


def fake(answers: Mapping[str, Sequence[Hit]], calls: list[str] | None = None) -> Callable[[str], Sequence[Hit]]:
    """A ranker that answers from a dict (unknown queries get nothing), recording each call."""

    def rank(query: str) -> Sequence[Hit]:
        if calls is not None:
            calls.append(query)
        return answers.get(query, ())

    return rank


def moment(query: str, video: str, start: float, end: float, kind: str = "moment") -> Case:
    return Case(query=query, video=video, start=start, end=end, kind=kind)


def clip(query: str, video: str) -> Case:
    return Case(query=query, video=video, start=None, end=None, kind="clip")


def off_topic(query: str) -> Case:
    return Case(query=query, video=None, start=None, end=None, kind="off-topic")


def test_ranks_give_recall_mrr_and_ndcg() -> None:
    cases = [moment("first", "a.mp4", 10, 20), moment("third", "a.mp4", 10, 20), moment("none", "a.mp4", 10, 20)]
    right, wrong = hit("a.mp4", 12, 18), hit("b.mp4", 12, 18)
    ranker = fake({"first": [right, wrong], "third": [wrong, wrong, right], "none": [wrong]})

    report = evaluate(cases, ranker)

    assert [o.rank for o in report.outcomes] == [1, 3, None]
    assert report.metric("all", "n") == 3
    assert report.metric("all", "R@1") == pytest.approx(1 / 3)
    assert report.metric("all", "R@5") == pytest.approx(2 / 3)
    assert report.metric("all", "R@10") == pytest.approx(2 / 3)
    assert report.metric("all", "MRR") == pytest.approx((1 + 1 / 3 + 0) / 3)
    assert report.metric("all", "nDCG@10") == pytest.approx((1 + 1 / math.log2(4) + 0) / 3)


def test_ranker_is_called_once_per_case_and_only_the_first_k_hits_count() -> None:
    calls: list[str] = []
    ranker = fake({"q": [hit("b.mp4"), hit("a.mp4")]}, calls)

    report = evaluate([clip("q", "a.mp4")], ranker, k=1)

    assert calls == ["q"]
    assert report.outcomes[0].rank is None
    assert report.outcomes[0].hits == 1
    assert report.metric("all", "R@1") == 0.0
    assert report.metric("all", "R@5") is None  # cutoff beyond k: unknown, not zero


@pytest.mark.parametrize(
    ("start", "end", "matches"),
    [
        (0.0, 10.0, False),  # ends exactly where the case starts
        (20.0, 30.0, False),  # starts exactly where the case ends
        (9.5, 10.5, True),
        (19.9, 25.0, True),
        (12.0, 14.0, True),
        (0.0, 60.0, True),
    ],
)
def test_a_hit_matches_only_when_its_time_overlaps_the_case(start: float, end: float, matches: bool) -> None:
    report = evaluate([moment("q", "a.mp4", 10, 20)], fake({"q": [hit("a.mp4", start, end)]}))

    assert (report.outcomes[0].rank == 1) is matches


def test_the_right_time_in_the_wrong_video_does_not_match() -> None:
    report = evaluate([moment("q", "a.mp4", 10, 20)], fake({"q": [hit("b.mp4", 10, 20)]}))

    assert report.outcomes[0].rank is None


def test_a_whole_clip_case_matches_any_moment_of_its_video() -> None:
    report = evaluate([clip("q", "a.mp4")], fake({"q": [hit("a.mp4", 300, 305)]}))

    assert report.outcomes[0].rank == 1


def test_relative_paths_are_matched_under_the_root() -> None:
    case = Case(query="q", video="nested/a.mp4", start=None, end=None, kind="clip")
    ranker = fake({"q": [hit("other/a.mp4"), hit("nested/a.mp4")]})

    assert evaluate([case], ranker, root=LIB).outcomes[0].rank == 2
    assert evaluate([case], ranker, root=Path("/elsewhere")).outcomes[0].rank is None


def test_midpoint_inside_needs_the_top_hit_centred_in_the_range() -> None:
    cases = [moment("centred", "a.mp4", 10, 20), moment("edge", "a.mp4", 10, 20), moment("missed", "a.mp4", 10, 20)]
    ranker = fake(
        {
            "centred": [hit("a.mp4", 12, 16)],
            "edge": [hit("a.mp4", 18, 40)],  # overlaps, midpoint 29 s is outside
            "missed": [hit("b.mp4", 12, 16)],
        }
    )

    report = evaluate(cases, ranker)

    assert report.metric("all", "R@1") == pytest.approx(2 / 3)
    assert report.metric("all", "mid-in") == pytest.approx(1 / 3)
    assert [o.midpoint_inside for o in report.outcomes] == [True, False, None]


def test_clip_only_cases_have_no_midpoint_rate() -> None:
    report = evaluate([clip("q", "a.mp4")], fake({"q": [hit("a.mp4")]}))

    assert report.metric("clip", "mid-in") is None


def test_off_topic_queries_count_as_rejected_only_when_nothing_comes_back() -> None:
    cases = [off_topic("quiet"), off_topic("noisy"), clip("q", "a.mp4")]
    ranker = fake({"noisy": [hit("a.mp4")], "q": [hit("a.mp4")]})

    report = evaluate(cases, ranker)

    assert report.off_topic is not None
    assert report.off_topic.n == 2
    assert report.metric("off-topic", "rejected") == 0.5
    assert report.metric("all", "n") == 1  # off-topic cases stay out of the recall rows
    assert report.metric("all", "R@1") == 1.0


def test_each_kind_gets_its_own_row_and_all_covers_them() -> None:
    cases = [clip("c", "a.mp4"), moment("m", "a.mp4", 0, 2, kind="speech")]
    report = evaluate(cases, fake({"c": [hit("a.mp4")], "m": [hit("b.mp4")]}))

    assert [row.kind for row in report.rows] == ["clip", "speech", "all"]
    assert report.metric("clip", "R@1") == 1.0
    assert report.metric("speech", "R@1") == 0.0
    assert report.metric("all", "R@1") == 0.5
    assert report.metric("visual", "R@1") is None


def test_csv_cases_are_whole_clips_matched_by_video_id(tmp_path: Path) -> None:
    path = tmp_path / "msrvtt.csv"
    path.write_text("key,vid_key,video_id,sentence\nret0,msr7,video7,a man is singing\nret1,msr8,video8,a cat\n")

    cases = load_cases(path)
    report = evaluate(cases, fake({"a man is singing": [hit("video7.mp4", 0, 1)], "a cat": [hit("video9.mp4")]}))

    assert cases[0] == Case(query="a man is singing", video="video7", start=None, end=None, kind="clip")
    assert [o.rank for o in report.outcomes] == [1, None]


def test_csv_accepts_video_and_caption_columns(tmp_path: Path) -> None:
    path = tmp_path / "cases.csv"
    path.write_text("video,caption\nclip1,dog runs\n")

    assert load_cases(path) == [Case(query="dog runs", video="clip1", start=None, end=None, kind="clip")]


def test_csv_without_the_needed_columns_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "cases.csv"
    path.write_text("name,text\nclip1,dog runs\n")

    with pytest.raises(EvalError, match="video_id") as info:
        load_cases(path)
    assert info.value.path == path


def test_jsonl_cases_skip_blank_lines_and_extra_keys(tmp_path: Path) -> None:
    path = tmp_path / "cases.jsonl"
    lines = [
        {"query": "red shot", "video": "colours.mp4", "start": 0, "end": 4, "kind": "visual", "note": "x"},
        {},
        {"query": "a recipe for soup", "video": None, "start": None, "end": None, "kind": "off-topic"},
    ]
    path.write_text("\n".join("" if not obj else json.dumps(obj) for obj in lines) + "\n")

    assert load_cases(path) == [
        Case(query="red shot", video="colours.mp4", start=0.0, end=4.0, kind="visual"),
        Case(query="a recipe for soup", video=None, start=None, end=None, kind="off-topic"),
    ]


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ('{"query": "x", "video": "a.mp4"', "not JSON"),
        ('{"video": "a.mp4"}', "query"),
        ('{"query": "x", "video": "a.mp4", "start": "ten", "end": 20}', "start"),
        ('{"query": "x", "video": "a.mp4", "start": 20, "end": 10}', "after end"),
        ('["query", "x"]', "object"),
    ],
)
def test_a_bad_jsonl_line_is_named(tmp_path: Path, bad: str, reason: str) -> None:
    path = tmp_path / "cases.jsonl"
    path.write_text('{"query": "fine", "video": "a.mp4", "start": 1, "end": 2, "kind": "moment"}\n\n' + bad + "\n")

    with pytest.raises(EvalError, match=reason) as info:
        load_cases(path)
    assert info.value.line == 3
    assert f"{path}:3" in str(info.value)


def test_an_empty_or_unknown_cases_file_is_refused(tmp_path: Path) -> None:
    empty, other = tmp_path / "cases.jsonl", tmp_path / "cases.txt"
    empty.write_text("\n")
    other.write_text("x")

    with pytest.raises(EvalError, match="no cases"):
        load_cases(empty)
    with pytest.raises(EvalError, match="unsupported"):
        load_cases(other)


def sample_report() -> Report:
    cases = [moment("m1", "a.mp4", 10, 20), moment("m2", "a.mp4", 10, 20), clip("c", "b.mp4"), off_topic("o")]
    ranker = fake({"m1": [hit("a.mp4", 12, 14)], "m2": [hit("b.mp4"), hit("a.mp4", 15, 25)], "c": [hit("b.mp4")]})
    return evaluate(cases, ranker)


def test_table_shows_each_kind_all_and_off_topic_rejection() -> None:
    lines = sample_report().table().splitlines()

    assert lines[0].split() == ["kind", "n", "R@1", "R@5", "R@10", "MRR", "nDCG@10", "mid-in"]
    assert lines[1].split() == ["clip", "1", "1.000", "1.000", "1.000", "1.000", "1.000", "-"]
    assert lines[2].split() == ["moment", "2", "0.500", "1.000", "1.000", "0.750", "0.815", "0.500"]
    assert lines[3].split()[:3] == ["all", "3", "0.667"]
    assert "off-topic" in lines[4] and "n=1" in lines[4] and "rejected=1.000" in lines[4]
    assert len({len(line) for line in lines[:4]}) == 1  # columns aligned


def test_json_report_holds_the_scores_and_every_case() -> None:
    data = json.loads(json.dumps(sample_report().to_json()))

    assert data["kinds"]["moment"]["R@1"] == 0.5
    assert data["kinds"]["all"]["n"] == 3
    assert data["kinds"]["clip"]["mid-in"] is None
    assert data["off_topic"] == {"n": 1, "rejected": 1.0}
    assert [c["rank"] for c in data["cases"]] == [1, 2, 1, None]


def test_side_by_side_compares_modalities_with_a_metric_per_kind() -> None:
    cases = [clip("c", "a.mp4"), moment("m", "a.mp4", 10, 20, kind="speech"), off_topic("o")]
    speech = evaluate(cases, fake({"c": [hit("b.mp4"), hit("a.mp4")], "m": [hit("a.mp4", 11, 19)]}))
    fused = evaluate(cases, fake({"c": [hit("a.mp4")], "m": [hit("a.mp4", 11, 40)], "o": [hit("a.mp4")]}))

    lines = side_by_side({"speech": speech, "fused": fused}, per_kind={"speech": "mid-in", "all": "MRR"}).splitlines()

    assert lines[0].split() == ["kind", "metric", "speech", "fused"]
    assert lines[1].split() == ["clip", "R@1", "0.000", "1.000"]
    assert lines[2].split() == ["speech", "mid-in", "1.000", "0.000"]
    assert lines[3].split() == ["all", "MRR", "0.750", "1.000"]
    assert lines[4].split() == ["off-topic", "rejected", "1.000", "0.000"]


def test_side_by_side_refuses_an_unknown_metric() -> None:
    with pytest.raises(ValueError, match="R@3"):
        side_by_side({"fused": sample_report()}, metric="R@3")


def off(query: str, kind: str) -> Case:
    return Case(query=query, video=None, start=None, end=None, kind=kind)


def multilingual_report() -> Report:
    cases = [
        moment("it1", "a.mp4", 0, 10, kind="same:it"),
        moment("it2", "a.mp4", 0, 10, kind="same:it"),
        moment("ru1", "b.mp4", 0, 10, kind="same:ru"),
        moment("en-it", "a.mp4", 0, 10, kind="cross:en-it"),
        clip("c", "a.mp4"),
        off("o-en", "offtopic"),
        off("o-it", "offtopic:it"),
        off("o-ru1", "offtopic:ru"),
        off("o-ru2", "offtopic:ru"),
    ]
    answers = {"it1": [hit("a.mp4", 2, 4)], "ru1": [hit("a.mp4")], "en-it": [hit("b.mp4"), hit("a.mp4", 1, 3)]}
    answers |= {"c": [hit("a.mp4")], "o-it": [hit("a.mp4")], "o-ru1": [hit("b.mp4")]}
    return evaluate(cases, fake(answers))


def test_kinds_with_a_colon_also_count_in_a_group_row_after_them() -> None:
    report = multilingual_report()

    kinds = [row.kind for row in report.rows]
    assert kinds == ["clip", "cross:en-it", "cross:*", "same:it", "same:ru", "same:*", "all"]
    assert report.metric("same:it", "R@1") == 0.5
    assert report.metric("same:ru", "R@1") == 0.0
    assert report.metric("same:*", "n") == 3
    assert report.metric("same:*", "R@1") == pytest.approx(1 / 3)
    assert report.metric("cross:*", "MRR") == 0.5
    assert report.metric("all", "n") == 5  # a group row counts no case twice in "all"


def test_off_topic_rejection_is_shown_per_kind_when_there_are_several() -> None:
    report = multilingual_report()

    lines = report.table().splitlines()

    assert [line.split() for line in lines[-5:]] == [
        ["off-topic:", "n=4", "rejected=0.500"],
        ["offtopic:", "n=1", "rejected=1.000"],
        ["offtopic:it:", "n=1", "rejected=0.000"],
        ["offtopic:ru:", "n=2", "rejected=0.500"],
        ["offtopic:*:", "n=3", "rejected=0.333"],
    ]
    assert report.metric("off-topic", "rejected") == 0.5
    assert report.metric("offtopic:ru", "rejected") == 0.5
    assert report.metric("offtopic:*", "n") == 3
    assert report.metric("offtopic:es", "rejected") is None


def test_one_off_topic_kind_keeps_the_single_rejection_line_and_json() -> None:
    cases = [clip("c", "a.mp4"), off("o1", "offtopic"), off("o2", "offtopic")]
    report = evaluate(cases, fake({"c": [hit("a.mp4")], "o1": [hit("a.mp4")]}))

    lines = report.table().splitlines()
    data = report.to_json()

    assert lines[-1].split() == ["off-topic:", "n=2", "rejected=0.500"]
    assert not any(line.startswith("offtopic") for line in lines)
    assert "off_topic_kinds" not in data
    assert list(data["kinds"]) == ["clip", "all"]
    assert report.metric("offtopic", "rejected") == 0.5  # the one kind is the whole


def test_json_report_holds_group_rows_and_off_topic_kinds() -> None:
    data = json.loads(json.dumps(multilingual_report().to_json()))

    assert data["kinds"]["same:*"]["n"] == 3
    assert data["kinds"]["cross:*"]["R@5"] == 1.0
    assert data["off_topic"] == {"n": 4, "rejected": 0.5}
    assert data["off_topic_kinds"] == {
        "offtopic": {"n": 1, "rejected": 1.0},
        "offtopic:it": {"n": 1, "rejected": 0.0},
        "offtopic:ru": {"n": 2, "rejected": 0.5},
        "offtopic:*": {"n": 3, "rejected": 0.3333},
    }


def test_side_by_side_shows_group_rows_and_off_topic_kinds() -> None:
    fused = multilingual_report()
    speech = evaluate([moment("it1", "a.mp4", 0, 10, kind="same:it"), off("o-it", "offtopic:it")], fake({}))

    lines = side_by_side({"speech": speech, "fused": fused}, per_kind={"same:*": "R@5"}).splitlines()

    assert [line.split()[:2] for line in lines[1:]] == [
        ["clip", "R@1"],
        ["cross:en-it", "R@1"],
        ["cross:*", "R@1"],
        ["same:it", "R@1"],
        ["same:ru", "R@1"],
        ["same:*", "R@5"],
        ["all", "R@1"],
        ["off-topic", "rejected"],
        ["offtopic", "rejected"],
        ["offtopic:it", "rejected"],
        ["offtopic:ru", "rejected"],
        ["offtopic:*", "rejected"],
    ]
    assert lines[6].split()[2:] == ["0.000", "0.333"]
    assert lines[-3].split()[2:] == ["1.000", "0.000"]
    assert lines[-2].split()[2:] == ["-", "0.500"]
