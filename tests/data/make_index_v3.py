"""Makes tests/data/index-v3.db: an index of schema version 3 (vidsearch at commit 4a2d8a1, before
the CJK pair index), with spans in English, Italian, Russian and Chinese and no models (no vector
files). Run it with that version's code: `git worktree add /tmp/v3 4a2d8a1 && PYTHONPATH=/tmp/v3
python tests/data/make_index_v3.py tests/data/index-v3.db`. tests/test_languages.py opens a copy."""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from indexer.types import IndexedVideo, Modality, TextSpan, VideoInfo
from search.db import SCHEMA_VERSION
from search.store import Store

VIDEOS = {
    "/library/news.mp4": ("en", [("speech", "The central bank raised interest rates."), ("audio", "Dog")]),
    "/library/partita.mp4": (
        "it",
        [("speech", "Ieri sera abbiamo visto la partita di calcio."), ("ocr", "PREVISIONI")],
    ),
    "/library/match.mp4": ("ru", [("speech", "После матча игроки ушли домой.")]),
    "/library/station.mp4": ("zh", [("speech", "我在北京火车站等你。"), ("ocr", "北京火车站")]),
}


def main(target: Path) -> None:
    assert SCHEMA_VERSION == "3", "run with the code of schema version 3"
    with tempfile.TemporaryDirectory() as scratch:
        store = Store.open(Path(scratch), create=True)
        for path, (language, said) in VIDEOS.items():
            spans = tuple(TextSpan(Modality(kind), 1.0, 3.0, words, 0.9) for kind, words in said)
            info = VideoInfo(Path(path), 10.0, 25.0, 64, 48, 0, True, "h264")
            modalities = tuple(dict.fromkeys(span.modality for span in spans))
            store.put(IndexedVideo(info, "hash", 100, 1.0, (), (), modalities, spans, None, language))
        store.save()
        store.close()
        shutil.copyfile(Path(scratch) / "index.db", target)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
