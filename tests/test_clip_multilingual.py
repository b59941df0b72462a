"""A CLIP whose text tower is a Hugging Face transformers model (as the multilingual
`xlm-roberta-base-ViT-B-32`), chosen by a model-config JSON: a tiny random-weight XLM-RoBERTa and
tokenizer in a local directory, offline, through indexing and searching in other languages."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from indexer.encoders.clip import ClipSpec, OpenClip
from indexer.errors import ModelUnavailable
from indexer.types import Modality
from search.engine import VideoSearch
from tests.conftest import COLOURED_SHOTS, TINY_CLIP
from tests.hf_text import clip_config, tiny_text_tower
from vidsearch.cli import main
from vidsearch.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
QUERIES = ["un'auto rossa di notte", "夜晚的红色汽车", "a red car at night"]


@pytest.fixture(scope="module")
def multilingual(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(model-config JSON, seeded random checkpoint) of a tiny CLIP with an XLM-RoBERTa text tower."""
    import open_clip
    import torch

    folder = tmp_path_factory.mktemp("xlmr")
    config = clip_config(folder / "tiny-xlmr-clip.json", tiny_text_tower(folder / "tiny-xlm-roberta"))
    open_clip.add_model_config(config)
    torch.manual_seed(0)
    model = open_clip.create_model("tiny-xlmr-clip", pretrained=None, pretrained_text=False)
    checkpoint = folder / "tiny-xlmr-clip.pt"
    torch.save(model.state_dict(), checkpoint)
    return config, checkpoint


@pytest.fixture(scope="module")
def clip(multilingual: tuple[Path, Path]) -> OpenClip:
    config, checkpoint = multilingual
    return OpenClip(ClipSpec(model=str(config), checkpoint=checkpoint, device="cpu"))


def test_queries_in_other_languages_become_unit_vectors_in_the_image_space(clip: OpenClip) -> None:
    words = clip.texts.encode(QUERIES)
    pictures = clip.images.encode([np.full((90, 160, 3), (200, 30, 30), np.uint8)])
    assert clip.dim == 32 and words.shape == (3, 32) and pictures.shape == (1, 32)
    assert words.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(words, axis=1), 1.0, atol=1e-5)
    assert all(not np.allclose(words[a], words[b], atol=1e-3) for a, b in ((0, 1), (0, 2), (1, 2)))
    assert clip.name.startswith("open_clip:tiny-xlmr-clip:sha256-")


def test_a_query_costs_its_own_length_not_the_context_and_gives_the_same_vector(clip: OpenClip) -> None:
    """Queries run as long as the longest in their batch (not open_clip's 77-token context), and
    their vectors are those of the full-context forward pass, alone or batched with longer ones."""
    model, _, tokenizer, _ = clip.load()
    padded = tokenizer(QUERIES)
    full = model.encode_text(padded)
    full = (full / full.norm(dim=-1, keepdim=True)).numpy()
    alone = np.concatenate([clip.texts.encode([query]) for query in QUERIES])
    np.testing.assert_allclose(alone, full, atol=1e-5)
    np.testing.assert_allclose(clip.texts.encode(QUERIES), full, atol=1e-5)
    seen: list[int] = []
    hook = model.text.transformer.register_forward_pre_hook(
        lambda _m, _a, kw: seen.append(kw["input_ids"].shape[1]), with_kwargs=True
    )
    try:
        clip.texts.encode(QUERIES[1:2])
    finally:
        hook.remove()
    assert seen == [int((padded[1] != 1).sum())] and seen[0] < padded.shape[1] == 77


def test_the_same_checkpoint_gives_the_same_vectors_again(clip: OpenClip, multilingual: tuple[Path, Path]) -> None:
    config, checkpoint = multilingual
    again = OpenClip(ClipSpec(model=str(config), checkpoint=checkpoint, device="cpu"))
    assert again.name == clip.name
    np.testing.assert_allclose(again.texts.encode(QUERIES), clip.texts.encode(QUERIES), atol=1e-5)


@pytest.mark.parametrize(
    ("environment", "tag"),
    [
        ({"VIDSEARCH_CLIP_MODEL": "xlm-roberta-base-ViT-B-32"}, "laion5b_s13b_b90k"),
        ({"VIDSEARCH_CLIP_MODEL": "xlm-roberta-large-ViT-H-14"}, "frozen_laion5b_s13b_b90k"),
        ({"VIDSEARCH_CLIP_MODEL": "ViT-B-32"}, "laion2b_s34b_b79k"),
        ({}, "laion2b_s34b_b79k"),
        ({"VIDSEARCH_CLIP_MODEL": "ViT-B-32", "VIDSEARCH_CLIP_PRETRAINED": "openai"}, "openai"),
    ],
)
def test_a_multilingual_clip_is_chosen_by_its_name_alone(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], tag: str
) -> None:
    for key, value in environment.items():
        monkeypatch.setenv(key, value)
    clip = OpenClip(Settings().clip_spec())
    assert clip.pretrained == tag
    with pytest.raises(ModelUnavailable, match=f"{clip.architecture}:{tag} is unavailable: weights are not in"):
        clip.load()


