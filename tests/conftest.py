"""Shared fixtures: synthetic media, a tiny random-weight CLIP, fake encoders, the ERROR-log guard."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest

from tests.media import Shot, shots_video

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("torch", "transformers", "sentence_transformers")


def heavy_imports_after(code: str) -> list[str]:
    """Which of HEAVY a fresh interpreter has imported after running `code` (with the repository
    on its path); the code's own failure fails the caller's test."""
    report = f"import json; print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))"
    script = f"import sys; sys.path.insert(0, {str(ROOT)!r})\n{code}\n{report}\n"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return list(json.loads(done.stdout.strip().splitlines()[-1]))


TINY_CLIP = ROOT / "tests" / "data" / "tiny-clip.json"


@pytest.fixture(autouse=True)
def no_error_logs(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Fail any test during which library code logged at ERROR or above."""
    yield
    errors = [r for r in caplog.get_records("call") if r.levelno >= logging.ERROR]
    assert not errors, f"ERROR logged: {[r.getMessage() for r in errors]}"


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reaches a network: weights come from local files or not at all."""
    monkeypatch.setenv("VIDSEARCH_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


def shared_media() -> Path:
    """../shared/media (or $VIDSEARCH_SHARED/media); tests using it skip when it is absent."""
    base = Path(os.environ.get("VIDSEARCH_SHARED", ROOT.parent / "shared"))
    media = base / "media"
    if not media.is_dir():
        pytest.skip(f"shared test media not found at {media}")
    return media


@pytest.fixture
def shared() -> Path:
    return shared_media()


COLOURED_SHOTS = (Shot("red", 4.0), Shot("blue", 3.0), Shot("green", 5.0))
"""Three shots; cuts at 4 s and 7 s; 12 s in all."""


@pytest.fixture(scope="session")
def coloured(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 12 s video of red, blue and green shots (hard cuts at 4 s and 7 s)."""
    path = tmp_path_factory.mktemp("media") / "colours.mp4"
    shots_video(path, COLOURED_SHOTS)
    return path


class ColourImages:
    """A deterministic fake image encoder: the chromatic part of the mean colour, as a unit 3-vector."""

    name = "fake:colour"
    dim = 3

    def encode(self, batch: Sequence[np.ndarray]) -> np.ndarray:
        means = np.array([img.reshape(-1, 3).mean(axis=0) for img in batch], np.float32).reshape(-1, 3)
        chroma = means - means.mean(axis=1, keepdims=True)
        return chroma / np.maximum(np.linalg.norm(chroma, axis=1, keepdims=True), 1e-6)


class ColourTexts:
    """The matching fake text encoder: a colour word becomes that colour's chromatic direction."""

    name = "fake:colour"
    dim = 3
    WORDS = {"red": (1.0, 0.0, 0.0), "green": (0.0, 1.0, 0.0), "blue": (0.0, 0.0, 1.0)}

    def encode(self, batch: Sequence[str]) -> np.ndarray:
        rows = []
        for text in batch:
            rgb = next((v for w, v in self.WORDS.items() if w in text.lower()), (1.0, 1.0, 1.0))
            rows.append(np.array(rgb, np.float32) - np.mean(rgb))
        out = np.array(rows, np.float32)
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-6)


@pytest.fixture
def colour_images() -> ColourImages:
    return ColourImages()


@pytest.fixture
def colour_texts() -> ColourTexts:
    return ColourTexts()


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A weights file of the tiny CLIP config, randomly initialised once (seeded) and saved, so the
    real checkpoint-loading path can be exercised end to end."""
    import open_clip
    import torch

    open_clip.add_model_config(TINY_CLIP)
    torch.manual_seed(0)
    model = open_clip.create_model("tiny-clip", pretrained=None)
    path = tmp_path_factory.mktemp("weights") / "tiny-clip.pt"
    torch.save(model.state_dict(), path)
    return path
