"""Keyword side of text matching, in the language of the text: query terms, the FTS5 expressions
that find candidates, and how much of the query a piece of text covers (the keyword half of a
span's match score).

A query is given no language of its own: short queries are too short to tell (measured on the 170
English evaluation queries: lingua mislabels 16, py3langid 26). It is compared with a span in the
span's language (`span_language`): its words and the span's are stemmed with that language's
Snowball stemmer, and with English's (English words are typed into every library), and the better
coverage counts; the stop words of both languages are left out of the query. English is stemmed
by the light `_stem` and has its own stop words (the packaged English lists hold content words:
"interest", "home", "world", "fire"). Runs of Chinese, Japanese and Korean characters, written
without spaces, are compared as overlapping character pairs (Lucene's CJKAnalyzer), so a word
inside a longer run is found; the keyword index keeps the pairs (`grams`) for the same reason.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache

import snowballstemmer
from stop_words import StopWordError, get_stop_words

from indexer.types import Modality

ENGLISH = "en"

STOPWORDS = frozenset(
    """a an and are as at be been but by can could did do does for from had has have he her his how i if in
    into is it its just me my no not of on or our she so some than that the their them then there these
    they this those to too up us was we were what when where which while who why will with would you
    your about after again all also any because before being both each few more most other over own same
    should such very video clip moment scene shows show showing someone something says said saying talks
    talking""".split()  # noqa: SIM905
)
"""English words that say nothing about which moment is meant (including how people phrase video
queries); removed from every query, whatever the span's language."""

TOKEN = re.compile(r"\w+", re.UNICODE)

CJK = (
    "\u1100-\u11ff\u3005-\u3007\u3041-\u309f\u30a0-\u30ff\u3130-\u318f\u31f0-\u31ff\u3400-\u4dbf"
    "\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7af\ud7b0-\ud7ff\uf900-\ufaff\uff66-\uff9f\U00020000-\U0003134f"
)
"""Han, Hiragana, Katakana and Hangul (with their compatibility and half-width forms): scripts
written without spaces between words, compared as character pairs."""
PIECE = re.compile(f"[{CJK}]+|[^{CJK}]+")
CJK_CHAR = re.compile(f"[{CJK}]")

SNOWBALL = {
    "ar": "arabic",
    "hy": "armenian",
    "eu": "basque",
    "ca": "catalan",
    "cs": "czech",
    "da": "danish",
    "nl": "dutch",
    "eo": "esperanto",
    "et": "estonian",
    "fi": "finnish",
    "fr": "french",
    "de": "german",
    "el": "greek",
    "hi": "hindi",
    "hu": "hungarian",
    "id": "indonesian",
    "ga": "irish",
    "it": "italian",
    "lt": "lithuanian",
    "ne": "nepali",
    "no": "norwegian",
    "nb": "norwegian",
    "nn": "norwegian",
    "fa": "persian",
    "pl": "polish",
    "pt": "portuguese",
    "ro": "romanian",
    "ru": "russian",
    "sr": "serbian",
    "st": "sesotho",
    "es": "spanish",
    "sv": "swedish",
    "ta": "tamil",
    "tr": "turkish",
    "yi": "yiddish",
}
"""Snowball algorithm (snowballstemmer's names, snowballstem.org) of each ISO 639-1 code that
Whisper reports and Snowball stems; other languages are not stemmed. English is `_stem`'s."""

PREFIX_MIN = 3
"""Fewest letters of a stem prefix worth a prefix query (`"par"*`); shorter ones match too much."""


@dataclass(frozen=True)
class Script:
    """A writing system: the characters it uses, the language text in it is taken for, and the
    languages written in it (a video in one of them lends its language to such text)."""

    name: str
    letters: re.Pattern[str]
    default: str
    languages: frozenset[str]


def _script(name: str, ranges: str, default: str, languages: str) -> Script:
    return Script(name, re.compile(f"[{ranges}]"), default, frozenset(languages.split()))


