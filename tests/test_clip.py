"""The open_clip path with random-init tiny models: shapes, normalisation, determinism, loading."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from indexer.encoders.clip import ClipSpec, OpenClip
from indexer.errors import ModelUnavailable
from tests.conftest import TINY_CLIP


def images(n: int, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 255, (120, 200, 3), dtype=np.uint8) for _ in range(n)]


@pytest.fixture(scope="module")
def clip(tiny_checkpoint: Path) -> OpenClip:
    return OpenClip(ClipSpec(model=str(TINY_CLIP), checkpoint=tiny_checkpoint, device="cpu", batch_size=4))


def test_image_and_text_vectors_are_unit_float32_of_the_model_dim(clip: OpenClip) -> None:
    pictures = clip.images.encode(images(6))
    words = clip.texts.encode(["a red car at night", "a dog"])
    assert clip.dim == 32
    assert pictures.shape == (6, 32) and pictures.dtype == np.float32
    assert words.shape == (2, 32) and words.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(pictures, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(words, axis=1), 1.0, atol=1e-5)


def test_encoding_is_deterministic_and_independent_of_batching(clip: OpenClip) -> None:
    batch = images(5, seed=3)
    together = clip.images.encode(batch)
    one_by_one = np.concatenate([clip.images.encode([image]) for image in batch])
    np.testing.assert_allclose(together, one_by_one, atol=1e-5)
    np.testing.assert_array_equal(clip.texts.encode(["same"]), clip.texts.encode(["same"]))


def test_the_same_checkpoint_gives_the_same_name_and_vectors(clip: OpenClip, tiny_checkpoint: Path) -> None:
    again = OpenClip(ClipSpec(model=str(TINY_CLIP), checkpoint=tiny_checkpoint, device="cpu"))
    assert again.name == clip.name
    assert clip.name.startswith("open_clip:tiny-clip:sha256-")
    np.testing.assert_allclose(again.images.encode(images(2)), clip.images.encode(images(2)), atol=1e-5)


def test_missing_weights_offline_fail_fast_with_the_model_named() -> None:
    began = time.perf_counter()
    with pytest.raises(ModelUnavailable, match="ViT-B-32:laion2b_s34b_b79k") as caught:
        OpenClip(ClipSpec(offline=True)).load()
    assert time.perf_counter() - began < 5
    assert caught.value.modality == "visual"
    assert "cache" in caught.value.reason


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        (ClipSpec(model="No-Such-Net"), "unknown open_clip architecture"),
        (ClipSpec(model="ViT-B-32", pretrained="not-a-tag", offline=True), "unknown pretrained tag"),
        (ClipSpec(model=str(TINY_CLIP), checkpoint=Path("/nonexistent/w.pt")), "checkpoint file not found"),
    ],
)
def test_bad_model_choices_are_unavailable_not_random(spec: ClipSpec, reason: str) -> None:
    with pytest.raises(ModelUnavailable, match=reason):
        OpenClip(spec).load()


def test_random_weights_only_when_asked_for() -> None:
    clip = OpenClip(ClipSpec(model=str(TINY_CLIP), random_init=True, device="cpu"))
    assert clip.name == "open_clip:tiny-clip:random-init"
