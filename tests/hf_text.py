"""Offline Hugging Face text towers for open_clip: a tiny tokenizer and XLM-RoBERTa configs written
to a local directory, so `AutoConfig`/`AutoTokenizer.from_pretrained(directory)` need no hub."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SPECIALS = ["<s>", "<pad>", "</s>", "<unk>"]
"""XLM-RoBERTa's special tokens, at its ids (0-3): its config's `pad_token_id` is 1."""

CORPUS = [
    "a red car at night",
    "un'auto rossa di notte",
    "夜晚的红色汽车",
    "ein rotes Auto bei Nacht",
    "une voiture rouge la nuit",
    "un perro corriendo en la playa",
    "海滩上奔跑的狗",
]

XLM_ROBERTA_BASE: dict[str, Any] = {
    "vocab_size": 250002,
    "hidden_size": 768,
    "num_hidden_layers": 12,
    "num_attention_heads": 12,
    "intermediate_size": 3072,
    "max_position_embeddings": 514,
}
"""The sizes of the hub's `xlm-roberta-base` config.json."""

XLM_ROBERTA_LARGE: dict[str, Any] = {
    "vocab_size": 250002,
    "hidden_size": 1024,
    "num_hidden_layers": 24,
    "num_attention_heads": 16,
    "intermediate_size": 4096,
    "max_position_embeddings": 514,
}
"""The sizes of the hub's `xlm-roberta-large` config.json."""


def write_tokenizer(directory: Path, vocab_size: int = 200) -> int:
    """A small BPE tokenizer trained on `CORPUS` (Latin and CJK letters), saved as tokenizer.json +
    tokenizer_config.json; returns its vocabulary size."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers

    tokenizer = Tokenizer(models.BPE(unk_token="<unk>"))
    tokenizer.normalizer = normalizers.NFKC()
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=SPECIALS, show_progress=False)
    tokenizer.train_from_iterator(CORPUS, trainer)
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", special_tokens=[("<s>", 0), ("</s>", 2)]
    )
    directory.mkdir(parents=True, exist_ok=True)
    tokenizer.save(str(directory / "tokenizer.json"))
    config = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": "<s>",
        "pad_token": "<pad>",
        "eos_token": "</s>",
        "unk_token": "<unk>",
        "model_max_length": 512,
    }
    (directory / "tokenizer_config.json").write_text(json.dumps(config))
    return int(tokenizer.get_vocab_size())


def write_xlm_roberta(directory: Path, **sizes: Any) -> Path:
    """An XLM-RoBERTa config.json in `directory` (`sizes` as in `XLM_ROBERTA_BASE`), with the
    hub config's fixed fields."""
    config = {
        "model_type": "xlm-roberta",
        "architectures": ["XLMRobertaForMaskedLM"],
        "type_vocab_size": 1,
        "pad_token_id": 1,
        "bos_token_id": 0,
        "eos_token_id": 2,
        "layer_norm_eps": 1e-5,
        "hidden_act": "gelu",
        **sizes,
    }
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "config.json").write_text(json.dumps(config))
    return directory


def tiny_text_tower(directory: Path) -> Path:
    """A one-layer, 32-wide XLM-RoBERTa with the tiny tokenizer, in `directory`."""
    vocab = write_tokenizer(directory)
    sizes = {"hidden_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 64}
    return write_xlm_roberta(directory, vocab_size=vocab, max_position_embeddings=80, **sizes)


def clip_config(path: Path, text_tower: Path, embed_dim: int = 32) -> Path:
    """An open_clip model-config JSON at `path`: a tiny ViT and the HF text tower in `text_tower`."""
    config = {
        "embed_dim": embed_dim,
        "vision_cfg": {"image_size": 32, "layers": 1, "width": 64, "patch_size": 16},
        "text_cfg": {
            "hf_model_name": str(text_tower),
            "hf_tokenizer_name": str(text_tower),
            "hf_pooler_type": "mean_pooler",
        },
    }
    path.write_text(json.dumps(config))
    return path