SCRIPTS = (
    _script("hangul", "\u1100-\u11ff\u3130-\u318f\ua960-\ua97f\uac00-\ud7af\ud7b0-\ud7ff", "ko", "ko"),
    _script("kana", "\u3041-\u309f\u30a0-\u30ff\u31f0-\u31ff\uff66-\uff9f", "ja", "ja"),
    _script("han", "\u3005-\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f", "zh", "zh ja yue"),
    _script("cyrillic", "\u0400-\u052f", "ru", "ru uk be bg sr mk kk ky tg mn tt ba"),
    _script("greek", "\u0370-\u03ff\u1f00-\u1fff", "el", "el"),
    _script("arabic", "\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff", "ar", "ar fa ur ps sd ug"),
    _script("hebrew", "\u0590-\u05ff", "he", "he yi"),
    _script("devanagari", "\u0900-\u097f", "hi", "hi mr ne sa"),
    _script("bengali", "\u0980-\u09ff", "bn", "bn as"),
    _script("tamil", "\u0b80-\u0bff", "ta", "ta"),
    _script("thai", "\u0e00-\u0e7f", "th", "th"),
    _script("armenian", "\u0530-\u058f", "hy", "hy"),
    _script("georgian", "\u10a0-\u10ff", "ka", "ka"),
)
"""Scripts other than Latin that screen text is told apart by (Unicode blocks)."""
NOT_LATIN = frozenset(code for script in SCRIPTS for code in script.languages)
"""Languages written in one of SCRIPTS: Latin-script text in a video of theirs is taken for English."""


def span_language(modality: Modality, text: str, video_language: str) -> str:
    """The language (ISO 639-1; '' unknown) a span's `text` is compared in: speech is in its
    video's spoken language, sound labels are English (AudioSet names), and screen text is in the
    language its script says (`script_language`)."""
    if modality == Modality.AUDIO:
        return ENGLISH
    if modality == Modality.SPEECH:
        return video_language
    return script_language(text, video_language)


def script_language(text: str, video_language: str) -> str:
    """The language `text` is taken to be in by its script: the script that most of its non-Latin
    letters are in (Han with any Kana is Japanese) names it, or lends it the video's language when
    that is written in the same script (Cyrillic in a Ukrainian video is Ukrainian); Latin-script
    text is in the video's language, or English when that is unknown or not written in Latin."""
    found = {script.name: len(script.letters.findall(text)) for script in SCRIPTS} if not text.isascii() else {}
    top = max(SCRIPTS, key=lambda script: found.get(script.name, 0))
    if found.get(top.name, 0) == 0:
        return video_language if video_language and video_language not in NOT_LATIN else ENGLISH
    if top.name == "han" and found["kana"]:
        return "ja"
    return video_language if video_language in top.languages else top.default


@cache
def stop_words(language: str) -> frozenset[str]:
    """The stop words of `language` (ISO 639-1), lower case: STOPWORDS for English, else the
    `stop-words` package's list (empty for a language it lacks)."""
    if language == ENGLISH:
        return STOPWORDS
    try:
        return frozenset(word.strip().lower() for word in get_stop_words(language) if word.strip())
    except (StopWordError, OSError, KeyError):
        return frozenset()


def words(text: str) -> list[str]:
    """Lower-case words of `text`, in order, without repeats; runs of CJK characters become their
    overlapping character pairs ("火车站" -> "火车", "车站"; a lone character stays itself)."""
    return list(dict.fromkeys(piece for token in TOKEN.findall(text.lower()) for piece in _pieces(token)))


def _pieces(token: str, last: bool = False) -> list[str]:
    """A `\\w+` token split into its CJK runs, as pairs (`_pairs`), and the rest as they are."""
    if token.isascii():
        return [token]
    found: list[str] = []
    for piece in PIECE.findall(token):
        found += _pairs(piece, last) if _cjk(piece) else [piece]
    return found


def _pairs(run: str, last: bool = False) -> list[str]:
    """A CJK run's overlapping character pairs (a lone character stays itself); with `last`, its
    last character as well, so that every character starts one of them."""
    if len(run) < 2:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)] + ([run[-1]] if last else [])


def _cjk(piece: str) -> bool:
    return CJK_CHAR.match(piece) is not None


def grams(text: str) -> str:
    """What the keyword index keeps of `text`'s CJK runs: each run's overlapping character pairs
    and its last character, space-separated ('' when it has none), so that an FTS5 prefix query
    (`"车"*`) finds any character and a pair any two-character word."""
    return " ".join(piece for token in TOKEN.findall(text) for piece in _pieces(token, last=True) if _cjk(piece))


