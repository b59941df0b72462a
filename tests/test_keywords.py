"""Keyword search beyond English: inflections by the span's language, stop words, CJK words inside
longer runs, the language a span is compared in, screen text of other languages left whole, and
indexes of schema version 3 (before the CJK pair index) read and upgraded."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from indexer.encoders.ocr import _respace
from indexer.types import IndexedVideo, Modality, TextSpan, VideoInfo
from search.db import SCHEMA_VERSION
from search.params import Retrieval
from search.retrieval import Query, span_candidates
from search.store import Store
from search.textmatch import Keywords, coverage, fts_query, script_language, span_language, terms

OLD_INDEX = Path(__file__).parent / "data" / "index-v3.db"
"""An index made by vidsearch with schema version 3 (see data/make_index_v3.py)."""
NO_FLOOR = Retrieval(floors={})


def _video(path: str, language: str, said: list[tuple[str, str]]) -> IndexedVideo:
    spans = tuple(TextSpan(Modality(kind), n * 2.0, n * 2.0 + 2.0, words, 0.9) for n, (kind, words) in enumerate(said))
    info = VideoInfo(Path(path), 20.0, 25.0, 64, 48, 0, True, "h264")
    modalities = tuple(dict.fromkeys(span.modality for span in spans))
    return IndexedVideo(info, "hash", 100, 1.0, (), (), modalities, spans, None, language)


@pytest.fixture
def library(tmp_path: Path) -> Iterator[Store]:
    """Videos in English, Italian, Russian, Spanish, Chinese and Japanese; no sentence model, so
    only keywords find spans."""
    store = Store.open(tmp_path / "index", create=True)
    videos = [
        _video("/l/news.mp4", "en", [("speech", "The central bank raised interest rates."), ("audio", "Dog")]),
        _video("/l/partita.mp4", "it", [("speech", "Ieri sera abbiamo visto la partita di calcio."), ("ocr", "Città")]),
        _video("/l/match.mp4", "ru", [("speech", "После матча игроки ушли домой."), ("ocr", "Счёт матча")]),
        _video("/l/casa.mp4", "es", [("speech", "El perro ladra de noche en la casa.")]),
        _video("/l/station.mp4", "zh", [("speech", "我在北京火车站等你。"), ("ocr", "北京火车站")]),
        _video("/l/tokyo.mp4", "ja", [("ocr", "東京駅へようこそ")]),
    ]
    for video in videos:
        store.put(video)
    store.save()
    yield store
    store.close()


def _found(store: Store, modality: Modality, text: str) -> dict[str, tuple[str, ...]]:
    """{span text: matched words} of the spans a keyword query finds (no floor)."""
    found = span_candidates(store, modality, Query(text=text), NO_FLOOR)
    return {c.evidence.text: c.evidence.words for c in found if c.match > 0}


def test_italian_inflections_match_in_an_italian_video(library: Store) -> None:
    share, words = Keywords("le partite di calcio").coverage("Abbiamo visto la partita di calcio", "it")
    assert share == 1.0 and words == ("partita", "calcio")
    assert Keywords("partite").coverage("Abbiamo visto la partita", "en")[0] == 0.0  # English stems miss it
    assert _found(library, Modality.SPEECH, "partite") == {
        "Ieri sera abbiamo visto la partita di calcio.": ("partita",)
    }
    assert list(_found(library, Modality.OCR, "citta")) == ["Città"]  # typed without the accent


def test_russian_case_endings_match(library: Store) -> None:
    assert Keywords("матчи").coverage("После матча игроки ушли", "ru") == (1.0, ("матча",))
    found = _found(library, Modality.SPEECH, "матчи")
    assert found == {"После матча игроки ушли домой.": ("матча",)}
    assert list(_found(library, Modality.OCR, "матч")) == ["Счёт матча"]


def test_spanish_stop_words_do_not_count(library: Store) -> None:
    query = Keywords("el perro de la casa")
    assert query.coverage("de la noche", "es") == (0.0, ())
    share, words = query.coverage("El perro ladra", "es")
    assert words == ("perro",) and 0 < share < 1
    assert coverage(terms("el perro de la casa"), "de la noche")[0] > 0  # as English, "el" and "la" would count
    assert _found(library, Modality.SPEECH, "la casa")["El perro ladra de noche en la casa."] == ("casa",)


def test_a_cjk_word_inside_a_longer_run_is_found(library: Store) -> None:
    assert Keywords("火车").coverage("我在北京火车站等你", "zh") == (1.0, ("火车",))
    assert Keywords("博物馆").coverage("上海博物馆新展览开幕", "zh") == (1.0, ("博物馆",))
    assert Keywords("北京 火车站").coverage("我在北京火车站等你", "zh")[1] == ("北京火车站",)
    assert Keywords("火车").coverage("我在北京火车站等你", "")[0] == 1.0
    assert Keywords("火车").coverage("北京站", "zh")[0] == 0.0
    assert Keywords("站").coverage("北京火车站", "zh")[0] == 1.0  # one character, the last of its run
    assert set(_found(library, Modality.OCR, "火车")) == {"北京火车站"}
    assert set(_found(library, Modality.SPEECH, "北京的火车")) == {"我在北京火车站等你。"}
    assert set(_found(library, Modality.OCR, "東京")) == {"東京駅へようこそ"}
    assert set(_found(library, Modality.OCR, "站")) == {"北京火车站"}


def test_english_matches_and_candidates_are_as_before(library: Store) -> None:
    query = "Show me the moment someone says interest rates"
    for language in ("en", "", "xx"):
        assert Keywords(query).coverage("The bank raised its interest rate.", language) == (1.0, ("interest", "rate"))
    found = span_candidates(library, Modality.SPEECH, Query(text=query), NO_FLOOR)
    plain = library.keyword(fts_query(query), Modality.SPEECH, 50)
    assert [c.evidence.text for c in found] == ["The central bank raised interest rates."]
    assert len(plain) == 1
    assert Keywords(query).prefix_query("en") == "" and Keywords(query).grams_query() == ""


def test_the_language_a_span_is_compared_in() -> None:
    assert span_language(Modality.SPEECH, "Ciao a tutti", "it") == "it"
    assert span_language(Modality.SPEECH, "hello", "") == ""
    assert span_language(Modality.AUDIO, "Dog", "it") == "en"
    assert span_language(Modality.OCR, "北京火车站", "en") == "zh"
    assert span_language(Modality.OCR, "東京駅へようこそ", "") == "ja"
    assert span_language(Modality.OCR, "東京駅", "ja") == "ja"  # Han alone in a Japanese video
    assert span_language(Modality.OCR, "서울역", "") == "ko"
    assert span_language(Modality.OCR, "Москва", "en") == "ru"
    assert span_language(Modality.OCR, "Київ", "uk") == "uk"
    assert span_language(Modality.OCR, "Αθήνα", "") == "el"
    assert span_language(Modality.OCR, "القاهرة", "") == "ar"
    assert span_language(Modality.OCR, "PREVISIONI METEO", "it") == "it"
    assert span_language(Modality.OCR, "SALE 50%", "ja") == "en"  # Latin letters in a Japanese video
    assert span_language(Modality.OCR, "SALE", "") == "en"
    assert script_language("12:05", "de") == "de"


def test_screen_text_of_other_languages_is_not_split_as_english() -> None:
    kept = "temperatura domenica manifestazione Nachrichten Marktplatz aujourdhui autostrada informacion"
    assert _respace(kept) == kept
    other = "Città Straßenbahn Москва 北京火车站 東京駅へようこそ"
    assert _respace(other) == other
    assert _respace("smallcaptionhere GateB12closed") == "small caption here Gate B12 closed"
    assert _respace("BREAKINGNEWS pricesincludesalestax") == "BREAKING NEWS prices include sales tax"


def _old_index(tmp_path: Path) -> Path:
    directory = tmp_path / "old"
    directory.mkdir()
    shutil.copyfile(OLD_INDEX, directory / "index.db")
    return directory


def test_an_index_of_version_3_is_searched_as_it_is_and_upgraded_by_a_writer(tmp_path: Path) -> None:
    directory = _old_index(tmp_path)
    with Store.open(directory) as reader:
        assert _found(reader, Modality.SPEECH, "interest rates") == {
            "The central bank raised interest rates.": ("interest", "rates")
        }
        assert set(_found(reader, Modality.SPEECH, "partite")) == {"Ieri sera abbiamo visto la partita di calcio."}
        assert _found(reader, Modality.OCR, "火车") == {}  # no pair index yet: the run is one token
        assert reader.keyword_grams('"火车"', Modality.OCR, 10) == []
    with sqlite3.connect(directory / "index.db") as db:
        assert db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == ("3",)
    with Store.open(directory, write=True) as writer:
        assert writer.db.schema_version() == SCHEMA_VERSION == "4"
        assert writer.db.keyword_index_problem() is None
    with Store.open(directory) as reader:
        assert set(_found(reader, Modality.OCR, "火车")) == {"北京火车站"}
        assert set(_found(reader, Modality.SPEECH, "火车")) == {"我在北京火车站等你。"}
        assert len(reader.videos()) == 4


def test_a_reader_of_version_3_that_writes_upgrades_first(tmp_path: Path) -> None:
    directory = _old_index(tmp_path)
    with Store.open(directory) as store:
        store.put(_video("/l/more.mp4", "zh", [("ocr", "上海火车站")]))
        store.save()
        assert store.db.schema_version() == SCHEMA_VERSION
        assert set(_found(store, Modality.OCR, "火车")) == {"北京火车站", "上海火车站"}


def test_the_cjk_pair_index_follows_removals_and_is_checked_and_rebuilt(library: Store) -> None:
    assert library.remove(Path("/l/tokyo.mp4"))
    assert _found(library, Modality.OCR, "東京") == {}
    assert library.db.keyword_index_problem() is None
    with library.db.engine.begin() as connection:
        connection.exec_driver_sql("DELETE FROM span_grams")
    assert "CJK keyword index" in (library.db.keyword_index_problem() or "")
    library.db.rebuild_keyword_index()
    assert library.db.keyword_index_problem() is None
    assert set(_found(library, Modality.OCR, "火车")) == {"北京火车站"}
