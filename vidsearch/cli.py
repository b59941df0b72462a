"""The `vidsearch` command line. Errors become one-line messages here and nowhere else."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from pydantic import ValidationError

from indexer.errors import IndexerError
from search.errors import SearchError
from vidsearch.settings import MODALITIES, Settings

log = logging.getLogger("vidsearch")


class UsageError(Exception):
    """Bad command-line input, reported in one line with exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def _model_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--clip-model", help="open_clip architecture (default ViT-B-32) or model-config JSON file")
    parser.add_argument("--clip-pretrained", help="open_clip pretrained tag (default laion2b_s34b_b79k)")
    parser.add_argument("--clip-checkpoint", type=Path, help="local CLIP weights file")
    parser.add_argument("--device", help="auto (default), cpu, cuda, cuda:N")
    parser.add_argument("--offline", action="store_true", default=None, help="never download model weights")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="vidsearch", description="Find the moment in your videos by typing what you remember.")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging (-vv for debug)")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    index = commands.add_parser("index", help="index video files and folders (recursive)")
    index.add_argument("paths", nargs="+", type=Path)
    index.add_argument("--index", required=True, type=Path, help="index directory (created if needed)")
    index.add_argument("--json", action="store_true", help="end with a JSON summary line")
    index.add_argument("--modalities", help=f"comma-separated subset of {','.join(MODALITIES)}, or 'none'")
    index.add_argument("--max-segment", type=float, help="longest segment in seconds (default 10)")
    index.add_argument("--decoder", choices=["auto", "decord", "pyav"])
    _model_options(index)

    search = commands.add_parser("search", help="search an index by text")
    search.add_argument("query", nargs="?")
    search.add_argument("--queries-file", type=Path, help="one query per line; prints one JSON object per line")
    search.add_argument("--index", required=True, type=Path)
    search.add_argument("-k", type=int, default=10, help="number of moments (default 10)")
    search.add_argument("--json", action="store_true")
    _model_options(search)

    info = commands.add_parser("info", help="show what the index knows about a video")
    info.add_argument("video", type=Path)
    info.add_argument("--index", required=True, type=Path)
    info.add_argument("--json", action="store_true")

    remove = commands.add_parser("remove", help="drop videos (or every video under a folder) from the index")
    remove.add_argument("paths", nargs="+", type=Path)
    remove.add_argument("--index", required=True, type=Path)
    remove.add_argument("--json", action="store_true")

    stats = commands.add_parser("stats", help="what the index holds and which modalities are missing")
    stats.add_argument("--index", required=True, type=Path)
    stats.add_argument("--json", action="store_true")
    return parser


def settings_from(args: argparse.Namespace) -> Settings:
    """Environment (VIDSEARCH_*) overridden by the options given on the command line."""
    given: dict[str, Any] = {}
    for option in ("clip_model", "clip_pretrained", "clip_checkpoint", "device", "offline", "max_segment", "decoder"):
        value = getattr(args, option, None)
        if value is not None:
            given[option] = value
    modalities = getattr(args, "modalities", None)
    if modalities is not None:
        chosen = tuple(m.strip() for m in modalities.split(",") if m.strip() and m.strip() != "none")
        unknown = set(chosen) - set(MODALITIES)
        if unknown:
            raise UsageError(f"unknown modality {', '.join(sorted(unknown))}; choose from {', '.join(MODALITIES)}")
        given["modalities"] = chosen
    return Settings(**given)