def terms(text: str) -> list[str]:
    """Lower-case content words of `text` as English compares them (stop words out, `_stem`
    applied), in order, without repeats."""
    return list(dict.fromkeys(w for w in (_stem(w) for w in words(text) if w not in STOPWORDS) if w))


def _stem(word: str) -> str:
    """A light plural/verb-ending strip, so 'rates' meets 'rate' and 'barking' meets 'bark'."""
    for ending in ("ing", "es", "ed", "s"):
        if len(word) > len(ending) + 3 and word.endswith(ending):
            return word[: -len(ending)]
    return word


def fts_query(text: str) -> str:
    """An FTS5 expression matching any of the query's words as typed (each quoted, so no syntax
    can leak in); the index's porter tokenizer stems English on both sides."""
    found = [w for w in TOKEN.findall(text.lower()) if w not in STOPWORDS]
    return " OR ".join(f'"{w}"' for w in dict.fromkeys(found))


def coverage(query_terms: list[str], text: str, glued: bool = False) -> tuple[float, tuple[str, ...]]:
    """(share of the query's terms found in `text`, the words of `text` that matched), words
    compared as English (`terms`, `_stem`).

    Longer terms weigh more (a rare name outweighs 'red'). With `glued`, terms of four letters
    or more also count inside run-together words, as OCR of small text produces. A lone CJK
    character counts when a pair of `text` starts with it."""
    return _coverage(query_terms, text, _stem, glued)


def _coverage(
    query_terms: list[str], text: str, stem: Callable[[str], str], glued: bool
) -> tuple[float, tuple[str, ...]]:
    if not query_terms:
        return 0.0, ()
    if text.isascii():
        pieces = TOKEN.findall(text)
        stems = [stem(piece.lower()) for piece in pieces]
        compact = "".join(stems) if glued else ""
    else:
        pieces = [piece for token in TOKEN.findall(text) for piece in _pieces(token, last=True)]
        stems = [piece if _cjk(piece) else stem(piece.lower()) for piece in pieces]
        compact = "".join(s for p, s in zip(pieces, stems) if not _cjk(p)) if glued else ""
    found: list[str] = []
    hit_weight = 0.0
    for term in query_terms:
        lone = len(term) == 1 and _cjk(term)
        matched = [p for p, s in zip(pieces, stems) if s == term or (lone and s.startswith(term))]
        if matched or (glued and len(term) >= 4 and term in compact):
            hit_weight += _weight(term)
            found += matched or [term]
    total = sum(_weight(t) for t in query_terms)
    return hit_weight / total, tuple(dict.fromkeys(_joined(found, text)))


def _joined(found: list[str], text: str) -> list[str]:
    """Matched words, with the CJK pairs (and lone characters) among them joined back into the
    stretches of `text` they cover, as a user reads them ("博物", "物馆" -> "博物馆")."""
    pieces = {piece for piece in found if _cjk(piece)}
    if not pieces:
        return found
    covered = [False] * len(text)
    for i in range(len(text)):
        for size in (1, 2):
            if text[i : i + size] in pieces:
                covered[i : i + size] = [True] * len(text[i : i + size])
    stretches = "".join(c if on else " " for c, on in zip(text, covered)).split()
    return [piece for piece in found if not _cjk(piece)] + stretches


def _weight(term: str) -> float:
    return 1.0 + min(len(term), 10) / 5 + (1.0 if any(c.isdigit() for c in term) else 0.0)


def _fold(word: str) -> str:
    """`word` without diacritics (città -> citta), as the keyword index's unicode61 folds them."""
    if word.isascii():
        return word
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


