"""Retrieval quality on labelled queries: load cases, run a ranker over them, report recall and ranks.

A case is a query with the video (and optionally the [start, end] seconds) it should find, or with no
video at all when it is off-topic and should find nothing. A ranker is any callable from a query to
best-first hits, so each modality alone and the fused search can be scored the same way.

Metrics over the cases that name a video (per kind, and over all as "all"):

- R@n: fraction of cases with a matching hit among the first n (None when n exceeds the run's k).
- MRR: mean of 1/rank of the first matching hit, 0 when none is within k.
- nDCG@10: binary relevance where only the first matching hit counts, so the ideal DCG is 1 and
  a case scores 1/log2(rank + 1) when rank <= 10, else 0.
- mid-in: over the cases with a time range, the fraction whose top hit is the right video and has
  its midpoint ((start + end) / 2 seconds) inside the case's [start, end]; None when no case has one.

Off-topic cases (no video) are reported apart: n and "rejected", the fraction that returned no hits;
when they come in more than one kind (e.g. "offtopic" and "offtopic:it"), also per kind.

A kind with a ':' (e.g. "same:it", "cross:en-ru") also counts in a group row named after the part before
the ':' ("same:*", "cross:*"), placed after the group's last kind; off-topic kinds are grouped alike.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from search.types import Hit

OFF_TOPIC = "off-topic"
"""The row name of the off-topic cases (no video) in tables and side-by-side comparisons."""

ALL = "all"
"""The row name of all the cases that name a video."""

METRICS = ("n", "R@1", "R@5", "R@10", "MRR", "nDCG@10", "mid-in")
"""Columns of a kind's row, in table order; `REJECTED` is the off-topic row's one metric."""

REJECTED = "rejected"
GROUP = ":*"
"""The suffix of a group row: "same:*" counts every case of a kind "same:<anything>"."""
CUTOFFS = {"R@1": 1, "R@5": 5, "R@10": 10, "nDCG@10": 10}
"""The rank cutoff each metric needs; a run with a smaller k reports it as None."""

VIDEO_COLUMNS = ("video_id", "video")
QUERY_COLUMNS = ("sentence", "caption", "query")


class EvalError(Exception):
    """A cases file that cannot be read; names the file and, where known, the 1-based line."""

    def __init__(self, path: Path, line: int | None, reason: str) -> None:
        where = f"{path}:{line}" if line is not None else str(path)
        super().__init__(f"{where}: {reason}")
        self.path = path
        self.line = line
        self.reason = reason


@dataclass(frozen=True)
class Case:
    """A labelled query. `video` is a path relative to the library root, a file name, or a video id
    (file stem); None means off-topic. `start`/`end` are seconds; None on both means the whole clip."""

    query: str
    video: str | None
    start: float | None
    end: float | None
    kind: str

    def __post_init__(self) -> None:
        if self.start is not None and self.end is not None and self.start > self.end:
            raise ValueError(f"case {self.query!r}: start {self.start} s is after end {self.end} s")

    @property
    def timed(self) -> bool:
        """Whether the case names a time range (either bound), not just a clip."""
        return self.start is not None or self.end is not None


@dataclass(frozen=True)
class Outcome:
    """One case's result: `rank` of the first matching hit (1-based, None when none within k),
    `hits` returned (at most k), and `midpoint_inside`: whether the top hit's midpoint lies in the
    case's range, None unless the case is timed and the top hit is of the right video."""

    case: Case
    rank: int | None
    hits: int
    midpoint_inside: bool | None


@dataclass(frozen=True)
class KindScores:
    """Metrics over the cases of one kind that name a video (see the module docstring)."""

    kind: str
    n: int
    values: tuple[tuple[str, float | None], ...]

    def get(self, metric: str) -> float | None:
        if metric == "n":
            return float(self.n)
        return dict(self.values)[metric]


@dataclass(frozen=True)
class Rejection:
    """Off-topic cases: `n` of them, `rejected` the fraction that returned no hits; `kind` the kind (or
    group) they are, OFF_TOPIC for all of them."""

    n: int
    rejected: float
    kind: str = OFF_TOPIC


# --- loading ------------------------------------------------------------------------------------


def load_cases(path: Path) -> list[Case]:
    """Cases from a `.jsonl` file (one object a line) or an MSR-VTT style `.csv` (whole-clip cases)."""
    suffix = path.suffix.lower()
    if suffix not in (".jsonl", ".csv"):
        raise EvalError(path, None, f"unsupported cases file type {path.suffix!r} (use .jsonl or .csv)")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise EvalError(path, None, f"cannot read: {exc}") from exc
    cases = _jsonl_cases(path, text) if suffix == ".jsonl" else _csv_cases(path, text)
    if not cases:
        raise EvalError(path, None, "no cases")
    return cases


