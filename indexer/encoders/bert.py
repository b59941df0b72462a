"""BERT-family sentence-transformers models run in numpy: no torch. The only module that imports
`tokenizers` and `safetensors` (both lazily, when weights first load).

A sentence-transformers directory whose modules are Transformer (a BERT encoder) → Pooling (mean
or CLS) → Normalize (optional) is computed as sentence-transformers computes it, in float32:

- tokens: the directory's `tokenizer.json` (HF `tokenizers`), [CLS] … [SEP], truncated to
  `sentence_bert_config.json`'s `max_seq_length`, padded per batch;
- encoder: BERT (Devlin et al. 2019, arXiv:1810.04805, §3 and Vaswani et al. 2017 for the
  Transformer layer), post-LayerNorm as HF transformers' `modeling_bert.py` lays it out, whose
  weight names `model.safetensors` uses; GELU exact (erf form, Hendrycks & Gimpel 2016), as BERT's
  `hidden_act: "gelu"`;
- pooling: sentence-transformers `Pooling` (`1_Pooling/config.json`): the mean of the token
  vectors under the attention mask, or the [CLS] token's vector;
- `Normalize`: rows scaled to unit L2 length, as `torch.nn.functional.normalize`.

Texts are encoded longest first in batches of similar length, so little is spent on padding.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

TOKENS_PER_BATCH = 4096
"""A batch holds at most this many token positions (rows × padded length), which bounds the
attention scores of one layer at 4096 × length × heads float32 (48 MiB at 256 tokens, 12 heads)."""

GELU_CHUNK = 32768
"""Values per slice of `gelu`'s work: three float32 scratch slices of 128 KiB fit in a core's L2 cache."""

_ERFC = (
    -1.26551223,
    1.00002368,
    0.37409196,
    0.09678418,
    -0.18628806,
    0.27886807,
    -1.13520398,
    1.48851587,
    -0.82215223,
    0.17087277,
)
"""Chebyshev fit of erfc(z) = t·exp(−z² + P(t)), t = 1/(1 + z/2), z ≥ 0, fractional error < 1.2e-7
everywhere (Press et al., Numerical Recipes in C, 2nd ed., §6.2, `erfcc`)."""


class UnsupportedModel(ValueError):
    """A directory the numpy runtime cannot run, or whose files cannot be read; the message says why."""


@dataclass(frozen=True)
class BertConfig:
    """What the forward pass needs from a sentence-transformers BERT directory's JSON files."""

    hidden: int
    """Hidden size (`config.json` `hidden_size`), which is also the sentence vector's size."""
    heads: int
    layers: int
    eps: float
    """LayerNorm epsilon (`layer_norm_eps`)."""
    max_length: int
    """Tokens per text, [CLS] and [SEP] included (`sentence_bert_config.json` `max_seq_length`)."""
    pad_id: int
    pooling: str
    """'mean' or 'cls'."""
    normalize: bool
    lowercase: bool
    """`do_lower_case`: a Lowercase normaliser goes before the tokenizer's own unless it has one, as
    sentence-transformers (v5+) does."""

    @classmethod
    def read(cls, directory: Path) -> BertConfig:
        """The configuration of `directory`; UnsupportedModel says why it cannot be run here."""
        if not directory.is_dir():
            raise UnsupportedModel(f"{directory} is not a directory")
        for name in ("config.json", "modules.json", "sentence_bert_config.json", "tokenizer.json", "model.safetensors"):
            if not (directory / name).is_file():
                raise UnsupportedModel(f"no {name} in {directory}")
        config = _json(directory / "config.json")
        if config.get("model_type") != "bert":
            raise UnsupportedModel(f"model_type {config.get('model_type')!r}, not 'bert'")
        if config.get("hidden_act") != "gelu":
            raise UnsupportedModel(f"hidden_act {config.get('hidden_act')!r}, not 'gelu'")
        if config.get("position_embedding_type", "absolute") != "absolute":
            raise UnsupportedModel(f"position_embedding_type {config['position_embedding_type']!r}")
        pooling_dir, normalize = _modules(directory)
        pooling = _pooling(_json(directory / pooling_dir / "config.json"))
        prompt = _json(directory / "config_sentence_transformers.json").get("default_prompt_name")
        if prompt:
            raise UnsupportedModel(f"default prompt {prompt!r}")
        st_config = _json(directory / "sentence_bert_config.json")
        try:
            hidden, heads = int(config["hidden_size"]), int(config["num_attention_heads"])
            max_length = min(int(st_config["max_seq_length"]), int(config["max_position_embeddings"]))
            parsed = cls(
                hidden=hidden,
                heads=heads,
                layers=int(config["num_hidden_layers"]),
                eps=float(config.get("layer_norm_eps", 1e-12)),
                max_length=max_length,
                pad_id=int(config.get("pad_token_id") or 0),
                pooling=pooling,
                normalize=normalize,
                lowercase=bool(st_config.get("do_lower_case", False)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise UnsupportedModel(f"config.json or sentence_bert_config.json: {exc!r}") from exc
        if hidden % heads:
            raise UnsupportedModel(f"hidden_size {hidden} is not a multiple of {heads} heads")
        return parsed


def _json(path: Path) -> dict[str, Any]:
    """A JSON object from `path` ({} when the file is absent)."""
    if not path.is_file():
        return {}
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UnsupportedModel(f"{path}: {exc}") from exc
    if not isinstance(value, dict):
        raise UnsupportedModel(f"{path}: not a JSON object")
    return value


def _modules(directory: Path) -> tuple[str, bool]:
    """(Pooling's folder, whether Normalize follows) from `modules.json`; Transformer must be the
    first module, at the directory's root, and nothing else may follow (no Dense, no LayerNorm)."""
    try:
        modules = json.loads((directory / "modules.json").read_text(encoding="utf-8"))
        kinds = [(str(m["type"]).rsplit(".", 1)[-1], str(m.get("path", ""))) for m in modules]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UnsupportedModel(f"modules.json: {exc!r}") from exc
    names = [kind for kind, _ in kinds]
    if names not in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"]) or kinds[0][1]:
        raise UnsupportedModel(f"modules {names}, not Transformer (at the root), Pooling[, Normalize]")
    return kinds[1][1], len(names) == 3


def _pooling(config: dict[str, Any]) -> str:
    """'mean' or 'cls' from a Pooling config, old (`pooling_mode_*_tokens` flags) or new (`pooling_mode`)."""
    mode = config.get("pooling_mode")
    if mode is None:
        flags = [key for key, on in config.items() if key.startswith("pooling_mode_") and on]
        mode = [key.removeprefix("pooling_mode_") for key in flags]
    modes = [mode] if isinstance(mode, str) else list(mode)
    aliases = {"mean": "mean", "mean_tokens": "mean", "cls": "cls", "cls_token": "cls"}
    if len(modes) != 1 or modes[0] not in aliases:
        raise UnsupportedModel(f"pooling {modes}, not exactly one of mean, cls")
    return aliases[modes[0]]


def gelu(x: np.ndarray) -> np.ndarray:
    """GELU(x) = x·Φ(x) (Hendrycks & Gimpel 2016), exact (erf) form, not the tanh one; in place when
    `x` is C-contiguous float32.

    With q = Φ(−|x|) = erfc(|x|/√2)/2 from the fit `_ERFC`, x·Φ(x) = max(x, 0) − |x|·q for either
    sign, which keeps full relative precision in the negative tail (absolute error < 4e-7). Worked
    through in slices of `GELU_CHUNK` values so the dozen temporaries stay in cache."""
    x = np.ascontiguousarray(x, dtype=np.float32)
    flat = x.reshape(-1)
    size = min(GELU_CHUNK, flat.size)
    z, t, q = (np.empty(size, dtype=np.float32) for _ in range(3))
    one, half, root_half = np.float32(1), np.float32(0.5), np.float32(1 / math.sqrt(2))
    coefficients = [np.float32(c) for c in _ERFC]
    for start in range(0, flat.size, GELU_CHUNK):
        v = flat[start : start + GELU_CHUNK]
        zs, ts, qs = z[: v.size], t[: v.size], q[: v.size]
        np.abs(v, out=zs)
        zs *= root_half
        np.multiply(zs, half, out=ts)
        ts += one
        np.divide(one, ts, out=ts)
        np.multiply(ts, coefficients[-1], out=qs)
        for coefficient in coefficients[-2:0:-1]:
            qs += coefficient
            qs *= ts
        qs += coefficients[0]
        zs *= zs
        qs -= zs
        np.exp(qs, out=qs)
        qs *= ts
        qs *= half
        np.abs(v, out=zs)
        zs *= qs
        np.maximum(v, 0, out=v)
        v -= zs
    return x


def layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    """LayerNorm over the last axis (Ba et al. 2016): (x − mean)/√(var + eps)·weight + bias, biased variance."""
    centred = x - x.mean(axis=-1, keepdims=True)
    scale = 1 / np.sqrt((centred * centred).mean(axis=-1, keepdims=True) + np.float32(eps))
    return centred * scale * weight + bias


@dataclass(frozen=True)
class _Layer:
    """One encoder layer's weights, matrices as (in, out) so that `x @ w` applies them."""

    qkv: np.ndarray
    qkv_bias: np.ndarray
    attention_out: np.ndarray
    attention_out_bias: np.ndarray
    attention_norm: tuple[np.ndarray, np.ndarray]
    intermediate: np.ndarray
    intermediate_bias: np.ndarray
    output: np.ndarray
    output_bias: np.ndarray
    output_norm: tuple[np.ndarray, np.ndarray]


@dataclass(frozen=True)
class _Weights:
    words: np.ndarray
    """(vocab, hidden) token embeddings."""
    positions: np.ndarray
    """(max_positions, hidden)."""
    token_type: np.ndarray
    """(hidden,): segment A's embedding, the only segment of a single text."""
    embedding_norm: tuple[np.ndarray, np.ndarray]
    layers: tuple[_Layer, ...]


class NumpyBert:
    """A sentence-transformers BERT directory (see the module docstring) run in numpy float32.

    `encode(texts)` → (n, dim) float32 sentence vectors, identical within float32 rounding to
    `SentenceTransformer(directory).encode(texts)`. The JSON configuration is read on creation
    (UnsupportedModel if the directory cannot be run here); tokenizer and weights load on the first
    `encode`, once. `batch_size` caps the texts of one forward pass.
    """

    def __init__(self, directory: Path | str, batch_size: int = 64) -> None:
        self.directory = Path(directory)
        self.config = BertConfig.read(self.directory)
        self.batch_size = max(1, batch_size)
        self._tokenizer: Any = None
        self._weights: _Weights | None = None

    @staticmethod
    def supports(directory: Path | str) -> bool:
        """Whether `directory` is a local sentence-transformers BERT model this class runs: BERT
        config with exact GELU, `model.safetensors`, `tokenizer.json`, mean or CLS pooling."""
        try:
            BertConfig.read(Path(directory))
        except UnsupportedModel as why:
            log.debug("numpy BERT cannot run %s: %s", directory, why)
            return False
        return True

    @property
    def dim(self) -> int:
        """Size of the sentence vectors (the hidden size); known without loading weights."""
        return self.config.hidden

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Sentence vectors of `texts`: float32 (len(texts), dim), unit rows when the model normalises."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        tokenizer, weights = self._load()
        ids = [encoding.ids for encoding in tokenizer.encode_batch(list(texts))]
        order = sorted(range(len(ids)), key=lambda i: -len(ids[i]))
        vectors = np.empty((len(ids), self.dim), dtype=np.float32)
        start = 0
        while start < len(order):
            longest = len(ids[order[start]])
            rows = order[start : start + min(self.batch_size, max(1, TOKENS_PER_BATCH // longest))]
            tokens = np.full((len(rows), longest), self.config.pad_id, dtype=np.int64)
            mask = np.zeros((len(rows), longest), dtype=bool)
            for row, index in enumerate(rows):
                tokens[row, : len(ids[index])] = ids[index]
                mask[row, : len(ids[index])] = True
            vectors[rows] = self._pool(self._forward(weights, tokens, mask), mask)
            start += len(rows)
        if self.config.normalize:
            vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), np.float32(1e-12))
        return vectors

    def _forward(self, weights: _Weights, tokens: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Token vectors (batch, length, hidden) of `tokens` (batch, length) under `mask` (True: a real token)."""
        batch, length = tokens.shape
        hidden, heads = self.config.hidden, self.config.heads
        size = hidden // heads
        x = weights.words[tokens] + weights.positions[:length] + weights.token_type
        x = layer_norm(x.reshape(batch * length, hidden), *weights.embedding_norm, self.config.eps)
        blocked = np.where(mask, np.float32(0), np.float32(-np.inf))[:, None, None, :]
        scale = np.float32(1 / math.sqrt(size))
        for layer in weights.layers:
            qkv = (x @ layer.qkv + layer.qkv_bias).reshape(batch, length, 3, heads, size).transpose(2, 0, 3, 1, 4)
            scores = (qkv[0] * scale) @ qkv[1].transpose(0, 1, 3, 2) + blocked
            scores -= scores.max(axis=-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(axis=-1, keepdims=True)
            context = (scores @ qkv[2]).transpose(0, 2, 1, 3).reshape(batch * length, hidden)
            attended = context @ layer.attention_out + layer.attention_out_bias + x
            x = layer_norm(attended, *layer.attention_norm, self.config.eps)
            inner = gelu(x @ layer.intermediate + layer.intermediate_bias)
            x = layer_norm(inner @ layer.output + layer.output_bias + x, *layer.output_norm, self.config.eps)
        return x.reshape(batch, length, hidden)

    def _pool(self, states: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """(batch, hidden) from token vectors: masked mean, or the [CLS] (first) token's vector."""
        if self.config.pooling == "cls":
            return states[:, 0]
        weights = mask[:, :, None].astype(np.float32)
        return (states * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), np.float32(1e-9))

    def _load(self) -> tuple[Any, _Weights]:
        """Tokenizer and weights, loaded on first use; UnsupportedModel when a file cannot be read."""
        if self._tokenizer is None or self._weights is None:
            self._weights = self._read_weights()
            self._tokenizer = self._read_tokenizer()
            log.info("numpy BERT loaded from %s (%d layers, %d-d)", self.directory, self.config.layers, self.dim)
        return self._tokenizer, self._weights

    def _read_tokenizer(self) -> Any:
        from tokenizers import Tokenizer
        from tokenizers.normalizers import Lowercase
        from tokenizers.normalizers import Sequence as Normalizers

        path = self.directory / "tokenizer.json"
        try:
            tokenizer = Tokenizer.from_file(str(path))
        except Exception as exc:  # tokenizers raises bare Exception for unreadable files
            raise UnsupportedModel(f"{path}: {exc}") from exc
        tokenizer.no_padding()
        tokenizer.enable_truncation(max_length=self.config.max_length)
        if self.config.lowercase and not _lowercases(tokenizer.normalizer):
            tokenizer.normalizer = Normalizers([Lowercase(), *([tokenizer.normalizer] if tokenizer.normalizer else [])])
        return tokenizer

    def _read_weights(self) -> _Weights:
        from safetensors import SafetensorError
        from safetensors.numpy import load_file

        path = self.directory / "model.safetensors"
        try:
            tensors = load_file(str(path))
        except (OSError, SafetensorError) as exc:
            raise UnsupportedModel(f"{path}: {exc}") from exc
        prefix = "" if "embeddings.word_embeddings.weight" in tensors else "bert."

        def get(name: str) -> np.ndarray:
            try:
                return np.ascontiguousarray(tensors.pop(prefix + name), dtype=np.float32)
            except KeyError:
                raise UnsupportedModel(f"{path} has no tensor {prefix + name}") from None

        def norm(name: str) -> tuple[np.ndarray, np.ndarray]:
            return get(f"{name}.LayerNorm.weight"), get(f"{name}.LayerNorm.bias")

        def layer(i: int) -> _Layer:
            base = f"encoder.layer.{i}"
            parts = ("query", "key", "value")
            return _Layer(
                qkv=np.concatenate([get(f"{base}.attention.self.{p}.weight") for p in parts]).T,
                qkv_bias=np.concatenate([get(f"{base}.attention.self.{p}.bias") for p in parts]),
                attention_out=get(f"{base}.attention.output.dense.weight").T,
                attention_out_bias=get(f"{base}.attention.output.dense.bias"),
                attention_norm=norm(f"{base}.attention.output"),
                intermediate=get(f"{base}.intermediate.dense.weight").T,
                intermediate_bias=get(f"{base}.intermediate.dense.bias"),
                output=get(f"{base}.output.dense.weight").T,
                output_bias=get(f"{base}.output.dense.bias"),
                output_norm=norm(f"{base}.output"),
            )

        weights = _Weights(
            words=get("embeddings.word_embeddings.weight"),
            positions=get("embeddings.position_embeddings.weight"),
            token_type=get("embeddings.token_type_embeddings.weight")[0],
            embedding_norm=norm("embeddings"),
            layers=tuple(layer(i) for i in range(self.config.layers)),
        )
        if weights.words.shape[1] != self.dim or weights.positions.shape[0] < self.config.max_length:
            raise UnsupportedModel(f"{path}: embeddings {weights.words.shape}, {weights.positions.shape} do not fit")
        return weights


def _lowercases(normalizer: Any) -> bool:
    """Whether a tokenizers normaliser is Lowercase or a Sequence holding one (sentence-transformers' test)."""
    from tokenizers.normalizers import Lowercase
    from tokenizers.normalizers import Sequence as Normalizers

    members: Any = normalizer if isinstance(normalizer, Normalizers) else ()
    return isinstance(normalizer, Lowercase) or any(isinstance(inner, Lowercase) for inner in members)