class Keywords:
    """One query's words, compared with text in any language (see the module). Made per query
    and not shared between threads: its Snowball stemmers keep state."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.words = words(text)
        self._stemmers: dict[str, Callable[[str], str]] = {}
        self._compared: dict[str, tuple[tuple[list[str], Callable[[str], str]], ...]] = {}

    def stemmer(self, language: str) -> Callable[[str], str] | None:
        """`language`'s Snowball stemmer (of one word, lower case), None when it has none."""
        algorithm = SNOWBALL.get(language)
        return self._algorithm(algorithm) if algorithm in _algorithms() else None

    def _algorithm(self, name: str) -> Callable[[str], str]:
        if name not in self._stemmers:
            self._stemmers[name] = snowballstemmer.stemmer(name).stemWord
        return self._stemmers[name]

    def _content(self, language: str) -> list[str]:
        stop = stop_words(language)
        return [w for w in self.words if w not in STOPWORDS and w not in stop]

    def coverage(self, text: str, language: str, glued: bool = False) -> tuple[float, tuple[str, ...]]:
        """(share of the query found in `text`, the words of `text` that matched) for text in
        `language` (ISO 639-1, '' unknown): the better of comparing as English and comparing
        with `language`'s stemmer, stop words of both out of the query. English and unknown
        languages compare as `coverage` does."""
        found = (_coverage(query, text, stem, glued) for query, stem in self._comparisons(language))
        return max(found, key=lambda share_words: share_words[0])

    def _comparisons(self, language: str) -> tuple[tuple[list[str], Callable[[str], str]], ...]:
        """(query terms, how the text's words are stemmed) for each way text in `language` is
        compared: as English first, then with `language`'s stemmer when it has one."""
        if language not in self._compared:
            stem = self.stemmer(language) if language != ENGLISH else None
            if language in ("", ENGLISH) or (stem is None and not stop_words(language)):
                self._compared[language] = ((terms(self.text), _stem),)
            else:
                content = self._content(language)
                english = (_unique(_stem(w) for w in content), _stem)
                own = self._own(stem) if stem is not None else None
                theirs = ((_unique(own(w) for w in content), own),) if own is not None else ()
                self._compared[language] = (english, *theirs)
        return self._compared[language]

    @staticmethod
    def _own(stem: Callable[[str], str]) -> Callable[[str], str]:
        return lambda word: word if not word.isascii() and _cjk(word) else _fold(stem(word))

    def prefix_query(self, language: str) -> str:
        """An FTS5 expression finding the inflected forms of the query's words in `language`:
        each word becomes a prefix query of the letters it shares with its Snowball stem
        ("partite" -> `"part"*`, "матча" and "матч" -> `"матч"*`). SQLite's porter tokenizer
        stems the prefix too ("cas"* finds "ca..."), so a word whose prefix porter would cut
        below PREFIX_MIN letters stays as typed. '' when `language` has no stemmer or no word
        has a prefix (the typed words are `fts_query`'s)."""
        stem = self.stemmer(language) if language != ENGLISH else None
        if stem is None:
            return ""
        porter = self._algorithm("porter")
        found: list[str] = []
        for word in self._content(language):
            if _cjk(word):
                continue
            prefix = _shared(word, stem(word))
            short = prefix if len(porter(prefix)) >= PREFIX_MIN else ""
            found.append(f'"{short}"*' if short else f'"{word}"')
        return " OR ".join(dict.fromkeys(found)) if any(f.endswith("*") for f in found) else ""

    def grams_query(self) -> str:
        """An FTS5 expression for the index's CJK pairs (`grams`): each pair of the query's CJK
        runs, and a lone character as a prefix; '' when the query has none."""
        lone = _cjk_stop_words()
        found = [f'"{w}"*' if len(w) == 1 else f'"{w}"' for w in self.words if _cjk(w) and w not in lone]
        return " OR ".join(found)


@cache
def _algorithms() -> frozenset[str]:
    """The Snowball algorithms the installed snowballstemmer (or PyStemmer) has."""
    return frozenset(snowballstemmer.algorithms())


@cache
def _cjk_stop_words() -> frozenset[str]:
    """Chinese, Japanese and Korean stop words of one character (的, の): a query of one alone
    would find nearly every span."""
    return frozenset(w for code in ("zh", "ja", "ko") for w in stop_words(code) if len(w) == 1)


def _shared(word: str, stem: str) -> str:
    """The letters `word` begins with that `stem` begins with too."""
    n = 0
    while n < min(len(word), len(stem)) and word[n] == stem[n]:
        n += 1
    return word[:n]


def _unique(found: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(w for w in found if w))


SAME_READING = 0.8
"""Similarity (`difflib` ratio of the letters and digits) over which two screen texts are one text
read twice: OCR of a smaller, blurrier or passing frame misreads a letter or two ("THE PLANETS OF
HE SOLAR SYSTEN", "OUARTERLYRESULTS")."""


def same_reading(first: str, second: str) -> bool:
    """Whether two screen texts, given as their letters and digits (folded), are one text read twice."""
    return difflib.SequenceMatcher(None, first, second, autojunk=False).ratio() >= SAME_READING