def _jsonl_cases(path: Path, text: str) -> list[Case]:
    cases = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            cases.append(_case_from_json(json.loads(line)))
        except json.JSONDecodeError as exc:
            raise EvalError(path, number, f"not JSON: {exc.msg} at column {exc.colno}") from exc
        except ValueError as exc:
            raise EvalError(path, number, str(exc)) from exc
    return cases


def _case_from_json(obj: Any) -> Case:
    """A case from one decoded JSONL object; ValueError says what is wrong with it. A missing kind
    defaults to "moment" (timed), "clip" (whole clip) or "off-topic" (no video)."""
    if not isinstance(obj, dict):
        raise ValueError(f"expected a JSON object, got {type(obj).__name__}")
    query = obj.get("query")
    if not isinstance(query, str) or not query.strip():
        raise ValueError("'query' must be a non-empty string")
    video = obj.get("video")
    if video is not None and (not isinstance(video, str) or not video.strip()):
        raise ValueError("'video' must be a non-empty string or null")
    start, end = _seconds(obj, "start"), _seconds(obj, "end")
    if video is None:
        start = end = None  # an off-topic case has no answer, so any times it carries mean nothing
    if start is not None and end is not None and start > end:
        raise ValueError(f"start {start} s is after end {end} s")
    default = OFF_TOPIC if video is None else "moment" if start is not None or end is not None else "clip"
    kind = obj.get("kind", default)
    if not isinstance(kind, str) or not kind.strip():
        raise ValueError("'kind' must be a non-empty string")
    if kind.strip() == OFF_TOPIC and video is not None:
        raise ValueError(f"kind {OFF_TOPIC!r} is for cases with video null")
    return Case(query=query.strip(), video=video, start=start, end=end, kind=kind.strip())


def _seconds(obj: Mapping[str, Any], key: str) -> float | None:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"'{key}' must be a number of seconds or null, not {value!r}")
    return float(value)


def _csv_cases(path: Path, text: str) -> list[Case]:
    reader = csv.DictReader(text.splitlines())
    header = {name.strip().lower(): name for name in reader.fieldnames or []}
    video_col = next((header[c] for c in VIDEO_COLUMNS if c in header), None)
    query_col = next((header[c] for c in QUERY_COLUMNS if c in header), None)
    if video_col is None or query_col is None:
        wanted = f"one of {', '.join(VIDEO_COLUMNS)} and one of {', '.join(QUERY_COLUMNS)}"
        raise EvalError(path, 1, f"header must have {wanted}; found {', '.join(header) or 'nothing'}")
    cases = []
    for row in reader:
        video, query = (row.get(video_col) or "").strip(), (row.get(query_col) or "").strip()
        if not video or not query:
            raise EvalError(path, reader.line_num, f"empty {video_col if not video else query_col}")
        cases.append(Case(query=query, video=video, start=None, end=None, kind="clip"))
    return cases


# --- matching -----------------------------------------------------------------------------------


def video_matches(case_video: str, hit_video: Path, root: Path | None = None) -> bool:
    """Whether a case's video names a hit's file: a bare name equal to the file name or stem (video
    id), or a path equal to the file's path relative to `root`, or to the file's path itself."""
    wanted = PurePosixPath(case_video)
    if len(wanted.parts) == 1:
        return case_video in (hit_video.name, hit_video.stem)
    if wanted == PurePosixPath(hit_video.as_posix()):
        return True
    if root is None:
        return False
    for path, base in ((hit_video, root), (hit_video.resolve(), root.resolve())):
        if path.is_relative_to(base):
            return wanted == PurePosixPath(path.relative_to(base).as_posix())
    return False


def hit_matches(case: Case, hit: Hit, root: Path | None = None) -> bool:
    """Right video and overlapping time: hit.start < case.end and hit.end > case.start (seconds), so
    ranges that only touch do not match; a missing bound is open, a whole-clip case needs the video."""
    if case.video is None or not video_matches(case.video, hit.video, root):
        return False
    start = -math.inf if case.start is None else case.start
    end = math.inf if case.end is None else case.end
    return hit.start < end and hit.end > start


def _midpoint_inside(case: Case, hit: Hit, root: Path | None) -> bool | None:
    if case.video is None or not case.timed or not video_matches(case.video, hit.video, root):
        return None
    start = -math.inf if case.start is None else case.start
    end = math.inf if case.end is None else case.end
    return start <= (hit.start + hit.end) / 2 <= end


# --- evaluating ---------------------------------------------------------------------------------


