"""Keyword side of text matching: query terms, the FTS5 expression that finds candidates, and
how much of the query a piece of text covers (the keyword half of a span's match score)."""

from __future__ import annotations

import re

STOPWORDS = frozenset(
    """a an and are as at be been but by can could did do does for from had has have he her his how i if in
    into is it its just me my no not of on or our she so some than that the their them then there these
    they this those to too up us was we were what when where which while who why will with would you
    your about after again all also any because before being both each few more most other over own same
    should such very video clip moment scene shows show showing someone something says said saying talks
    talking""".split()  # noqa: SIM905
)
"""Words that say nothing about which moment is meant (including how people phrase video queries)."""

TOKEN = re.compile(r"\w+", re.UNICODE)


def terms(text: str) -> list[str]:
    """Lower-case content words of `text`, in order, without repeats."""
    words = [_stem(w) for w in TOKEN.findall(text.lower()) if w not in STOPWORDS]
    return list(dict.fromkeys(w for w in words if w))


def _stem(word: str) -> str:
    """A light plural/verb-ending strip, so 'rates' meets 'rate' and 'barking' meets 'bark'."""
    for ending in ("ing", "es", "ed", "s"):
        if len(word) > len(ending) + 3 and word.endswith(ending):
            return word[: -len(ending)]
    return word


def fts_query(text: str) -> str:
    """An FTS5 expression matching any of the query's terms (each quoted, so no syntax can leak in)."""
    words = [w for w in TOKEN.findall(text.lower()) if w not in STOPWORDS]
    return " OR ".join(f'"{w}"' for w in dict.fromkeys(words))


def coverage(query_terms: list[str], text: str, glued: bool = False) -> tuple[float, tuple[str, ...]]:
    """(share of the query's terms found in `text`, the words of `text` that matched).

    Longer terms weigh more (a rare name outweighs 'red'). With `glued`, terms of four letters
    or more also count inside run-together words, as OCR of small text produces."""
    if not query_terms:
        return 0.0, ()
    words = TOKEN.findall(text)
    stems = [_stem(w.lower()) for w in words]
    compact = "".join(stems) if glued else ""
    found: list[str] = []
    hit_weight = 0.0
    for term in query_terms:
        matched = [w for w, s in zip(words, stems) if s == term]
        if matched or (glued and len(term) >= 4 and term in compact):
            hit_weight += _weight(term)
            found += matched or [term]
    total = sum(_weight(t) for t in query_terms)
    return hit_weight / total, tuple(dict.fromkeys(found))


def _weight(term: str) -> float:
    return 1.0 + min(len(term), 10) / 5 + (1.0 if any(c.isdigit() for c in term) else 0.0)
