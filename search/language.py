"""Which texts are English: stored spans (from what the indexer found out) and queries (guessed).
The only module that imports lingua.

The paired sentence space (`indexer.encoders.text.PairedEncoder`) scores English text against an
English query with its English model and everything else with its multilingual one, so search
needs both answers:

- a span is English when the language keyword matching compares it in
  (`search.textmatch.span_language`) is English or unknown: sound labels (AudioSet's English class
  names), speech in a video whose detected language is English (or was not detected), screen text
  in Latin script in such a video;
- a query is English unless it has letters of another script or lingua (Stahl, github.com/pemistahl/lingua-py,
  n-gram models of 75 languages) gives English a confidence under `ENGLISH_CONFIDENCE` among
  English, `LIKELY` and the languages the index holds. Measured on the 290 English queries of the
  evaluation library: 4 are taken for another language (dial tone, static hiss...), and none of
  13 short Italian, Spanish, Russian and Chinese queries is taken for English.
"""

from __future__ import annotations

import functools
import logging
import unicodedata
from collections.abc import Iterable
from typing import Any

from search.textmatch import span_language
from search.types import SpanRecord

log = logging.getLogger(__name__)

ENGLISH_CONFIDENCE = 0.15
"""English's confidence (0..1, lingua) under which a Latin-script query counts as another language."""
LIKELY = ("es", "fr", "de", "it", "pt")
"""Latin-script languages a query may be typed in, beside English and the index's languages."""
ENGLISH_TAGS = ("en", "")
"""Video languages whose speech counts as English ('' : not detected, as in a silent video)."""


def latin(text: str) -> bool:
    """Whether every letter of `text` is a Latin one (accents allowed)."""
    return all(unicodedata.name(c, "").startswith("LATIN") for c in text if c.isalpha())


def span_is_english(span: SpanRecord) -> bool:
    """Whether a stored span is English text: its language (`textmatch.span_language`) is English or unknown."""
    return span_language(span.modality, span.text, span.video.language) in ENGLISH_TAGS


class QueryLanguage:
    """Guesses whether queries are English; the detector is built on first use, once, for
    English, `LIKELY` and `languages` (ISO 639-1 codes: the index's spoken languages)."""

    def __init__(self, languages: Iterable[str] = ()) -> None:
        self.languages = tuple(sorted({"en", *LIKELY, *(code for code in languages if code)}))

    def english(self, text: str) -> bool:
        """Whether `text` reads as English (module docstring)."""
        if not latin(text):
            return False
        if not any(c.isalpha() for c in text):
            return True
        detector = self._detector
        if detector is None:
            return True
        from lingua import Language

        for result in detector.compute_language_confidence_values(text):
            if result.language == Language.ENGLISH:
                return bool(result.value >= ENGLISH_CONFIDENCE)
        return False

    @functools.cached_property
    def _detector(self) -> Any:
        try:
            from lingua import IsoCode639_1, Language, LanguageDetectorBuilder
        except ImportError:
            log.warning("lingua is not installed: every query in Latin script is taken for English")
            return None
        known = []
        for code in self.languages:
            try:
                known.append(Language.from_iso_code_639_1(IsoCode639_1.from_str(code)))
            except ValueError:
                log.debug("lingua does not know the language %r", code)
        return LanguageDetectorBuilder.from_languages(*known).build()