def evaluate(
    cases: Sequence[Case],
    ranker: Callable[[str], Sequence[Hit]],
    root: Path | None = None,
    k: int = 10,
) -> Report:
    """Run `ranker` once per case (best-first hits; only the first `k` count) and score the ranks.
    `root` is the library folder that case videos given as relative paths are relative to."""
    if k < 1:
        raise ValueError(f"k must be at least 1, not {k}")
    outcomes = []
    for case in cases:
        hits = list(ranker(case.query))[:k]
        rank = next((i for i, hit in enumerate(hits, start=1) if hit_matches(case, hit, root)), None)
        inside = _midpoint_inside(case, hits[0], root) if hits else None
        outcomes.append(Outcome(case=case, rank=rank, hits=len(hits), midpoint_inside=inside))
    return Report.from_outcomes(outcomes, k)


def group_of(kind: str) -> str | None:
    """The group row a kind also counts in ("same:it" -> "same:*"), or None for a kind without a ':'."""
    prefix, colon, _ = kind.partition(":")
    return f"{prefix}{GROUP}" if colon and prefix and kind != f"{prefix}{GROUP}" else None


def grouped(kinds: Iterable[str]) -> list[str]:
    """`kinds` sorted, each group row (see `group_of`) after the last kind of its group."""
    ordered = sorted(set(kinds))
    rows: list[str] = []
    for kind, following in zip(ordered, [*ordered[1:], None]):
        rows.append(kind)
        group = group_of(kind)
        if group is not None and (following is None or group_of(following) != group):
            rows.append(group)
    return rows


def _members(row: str, outcomes: Sequence[Outcome]) -> list[Outcome]:
    """The outcomes a row counts: of kind `row`, or of the group `row` names."""
    return [o for o in outcomes if o.case.kind == row or group_of(o.case.kind) == row]


def _rejection(kind: str, outcomes: Sequence[Outcome]) -> Rejection:
    return Rejection(n=len(outcomes), rejected=sum(o.hits == 0 for o in outcomes) / len(outcomes), kind=kind)


def _scores(kind: str, outcomes: Sequence[Outcome], k: int) -> KindScores:
    n = len(outcomes)
    ranks = [o.rank for o in outcomes]

    def mean(values: Iterable[float]) -> float:
        return sum(values) / n

    def within(cutoff: int) -> float | None:
        return None if cutoff > k else mean(1.0 if r is not None and r <= cutoff else 0.0 for r in ranks)

    ndcg = mean(1 / math.log2(r + 1) if r is not None and r <= 10 else 0.0 for r in ranks)
    timed = [o for o in outcomes if o.case.timed]
    mid_in = sum(o.midpoint_inside is True for o in timed) / len(timed) if timed else None
    values = (
        ("R@1", within(1)),
        ("R@5", within(5)),
        ("R@10", within(10)),
        ("MRR", mean(1 / r if r is not None else 0.0 for r in ranks)),
        ("nDCG@10", None if CUTOFFS["nDCG@10"] > k else ndcg),
        ("mid-in", mid_in),
    )
    return KindScores(kind=kind, n=n, values=values)


@dataclass(frozen=True)
class Report:
    """Scores of one run: `rows` per kind (sorted, group rows after their kinds) then "all", over cases
    naming a video; `off_topic` for cases with none (None when there were none); `off_topic_kinds` for
    them per kind and group, in the same order; `outcomes` per case, in order."""

    k: int
    rows: tuple[KindScores, ...]
    off_topic: Rejection | None
    outcomes: tuple[Outcome, ...]
    off_topic_kinds: tuple[Rejection, ...] = ()

    @classmethod
    def from_outcomes(cls, outcomes: Sequence[Outcome], k: int) -> Report:
        on_topic = [o for o in outcomes if o.case.video is not None]
        off = [o for o in outcomes if o.case.video is None]
        rows = [_scores(row, _members(row, on_topic), k) for row in grouped(o.case.kind for o in on_topic)]
        if on_topic:
            rows.append(_scores(ALL, on_topic, k))
        rejection = _rejection(OFF_TOPIC, off) if off else None
        by_kind = tuple(_rejection(row, _members(row, off)) for row in grouped(o.case.kind for o in off))
        return cls(k=k, rows=tuple(rows), off_topic=rejection, outcomes=tuple(outcomes), off_topic_kinds=by_kind)

    @property
    def shown_off_topic_kinds(self) -> tuple[Rejection, ...]:
        """The per-kind off-topic rows that tables and JSON show: all of them when the off-topic cases
        come in more than one kind, none otherwise (the overall row says it all)."""
        return self.off_topic_kinds if len({o.case.kind for o in self.outcomes if o.case.video is None}) > 1 else ()

    def metric(self, kind: str, metric: str) -> float | None:
        """One number: `metric` (one of METRICS) of the row `kind`, or REJECTED (or n) of OFF_TOPIC or of
        an off-topic kind or group (e.g. "offtopic:it", "offtopic:*"). None when the run has no such cases
        or the metric does not apply."""
        row = next((r for r in self.rows if r.kind == kind), None)
        rejection = (
            self.off_topic if kind == OFF_TOPIC else next((r for r in self.off_topic_kinds if r.kind == kind), None)
        )
        if metric == REJECTED or kind == OFF_TOPIC or (row is None and rejection is not None):
            if metric not in (REJECTED, "n"):
                raise ValueError(f"the {OFF_TOPIC} rows have only n and {REJECTED}, not {metric!r}")
            if rejection is None:
                return None
            return float(rejection.n) if metric == "n" else rejection.rejected
        if metric not in METRICS:
            raise ValueError(f"unknown metric {metric!r}; one of {', '.join((*METRICS, REJECTED))}")
        return None if row is None else row.get(metric)

    def table(self) -> str:
        """An aligned plain-text table: one row per kind (and group) and "all"; a line for off-topic
        rejection, then one per off-topic kind (and group) when there are several."""
        body = [[row.kind, str(row.n), *(_number(row.get(m)) for m in METRICS[1:])] for row in self.rows]
        lines = _align([["kind", *METRICS], *body]) if body else ["no cases naming a video"]
        for rejection in (self.off_topic, *self.shown_off_topic_kinds) if self.off_topic is not None else ():
            lines.append(f"{rejection.kind}: n={rejection.n}  {REJECTED}={_number(rejection.rejected)}")
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        """The scores, and each case's outcome, as JSON-ready values (floats rounded to 4 places);
        "off_topic_kinds" only when the off-topic cases come in more than one kind."""
        data = {
            "k": self.k,
            "kinds": {row.kind: _row_json(row) for row in self.rows},
            "off_topic": None if self.off_topic is None else _rejection_json(self.off_topic),
        }
        if shown := self.shown_off_topic_kinds:
            data["off_topic_kinds"] = {rejection.kind: _rejection_json(rejection) for rejection in shown}
        return data | {"cases": [_outcome_json(o) for o in self.outcomes]}


