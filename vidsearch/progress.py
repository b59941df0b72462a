"""The progress bar of `vidsearch index`: files done of all, video-hours done, ETA, current file.

The only module that imports tqdm. It draws on stderr only when stderr is a terminal (and the
run is not `--json`); otherwise each file's outcome is a plain line on stdout (or nothing).
"""

from __future__ import annotations

import sys
from typing import Any

from indexer.files import printable
from vidsearch.library import FileEvent

FINAL = frozenset({"indexed", "updated", "skipped", "failed", "interrupted"})


class Progress:
    """A FileEvent listener. Use as a context manager around the run; `quiet` prints nothing."""

    def __init__(self, total: int, quiet: bool = False) -> None:
        from tqdm import tqdm

        self.quiet = quiet
        self.hours = 0.0
        self.bar: Any = None
        if not quiet and sys.stderr.isatty():
            self.bar = tqdm(total=total, unit="file", dynamic_ncols=True, file=sys.stderr)

    def __call__(self, event: FileEvent) -> None:
        if event.outcome == "started":
            if self.bar is not None:
                self.bar.set_postfix_str(f"{self.hours:.2f} h of video · {printable(event.path.name)}", refresh=True)
            return
        if event.outcome not in FINAL:
            return
        self.hours += event.video_seconds / 3600
        line = f"{event.outcome:8} {printable(event.path)}" + (f": {printable(event.error)}" if event.error else "")
        if self.bar is not None:
            if event.outcome == "failed":
                self.bar.write(line, file=sys.stderr)
            self.bar.update(1)
        elif not self.quiet:
            print(line, flush=True)

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *_: object) -> None:
        if self.bar is not None:
            self.bar.close()