def test_an_architecture_with_several_tags_wants_one_named() -> None:
    with pytest.raises(ModelUnavailable, match=r"name a pretrained tag \(known: .*laion2b_s32b_b82k"):
        OpenClip(Settings(clip_model="ViT-L-14").clip_spec()).load()


def test_a_hub_text_tower_not_in_the_cache_is_unavailable_offline_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Weights given as a file are not enough: the text tower's config and tokenizer come from the
    hub's `xlm-roberta-base`; offline and not cached, that is said at once, naming it."""
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "empty-cache"))
    weights = tmp_path / "weights.pt"
    weights.write_bytes(b"never read")
    began = time.perf_counter()
    spec = ClipSpec(model="xlm-roberta-base-ViT-B-32", checkpoint=weights, offline=True, device="cpu")
    with pytest.raises(ModelUnavailable, match="text tower xlm-roberta-base") as caught:
        OpenClip(spec).load()
    assert time.perf_counter() - began < 5
    assert "cache" in caught.value.reason and "offline" in caught.value.reason


def test_a_hub_named_text_tower_is_read_from_the_hugging_face_cache_offline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, multilingual: tuple[Path, Path], clip: OpenClip
) -> None:
    """The user's path: the config names the tower by hub repository, downloaded once before; then
    offline it loads from the cache and gives the same vectors as from a directory."""
    from huggingface_hub import constants

    config, checkpoint = multilingual
    cache = tmp_path / "hub"
    commit = "0123456789abcdef0123456789abcdef01234567"
    shutil.copytree(config.parent / "tiny-xlm-roberta", cache / "models--tiny-org--xlmr" / "snapshots" / commit)
    (cache / "models--tiny-org--xlmr" / "refs").mkdir()
    (cache / "models--tiny-org--xlmr" / "refs" / "main").write_text(commit)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    cfg = json.loads(config.read_text())
    cfg["text_cfg"].update(hf_model_name="tiny-org/xlmr", hf_tokenizer_name="tiny-org/xlmr")
    named = tmp_path / "tiny-xlmr-hub-clip.json"
    named.write_text(json.dumps(cfg))
    hub = OpenClip(ClipSpec(model=str(named), checkpoint=checkpoint, device="cpu", offline=True))
    np.testing.assert_allclose(hub.texts.encode(QUERIES), clip.texts.encode(QUERIES), atol=1e-5)


@pytest.mark.slow
def test_index_then_search_in_italian_and_chinese_from_another_process(
    tmp_path: Path, coloured: Path, multilingual: tuple[Path, Path], tiny_checkpoint: Path, capsys
) -> None:
    config, checkpoint = multilingual
    index = tmp_path / "index"
    chosen = ["--clip-model", str(config), "--clip-checkpoint", str(checkpoint)]
    assert main(["index", str(coloured), "--index", str(index), "--modalities", "visual", *chosen]) == 0
    capsys.readouterr()

    with VideoSearch(index) as engine:
        record = engine.store.models()[Modality.VISUAL]
        assert record.model.startswith("open_clip:tiny-xlmr-clip:sha256-") and record.dim == 32
        assert record.config == str(config) and record.weights == str(checkpoint)
        assert len(engine.store.vectors(Modality.VISUAL, record.dim)) >= len(COLOURED_SHOTS)
        assert engine.text_encoder().name == record.model

    env = {**os.environ, "PYTHONPATH": str(ROOT), "VIDSEARCH_FLOOR_VISUAL": "-1"}
    for query in QUERIES[:2]:
        done = subprocess.run(
            [sys.executable, "-m", "vidsearch.cli", "search", query, "--index", str(index), "--json"],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
        )
        assert done.returncode == 0, done.stderr
        result = json.loads(done.stdout)
        assert result["query"] == query and result["hits"]
        assert result["hits"][0]["video"] == str(coloured)

    more = tmp_path / "more.mp4"
    shutil.copy(coloured, more)
    other = ["--clip-model", str(TINY_CLIP), "--clip-checkpoint", str(tiny_checkpoint)]
    for paths in ([str(more)], ["--update"]):
        assert main(["index", *paths, "--index", str(index), "--modalities", "visual", *other]) == 1
        assert "holds visual vectors of open_clip:tiny-xlmr-clip:sha256-" in capsys.readouterr().err