def _rejection_json(rejection: Rejection) -> dict[str, Any]:
    return {"n": rejection.n, REJECTED: round(rejection.rejected, 4)}


def _row_json(row: KindScores) -> dict[str, Any]:
    return {"n": row.n, **{name: None if v is None else round(v, 4) for name, v in row.values}}


def _outcome_json(outcome: Outcome) -> dict[str, Any]:
    case = outcome.case
    return {
        "query": case.query,
        "video": case.video,
        "start": case.start,
        "end": case.end,
        "kind": case.kind,
        "rank": outcome.rank,
        "hits": outcome.hits,
        "midpoint_inside": outcome.midpoint_inside,
    }


# --- formatting ---------------------------------------------------------------------------------


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _cell(value: float | None, metric: str) -> str:
    """A metric's value as a table cell: counts as integers, fractions to 3 places, "-" for None."""
    return str(int(value)) if metric == "n" and value is not None else _number(value)


def _align(rows: Sequence[Sequence[str]]) -> list[str]:
    """Rows of cells as lines: the first column left-aligned, the others right-aligned."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [row[0].ljust(widths[0]), *(cell.rjust(w) for cell, w in zip(row[1:], widths[1:]))]
        lines.append("  ".join(cells).rstrip())
    return lines


def side_by_side(
    reports: Mapping[str, Report],
    metric: str = "R@1",
    per_kind: Mapping[str, str] | None = None,
) -> str:
    """One row per kind and group (then "all", then off-topic rejection when any report has it, then per
    off-topic kind and group when a report shows them), one column per report (e.g. "speech", "ocr",
    "audio", "visual", "fused"). `per_kind` picks a kind's metric (e.g. {"moment": "mid-in"}); other kinds
    use `metric`. "-" where a report has no such number."""
    for name in (metric, *(per_kind or {}).values()):
        if name not in METRICS and name != REJECTED:
            raise ValueError(f"unknown metric {name!r}; one of {', '.join((*METRICS, REJECTED))}")
    kinds = [kind for kind in _ordered(row.kind for r in reports.values() for row in r.rows) if kind != ALL]
    if any(r.rows for r in reports.values()):
        kinds.append(ALL)
    rows = [[kind, (per_kind or {}).get(kind, metric)] for kind in kinds]
    if any(r.off_topic is not None for r in reports.values()):
        rows.append([OFF_TOPIC, REJECTED])
    rows += [[kind, REJECTED] for kind in _ordered(x.kind for r in reports.values() for x in r.shown_off_topic_kinds)]
    body = [[kind, name, *(_cell(r.metric(kind, name), name) for r in reports.values())] for kind, name in rows]
    return "\n".join(_align([["kind", "metric", *reports], *body]))


def _ordered(rows: Iterable[str]) -> list[str]:
    """Row names (kinds and groups) in table order: sorted, each group after its group's kinds."""
    names = set(rows)
    return grouped(name for name in names if not name.endswith(GROUP)) if names else []