def clock(seconds: float) -> str:
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes:02d}:{rest:02d}" if minutes < 60 else f"{minutes // 60}:{minutes % 60:02d}:{rest:02d}"


def _emit(data: dict[str, Any]) -> None:
    print(json.dumps(data, ensure_ascii=False), flush=True)


def cmd_index(args: argparse.Namespace, settings: Settings) -> int:
    from vidsearch.library import index_paths

    missing = [p for p in args.paths if not p.exists()]
    if missing:
        raise UsageError(f"no such file or folder: {missing[0]}")

    def tell(path: Path, outcome: str) -> None:
        if not args.json:
            print(f"{outcome:8} {path}", flush=True)

    report = index_paths(args.paths, args.index, settings, on_file=tell)
    summary = {
        "indexed": [str(p) for p in report.indexed],
        "skipped": [str(p) for p in report.skipped],
        "failed": [{"path": str(f.path), "error": f.error} for f in report.failed],
        "missing_modalities": [{"modality": m.modality, "reason": m.reason} for m in report.missing],
    }
    if args.json:
        _emit(summary)
    else:
        print(f"{len(report.indexed)} indexed, {len(report.skipped)} unchanged, {len(report.failed)} failed")
        for failure in report.failed:
            print(f"failed   {failure.path}: {failure.error}")
    return 1 if report.failed else 0


def _queries(args: argparse.Namespace) -> list[str]:
    if args.queries_file is not None:
        if not args.queries_file.is_file():
            raise UsageError(f"no such queries file: {args.queries_file}")
        return [line.strip() for line in args.queries_file.read_text().splitlines() if line.strip()]
    if not args.query or not args.query.strip():
        raise UsageError("give a QUERY or --queries-file FILE")
    return [args.query.strip()]


def cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    from search import VideoSearch

    queries = _queries(args)
    if args.k < 1:
        raise UsageError("-k must be at least 1")
    with VideoSearch(args.index, settings) as engine:
        for query in queries:
            hits = engine.search(query, args.k)
            if args.json:
                _emit({"query": query, "hits": [hit.to_json() for hit in hits]})
                continue
            if len(queries) > 1:
                print(f"{query}:")
            if not hits:
                print("  no matching moments")
            for hit in hits:
                why = ", ".join(f"{e.modality} {e.score:.3f} at {clock(e.time)}" for e in hit.evidence)
                print(f"{hit.video}  {clock(hit.start)}–{clock(hit.end)}  {hit.score:.3f}  {why}")
    return 0


def cmd_info(args: argparse.Namespace, settings: Settings) -> int:
    from search import VideoSearch

    with VideoSearch(args.index, settings) as engine:
        video, segments = engine.info(args.video)
    if args.json:
        _emit(
            {
                "video": str(video.path),
                "duration": round(video.duration, 3),
                "fps": round(video.fps, 3),
                "width": video.width,
                "height": video.height,
                "content_hash": video.content_hash,
                "segments": [{"id": s.id, "start": round(s.start, 3), "end": round(s.end, 3)} for s in segments],
            }
        )
    else:
        print(f"{video.path}  {clock(video.duration)}  {video.width}x{video.height}  {video.fps:.2f} fps")
        for s in segments:
            print(f"  {s.start:9.3f}–{s.end:9.3f} s  ({clock(s.start)}–{clock(s.end)})")
    return 0


def cmd_remove(args: argparse.Namespace, settings: Settings) -> int:
    from vidsearch.library import remove_paths

    removed, missing = remove_paths(args.paths, args.index)
    if args.json:
        _emit({"removed": [str(p) for p in removed], "not_indexed": [str(p) for p in missing]})
    else:
        for path in removed:
            print(f"removed  {path}")
        for path in missing:
            print(f"not in index  {path}")
    return 1 if missing else 0


def cmd_stats(args: argparse.Namespace, settings: Settings) -> int:
    from search import VideoSearch

    with VideoSearch(args.index, settings) as engine:
        stats = engine.stats()
    models = [
        {"modality": m.modality, "model": m.model, "available": m.available, "reason": m.reason} for m in stats.models
    ]
    if args.json:
        _emit(
            {
                "videos": stats.videos,
                "segments": stats.segments,
                "keyframes": stats.keyframes,
                "hours": round(stats.hours, 4),
                "modalities": models,
            }
        )
    else:
        print(f"{stats.videos} videos, {stats.hours:.2f} h, {stats.segments} segments, {stats.keyframes} keyframes")
        for m in stats.models:
            print(f"  {m.modality}: {m.model}" + ("" if m.available else f"  MISSING ({m.reason})"))
    return 0


COMMANDS = {"index": cmd_index, "search": cmd_search, "info": cmd_info, "remove": cmd_remove, "stats": cmd_stats}


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="vidsearch: %(message)s", stream=sys.stderr)
    try:
        args = build_parser().parse_args(argv)
        logging.getLogger().setLevel([logging.WARNING, logging.INFO, logging.DEBUG][min(args.verbose, 2)])
        return COMMANDS[args.command](args, settings_from(args))
    except UsageError as exc:
        print(f"vidsearch: error: {exc} (see vidsearch --help)", file=sys.stderr)
        return 2
    except ValidationError as exc:
        problem = exc.errors()[0]
        print(f"vidsearch: error: bad setting {'.'.join(map(str, problem['loc']))}: {problem['msg']}", file=sys.stderr)
        return 2
    except (SearchError, IndexerError) as exc:
        print(f"vidsearch: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("vidsearch: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
